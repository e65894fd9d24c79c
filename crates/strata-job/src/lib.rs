//! The Media Encoder Standard (MES) job model: jobs, tasks, task bodies, job templates,
//! validation, output-asset naming, entity ids, states and run records.
//!
//! This crate is pure data and rules: it parses job definitions in the Media Services REST
//! request-body shape, checks them before anything runs (≤ 30 tasks, no cycles, each output
//! produced once, indices in range) and orders the tasks; it knows nothing of codecs and
//! runs nothing. The engine executes the validated [`Job`] and keeps [`JobRecord`]s.
//!
//! ```
//! let job = strata_job::Job::from_json(r#"{
//!   "Name": "NewJob",
//!   "InputMediaAssets": ["movie.mp4"],
//!   "Tasks": [{
//!     "Configuration": "H264 Multiple Bitrate 720p",
//!     "MediaProcessorId": "Media Encoder Standard",
//!     "TaskBody": "<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody>"
//!   }]
//! }"#).unwrap();
//! assert_eq!(job.validate().unwrap(), vec![0]);
//! assert_eq!(job.output_assets()[0].name, "JobOutputAsset(0)_NewJob");
//! ```

mod id;
mod job;
mod naming;
mod processor;
mod state;
mod taskbody;
mod template;

pub use id::{EntityId, EntityKind};
pub use job::{
    InputRef, Job, OutputAsset, Task, MAX_ASSETS_PER_JOB, MAX_ASSETS_PER_TASK,
    MAX_CONFIGURATION_CHARS, MAX_JOB_NAME_CHARS, MAX_TASKS_PER_JOB, MAX_TASK_NAME_CHARS,
    TASK_OPTIONS_MASK,
};
pub use naming::{
    mes_output_asset_name, sanitize_asset_name, ASSET_NAME_MAX_BYTES, FALLBACK_ASSET_NAME,
};
pub use processor::{MediaProcessor, MES_PROCESSOR_ID, MES_PROCESSOR_NAME};
pub use state::{ErrorCode, ErrorDetail, JobRecord, State, TaskRecord};
pub use taskbody::{AssetRef, OutputSpec, TaskBody, ASSET_CREATION_OPTIONS_MASK};
pub use template::{JobTemplate, TaskTemplate, TemplateDraft};

/// Everything that can go wrong reading or checking a job, a template, an id or a state change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// Not a valid `nb:{type}:UUID:{guid}` id.
    #[error("invalid entity id {id:?}: {reason}")]
    InvalidId {
        /// The text.
        id: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A valid id of the wrong entity type.
    #[error("entity id {id:?} is not a nb:{expected}: id")]
    WrongIdKind {
        /// The text.
        id: String,
        /// The expected type tag (`jtid`, `cid`, …).
        expected: &'static str,
    },
    /// The JSON does not parse, has a wrong type, or misses / adds a key (the message names
    /// the key with line and column).
    #[error("invalid job JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The definition parses as JSON but its shape is wrong (message says where).
    #[error("invalid job definition: {message}")]
    InvalidDefinition {
        /// What is wrong.
        message: String,
    },
    /// An input uri Strata cannot use.
    #[error("invalid input asset {uri:?}: {reason}")]
    InvalidInputUri {
        /// The uri as given.
        uri: String,
        /// Why.
        reason: String,
    },
    /// A TaskBody (or JobTemplateBody) that breaks the §5.6 grammar.
    #[error("invalid TaskBody: {message}")]
    InvalidTaskBody {
        /// What is wrong, naming the task when known.
        message: String,
    },
    /// A job with no tasks.
    #[error("the job has no tasks")]
    NoTasks,
    /// A job with more than 30 tasks.
    #[error("the job has {count} tasks; at most {max} are allowed", max = MAX_TASKS_PER_JOB)]
    TooManyTasks {
        /// How many tasks.
        count: usize,
    },
    /// A job with no input assets.
    #[error("the job has no InputMediaAssets")]
    NoInputs,
    /// A `MediaProcessorId` that is not Media Encoder Standard.
    #[error("{}unknown MediaProcessorId {processor:?}: only Media Encoder Standard ({MES_PROCESSOR_ID}) is supported", task.as_ref().map(|t| format!("{t}: ")).unwrap_or_default())]
    UnknownProcessor {
        /// The task, when known.
        task: Option<String>,
        /// The value given.
        processor: String,
    },
    /// Over the asset limit of a task (50) or a job (100).
    #[error("{scope} references {count} assets; at most {max} are allowed")]
    TooManyAssets {
        /// The task label or "the job".
        scope: String,
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// `JobInputAsset(n)` beyond `InputMediaAssets`.
    #[error("{task}: JobInputAsset({index}) is out of range: the job has {count} input asset(s)")]
    InputIndexOutOfRange {
        /// The task.
        task: String,
        /// The index.
        index: usize,
        /// Number of job inputs.
        count: usize,
    },
    /// Two `<outputAsset>`s name the same `JobOutputAsset(n)`.
    #[error("JobOutputAsset({index}) is produced twice: by {first} and by {second}")]
    OutputProducedTwice {
        /// The index.
        index: usize,
        /// The first producer.
        first: String,
        /// The second producer (may be the same task).
        second: String,
    },
    /// Output indices with a hole: outputs are numbered 0, 1, 2, … in the job.
    #[error("JobOutputAsset({missing}) is missing: output assets must be numbered 0 to {highest} without gaps")]
    OutputIndexGap {
        /// The first missing index.
        missing: usize,
        /// The highest index produced.
        highest: usize,
    },
    /// A task consumes `JobOutputAsset(n)` that no task produces.
    #[error("{task}: input JobOutputAsset({index}) is not produced by any task")]
    UnproducedInput {
        /// The task.
        task: String,
        /// The index.
        index: usize,
    },
    /// A task consumes its own output.
    #[error("{task} takes its own output JobOutputAsset({index}) as input")]
    SelfReference {
        /// The task.
        task: String,
        /// The index.
        index: usize,
    },
    /// Tasks that depend on each other in a loop.
    #[error("the tasks form a cycle: {}", tasks.join(", "))]
    Cycle {
        /// The tasks that cannot be ordered (the cycle and what depends on it).
        tasks: Vec<String>,
    },
    /// A state change the state machine forbids.
    #[error("illegal state transition {from} → {to}")]
    IllegalTransition {
        /// Current state.
        from: State,
        /// Requested state.
        to: State,
    },
    /// Progress outside 0–100.
    #[error("progress {progress} is outside 0–100")]
    InvalidProgress {
        /// The value.
        progress: f64,
    },
    /// A template that is inconsistent, or does not fit the job it is applied to.
    #[error("invalid job template: {message}")]
    InvalidTemplate {
        /// What is wrong.
        message: String,
    },
    /// A template instantiated with the wrong number of inputs.
    #[error("the template needs {expected} input asset(s), {got} given")]
    InputCountMismatch {
        /// `NumberofInputAssets`.
        expected: usize,
        /// Inputs given.
        got: usize,
    },
}
