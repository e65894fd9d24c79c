//! The output asset: temporary folder, manifests, atomic rename, and the description returned
//! to the caller.

use crate::pipeline::{self, LayerOutput};
use crate::plan::Plan;
use crate::{EncodeOptions, EngineError};
use std::path::{Path, PathBuf};
use strata_core::CodecParams;
use strata_mux::{AssetFileEntry, AudioTrackEntry, IsmAudio, IsmVideo, VideoTrackEntry};

/// What happened to the input's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioHandling {
    /// The input had no audio track: the layers are video-only.
    None,
    /// The input had no audio and the preset asked for `InsertSilenceIfNoAudio`: a silent
    /// AAC-LC track was added.
    Silence {
        /// Channels of the silent track.
        channels: u16,
        /// Its sample rate.
        sample_rate: u32,
    },
    /// The input's audio was re-encoded to the preset's AAC, once for all layers.
    Transcoded {
        /// "AAC-LC", "HE-AAC" or "HE-AACv2".
        profile: &'static str,
        /// Output channels.
        channels: u16,
        /// Output sample rate.
        sample_rate: u32,
        /// Target bitrate, kbps.
        bitrate_kbps: u32,
    },
    /// The input's AAC was copied unchanged into every layer: `CopyAudio`, a preset without
    /// an audio codec, or an input that already matches the preset's AAC settings.
    PassedThrough {
        /// Channels of the input AAC.
        channels: u16,
        /// Sample rate of the input AAC.
        sample_rate: u32,
    },
}

/// One file of the output asset.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    /// File name inside the asset folder.
    pub name: String,
    /// Full path after the asset was moved into place.
    pub path: PathBuf,
    /// Bytes on disk.
    pub size: u64,
    /// Video width (0 for non-video files).
    pub width: u32,
    /// Video height.
    pub height: u32,
    /// Preset target, kbps.
    pub target_kbps: u32,
    /// Measured video payload bitrate, kbps.
    pub video_kbps: f64,
    /// Video frames written.
    pub frames: u64,
    /// Video duration in seconds.
    pub duration_secs: f64,
    /// Output times (seconds) of the IDR frames.
    pub keyframe_times: Vec<f64>,
    /// H.264 profile and level written in the SPS, e.g. "High@3.1".
    pub profile_level: String,
}

/// The finished output asset.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputAsset {
    /// The asset folder.
    pub dir: PathBuf,
    /// The layer MP4s, in preset order.
    pub files: Vec<OutputFile>,
    /// The `.ism` server manifest (absent when the task wrote no MP4).
    pub server_manifest: Option<PathBuf>,
    /// The audio-only MP4 of a NonInterleaved output (Adaptive Streaming).
    pub audio_file: Option<PathBuf>,
    /// Thumbnails written, in capture order.
    pub images: Vec<crate::thumbstage::OutputImage>,
    /// The `_manifest.xml` metadata.
    pub metadata: PathBuf,
    /// What happened to audio.
    pub audio: AudioHandling,
    /// Preset features not honoured, and other notes.
    pub warnings: Vec<String>,
    /// The streaming package (`stream/`), when one was asked for.
    pub package: Option<crate::package::PackageReport>,
}

/// Removes the temporary folder unless disarmed.
struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn dir_is_empty(p: &Path) -> Result<bool, EngineError> {
    Ok(std::fs::read_dir(p).map_err(io(p))?.next().is_none())
}

/// A temporary folder beside the output folder, renamed into place by [`Staging::commit`].
pub(crate) struct Staging {
    abs: PathBuf,
    parent: PathBuf,
    leaf: String,
    tmp: TempDir,
}

impl Staging {
    /// Checks `output_dir` (absent, empty, or replaceable) and creates the temporary folder.
    ///
    /// # Errors
    /// [`EngineError::OutputExists`], [`EngineError::Io`].
    pub(crate) fn new(
        input: &Path,
        output_dir: &Path,
        options: &EncodeOptions,
    ) -> Result<Self, EngineError> {
        let output_dir = if output_dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            output_dir
        };
        let exists = output_dir.exists();
        if exists && !output_dir.is_dir() {
            return Err(EngineError::Io {
                path: output_dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "exists and is not a folder",
                ),
            });
        }
        if exists && !options.overwrite && !dir_is_empty(output_dir)? {
            return Err(EngineError::OutputExists {
                path: output_dir.to_path_buf(),
            });
        }
        let abs = std::path::absolute(output_dir).map_err(io(output_dir))?;
        let parent = abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| abs.clone());
        if !parent.is_dir() {
            // `--output out/asset` on a fresh checkout: make the parents, like `mkdir -p`.
            std::fs::create_dir_all(&parent).map_err(|e| EngineError::Io {
                path: output_dir.to_path_buf(),
                source: std::io::Error::new(
                    e.kind(),
                    format!("cannot create the parent folder {}: {e}", parent.display()),
                ),
            })?;
        }
        if exists {
            // Replacing a folder that holds the input (or is the working folder above it) would
            // delete the input: refuse whatever the overwrite flag says.
            let input = std::fs::canonicalize(input).map_err(io(input))?;
            let out = std::fs::canonicalize(output_dir).map_err(io(output_dir))?;
            if input.starts_with(&out) {
                return Err(EngineError::Io {
                    path: output_dir.to_path_buf(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "the output folder contains the input file; choose another folder",
                    ),
                });
            }
        }
        let leaf = abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "asset".into());
        let tmp_path = parent.join(format!(".{leaf}.strata-tmp-{}", std::process::id()));
        if tmp_path.exists() {
            std::fs::remove_dir_all(&tmp_path).map_err(io(&tmp_path))?;
        }
        std::fs::create_dir(&tmp_path).map_err(io(&tmp_path))?;
        let tmp = TempDir {
            path: tmp_path,
            keep: false,
        };
        Ok(Self {
            abs,
            parent,
            leaf,
            tmp,
        })
    }

    /// The temporary folder to write into.
    pub(crate) fn path(&self) -> &Path {
        &self.tmp.path
    }

    /// Moves the temporary folder into place; returns the final absolute folder. An existing
    /// (empty, or replaced on request) folder is swapped out only now, so a failure before
    /// never touches it.
    ///
    /// # Errors
    /// [`EngineError::Io`] when a rename fails (the old folder is put back).
    pub(crate) fn commit(mut self) -> Result<PathBuf, EngineError> {
        let (abs, parent, leaf) = (&self.abs, &self.parent, &self.leaf);
        if abs.exists() {
            let old = parent.join(format!(".{leaf}.strata-old-{}", std::process::id()));
            std::fs::rename(abs, &old).map_err(io(abs))?;
            if let Err(e) = std::fs::rename(&self.tmp.path, abs) {
                let _ = std::fs::rename(&old, abs);
                return Err(EngineError::Io {
                    path: abs.clone(),
                    source: e,
                });
            }
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&self.tmp.path, abs).map_err(io(abs))?;
        }
        self.tmp.keep = true;
        Ok(self.abs.clone())
    }
}

pub(crate) fn run(
    plan: Plan,
    output_dir: &Path,
    options: &EncodeOptions,
) -> Result<OutputAsset, EngineError> {
    let staging = Staging::new(&plan.input, output_dir, options)?;
    let tmp = &staging.tmp;
    let out = pipeline::run(&plan, &tmp.path, options)?;
    let (outputs, images) = (out.layers, out.images);
    let (files, entries) = describe(&plan, &outputs)?;

    let ism_name = format!("{}.ism", sanitized(&plan.basename));
    let audio_entry = output_audio_facts(&plan);
    let audio_facts = audio_entry
        .clone()
        .or_else(|| plan.silence.map(|(ch, hz)| (ch, hz, "und".to_string())));
    let mut entries = entries;
    let separate = match &out.audio {
        Some((path, report)) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (ch, hz, _) = audio_facts.clone().unwrap_or((2, 48_000, "und".into()));
            let (entry, kbps) = audio_file_entry(&name, report, &plan.input, ch, hz);
            entries.push(entry);
            Some((name, kbps))
        }
        None => None,
    };
    let measured_audio_kbps = separate.as_ref().map(|(_, k)| *k).unwrap_or_else(|| {
        entries
            .first()
            .and_then(|e| e.audio.first())
            .map_or(0, |a| a.bitrate_kbps)
    });
    let audio_src = match &separate {
        Some((name, _)) => Some(name.clone()),
        None => files.first().map(|f| f.name.clone()),
    };
    let ism_audio = match (&audio_facts, audio_src) {
        (Some((ch, _, lang)), Some(src)) => Some(IsmAudio {
            src,
            system_bitrate: measured_audio_kbps * 1000,
            title: format!("AAC_{lang}_ch{ch}_{measured_audio_kbps}kbps"),
        }),
        _ => None,
    };
    let videos: Vec<IsmVideo> = files
        .iter()
        .map(|f| IsmVideo {
            src: f.name.clone(),
            system_bitrate: u64::from(f.target_kbps) * 1000,
        })
        .collect();
    // The server manifest describes MP4 layers; a thumbnails-only task has none.
    if !videos.is_empty() {
        let ism = strata_mux::server_manifest_xml(&videos, ism_audio.as_ref());
        let ism_path = tmp.path.join(&ism_name);
        std::fs::write(&ism_path, ism).map_err(io(&ism_path))?;
    }
    let meta_name = format!("{}_manifest.xml", sanitized(&plan.basename));
    let meta_path = tmp.path.join(&meta_name);
    std::fs::write(&meta_path, strata_mux::asset_manifest_xml(&entries)).map_err(io(&meta_path))?;

    let mut package = None;
    let wanted = crate::PackageOptions {
        hls: options.package.hls || plan.package.hls,
        dash: options.package.dash || plan.package.dash,
        smooth: options.package.smooth || plan.package.smooth,
        ..options.package.clone()
    };
    if wanted.any() && !files.is_empty() {
        let mut media: Vec<PathBuf> = files.iter().map(|f| tmp.path.join(&f.name)).collect();
        if let Some((name, _)) = &separate {
            media.push(tmp.path.join(name));
        }
        let stem = ism_name.trim_end_matches(".ism").to_string();
        package = Some(crate::package::package_files(
            &media,
            &tmp.path.join(crate::package::STREAM_DIR),
            &stem,
            &wanted,
            options.limits,
            options.cancel.as_deref(),
        )?);
    }
    let mut warnings = plan.warnings.clone();
    if wanted.any() && files.is_empty() {
        warnings.push(
            "no streaming package: the task wrote no video MP4 (audio-only and thumbnail-only outputs are not packaged)"
                .into(),
        );
    }
    if let Some(p) = &package {
        warnings.extend(p.warnings.iter().cloned());
    }

    let abs = staging.commit()?;
    let files = files
        .into_iter()
        .map(|f| OutputFile {
            path: abs.join(&f.name),
            ..f
        })
        .collect();
    let images = images
        .into_iter()
        .map(|i| crate::thumbstage::OutputImage {
            path: abs.join(&i.name),
            ..i
        })
        .collect();
    let has_layers = !plan.layers.is_empty();
    let abs_dir = abs.clone();
    let package = package.map(|mut p| {
        let moved = |q: Option<PathBuf>| {
            q.and_then(|q| {
                q.file_name()
                    .map(|n| abs.join(crate::package::STREAM_DIR).join(n))
            })
        };
        p.hls = moved(p.hls.take());
        p.dash = moved(p.dash.take());
        p.smooth = moved(p.smooth.take());
        p.dir = abs.join(crate::package::STREAM_DIR);
        p
    });
    Ok(OutputAsset {
        package,
        images,
        server_manifest: if has_layers {
            Some(abs.join(ism_name))
        } else {
            None
        },
        metadata: abs.join(meta_name),
        dir: abs,
        files,
        audio: match (audio_entry, plan.silence) {
            (Some((channels, sample_rate, _)), _) if plan.transcode.is_some() => {
                AudioHandling::Transcoded {
                    profile: plan
                        .transcode
                        .as_ref()
                        .map_or("AAC-LC", |t| t.profile.name()),
                    channels,
                    sample_rate,
                    bitrate_kbps: plan.transcode.as_ref().map_or(0, |t| t.bitrate_kbps),
                }
            }
            (Some((channels, sample_rate, _)), _) => AudioHandling::PassedThrough {
                channels,
                sample_rate,
            },
            (None, Some((channels, sample_rate))) => AudioHandling::Silence {
                channels,
                sample_rate,
            },
            (None, None) => AudioHandling::None,
        },
        audio_file: separate.map(|(name, _)| abs_dir.join(name)),
        warnings,
    })
}

/// The `_manifest.xml` row of an audio-only MP4, and its measured bitrate in kbps.
pub(crate) fn audio_file_entry(
    name: &str,
    report: &strata_mux::FileReport,
    input: &Path,
    channels: u16,
    sampling_rate: u32,
) -> (AssetFileEntry, u64) {
    let t = &report.tracks[0];
    let secs = t.duration as f64 / f64::from(t.timescale.max(1));
    let kbps = if secs > 0.0 {
        (t.bytes as f64 * 8.0 / secs / 1000.0).round() as u64
    } else {
        0
    };
    let entry = AssetFileEntry {
        name: name.to_string(),
        size: report.size,
        duration_secs: secs,
        sources: vec![input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()],
        video: Vec::new(),
        audio: vec![AudioTrackEntry {
            codec: "AacLc".into(),
            channels,
            sampling_rate,
            bitrate_kbps: kbps,
        }],
    };
    (entry, kbps)
}

/// Channels, rate and language of the audio the layers carry (copied or re-encoded).
fn output_audio_facts(plan: &Plan) -> Option<(u16, u32, String)> {
    let a = plan.audio.as_ref()?;
    match (&plan.transcode, &a.codec) {
        (Some(t), _) => Some((t.channels, t.sample_rate, a.language.clone())),
        (None, CodecParams::Aac { audio, .. }) => {
            Some((audio.channels, audio.sample_rate, a.language.clone()))
        }
        _ => None,
    }
}

fn sanitized(basename: &str) -> String {
    strata_preset::sanitize_file_name(basename).unwrap_or_else(|_| "asset".into())
}

fn describe(
    plan: &Plan,
    outputs: &[LayerOutput],
) -> Result<(Vec<OutputFile>, Vec<AssetFileEntry>), EngineError> {
    let mut files = Vec::new();
    let mut entries = Vec::new();
    let source_name = plan
        .input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for (layer, out) in plan.layers.iter().zip(outputs) {
        let v = &out.report.tracks[0];
        let secs = v.duration as f64 / f64::from(v.timescale.max(1));
        let kbps = if secs > 0.0 {
            v.bytes as f64 * 8.0 / secs / 1000.0
        } else {
            0.0
        };
        let (profile, level) = strata_h264::parse_avcc(&out.avcc)
            .ok()
            .and_then(|c| strata_h264::Sps::parse(&c.sps[0]).ok())
            .map(|s| {
                (
                    s.profile_name().to_string(),
                    format!("{}.{}", s.level_idc / 10, s.level_idc % 10),
                )
            })
            .unwrap_or_else(|| ("High".into(), "auto".into()));
        let g = &layer.geometry;
        let gcd = {
            let (mut a, mut b) = (g.width, g.height);
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a.max(1)
        };
        let mut audio = Vec::new();
        if let (Some((channels, rate, _)), Some(at)) =
            (output_audio_facts(plan), out.report.tracks.get(1))
        {
            {
                let asecs = at.duration as f64 / f64::from(at.timescale.max(1));
                audio.push(AudioTrackEntry {
                    codec: "AacLc".into(),
                    channels,
                    sampling_rate: rate,
                    bitrate_kbps: if asecs > 0.0 {
                        (at.bytes as f64 * 8.0 / asecs / 1000.0).round() as u64
                    } else {
                        0
                    },
                });
            }
        }
        let fps = if secs > 0.0 {
            out.frames as f64 / secs
        } else {
            plan.frame_rate.to_f64()
        };
        entries.push(AssetFileEntry {
            name: layer.file_name.clone(),
            size: out.report.size,
            duration_secs: secs,
            sources: vec![source_name.clone()],
            video: vec![VideoTrackEntry {
                profile: profile.clone(),
                level: level.clone(),
                width: g.width,
                height: g.height,
                dar_num: g.width / gcd,
                dar_den: g.height / gcd,
                framerate: fps,
                bitrate_kbps: kbps.round() as u64,
                target_bitrate_kbps: u64::from(layer.target_kbps),
                max_gop_bitrate_kbps: v.max_gop_bitrate / 1000,
            }],
            audio,
        });
        let vts = f64::from(v.timescale.max(1));
        files.push(OutputFile {
            name: layer.file_name.clone(),
            path: out.path.clone(),
            size: out.report.size,
            width: g.width,
            height: g.height,
            target_kbps: layer.target_kbps,
            video_kbps: kbps,
            frames: out.frames,
            duration_secs: secs,
            keyframe_times: out.keyframes.iter().map(|&k| k as f64 / vts).collect(),
            profile_level: format!("{profile}@{level}"),
        });
    }
    if files.len() != plan.layers.len() {
        return Err(EngineError::Internal(format!(
            "{} of {} layers finished",
            files.len(),
            plan.layers.len()
        )));
    }
    Ok((files, entries))
}
