//! Job and task states (§5.5), error details (§5.8) and the run records.
//!
//! Times in records are **unix milliseconds** (`u64`); durations are milliseconds (`f64`), as
//! the MES SDK reads `RunningDuration`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::id::EntityId;
use crate::job::Job;
use crate::JobError;

/// The state of a job or task; the numbers are the MES `State` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum State {
    /// Waiting to be scheduled.
    Queued = 0,
    /// Waiting for a processing resource.
    Scheduled = 1,
    /// Running.
    Processing = 2,
    /// Outputs produced (final).
    Finished = 3,
    /// Failed (final).
    Error = 4,
    /// Canceled (final).
    Canceled = 5,
    /// Cancel requested.
    Canceling = 6,
}

impl State {
    /// All states, by number.
    pub const ALL: [State; 7] = [
        State::Queued,
        State::Scheduled,
        State::Processing,
        State::Finished,
        State::Error,
        State::Canceled,
        State::Canceling,
    ];

    /// The MES number.
    #[must_use]
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The state with MES number `code`.
    #[must_use]
    pub fn from_code(code: u8) -> Option<State> {
        State::ALL.get(usize::from(code)).copied()
    }

    /// The MES name (`"Processing"`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            State::Queued => "Queued",
            State::Scheduled => "Scheduled",
            State::Processing => "Processing",
            State::Finished => "Finished",
            State::Error => "Error",
            State::Canceled => "Canceled",
            State::Canceling => "Canceling",
        }
    }

    /// Parses a state name as found in notifications, case-insensitively; the spellings
    /// "Cancelled" / "Cancelling" are accepted.
    #[must_use]
    pub fn from_name(name: &str) -> Option<State> {
        let n = name.trim().to_ascii_lowercase();
        Some(match n.as_str() {
            "queued" => State::Queued,
            "scheduled" => State::Scheduled,
            "processing" => State::Processing,
            "finished" => State::Finished,
            "error" => State::Error,
            "canceled" | "cancelled" => State::Canceled,
            "canceling" | "cancelling" => State::Canceling,
            _ => return None,
        })
    }

    /// Finished, Error and Canceled are final.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, State::Finished | State::Error | State::Canceled)
    }

    /// Whether a cancel request is accepted: MES answers 400 for a job already Canceled,
    /// Canceling, Error or Finished.
    #[must_use]
    pub fn can_cancel(self) -> bool {
        matches!(self, State::Queued | State::Scheduled | State::Processing)
    }

    /// Whether `self → next` is legal:
    /// Queued → Scheduled; Scheduled → Processing; Processing → Finished;
    /// any non-final state except Canceling → Canceling or Error;
    /// Queued / Scheduled / Canceling → Canceled (nothing was or is still running);
    /// Canceling → Error (cancel failed). Final states never change; staying in the same
    /// state is not a transition.
    #[must_use]
    pub fn can_transition_to(self, next: State) -> bool {
        use State::*;
        matches!(
            (self, next),
            (Queued, Scheduled)
                | (Scheduled, Processing)
                | (Processing, Finished)
                | (Queued | Scheduled | Processing, Canceling | Error)
                | (Queued | Scheduled | Canceling, Canceled)
                | (Canceling, Error)
        )
    }

    /// `next` when the transition is legal.
    ///
    /// # Errors
    ///
    /// [`JobError::IllegalTransition`] otherwise.
    pub fn transition(self, next: State) -> Result<State, JobError> {
        if self.can_transition_to(next) {
            Ok(next)
        } else {
            Err(JobError::IllegalTransition {
                from: self,
                to: next,
            })
        }
    }

    /// A job's state from its tasks' states (§5.3: any failed task → Error, once the job is
    /// over). While any task is still to run or running the job is not final, because a
    /// failed task does not stop its siblings: Canceling if any task is Canceling; else
    /// Queued if all are Queued; else Scheduled if nothing has started (all non-final tasks
    /// Scheduled or Queued and none final); else Processing. When every task is final:
    /// Error if any is in Error, else Canceled if any is Canceled, else Finished. No tasks →
    /// Queued.
    #[must_use]
    pub fn aggregate(tasks: impl IntoIterator<Item = State> + Clone) -> State {
        let has = |s: State| tasks.clone().into_iter().any(|t| t == s);
        let all = |s: State| tasks.clone().into_iter().all(|t| t == s);
        let all_final = tasks.clone().into_iter().all(State::is_final);
        let any_final = tasks.clone().into_iter().any(State::is_final);
        if has(State::Canceling) {
            State::Canceling
        } else if all(State::Queued) {
            State::Queued
        } else if !all_final {
            if has(State::Processing) || any_final {
                State::Processing
            } else {
                State::Scheduled
            }
        } else if has(State::Error) {
            State::Error
        } else if has(State::Canceled) {
            State::Canceled
        } else {
            State::Finished
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = u8::deserialize(deserializer)?;
        State::from_code(code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown State {code} (0–6)")))
    }
}

/// `ErrorDetail.Code` values (§5.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// Unknown failure.
    Unknown,
    /// Input download failed because of its content (bad names, zero-length, wrong format).
    ErrorDownloadingInputAssetMalformedContent,
    /// Service-side failure while reading the input.
    ErrorDownloadingInputAssetServiceFailure,
    /// The configuration is not a system preset name or not valid XML/JSON, or fails validation.
    ErrorParsingConfiguration,
    /// The input media is corrupt.
    ErrorExecutingTaskMalformedContent,
    /// Format/codec not supported, or not matching the configuration.
    ErrorExecutingTaskUnsupportedFormat,
    /// Another processing error unrelated to content.
    ErrorProcessingTask,
    /// Writing the outputs failed.
    ErrorUploadingOutputAsset,
    /// Cancel failed.
    ErrorCancelingTask,
    /// A transient failure.
    TransientError,
}

/// One entry of a task's `ErrorDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorDetail {
    /// The code.
    pub code: ErrorCode,
    /// The message.
    pub message: String,
}

impl std::fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} : {}", self.code, self.message)
    }
}

/// The run record of one task (serialised with MES property names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskRecord {
    /// Task id.
    pub id: EntityId,
    /// Task name.
    pub name: Option<String>,
    /// Current state.
    pub state: State,
    /// Progress 0–100.
    pub progress: f64,
    /// When it entered Processing, unix ms.
    pub start_time: Option<u64>,
    /// When it reached a final state, unix ms.
    pub end_time: Option<u64>,
    /// `end_time - start_time` in ms once final (0 before).
    pub running_duration: f64,
    /// Errors reported by the task.
    pub error_details: Vec<ErrorDetail>,
}

impl TaskRecord {
    /// A queued record with no progress.
    #[must_use]
    pub fn new(id: EntityId, name: Option<String>) -> Self {
        TaskRecord {
            id,
            name,
            state: State::Queued,
            progress: 0.0,
            start_time: None,
            end_time: None,
            running_duration: 0.0,
            error_details: Vec::new(),
        }
    }

    /// Moves to `next` at time `now_ms`: entering Processing sets `start_time`; a final state
    /// sets `end_time` and `running_duration`; Finished sets progress to 100.
    ///
    /// # Errors
    ///
    /// [`JobError::IllegalTransition`]; the record is unchanged.
    pub fn transition(&mut self, next: State, now_ms: u64) -> Result<(), JobError> {
        self.state = self.state.transition(next)?;
        if next == State::Processing {
            self.start_time = Some(now_ms);
        }
        if next.is_final() {
            self.end_time = Some(now_ms);
            self.running_duration = self
                .start_time
                .map_or(0.0, |s| now_ms.saturating_sub(s) as f64);
            if next == State::Finished {
                self.progress = 100.0;
            }
        }
        Ok(())
    }

    /// Sets the progress.
    ///
    /// # Errors
    ///
    /// [`JobError::InvalidProgress`] when `progress` is not within 0–100 (or NaN).
    pub fn set_progress(&mut self, progress: f64) -> Result<(), JobError> {
        if !(0.0..=100.0).contains(&progress) {
            return Err(JobError::InvalidProgress { progress });
        }
        self.progress = progress;
        Ok(())
    }

    /// Moves to Error at `now_ms` and records `detail`.
    ///
    /// # Errors
    ///
    /// [`JobError::IllegalTransition`] when the task is already final.
    pub fn fail(&mut self, detail: ErrorDetail, now_ms: u64) -> Result<(), JobError> {
        self.transition(State::Error, now_ms)?;
        self.error_details.push(detail);
        Ok(())
    }
}

/// The run record of a job (serialised with MES property names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobRecord {
    /// Job id.
    pub id: EntityId,
    /// Job name.
    pub name: Option<String>,
    /// Priority.
    pub priority: i32,
    /// Template the job came from.
    pub template_id: Option<EntityId>,
    /// Aggregate state (see [`JobRecord::refresh`]).
    pub state: State,
    /// Creation time, unix ms.
    pub created: u64,
    /// When the first task started, unix ms.
    pub start_time: Option<u64>,
    /// When the job reached a final state, unix ms.
    pub end_time: Option<u64>,
    /// `end_time - start_time` in ms once final (0 before).
    pub running_duration: f64,
    /// One record per task, in the job's task order.
    pub tasks: Vec<TaskRecord>,
}

impl JobRecord {
    /// A queued record for `job`, created at `now_ms`.
    #[must_use]
    pub fn new(job: &Job, now_ms: u64) -> Self {
        JobRecord {
            id: job.id,
            name: job.name.clone(),
            priority: job.priority,
            template_id: job.template_id,
            state: State::Queued,
            created: now_ms,
            start_time: None,
            end_time: None,
            running_duration: 0.0,
            tasks: job
                .tasks
                .iter()
                .map(|t| TaskRecord::new(t.id, t.name.clone()))
                .collect(),
        }
    }

    /// Job progress: the mean of the task progresses (0 with no tasks).
    #[must_use]
    pub fn progress(&self) -> f64 {
        if self.tasks.is_empty() {
            return 0.0;
        }
        self.tasks.iter().map(|t| t.progress).sum::<f64>() / self.tasks.len() as f64
    }

    /// Recomputes the state from the tasks ([`State::aggregate`]) and, at `now_ms`, the start
    /// time (earliest task start), end time and running duration when final.
    pub fn refresh(&mut self, now_ms: u64) {
        self.state = State::aggregate(self.tasks.iter().map(|t| t.state).collect::<Vec<_>>());
        self.start_time = self.tasks.iter().filter_map(|t| t.start_time).min();
        if self.state.is_final() {
            if self.end_time.is_none() {
                self.end_time = Some(now_ms);
            }
            let end = self.end_time.unwrap_or(now_ms);
            self.running_duration = self
                .start_time
                .map_or(0.0, |s| end.saturating_sub(s) as f64);
        }
    }
}
