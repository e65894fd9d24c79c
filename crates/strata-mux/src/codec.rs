//! RFC 6381 codec strings and parameter-set extraction from decoder configuration records,
//! for the `CODECS` of HLS, the `@codecs` of DASH and the `CodecPrivateData` of Smooth.

use crate::{MuxError, TrackSpec};

fn malformed(record: &'static str, reason: impl Into<String>) -> MuxError {
    MuxError::Malformed {
        record,
        reason: reason.into(),
    }
}

/// The parameter sets of an AVCDecoderConfigurationRecord, as NAL units without length
/// prefixes, borrowed from the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterSets<'a> {
    /// Sequence parameter sets, in record order.
    pub sps: Vec<&'a [u8]>,
    /// Picture parameter sets, in record order.
    pub pps: Vec<&'a [u8]>,
}

/// The SPS and PPS NAL units of an AVCDecoderConfigurationRecord.
///
/// # Errors
/// [`MuxError::Malformed`] when the record is not version 1 or a declared length runs past
/// its end.
pub fn avcc_parameter_sets(avcc: &[u8]) -> Result<ParameterSets<'_>, MuxError> {
    if avcc.len() < 6 || avcc[0] != 1 {
        return Err(malformed(
            "avcC",
            "not a version 1 record of at least 6 bytes",
        ));
    }
    let mut pos = 6;
    let take_sets = |count: usize, pos: &mut usize| -> Result<Vec<&[u8]>, MuxError> {
        let mut sets = Vec::with_capacity(count);
        for _ in 0..count {
            let len_bytes = avcc
                .get(*pos..*pos + 2)
                .ok_or_else(|| malformed("avcC", format!("truncated at byte {pos}")))?;
            let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
            let set = avcc.get(*pos + 2..*pos + 2 + len).ok_or_else(|| {
                malformed(
                    "avcC",
                    format!("parameter set of {len} bytes at byte {pos} runs past the end"),
                )
            })?;
            sets.push(set);
            *pos += 2 + len;
        }
        Ok(sets)
    };
    let sps = take_sets(usize::from(avcc[5] & 0x1f), &mut pos)?;
    let pps_count = *avcc
        .get(pos)
        .ok_or_else(|| malformed("avcC", format!("no PPS count at byte {pos}")))?;
    pos += 1;
    let pps = take_sets(usize::from(pps_count), &mut pos)?;
    Ok(ParameterSets { sps, pps })
}

/// `avc1.PPCCLL`: profile_idc, the constraint-flag byte and level_idc of the first SPS (the
/// record header copies them, but the SPS is what decoders act on).
///
/// # Errors
/// [`MuxError::Malformed`] when the record cannot be parsed.
pub fn avc1_codec_string(avcc: &[u8]) -> Result<String, MuxError> {
    let sets = avcc_parameter_sets(avcc)?;
    let bytes = match sets.sps.first() {
        Some(s) if s.len() >= 4 => [s[1], s[2], s[3]],
        _ => [avcc[1], avcc[2], avcc[3]],
    };
    Ok(format!(
        "avc1.{:02x}{:02x}{:02x}",
        bytes[0], bytes[1], bytes[2]
    ))
}

/// The audio object type of an AudioSpecificConfig (escape 31 resolved).
///
/// # Errors
/// [`MuxError::Malformed`] when the config is too short.
pub fn aac_object_type(asc: &[u8]) -> Result<u8, MuxError> {
    let first = *asc
        .first()
        .ok_or_else(|| malformed("AudioSpecificConfig", "empty"))?;
    let aot = first >> 3;
    if aot != 31 {
        return Ok(aot);
    }
    let second = *asc
        .get(1)
        .ok_or_else(|| malformed("AudioSpecificConfig", "escaped object type truncated"))?;
    Ok(32 + (((first & 0x07) << 3) | (second >> 5)))
}

/// `mp4a.40.N` with N the AAC audio object type (2 = LC, 5 = HE-AAC, 29 = HE-AAC v2).
///
/// # Errors
/// [`MuxError::Malformed`] when the config is too short.
pub fn mp4a_codec_string(asc: &[u8]) -> Result<String, MuxError> {
    Ok(format!("mp4a.40.{}", aac_object_type(asc)?))
}

/// The RFC 6381 codec string of a track.
///
/// # Errors
/// [`MuxError::Malformed`] when its decoder configuration cannot be parsed.
pub fn codec_string(spec: &TrackSpec) -> Result<String, MuxError> {
    match spec {
        TrackSpec::H264 { avcc, .. } => avc1_codec_string(avcc),
        TrackSpec::Aac { asc, .. } => mp4a_codec_string(asc),
    }
}

/// Upper-case hexadecimal, as Smooth `CodecPrivateData` is written.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02X}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// avcC of an x264 High 4.0 stream: version 1, profile 100, compat 0, level 40,
    /// 4-byte lengths, 1 SPS (4 bytes shown), 1 PPS.
    const AVCC_HIGH_40: &[u8] = &[
        1, 0x64, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x28, 0x01, 0x00, 0x02,
        0x68, 0xee,
    ];

    #[test]
    fn avc1_string_comes_from_the_sps() {
        assert_eq!(avc1_codec_string(AVCC_HIGH_40).unwrap(), "avc1.640028");
        // Header claims Baseline 3.0, SPS says Main with constraint_set1 at 3.1: the SPS wins.
        let avcc = [
            1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x4d, 0x40, 0x1f, 0,
        ];
        assert_eq!(avc1_codec_string(&avcc).unwrap(), "avc1.4d401f");
    }

    #[test]
    fn avcc_sets_and_errors() {
        let sets = avcc_parameter_sets(AVCC_HIGH_40).unwrap();
        assert_eq!(sets.sps, vec![&[0x67, 0x64, 0x00, 0x28][..]]);
        assert_eq!(sets.pps, vec![&[0x68, 0xee][..]]);
        assert!(avcc_parameter_sets(&AVCC_HIGH_40[..10]).is_err());
        assert!(avcc_parameter_sets(&[0, 0x64, 0, 0x28, 0xff, 0xe0, 0]).is_err());
    }

    #[test]
    fn mp4a_strings() {
        // AAC-LC 48 kHz stereo: 00010 0011 0010 000
        assert_eq!(mp4a_codec_string(&[0x11, 0x90]).unwrap(), "mp4a.40.2");
        // HE-AAC explicit: object type 5.
        assert_eq!(
            mp4a_codec_string(&[0x2b, 0x92, 0x08, 0x00]).unwrap(),
            "mp4a.40.5"
        );
        // Escape value 31, then 6 more bits 000010: object type 32 + 2.
        assert_eq!(aac_object_type(&[0xf8, 0x40]).unwrap(), 34);
        assert!(mp4a_codec_string(&[]).is_err());
        assert_eq!(hex_upper(&[0x12, 0x10, 0xab]), "1210AB");
    }
}
