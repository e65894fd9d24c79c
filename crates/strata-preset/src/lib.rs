//! The Media Encoder Standard (MES) preset model, the system-preset catalogue and `FileName`
//! macros.
//!
//! Strata replaces Azure Media Encoder Standard locally, so it must accept the presets MES
//! users already have: the 27 system presets by name (`"H264 Multiple Bitrate 720p"`) and
//! custom presets in the MES JSON schema. This crate is a strict serde model of that schema
//! (PascalCase keys, `"Type"` discriminators, unknown keys rejected with their name), the
//! system presets embedded from the repository's `presets/*.json` files (copies of the
//! documented MES JSON), validation with MES-style messages, and safe expansion of output
//! file-name patterns. It does no encoding; the engine reads the model directly.
//!
//! ```
//! let preset = strata_preset::system_preset("h264 multiple bitrate 720p").unwrap();
//! let video = preset.h264_video().unwrap();
//! assert_eq!(video.h264_layers.len(), 6);
//! assert_eq!(video.key_frame_interval.as_millis(), 2000);
//! preset.validate().unwrap();
//! ```

mod aac;
mod auto;
mod catalogue;
mod filename;
mod legacy;
mod model;
mod timespan;
mod validate;
mod values;
mod xml;

use std::path::{Path, PathBuf};

pub use aac::{aac_bitrate_range, aac_bitrate_supported, AAC_SAMPLING_RATES};
pub use auto::{
    auto_preset, AutoKind, SourceFacts, AUTO_BASE_FPS, AUTO_BASE_LADDER, AUTO_MAX_FPS_FACTOR,
    AUTO_MIN_FPS_FACTOR, AUTO_PROBED_FLOOR_KBPS, AUTO_SCALE_EXPONENT, AUTO_SOURCE_BITRATE_FRACTION,
};
pub use catalogue::{system_preset, system_preset_json, system_preset_names, system_preset_xml};
pub use filename::{
    basename_from_file_name, expand_file_name, file_name_macros, sanitize_file_name, FileNameVars,
    BASENAME_MAX_CHARS, FILE_NAME_MACROS, FILE_NAME_MAX_BYTES,
};
pub use legacy::legacy_preset_names;
pub use model::{
    AacAudio, Codec, H264Layer, H264Video, ImageCodec, ImageKind, ImageLayer, Output, OutputFormat,
    Preset, Source, StreamSelector,
};
pub use timespan::{TimeSpan, TimeSpanParseError, TICKS_PER_SECOND};
pub use validate::{Warning, H264_LEVELS, MAX_LAYER_DIMENSION};
pub use values::{
    AacProfile, AudioCondition, Complexity, EntropyMode, FrameRate, H264Profile, OutputCondition,
    Size, StretchMode, VideoCondition,
};
pub use xml::parse_xml;

/// Everything that can go wrong reading, finding or checking a preset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresetError {
    /// The text is not valid preset JSON: syntax, a wrong type, a missing or unknown key (the
    /// message names the key and gives line and column).
    #[error("invalid preset JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The text is not valid preset XML: syntax, an unknown, repeated or missing element or
    /// attribute, or a value that does not parse. `path` names the element (e.g.
    /// `Preset/Encoding/H264Video/H264Layers/H264Layer[2]/Widht`).
    #[error("invalid preset XML at line {line}, column {column}: {}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
    Xml {
        /// Element path of the problem (`@Name` for an attribute); empty for syntax errors.
        path: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What is wrong.
        message: String,
    },
    /// A preset file could not be read.
    #[error("cannot read preset file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No system preset has this name.
    #[error("{}", unknown_preset_message(name, suggestions))]
    UnknownPreset {
        /// The name asked for, as given.
        name: String,
        /// Up to three near system-preset names, best first.
        suggestions: Vec<String>,
    },
    /// A feature this version does not implement yet.
    #[error("{0}")]
    Unsupported(String),
    /// The preset parses but breaks a rule; `message` names the field, the value and the rule.
    #[error("{message}")]
    Invalid {
        /// Path of the offending field, e.g. `Codecs[0].H264Layers[2].Width`.
        field: String,
        /// Full message, e.g. `Codecs[0].H264Layers[2].Width 853 is odd: layer sizes must be even`.
        message: String,
    },
    /// A `{Macro}` in a FileName pattern that MES does not define.
    #[error("unknown FileName macro {{{name}}} in {pattern:?}: known macros are {}", FILE_NAME_MACROS.join(", "))]
    UnknownMacro {
        /// The macro name between the braces.
        name: String,
        /// The whole pattern.
        pattern: String,
    },
    /// A FileName macro that has no value for this output (e.g. `{Width}` on audio-only).
    #[error("FileName macro {{{name}}} has no value for this output (pattern {pattern:?})")]
    MissingMacroValue {
        /// The macro name.
        name: String,
        /// The whole pattern.
        pattern: String,
    },
    /// A FileName pattern with an unclosed or nested `{`.
    #[error("malformed FileName pattern {pattern:?}: {reason}")]
    BadFileNamePattern {
        /// The whole pattern.
        pattern: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An expanded file name that cannot be used safely inside the output folder.
    #[error("unsafe output file name {name:?}: {reason}")]
    UnsafeFileName {
        /// The name after sanitising.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
}

fn unknown_preset_message(name: &str, suggestions: &[String]) -> String {
    let mut msg = format!("unknown system preset {name:?}");
    match suggestions {
        [] => msg.push_str(" (there are no similar names)"),
        [one] => msg.push_str(&format!("; did you mean {one:?}?")),
        many => {
            let quoted: Vec<String> = many.iter().map(|s| format!("{s:?}")).collect();
            msg.push_str(&format!("; did you mean one of {}?", quoted.join(", ")));
        }
    }
    msg
}

/// Parses a preset from MES JSON text. A leading UTF-8 byte-order mark is ignored.
///
/// Parsing only checks the shape; call [`Preset::validate`] for the MES rules.
///
/// # Errors
/// [`PresetError::Json`] for invalid JSON, wrong value types, missing required keys, unknown
/// keys (the message names the key) or an unknown `"Type"`.
pub fn parse_json(text: &str) -> Result<Preset, PresetError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(serde_json::from_str(text)?)
}

/// Parses a `Task.Configuration`-style string: JSON if it starts with `{`, XML if it starts
/// with `<`, otherwise a system-preset name (the rule AMSE used, reference §1.7).
///
/// # Errors
/// As [`parse_json`] for JSON and [`parse_xml`] for XML; for a name, as [`system_preset`]
/// ([`PresetError::UnknownPreset`], or [`PresetError::Unsupported`] for legacy VC-1/WMA names).
pub fn parse_configuration(text: &str) -> Result<Preset, PresetError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    match trimmed.chars().next() {
        Some('{') => parse_json(trimmed),
        Some('<') => parse_xml(trimmed),
        _ => system_preset(text),
    }
}

/// Decodes preset file bytes: UTF-8 (BOM optional) or UTF-16 with a byte-order mark.
fn decode_text(path: &Path, bytes: &[u8]) -> Result<String, PresetError> {
    let bad = |what: &str| PresetError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string()),
    };
    let utf16 = |rest: &[u8], le: bool| {
        if !rest.len().is_multiple_of(2) {
            return Err(bad("odd number of bytes in a UTF-16 file"));
        }
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| bad("invalid UTF-16 text"))
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| bad("the file is not UTF-8 or UTF-16 text"))?;
            Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_string())
        }
    }
}

/// Reads a preset file. `.json` is parsed as JSON and `.xml` as XML; any other extension is
/// told apart by its first non-blank character (`{` JSON, `<` XML). UTF-8 and UTF-16 (with
/// BOM) files are accepted.
///
/// # Errors
/// [`PresetError::Io`] if the file cannot be read or decoded; [`PresetError::Json`] for bad
/// JSON; [`PresetError::Xml`] for bad XML; [`PresetError::Unsupported`] for content that is
/// neither JSON nor XML.
pub fn load_file(path: impl AsRef<Path>) -> Result<Preset, PresetError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| PresetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = decode_text(path, &bytes)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("json") => parse_json(&text),
        Some("xml") => parse_xml(&text),
        _ => match text.trim_start().chars().next() {
            Some('{') => parse_json(&text),
            Some('<') => parse_xml(&text),
            _ => Err(PresetError::Unsupported(format!(
                "{} is neither a JSON nor an XML preset",
                path.display()
            ))),
        },
    }
}
