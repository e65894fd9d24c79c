use std::path::PathBuf;

/// Why an encoding task failed. Every variant's message names the file concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The input could not be read or parsed.
    #[error("{}: {source}", path.display())]
    Input {
        /// The input file.
        path: PathBuf,
        /// What the demuxer found.
        #[source]
        source: strata_demux::DemuxError,
    },
    /// The input has no video track and the preset needs one.
    #[error("{}: the file has no video track (the preset encodes video)", path.display())]
    NoVideo {
        /// The input file.
        path: PathBuf,
    },
    /// The video codec is not one we can decode.
    #[error("{}: unsupported video codec: {codec}", path.display())]
    UnsupportedVideo {
        /// The input file.
        path: PathBuf,
        /// What it is and why it is refused.
        codec: String,
    },
    /// The input's audio codec has no decoder here (Opus, AC-3, E-AC-3, …). With
    /// [`crate::UnsupportedAudioPolicy::Drop`] the task writes video-only output instead.
    #[error("{}: unsupported audio codec: {codec} (decodable: AAC-LC, MP3, FLAC, ALAC, Vorbis, PCM; pass --unsupported-audio drop / EncodeOptions::unsupported_audio = Drop to write video-only output)", path.display())]
    UnsupportedAudio {
        /// The input file.
        path: PathBuf,
        /// The codec name.
        codec: String,
    },
    /// Decoding, mixing, resampling or encoding the audio failed.
    #[error("{}: audio: {source}", path.display())]
    Audio {
        /// The input file.
        path: PathBuf,
        /// What the audio stage reported.
        #[source]
        source: strata_audio::AudioError,
    },
    /// The preset asks for HE-AAC and this build has no HE-AAC encoder.
    #[error("the preset asks for {profile} audio, which needs the optional `fdk-aac` feature (build with `--features fdk-aac`; see README, Licences); or use an AACLC preset")]
    HeAacUnavailable {
        /// The preset's profile (HEAACV1 / HEAACV2).
        profile: String,
    },
    /// Decoding the input's video failed.
    #[error("{}: {source}", path.display())]
    Decode {
        /// The input file.
        path: PathBuf,
        /// The decoder's report.
        #[source]
        source: strata_h264::H264Error,
    },
    /// The input's video track yields no pictures.
    #[error("{}: the video track contains no decodable frames", path.display())]
    NoFrames {
        /// The input file.
        path: PathBuf,
    },
    /// The preset is invalid or cannot be applied to this input.
    #[error("preset: {0}")]
    Preset(#[from] strata_preset::PresetError),
    /// A layer cannot be produced (size, encoder limits).
    #[error("layer {layer} ({width}x{height}): {reason}")]
    Layer {
        /// 0-based layer index.
        layer: usize,
        /// Layer width.
        width: u32,
        /// Layer height.
        height: u32,
        /// Why.
        reason: String,
    },
    /// Encoding failed.
    #[error("encoding {}: {source}", path.display())]
    Encode {
        /// The output file being written.
        path: PathBuf,
        /// The encoder's report.
        #[source]
        source: strata_h264::H264Error,
    },
    /// Writing an output file failed.
    #[error("writing {}: {source}", path.display())]
    Mux {
        /// The output file.
        path: PathBuf,
        /// The muxer's report.
        #[source]
        source: strata_mux::MuxError,
    },
    /// A file-system operation on the output failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The output folder exists and holds files.
    #[error("{}: the output folder exists and is not empty (choose another, or pass --overwrite / EncodeOptions::overwrite)", path.display())]
    OutputExists {
        /// The output folder.
        path: PathBuf,
    },
    /// The task was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// A bug: a worker thread panicked or a channel closed early.
    #[error("internal error: {0}")]
    Internal(String),
    /// A thumbnail (`JpgImage` / `PngImage` / `BmpImage`) cannot be produced: capture times
    /// outside the input, a malformed frame, an image encoder failure.
    #[error("thumbnail: {reason}")]
    Thumbnail {
        /// Why.
        reason: String,
    },
    /// A job definition or template that breaks the MES job rules (the message is
    /// [`strata_job::JobError`]'s, naming the task and the rule).
    #[error("{0}")]
    Job(#[from] strata_job::JobError),
    /// A task whose Configuration is not a preset name, or an inline preset that does not
    /// parse or validate.
    #[error("{task}: Configuration: {source}")]
    TaskConfiguration {
        /// The task label (`task 0 "Encode"`).
        task: String,
        /// The preset error.
        #[source]
        source: strata_preset::PresetError,
    },
    /// A task this engine cannot run as written (e.g. several input assets).
    #[error("{task}: {reason}")]
    TaskUnsupported {
        /// The task label.
        task: String,
        /// Why.
        reason: String,
    },
    /// A job input that is missing or unreadable before anything runs.
    #[error("JobInputAsset({index}) {}: {reason}", path.display())]
    JobInput {
        /// Index in `InputMediaAssets`.
        index: usize,
        /// The path given.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// An asset, job or template id that is not in the store.
    #[error("{kind} {id} is not in the store {}", store.display())]
    NotInStore {
        /// "asset", "job" or "job template".
        kind: &'static str,
        /// The id as given.
        id: String,
        /// The store folder.
        store: PathBuf,
    },
    /// A job template with this id is already stored; templates are immutable.
    #[error("job template {id} already exists; templates cannot be changed, so create a new one (leave out \"Id\" to get a new id)")]
    TemplateExists {
        /// The id.
        id: String,
    },
    /// A store record that cannot be read (corrupt JSON, wrong shape).
    #[error("{}: damaged store record: {reason}", path.display())]
    StoreRecord {
        /// The record file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An asset that holds no file a task can read as media.
    #[error("asset {id} has no media file to read (it holds {files})")]
    NoMediaInAsset {
        /// The asset id.
        id: String,
        /// Its file names, comma-separated.
        files: String,
    },
    /// An MP4 set that cannot be packaged for streaming without re-encoding (keyframes not
    /// aligned across layers, an open-GOP cut, no video).
    #[error("{}: cannot package: {reason}", path.display())]
    Package {
        /// The file or folder concerned.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}
