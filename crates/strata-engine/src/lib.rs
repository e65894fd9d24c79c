//! Runs encoding tasks: one input file and one preset in, one output asset folder out.
//!
//! The pipeline (see `docs/ARCHITECTURE.md`): a decode thread reads the input's video packets,
//! decodes them in display order, scales each picture once per distinct layer size, marks IDRs
//! on the shared KeyFrameInterval grid, and fans frames out through bounded channels to one
//! worker per layer. Each worker owns an OpenH264 encoder and an MP4 writer, and interleaves the
//! audio with its video: the input's AAC packets read through its own file handle when they
//! are copied, or the frames of the one re-encode to the preset's AAC-LC (done before the
//! video, spooled to disk). Memory stays bounded
//! whatever the input length: at most a few frames per channel are in flight.
//!
//! The asset is written into a hidden temporary folder beside the output folder and renamed
//! into place only when every file is complete; on any error or cancellation the temporary
//! folder is removed.
//!
//! Jobs (the MES job model of `strata-job`) run through [`run_job`] against an
//! [`AssetStore`]: tasks in dependency order, independent ones concurrently, each output asset
//! staged and moved into the store when complete, the job record persisted as it moves.

mod asset;
mod audio;
mod audio_only;
mod chunk;
mod error;
pub mod jobrun;
pub mod package;
mod pipeline;
mod plan;
mod prep;
pub mod probe;
pub mod resolve;
mod silence;
pub mod sources;
pub mod store;
pub mod thumbs;
pub mod thumbstage;

pub use asset::{AudioHandling, OutputAsset, OutputFile};
pub use audio::UnsupportedAudioPolicy;
pub use error::EngineError;
pub use jobrun::{error_code, prepare_job, run_job, JobEvent, JobEventFn, JobOptions};
pub use package::{package_asset, package_files, PackageOptions, PackageReport, STREAM_DIR};
pub use plan::{LayerPlan, Plan};
pub use resolve::resolve_preset;
pub use store::{
    AssetFileRecord, AssetRecord, AssetStore, FileKind, JobStatus, OutputAssetRecord, StoredJob,
};
pub use thumbstage::OutputImage;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use strata_core::Limits;
use strata_preset::Preset;

/// Progress of a running task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Source frames decoded and handed to the encoders.
    pub frames_done: u64,
    /// Source frames expected (the input's video sample count).
    pub frames_total: u64,
    /// Seconds since the task started.
    pub elapsed_secs: f64,
}

/// Callback receiving [`Progress`] updates (a few per second at most).
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Knobs of one encoding task besides input, preset and output.
#[derive(Clone, Default)]
pub struct EncodeOptions {
    /// Caps on what the input may make us allocate.
    pub limits: Limits,
    /// Called as frames complete.
    pub progress: Option<ProgressFn>,
    /// Set to `true` to stop the task; it then fails with [`EngineError::Cancelled`] and
    /// leaves nothing behind.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Replace an existing, non-empty output folder (only once the new asset is complete).
    pub overwrite: bool,
    /// Streaming packages to write beside the MP4 set (HLS, DASH, Smooth).
    pub package: PackageOptions,
    /// What to do with audio in a codec nothing here decodes (Opus, AC-3, …).
    pub unsupported_audio: UnsupportedAudioPolicy,
    /// Let a preset asking for more channels than the input has upmix (extra channels
    /// silent, mono to the centre). Off: the input's channel count is kept.
    pub allow_upmix: bool,
    /// Cut the video into chunks on the GOP grid, each decoded and encoded by its own
    /// pipeline, several at once (see the `chunk` module). Off by default: on 2 cores the
    /// one-pipeline encode already keeps both busy and uses half the memory; chunks pay off
    /// when one decoder cannot feed the encoders (many cores, heavy input with short GOPs).
    pub chunked: bool,
    /// With `chunked`, the chunks encoded at once (`None`: one per core the process may use).
    /// The output bytes are the same for any value: chunk boundaries depend on the input
    /// alone.
    pub threads: Option<usize>,
}

impl std::fmt::Debug for EncodeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodeOptions")
            .field("limits", &self.limits)
            .field("overwrite", &self.overwrite)
            .field("threads", &self.threads)
            .field("chunked", &self.chunked)
            .finish_non_exhaustive()
    }
}

/// Encodes `input` with `preset` into the folder `output_dir` (created; its parent must exist).
///
/// # Errors
/// Any [`EngineError`]: unreadable or unsupported input, invalid preset, an existing non-empty
/// output folder (unless `overwrite`), I/O failure, cancellation. No partial asset is left.
pub fn encode(
    input: &Path,
    preset: &Preset,
    output_dir: &Path,
    options: &EncodeOptions,
) -> Result<OutputAsset, EngineError> {
    if audio_only::is_audio_only(preset) {
        return audio_only::run(input, preset, output_dir, options);
    }
    let plan = Plan::new(input, preset, options)?;
    asset::run(plan, output_dir, options)
}

/// Whether `preset` encodes audio only (`AACAudio`/`CopyAudio` and nothing else): such a
/// task has no [`Plan`] (there is no video) and writes one audio MP4.
pub fn is_audio_only(preset: &Preset) -> bool {
    audio_only::is_audio_only(preset)
}
