use crate::ffi::{RawDecoder, RawPicture};
use crate::nal::{lp_to_annexb, parse_avcc};
use crate::sps::{check_decodable, Sps};
use crate::H264Error;
use strata_core::{Frame, Packet, PixelFormat, Plane};

/// An H.264 decoder for MP4 samples that returns pictures in display order.
///
/// Each returned [`Frame`] carries the `pts` of the sample that coded it (the decoder passes
/// timestamps through its reorder buffer); `duration` is left at 0 for the caller to fill.
pub struct Decoder {
    raw: RawDecoder,
    nal_length_size: usize,
    sps: Sps,
    scratch: Vec<u8>,
}

impl Decoder {
    /// Creates a decoder for a track with the given `avcC` record.
    ///
    /// # Errors
    /// [`H264Error::Malformed`] for a broken record, [`H264Error::Unsupported`] when an SPS
    /// describes a stream OpenH264 cannot decode, [`H264Error::Encoder`] if OpenH264 fails to
    /// start.
    pub fn new(avcc: &[u8]) -> Result<Self, H264Error> {
        let cfg = parse_avcc(avcc)?;
        let sps = Sps::parse(&cfg.sps[0])?;
        for s in &cfg.sps {
            check_decodable(&Sps::parse(s)?)?;
        }
        let mut raw = RawDecoder::new().map_err(|code| H264Error::Encoder {
            what: "WelsCreateDecoder",
            code,
        })?;
        let mut headers = Vec::new();
        for nal in cfg.sps.iter().chain(cfg.pps.iter()) {
            headers.extend_from_slice(&[0, 0, 0, 1]);
            headers.extend_from_slice(nal);
        }
        // Parameter sets produce no picture; their state is reported with the first slice.
        let _ = raw.decode(&headers, 0);
        Ok(Self {
            raw,
            nal_length_size: cfg.nal_length_size,
            sps,
            scratch: Vec::new(),
        })
    }

    /// The first SPS of the stream.
    pub fn sps(&self) -> &Sps {
        &self.sps
    }

    fn to_frame(&self, p: RawPicture) -> Result<Frame, H264Error> {
        if p.width % 2 == 1 || p.height % 2 == 1 {
            return Err(H264Error::Unsupported(format!(
                "odd decoded picture size {}x{}",
                p.width, p.height
            )));
        }
        let [y, u, v] = p.planes;
        let (w, h) = (p.width as usize, p.height as usize);
        Ok(Frame {
            format: PixelFormat::Yuv420p,
            width: p.width,
            height: p.height,
            planes: [
                Plane {
                    data: y,
                    stride: p.strides[0],
                    width: w,
                    height: h,
                },
                Plane {
                    data: u,
                    stride: p.strides[1],
                    width: w / 2,
                    height: h / 2,
                },
                Plane {
                    data: v,
                    stride: p.strides[2],
                    width: w / 2,
                    height: h / 2,
                },
            ],
            // The timestamp went through OpenH264 as u64 bits; the cast restores negatives.
            pts: p.timestamp as i64,
            duration: 0,
        })
    }

    /// Decodes one sample (length-prefixed NAL units, as stored in MP4).
    ///
    /// # Errors
    /// [`H264Error::Malformed`] when the NAL lengths do not fit the sample,
    /// [`H264Error::Decode`] when OpenH264 reports a bitstream error.
    pub fn decode(&mut self, packet: &Packet) -> Result<Option<Frame>, H264Error> {
        self.scratch.clear();
        let mut buf = std::mem::take(&mut self.scratch);
        lp_to_annexb(&packet.data, self.nal_length_size, &mut buf)?;
        let (state, pic) = self.raw.decode(&buf, packet.pts as u64);
        self.scratch = buf;
        // dsFramePending (1) only says the picture waits in the reorder buffer.
        if state & !1 != 0 {
            return Err(H264Error::Decode {
                pts: packet.pts,
                state,
            });
        }
        pic.map(|p| self.to_frame(p)).transpose()
    }

    /// Drains the pictures still held for reordering, in display order.
    ///
    /// # Errors
    /// [`H264Error::Unsupported`] for a picture of odd size.
    pub fn flush(&mut self) -> Result<Vec<Frame>, H264Error> {
        let mut out = Vec::new();
        // Bounded by the reorder depth OpenH264 reports, plus one for safety.
        for _ in 0..=self.raw.pending() {
            match self.raw.flush_one() {
                Some(p) => out.push(self.to_frame(p)?),
                None => break,
            }
        }
        Ok(out)
    }
}
