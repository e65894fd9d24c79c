//! Strata: a local replacement for Azure Media Services' Media Encoder Standard.
//!
//! Give it a media file and a preset name (or a custom preset in the MES JSON schema) and it
//! writes the output asset: one H.264 MP4 per ladder layer with IDRs aligned across layers, the
//! input's AAC audio interleaved (passed through for now), a SMIL `.ism` server manifest and
//! the MES `_manifest.xml` metadata.
//!
//! ```no_run
//! let asset = strata::encode(
//!     "testdata/bbb_720p_5s.mp4",
//!     "H264 Multiple Bitrate 720p",
//!     "out/",
//! )?;
//! for f in &asset.files {
//!     println!("{} {}x{} {:.0} kbps", f.name, f.width, f.height, f.video_kbps);
//! }
//! # Ok::<(), strata::Error>(())
//! ```

use std::path::Path;

pub use strata_core as core;
pub use strata_engine::{
    error_code, prepare_job, run_job, AssetFileRecord, AssetRecord, AssetStore, FileKind, JobEvent,
    JobEventFn, JobOptions, JobStatus, OutputAssetRecord, StoredJob,
};
pub use strata_engine::{
    is_audio_only, resolve_preset, AudioHandling, EncodeOptions, EngineError as Error, LayerPlan,
    OutputAsset, OutputFile, OutputImage, Plan, Progress, ProgressFn, UnsupportedAudioPolicy,
};
pub use strata_engine::{package_asset, PackageOptions, PackageReport, STREAM_DIR};
pub use strata_job as job;
pub use strata_preset as preset;
pub use strata_preset::{Preset, PresetError};

/// Encodes `input` with the preset called `preset_name` (a system or legacy preset, or one of
/// the input-driven "Adaptive Streaming" / "Content Adaptive Multiple Bitrate MP4") into the
/// folder `output_dir`.
///
/// # Errors
/// [`Error::Preset`] for an unknown preset name (with suggestions), and every other
/// [`Error`] variant the engine raises (bad input, unsupported codec, I/O, existing output).
pub fn encode(
    input: impl AsRef<Path>,
    preset_name: &str,
    output_dir: impl AsRef<Path>,
) -> Result<OutputAsset, Error> {
    let preset = resolve_preset(preset_name, input.as_ref(), &EncodeOptions::default())?;
    Encode::new(input.as_ref(), &preset).run(output_dir.as_ref())
}

/// Builder for an encoding task with options (progress, cancellation, overwrite, limits).
pub struct Encode<'a> {
    input: &'a Path,
    preset: &'a Preset,
    options: EncodeOptions,
}

impl<'a> Encode<'a> {
    /// A task encoding `input` with `preset`.
    pub fn new(input: &'a Path, preset: &'a Preset) -> Self {
        Self {
            input,
            preset,
            options: EncodeOptions::default(),
        }
    }

    /// Receive progress updates.
    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.options.progress = Some(std::sync::Arc::new(f));
        self
    }

    /// What to do when the input's audio codec has no decoder (Opus, AC-3, …): fail (the
    /// default) or drop the audio with a warning.
    pub fn unsupported_audio(mut self, policy: UnsupportedAudioPolicy) -> Self {
        self.options.unsupported_audio = policy;
        self
    }

    /// Allow a preset asking for more audio channels than the input has to upmix.
    pub fn allow_upmix(mut self, yes: bool) -> Self {
        self.options.allow_upmix = yes;
        self
    }

    /// Encode the video in chunks cut on the GOP grid, several at once, each with its own
    /// decoder and encoders (for many cores or decode-bound input; see
    /// [`EncodeOptions::chunked`]).
    pub fn chunked(mut self, yes: bool) -> Self {
        self.options.chunked = yes;
        self
    }

    /// With [`Encode::chunked`], the chunks encoded at once (`None`: one per core the process
    /// may use); the output bytes are the same for any value.
    pub fn threads(mut self, n: Option<usize>) -> Self {
        self.options.threads = n;
        self
    }

    /// Stop the task when `flag` becomes true.
    pub fn cancel_flag(mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.options.cancel = Some(flag);
        self
    }

    /// Also write streaming packages (HLS, DASH, Smooth) into the asset's `stream/` folder.
    pub fn package(mut self, options: PackageOptions) -> Self {
        self.options.package = options;
        self
    }

    /// Replace an existing non-empty output folder once the new asset is complete.
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.options.overwrite = yes;
        self
    }

    /// Resolves the preset against the input without encoding: layers, sizes, file names,
    /// warnings.
    ///
    /// # Errors
    /// As [`Encode::run`], for everything decided before decoding.
    pub fn plan(&self) -> Result<Plan, Error> {
        Plan::new(self.input, self.preset, &self.options)
    }

    /// Runs the task, writing the asset folder `output_dir`.
    ///
    /// # Errors
    /// Any [`Error`]; nothing is left in `output_dir` on failure.
    pub fn run(self, output_dir: &Path) -> Result<OutputAsset, Error> {
        strata_engine::encode(self.input, self.preset, output_dir, &self.options)
    }
}
