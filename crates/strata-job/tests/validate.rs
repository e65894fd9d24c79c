//! Each validation rule with a minimal bad job.

use strata_job::{Job, JobError};

fn body(inputs: &[&str], outputs: &[&str]) -> String {
    let mut s = String::from("<taskBody>");
    for i in inputs {
        s.push_str(&format!("<inputAsset>{i}</inputAsset>"));
    }
    for o in outputs {
        s.push_str(&format!("<outputAsset>{o}</outputAsset>"));
    }
    s.push_str("</taskBody>");
    s
}

fn job(n_inputs: usize, tasks: &[(&[&str], &[&str])]) -> Job {
    job_with_processor(n_inputs, tasks, "Media Encoder Standard")
}

fn job_with_processor(n_inputs: usize, tasks: &[(&[&str], &[&str])], processor: &str) -> Job {
    let inputs: Vec<String> = (0..n_inputs).map(|i| format!("\"in{i}.mp4\"")).collect();
    let tasks: Vec<String> = tasks
        .iter()
        .map(|(i, o)| {
            serde_json::json!({
                "Configuration": "H264 Single Bitrate 720p",
                "MediaProcessorId": processor,
                "TaskBody": body(i, o),
            })
            .to_string()
        })
        .collect();
    Job::from_json(&format!(
        r#"{{"Name":"T","InputMediaAssets":[{}],"Tasks":[{}]}}"#,
        inputs.join(","),
        tasks.join(",")
    ))
    .unwrap()
}

fn err(job: &Job) -> (JobError, String) {
    let e = job.validate().unwrap_err();
    let m = e.to_string();
    (e, m)
}

#[test]
fn too_many_tasks() {
    let outs: Vec<String> = (0..31).map(|i| format!("JobOutputAsset({i})")).collect();
    let tasks: Vec<(&[&str], Vec<&str>)> = outs
        .iter()
        .map(|o| (&["JobInputAsset(0)"][..], vec![o.as_str()]))
        .collect();
    let refs: Vec<(&[&str], &[&str])> = tasks.iter().map(|(i, o)| (*i, o.as_slice())).collect();
    let j = job(1, &refs);
    let (e, m) = err(&j);
    assert!(matches!(e, JobError::TooManyTasks { count: 31 }));
    assert_eq!(m, "the job has 31 tasks; at most 30 are allowed");
    // 30 is fine.
    let j = job(1, &refs[..30]);
    assert_eq!(j.validate().unwrap(), (0..30).collect::<Vec<_>>());
}

#[test]
fn no_tasks() {
    let mut j = job(1, &[(&["JobInputAsset(0)"], &["JobOutputAsset(0)"])]);
    j.tasks.clear();
    assert!(matches!(j.validate(), Err(JobError::NoTasks)));
}

#[test]
fn cycle() {
    let j = job(
        1,
        &[
            (&["JobInputAsset(0)"], &["JobOutputAsset(0)"]),
            (&["JobOutputAsset(2)"], &["JobOutputAsset(1)"]),
            (&["JobOutputAsset(1)"], &["JobOutputAsset(2)"]),
        ],
    );
    let (e, m) = err(&j);
    assert!(matches!(e, JobError::Cycle { .. }));
    assert_eq!(m, "the tasks form a cycle: task 1, task 2");
}

#[test]
fn output_produced_twice() {
    let j = job(
        1,
        &[
            (&["JobInputAsset(0)"], &["JobOutputAsset(0)"]),
            (&["JobInputAsset(0)"], &["JobOutputAsset(0)"]),
        ],
    );
    let (e, m) = err(&j);
    assert!(matches!(e, JobError::OutputProducedTwice { index: 0, .. }));
    assert_eq!(
        m,
        "JobOutputAsset(0) is produced twice: by task 0 and by task 1"
    );
    let j = job(
        1,
        &[(
            &["JobInputAsset(0)"],
            &["JobOutputAsset(0)", "JobOutputAsset(0)"],
        )],
    );
    assert_eq!(
        err(&j).1,
        "JobOutputAsset(0) is produced twice: by task 0 and by task 0"
    );
}

#[test]
fn input_index_out_of_range() {
    let j = job(1, &[(&["JobInputAsset(1)"], &["JobOutputAsset(0)"])]);
    let (e, m) = err(&j);
    assert!(matches!(
        e,
        JobError::InputIndexOutOfRange {
            index: 1,
            count: 1,
            ..
        }
    ));
    assert_eq!(
        m,
        "task 0: JobInputAsset(1) is out of range: the job has 1 input asset(s)"
    );
}

#[test]
fn output_index_gap() {
    let j = job(
        1,
        &[(
            &["JobInputAsset(0)"],
            &["JobOutputAsset(0)", "JobOutputAsset(2)"],
        )],
    );
    let (e, m) = err(&j);
    assert!(matches!(
        e,
        JobError::OutputIndexGap {
            missing: 1,
            highest: 2
        }
    ));
    assert_eq!(
        m,
        "JobOutputAsset(1) is missing: output assets must be numbered 0 to 2 without gaps"
    );
    let j = job(1, &[(&["JobInputAsset(0)"], &["JobOutputAsset(1)"])]);
    assert!(matches!(
        err(&j).0,
        JobError::OutputIndexGap {
            missing: 0,
            highest: 1
        }
    ));
}

#[test]
fn unproduced_input() {
    let j = job(
        1,
        &[
            (&["JobInputAsset(0)"], &["JobOutputAsset(0)"]),
            (&["JobOutputAsset(5)"], &["JobOutputAsset(1)"]),
        ],
    );
    let (e, m) = err(&j);
    assert!(matches!(e, JobError::UnproducedInput { index: 5, .. }));
    assert_eq!(
        m,
        "task 1: input JobOutputAsset(5) is not produced by any task"
    );
}

#[test]
fn self_reference() {
    let j = job(1, &[(&["JobOutputAsset(0)"], &["JobOutputAsset(0)"])]);
    let (e, m) = err(&j);
    assert!(matches!(e, JobError::SelfReference { index: 0, .. }));
    assert_eq!(m, "task 0 takes its own output JobOutputAsset(0) as input");
}

#[test]
fn unknown_processor() {
    let mut j = job(1, &[(&["JobInputAsset(0)"], &["JobOutputAsset(0)"])]);
    j.tasks[0].processor_id = "nb:mpid:UUID:77fea72a-107c-439e-b0bb-f88153b93461".into();
    let (e, m) = err(&j);
    assert!(matches!(e, JobError::UnknownProcessor { .. }));
    assert!(m.starts_with("task 0: unknown MediaProcessorId \"nb:mpid:UUID:77fea72a-107c-439e-b0bb-f88153b93461\""), "{m}");
    // Name and id spellings of MES are accepted.
    for p in [
        "media encoder standard",
        "nb:mpid:UUID:FF4DF607-D419-42F0-BC17-A481B1331E56",
        "nb%3Ampid%3AUUID%3Aff4df607-d419-42f0-bc17-a481b1331e56",
    ] {
        job_with_processor(1, &[(&["JobInputAsset(0)"], &["JobOutputAsset(0)"])], p)
            .validate()
            .unwrap();
    }
}

#[test]
fn unknown_processor_is_refused_when_loading() {
    let body = r#"{"InputMediaAssets":["a"],"Tasks":[{"Name":"Enc","Configuration":"x","MediaProcessorId":"Media Encoder Premium Workflow","TaskBody":"<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>"}]}"#;
    let e = Job::from_json(body).unwrap_err();
    assert!(matches!(e, JobError::UnknownProcessor { .. }));
    assert!(
        e.to_string().starts_with(
            "task 0 \"Enc\": unknown MediaProcessorId \"Media Encoder Premium Workflow\""
        ),
        "{e}"
    );
}

#[test]
fn too_many_assets_per_task() {
    let ins: Vec<String> = (0..50).map(|_| "JobInputAsset(0)".to_string()).collect();
    let ins: Vec<&str> = ins.iter().map(String::as_str).collect();
    let j = job(1, &[(&ins, &["JobOutputAsset(0)"])]);
    let (e, m) = err(&j);
    assert!(matches!(
        e,
        JobError::TooManyAssets {
            count: 51,
            max: 50,
            ..
        }
    ));
    assert_eq!(m, "task 0 references 51 assets; at most 50 are allowed");
}

#[test]
fn topological_order_is_stable() {
    // 0 and 2 independent; 1 depends on 2; 3 depends on 0 and 1.
    let j = job(
        1,
        &[
            (&["JobInputAsset(0)"], &["JobOutputAsset(0)"]),
            (&["JobOutputAsset(2)"], &["JobOutputAsset(1)"]),
            (&["JobInputAsset(0)"], &["JobOutputAsset(2)"]),
            (
                &["JobOutputAsset(0)", "JobOutputAsset(1)"],
                &["JobOutputAsset(3)"],
            ),
        ],
    );
    assert_eq!(j.validate().unwrap(), vec![0, 2, 1, 3]);
}
