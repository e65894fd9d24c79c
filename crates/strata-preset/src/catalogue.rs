//! The system-preset catalogue: the MES preset files under `presets/`, embedded at compile time.

use crate::legacy::{legacy_json, legacy_preset_names, reject_unsupported};
use crate::{parse_json, Preset, PresetError};

macro_rules! presets {
    ($($name:literal),+ $(,)?) => {
        /// `(name, JSON text)` of every system preset, in MES documentation order.
        const SYSTEM_PRESETS: &[(&str, &str)] = &[
            $((
                $name,
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../presets/", $name, ".json")),
            )),+
        ];
    };
}

presets!(
    "H264 Multiple Bitrate 4K",
    "H264 Multiple Bitrate 4K Audio 5.1",
    "H264 Multiple Bitrate 1080p",
    "H264 Multiple Bitrate 1080p Audio 5.1",
    "H264 Multiple Bitrate 720p",
    "H264 Multiple Bitrate 720p Audio 5.1",
    "H264 Multiple Bitrate 16x9 SD",
    "H264 Multiple Bitrate 16x9 SD Audio 5.1",
    "H264 Multiple Bitrate 4x3 SD",
    "H264 Multiple Bitrate 4x3 SD Audio 5.1",
    "H264 Multiple Bitrate 16x9 for iOS",
    "H264 Multiple Bitrate 4x3 for iOS",
    "H264 Single Bitrate 4K",
    "H264 Single Bitrate 4K Audio 5.1",
    "H264 Single Bitrate 1080p",
    "H264 Single Bitrate 1080p Audio 5.1",
    "H264 Single Bitrate 720p",
    "H264 Single Bitrate 720p Audio 5.1",
    "H264 Single Bitrate 16x9 SD",
    "H264 Single Bitrate 16x9 SD Audio 5.1",
    "H264 Single Bitrate 4x3 SD",
    "H264 Single Bitrate 4x3 SD Audio 5.1",
    "H264 Single Bitrate 720p for Android",
    "H264 Single Bitrate High Quality SD for Android",
    "H264 Single Bitrate Low Quality SD for Android",
    "AAC Audio",
    "AAC Good Quality Audio",
);

/// The names of every system preset this build knows, in MES documentation order.
pub fn system_preset_names() -> impl Iterator<Item = &'static str> {
    SYSTEM_PRESETS.iter().map(|(name, _)| *name)
}

/// The embedded JSON text of a system preset, matched like [`system_preset`] (legacy AME
/// H.264 names included).
///
/// # Errors
/// [`PresetError::UnknownPreset`] (with suggestions) when no system or legacy preset has that
/// name; [`PresetError::Unsupported`] for a legacy VC-1/WMA name.
pub fn system_preset_json(name: &str) -> Result<&'static str, PresetError> {
    let wanted = name.trim();
    if let Some(json) = SYSTEM_PRESETS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
        .map(|(_, json)| *json)
    {
        return Ok(json);
    }
    if let Some(json) = legacy_json(wanted) {
        return Ok(json);
    }
    reject_unsupported(wanted)?;
    Err(PresetError::UnknownPreset {
        name: name.to_string(),
        suggestions: suggest(wanted),
    })
}

/// A system preset by name (case-insensitive, surrounding whitespace ignored), e.g.
/// `"H264 Multiple Bitrate 720p"`. Legacy Azure Media Encoder H.264 names (see
/// [`crate::legacy_preset_names`], e.g. `"H264 Adaptive Bitrate MP4 Set 720p"`) resolve to
/// MES presets with the AME ladder, audio and GOP settings (reference §1.4).
///
/// # Errors
/// [`PresetError::UnknownPreset`] listing up to three near names (MES or legacy) when the
/// name is not known; [`PresetError::Unsupported`] for legacy VC-1/WMA names (the message
/// names the closest H.264 preset).
pub fn system_preset(name: &str) -> Result<Preset, PresetError> {
    parse_json(system_preset_json(name)?)
}

/// A system (or legacy AME H.264) preset as MES XML (reference §1.6), for
/// `strata presets show NAME --format xml`.
///
/// # Errors
/// As [`system_preset`].
pub fn system_preset_xml(name: &str) -> Result<String, PresetError> {
    system_preset(name)?.to_xml()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to three names near `wanted`, nearest (edit distance) first. Names that contain the
/// query (or are contained in it) qualify at any distance.
fn suggest(wanted: &str) -> Vec<String> {
    let query = wanted.to_lowercase();
    if query.is_empty() {
        return Vec::new();
    }
    let limit = (query.chars().count() / 3).max(3);
    let mut scored: Vec<(usize, &str)> = system_preset_names()
        .chain(legacy_preset_names())
        .chain(crate::AutoKind::ALL.iter().map(|k| k.preset_name()))
        .filter_map(|name| {
            let lower = name.to_lowercase();
            let substring = lower.contains(&query) || (lower.len() >= 4 && query.contains(&lower));
            let distance = edit_distance(&query, &lower);
            (substring || distance <= limit).then_some((distance, name))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggestions() {
        let s = suggest("H264 Multiple Bitrate 720");
        assert_eq!(s[0], "H264 Multiple Bitrate 720p");
        assert!(s.len() <= 3);
        assert_eq!(
            suggest("h264 multiple bitrate 1080")[0],
            "H264 Multiple Bitrate 1080p"
        );
        assert_eq!(
            suggest("H264 Single Bitrate 720P for andriod")[0],
            "H264 Single Bitrate 720p for Android"
        );
        assert!(suggest("zzzzzzzzzzzzzzzz").is_empty());
        assert!(suggest("").is_empty());
    }
}
