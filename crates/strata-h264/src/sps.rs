use crate::H264Error;

/// The fields of a sequence parameter set that decide whether and how we can decode a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sps {
    /// profile_idc (66 Baseline, 77 Main, 100 High, 110 High 10, 122 High 4:2:2, 244 High 4:4:4).
    pub profile_idc: u8,
    /// constraint_set flags byte.
    pub constraint_flags: u8,
    /// level_idc (31 = level 3.1).
    pub level_idc: u8,
    /// 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4.
    pub chroma_format_idc: u32,
    /// Luma bit depth.
    pub bit_depth_luma: u32,
    /// Chroma bit depth.
    pub bit_depth_chroma: u32,
    /// False for interlaced (field or MBAFF) coding.
    pub frame_mbs_only: bool,
    /// Width after cropping, in pixels.
    pub width: u32,
    /// Height after cropping, in pixels.
    pub height: u32,
    /// Sample aspect ratio from the VUI, when present.
    pub sar: Option<(u16, u16)>,
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Result<u32, H264Error> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or_else(|| H264Error::Malformed("SPS ends early".into()))?;
        let b = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Ok(u32::from(b))
    }
    fn bits(&mut self, n: u32) -> Result<u32, H264Error> {
        let mut v = 0;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Ok(v)
    }
    fn ue(&mut self) -> Result<u32, H264Error> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return Err(H264Error::Malformed(
                    "exp-Golomb code too long in SPS".into(),
                ));
            }
        }
        Ok(((1u64 << zeros) - 1 + u64::from(self.bits(zeros)?)) as u32)
    }
    fn se(&mut self) -> Result<i64, H264Error> {
        let k = i64::from(self.ue()?);
        Ok(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

const SAR_TABLE: [(u16, u16); 17] = [
    (0, 0),
    (1, 1),
    (12, 11),
    (10, 11),
    (16, 11),
    (40, 33),
    (24, 11),
    (20, 11),
    (32, 11),
    (80, 33),
    (18, 11),
    (15, 11),
    (64, 33),
    (160, 99),
    (4, 3),
    (3, 2),
    (2, 1),
];

impl Sps {
    /// Parses an SPS NAL unit (header byte included, no start code).
    ///
    /// # Errors
    /// [`H264Error::Malformed`] when the NAL is not an SPS or ends early.
    pub fn parse(nal: &[u8]) -> Result<Self, H264Error> {
        if nal.first().map(|b| b & 0x1f) != Some(7) {
            return Err(H264Error::Malformed("NAL unit is not an SPS".into()));
        }
        let rbsp = unescape(&nal[1..]);
        let mut r = Bits {
            data: &rbsp,
            pos: 0,
        };
        let profile_idc = r.bits(8)? as u8;
        let constraint_flags = r.bits(8)? as u8;
        let level_idc = r.bits(8)? as u8;
        r.ue()?;
        let (mut chroma_format_idc, mut bit_depth_luma, mut bit_depth_chroma) = (1, 8, 8);
        if matches!(
            profile_idc,
            100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
        ) {
            chroma_format_idc = r.ue()?;
            if chroma_format_idc == 3 {
                r.bit()?;
            }
            bit_depth_luma = r.ue()? + 8;
            bit_depth_chroma = r.ue()? + 8;
            r.bit()?;
            if r.bit()? == 1 {
                let lists = if chroma_format_idc == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.bit()? == 1 {
                        let size = if i < 6 { 16 } else { 64 };
                        let (mut last, mut next) = (8i64, 8i64);
                        for _ in 0..size {
                            if next != 0 {
                                next = (last + r.se()? + 256) % 256;
                            }
                            last = if next == 0 { last } else { next };
                        }
                    }
                }
            }
        }
        r.ue()?; // log2_max_frame_num_minus4
        match r.ue()? {
            0 => {
                r.ue()?;
            }
            1 => {
                r.bit()?;
                r.se()?;
                r.se()?;
                let n = r.ue()?;
                if n > 255 {
                    return Err(H264Error::Malformed(format!(
                        "num_ref_frames_in_pic_order_cnt_cycle {n} > 255"
                    )));
                }
                for _ in 0..n {
                    r.se()?;
                }
            }
            _ => {}
        }
        r.ue()?; // max_num_ref_frames
        r.bit()?;
        let w_mbs = u64::from(r.ue()?) + 1;
        let h_map = u64::from(r.ue()?) + 1;
        let frame_mbs_only = r.bit()? == 1;
        if !frame_mbs_only {
            r.bit()?;
        }
        r.bit()?;
        let h_mbs = h_map * if frame_mbs_only { 1 } else { 2 };
        let (mut cl, mut cr, mut ct, mut cb) = (0u64, 0u64, 0u64, 0u64);
        if r.bit()? == 1 {
            cl = r.ue()?.into();
            cr = r.ue()?.into();
            ct = r.ue()?.into();
            cb = r.ue()?.into();
        }
        let (cx, cy) = match chroma_format_idc {
            0 | 3 => (1, 1),
            2 => (2, 1),
            _ => (2, 2),
        };
        let cy = cy * if frame_mbs_only { 1 } else { 2 };
        let width = (w_mbs * 16).checked_sub((cl + cr) * cx);
        let height = (h_mbs * 16).checked_sub((ct + cb) * cy);
        let (width, height) = match (width, height) {
            (Some(w), Some(h)) if w > 0 && h > 0 && w <= 1 << 16 && h <= 1 << 16 => {
                (w as u32, h as u32)
            }
            _ => {
                return Err(H264Error::Malformed(
                    "SPS cropping exceeds the picture".into(),
                ))
            }
        };
        let mut sar = None;
        if r.bit().unwrap_or(0) == 1 && r.bit().unwrap_or(0) == 1 {
            let idc = r.bits(8).unwrap_or(0) as usize;
            if idc == 255 {
                let w = r.bits(16).unwrap_or(0) as u16;
                let h = r.bits(16).unwrap_or(0) as u16;
                if w > 0 && h > 0 {
                    sar = Some((w, h));
                }
            } else if (1..SAR_TABLE.len()).contains(&idc) {
                sar = Some(SAR_TABLE[idc]);
            }
        }
        Ok(Self {
            profile_idc,
            constraint_flags,
            level_idc,
            chroma_format_idc,
            bit_depth_luma,
            bit_depth_chroma,
            frame_mbs_only,
            width,
            height,
            sar,
        })
    }

    /// Human profile name ("High", "Main", "Constrained Baseline", …).
    pub fn profile_name(&self) -> &'static str {
        match self.profile_idc {
            66 if self.constraint_flags & 0x40 != 0 => "Constrained Baseline",
            66 => "Baseline",
            77 => "Main",
            88 => "Extended",
            100 => "High",
            110 => "High 10",
            122 => "High 4:2:2",
            244 => "High 4:4:4 Predictive",
            44 => "CAVLC 4:4:4 Intra",
            _ => "unknown profile",
        }
    }
}

/// Checks that OpenH264 can decode a stream with this SPS: 8-bit, 4:2:0, progressive.
///
/// # Errors
/// [`H264Error::Unsupported`] naming the profile and the property that rules it out.
pub fn check_decodable(sps: &Sps) -> Result<(), H264Error> {
    let p = sps.profile_name();
    if sps.bit_depth_luma != 8 || sps.bit_depth_chroma != 8 {
        return Err(H264Error::Unsupported(format!(
            "{p} profile with {}-bit samples (only 8-bit H.264 is supported)",
            sps.bit_depth_luma.max(sps.bit_depth_chroma)
        )));
    }
    match sps.chroma_format_idc {
        1 => {}
        0 => {
            return Err(H264Error::Unsupported(format!(
                "{p} profile, monochrome (4:0:0) chroma (only 4:2:0 is supported)"
            )))
        }
        2 => {
            return Err(H264Error::Unsupported(format!(
                "{p} profile, 4:2:2 chroma (only 4:2:0 is supported)"
            )))
        }
        _ => {
            return Err(H264Error::Unsupported(format!(
                "{p} profile, 4:4:4 chroma (only 4:2:0 is supported)"
            )))
        }
    }
    if !sps.frame_mbs_only {
        return Err(H264Error::Unsupported(
            "interlaced H.264 (field or MBAFF coding); deinterlacing is not supported yet".into(),
        ));
    }
    if sps.width % 2 == 1 || sps.height % 2 == 1 {
        return Err(H264Error::Unsupported(format!(
            "odd picture size {}x{}",
            sps.width, sps.height
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_x264_high_sps_1080p() {
        // SPS of an x264 High L4.0 1920x1080 stream (cropped from 1088).
        let sps = [
            0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0xc0, 0x44, 0x00,
            0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc6, 0x58,
        ];
        let s = Sps::parse(&sps).unwrap();
        assert_eq!((s.profile_idc, s.level_idc), (100, 40));
        assert_eq!((s.width, s.height), (1920, 1080));
        assert_eq!(s.chroma_format_idc, 1);
        assert!(s.frame_mbs_only);
        assert_eq!(s.sar, Some((1, 1)));
        check_decodable(&s).unwrap();
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for len in 0..8 {
            let v = vec![0x67u8; len];
            let _ = Sps::parse(&v);
        }
        assert!(Sps::parse(&[0x68, 1, 2]).is_err());
    }
}
