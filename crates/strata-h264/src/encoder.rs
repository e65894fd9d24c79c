use crate::ffi::RawEncoder;
use crate::nal::{build_avcc, split_annexb};
use crate::H264Error;
use openh264_sys2 as sys;
use strata_core::Frame;

/// H.264 profile to signal and use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Constrained Baseline: CAVLC, no B-frames; for old devices.
    Baseline,
    /// Main.
    Main,
    /// High (8x8 transform); what MES "Auto" resolves to here.
    High,
}

/// Entropy coder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntropyMode {
    /// Context-adaptive variable-length coding (Baseline).
    Cavlc,
    /// Context-adaptive binary arithmetic coding: about 0.5 dB better at equal bitrate.
    Cabac,
}

/// Encoder effort (MES `Complexity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speed {
    /// MES "Speed": OpenH264 low complexity, ~40 % faster at 1080p.
    Fast,
    /// MES "Balanced" (default).
    Balanced,
    /// MES "Quality": OpenH264 high complexity.
    Quality,
}

/// Settings of one rendition.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderConfig {
    /// Picture width (even, ≤ 3840, or ≤ 2160 in portrait).
    pub width: u32,
    /// Picture height (even).
    pub height: u32,
    /// Target bitrate in bits per second.
    pub bitrate_bps: u32,
    /// Peak bitrate in bits per second (≥ target).
    pub max_bitrate_bps: u32,
    /// Frame rate the rate control budgets for.
    pub frame_rate: f32,
    /// Profile.
    pub profile: Profile,
    /// Entropy coder; forced to CAVLC for Baseline.
    pub entropy: EntropyMode,
    /// Effort.
    pub speed: Speed,
    /// Let OpenH264 insert IDRs at scene cuts (single-rendition presets only, or GOPs drift
    /// apart across layers).
    pub scene_change_detection: bool,
    /// Slices per picture (1..=4), each encoded on its own OpenH264 thread. More slices
    /// spread one picture over several cores at a small cost in compression (intra prediction
    /// and CABAC contexts stop at slice edges). Part of the bitstream: choose it from the
    /// picture, never from the machine, so output bytes do not depend on the core count.
    pub slices: u32,
}

/// One encoded access unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPacket {
    /// Length-prefixed (4-byte) NAL units, parameter sets removed (they live in `avcC`).
    pub data: Vec<u8>,
    /// Whether this is an IDR picture.
    pub keyframe: bool,
    /// The presentation time of the input frame.
    pub pts: i64,
}

/// An OpenH264 encoder for one rendition. Frames go in display order; with no B-frames each
/// frame yields its packet immediately, so decode order equals display order.
pub struct Encoder {
    raw: RawEncoder,
    config: EncoderConfig,
    avcc: Option<Vec<u8>>,
    frames: u64,
}

impl Encoder {
    /// Validates `config` and starts an encoder.
    ///
    /// # Errors
    /// [`H264Error::Config`] for sizes or rates OpenH264 cannot take,
    /// [`H264Error::Encoder`] when OpenH264 refuses to initialise.
    pub fn new(config: EncoderConfig) -> Result<Self, H264Error> {
        let c = &config;
        if c.width == 0 || c.height == 0 || c.width % 2 == 1 || c.height % 2 == 1 {
            return Err(H264Error::Config(format!(
                "size {}x{}: width and height must be even and non-zero",
                c.width, c.height
            )));
        }
        if c.width.max(c.height) > 3840 || c.width.min(c.height) > 2160 {
            return Err(H264Error::Config(format!(
                "size {}x{} exceeds OpenH264's 3840x2160 limit",
                c.width, c.height
            )));
        }
        if c.bitrate_bps < 1000 || c.bitrate_bps > i32::MAX as u32 {
            return Err(H264Error::Config(format!(
                "bitrate {} bps out of range",
                c.bitrate_bps
            )));
        }
        if !(c.frame_rate.is_finite() && c.frame_rate > 0.0 && c.frame_rate <= 240.0) {
            return Err(H264Error::Config(format!(
                "frame rate {} out of range (0, 240]",
                c.frame_rate
            )));
        }
        let mut raw = RawEncoder::new().map_err(|code| H264Error::Encoder {
            what: "WelsCreateSVCEncoder",
            code,
        })?;
        let mut p = raw.default_params().map_err(|code| H264Error::Encoder {
            what: "GetDefaultParams",
            code,
        })?;
        let max_bps = c.max_bitrate_bps.max(c.bitrate_bps).min(i32::MAX as u32);
        p.iUsageType = sys::CAMERA_VIDEO_REAL_TIME;
        p.iPicWidth = c.width as i32;
        p.iPicHeight = c.height as i32;
        p.iTargetBitrate = c.bitrate_bps as i32;
        p.iMaxBitrate = max_bps as i32;
        p.iRCMode = sys::RC_BITRATE_MODE;
        p.fMaxFrameRate = c.frame_rate;
        p.iTemporalLayerNum = 1;
        p.iSpatialLayerNum = 1;
        p.iComplexityMode = match c.speed {
            Speed::Fast => sys::LOW_COMPLEXITY,
            Speed::Balanced => sys::MEDIUM_COMPLEXITY,
            Speed::Quality => sys::HIGH_COMPLEXITY,
        };
        // IDRs come only from the caller, so every layer shares the same GOP grid.
        p.uiIntraPeriod = 0;
        p.eSpsPpsIdStrategy = sys::CONSTANT_ID;
        p.bEnableFrameSkip = false;
        p.bEnableSceneChangeDetect = c.scene_change_detection;
        p.bEnableDenoise = false;
        p.bEnableBackgroundDetection = true;
        p.bEnableAdaptiveQuant = true;
        p.bEnableLongTermReference = false;
        p.iLoopFilterDisableIdc = 0;
        if !(1..=4).contains(&c.slices) {
            return Err(H264Error::Config(format!(
                "{} slices: 1 to 4 are supported",
                c.slices
            )));
        }
        // One thread per slice, always: OpenH264's bytes depend on its thread count as well as
        // on the slices (measured: 2 slices on 1 thread and on 2 threads differ from the first
        // frame on), so the thread count is fixed by the slices, never by the machine.
        p.iMultipleThreadIdc = c.slices as u16;
        // Load balancing moves slice edges by measured thread times: bytes would change from
        // run to run.
        p.bUseLoadBalancing = false;
        let cabac = c.entropy == EntropyMode::Cabac && c.profile != Profile::Baseline;
        p.iEntropyCodingModeFlag = i32::from(cabac);
        let l = &mut p.sSpatialLayers[0];
        l.iVideoWidth = c.width as i32;
        l.iVideoHeight = c.height as i32;
        l.fFrameRate = c.frame_rate;
        l.iSpatialBitrate = c.bitrate_bps as i32;
        l.iMaxSpatialBitrate = max_bps as i32;
        l.uiProfileIdc = match c.profile {
            Profile::Baseline => sys::PRO_BASELINE,
            Profile::Main => sys::PRO_MAIN,
            Profile::High => sys::PRO_HIGH,
        };
        l.uiLevelIdc = sys::LEVEL_UNKNOWN;
        if c.slices > 1 {
            l.sSliceArgument.uiSliceMode = sys::SM_FIXEDSLCNUM_SLICE;
            l.sSliceArgument.uiSliceNum = c.slices;
        } else {
            l.sSliceArgument.uiSliceMode = sys::SM_SINGLE_SLICE;
            l.sSliceArgument.uiSliceNum = 1;
        }
        raw.initialise(&p)
            .map_err(|(what, code)| H264Error::Encoder { what, code })?;
        Ok(Self {
            raw,
            config,
            avcc: None,
            frames: 0,
        })
    }

    /// The configuration this encoder was built with.
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// The `avcC` record, available once the first frame has been encoded.
    pub fn avcc(&self) -> Option<&[u8]> {
        self.avcc.as_deref()
    }

    /// Encodes one frame; `force_idr` makes it an IDR (the shared GOP grid). The first frame
    /// is always an IDR.
    ///
    /// # Errors
    /// [`H264Error::Config`] when the frame size differs from the configuration,
    /// [`H264Error::Encoder`] when OpenH264 fails.
    pub fn encode(&mut self, frame: &Frame, force_idr: bool) -> Result<EncodedPacket, H264Error> {
        if frame.width != self.config.width || frame.height != self.config.height {
            return Err(H264Error::Config(format!(
                "frame {}x{} fed to a {}x{} encoder",
                frame.width, frame.height, self.config.width, self.config.height
            )));
        }
        if force_idr && self.frames > 0 {
            self.raw.force_idr().map_err(|code| H264Error::Encoder {
                what: "ForceIntraFrame",
                code,
            })?;
        }
        let ts_ms = (self.frames as f64 * 1000.0 / f64::from(self.config.frame_rate)) as i64;
        let pl = &frame.planes;
        let (bytes, ftype) = self
            .raw
            .encode(
                [
                    (&pl[0].data, pl[0].stride),
                    (&pl[1].data, pl[1].stride),
                    (&pl[2].data, pl[2].stride),
                ],
                frame.width,
                frame.height,
                ts_ms,
            )
            .map_err(|code| H264Error::Encoder {
                what: "EncodeFrame",
                code,
            })?;
        self.frames += 1;
        if ftype == sys::videoFrameTypeSkip || bytes.is_empty() {
            return Err(H264Error::Encoder {
                what: "EncodeFrame (frame skipped despite frame skip disabled)",
                code: i64::from(ftype),
            });
        }
        let mut data = Vec::with_capacity(bytes.len() + 16);
        let (mut sps, mut pps) = (None, None);
        let mut idr = false;
        for nal in split_annexb(&bytes) {
            match nal[0] & 0x1f {
                7 => sps = Some(nal),
                8 => pps = Some(nal),
                t => {
                    idr |= t == 5;
                    data.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                    data.extend_from_slice(nal);
                }
            }
        }
        if let (Some(s), Some(p)) = (sps, pps) {
            let rec = build_avcc(s, p)?;
            match &self.avcc {
                // CONSTANT_ID keeps one SPS/PPS for the whole stream, so avcC never changes.
                Some(old) if *old != rec => {
                    return Err(H264Error::Encoder {
                        what: "EncodeFrame (parameter sets changed mid-stream)",
                        code: 0,
                    })
                }
                _ => self.avcc = Some(rec),
            }
        }
        if self.avcc.is_none() {
            return Err(H264Error::Encoder {
                what: "EncodeFrame (first frame carried no SPS/PPS)",
                code: 0,
            });
        }
        Ok(EncodedPacket {
            data,
            keyframe: idr,
            pts: frame.pts,
        })
    }
}
