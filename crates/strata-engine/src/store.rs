//! The local asset store: a folder that stands in for a Media Services account.
//!
//! ```text
//! STORE/
//!   assets/asset-<guid>/asset.json      the asset record (id nb:cid:UUID:<guid>, name, files)
//!   assets/asset-<guid>/files/…         the asset's files
//!   jobs/job-<guid>/definition.json     the job as submitted (request-body shape)
//!   jobs/job-<guid>/record.json         states, progress, times, errors, output asset ids
//!   jobs/job-<guid>/lock                held (advisory file lock) while a process runs the job
//!   templates/jobtemplate-<guid>.json   immutable job templates
//!   staging/job-<guid>/asset-<guid>/…   assets being written; moved into assets/ when complete
//! ```
//!
//! Every folder and file name is built from a GUID the store generated or parsed, never from
//! a user-given name, so asset names, job names and FileName macros cannot reach outside the
//! store. Records are written to a temporary file and renamed, so a reader never sees half a
//! record, and an asset appears in `assets/` only once its files and record are complete.
//!
//! A job record whose state is not final while no process holds the job's lock belongs to a
//! run that was killed: [`AssetStore::recover`] marks its unfinished tasks as failed with an
//! "interrupted" error and deletes what that run had staged.

use crate::EngineError;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use strata_job::{EntityId, EntityKind, ErrorCode, ErrorDetail, Job, JobRecord, JobTemplate};

/// What an asset file holds, as far as a later task cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileKind {
    /// An MP4 with a video track.
    Video,
    /// An audio-only MP4.
    Audio,
    /// A thumbnail image.
    Image,
    /// A streaming manifest (`.ism`).
    Manifest,
    /// The `_manifest.xml` metadata.
    Metadata,
    /// Anything else (an imported file of unknown kind).
    Other,
}

/// One file of an asset (MES `AssetFile`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssetFileRecord {
    /// File name inside the asset's `files/` folder.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// The MES primary file: the `.ism` of an MP4 set (as AMSE set it), else the single or
    /// first media file.
    pub is_primary: bool,
    /// What it holds.
    pub kind: FileKind,
    /// Video width (0 when not video).
    #[serde(default)]
    pub width: u32,
    /// Video height.
    #[serde(default)]
    pub height: u32,
    /// Measured video bitrate, kbps (0 when not video).
    #[serde(default)]
    pub video_kbps: f64,
}

/// The JSON record of an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssetRecord {
    /// `nb:cid:UUID:…`.
    pub id: EntityId,
    /// The asset name (MES naming rules, sanitised); display only, never a path.
    pub name: String,
    /// Creation time, unix ms.
    pub created: u64,
    /// The job that produced it.
    #[serde(default)]
    pub parent_job_id: Option<EntityId>,
    /// The task that produced it.
    #[serde(default)]
    pub task_id: Option<EntityId>,
    /// `assetCreationOptions` of the `<outputAsset>` (0 for imports).
    #[serde(default)]
    pub options: u32,
    /// `assetFormatOption` of the `<outputAsset>`.
    #[serde(default)]
    pub format_option: u32,
    /// For an imported asset: the file it was copied from.
    #[serde(default)]
    pub source: Option<String>,
    /// The files.
    pub files: Vec<AssetFileRecord>,
}

impl AssetRecord {
    /// The file a task reads when this asset is its input: the highest-bitrate video MP4
    /// (the best rendition of an MP4 set), else the primary file when it is not a manifest
    /// or metadata, else the first audio file.
    ///
    /// # Errors
    /// [`EngineError::NoMediaInAsset`] when the asset holds only images, manifests or
    /// metadata.
    pub fn media_file(&self) -> Result<&AssetFileRecord, EngineError> {
        let best_video = self
            .files
            .iter()
            .filter(|f| f.kind == FileKind::Video)
            .max_by(|a, b| {
                (u64::from(a.width) * u64::from(a.height), a.video_kbps)
                    .partial_cmp(&(u64::from(b.width) * u64::from(b.height), b.video_kbps))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        best_video
            .or_else(|| {
                self.files
                    .iter()
                    .find(|f| f.is_primary && matches!(f.kind, FileKind::Other | FileKind::Audio))
            })
            .or_else(|| self.files.iter().find(|f| f.kind == FileKind::Audio))
            .ok_or_else(|| EngineError::NoMediaInAsset {
                id: self.id.to_string(),
                files: self
                    .files
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// One output asset of a stored job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OutputAssetRecord {
    /// The `n` of `JobOutputAsset(n)`.
    pub index: usize,
    /// Its name (MES naming rules).
    pub name: String,
    /// The producing task.
    pub task_id: EntityId,
    /// The asset id once the task finished (`None` before, or when it failed).
    pub asset_id: Option<EntityId>,
}

/// A job's persisted state: the MES job record plus the assets it reads and writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StoredJob {
    /// States, times, progress and errors (MES property names).
    #[serde(flatten)]
    pub record: JobRecord,
    /// Job progress, 0–100 (mean of the tasks').
    pub progress: f64,
    /// `InputMediaAssets` as resolved: absolute paths or asset ids.
    pub input_media_assets: Vec<String>,
    /// The output assets, by index.
    pub output_media_assets: Vec<OutputAssetRecord>,
}

/// A job as read back from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct JobStatus {
    /// The persisted record.
    pub job: StoredJob,
    /// A process holds the job's lock right now.
    pub running: bool,
}

impl JobStatus {
    /// Not final, and no process is running it: the run was killed (until
    /// [`AssetStore::recover`] records that).
    #[must_use]
    pub fn interrupted(&self) -> bool {
        !self.running && !self.job.record.state.is_final()
    }
}

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` through a temporary sibling and a rename, so readers see the old
/// or the new content, never a part.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    let tmp = path.with_extension(
        format!(
            "tmp-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        )
        .replace(['(', ')'], ""),
    );
    {
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        EngineError::Io {
            path: path.to_path_buf(),
            source: e,
        }
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EngineError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    serde_json::from_str(&text).map_err(|e| EngineError::StoreRecord {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, EngineError> {
    serde_json::to_vec_pretty(value).map_err(|e| EngineError::Internal(e.to_string()))
}

/// A handle on a store folder.
#[derive(Debug, Clone)]
pub struct AssetStore {
    root: PathBuf,
}

/// An asset being written: its files go into [`StagedAsset::files_dir`]; dropping it without
/// [`StagedAsset::commit`] deletes everything.
#[derive(Debug)]
pub struct StagedAsset {
    id: EntityId,
    dir: PathBuf,
    target: PathBuf,
    done: bool,
}

impl StagedAsset {
    /// The id the asset will have.
    #[must_use]
    pub fn id(&self) -> EntityId {
        self.id
    }

    /// Where the task writes the asset's files (does not exist yet: the engine creates it
    /// atomically).
    #[must_use]
    pub fn files_dir(&self) -> PathBuf {
        self.dir.join("files")
    }

    /// Writes the record and moves the asset into the store in one rename.
    ///
    /// # Errors
    /// [`EngineError::Io`]; the staged files are then deleted.
    pub fn commit(mut self, record: &AssetRecord) -> Result<AssetRecord, EngineError> {
        write_atomic(&self.dir.join("asset.json"), &to_json(record)?)?;
        fs::rename(&self.dir, &self.target).map_err(io(&self.target))?;
        self.done = true;
        Ok(record.clone())
    }
}

impl Drop for StagedAsset {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A job owned by this process: its lock is held until the handle drops.
#[derive(Debug)]
pub struct JobHandle {
    dir: PathBuf,
    _lock: File,
}

impl JobHandle {
    /// Persists `job` as the job's record.
    ///
    /// # Errors
    /// [`EngineError::Io`].
    pub fn save(&self, job: &StoredJob) -> Result<(), EngineError> {
        write_atomic(&self.dir.join("record.json"), &to_json(job)?)
    }
}

fn guid_of(id: &EntityId) -> String {
    id.uuid().to_string()
}

impl AssetStore {
    /// Opens (creating when missing) the store at `root`.
    ///
    /// # Errors
    /// [`EngineError::Io`] when the folders cannot be created.
    pub fn open(root: impl AsRef<Path>) -> Result<AssetStore, EngineError> {
        let root = std::path::absolute(root.as_ref()).map_err(io(root.as_ref()))?;
        for sub in ["assets", "jobs", "templates", "staging"] {
            let p = root.join(sub);
            fs::create_dir_all(&p).map_err(io(&p))?;
        }
        Ok(AssetStore { root })
    }

    /// The store folder.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn asset_dir(&self, id: &EntityId) -> PathBuf {
        self.root
            .join("assets")
            .join(format!("asset-{}", guid_of(id)))
    }

    fn job_dir(&self, id: &EntityId) -> PathBuf {
        self.root.join("jobs").join(format!("job-{}", guid_of(id)))
    }

    fn job_staging(&self, id: &EntityId) -> PathBuf {
        self.root
            .join("staging")
            .join(format!("job-{}", guid_of(id)))
    }

    fn template_path(&self, id: &EntityId) -> PathBuf {
        self.root
            .join("templates")
            .join(format!("jobtemplate-{}.json", guid_of(id)))
    }

    fn parse_id(text: &str, kind: EntityKind) -> Result<EntityId, EngineError> {
        // A bare GUID is accepted for convenience on the command line.
        let full = if text.starts_with("nb:") || text.starts_with("nb%3") {
            text.to_string()
        } else {
            format!("nb:{}:UUID:{text}", kind.tag())
        };
        Ok(EntityId::parse_kind(&full, kind)?)
    }

    /// Reads an asset's record. `id` is `nb:cid:UUID:…` or the bare GUID.
    ///
    /// # Errors
    /// [`EngineError::Job`] for a malformed id, [`EngineError::NotInStore`],
    /// [`EngineError::StoreRecord`].
    pub fn asset(&self, id: &str) -> Result<AssetRecord, EngineError> {
        let id = Self::parse_id(id, EntityKind::Asset)?;
        let path = self.asset_dir(&id).join("asset.json");
        if !path.is_file() {
            return Err(self.missing("asset", id.to_string()));
        }
        read_json(&path)
    }

    /// The path of `file` inside asset `record`.
    #[must_use]
    pub fn asset_file_path(&self, record: &AssetRecord, file: &AssetFileRecord) -> PathBuf {
        self.asset_dir(&record.id).join("files").join(&file.name)
    }

    /// The folder holding an asset's files.
    #[must_use]
    pub fn asset_files_dir(&self, id: &EntityId) -> PathBuf {
        self.asset_dir(id).join("files")
    }

    fn missing(&self, kind: &'static str, id: String) -> EngineError {
        EngineError::NotInStore {
            kind,
            id,
            store: self.root.clone(),
        }
    }

    /// Every asset record, oldest first.
    ///
    /// # Errors
    /// [`EngineError::Io`], [`EngineError::StoreRecord`].
    pub fn assets(&self) -> Result<Vec<AssetRecord>, EngineError> {
        let mut out: Vec<AssetRecord> = self
            .entries("assets")?
            .into_iter()
            .filter_map(|p| {
                let rec = p.join("asset.json");
                rec.is_file().then(|| read_json(&rec))
            })
            .collect::<Result<_, _>>()?;
        out.sort_by_key(|a| (a.created, a.id.to_string()));
        Ok(out)
    }

    fn entries(&self, sub: &str) -> Result<Vec<PathBuf>, EngineError> {
        let dir = self.root.join(sub);
        let mut out = Vec::new();
        for e in fs::read_dir(&dir).map_err(io(&dir))? {
            out.push(e.map_err(io(&dir))?.path());
        }
        out.sort();
        Ok(out)
    }

    /// Starts a new asset for job `job`: a staging folder removed unless committed.
    ///
    /// # Errors
    /// [`EngineError::Io`].
    pub fn stage_asset(&self, job: &EntityId) -> Result<StagedAsset, EngineError> {
        let id = EntityId::new_asset();
        let dir = self
            .job_staging(job)
            .join(format!("asset-{}", guid_of(&id)));
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(StagedAsset {
            target: self.asset_dir(&id),
            id,
            dir,
            done: false,
        })
    }

    /// Copies a media file into the store as a new asset named `name` (default: the file
    /// name) and returns its record.
    ///
    /// # Errors
    /// [`EngineError::Io`] when the file cannot be read or copied.
    pub fn import(&self, file: &Path, name: Option<&str>) -> Result<AssetRecord, EngineError> {
        let meta = fs::metadata(file).map_err(io(file))?;
        if !meta.is_file() {
            return Err(EngineError::Io {
                path: file.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file"),
            });
        }
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "input".into());
        let safe = strata_preset::sanitize_file_name(&file_name).unwrap_or_else(|_| "input".into());
        let id = EntityId::new_asset();
        let dir = self
            .root
            .join("staging")
            .join(format!("import-{}", guid_of(&id)));
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        // Held while copying so a recovery in another process leaves this import alone.
        let lock_path = self
            .root
            .join("staging")
            .join(format!("import-{}.lock", guid_of(&id)));
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        let _ = lock.try_lock();
        let staged = StagedAsset {
            target: self.asset_dir(&id),
            id,
            dir,
            done: false,
        };
        let files = staged.files_dir();
        fs::create_dir_all(&files).map_err(io(&files))?;
        let size = fs::copy(file, files.join(&safe)).map_err(io(file))?;
        let record = AssetRecord {
            id: staged.id(),
            name: strata_job::sanitize_asset_name(name.unwrap_or(&file_name)),
            created: now_ms(),
            parent_job_id: None,
            task_id: None,
            options: 0,
            format_option: 0,
            source: Some(file.to_string_lossy().into_owned()),
            files: vec![AssetFileRecord {
                name: safe,
                size,
                is_primary: true,
                kind: FileKind::Other,
                width: 0,
                height: 0,
                video_kbps: 0.0,
            }],
        };
        let out = staged.commit(&record);
        drop(lock);
        let _ = fs::remove_file(&lock_path);
        out
    }

    /// Stores a new job template.
    ///
    /// # Errors
    /// [`EngineError::TemplateExists`] when a template with its id is stored already
    /// (templates are immutable); [`EngineError::Io`].
    pub fn save_template(&self, template: &JobTemplate) -> Result<(), EngineError> {
        let path = self.template_path(&template.id());
        // Write a temporary file, then hard-link it to the final name: the link fails when the
        // name exists (two creators of one id cannot both win) and readers never see half a
        // template.
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        write_atomic(&tmp, template.to_json().as_bytes())?;
        let linked = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(EngineError::TemplateExists {
                    id: template.id().to_string(),
                })
            }
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Reads a job template. `id` is `nb:jtid:UUID:…` or the bare GUID.
    ///
    /// # Errors
    /// [`EngineError::Job`] for a malformed id or template, [`EngineError::NotInStore`].
    pub fn template(&self, id: &str) -> Result<JobTemplate, EngineError> {
        let id = Self::parse_id(id, EntityKind::JobTemplate)?;
        let path = self.template_path(&id);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(self.missing("job template", id.to_string()))
            }
            Err(e) => return Err(io(&path)(e)),
        };
        Ok(JobTemplate::from_json(&text)?)
    }

    /// Every stored job template.
    ///
    /// # Errors
    /// As [`AssetStore::template`].
    pub fn templates(&self) -> Result<Vec<JobTemplate>, EngineError> {
        self.entries("templates")?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                let text = fs::read_to_string(&p).map_err(io(&p))?;
                Ok(JobTemplate::from_json(&text)?)
            })
            .collect()
    }

    /// Registers a new job: writes its definition and first record and takes its lock.
    ///
    /// # Errors
    /// [`EngineError::Io`].
    pub fn create_job(&self, job: &Job, stored: &StoredJob) -> Result<JobHandle, EngineError> {
        let dir = self.job_dir(&job.id);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let lock_path = dir.join("lock");
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        lock.try_lock().map_err(|e| EngineError::Io {
            path: lock_path.clone(),
            source: std::io::Error::other(format!("cannot lock a new job: {e}")),
        })?;
        write_atomic(&dir.join("definition.json"), job.to_json().as_bytes())?;
        let handle = JobHandle { dir, _lock: lock };
        handle.save(stored)?;
        Ok(handle)
    }

    /// Reads a job's record and whether a process is running it. `id` is `nb:jid:UUID:…`
    /// or the bare GUID.
    ///
    /// # Errors
    /// [`EngineError::Job`] for a malformed id, [`EngineError::NotInStore`],
    /// [`EngineError::StoreRecord`].
    pub fn job(&self, id: &str) -> Result<JobStatus, EngineError> {
        let id = Self::parse_id(id, EntityKind::Job)?;
        let dir = self.job_dir(&id);
        let path = dir.join("record.json");
        if !path.is_file() {
            return Err(self.missing("job", id.to_string()));
        }
        let job: StoredJob = read_json(&path)?;
        Ok(JobStatus {
            running: Self::locked(&dir),
            job,
        })
    }

    /// The job's definition as submitted (request-body JSON).
    ///
    /// # Errors
    /// As [`AssetStore::job`].
    pub fn job_definition(&self, id: &str) -> Result<Job, EngineError> {
        let id = Self::parse_id(id, EntityKind::Job)?;
        let path = self.job_dir(&id).join("definition.json");
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(self.missing("job", id.to_string()))
            }
            Err(e) => return Err(io(&path)(e)),
        };
        Ok(Job::from_json(&text)?)
    }

    /// Every job, oldest first.
    ///
    /// # Errors
    /// As [`AssetStore::job`].
    pub fn jobs(&self) -> Result<Vec<JobStatus>, EngineError> {
        let mut out = Vec::new();
        for dir in self.entries("jobs")? {
            let path = dir.join("record.json");
            if path.is_file() {
                out.push(JobStatus {
                    job: read_json(&path)?,
                    running: Self::locked(&dir),
                });
            }
        }
        out.sort_by_key(|j| (j.job.record.created, j.job.record.id.to_string()));
        Ok(out)
    }

    fn locked(job_dir: &Path) -> bool {
        let Ok(f) = File::open(job_dir.join("lock")) else {
            return false;
        };
        // A shared lock is refused only while a runner holds the exclusive one; two probes
        // never refuse each other. Released on drop.
        matches!(f.try_lock_shared(), Err(fs::TryLockError::WouldBlock))
    }

    /// Finalises the records of runs that were killed and deletes what they had staged:
    /// each unfinished task moves to Error with an "interrupted" detail, the job's end time
    /// is set, and its staging folder removed. Returns the ids of the jobs so marked.
    ///
    /// # Errors
    /// [`EngineError::Io`], [`EngineError::StoreRecord`].
    pub fn recover(&self) -> Result<Vec<EntityId>, EngineError> {
        let mut marked = Vec::new();
        for dir in self.entries("jobs")? {
            let path = dir.join("record.json");
            if !path.is_file() {
                continue;
            }
            let lock_path = dir.join("lock");
            let Ok(lock) = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)
            else {
                continue;
            };
            // Hold the lock while repairing, so a run starting now cannot race us.
            if lock.try_lock().is_err() {
                continue;
            }
            let mut job: StoredJob = read_json(&path)?;
            if job.record.state.is_final() {
                continue;
            }
            let now = now_ms();
            for t in &mut job.record.tasks {
                if !t.state.is_final() {
                    let _ = t.fail(
                        ErrorDetail {
                            code: ErrorCode::ErrorProcessingTask,
                            message: "interrupted: the process running this job stopped before the task finished; nothing it wrote was kept (re-run the job)".into(),
                        },
                        now,
                    );
                }
            }
            job.record.refresh(now);
            job.progress = job.record.progress();
            write_atomic(&path, &to_json(&job)?)?;
            let staging = self.job_staging(&job.record.id);
            if staging.exists() {
                fs::remove_dir_all(&staging).map_err(io(&staging))?;
            }
            // An asset published just before the kill but never recorded belongs to nobody.
            let kept: Vec<EntityId> = job
                .output_media_assets
                .iter()
                .filter_map(|o| o.asset_id)
                .collect();
            for a in self.assets()? {
                if a.parent_job_id == Some(job.record.id) && !kept.contains(&a.id) {
                    self.delete_asset(&a.id)?;
                }
            }
            marked.push(job.record.id);
        }
        // What is left in staging by runs that are no longer running: their jobs were just
        // repaired above, or never got a record; half-deleted assets; imports cut short
        // (an import holds no lock, so only old ones are removed).
        for dir in self.entries("staging")? {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stale = if let Some(guid) = name.strip_prefix("job-") {
                !Self::locked(&self.root.join("jobs").join(format!("job-{guid}")))
            } else if name.starts_with("deleted-") {
                true
            } else if let Some(rest) = name.strip_prefix("import-") {
                // An import in progress holds import-<guid>.lock; a stale lock file goes too.
                let guid = rest.trim_end_matches(".lock");
                let lock = self
                    .root
                    .join("staging")
                    .join(format!("import-{guid}.lock"));
                !matches!(
                    File::open(&lock).map(|f| f.try_lock_shared()),
                    Ok(Err(fs::TryLockError::WouldBlock))
                )
            } else {
                false
            };
            if stale {
                if dir.is_dir() {
                    let _ = fs::remove_dir_all(&dir);
                } else {
                    let _ = fs::remove_file(&dir);
                }
            }
        }
        Ok(marked)
    }

    /// Deletes an asset: first moved out of `assets/` in one rename, so a reader never sees
    /// it half deleted.
    pub(crate) fn delete_asset(&self, id: &EntityId) -> Result<(), EngineError> {
        let dir = self.asset_dir(id);
        let doomed = self
            .root
            .join("staging")
            .join(format!("deleted-{}", guid_of(id)));
        fs::rename(&dir, &doomed).map_err(io(&dir))?;
        fs::remove_dir_all(&doomed).map_err(io(&doomed))
    }

    /// Removes a finished job's empty staging folder.
    pub(crate) fn clear_staging(&self, job: &EntityId) {
        let _ = fs::remove_dir_all(self.job_staging(job));
    }
}
