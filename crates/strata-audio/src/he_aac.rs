//! HE-AAC v1/v2 through libfdk-aac (feature `fdk-aac`; see the crate docs for its licence).

use crate::error::{AudioError, Result};
use crate::AacProfile;
use fdk_aac::enc::{AudioObjectType, BitRate, ChannelMode, Encoder, EncoderParams, Transport};
use strata_aac::AacPacket;

fn fdk_err(what: &str, e: fdk_aac::enc::EncoderError) -> AudioError {
    AudioError::HeAacEncode {
        detail: format!("{what}: {e}"),
    }
}

/// libfdk-aac configured for raw access units (the ASC goes into the MP4 `esds`).
pub(crate) struct FdkEncoder {
    encoder: Encoder,
    profile: AacProfile,
    sample_rate: u32,
    channels: u16,
    bitrate_bps: u32,
    /// Output samples per access unit (2048 with dual-rate SBR).
    frame_len: u32,
    priming: u32,
    asc: Vec<u8>,
    /// ADTS fields of the AAC-LC core (implicit SBR/PS signalling).
    core_sf_index: u8,
    core_channel_config: u8,
    out_buf: Vec<u8>,
    frames_out: u64,
    samples_in: u64,
    /// Converted input not yet making up a whole frame.
    pcm: Vec<i16>,
}

impl std::fmt::Debug for FdkEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FdkEncoder")
            .field("profile", &self.profile)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .field("bitrate_bps", &self.bitrate_bps)
            .field("frame_len", &self.frame_len)
            .field("priming", &self.priming)
            .finish_non_exhaustive()
    }
}

impl FdkEncoder {
    pub(crate) fn new(
        profile: AacProfile,
        sample_rate: u32,
        channels: u16,
        bitrate_bps: u32,
    ) -> Result<Self> {
        let (aot, mode) = match (profile, channels) {
            (AacProfile::HeV1, 1) => (AudioObjectType::Mpeg4HeAac, ChannelMode::Mono),
            (AacProfile::HeV1, 2) => (AudioObjectType::Mpeg4HeAac, ChannelMode::Stereo),
            // PS codes a mono core plus stereo parameters, so the encoder needs the stereo
            // signal to derive them from.
            (AacProfile::HeV2, 2) => (AudioObjectType::Mpeg4HeAacV2, ChannelMode::Stereo),
            (AacProfile::Lc, _) => {
                return Err(AudioError::Internal(
                    "the libfdk-aac path is only used for HE-AAC".into(),
                ))
            }
            (p, n) => {
                let allowed = if p == AacProfile::HeV2 {
                    "2 (stereo)"
                } else {
                    "1 or 2"
                };
                return Err(AudioError::HeAacEncode {
                    detail: format!("{p} needs {allowed} output channels, not {n}"),
                });
            }
        };
        let encoder = Encoder::new(EncoderParams {
            bit_rate: BitRate::Cbr(bitrate_bps),
            sample_rate,
            transport: Transport::Raw,
            channels: mode,
            audio_object_type: aot,
        })
        .map_err(|e| {
            fdk_err(
                &format!("{profile} at {sample_rate} Hz, {channels} ch, {bitrate_bps} b/s"),
                e,
            )
        })?;
        let info = encoder.info().map_err(|e| fdk_err("aacEncInfo", e))?;
        let asc = info.confBuf[..(info.confSize as usize).min(info.confBuf.len())].to_vec();
        let (core_sf_index, core_channel_config) = core_of_asc(&asc)?;
        Ok(Self {
            encoder,
            profile,
            sample_rate,
            channels,
            bitrate_bps,
            frame_len: info.frameLength,
            // nDelay includes the SBR decoder's QMF delay (962 samples) that nDelayCore
            // leaves out for decoders that compensate it themselves; FFmpeg's does not, and the
            // tests find the tone's edges where the input has them only with nDelay.
            priming: info.nDelay,
            asc,
            core_sf_index,
            core_channel_config,
            out_buf: vec![0; (info.maxOutBufBytes as usize).max(8192)],
            frames_out: 0,
            samples_in: 0,
            pcm: Vec::new(),
        })
    }

    pub(crate) fn frame_len(&self) -> u32 {
        self.frame_len
    }

    pub(crate) fn priming_samples(&self) -> u32 {
        self.priming
    }

    pub(crate) fn audio_specific_config(&self) -> Vec<u8> {
        self.asc.clone()
    }

    /// Interleaved f32 PCM in, completed access units out.
    pub(crate) fn encode(&mut self, pcm: &[f32]) -> Result<Vec<AacPacket>> {
        self.samples_in += (pcm.len() / usize::from(self.channels)) as u64;
        self.feed(pcm)
    }

    fn feed(&mut self, pcm: &[f32]) -> Result<Vec<AacPacket>> {
        // libfdk-aac takes 16-bit PCM only.
        self.pcm.extend(
            pcm.iter()
                .map(|&s| (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16),
        );
        // Whole frames only: libfdk-aac 2.0 overruns its input buffer in HE-AAC v2 when a
        // frame arrives in pieces (mstorsjo/fdk-aac#129, seen here under valgrind).
        let frame = self.frame_len as usize * usize::from(self.channels);
        let mut out = Vec::new();
        let mut pos = 0;
        while self.pcm.len() - pos >= frame {
            let info = self
                .encoder
                .encode(&self.pcm[pos..pos + frame], &mut self.out_buf)
                .map_err(|e| fdk_err("aacEncEncode", e))?;
            // Packet times assume one access unit per frame in, from the first frame on.
            if info.input_consumed != frame || info.output_size == 0 {
                return Err(AudioError::Internal(format!(
                    "libfdk-aac took {} of a {frame}-sample frame and gave {} bytes",
                    info.input_consumed, info.output_size
                )));
            }
            pos += frame;
            out.push(self.packet(info.output_size));
        }
        self.pcm.drain(..pos);
        Ok(out)
    }

    /// The frames still needed to cover the priming and every input sample.
    ///
    /// The wrapper cannot pass libfdk-aac's end-of-stream marker (`numInSamples = -1`), so
    /// the tail is pushed out with silence; the edit list hides it like any frame padding.
    pub(crate) fn flush(&mut self) -> Result<Vec<AacPacket>> {
        let needed =
            (u64::from(self.priming) + self.samples_in).div_ceil(u64::from(self.frame_len));
        // The first call completes the partial frame held back, then one frame a call.
        let silence = vec![0.0f32; self.frame_len as usize * usize::from(self.channels)];
        let mut out = Vec::new();
        // Bounded: each frame of silence completes at least one access unit unless the
        // encoder holds frames back, which the slack allows for.
        let mut budget = needed.saturating_sub(self.frames_out) + 8;
        while self.frames_out < needed {
            if budget == 0 {
                return Err(AudioError::Internal(
                    "libfdk-aac did not drain its delay line".into(),
                ));
            }
            budget -= 1;
            out.extend(self.feed(&silence)?);
        }
        // Frames past `needed` would hold nothing but silence.
        out.truncate(out.len() - (self.frames_out - needed) as usize);
        self.frames_out = needed;
        Ok(out)
    }

    fn packet(&mut self, len: usize) -> AacPacket {
        let pts = self.frames_out as i64 * i64::from(self.frame_len) - i64::from(self.priming);
        self.frames_out += 1;
        AacPacket {
            data: self.out_buf[..len].to_vec(),
            pts,
            duration: self.frame_len,
        }
    }

    /// A 7-byte ADTS header (MPEG-4, no CRC) describing the AAC-LC core, which is how SBR
    /// and PS are signalled in ADTS (implicitly): profile LC, the core's rate and channels.
    pub(crate) fn adts_frame(&self, data: &[u8]) -> Vec<u8> {
        let len = data.len() + 7;
        let (sf, ch) = (self.core_sf_index, self.core_channel_config);
        let h = [
            0xFF,
            0xF1,
            (1 << 6) | (sf << 2) | (ch >> 2),
            ((ch & 3) << 6) | ((len >> 11) as u8 & 0x03),
            (len >> 3) as u8,
            ((len as u8 & 7) << 5) | 0x1F,
            0xFC,
        ];
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out
    }
}

/// The AAC core's sampling frequency index and channel configuration from an
/// AudioSpecificConfig with explicit (hierarchical) SBR/PS signalling, or a plain AAC-LC one.
fn core_of_asc(asc: &[u8]) -> Result<(u8, u8)> {
    let bad = || AudioError::Internal(format!("unexpected AudioSpecificConfig {asc:02x?}"));
    if asc.len() < 2 {
        return Err(bad());
    }
    let bits = u32::from(asc[0]) << 8 | u32::from(asc[1]);
    let aot = (bits >> 11) as u8;
    let sf_index = ((bits >> 7) & 0xF) as u8;
    let channel_config = ((bits >> 3) & 0xF) as u8;
    // 15 would be an explicit 24-bit rate, which libfdk-aac never writes for the standard
    // rates it accepts.
    if !matches!(aot, 2 | 5 | 29) || sf_index > 12 || channel_config == 0 {
        return Err(bad());
    }
    Ok((sf_index, channel_config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_fields_of_explicit_asc() {
        // AOT 5, 24 kHz core, stereo, extension 48 kHz, AOT 2.
        assert_eq!(core_of_asc(&[0x2B, 0x11, 0x88, 0x00]).unwrap(), (6, 2));
        assert!(core_of_asc(&[0x2B]).is_err());
    }
}
