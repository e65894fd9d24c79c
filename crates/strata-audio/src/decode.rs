//! AAC decoding of demuxed tracks and sample-exact edit-list trimming.

use crate::aac_mc;
use crate::error::{from_symphonia, AudioError, Result};
use crate::{Block, BlockSource};
use strata_core::{CodecParams, Packet, TimeBase, Track};
use symphonia::core::codecs::audio::well_known::CODEC_ID_AAC;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::packet::PacketRef;
use symphonia::core::units::{Duration, Timestamp};

/// For each output channel (WAV order: L, R, C, LFE, back/side pairs), the index of the
/// decoded channel, which the AAC decoder emits in bitstream element order
/// (ISO/IEC 14496-3 Table 1.19: C, L, R, surround pair(s), LFE). `None` means identity.
pub(crate) fn aac_to_wav_order(channels: usize) -> Option<&'static [usize]> {
    match channels {
        3 => Some(&[1, 2, 0]),
        4 => Some(&[1, 2, 0, 3]),
        5 => Some(&[1, 2, 0, 3, 4]),
        6 => Some(&[1, 2, 0, 5, 3, 4]),
        // 7.1 (channel configuration 7): C, L, R, Ls, Rs (side), Lb, Rb (back), LFE. WAV order
        // is L, R, C, LFE, BL, BR, SL, SR.
        8 => Some(&[1, 2, 0, 7, 5, 6, 3, 4]),
        _ => None,
    }
}

/// Copies a decoded buffer to interleaved f32, reordering channels by `map` when given.
pub(crate) fn interleave(
    buf: &symphonia::core::audio::GenericAudioBufferRef<'_>,
    channels: usize,
    map: Option<&[usize]>,
    out: &mut Vec<f32>,
) {
    let mut tmp = Vec::new();
    buf.copy_to_vec_interleaved::<f32>(&mut tmp);
    match map {
        None => *out = tmp,
        Some(map) => {
            out.clear();
            out.reserve(tmp.len());
            for frame in tmp.chunks_exact(channels) {
                out.extend(map.iter().map(|&i| frame[i]));
            }
        }
    }
}

/// AAC-LC decoder for a demuxed [`Track`] (symphonia's decoder, extended to 5.1 and 7.1).
///
/// Output is interleaved f32 in WAV channel order, the same order [`strata_aac::AacEncoder`]
/// takes. The decoder does **not** trim encoder priming: use [`EditTrimmer`] (or
/// [`TrackDecoder`], which combines both).
pub struct AacDecoder {
    inner: aac_mc::AacDecoder,
    track_id: u32,
    time_base: TimeBase,
    sample_rate: u32,
    channels: u16,
    map: Option<&'static [usize]>,
}

impl std::fmt::Debug for AacDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AacDecoder")
            .field("track_id", &self.track_id)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl AacDecoder {
    /// Builds a decoder from a track with [`CodecParams::Aac`], using its AudioSpecificConfig.
    ///
    /// # Errors
    /// [`AudioError::UnsupportedCodec`] for a [`CodecParams::Unsupported`] track (named),
    /// [`AudioError::WrongCodec`] for a non-audio codec, [`AudioError::UnsupportedFeature`] for
    /// HE-AAC, other object types or a PCE-defined layout, [`AudioError::Malformed`] for a bad
    /// AudioSpecificConfig.
    pub fn new(track: &Track) -> Result<Self> {
        let (asc, audio) = match &track.codec {
            CodecParams::Aac { asc, audio, .. } => (asc, audio),
            CodecParams::Unsupported { name, .. } => {
                return Err(AudioError::UnsupportedCodec { name: name.clone() })
            }
            other => return Err(AudioError::WrongCodec(other.name().to_string())),
        };
        let mut params = AudioCodecParameters::new();
        params
            .for_codec(CODEC_ID_AAC)
            .with_sample_rate(audio.sample_rate)
            .with_extra_data(asc.clone().into_boxed_slice());
        let inner = aac_mc::AacDecoder::try_new(&params, &AudioDecoderOptions::default())
            .map_err(from_symphonia)?;
        let p = inner.codec_params();
        let channels = p.channels.as_ref().map_or(0, |c| c.count());
        let sample_rate = p.sample_rate.unwrap_or(audio.sample_rate);
        if channels == 0 || sample_rate == 0 {
            return Err(AudioError::Malformed {
                detail: "AudioSpecificConfig gives no channel count or sample rate".into(),
            });
        }
        Ok(Self {
            inner,
            track_id: track.id,
            time_base: track.time_base,
            sample_rate,
            channels: channels as u16,
            map: aac_to_wav_order(channels),
        })
    }

    /// Output sample rate in Hz (from the AudioSpecificConfig).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Output channel count.
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Decodes one access unit. The block's `pts` is the packet's composition time in samples
    /// (before any edit list), so priming frames have `pts` < media_time.
    ///
    /// # Errors
    /// [`AudioError::Malformed`] for a corrupt frame, [`AudioError::UnsupportedFeature`] for
    /// SBR/PCE/coupling elements met in the stream, [`AudioError::WrongCodec`] for a packet
    /// of another track.
    pub fn decode(&mut self, packet: &Packet) -> Result<Block> {
        if packet.track_id != self.track_id {
            return Err(AudioError::WrongCodec(format!(
                "packet of track {} given to the decoder of track {}",
                packet.track_id, self.track_id
            )));
        }
        let rate_tb =
            TimeBase::new(self.sample_rate).map_err(|e| AudioError::Internal(e.to_string()))?;
        let pts = self.time_base.rescale(packet.pts, rate_tb);
        let dur = self.time_base.rescale(packet.duration, rate_tb).max(0) as u64;
        let pref = PacketRef::new(
            self.track_id,
            Timestamp::new(pts),
            Duration::new(dur),
            &packet.data,
        );
        let buf = self.inner.decode_ref(&pref).map_err(from_symphonia)?;
        let mut samples = Vec::new();
        interleave(&buf, usize::from(self.channels), self.map, &mut samples);
        Ok(Block {
            samples,
            channels: self.channels,
            sample_rate: self.sample_rate,
            pts,
        })
    }
}

/// Applies a track's edit list to decoded blocks, sample-exactly: drops the samples before
/// the edit's `media_time` (encoder priming) and after `media_time + segment_duration`
/// (encoder padding), and shifts the kept samples so presentation starts at the leading
/// empty edit (0 when there is none).
///
/// Blocks must arrive in presentation order with `pts` in samples on the media timeline (as
/// [`AacDecoder::decode`] gives them).
#[derive(Debug, Clone)]
pub struct EditTrimmer {
    start: i64,
    end: Option<i64>,
    offset: i64,
}

impl EditTrimmer {
    /// The trimmer for `track` decoded at `sample_rate`. Without an edit list nothing is
    /// trimmed.
    pub fn new(track: &Track, sample_rate: u32) -> Self {
        let tps = i64::from(track.time_base.ticks_per_second());
        let mts = i64::from(track.movie_time_base.ticks_per_second());
        let sr = i64::from(sample_rate);
        match track.edits {
            Some(e) => {
                let start = strata_core::rescale_round(e.media_time.max(0), sr, tps);
                let end = (e.segment_duration > 0)
                    .then(|| start + strata_core::rescale_round(e.segment_duration, sr, mts));
                Self {
                    start,
                    end,
                    offset: strata_core::rescale_round(e.empty_duration, sr, mts),
                }
            }
            None => Self {
                start: 0,
                end: None,
                offset: 0,
            },
        }
    }

    /// A trimmer keeping media samples `[start, end)` and presenting `start` at `offset`.
    pub fn with_range(start: i64, end: Option<i64>, offset: i64) -> Self {
        Self { start, end, offset }
    }

    /// Trims one block; `None` when nothing of it is presented.
    pub fn push(&self, mut block: Block) -> Option<Block> {
        let ch = usize::from(block.channels.max(1));
        let n = (block.samples.len() / ch) as i64;
        let b0 = block.pts;
        let lo = b0.max(self.start);
        let hi = self.end.map_or(b0 + n, |e| (b0 + n).min(e));
        if hi <= lo {
            return None;
        }
        let first = (lo - b0) as usize;
        let count = (hi - lo) as usize;
        block.samples.truncate((first + count) * ch);
        block.samples.drain(..first * ch);
        block.pts = lo - self.start + self.offset;
        Some(block)
    }

    /// Presented duration in samples when the edit list bounds it.
    pub fn presented_samples(&self) -> Option<i64> {
        self.end.map(|e| e - self.start)
    }
}

/// A [`BlockSource`] over a demuxed AAC track: decoder + edit-list trimming over any packet
/// iterator (for example `strata_demux::Demuxer::packets`).
pub struct TrackDecoder<I> {
    decoder: AacDecoder,
    trimmer: EditTrimmer,
    packets: I,
    done: bool,
}

impl<I> std::fmt::Debug for TrackDecoder<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackDecoder")
            .field("decoder", &self.decoder)
            .field("trimmer", &self.trimmer)
            .finish_non_exhaustive()
    }
}

impl<I, E> TrackDecoder<I>
where
    I: Iterator<Item = std::result::Result<Packet, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    /// Decodes `packets` of `track`, trimmed by the track's edit list.
    ///
    /// # Errors
    /// As [`AacDecoder::new`].
    pub fn new(track: &Track, packets: I) -> Result<Self> {
        let decoder = AacDecoder::new(track)?;
        let trimmer = EditTrimmer::new(track, decoder.sample_rate());
        Ok(Self {
            decoder,
            trimmer,
            packets,
            done: false,
        })
    }

    /// Presented duration in samples when the edit list bounds it.
    pub fn presented_samples(&self) -> Option<i64> {
        self.trimmer.presented_samples()
    }
}

impl<I, E> BlockSource for TrackDecoder<I>
where
    I: Iterator<Item = std::result::Result<Packet, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    fn sample_rate(&self) -> u32 {
        self.decoder.sample_rate()
    }

    fn channels(&self) -> u16 {
        self.decoder.channels()
    }

    fn next_block(&mut self) -> Result<Option<Block>> {
        while !self.done {
            let Some(packet) = self.packets.next() else {
                self.done = true;
                break;
            };
            let packet = packet.map_err(|e| AudioError::Source(Box::new(e)))?;
            let block = self.decoder.decode(&packet)?;
            if let Some(b) = self.trimmer.push(block) {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}
