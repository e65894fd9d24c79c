//! Decoder → mixer → resampler → AAC encoder.

use crate::error::{AudioError, Result};
use crate::{Block, BlockSource, ChannelMixer, MixOptions, Resampler};
use std::collections::VecDeque;
use strata_aac::{AacConfig, AacEncoder};
use strata_core::Packet;

/// Target of an audio transcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscodeConfig {
    /// Output sample rate in Hz (an AAC-LC rate `strata-aac` supports).
    pub sample_rate: u32,
    /// Output channels: 1, 2, 6 (5.1) or 8 (7.1).
    pub channels: u16,
    /// Constant bitrate in bits per second.
    pub bitrate_bps: u32,
    /// Channel mixing options (upmix permission).
    pub mix: MixOptions,
    /// Track id written into the output packets.
    pub track_id: u32,
}

impl Default for TranscodeConfig {
    fn default() -> Self {
        Self {
            sample_rate: 48_000,
            channels: 2,
            bitrate_bps: 128_000,
            mix: MixOptions::default(),
            track_id: 1,
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
/// trim the priming and the zero padding of the last frame.
/// Memory is bounded by one block plus the resampler's and encoder's frame buffers.
pub struct AudioTranscoder {
    mixer: ChannelMixer,
    resampler: Resampler,
    encoder: AacEncoder,
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
            .field("encoder", &self.encoder.config())
            .finish_non_exhaustive()
    }
}

impl AudioTranscoder {
    /// A transcoder for input of `in_rate` Hz and `in_channels` channels.
    ///
    /// # Errors
    /// [`AudioError::Encode`] when the AAC configuration is invalid (rate, channels,
    /// bitrate); [`AudioError::UpmixRefused`] / [`AudioError::UnsupportedLayout`] from the
    /// mixer; [`AudioError::UnsupportedSampleRate`] from the resampler.
    pub fn new(in_rate: u32, in_channels: u16, config: &TranscodeConfig) -> Result<Self> {
        // Validate the encoder first: its errors name the allowed output rates and bitrates.
        let encoder = AacEncoder::new(AacConfig {
            sample_rate: config.sample_rate,
            channels: config.channels,
            bitrate_bps: config.bitrate_bps,
            ..Default::default()
        })?;
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

    /// The AudioSpecificConfig for the MP4 `esds`.
    pub fn audio_specific_config(&self) -> Vec<u8> {
        self.encoder.audio_specific_config()
    }

    /// Encoder delay in output samples, to skip with the edit list's `media_time`.
    pub fn priming_samples(&self) -> u32 {
        self.encoder.priming_samples()
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

    /// Wraps a packet of this transcoder in an ADTS header, for raw `.aac` output.
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
