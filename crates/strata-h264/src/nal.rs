use crate::H264Error;

/// The parameter sets and NAL length size from an `avcC` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcConfig {
    /// Bytes per NAL length prefix in samples (1, 2 or 4).
    pub nal_length_size: usize,
    /// Sequence parameter sets (NAL units without start codes).
    pub sps: Vec<Vec<u8>>,
    /// Picture parameter sets.
    pub pps: Vec<Vec<u8>>,
}

fn take<'a>(b: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], H264Error> {
    if b.len() < n {
        return Err(H264Error::Malformed(format!("avcC ends inside {what}")));
    }
    let (h, t) = b.split_at(n);
    *b = t;
    Ok(h)
}

/// Parses an AVCDecoderConfigurationRecord (the payload of an `avcC` box).
///
/// # Errors
/// [`H264Error::Malformed`] when the record is short, has a bad version, or no SPS.
pub fn parse_avcc(avcc: &[u8]) -> Result<AvcConfig, H264Error> {
    let mut b = avcc;
    let head = take(&mut b, 6, "header")?;
    if head[0] != 1 {
        return Err(H264Error::Malformed(format!(
            "avcC configurationVersion {} (expected 1)",
            head[0]
        )));
    }
    let nal_length_size = usize::from(head[4] & 3) + 1;
    if nal_length_size == 3 {
        return Err(H264Error::Malformed("avcC NAL length size 3".into()));
    }
    let nsps = usize::from(head[5] & 0x1f);
    let mut sps = Vec::with_capacity(nsps);
    for _ in 0..nsps {
        let l = take(&mut b, 2, "SPS length")?;
        let n = usize::from(u16::from_be_bytes([l[0], l[1]]));
        sps.push(take(&mut b, n, "SPS")?.to_vec());
    }
    let npps = usize::from(take(&mut b, 1, "PPS count")?[0]);
    let mut pps = Vec::with_capacity(npps);
    for _ in 0..npps {
        let l = take(&mut b, 2, "PPS length")?;
        let n = usize::from(u16::from_be_bytes([l[0], l[1]]));
        pps.push(take(&mut b, n, "PPS")?.to_vec());
    }
    if sps.is_empty() {
        return Err(H264Error::Malformed("avcC holds no SPS".into()));
    }
    Ok(AvcConfig {
        nal_length_size,
        sps,
        pps,
    })
}

/// Builds an `avcC` payload (4-byte NAL lengths) from one SPS and one PPS.
///
/// # Errors
/// [`H264Error::Malformed`] when the SPS is shorter than 4 bytes or a set exceeds 65535 bytes.
pub fn build_avcc(sps: &[u8], pps: &[u8]) -> Result<Vec<u8>, H264Error> {
    if sps.len() < 4 || sps.len() > 0xffff || pps.is_empty() || pps.len() > 0xffff {
        return Err(H264Error::Malformed(format!(
            "cannot build avcC from SPS of {} bytes and PPS of {} bytes",
            sps.len(),
            pps.len()
        )));
    }
    let mut v = vec![1, sps[1], sps[2], sps[3], 0xfc | 3, 0xe0 | 1];
    v.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    v.extend_from_slice(sps);
    v.push(1);
    v.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    v.extend_from_slice(pps);
    let profile = sps[1];
    // High profiles carry chroma format and bit depth in the record (ISO 14496-15 5.3.3.1.2).
    if matches!(profile, 100 | 110 | 122 | 144) {
        v.extend_from_slice(&[0xfc | 1, 0xf8, 0xf8, 0]);
    }
    Ok(v)
}

/// Rewrites a length-prefixed sample as Annex-B (start codes), appending to `out`.
pub(crate) fn lp_to_annexb(
    sample: &[u8],
    nal_length_size: usize,
    out: &mut Vec<u8>,
) -> Result<(), H264Error> {
    let mut b = sample;
    while !b.is_empty() {
        if b.len() < nal_length_size {
            return Err(H264Error::Malformed(
                "sample ends inside a NAL length".into(),
            ));
        }
        let mut n = 0usize;
        for &x in &b[..nal_length_size] {
            n = (n << 8) | usize::from(x);
        }
        b = &b[nal_length_size..];
        if n > b.len() {
            return Err(H264Error::Malformed(format!(
                "NAL length {n} exceeds the {} bytes left in the sample",
                b.len()
            )));
        }
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&b[..n]);
        b = &b[n..];
    }
    Ok(())
}

/// Splits an Annex-B buffer into NAL units (without start codes).
pub(crate) fn split_annexb(buf: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= buf.len() {
        if buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1 {
            starts.push((i, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::with_capacity(starts.len());
    for (k, &(_, begin)) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(buf.len(), |&(s, _)| s);
        // A 4-byte start code leaves its leading zero on the previous NAL.
        while end > begin && buf[end - 1] == 0 && k + 1 < starts.len() {
            end -= 1;
        }
        if end > begin {
            nals.push(&buf[begin..end]);
        }
    }
    nals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avcc_round_trip() {
        let sps = [0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9];
        let pps = [0x68, 0xeb, 0xe3, 0xcb];
        let a = build_avcc(&sps, &pps).unwrap();
        let c = parse_avcc(&a).unwrap();
        assert_eq!(c.nal_length_size, 4);
        assert_eq!(c.sps, vec![sps.to_vec()]);
        assert_eq!(c.pps, vec![pps.to_vec()]);
        assert!(parse_avcc(&a[..8]).is_err());
    }

    #[test]
    fn annexb_split_and_lp() {
        let lp = [0, 0, 0, 2, 0x65, 0x88, 0, 0, 0, 1, 0x41];
        let mut ab = Vec::new();
        lp_to_annexb(&lp, 4, &mut ab).unwrap();
        assert_eq!(split_annexb(&ab), vec![&[0x65u8, 0x88][..], &[0x41u8][..]]);
        assert!(lp_to_annexb(&[0, 0, 0, 9, 1], 4, &mut ab).is_err());
    }
}
