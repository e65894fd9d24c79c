//! Decoder → mixer → resampler → AAC encoder.

use crate::error::{AudioError, Result};
use crate::{Block, BlockSource, ChannelMixer, MixOptions, Resampler};
use std::collections::VecDeque;
use strata_aac::{AacConfig, AacEncoder};
use strata_core::Packet;

/// The AAC flavour (MPEG-4 audio object type) to encode.
///
/// HE-AAC profiles need the `fdk-aac` cargo feature (libfdk-aac, under the Fraunhofer FDK AAC
/// licence: see the crate docs); without it [`AudioTranscoder::new`] returns
/// [`AudioError::HeAacUnavailable`] for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AacProfile {
    /// AAC-LC (object type 2), encoded by `strata-aac`.
    #[default]
    Lc,
    /// HE-AAC v1: AAC-LC at half the rate plus spectral band replication (object type 5).
    HeV1,
    /// HE-AAC v2: HE-AAC v1 with parametric stereo (object type 29); stereo only, the core
    /// codes a mono downmix.
    HeV2,
}

impl AacProfile {
    /// The usual name: "AAC-LC", "HE-AAC" or "HE-AACv2".
    pub fn name(self) -> &'static str {
        match self {
            Self::Lc => "AAC-LC",
            Self::HeV1 => "HE-AAC",
            Self::HeV2 => "HE-AACv2",
        }
    }
}

impl std::fmt::Display for AacProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Target of an audio transcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscodeConfig {
    /// Output sample rate in Hz (an AAC-LC rate `strata-aac` supports; for HE-AAC one
    /// libfdk-aac accepts, e.g. 32, 44.1 or 48 kHz, the SBR core running at half of it).
    pub sample_rate: u32,
    /// Output channels: 1, 2, 6 (5.1) or 8 (7.1); HE-AAC v1 1 or 2, HE-AAC v2 2.
    pub channels: u16,
    /// Constant bitrate in bits per second.
    pub bitrate_bps: u32,
    /// Channel mixing options (upmix permission).
    pub mix: MixOptions,
    /// Track id written into the output packets.
    pub track_id: u32,
    /// AAC profile; [`AacProfile::Lc`] by default.
    pub profile: AacProfile,
}

impl Default for TranscodeConfig {
    fn default() -> Self {
        Self {
            sample_rate: 48_000,
            channels: 2,
            bitrate_bps: 128_000,
            mix: MixOptions::default(),
            track_id: 1,
            profile: AacProfile::Lc,
        }
    }
}

/// The encoder behind an [`AudioTranscoder`].
enum Backend {
    // Boxed: the native encoder's frame state is several times the size of libfdk-aac's handle.
    Native(Box<AacEncoder>),
    #[cfg(feature = "fdk-aac")]
    Fdk(crate::he_aac::FdkEncoder),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Native(e) => e.config().fmt(f),
            #[cfg(feature = "fdk-aac")]
            Self::Fdk(e) => e.fmt(f),
        }
    }
}

impl Backend {
    fn new(config: &TranscodeConfig) -> Result<Self> {
        match config.profile {
            AacProfile::Lc => Ok(Self::Native(Box::new(AacEncoder::new(AacConfig {
                sample_rate: config.sample_rate,
                channels: config.channels,
                bitrate_bps: config.bitrate_bps,
                ..Default::default()
            })?))),
            #[cfg(feature = "fdk-aac")]
            p => Ok(Self::Fdk(crate::he_aac::FdkEncoder::new(
                p,
                config.sample_rate,
                config.channels,
                config.bitrate_bps,
            )?)),
            #[cfg(not(feature = "fdk-aac"))]
            p => Err(AudioError::HeAacUnavailable {
                profile: p.to_string(),
            }),
        }
    }

    fn frame_len(&self) -> u32 {
        match self {
            Self::Native(_) => strata_aac::FRAME_LEN as u32,
            #[cfg(feature = "fdk-aac")]
            Self::Fdk(e) => e.frame_len(),
        }
    }

    fn audio_specific_config(&self) -> Vec<u8> {
        match self {
            Self::Native(e) => e.audio_specific_config(),
            #[cfg(feature = "fdk-aac")]
            Self::Fdk(e) => e.audio_specific_config(),
        }
    }

    fn priming_samples(&self) -> u32 {
        match self {
            Self::Native(e) => e.priming_samples(),
            #[cfg(feature = "fdk-aac")]
            Self::Fdk(e) => e.priming_samples(),
        }
    }

    fn encode(&mut self, pcm: &[f32]) -> Result<Vec<strata_aac::AacPacket>> {
        match self {
            Self::Native(e) => Ok(e.encode(pcm)?),
            #[cfg(feature = "fdk-aac")]
            Self::Fdk(e) => e.encode(pcm),
        }
    }

    fn flush(&mut self) -> Result<Vec<strata_aac::AacPacket>> {
        match self {
            Self::Native(e) => Ok(e.flush()?),
            #[cfg(feature = "fdk-aac")]
            Self::Fdk(e) => e.flush(),
        }
    }

    fn adts_frame(&self, packet: &strata_aac::AacPacket) -> Vec<u8> {
        match self {
            Self::Native(e) => e.adts_frame(packet),
            #[cfg(feature = "fdk-aac")]
            Self::Fdk(e) => e.adts_frame(&packet.data),
        }
    }
}

/// Push-driven transcoder: decoded blocks in, AAC packets out.
///
/// Output packets are raw AAC frames whose times are in output samples (time base =
/// `sample_rate`): the first packet is at `start − priming_samples`, where `start` is the
/// first input block's presentation time. A muxer writes an edit list with `media_time =`
/// [`AudioTranscoder::priming_samples`] and `segment_duration =`
/// [`AudioTranscoder::presented_samples`] (after [`AudioTranscoder::finish`]) so players
/// trim the priming and the zero padding of the last frame. Packets last
/// [`AudioTranscoder::frame_len`] samples: 1024 for AAC-LC, 2048 for HE-AAC.
/// Memory is bounded by one block plus the resampler's and encoder's frame buffers.
pub struct AudioTranscoder {
    mixer: ChannelMixer,
    resampler: Resampler,
    encoder: Backend,
    in_rate: u32,
    track_id: u32,
    start: Option<i64>,
    samples_in: u64,
    finished: bool,
}

impl std::fmt::Debug for AudioTranscoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioTranscoder")
            .field("mixer", &self.mixer)
            .field("resampler", &self.resampler)
            .field("encoder", &self.encoder)
            .finish_non_exhaustive()
    }
}

impl AudioTranscoder {
    /// A transcoder for input of `in_rate` Hz and `in_channels` channels.
    ///
    /// # Errors
    /// [`AudioError::Encode`] when the AAC-LC configuration is invalid (rate, channels,
    /// bitrate); [`AudioError::HeAacUnavailable`] for an HE-AAC profile without the
    /// `fdk-aac` feature, [`AudioError::HeAacEncode`] when libfdk-aac rejects the HE-AAC
    /// configuration; [`AudioError::UpmixRefused`] / [`AudioError::UnsupportedLayout`] from the
    /// mixer; [`AudioError::UnsupportedSampleRate`] from the resampler.
    pub fn new(in_rate: u32, in_channels: u16, config: &TranscodeConfig) -> Result<Self> {
        // Validate the encoder first: its errors name the allowed output rates and bitrates.
        let encoder = Backend::new(config)?;
        let mixer = ChannelMixer::new(in_channels, config.channels, config.mix)?;
        let resampler = Resampler::new(in_rate, config.sample_rate, config.channels)?;
        Ok(Self {
            mixer,
            resampler,
            encoder,
            in_rate,
            track_id: config.track_id,
            start: None,
            samples_in: 0,
            finished: false,
        })
    }

    /// The AudioSpecificConfig for the MP4 `esds`. HE-AAC signals SBR (and PS) explicitly
    /// and hierarchically (object type 5 or 29 first), so players know the output rate and
    /// channels before decoding.
    pub fn audio_specific_config(&self) -> Vec<u8> {
        self.encoder.audio_specific_config()
    }

    /// Encoder delay in output samples, to skip with the edit list's `media_time`. Not a
    /// whole number of frames for HE-AAC (the SBR filter banks add to the core's delay).
    pub fn priming_samples(&self) -> u32 {
        self.encoder.priming_samples()
    }

    /// Output samples (per channel) each packet decodes to: 1024 for AAC-LC, 2048 for
    /// HE-AAC, whose SBR doubles the 1024-sample core frame.
    pub fn frame_len(&self) -> u32 {
        self.encoder.frame_len()
    }

    /// Output samples fed to the encoder so far: after [`AudioTranscoder::finish`], the
    /// presented duration in output samples.
    pub fn presented_samples(&self) -> u64 {
        self.samples_in
    }

    /// Presentation time, in output samples, of the first input sample (0 until a block
    /// has been pushed).
    pub fn start_pts(&self) -> i64 {
        self.start.unwrap_or(0)
    }

    /// Feeds one decoded block; returns the AAC packets completed.
    ///
    /// # Errors
    /// [`AudioError::FormatChanged`] for a block of another rate or layout than the first,
    /// [`AudioError::AlreadyFlushed`] after [`AudioTranscoder::finish`], encoder errors.
    pub fn push(&mut self, block: Block) -> Result<Vec<Packet>> {
        if self.finished {
            return Err(AudioError::AlreadyFlushed);
        }
        if block.sample_rate != self.in_rate {
            return Err(AudioError::FormatChanged {
                expected_channels: self.mixer.input_channels(),
                expected_rate: self.in_rate,
                channels: block.channels,
                rate: block.sample_rate,
            });
        }
        let mixed = self.mixer.process_block(block)?;
        let out = self.resampler.push_block(&mixed)?;
        if self.start.is_none() {
            self.start = Some(strata_core::rescale_round(
                mixed.pts,
                i64::from(self.resampler.output_rate()),
                i64::from(self.in_rate),
            ));
        }
        match out {
            Some(b) => self.encode(&b.samples),
            None => Ok(Vec::new()),
        }
    }

    /// Flushes the resampler and the encoder; returns the last packets.
    ///
    /// # Errors
    /// [`AudioError::AlreadyFlushed`] on a second call, encoder errors.
    pub fn finish(&mut self) -> Result<Vec<Packet>> {
        if self.finished {
            return Err(AudioError::AlreadyFlushed);
        }
        self.finished = true;
        let tail = self.resampler.flush()?;
        let mut out = self.encode(&tail)?;
        let start = self.start_pts();
        out.extend(
            self.encoder
                .flush()?
                .into_iter()
                .map(|p| self.to_packet(p, start)),
        );
        Ok(out)
    }

    fn encode(&mut self, pcm: &[f32]) -> Result<Vec<Packet>> {
        self.samples_in += (pcm.len() / usize::from(self.mixer.output_channels())) as u64;
        let start = self.start_pts();
        Ok(self
            .encoder
            .encode(pcm)?
            .into_iter()
            .map(|p| self.to_packet(p, start))
            .collect())
    }

    fn to_packet(&self, p: strata_aac::AacPacket, start: i64) -> Packet {
        Packet {
            track_id: self.track_id,
            data: p.data,
            dts: p.pts + start,
            pts: p.pts + start,
            duration: i64::from(p.duration),
            keyframe: true,
        }
    }

    /// Wraps a packet of this transcoder in an ADTS header, for raw `.aac` output. For
    /// HE-AAC the header describes the AAC-LC core (half rate; mono core for v2), the
    /// implicit signalling ADTS allows, so decoders find SBR/PS in the payload.
    pub fn adts_frame(&self, packet: &Packet) -> Vec<u8> {
        self.encoder.adts_frame(&strata_aac::AacPacket {
            data: packet.data.clone(),
            pts: packet.pts,
            duration: packet.duration as u32,
        })
    }
}

/// Pull-driven chain: a [`BlockSource`] transcoded to AAC, as an iterator of packets.
///
/// Reads one block at a time from the source, so memory stays bounded on any input length.
pub struct Pipeline<S> {
    source: S,
    transcoder: AudioTranscoder,
    queue: VecDeque<Packet>,
    done: bool,
}

impl<S> std::fmt::Debug for Pipeline<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("transcoder", &self.transcoder)
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl<S: BlockSource> Pipeline<S> {
    /// Chains `source` into a transcoder for `config`.
    ///
    /// # Errors
    /// As [`AudioTranscoder::new`].
    pub fn new(source: S, config: &TranscodeConfig) -> Result<Self> {
        let transcoder = AudioTranscoder::new(source.sample_rate(), source.channels(), config)?;
        Ok(Self {
            source,
            transcoder,
            queue: VecDeque::new(),
            done: false,
        })
    }

    /// The transcoder (ASC, priming, presented duration).
    pub fn transcoder(&self) -> &AudioTranscoder {
        &self.transcoder
    }

    /// The next AAC packet, `None` after the last.
    ///
    /// # Errors
    /// Source (decode) and transcoder errors; the pipeline should be dropped after one.
    pub fn next_packet(&mut self) -> Result<Option<Packet>> {
        while self.queue.is_empty() && !self.done {
            match self.source.next_block()? {
                Some(b) => self.queue.extend(self.transcoder.push(b)?),
                None => {
                    self.done = true;
                    self.queue.extend(self.transcoder.finish()?);
                }
            }
        }
        Ok(self.queue.pop_front())
    }
}

impl<S: BlockSource> Iterator for Pipeline<S> {
    type Item = Result<Packet>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_packet() {
            Ok(p) => p.map(Ok),
            Err(e) => {
                self.done = true;
                self.queue.clear();
                Some(Err(e))
            }
        }
    }
}
