//! Runs MES jobs against an [`AssetStore`]: validation before anything starts, tasks in
//! dependency order with independent tasks concurrently, progress and states persisted as
//! the job moves, cancellation, and failure that stops only what depends on it.

use crate::store::{
    now_ms, AssetFileRecord, AssetRecord, AssetStore, FileKind, JobHandle, OutputAssetRecord,
    StagedAsset, StoredJob,
};
use crate::{EncodeOptions, EngineError, OutputAsset};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_core::Limits;
use strata_job::{
    AssetRef, EntityId, ErrorCode, ErrorDetail, InputRef, Job, JobRecord, State, TaskRecord,
};
use strata_preset::{AutoKind, Preset};

/// Something that happened in a running job, for a progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// Task `task` (index in the job) entered `state`; `message` carries the error of a
    /// failed task.
    TaskState {
        /// Task index.
        task: usize,
        /// New state.
        state: State,
        /// Error text for Error.
        message: Option<String>,
    },
    /// Task `task` progressed to `progress` percent.
    TaskProgress {
        /// Task index.
        task: usize,
        /// 0–100.
        progress: f64,
    },
}

/// Callback receiving [`JobEvent`]s.
pub type JobEventFn = Arc<dyn Fn(&Job, JobEvent) + Send + Sync>;

/// How a job runs.
#[derive(Clone)]
pub struct JobOptions {
    /// Tasks running at once (at least 1). Each task already uses a thread per layer, so
    /// more workers than cores only helps when tasks are small.
    pub workers: usize,
    /// Caps on what inputs may make us allocate.
    pub limits: Limits,
    /// Set to `true` to cancel: running tasks stop, queued ones never start, no partial
    /// asset is kept, and the job ends Canceled.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Progress and state callback.
    pub events: Option<JobEventFn>,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            workers: 2,
            limits: Limits::default(),
            cancel: None,
            events: None,
        }
    }
}

impl std::fmt::Debug for JobOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobOptions")
            .field("workers", &self.workers)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The MES error code for a failed task (reference §5.9's failure mapping).
#[must_use]
pub fn error_code(err: &EngineError) -> ErrorCode {
    use strata_demux::DemuxError as D;
    match err {
        EngineError::Input { source, .. } => match source {
            D::Io(_) | D::Empty => ErrorCode::ErrorDownloadingInputAssetMalformedContent,
            D::NotMedia | D::UnsupportedY4m { .. } => {
                ErrorCode::ErrorExecutingTaskUnsupportedFormat
            }
            _ => ErrorCode::ErrorExecutingTaskMalformedContent,
        },
        EngineError::NoVideo { .. }
        | EngineError::UnsupportedVideo { .. }
        | EngineError::UnsupportedAudio { .. } => ErrorCode::ErrorExecutingTaskUnsupportedFormat,
        EngineError::Decode { .. } | EngineError::NoFrames { .. } => {
            ErrorCode::ErrorExecutingTaskMalformedContent
        }
        EngineError::Preset(_)
        | EngineError::TaskConfiguration { .. }
        | EngineError::Layer { .. } => ErrorCode::ErrorParsingConfiguration,
        // Inputs are read through the demuxer (Input errors); a bare I/O error is writing.
        EngineError::Mux { .. } | EngineError::OutputExists { .. } | EngineError::Io { .. } => {
            ErrorCode::ErrorUploadingOutputAsset
        }
        EngineError::JobInput { .. } | EngineError::NoMediaInAsset { .. } => {
            ErrorCode::ErrorDownloadingInputAssetMalformedContent
        }
        _ => ErrorCode::ErrorProcessingTask,
    }
}

/// Checks a job completely before anything runs and returns the task order: the job rules
/// ([`Job::validate`]), one input and one output asset per task (what Media Encoder
/// Standard takes), each Configuration a known preset name or a valid inline preset, each
/// job input an existing file or an asset in `store`. A job naming a `TemplateId` without
/// tasks gets the template's tasks from `store` first.
///
/// # Errors
/// [`EngineError::Job`] (the rule broken), [`EngineError::TaskConfiguration`],
/// [`EngineError::TaskUnsupported`], [`EngineError::JobInput`],
/// [`EngineError::NotInStore`].
pub fn prepare_job(job: &mut Job, store: Option<&AssetStore>) -> Result<Vec<usize>, EngineError> {
    if job.tasks.is_empty() {
        match (job.template_id, store) {
            (Some(tid), Some(store)) => store.template(&tid.to_string())?.apply_to(job)?,
            (Some(tid), None) => {
                return Err(EngineError::NotInStore {
                    kind: "job template",
                    id: tid.to_string(),
                    store: PathBuf::from("(no store: give --store or set STRATA_STORE)"),
                })
            }
            (None, _) => {}
        }
    }
    let order = job.validate()?;
    for (i, t) in job.tasks.iter().enumerate() {
        if t.body.inputs.len() != 1 {
            return Err(EngineError::TaskUnsupported {
                task: job.label(i),
                reason: format!(
                    "has {} input assets; an encoding task reads exactly one (stitching several inputs is not supported)",
                    t.body.inputs.len()
                ),
            });
        }
        if t.body.outputs.len() != 1 {
            return Err(EngineError::TaskUnsupported {
                task: job.label(i),
                reason: format!(
                    "has {} output assets; Media Encoder Standard writes exactly one per task",
                    t.body.outputs.len()
                ),
            });
        }
        check_configuration(&t.configuration).map_err(|source| EngineError::TaskConfiguration {
            task: job.label(i),
            source,
        })?;
    }
    for (index, input) in job.inputs.iter().enumerate() {
        match input {
            InputRef::Path(p) => {
                let reason = match std::fs::metadata(p) {
                    Ok(m) if m.is_file() => continue,
                    Ok(_) => "is not a file".to_string(),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        "does not exist".to_string()
                    }
                    Err(e) => e.to_string(),
                };
                return Err(EngineError::JobInput {
                    index,
                    path: p.clone(),
                    reason,
                });
            }
            InputRef::AssetId(id) => {
                let Some(store) = store else {
                    return Err(EngineError::JobInput {
                        index,
                        path: PathBuf::from(id.to_string()),
                        reason: "an asset id needs an asset store".into(),
                    });
                };
                store.asset(&id.to_string())?.media_file()?;
            }
        }
    }
    Ok(order)
}

/// A preset from a task's Configuration: a system, legacy or input-driven name, or an inline
/// JSON/XML preset. Input-driven names resolve at run time, once the input exists.
fn check_configuration(text: &str) -> Result<(), strata_preset::PresetError> {
    if AutoKind::from_preset_name(text.trim()).is_some() {
        return Ok(());
    }
    configuration_preset(text).map(|_| ())
}

fn configuration_preset(text: &str) -> Result<Preset, strata_preset::PresetError> {
    let t = text.trim_start_matches('\u{feff}').trim();
    let preset = if t.starts_with('{') || t.starts_with('<') {
        strata_preset::parse_configuration(t)?
    } else {
        strata_preset::system_preset(t)?
    };
    // Inline presets are checked against the MES rules here, before any task runs.
    preset.validate()?;
    Ok(preset)
}

type TaskResult = Result<(StagedAsset, AssetRecord), EngineError>;

enum Msg {
    Progress(usize, f64),
    /// A finished task hands back its asset uncommitted: only the scheduler publishes it, and
    /// only while the task is still wanted, so a canceled job never shows an asset even
    /// briefly.
    Done(usize, Box<TaskResult>),
}

struct Runner<'a> {
    store: &'a AssetStore,
    job: &'a Job,
    handle: JobHandle,
    stored: StoredJob,
    options: &'a JobOptions,
    last_save: Instant,
}

impl Runner<'_> {
    fn emit(&self, e: JobEvent) {
        if let Some(f) = &self.options.events {
            f(self.job, e);
        }
    }

    fn save(&mut self) -> Result<(), EngineError> {
        self.stored.record.refresh(now_ms());
        self.stored.progress = self.stored.record.progress();
        self.last_save = Instant::now();
        self.handle.save(&self.stored)
    }

    fn task(&mut self, i: usize) -> &mut TaskRecord {
        &mut self.stored.record.tasks[i]
    }

    /// Moves task `i` to `state`. The scheduler only asks for legal moves; an illegal one
    /// is a bug, reported as such rather than leaving the task stuck.
    fn set_state(
        &mut self,
        i: usize,
        state: State,
        detail: Option<ErrorDetail>,
    ) -> Result<(), EngineError> {
        let now = now_ms();
        let rec = self.task(i);
        match &detail {
            Some(d) if state == State::Error => rec.fail(d.clone(), now),
            _ => rec.transition(state, now),
        }
        .map_err(|e| EngineError::Internal(format!("task {i}: {e}")))?;
        self.emit(JobEvent::TaskState {
            task: i,
            state,
            message: detail.map(|d| d.message),
        });
        Ok(())
    }
}

/// Runs `job` against `store`: validates it ([`prepare_job`]), records it as Queued, then runs
/// its tasks with up to `options.workers` at once, each task's output asset staged and moved
/// into the store only when complete. A failed task fails the tasks that (transitively)
/// consume its output; the others go on. Returns the final record (Finished, Error or
/// Canceled) — a task failure is reported there, not as an `Err`.
///
/// # Errors
/// Validation errors ([`prepare_job`]) before anything is recorded; [`EngineError::Io`] when
/// the store cannot be written.
pub fn run_job(
    store: &AssetStore,
    mut job: Job,
    options: &JobOptions,
) -> Result<StoredJob, EngineError> {
    let order = prepare_job(&mut job, Some(store))?;
    let outputs = job.output_assets();
    let stored = StoredJob {
        record: JobRecord::new(&job, now_ms()),
        progress: 0.0,
        input_media_assets: job
            .inputs
            .iter()
            .map(|i| match i {
                InputRef::Path(p) => std::path::absolute(p)
                    .unwrap_or_else(|_| p.clone())
                    .to_string_lossy()
                    .into_owned(),
                InputRef::AssetId(id) => id.to_string(),
            })
            .collect(),
        output_media_assets: outputs
            .iter()
            .map(|o| OutputAssetRecord {
                index: o.index,
                name: o.name.clone(),
                task_id: job.tasks[o.task].id,
                asset_id: None,
            })
            .collect(),
    };
    let handle = store.create_job(&job, &stored)?;
    let mut r = Runner {
        store,
        job: &job,
        handle,
        stored,
        options,
        last_save: Instant::now(),
    };
    let result = schedule(&mut r, &order);
    store.clear_staging(&job.id);
    result?;
    r.save()?;
    Ok(r.stored)
}

fn producer_of(job: &Job, output: usize) -> Option<usize> {
    job.tasks
        .iter()
        .position(|t| t.body.outputs.iter().any(|o| o.index == output))
}

fn deps(job: &Job, i: usize) -> Vec<usize> {
    job.tasks[i]
        .body
        .inputs
        .iter()
        .filter_map(|r| match r {
            AssetRef::JobOutput(k) => producer_of(job, *k),
            AssetRef::JobInput(_) => None,
        })
        .collect()
}

fn schedule(r: &mut Runner<'_>, order: &[usize]) -> Result<(), EngineError> {
    let job = r.job;
    let n = job.tasks.len();
    let deps: Vec<Vec<usize>> = (0..n).map(|i| deps(job, i)).collect();
    let workers = r.options.workers.max(1);
    // The workers watch this flag: set by the caller's cancel, or by us when the scheduler
    // itself fails (store unwritable), so no task runs on unseen.
    let stop = Arc::new(AtomicBool::new(false));
    let user_cancel = r.options.cancel.clone();
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut started = vec![false; n];
    let mut running = 0usize;
    std::thread::scope(|scope| -> Result<(), EngineError> {
        let mut cancel_seen = false;
        let result = (|| -> Result<(), EngineError> {
            loop {
                if user_cancel
                    .as_ref()
                    .is_some_and(|c| c.load(Ordering::Relaxed))
                    && !cancel_seen
                {
                    cancel_seen = true;
                    stop.store(true, Ordering::SeqCst);
                    for i in 0..n {
                        let s = r.stored.record.tasks[i].state;
                        if s == State::Processing {
                            r.set_state(i, State::Canceling, None)?;
                        } else if !s.is_final() {
                            r.set_state(i, State::Canceled, None)?;
                        }
                    }
                    r.save()?;
                }
                let mut changed = false;
                // Tasks whose inputs failed can never run.
                for i in 0..n {
                    if started[i] || r.stored.record.tasks[i].state.is_final() {
                        continue;
                    }
                    if let Some(&d) = deps[i].iter().find(|&&d| {
                        matches!(
                            r.stored.record.tasks[d].state,
                            State::Error | State::Canceled
                        )
                    }) {
                        let failed = r.stored.record.tasks[d].state;
                        let detail = ErrorDetail {
                            code: ErrorCode::ErrorProcessingTask,
                            message: format!(
                                "not run: its input comes from {}, which ended {}",
                                job.label(d),
                                failed.name()
                            ),
                        };
                        r.set_state(i, State::Error, Some(detail))?;
                        changed = true;
                    }
                }
                // Ready tasks: dependencies finished. Higher Priority first, then job order.
                if !cancel_seen {
                    let mut ready: Vec<usize> = order
                        .iter()
                        .copied()
                        .filter(|&i| {
                            !started[i]
                                && !r.stored.record.tasks[i].state.is_final()
                                && deps[i]
                                    .iter()
                                    .all(|&d| r.stored.record.tasks[d].state == State::Finished)
                        })
                        .collect();
                    ready.sort_by_key(|&i| std::cmp::Reverse(job.tasks[i].priority));
                    for &i in &ready {
                        if r.stored.record.tasks[i].state == State::Queued {
                            r.set_state(i, State::Scheduled, None)?;
                            changed = true;
                        }
                    }
                    for i in ready {
                        if running >= workers {
                            break;
                        }
                        let input = match task_input(r, i) {
                            Ok(p) => p,
                            Err(e) => {
                                let detail = ErrorDetail {
                                    code: error_code(&e),
                                    message: e.to_string(),
                                };
                                r.set_state(i, State::Error, Some(detail))?;
                                changed = true;
                                continue;
                            }
                        };
                        let spec = job
                            .output_assets()
                            .into_iter()
                            .find(|o| o.task == i)
                            .ok_or_else(|| EngineError::Internal("task without output".into()))?;
                        started[i] = true;
                        running += 1;
                        r.set_state(i, State::Processing, None)?;
                        changed = true;
                        let tx = tx.clone();
                        let stop = Arc::clone(&stop);
                        let store = r.store;
                        let limits = r.options.limits;
                        scope.spawn(move || {
                            let progress_tx = tx.clone();
                            // A panic in a task must still report, or the job waits forever.
                            let result =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    run_task(store, job, i, &input, &spec, limits, stop, move |p| {
                                        let _ = progress_tx.send(Msg::Progress(i, p));
                                    })
                                }))
                                .unwrap_or_else(|panic| {
                                    let what = panic
                                        .downcast_ref::<&str>()
                                        .map(|s| (*s).to_string())
                                        .or_else(|| panic.downcast_ref::<String>().cloned())
                                        .unwrap_or_default();
                                    Err(EngineError::Internal(format!("the task panicked: {what}")))
                                });
                            let _ = tx.send(Msg::Done(i, Box::new(result)));
                        });
                    }
                }
                if changed {
                    r.save()?;
                }
                if running == 0 {
                    let pending = (0..n).any(|i| !r.stored.record.tasks[i].state.is_final());
                    if !pending || cancel_seen {
                        return Ok(());
                    }
                    let ready_any = (0..n).any(|i| {
                        !started[i]
                            && !r.stored.record.tasks[i].state.is_final()
                            && deps[i]
                                .iter()
                                .all(|&d| r.stored.record.tasks[d].state.is_final())
                    });
                    if !ready_any {
                        return Err(EngineError::Internal("job scheduling stalled".into()));
                    }
                    continue;
                }
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(Msg::Progress(i, p)) => {
                        let p = p.clamp(0.0, 99.9);
                        let rec = &mut r.stored.record.tasks[i];
                        if rec.state == State::Processing && p > rec.progress {
                            let _ = rec.set_progress(p);
                            r.emit(JobEvent::TaskProgress {
                                task: i,
                                progress: p,
                            });
                            if r.last_save.elapsed() > Duration::from_millis(500) {
                                r.save()?;
                            }
                        }
                    }
                    Ok(Msg::Done(i, result)) => {
                        running -= 1;
                        finish_task(r, i, *result)?;
                        r.save()?;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(EngineError::Internal("job workers vanished".into()));
                    }
                }
            }
        })();
        if let Err(e) = result {
            // Stop the workers, wait for them, keep none of their outputs, and record the
            // failure as far as the store still lets us.
            stop.store(true, Ordering::SeqCst);
            while running > 0 {
                match rx.recv() {
                    Ok(Msg::Done(_, _)) => running -= 1,
                    Ok(Msg::Progress(..)) => {}
                    Err(_) => break,
                }
            }
            let detail = ErrorDetail {
                code: ErrorCode::ErrorProcessingTask,
                message: format!("the job runner failed: {e}"),
            };
            for i in 0..n {
                if !r.stored.record.tasks[i].state.is_final() {
                    let _ = r.set_state(i, State::Error, Some(detail.clone()));
                }
            }
            let _ = r.save();
            return Err(e);
        }
        Ok(())
    })
}

/// Records a task's end: publishes its asset when the task is still Processing, drops it
/// (the staged files are deleted) when the job was canceled meanwhile.
fn finish_task(r: &mut Runner<'_>, i: usize, result: TaskResult) -> Result<(), EngineError> {
    let job = r.job;
    match result {
        Ok((staged, record)) if r.stored.record.tasks[i].state == State::Processing => {
            let asset = staged.commit(&record)?;
            if let Some(o) = r
                .stored
                .output_media_assets
                .iter_mut()
                .find(|o| o.task_id == job.tasks[i].id)
            {
                o.asset_id = Some(asset.id);
            }
            r.set_state(i, State::Finished, None)
        }
        Ok(_) | Err(EngineError::Cancelled) => {
            if r.stored.record.tasks[i].state == State::Processing {
                r.set_state(i, State::Canceling, None)?;
            }
            r.set_state(i, State::Canceled, None)
        }
        Err(e) => {
            let detail = ErrorDetail {
                code: error_code(&e),
                message: e.to_string(),
            };
            // From Processing or Canceling alike: the error is what happened.
            r.set_state(i, State::Error, Some(detail))
        }
    }
}

/// The media file task `i` reads: a job input path, or the media file of an asset (a job
/// input asset id, or the output asset of the task it chains from).
fn task_input(r: &Runner<'_>, i: usize) -> Result<PathBuf, EngineError> {
    let job = r.job;
    let asset_id: EntityId = match job.tasks[i].body.inputs[0] {
        AssetRef::JobInput(k) => match &job.inputs[k] {
            InputRef::Path(p) => return Ok(p.clone()),
            InputRef::AssetId(id) => *id,
        },
        AssetRef::JobOutput(k) => r
            .stored
            .output_media_assets
            .iter()
            .find(|o| o.index == k)
            .and_then(|o| o.asset_id)
            .ok_or_else(|| EngineError::Internal(format!("JobOutputAsset({k}) not produced")))?,
    };
    let record = r.store.asset(&asset_id.to_string())?;
    let file = record.media_file()?;
    Ok(r.store.asset_file_path(&record, file))
}

#[allow(clippy::too_many_arguments)]
fn run_task(
    store: &AssetStore,
    job: &Job,
    i: usize,
    input: &Path,
    spec: &strata_job::OutputAsset,
    limits: Limits,
    cancel: Arc<AtomicBool>,
    progress: impl Fn(f64) + Send + Sync + 'static,
) -> Result<(StagedAsset, AssetRecord), EngineError> {
    let task = &job.tasks[i];
    let options = EncodeOptions {
        limits,
        progress: Some(Arc::new(move |p: crate::Progress| {
            if p.frames_total > 0 {
                progress(100.0 * p.frames_done as f64 / p.frames_total as f64);
            }
        })),
        cancel: Some(cancel),
        overwrite: false,
        // assetFormatOption="1" (AdaptiveStreaming) asked MES for pre-fragmented output; here
        // it adds the streaming packages: Smooth as MES made, plus HLS and DASH.
        package: if spec.spec.format_option == 1 {
            crate::PackageOptions {
                hls: true,
                dash: true,
                smooth: true,
                ..crate::PackageOptions::default()
            }
        } else {
            crate::PackageOptions::default()
        },
        ..EncodeOptions::default()
    };
    let config = task.configuration.trim();
    let preset = if AutoKind::from_preset_name(config).is_some() {
        crate::resolve_preset(config, input, &options)?
    } else {
        configuration_preset(config).map_err(|source| EngineError::TaskConfiguration {
            task: job.label(i),
            source,
        })?
    };
    let staged = store.stage_asset(&job.id)?;
    let asset = crate::encode(input, &preset, &staged.files_dir(), &options)?;
    let record = AssetRecord {
        id: staged.id(),
        name: spec.name.clone(),
        created: now_ms(),
        parent_job_id: Some(job.id),
        task_id: Some(task.id),
        options: spec.spec.creation_options,
        format_option: spec.spec.format_option,
        source: None,
        files: describe_files(&asset, &staged.files_dir())?,
    };
    Ok((staged, record))
}

fn describe_files(asset: &OutputAsset, dir: &Path) -> Result<Vec<AssetFileRecord>, EngineError> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|source| EngineError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut names: Vec<(String, u64)> = Vec::new();
    for e in entries {
        let e = e.map_err(|source| EngineError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let meta = e.metadata().map_err(|source| EngineError::Io {
            path: e.path(),
            source,
        })?;
        if meta.is_dir() {
            continue; // stream/: its manifests are listed below
        }
        let size = meta.len();
        names.push((e.file_name().to_string_lossy().into_owned(), size));
    }
    names.sort();
    let name_of = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let ism = asset.server_manifest.as_deref().and_then(name_of);
    let audio = asset.audio_file.as_deref().and_then(name_of);
    let metadata = name_of(&asset.metadata);
    for (name, size) in names {
        let layer = asset.files.iter().find(|f| f.name == name);
        let kind = if layer.is_some() {
            FileKind::Video
        } else if Some(&name) == ism.as_ref() {
            FileKind::Manifest
        } else if Some(&name) == audio.as_ref() {
            FileKind::Audio
        } else if Some(&name) == metadata.as_ref() {
            FileKind::Metadata
        } else if asset
            .images
            .iter()
            .any(|im| name_of(&im.path).as_ref() == Some(&name))
        {
            FileKind::Image
        } else {
            FileKind::Other
        };
        out.push(AssetFileRecord {
            is_primary: false,
            kind,
            width: layer.map_or(0, |l| l.width),
            height: layer.map_or(0, |l| l.height),
            video_kbps: layer.map_or(0.0, |l| l.video_kbps),
            name,
            size,
        });
    }
    if let Some(p) = &asset.package {
        for m in [&p.hls, &p.dash, &p.smooth].into_iter().flatten() {
            if let Some(n) = m.file_name() {
                out.push(AssetFileRecord {
                    name: format!("{}/{}", crate::package::STREAM_DIR, n.to_string_lossy()),
                    size: std::fs::metadata(m).map_or(0, |x| x.len()),
                    is_primary: false,
                    kind: FileKind::Manifest,
                    width: 0,
                    height: 0,
                    video_kbps: 0.0,
                });
            }
        }
    }
    // MES (AMSE) marked the .ism primary; without one, the first video, else the first file.
    let primary = out
        .iter()
        .position(|f| f.kind == FileKind::Manifest && f.name.ends_with(".ism"))
        .or_else(|| out.iter().position(|f| f.kind == FileKind::Video))
        .or_else(|| (!out.is_empty()).then_some(0));
    if let Some(p) = primary {
        out[p].is_primary = true;
    }
    Ok(out)
}
