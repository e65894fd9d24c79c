//! Legacy Azure Media Encoder (AME) preset names (reference §1.4).
//!
//! AME was the encoder before MES, with its own XML schema and its own preset names. Users
//! migrating old jobs still send those names, so the H.264 ones resolve to MES-schema presets
//! in `presets/legacy/*.json`, embedded here. Each file is the MES equivalent's ladder shape
//! with AME's own values from the §1.4 table:
//!
//! - the AME ladder where it differs from MES (e.g. SD 16x9 636×360 / 424×240 instead of MES's
//!   640×360 / 432×240; Broadband SD 16x9 852×480 instead of 848×480; the extra 3G/4G rungs;
//!   the Xbox Live ADK and Windows Phone 7 ladders);
//! - AME's profile (High for 1080p and Xbox Live ADK, Main otherwise), `KeyFrameInterval`
//!   (2 s; 5 s for Broadband) and `SceneChangeDetection` (on for Broadband only);
//! - AME's shared H.264 settings: CBR (`MaxBitrate` = `Bitrate`), `BufferWindow` 5 s,
//!   `BFrames` 3, `ReferenceFrames` 4, CABAC, adaptive B-frames off (the key is left out:
//!   absent reads as MES's `false` default), frame rate of the source;
//! - AME's audio: AAC-LC stereo at 44.1 kHz at the listed kbps, **except** where the MES AAC
//!   table (§2.3) does not allow that rate. AAC-LC/2/44100 allows 96–576 kbps, so AME's
//!   56 kbps (the "for iOS Cellular Only" sets and "Smooth Streaming 720p for 3G or 4G") and
//!   64 kbps ("Smooth Streaming Windows Phone 7 Series") become **96 kbps**, the closest valid
//!   value. The presets keep AAC-LC and 44.1 kHz rather than switching to HE-AAC, so the
//!   codec matches what AME produced.
//!
//! Not reproduced: AME's extra audio-only MP4s (MES interleaves audio into every MP4 and
//! allows one AACAudio per preset), AME's output file names (MES names files
//! `{Basename}_{Width}x{Height}_{VideoBitrate}.mp4`, as D-MIG notes), and Smooth Streaming
//! `.ismv` output (MES writes MP4s for dynamic packaging instead).
//!
//! VC-1 and WMA names have no MES counterpart at all; they fail with
//! [`PresetError::Unsupported`] naming the closest H.264 preset.

use crate::PresetError;

macro_rules! legacy_presets {
    ($($name:literal),+ $(,)?) => {
        /// `(name, JSON text)` of every legacy AME H.264 preset, in §1.4 table order.
        const LEGACY_PRESETS: &[(&str, &str)] = &[
            $((
                $name,
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../presets/legacy/",
                    $name,
                    ".json"
                )),
            )),+
        ];
    };
}

legacy_presets!(
    "H264 Adaptive Bitrate MP4 Set 1080p",
    "H264 Adaptive Bitrate MP4 Set 720p",
    "H264 Adaptive Bitrate MP4 Set SD 16x9",
    "H264 Adaptive Bitrate MP4 Set SD 4x3",
    "H264 Adaptive Bitrate MP4 Set 1080p for iOS Cellular Only",
    "H264 Adaptive Bitrate MP4 Set 720p for iOS Cellular Only",
    "H264 Adaptive Bitrate MP4 Set SD 16x9 for iOS Cellular Only",
    "H264 Adaptive Bitrate MP4 Set SD 4x3 for iOS Cellular Only",
    "H264 Broadband 1080p",
    "H264 Broadband 720p",
    "H264 Broadband SD 16x9",
    "H264 Broadband SD 4x3",
    "H264 Smooth Streaming 1080p",
    "H264 Smooth Streaming 720p",
    "H264 Smooth Streaming 720p for 3G or 4G",
    "H264 Smooth Streaming 720p Xbox Live ADK",
    "H264 Smooth Streaming SD 16x9",
    "H264 Smooth Streaming SD 4x3",
    "H264 Smooth Streaming Windows Phone 7 Series",
);

/// AME presets whose output (VC-1 video / WMA audio) MES never had, with the closest MES
/// H.264 preset.
const UNSUPPORTED_LEGACY: &[(&str, &str)] = &[
    ("VC1 Broadband 1080p", "H264 Single Bitrate 1080p"),
    ("VC1 Broadband 720p", "H264 Single Bitrate 720p"),
    ("VC1 Broadband SD 16x9", "H264 Single Bitrate 16x9 SD"),
    ("VC1 Broadband SD 4x3", "H264 Single Bitrate 4x3 SD"),
    ("VC1 Smooth Streaming 1080p", "H264 Multiple Bitrate 1080p"),
    ("VC1 Smooth Streaming 720p", "H264 Multiple Bitrate 720p"),
    (
        "VC1 Smooth Streaming 720p Xbox Live ADK",
        "H264 Multiple Bitrate 720p",
    ),
    (
        "VC1 Smooth Streaming SD 16x9",
        "H264 Multiple Bitrate 16x9 SD",
    ),
    (
        "VC1 Smooth Streaming SD 4x3",
        "H264 Multiple Bitrate 4x3 SD",
    ),
    ("WMA High Quality Audio", "AAC Good Quality Audio"),
];

/// The legacy Azure Media Encoder H.264 preset names that [`crate::system_preset`] also
/// resolves (reference §1.4), in table order. They are not MES names, so
/// [`crate::system_preset_names`] does not list them.
pub fn legacy_preset_names() -> impl Iterator<Item = &'static str> {
    LEGACY_PRESETS.iter().map(|(name, _)| *name)
}

/// The embedded JSON of a legacy H.264 preset (exact name, case-insensitive).
pub(crate) fn legacy_json(wanted: &str) -> Option<&'static str> {
    LEGACY_PRESETS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
        .map(|(_, json)| *json)
}

/// `Err(Unsupported)` for a legacy VC-1/WMA name, `Ok(())` for anything else.
pub(crate) fn reject_unsupported(wanted: &str) -> Result<(), PresetError> {
    match UNSUPPORTED_LEGACY
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
    {
        Some((name, closest)) => Err(PresetError::Unsupported(format!(
            "{name:?} is a legacy Azure Media Encoder preset with VC-1 video / WMA audio: \
             VC-1/WMA output does not exist in Media Encoder Standard either; \
             the closest H.264 preset is {closest:?}"
        ))),
        None => Ok(()),
    }
}
