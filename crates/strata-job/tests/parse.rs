//! Parsing job definitions and task bodies.

use std::path::{Path, PathBuf};

use strata_job::{AssetRef, EntityId, EntityKind, InputRef, Job, JobError, OutputSpec, TaskBody};

const REST: &str = include_str!("fixtures/rest-create-job.json");
const CHAINED: &str = include_str!("fixtures/chained-job.json");

#[test]
fn rest_create_body_parses() {
    let job = Job::from_json(REST).unwrap();
    assert_eq!(job.name.as_deref(), Some("NewTestJob"));
    assert_eq!(job.id.kind(), EntityKind::Job);
    assert_eq!(
        job.inputs,
        vec![InputRef::AssetId(
            EntityId::parse("nb:cid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2").unwrap()
        )]
    );
    assert_eq!(job.tasks.len(), 1);
    let task = &job.tasks[0];
    assert_eq!(task.configuration, "Adaptive Streaming");
    assert_eq!(task.id.kind(), EntityKind::Task);
    assert_eq!(task.body.inputs, vec![AssetRef::JobInput(0)]);
    assert_eq!(task.body.outputs, vec![OutputSpec::new(0)]);
    assert_eq!(job.validate().unwrap(), vec![0]);
    assert_eq!(job.output_assets()[0].name, "JobOutputAsset(0)_NewTestJob");
}

#[test]
fn chained_job_validates_and_orders() {
    let job = Job::from_json(CHAINED).unwrap();
    // Task 0 consumes task 1's output, so task 1 runs first.
    assert_eq!(job.validate().unwrap(), vec![1, 0]);
    let outputs = job.output_assets();
    assert_eq!(outputs.len(), 2);
    assert_eq!((outputs[0].index, outputs[0].task), (0, 1));
    assert_eq!(outputs[0].name, "JobOutputAsset(0)_Chained");
    assert_eq!(outputs[0].spec.format_option, 1);
    assert_eq!((outputs[1].index, outputs[1].task), (1, 0));
    assert_eq!(outputs[1].name, "Thumbs");
}

#[test]
fn input_forms() {
    assert_eq!(
        InputRef::from_uri("a/b.mp4").unwrap(),
        InputRef::Path("a/b.mp4".into())
    );
    assert_eq!(
        InputRef::from_uri("file:///tmp/my%20movie.mp4").unwrap(),
        InputRef::Path("/tmp/my movie.mp4".into())
    );
    assert_eq!(
        InputRef::from_uri("file://localhost/tmp/x.mp4").unwrap(),
        InputRef::Path("/tmp/x.mp4".into())
    );
    let id = "nb:cid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2";
    assert_eq!(
        InputRef::from_uri(id).unwrap(),
        InputRef::AssetId(EntityId::parse(id).unwrap())
    );
    assert!(matches!(
        InputRef::from_uri("nb:jid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2"),
        Err(JobError::InvalidInputUri { .. })
    ));
    assert!(matches!(
        InputRef::from_uri("https://example.com/movie.mp4"),
        Err(JobError::InvalidInputUri { .. })
    ));
    assert!(matches!(
        InputRef::from_uri(""),
        Err(JobError::InvalidInputUri { .. })
    ));
    assert!(matches!(
        InputRef::from_uri("file://server/share/x.mp4"),
        Err(JobError::InvalidInputUri { .. })
    ));
}

#[test]
fn relative_inputs_resolve_against_base() {
    let mut job = Job::from_json(CHAINED).unwrap();
    job.resolve_inputs(Path::new("/jobs"));
    assert_eq!(
        job.inputs,
        vec![InputRef::Path(PathBuf::from("/jobs/clips/movie.mp4"))]
    );
    let abs = InputRef::Path("/abs/x.mp4".into());
    assert_eq!(abs.resolve(Path::new("/jobs")), abs);
}

#[test]
fn metadata_and_odata_bind_inputs() {
    let body = |inputs: &str| {
        format!(
            r#"{{{inputs}, "Tasks":[{{"Configuration":"x","MediaProcessorId":"Media Encoder Standard","TaskBody":"<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>"}}]}}"#
        )
    };
    let job = Job::from_json(&body(
        r#""InputMediaAssets":[{"__metadata":{"uri":"in.mp4"}}]"#,
    ))
    .unwrap();
    assert_eq!(job.inputs, vec![InputRef::Path("in.mp4".into())]);
    let job = Job::from_json(&body(r#""InputMediaAssets@odata.bind":["in.mp4"]"#)).unwrap();
    assert_eq!(job.inputs, vec![InputRef::Path("in.mp4".into())]);
    let err = Job::from_json(&body(r#""InputMediaAssets":[{"uri":"in.mp4"}]"#)).unwrap_err();
    assert!(err.to_string().contains("InputMediaAssets[0]"), "{err}");
    let err = Job::from_json(&body(r#""InputMediaAssets":[]"#)).unwrap_err();
    assert!(
        err.to_string().contains("InputMediaAssets is required"),
        "{err}"
    );
}

#[test]
fn unknown_keys_are_rejected_by_name() {
    let err = Job::from_json(
        r#"{"Name":"x","State":0,"InputMediaAssets":["a"],"TemplateId":"nb:jtid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2"}"#,
    )
    .unwrap_err();
    assert!(matches!(err, JobError::Json(_)));
    assert!(err.to_string().contains("State"), "{err}");
    let err = Job::from_json(
        r#"{"InputMediaAssets":["a"],"Tasks":[{"Configuration":"x","MediaProcessorId":"Media Encoder Standard","TaskBody":"<taskBody/>","Bogus":1}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("Bogus"), "{err}");
}

#[test]
fn template_id_job_needs_no_tasks() {
    let job = Job::from_json(
        r#"{"Name":"FromTemplate","InputMediaAssets":["a.mp4"],"TemplateId":"nb:jtid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2"}"#,
    )
    .unwrap();
    assert!(job.tasks.is_empty());
    assert_eq!(job.template_id.unwrap().kind(), EntityKind::JobTemplate);
    let err = Job::from_json(r#"{"InputMediaAssets":["a.mp4"]}"#).unwrap_err();
    assert!(
        err.to_string().contains("no Tasks and no TemplateId"),
        "{err}"
    );
}

#[test]
fn task_body_full_grammar() {
    let body = TaskBody::parse(
        r#"<?xml version="1.0" encoding="utf-8"?>
<taskBody>
  <inputAsset>JobInputAsset(0)</inputAsset>
  <inputAsset> JobOutputAsset(3) </inputAsset>
  <outputAsset assetCreationOptions="1" assetFormatOption="1" assetName="Custom name" storageAccountName="acct">JobOutputAsset(4)</outputAsset>
  <outputAsset assetName="">JobOutputAsset(5)</outputAsset>
</taskBody>"#,
    )
    .unwrap();
    assert_eq!(
        body.inputs,
        vec![AssetRef::JobInput(0), AssetRef::JobOutput(3)]
    );
    assert_eq!(body.outputs[0].index, 4);
    assert_eq!(body.outputs[0].asset_name.as_deref(), Some("Custom name"));
    assert_eq!(body.outputs[0].creation_options, 1);
    assert_eq!(body.outputs[0].format_option, 1);
    assert_eq!(
        body.outputs[0].storage_account_name.as_deref(),
        Some("acct")
    );
    assert_eq!(
        body.outputs[1].asset_name, None,
        "an empty assetName is ignored"
    );
    assert_eq!(TaskBody::parse(&body.to_xml()).unwrap(), body);
}

#[test]
fn task_body_errors() {
    let cases = [
        ("<taskbody/>", "expected <taskBody>"),
        ("<taskBody><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>", "no <inputAsset>"),
        ("<taskBody><inputAsset>JobInputAsset(0)</inputAsset></taskBody>", "no <outputAsset>"),
        ("<taskBody><inputAsset>JobInputAsset(x)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>", "is not JobInputAsset(n)"),
        ("<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobInputAsset(0)</outputAsset></taskBody>", "must be JobOutputAsset(n)"),
        ("<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetFormatOption=\"2\">JobOutputAsset(0)</outputAsset></taskBody>", "assetFormatOption=2"),
        ("<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetCreationOptions=\"8\">JobOutputAsset(0)</outputAsset></taskBody>", "assetCreationOptions=8"),
        ("<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetNmae=\"x\">JobOutputAsset(0)</outputAsset></taskBody>", "unknown attribute assetNmae"),
        ("<taskBody><input>JobInputAsset(0)</input></taskBody>", "unknown element <input>"),
        ("<taskBody>", "invalid XML"),
    ];
    for (xml, expected) in cases {
        let err = TaskBody::parse(xml).unwrap_err();
        assert!(matches!(err, JobError::InvalidTaskBody { .. }), "{xml}");
        assert!(err.to_string().contains(expected), "{xml}: {err}");
    }
}

#[test]
fn task_body_error_in_job_names_the_task() {
    let err = Job::from_json(
        r#"{"InputMediaAssets":["a"],"Tasks":[{"Name":"Enc","Configuration":"x","MediaProcessorId":"Media Encoder Standard","TaskBody":"<taskBody/>"}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("task 0 \"Enc\""), "{err}");
}

#[test]
fn length_limits() {
    let long = "n".repeat(257);
    let err = Job::from_json(&format!(
        r#"{{"Name":"{long}","InputMediaAssets":["a"],"TemplateId":"nb:jtid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2"}}"#
    ))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Name is 257 characters long; the limit is 256"),
        "{err}"
    );
}

#[test]
fn to_json_round_trips_the_definition() {
    let job = Job::from_json(include_str!("fixtures/chained-job.json")).unwrap();
    let back = Job::from_json(&job.to_json()).unwrap();
    // New ids are generated on reading; everything else is the same.
    assert_ne!(back.id, job.id);
    assert_eq!(back.name, job.name);
    assert_eq!(back.inputs, job.inputs);
    assert_eq!(back.tasks.len(), job.tasks.len());
    for (a, b) in back.tasks.iter().zip(&job.tasks) {
        assert_eq!(
            (
                &a.name,
                &a.configuration,
                &a.processor_id,
                &a.body,
                a.priority,
                a.options
            ),
            (
                &b.name,
                &b.configuration,
                &b.processor_id,
                &b.body,
                b.priority,
                b.options
            )
        );
    }
    assert_eq!(back.output_assets().len(), 2);
}
