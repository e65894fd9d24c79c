//! File-level decoding through symphonia's probe, for inputs the Strata demuxer does not
//! carry as AAC tracks: WAV, FLAC, MP3 (raw or in MP4), Ogg Vorbis, ALAC, ADTS AAC.

use crate::aac_mc;
use crate::decode::{aac_to_wav_order, interleave};
use crate::error::{from_symphonia, AudioError, Result};
use crate::{Block, BlockSource};
use std::path::Path;
use symphonia::core::codecs::audio::well_known as ids;
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// Name of a codec symphonia identifies but Strata cannot decode.
fn codec_name(id: AudioCodecId) -> String {
    let known = [
        (ids::CODEC_ID_OPUS, "Opus"),
        (ids::CODEC_ID_AC3, "AC-3"),
        (ids::CODEC_ID_EAC3, "E-AC-3"),
        (ids::CODEC_ID_AC4, "AC-4"),
        (ids::CODEC_ID_DCA, "DTS"),
        (ids::CODEC_ID_SPEEX, "Speex"),
        (ids::CODEC_ID_WMA, "WMA"),
        (ids::CODEC_ID_WAVPACK, "WavPack"),
        (ids::CODEC_ID_MONKEYS_AUDIO, "Monkey's Audio"),
        (ids::CODEC_ID_TTA, "TTA"),
        (ids::CODEC_ID_MP1, "MPEG-1 Layer I"),
        (ids::CODEC_ID_MP2, "MPEG-1 Layer II"),
    ];
    known
        .iter()
        .find(|(k, _)| *k == id)
        .map_or_else(|| format!("audio codec {id}"), |(_, n)| (*n).to_string())
}

/// The decoders Strata registers: symphonia's, except AAC, which is our multichannel-capable
/// copy (symphonia's own rejects more than two channels).
fn registry() -> &'static CodecRegistry {
    static REG: std::sync::OnceLock<CodecRegistry> = std::sync::OnceLock::new();
    REG.get_or_init(|| {
        use symphonia::default::codecs;
        let mut r = CodecRegistry::new();
        r.register_audio_decoder::<aac_mc::AacDecoder>();
        r.register_audio_decoder::<codecs::AlacDecoder>();
        r.register_audio_decoder::<codecs::FlacDecoder>();
        r.register_audio_decoder::<codecs::MpaDecoder>();
        r.register_audio_decoder::<codecs::PcmDecoder>();
        r.register_audio_decoder::<codecs::VorbisDecoder>();
        r
    })
}

/// A streaming decoder for the first audio track of a file. Holds one packet and one decoded
/// block at a time, so memory does not grow with the file's length.
///
/// Gapless trimming uses what the container signals per packet (MP3 LAME/Xing delay and
/// padding, Ogg granule positions); MP4 edit lists are not applied here (see
/// [`crate::EditTrimmer`] with a track from `strata-demux`).
pub struct FileDecoder {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    sample_rate: u32,
    channels: u16,
    map: Option<&'static [usize]>,
    codec: String,
    next_pts: i64,
    pending: Option<Block>,
    learn_format: bool,
}

impl std::fmt::Debug for FileDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDecoder")
            .field("codec", &self.codec)
            .field("track_id", &self.track_id)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

/// Opens an audio file (or a media file with an audio track) through symphonia's probe.
///
/// The format is sniffed from the bytes; the extension is only a hint.
///
/// # Errors
/// [`AudioError::Io`] when the file cannot be opened; [`AudioError::NoAudio`] when no format
/// matches or there is no audio track; [`AudioError::UnsupportedCodec`] naming the codec
/// (Opus, AC-3, …) when the audio track's codec has no decoder;
/// [`AudioError::UnsupportedFeature`] / [`AudioError::Malformed`] from the decoder's setup.
pub fn open_audio_file(path: &Path) -> Result<FileDecoder> {
    let file = std::fs::File::open(path)?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            symphonia::core::errors::Error::IoError(io) => AudioError::Io(io),
            other => AudioError::NoAudio {
                detail: other.to_string(),
            },
        })?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| AudioError::NoAudio {
            detail: "no audio track".into(),
        })?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| AudioError::NoAudio {
            detail: "audio track without codec parameters".into(),
        })?
        .clone();
    let track_id = track.id;
    let reg = registry();
    let codec = match reg.get_audio_decoder(params.codec) {
        Some(d) => d.codec.info.short_name.to_string(),
        None => {
            return Err(AudioError::UnsupportedCodec {
                name: codec_name(params.codec),
            })
        }
    };
    // gapless=false: we apply the packets' trim fields ourselves, identically for every codec
    // (symphonia 0.6 honours them in MP3 and Vorbis only).
    let decoder = reg
        .make_audio_decoder(&params, &AudioDecoderOptions::default().gapless(false))
        .map_err(from_symphonia)?;
    let dp = decoder.codec_params();
    let channels = dp
        .channels
        .as_ref()
        .or(params.channels.as_ref())
        .map_or(0, |c| c.count());
    let sample_rate = dp.sample_rate.or(params.sample_rate).unwrap_or(0);
    let map = |ch: usize| {
        if params.codec == ids::CODEC_ID_AAC {
            aac_to_wav_order(ch)
        } else {
            None
        }
    };
    let mut fd = FileDecoder {
        format,
        decoder,
        track_id,
        sample_rate,
        channels: channels as u16,
        map: map(channels),
        codec,
        next_pts: 0,
        pending: None,
        learn_format: false,
    };
    if channels == 0 || sample_rate == 0 {
        // Some containers (MP3 in MP4) leave the layout to the bitstream: learn it from the
        // first decoded frame, which is kept for the first `next_block`.
        fd.learn_format = true;
        fd.pending = fd.next_block()?;
        fd.learn_format = false;
        if fd.channels == 0 || fd.sample_rate == 0 {
            return Err(AudioError::Malformed {
                detail: "audio track without channel count or sample rate".into(),
            });
        }
        fd.map = map(usize::from(fd.channels));
    }
    Ok(fd)
}

impl FileDecoder {
    /// Short name of the decoder in use ("mp3", "flac", "vorbis", "alac", "aac", "pcm_s16le", …).
    pub fn codec(&self) -> &str {
        &self.codec
    }
}

impl BlockSource for FileDecoder {
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn channels(&self) -> u16 {
        self.channels
    }

    /// Next decoded block; `pts` counts the samples handed out before it (after trimming), so
    /// the stream starts at 0 and is gapless.
    fn next_block(&mut self) -> Result<Option<Block>> {
        if let Some(b) = self.pending.take() {
            return Ok(Some(b));
        }
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(None),
                // Some readers report the end of the stream as an unexpected EOF.
                Err(symphonia::core::errors::Error::IoError(e))
                    if e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(from_symphonia(e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let buf = self.decoder.decode(&packet).map_err(from_symphonia)?;
            if self.learn_format {
                self.sample_rate = buf.spec().rate();
                self.channels = buf.spec().channels().count() as u16;
            }
            let ch = usize::from(self.channels);
            if buf.spec().rate() != self.sample_rate || buf.spec().channels().count() != ch {
                return Err(AudioError::FormatChanged {
                    expected_channels: self.channels,
                    expected_rate: self.sample_rate,
                    channels: buf.spec().channels().count() as u16,
                    rate: buf.spec().rate(),
                });
            }
            let mut samples = Vec::new();
            interleave(&buf, ch, self.map, &mut samples);
            let frames = samples.len() / ch;
            let head = (packet.trim_start.get() as usize).min(frames);
            let tail = (packet.trim_end.get() as usize).min(frames - head);
            samples.truncate((frames - tail) * ch);
            samples.drain(..head * ch);
            if samples.is_empty() {
                continue;
            }
            let pts = self.next_pts;
            self.next_pts += (samples.len() / ch) as i64;
            return Ok(Some(Block {
                samples,
                channels: self.channels,
                sample_rate: self.sample_rate,
                pts,
            }));
        }
    }
}
