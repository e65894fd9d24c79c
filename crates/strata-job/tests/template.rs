//! Job templates.

use strata_job::{EntityKind, InputRef, Job, JobError, JobTemplate};

const TEMPLATE: &str = include_str!("fixtures/job-template.json");

#[test]
fn parses_and_instantiates() {
    let t = JobTemplate::from_json(TEMPLATE).unwrap();
    assert_eq!(t.id().kind(), EntityKind::JobTemplate);
    assert_eq!(t.name(), Some("EncodeTemplate"));
    assert_eq!(t.number_of_input_assets(), 1);
    assert_eq!(t.task_templates().len(), 1);
    let tt = &t.task_templates()[0];
    assert_eq!(
        tt.id.to_string(),
        "nb:ttid:UUID:071370a3-e63e-4e81-a099-ad66bcac3789"
    );
    assert_eq!(tt.configuration, "H264 Adaptive Bitrate MP4 Set 720p");

    let job = t.instantiate(vec![InputRef::Path("a.mp4".into())]).unwrap();
    assert_eq!(job.template_id, Some(t.id()));
    assert_eq!(job.tasks.len(), 1);
    assert_eq!(job.validate().unwrap(), vec![0]);
    let job2 = t.instantiate(vec![InputRef::Path("b.mp4".into())]).unwrap();
    assert_ne!(job.id, job2.id);
    assert_ne!(job.tasks[0].id, job2.tasks[0].id);

    let err = t.instantiate(vec![]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the template needs 1 input asset(s), 0 given"
    );

    // Body round trip.
    let again = TEMPLATE.replace(
        &serde_json::to_string(
            &serde_json::from_str::<serde_json::Value>(TEMPLATE).unwrap()["JobTemplateBody"],
        )
        .unwrap(),
        &serde_json::to_string(&t.job_template_body()).unwrap(),
    );
    assert_eq!(
        JobTemplate::from_json(&again).unwrap().task_templates(),
        t.task_templates()
    );
}

#[test]
fn apply_to_job_with_template_id() {
    let t = JobTemplate::from_json(TEMPLATE).unwrap();
    let mut job = Job::from_json(&format!(
        r#"{{"Name":"J","InputMediaAssets":["a.mp4"],"TemplateId":"{}"}}"#,
        t.id()
    ))
    .unwrap();
    t.apply_to(&mut job).unwrap();
    assert_eq!(job.validate().unwrap(), vec![0]);
    assert!(t.apply_to(&mut job).is_err(), "already has tasks");
    let other = JobTemplate::from_json(TEMPLATE).unwrap();
    let mut job = Job::from_json(&format!(
        r#"{{"InputMediaAssets":["a.mp4"],"TemplateId":"{}"}}"#,
        t.id()
    ))
    .unwrap();
    assert!(matches!(
        other.apply_to(&mut job),
        Err(JobError::InvalidTemplate { .. })
    ));
}

#[test]
fn immutable_with_changes_makes_a_new_template() {
    let t = JobTemplate::from_json(TEMPLATE).unwrap();
    let before = t.clone();
    let changed = t
        .with_changes(|d| {
            d.name = Some("Renamed".into());
            d.task_templates[0].configuration = "H264 Single Bitrate 720p".into();
        })
        .unwrap();
    assert_eq!(t, before, "the original is unchanged");
    assert_ne!(changed.id(), t.id());
    assert_eq!(changed.name(), Some("Renamed"));
    assert_eq!(
        changed.task_templates()[0].configuration,
        "H264 Single Bitrate 720p"
    );
    // Edits are validated.
    let err = t
        .with_changes(|d| d.task_templates[0].processor_id = "Azure Media Encoder".into())
        .unwrap_err();
    assert!(matches!(err, JobError::UnknownProcessor { .. }), "{err}");
}

#[test]
fn template_errors() {
    let unknown = TEMPLATE.replacen(
        "071370A3-E63E-4E81-A099-AD66BCAC3789",
        "171370A3-E63E-4E81-A099-AD66BCAC3789",
        1,
    );
    let err = JobTemplate::from_json(&unknown).unwrap_err();
    assert!(err.to_string().contains("not in TaskTemplates"), "{err}");
    let count = TEMPLATE.replace("\"NumberofOutputAssets\":1", "\"NumberofOutputAssets\":2");
    let err = JobTemplate::from_json(&count).unwrap_err();
    assert!(
        err.to_string()
            .contains("NumberofOutputAssets is 2 but the task body has 1 outputs"),
        "{err}"
    );
    let extra = TEMPLATE.replace(
        "\"Name\":\"EncodeTemplate\"",
        "\"Name\":\"EncodeTemplate\",\"Bogus\":1",
    );
    assert!(JobTemplate::from_json(&extra)
        .unwrap_err()
        .to_string()
        .contains("Bogus"));
}

#[test]
fn to_json_round_trips_with_the_same_id() {
    let t = JobTemplate::from_json(include_str!("fixtures/job-template.json")).unwrap();
    let back = JobTemplate::from_json(&t.to_json()).unwrap();
    assert_eq!(back, t);
}
