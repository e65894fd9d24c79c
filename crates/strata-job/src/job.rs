//! Jobs and tasks: parsing the Media Services request body, validation and ordering.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::id::{EntityId, EntityKind};
use crate::naming::{mes_output_asset_name, sanitize_asset_name};
use crate::processor::MediaProcessor;
use crate::taskbody::{AssetRef, OutputSpec, TaskBody};
use crate::JobError;

/// Most tasks in one job (§5.6, fixed).
pub const MAX_TASKS_PER_JOB: usize = 30;
/// Most assets (inputs + outputs) one task may reference (§5.6).
pub const MAX_ASSETS_PER_TASK: usize = 50;
/// Most assets (job inputs + job outputs) in one job (§5.6).
pub const MAX_ASSETS_PER_JOB: usize = 100;
/// Longest job name (§5.3).
pub const MAX_JOB_NAME_CHARS: usize = 256;
/// Longest task name (§5.4).
pub const MAX_TASK_NAME_CHARS: usize = 4000;
/// Longest task configuration (§5.4).
pub const MAX_CONFIGURATION_CHARS: usize = 100_000;

/// Task option flags (§5.4): None 0, ProtectedConfiguration 1,
/// DoNotDeleteOutputAssetOnFailure 2, DoNotCancelOnJobFailure 4.
pub const TASK_OPTIONS_MASK: u32 = 0b111;

/// One job input: a local file or folder, or an asset already in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputRef {
    /// A path; relative paths are relative to the job file's folder (see [`InputRef::resolve`]).
    Path(PathBuf),
    /// An asset id `nb:cid:UUID:…`.
    AssetId(EntityId),
}

impl InputRef {
    /// Reads an input uri: an asset id (`nb:cid:UUID:…`, also URL-encoded or inside a Media
    /// Services `…/Assets('nb%3Acid%3AUUID%3A…')` URL), a `file://` URL (percent-decoded), or a
    /// plain path.
    ///
    /// # Errors
    ///
    /// [`JobError::InvalidInputUri`] for an empty uri, an id of another entity type, an
    /// `http(s)` URL that is not an `Assets('…')` reference, or a malformed `file://` URL.
    pub fn from_uri(uri: &str) -> Result<Self, JobError> {
        let bad = |reason: &str| JobError::InvalidInputUri {
            uri: uri.to_string(),
            reason: reason.to_string(),
        };
        let t = uri.trim();
        if t.is_empty() {
            return Err(bad("empty"));
        }
        let lower = t.to_ascii_lowercase();
        if let Some(pos) = lower.find("assets('") {
            let rest = &t[pos + "assets('".len()..];
            let end = rest
                .find("')")
                .ok_or_else(|| bad("unterminated Assets('…')"))?;
            return Self::asset_id(&rest[..end]).map_err(|e| bad(&e.to_string()));
        }
        if lower.starts_with("nb:") || lower.starts_with("nb%3a") {
            return Self::asset_id(t).map_err(|e| bad(&e.to_string()));
        }
        if lower.starts_with("file://") {
            let rest = &t["file://".len()..];
            let path = if rest.starts_with('/') {
                rest
            } else if let Some(p) = rest.strip_prefix("localhost") {
                p
            } else {
                return Err(bad(
                    "file:// URLs must name a local path (file:///path or file://localhost/path)",
                ));
            };
            let decoded = percent_decode(path).ok_or_else(|| bad("bad percent-encoding"))?;
            return Ok(InputRef::Path(PathBuf::from(decoded)));
        }
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Err(bad(
                "remote URLs are not supported; give a local path, a file:// URL or an asset id",
            ));
        }
        Ok(InputRef::Path(PathBuf::from(t)))
    }

    fn asset_id(text: &str) -> Result<Self, JobError> {
        EntityId::parse_kind(text, EntityKind::Asset).map(InputRef::AssetId)
    }

    /// The same input with a relative path joined onto `base` (the job file's folder).
    /// Absolute paths and asset ids are returned unchanged.
    #[must_use]
    pub fn resolve(&self, base: &Path) -> InputRef {
        match self {
            InputRef::Path(p) if p.is_relative() => InputRef::Path(base.join(p)),
            other => other.clone(),
        }
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// One task of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Task id (`nb:tid:UUID:…`), generated.
    pub id: EntityId,
    /// Optional name (≤ 4000 chars).
    pub name: Option<String>,
    /// A system preset name or an inline JSON/XML preset, kept as text.
    pub configuration: String,
    /// `MediaProcessorId` as given (the MES id or name); checked by [`Job::validate`].
    pub processor_id: String,
    /// The parsed task body.
    pub body: TaskBody,
    /// Priority (higher first), default 0.
    pub priority: i32,
    /// Task option flags ([`TASK_OPTIONS_MASK`]).
    pub options: u32,
}

/// A job: inputs plus up to 30 tasks, not yet run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Job id (`nb:jid:UUID:…`), generated.
    pub id: EntityId,
    /// Optional name (≤ 256 chars); used in default output-asset names.
    pub name: Option<String>,
    /// Priority (higher first), default 0.
    pub priority: i32,
    /// The template the job was created from (`nb:jtid:…`), if any.
    pub template_id: Option<EntityId>,
    /// `InputMediaAssets`, indexed by `JobInputAsset(n)`.
    pub inputs: Vec<InputRef>,
    /// The tasks, in definition order. Empty for a job that names a template and has not had
    /// it applied yet (see [`crate::JobTemplate::apply_to`]).
    pub tasks: Vec<Task>,
}

/// One output asset of a job, with its final (sanitised) name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputAsset {
    /// The `n` of `JobOutputAsset(n)`.
    pub index: usize,
    /// Index in [`Job::tasks`] of the task that produces it.
    pub task: usize,
    /// The sanitised name (see [`crate::sanitize_asset_name`]).
    pub name: String,
    /// The `<outputAsset>` attributes.
    pub spec: OutputSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobJson {
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "Priority", default)]
    priority: Option<i32>,
    #[serde(rename = "TemplateId", default)]
    template_id: Option<String>,
    #[serde(rename = "InputMediaAssets", default)]
    inputs: Option<Vec<serde_json::Value>>,
    #[serde(rename = "InputMediaAssets@odata.bind", default)]
    inputs_bind: Option<Vec<String>>,
    #[serde(rename = "Tasks", default)]
    tasks: Option<Vec<TaskJson>>,
    #[serde(rename = "JobNotificationSubscriptions", default)]
    _subscriptions: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskJson {
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "Configuration")]
    configuration: String,
    #[serde(rename = "MediaProcessorId")]
    processor_id: String,
    #[serde(rename = "TaskBody")]
    body: String,
    #[serde(rename = "Priority", default)]
    priority: Option<i32>,
    #[serde(rename = "Options", default)]
    options: Option<u32>,
    #[serde(rename = "TaskNotificationSubscriptions", default)]
    _subscriptions: Option<serde_json::Value>,
}

fn input_from_value(i: usize, value: &serde_json::Value) -> Result<InputRef, JobError> {
    let uri = match value {
        serde_json::Value::String(s) => Some(s.as_str()),
        serde_json::Value::Object(map) if map.len() == 1 => map
            .get("__metadata")
            .and_then(|m| m.as_object())
            .filter(|m| m.len() == 1)
            .and_then(|m| m.get("uri"))
            .and_then(|u| u.as_str()),
        _ => None,
    };
    let uri = uri.ok_or_else(|| JobError::InvalidDefinition {
        message: format!(
            "InputMediaAssets[{i}] must be a string or {{\"__metadata\": {{\"uri\": \"…\"}}}}, found {value}"
        ),
    })?;
    InputRef::from_uri(uri)
}

impl Job {
    /// Parses a job definition in the Media Services request-body shape (`Name`,
    /// `InputMediaAssets` or `InputMediaAssets@odata.bind`, `Tasks`, `TemplateId`, `Priority`,
    /// `JobNotificationSubscriptions`; tasks with `Name`, `Configuration`, `MediaProcessorId`,
    /// `TaskBody`, `Priority`, `Options`, `TaskNotificationSubscriptions`). Other keys
    /// (including read-only ones such as `Id` or `State`) are rejected by name. Ids are
    /// generated. Relative input paths are kept as given; see [`Job::resolve_inputs`].
    ///
    /// This checks shape only; call [`Job::validate`] before running.
    ///
    /// # Errors
    ///
    /// [`JobError::Json`] for syntax, types, missing or unknown keys;
    /// [`JobError::InvalidDefinition`] for a bad input element, both input spellings, no
    /// inputs, neither `Tasks` nor `TemplateId`, bad `Options`, or a name/configuration over
    /// its length limit; [`JobError::InvalidInputUri`]; [`JobError::InvalidId`] /
    /// [`JobError::WrongIdKind`] for `TemplateId`; [`JobError::InvalidTaskBody`] (its message
    /// names the task).
    pub fn from_json(text: &str) -> Result<Job, JobError> {
        let raw: JobJson = serde_json::from_str(text)?;
        let def = |message: String| JobError::InvalidDefinition { message };
        let inputs = match (raw.inputs, raw.inputs_bind) {
            (Some(_), Some(_)) => {
                return Err(def(
                    "give InputMediaAssets or InputMediaAssets@odata.bind, not both".into(),
                ))
            }
            (Some(v), None) => v
                .iter()
                .enumerate()
                .map(|(i, v)| input_from_value(i, v))
                .collect::<Result<Vec<_>, _>>()?,
            (None, Some(v)) => v
                .iter()
                .map(|u| InputRef::from_uri(u))
                .collect::<Result<Vec<_>, _>>()?,
            (None, None) => Vec::new(),
        };
        if inputs.is_empty() {
            return Err(def(
                "InputMediaAssets is required and must not be empty".into()
            ));
        }
        if let Some(name) = &raw.name {
            check_len("Name", name, MAX_JOB_NAME_CHARS)?;
        }
        let template_id = raw
            .template_id
            .as_deref()
            .map(|t| EntityId::parse_kind(t, EntityKind::JobTemplate))
            .transpose()?;
        let tasks_json = raw.tasks.unwrap_or_default();
        if tasks_json.is_empty() && template_id.is_none() {
            return Err(def("the job has no Tasks and no TemplateId".into()));
        }
        if !tasks_json.is_empty() && template_id.is_some() {
            return Err(def("give Tasks or TemplateId, not both".into()));
        }
        let mut tasks = Vec::with_capacity(tasks_json.len());
        for (i, t) in tasks_json.into_iter().enumerate() {
            let label = task_label(i, t.name.as_deref());
            if let Some(name) = &t.name {
                check_len(&format!("{label}: Name"), name, MAX_TASK_NAME_CHARS)?;
            }
            check_len(
                &format!("{label}: Configuration"),
                &t.configuration,
                MAX_CONFIGURATION_CHARS,
            )?;
            let options = t.options.unwrap_or(0);
            if options & !TASK_OPTIONS_MASK != 0 {
                return Err(def(format!("{label}: Options={options} has unknown flags (allowed: 0, 1, 2, 4 and their sums)")));
            }
            MediaProcessor::resolve(&t.processor_id).map_err(|_| JobError::UnknownProcessor {
                task: Some(label.clone()),
                processor: t.processor_id.clone(),
            })?;
            let body = TaskBody::parse(&t.body).map_err(|e| match e {
                JobError::InvalidTaskBody { message } => JobError::InvalidTaskBody {
                    message: format!("{label}: {message}"),
                },
                other => other,
            })?;
            tasks.push(Task {
                id: EntityId::new_task(),
                name: t.name,
                configuration: t.configuration,
                processor_id: t.processor_id,
                body,
                priority: t.priority.unwrap_or(0),
                options,
            });
        }
        Ok(Job {
            id: EntityId::new_job(),
            name: raw.name,
            priority: raw.priority.unwrap_or(0),
            template_id,
            inputs,
            tasks,
        })
    }

    /// Joins every relative input path onto `base` (normally the job file's folder).
    pub fn resolve_inputs(&mut self, base: &Path) {
        for input in &mut self.inputs {
            *input = input.resolve(base);
        }
    }

    /// Checks the job before anything runs and returns the task indices in a dependency order
    /// (producers before consumers; among ready tasks the lowest index first, so unrelated
    /// tasks keep their definition order).
    ///
    /// Rules, checked in this order: at least one task, at most [`MAX_TASKS_PER_JOB`]; at
    /// least one input; every `MediaProcessorId` is MES; asset limits; every
    /// `JobInputAsset(n)` within `InputMediaAssets`; each `JobOutputAsset(n)` produced once;
    /// output indices without gaps (`0..=max`); no task consumes its own output; every
    /// consumed `JobOutputAsset(n)` is produced; no cycles.
    ///
    /// # Errors
    ///
    /// [`JobError::NoTasks`], [`JobError::TooManyTasks`], [`JobError::NoInputs`],
    /// [`JobError::UnknownProcessor`], [`JobError::TooManyAssets`],
    /// [`JobError::InputIndexOutOfRange`], [`JobError::OutputProducedTwice`],
    /// [`JobError::OutputIndexGap`], [`JobError::SelfReference`],
    /// [`JobError::UnproducedInput`], [`JobError::Cycle`].
    pub fn validate(&self) -> Result<Vec<usize>, JobError> {
        if self.tasks.is_empty() {
            return Err(JobError::NoTasks);
        }
        if self.tasks.len() > MAX_TASKS_PER_JOB {
            return Err(JobError::TooManyTasks {
                count: self.tasks.len(),
            });
        }
        if self.inputs.is_empty() {
            return Err(JobError::NoInputs);
        }
        for (i, t) in self.tasks.iter().enumerate() {
            MediaProcessor::resolve(&t.processor_id).map_err(|_| JobError::UnknownProcessor {
                task: Some(self.label(i)),
                processor: t.processor_id.clone(),
            })?;
            let n = t.body.inputs.len() + t.body.outputs.len();
            if n > MAX_ASSETS_PER_TASK {
                return Err(JobError::TooManyAssets {
                    scope: self.label(i),
                    count: n,
                    max: MAX_ASSETS_PER_TASK,
                });
            }
        }
        // producer of each output index
        let mut producer: BTreeMap<usize, usize> = BTreeMap::new();
        for (i, t) in self.tasks.iter().enumerate() {
            for input in &t.body.inputs {
                if let AssetRef::JobInput(n) = *input {
                    if n >= self.inputs.len() {
                        return Err(JobError::InputIndexOutOfRange {
                            task: self.label(i),
                            index: n,
                            count: self.inputs.len(),
                        });
                    }
                }
            }
            for o in &t.body.outputs {
                if let Some(&first) = producer.get(&o.index) {
                    return Err(JobError::OutputProducedTwice {
                        index: o.index,
                        first: self.label(first),
                        second: self.label(i),
                    });
                }
                producer.insert(o.index, i);
            }
        }
        let total = self.inputs.len() + producer.len();
        if total > MAX_ASSETS_PER_JOB {
            return Err(JobError::TooManyAssets {
                scope: "the job".into(),
                count: total,
                max: MAX_ASSETS_PER_JOB,
            });
        }
        if let Some((&highest, _)) = producer.last_key_value() {
            if let Some(missing) = (0..=highest).find(|k| !producer.contains_key(k)) {
                return Err(JobError::OutputIndexGap { missing, highest });
            }
        }
        // edges: producer -> consumer
        let n = self.tasks.len();
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, t) in self.tasks.iter().enumerate() {
            for input in &t.body.inputs {
                if let AssetRef::JobOutput(k) = *input {
                    match producer.get(&k) {
                        Some(&p) if p == i => {
                            return Err(JobError::SelfReference {
                                task: self.label(i),
                                index: k,
                            })
                        }
                        Some(&p) => {
                            if !deps[i].contains(&p) {
                                deps[i].push(p);
                            }
                        }
                        None => {
                            return Err(JobError::UnproducedInput {
                                task: self.label(i),
                                index: k,
                            })
                        }
                    }
                }
            }
        }
        let mut done = vec![false; n];
        let mut order = Vec::with_capacity(n);
        while order.len() < n {
            let next = (0..n).find(|&i| !done[i] && deps[i].iter().all(|&d| done[d]));
            match next {
                Some(i) => {
                    done[i] = true;
                    order.push(i);
                }
                None => {
                    let tasks = (0..n)
                        .filter(|&i| !done[i])
                        .map(|i| self.label(i))
                        .collect();
                    return Err(JobError::Cycle { tasks });
                }
            }
        }
        Ok(order)
    }

    /// The job's output assets in `JobOutputAsset` index order, each with its name per §5.6
    /// (`assetName`, else `JobOutputAsset(n)_<job Name>`, else `JobOutputAsset(n)_<job Id>`),
    /// sanitised with [`crate::sanitize_asset_name`]. Meaningful after [`Job::validate`].
    #[must_use]
    pub fn output_assets(&self) -> Vec<OutputAsset> {
        let mut out: Vec<OutputAsset> = self
            .tasks
            .iter()
            .enumerate()
            .flat_map(|(i, t)| t.body.outputs.iter().map(move |o| (i, o)))
            .map(|(i, o)| OutputAsset {
                index: o.index,
                task: i,
                name: self.output_asset_name(o),
                spec: o.clone(),
            })
            .collect();
        out.sort_by_key(|a| a.index);
        out
    }

    /// The sanitised name of one output (see [`Job::output_assets`]).
    #[must_use]
    pub fn output_asset_name(&self, spec: &OutputSpec) -> String {
        sanitize_asset_name(&mes_output_asset_name(
            spec.index,
            spec.asset_name.as_deref(),
            self.name.as_deref(),
            &self.id.to_string(),
        ))
    }

    /// The job as JSON in the Media Services request-body shape (`Name`, `Priority`,
    /// `TemplateId`, `InputMediaAssets` as strings — paths or asset ids — and `Tasks` with
    /// their `TaskBody` XML), so [`Job::from_json`] reads back the same definition (with new
    /// ids). Paths that are not UTF-8 are written lossily.
    #[must_use]
    pub fn to_json(&self) -> String {
        let inputs: Vec<serde_json::Value> = self
            .inputs
            .iter()
            .map(|i| match i {
                InputRef::Path(p) => p.to_string_lossy().into_owned().into(),
                InputRef::AssetId(id) => id.to_string().into(),
            })
            .collect();
        let tasks: Vec<serde_json::Value> = self
            .tasks
            .iter()
            .map(|t| {
                let mut m = serde_json::Map::new();
                if let Some(n) = &t.name {
                    m.insert("Name".into(), n.clone().into());
                }
                m.insert("Configuration".into(), t.configuration.clone().into());
                m.insert("MediaProcessorId".into(), t.processor_id.clone().into());
                m.insert("TaskBody".into(), t.body.to_xml().into());
                m.insert("Priority".into(), t.priority.into());
                m.insert("Options".into(), t.options.into());
                serde_json::Value::Object(m)
            })
            .collect();
        let mut m = serde_json::Map::new();
        if let Some(n) = &self.name {
            m.insert("Name".into(), n.clone().into());
        }
        m.insert("Priority".into(), self.priority.into());
        // The request-body shape takes Tasks or TemplateId, not both: a job whose template
        // was applied is written with its tasks.
        if let (Some(t), true) = (&self.template_id, self.tasks.is_empty()) {
            m.insert("TemplateId".into(), t.to_string().into());
        }
        m.insert("InputMediaAssets".into(), inputs.into());
        if !self.tasks.is_empty() {
            m.insert("Tasks".into(), tasks.into());
        }
        serde_json::to_string_pretty(&serde_json::Value::Object(m))
            .unwrap_or_else(|_| String::from("{}"))
    }

    /// A human label for task `i`: `task 0 "Encode"` or `task 0`.
    #[must_use]
    pub fn label(&self, i: usize) -> String {
        task_label(i, self.tasks.get(i).and_then(|t| t.name.as_deref()))
    }
}

pub(crate) fn task_label(i: usize, name: Option<&str>) -> String {
    match name.filter(|n| !n.is_empty()) {
        Some(n) => format!("task {i} {n:?}"),
        None => format!("task {i}"),
    }
}

pub(crate) fn check_len(field: &str, value: &str, max: usize) -> Result<(), JobError> {
    let len = value.chars().count();
    if len > max {
        return Err(JobError::InvalidDefinition {
            message: format!("{field} is {len} characters long; the limit is {max}"),
        });
    }
    Ok(())
}
