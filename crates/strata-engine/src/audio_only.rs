//! Audio-only presets ("AAC Audio", "AAC Good Quality Audio", custom presets with only
//! `AACAudio`/`CopyAudio`): one MP4 named by the output's FileName
//! (`{Basename}_AAC_{AudioBitrate}.mp4`) plus the `_manifest.xml`.
//!
//! Inputs are MP4/MOV/M4A with audio (any video track is ignored), or the files only
//! symphonia reads: WAV, FLAC, MP3, Ogg Vorbis.

use crate::asset::{AudioHandling, OutputAsset, Staging};
use crate::audio::{AudioFrom, AudioInput, TranscodeSpec};
use crate::{EncodeOptions, EngineError};
use std::path::Path;
use strata_core::{rescale_round, CodecParams, EditList};
use strata_demux::Demuxer;
use strata_mux::{Mp4Writer, Sample, TrackConfig, TrackSpec};
use strata_preset::{Codec, FileNameVars, Preset};

const MOVIE_TIMESCALE: u32 = 1000;

/// Whether `preset` encodes audio and nothing else.
pub(crate) fn is_audio_only(preset: &Preset) -> bool {
    let audio = preset
        .codecs
        .iter()
        .any(|c| matches!(c, Codec::AACAudio(_) | Codec::CopyAudio));
    let other = preset
        .codecs
        .iter()
        .any(|c| !matches!(c, Codec::AACAudio(_) | Codec::CopyAudio));
    audio && !other
}

/// Runs an audio-only preset.
pub(crate) fn run(
    input: &Path,
    preset: &Preset,
    output_dir: &Path,
    options: &EncodeOptions,
) -> Result<OutputAsset, EngineError> {
    let mut warnings: Vec<String> = preset
        .validate()?
        .into_iter()
        .map(|w| w.to_string())
        .collect();
    let (trim, _) = crate::sources::read(preset)?;
    let basename = strata_preset::basename_from_file_name(
        &input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let demuxer: Option<Box<dyn Demuxer>> = match strata_demux::open(input, options.limits) {
        Ok(d) => Some(d),
        Err(demux_err) => {
            // Not a container our demuxer reads: a plain audio file goes through symphonia;
            // anything else keeps the demuxer's error, which names what is wrong.
            match strata_audio::open_audio_file(input) {
                Ok(_) => None,
                Err(strata_audio::AudioError::UnsupportedCodec { name }) => {
                    return Err(EngineError::UnsupportedAudio {
                        path: input.to_path_buf(),
                        codec: name,
                    })
                }
                Err(_) => {
                    return Err(EngineError::Input {
                        path: input.to_path_buf(),
                        source: demux_err,
                    })
                }
            }
        }
    };
    let no_audio = || EngineError::Audio {
        path: input.to_path_buf(),
        source: strata_audio::AudioError::NoAudio {
            detail: "the preset encodes audio only and the input has no audio track".into(),
        },
    };
    let (track, spec) = match &demuxer {
        Some(d) => {
            let opts = EncodeOptions {
                unsupported_audio: crate::UnsupportedAudioPolicy::Error,
                ..options.clone()
            };
            let (t, spec) = crate::plan::choose_audio(
                input,
                preset,
                d.tracks(),
                &opts,
                d.as_ref(),
                &mut warnings,
            )?;
            (Some(t.ok_or_else(no_audio)?), spec)
        }
        None => {
            let dec =
                strata_audio::open_audio_file(input).map_err(|source| EngineError::Audio {
                    path: input.to_path_buf(),
                    source,
                })?;
            let a = preset.aac_audio().ok_or_else(|| {
                EngineError::Preset(strata_preset::PresetError::Invalid {
                    field: "Codecs[].CopyAudio".into(),
                    message: format!(
                        "CopyAudio copies AAC in MP4 only; the input is {}: use AACAudio to re-encode it",
                        dec.codec()
                    ),
                })
            })?;
            let profile = crate::audio::encoder_profile(a.profile)?;
            let in_ch = strata_audio::BlockSource::channels(&dec);
            let wanted = crate::audio::encodable_channels(
                profile,
                crate::audio::preset_channels(a.channels),
                &mut warnings,
            );
            let (channels, bitrate_kbps) = crate::plan::keep_channels(
                wanted,
                in_ch,
                a.bitrate,
                options.allow_upmix,
                &mut warnings,
            );
            (
                None,
                Some(TranscodeSpec {
                    profile,
                    channels,
                    sample_rate: a.sampling_rate,
                    bitrate_kbps,
                    from: AudioFrom::File,
                    allow_upmix: options.allow_upmix,
                }),
            )
        }
    };
    let pattern = preset
        .mp4_output()
        .map(|o| o.file_name.clone())
        .unwrap_or_else(|| "{Basename}_AAC_{AudioBitrate}.mp4".into());
    let mut vars = FileNameVars::new(basename.clone());
    vars.codec = Some("AAC".into());
    vars.extension = Some(".mp4".into());
    let (out_ch, out_rate, kbps_target) = match (&spec, &track) {
        (Some(s), _) => (s.channels, s.sample_rate, s.bitrate_kbps),
        (None, Some(t)) => match &t.codec {
            CodecParams::Aac { audio, .. } => (
                audio.channels,
                audio.sample_rate,
                preset.aac_audio().map_or(0, |a| a.bitrate),
            ),
            _ => (2, 48_000, 0),
        },
        (None, None) => (2, 48_000, 0),
    };
    vars.audio_bitrate = Some(kbps_target);
    vars.channel = Some(u32::from(out_ch));
    let file_name = strata_preset::expand_file_name(&pattern, &vars)?;
    let staging = Staging::new(input, output_dir, options)?;
    let path = staging.path().join(&file_name);
    let mux_err = |source| EngineError::Mux {
        path: path.clone(),
        source,
    };
    let report = match &spec {
        Some(spec) => {
            let src = AudioInput {
                input,
                track: demuxer
                    .as_deref()
                    .zip(track.as_ref())
                    .map(|(d, t)| (d as &dyn Demuxer, t)),
                trim,
            };
            let spool = staging.path().join(".strata-audio.spool");
            let enc = crate::audio::transcode(&src, spec, &spool, &options.cancel)?;
            let config = TrackConfig {
                spec: TrackSpec::Aac {
                    asc: enc.asc.clone(),
                    object_type: 0x40,
                    channels: enc.channels,
                    sample_rate: enc.sample_rate,
                },
                timescale: enc.sample_rate,
                language: enc.language.clone(),
                edits: None,
            };
            let mut w = Mp4Writer::create(&path, vec![config], MOVIE_TIMESCALE).map_err(mux_err)?;
            for p in enc.packets()? {
                let p = p.map_err(|source| EngineError::Io {
                    path: enc.spool.clone(),
                    source,
                })?;
                w.write_sample(
                    0,
                    Sample {
                        data: &p.data,
                        duration: u32::try_from(p.duration).unwrap_or(enc.frame_len),
                        cts_offset: 0,
                        sync: true,
                    },
                )
                .map_err(mux_err)?;
            }
            // An audio-only file starts with its first sound: no empty edit, only the
            // encoder delay and the padding hidden.
            w.set_edits(
                0,
                Some(EditList {
                    empty_duration: 0,
                    media_time: i64::from(enc.priming),
                    segment_duration: rescale_round(
                        i64::try_from(enc.presented).unwrap_or(i64::MAX),
                        i64::from(MOVIE_TIMESCALE),
                        i64::from(enc.sample_rate),
                    ),
                }),
            )
            .map_err(mux_err)?;
            let r = w.finish().map_err(mux_err)?;
            let _ = std::fs::remove_file(&spool);
            r
        }
        None => {
            // Copy: the input already is AAC-LC as the preset asks, or CopyAudio.
            let (d, t) = demuxer
                .as_deref()
                .zip(track.as_ref())
                .ok_or_else(no_audio)?;
            if trim.start_us.is_some() || trim.duration_us.is_some() {
                warnings.push(
                    "Sources StartTime/Duration are not applied to copied audio: the whole track is copied"
                        .into(),
                );
            }
            let (asc, object_type, channels, sample_rate) = match &t.codec {
                CodecParams::Aac {
                    asc,
                    object_type,
                    audio,
                } => (asc.clone(), *object_type, audio.channels, audio.sample_rate),
                _ => return Err(no_audio()),
            };
            let config = TrackConfig {
                spec: TrackSpec::Aac {
                    asc,
                    object_type,
                    channels,
                    sample_rate,
                },
                timescale: t.time_base.ticks_per_second(),
                language: t.language.clone(),
                edits: None,
            };
            let mut w = Mp4Writer::create(&path, vec![config], MOVIE_TIMESCALE).map_err(mux_err)?;
            for p in d.packets(t.id).map_err(|source| EngineError::Input {
                path: input.to_path_buf(),
                source,
            })? {
                let p = p.map_err(|source| EngineError::Input {
                    path: input.to_path_buf(),
                    source,
                })?;
                w.write_sample(
                    0,
                    Sample {
                        data: &p.data,
                        duration: u32::try_from(p.duration).unwrap_or(0),
                        cts_offset: i32::try_from(p.pts - p.dts).unwrap_or(0),
                        sync: true,
                    },
                )
                .map_err(mux_err)?;
            }
            let edit = t.edits.map(|e| EditList {
                empty_duration: 0,
                media_time: e.media_time.max(0),
                segment_duration: rescale_round(
                    e.segment_duration,
                    i64::from(MOVIE_TIMESCALE),
                    i64::from(t.movie_time_base.ticks_per_second()),
                ),
            });
            w.set_edits(0, edit).map_err(mux_err)?;
            w.finish().map_err(mux_err)?
        }
    };
    let meta_name = format!(
        "{}_manifest.xml",
        strata_preset::sanitize_file_name(&basename).unwrap_or_else(|_| "asset".into())
    );
    let (entry, _) = crate::asset::audio_file_entry(&file_name, &report, input, out_ch, out_rate);
    let entries = [entry];
    let meta_path = staging.path().join(&meta_name);
    std::fs::write(&meta_path, strata_mux::asset_manifest_xml(&entries)).map_err(|source| {
        EngineError::Io {
            path: meta_path.clone(),
            source,
        }
    })?;
    if options.package.any() {
        warnings.push(
            "no streaming package: the task wrote no video MP4 (audio-only and thumbnail-only outputs are not packaged)"
                .into(),
        );
    }
    let abs = staging.commit()?;
    Ok(OutputAsset {
        dir: abs.clone(),
        files: Vec::new(),
        server_manifest: None,
        audio_file: Some(abs.join(&file_name)),
        images: Vec::new(),
        metadata: abs.join(meta_name),
        audio: match spec {
            Some(s) => AudioHandling::Transcoded {
                profile: s.profile.name(),
                channels: s.channels,
                sample_rate: s.sample_rate,
                bitrate_kbps: s.bitrate_kbps,
            },
            None => AudioHandling::PassedThrough {
                channels: out_ch,
                sample_rate: out_rate,
            },
        },
        warnings,
        package: None,
    })
}
