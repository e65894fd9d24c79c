//! The audio of a task: which input track, copied or re-encoded to the preset's AAC (LC, or
//! HE-AAC v1/v2 when built with the `fdk-aac` feature), and the re-encode itself.
//!
//! A re-encode runs once per task, before the video, into a spool file of raw AAC frames
//! beside the output; every layer then interleaves the same frames. Encoding once keeps the
//! layers' audio identical (players switching layers hear no seam) and costs little: the AAC
//! encoder runs at a few hundred times real time, so a two-hour film's audio takes seconds
//! while its video takes much longer. The spool keeps memory flat: only the frame sizes stay
//! in memory (4 bytes per 21 ms of audio).

use crate::plan::Plan;
use crate::EngineError;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use strata_audio::{
    AacProfile, AudioTranscoder, Block, BlockSource, EditTrimmer, MixOptions, TranscodeConfig,
};
use strata_core::{rescale_round, CodecParams, Packet, Track};

/// What the engine does when the input's audio codec has no decoder here (Opus, AC-3, …).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnsupportedAudioPolicy {
    /// Fail the task with [`EngineError::UnsupportedAudio`] (the default: silently losing a
    /// soundtrack is worse than a clear error).
    #[default]
    Error,
    /// Drop the audio with a warning and write video-only output.
    Drop,
}

/// Where decoded PCM comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AudioFrom {
    /// The AAC track through our demuxer and decoder, edit list applied sample-exactly.
    Track,
    /// Another codec (MP3, FLAC, ALAC, Vorbis, PCM) through symphonia's own reader of the
    /// input file.
    File,
}

/// A re-encode to AAC, resolved from the preset and the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TranscodeSpec {
    pub profile: AacProfile,
    pub channels: u16,
    pub sample_rate: u32,
    pub bitrate_kbps: u32,
    pub from: AudioFrom,
    pub allow_upmix: bool,
}

/// The task's re-encoded audio: raw AAC frames in a spool file, in order.
#[derive(Debug)]
pub(crate) struct EncodedAudio {
    pub spool: PathBuf,
    /// Byte size of every frame, in order.
    pub sizes: Arc<Vec<u32>>,
    pub asc: Vec<u8>,
    pub channels: u16,
    pub sample_rate: u32,
    /// Encoder delay in samples, hidden by the edit list's media_time.
    pub priming: u32,
    /// Samples per frame: 1024 for AAC-LC, 2048 for HE-AAC (SBR doubles the core frame).
    pub frame_len: u32,
    /// Samples presented (input duration after trimming, at the output rate).
    pub presented: u64,
    /// Presentation µs (input movie timeline) of the first presented sample.
    pub first_us: i64,
    pub language: String,
}

impl EncodedAudio {
    /// The frames, read from the spool through a handle of their own.
    pub(crate) fn packets(
        &self,
    ) -> Result<impl Iterator<Item = Result<Packet, std::io::Error>> + Send + 'static, EngineError>
    {
        let file = std::fs::File::open(&self.spool).map_err(|source| EngineError::Io {
            path: self.spool.clone(),
            source,
        })?;
        let mut reader = BufReader::new(file);
        let sizes = Arc::clone(&self.sizes);
        let n = sizes.len();
        let len = i64::from(self.frame_len);
        // The last frame lasts only up to the last real sample, as ffmpeg writes it: the
        // track's sample-table duration then equals delay + content, which tools that ignore
        // edit lists report.
        let total = i64::from(self.priming) + i64::try_from(self.presented).unwrap_or(i64::MAX);
        let last = (total - len * (n as i64 - 1)).clamp(1, len);
        Ok((0..n).map(move |k| {
            let mut data = vec![0u8; sizes[k] as usize];
            reader.read_exact(&mut data)?;
            let t = k as i64 * len;
            Ok(Packet {
                track_id: 0,
                data,
                dts: t,
                pts: t,
                duration: if k + 1 == n { last } else { len },
                keyframe: true,
            })
        }))
    }
}

/// The AudioObjectType of an AudioSpecificConfig (2 = AAC-LC, 5 = SBR, 29 = PS).
pub(crate) fn audio_object_type(asc: &[u8]) -> u8 {
    match asc.first() {
        None => 0,
        Some(&b) if b >> 3 == 31 => 32 + ((b & 7) << 3 | asc.get(1).map_or(0, |n| n >> 5)),
        Some(&b) => b >> 3,
    }
}

/// The encoder profile for a preset's `AACAudio.Profile`.
///
/// # Errors
/// [`EngineError::HeAacUnavailable`] for HE-AAC v1/v2 in a build without the `fdk-aac`
/// feature, checked here so a task fails before any video is encoded.
pub(crate) fn encoder_profile(p: strata_preset::AacProfile) -> Result<AacProfile, EngineError> {
    let profile = match p {
        strata_preset::AacProfile::AacLc => return Ok(AacProfile::Lc),
        strata_preset::AacProfile::HeAacV1 => AacProfile::HeV1,
        strata_preset::AacProfile::HeAacV2 => AacProfile::HeV2,
    };
    if cfg!(feature = "fdk-aac") {
        Ok(profile)
    } else {
        Err(EngineError::HeAacUnavailable {
            profile: p.to_string(),
        })
    }
}

/// The channels a profile can code of the `wanted` ones: libfdk-aac's HE-AAC takes 1 or 2,
/// so an HE-AAC preset asking for 5.1/7.1 (MES's table allows it) is written as stereo, said
/// in a warning, rather than failing once the audio is being encoded.
pub(crate) fn encodable_channels(
    profile: AacProfile,
    wanted: u16,
    warnings: &mut Vec<String>,
) -> u16 {
    if profile != AacProfile::Lc && wanted > 2 {
        warnings.push(format!(
            "{profile} is encoded here by libfdk-aac, which codes 1 or 2 channels: the preset's {wanted} channels are downmixed to stereo"
        ));
        2
    } else {
        wanted
    }
}

/// Output channels for a preset's `Channels`: MES lists 5 and 6 together for 5.1.
pub(crate) fn preset_channels(channels: u32) -> u16 {
    match channels {
        0 | 1 => 1,
        2 => 2,
        3..=6 => 6,
        _ => 8,
    }
}

/// Whether codec `name` (as the demuxer names it) has a decoder through symphonia.
pub(crate) fn file_decodable(name: &str) -> bool {
    matches!(name, "MP3" | "FLAC" | "ALAC" | "Vorbis" | "PCM")
}

fn audio_err(input: &Path) -> impl Fn(strata_audio::AudioError) -> EngineError + '_ {
    move |source| EngineError::Audio {
        path: input.to_path_buf(),
        source,
    }
}

/// The audio a transcode reads.
pub(crate) struct AudioInput<'a> {
    pub input: &'a Path,
    /// The opened container and its audio track; `None` for files only symphonia reads
    /// (WAV, FLAC, MP3, Ogg), which then start at 0.
    pub track: Option<(&'a dyn strata_demux::Demuxer, &'a Track)>,
    pub trim: crate::sources::Trim,
}

impl<'a> AudioInput<'a> {
    /// The audio of a planned task.
    pub(crate) fn of(plan: &'a Plan, track: &'a Track) -> Self {
        Self {
            input: &plan.input,
            track: Some((plan.demuxer.as_ref(), track)),
            trim: plan.trim,
        }
    }
}

/// Decodes, trims, mixes, resamples and encodes the input's audio into `spool`.
pub(crate) fn transcode(
    src: &AudioInput<'_>,
    spec: &TranscodeSpec,
    spool: &Path,
    cancel: &Option<Arc<AtomicBool>>,
) -> Result<EncodedAudio, EngineError> {
    let aerr = audio_err(src.input);
    let mut source: Box<dyn BlockSource> = match (spec.from, src.track) {
        (AudioFrom::Track, Some((demuxer, track))) => {
            let packets = demuxer
                .packets(track.id)
                .map_err(|source| EngineError::Input {
                    path: src.input.to_path_buf(),
                    source,
                })?;
            Box::new(strata_audio::TrackDecoder::new(track, packets).map_err(&aerr)?)
        }
        (_, track) => {
            let inner = strata_audio::open_audio_file(src.input).map_err(&aerr)?;
            // symphonia hands out samples from media time 0 and ignores MP4 edit lists: the
            // track's edit (encoder delay such as MP3's 1105 samples, leading empty edit)
            // comes from our demuxer.
            let trimmer = match track {
                Some((_, t)) => EditTrimmer::new(t, inner.sample_rate()),
                None => EditTrimmer::with_range(0, None, 0),
            };
            Box::new(Edited { inner, trimmer })
        }
    };
    let in_rate = source.sample_rate();
    let in_ch = source.channels();
    let config = TranscodeConfig {
        sample_rate: spec.sample_rate,
        channels: spec.channels,
        bitrate_bps: spec.bitrate_kbps.saturating_mul(1000),
        mix: MixOptions {
            allow_upmix: spec.allow_upmix,
        },
        track_id: 0,
        profile: spec.profile,
    };
    let mut tx = AudioTranscoder::new(in_rate, in_ch, &config).map_err(&aerr)?;
    // Sources StartTime/Duration cut the audio sample-exactly, on the presentation timeline.
    let sr = i64::from(in_rate);
    let trim = src.trim;
    let lo = trim
        .start_us
        .map_or(i64::MIN / 2, |s| rescale_round(s, sr, 1_000_000));
    let hi = trim
        .duration_us
        .map(|d| rescale_round(trim.start_us.unwrap_or(0) + d, sr, 1_000_000));
    let cut = EditTrimmer::with_range(lo, hi, lo);
    let io_err = |source| EngineError::Io {
        path: spool.to_path_buf(),
        source,
    };
    let mut out = BufWriter::new(std::fs::File::create(spool).map_err(io_err)?);
    let mut sizes = Vec::new();
    let mut write = |packets: Vec<Packet>, sizes: &mut Vec<u32>| -> Result<(), EngineError> {
        for p in packets {
            out.write_all(&p.data).map_err(io_err)?;
            sizes.push(p.data.len() as u32);
        }
        Ok(())
    };
    while let Some(block) = source.next_block().map_err(&aerr)? {
        if cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(EngineError::Cancelled);
        }
        if let Some(b) = cut.push(block) {
            let packets = tx.push(b).map_err(&aerr)?;
            write(packets, &mut sizes)?;
        }
    }
    let started = tx.presented_samples() > 0;
    let tail = tx.finish().map_err(&aerr)?;
    write(tail, &mut sizes)?;
    out.flush().map_err(io_err)?;
    if !started {
        return Err(EngineError::Audio {
            path: src.input.to_path_buf(),
            source: strata_audio::AudioError::NoAudio {
                detail: "the audio track yields no samples inside the encoded range".into(),
            },
        });
    }
    let rate = i64::from(spec.sample_rate);
    Ok(EncodedAudio {
        spool: spool.to_path_buf(),
        sizes: Arc::new(sizes),
        asc: tx.audio_specific_config(),
        channels: spec.channels,
        sample_rate: spec.sample_rate,
        priming: tx.priming_samples(),
        frame_len: tx.frame_len(),
        presented: tx.presented_samples(),
        first_us: rescale_round(tx.start_pts(), 1_000_000, rate),
        language: src
            .track
            .map_or_else(|| "und".to_string(), |(_, t)| t.language.clone()),
    })
}

/// Applies an edit list to a source's blocks.
struct Edited<S> {
    inner: S,
    trimmer: EditTrimmer,
}

impl<S: BlockSource> BlockSource for Edited<S> {
    fn sample_rate(&self) -> u32 {
        self.inner.sample_rate()
    }
    fn channels(&self) -> u16 {
        self.inner.channels()
    }
    fn next_block(&mut self) -> strata_audio::Result<Option<Block>> {
        while let Some(b) = self.inner.next_block()? {
            if let Some(b) = self.trimmer.push(b) {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}

/// Measured facts of an input AAC track, for the "already matches the preset" test.
pub(crate) fn aac_facts(track: &Track) -> Option<(u8, u16, u32)> {
    match &track.codec {
        CodecParams::Aac { asc, audio, .. } => {
            Some((audio_object_type(asc), audio.channels, audio.sample_rate))
        }
        _ => None,
    }
}
