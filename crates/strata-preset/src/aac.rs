//! The AAC bitrate table of reference §2.3 (MES schema page, "Audio codec details").

use crate::values::AacProfile;

/// Sampling rates the table knows, in Hz.
pub const AAC_SAMPLING_RATES: [u32; 10] = [
    11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000,
];

type Row = [Option<(u32, u32)>; 10];

// "a–<b" is stored as (a, b - 1); "a–b" as (a, b); "=a" as (a, a).
const AACLC_1: Row = [
    Some((8, 15)),
    Some((8, 15)),
    Some((8, 31)),
    Some((24, 31)),
    Some((24, 31)),
    Some((32, 192)),
    Some((56, 288)),
    Some((56, 288)),
    Some((128, 288)),
    Some((128, 288)),
];
const AACLC_2: Row = [
    Some((16, 23)),
    Some((16, 23)),
    Some((16, 39)),
    Some((32, 39)),
    Some((32, 39)),
    Some((40, 384)),
    Some((96, 576)),
    Some((96, 576)),
    Some((256, 576)),
    Some((256, 576)),
];
const AACLC_6: Row = [
    None,
    None,
    None,
    None,
    None,
    Some((160, 896)),
    Some((240, 1024)),
    Some((240, 1024)),
    Some((640, 1024)),
    Some((640, 1024)),
];
const AACLC_8: Row = [
    None,
    None,
    None,
    None,
    None,
    Some((224, 1024)),
    Some((384, 1024)),
    Some((384, 1024)),
    Some((896, 1024)),
    Some((896, 1024)),
];
const HEAACV1_1: Row = [
    None,
    None,
    None,
    Some((8, 8)),
    Some((8, 10)),
    Some((12, 64)),
    Some((20, 64)),
    Some((20, 64)),
    Some((64, 64)),
    None,
];
const HEAACV1_2: Row = [
    None,
    None,
    None,
    None,
    None,
    Some((16, 128)),
    Some((16, 128)),
    Some((16, 128)),
    Some((96, 128)),
    Some((96, 128)),
];
const HEAACV1_6: Row = [
    None,
    None,
    None,
    None,
    None,
    Some((64, 320)),
    Some((64, 320)),
    Some((64, 320)),
    Some((256, 320)),
    Some((256, 320)),
];
const HEAACV1_8: Row = [
    None,
    None,
    None,
    None,
    None,
    Some((96, 448)),
    Some((96, 448)),
    Some((96, 448)),
    Some((384, 448)),
    Some((384, 448)),
];
const HEAACV2_2: Row = [
    None,
    None,
    None,
    Some((8, 10)),
    Some((8, 10)),
    Some((12, 64)),
    Some((20, 64)),
    Some((20, 64)),
    Some((64, 64)),
    None,
];

/// The inclusive kbps range MES accepted for a profile, channel count and sampling rate, or
/// `None` when the combination is not in the table at all.
pub fn aac_bitrate_range(
    profile: AacProfile,
    channels: u32,
    sampling_rate: u32,
) -> Option<(u32, u32)> {
    let row = match (profile, channels) {
        (AacProfile::AacLc, 1) => &AACLC_1,
        (AacProfile::AacLc, 2) => &AACLC_2,
        (AacProfile::AacLc, 5 | 6) => &AACLC_6,
        (AacProfile::AacLc, 8) => &AACLC_8,
        (AacProfile::HeAacV1, 1) => &HEAACV1_1,
        (AacProfile::HeAacV1, 2) => &HEAACV1_2,
        (AacProfile::HeAacV1, 5 | 6) => &HEAACV1_6,
        (AacProfile::HeAacV1, 8) => &HEAACV1_8,
        (AacProfile::HeAacV2, 2) => &HEAACV2_2,
        _ => return None,
    };
    let idx = AAC_SAMPLING_RATES
        .iter()
        .position(|&r| r == sampling_rate)?;
    row[idx]
}

/// True when MES accepted `bitrate` kbps for this profile, channel count and sampling rate.
pub fn aac_bitrate_supported(
    profile: AacProfile,
    channels: u32,
    sampling_rate: u32,
    bitrate: u32,
) -> bool {
    aac_bitrate_range(profile, channels, sampling_rate)
        .is_some_and(|(lo, hi)| (lo..=hi).contains(&bitrate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_edges() {
        use AacProfile::*;
        assert!(aac_bitrate_supported(AacLc, 2, 48000, 128));
        assert!(aac_bitrate_supported(AacLc, 2, 48000, 96));
        assert!(aac_bitrate_supported(AacLc, 2, 48000, 576));
        assert!(!aac_bitrate_supported(AacLc, 2, 48000, 64));
        assert!(!aac_bitrate_supported(AacLc, 2, 48000, 577));
        assert!(aac_bitrate_supported(AacLc, 2, 16000, 39));
        assert!(!aac_bitrate_supported(AacLc, 2, 16000, 40)); // "16–<40"
        assert!(aac_bitrate_supported(AacLc, 6, 48000, 384));
        assert!(aac_bitrate_supported(AacLc, 5, 48000, 384));
        assert!(!aac_bitrate_supported(AacLc, 6, 24000, 384));
        assert!(aac_bitrate_supported(HeAacV2, 2, 48000, 64));
        assert!(aac_bitrate_supported(HeAacV2, 2, 48000, 24));
        assert!(!aac_bitrate_supported(HeAacV2, 1, 48000, 24));
        assert!(!aac_bitrate_supported(HeAacV2, 2, 96000, 64));
        assert!(aac_bitrate_supported(HeAacV1, 1, 22050, 8));
        assert!(!aac_bitrate_supported(HeAacV1, 1, 22050, 9));
        assert!(!aac_bitrate_supported(AacLc, 3, 48000, 128));
        assert!(!aac_bitrate_supported(AacLc, 2, 8000, 128));
        assert_eq!(aac_bitrate_range(AacLc, 8, 44100), Some((384, 1024)));
    }
}
