//! `Output.FileName` macro expansion (reference §2.5) with path-safety sanitising.

use crate::PresetError;

/// `{Basename}` keeps only this many characters of the input name (reference §2.5).
pub const BASENAME_MAX_CHARS: usize = 32;

/// Longest expanded file name accepted, in bytes (the usual file-system limit).
pub const FILE_NAME_MAX_BYTES: usize = 255;

/// The macros MES file-name patterns may use, in their canonical spelling.
pub const FILE_NAME_MACROS: &[&str] = &[
    "Basename",
    "Codec",
    "Bitrate",
    "VideoBitrate",
    "AudioBitrate",
    "Channel",
    "Width",
    "Height",
    "Resolution",
    "Extension",
    "Index",
];

/// Values for the `FileName` macros of one output file. `None` means "this output has no such
/// value"; using that macro is then an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileNameVars {
    /// `{Basename}`: the input name without extension; truncated to 32 characters on use.
    pub basename: String,
    /// `{Width}` in pixels.
    pub width: Option<u32>,
    /// `{Height}` in pixels.
    pub height: Option<u32>,
    /// `{VideoBitrate}` in kbps.
    pub video_bitrate: Option<u32>,
    /// `{AudioBitrate}` in kbps.
    pub audio_bitrate: Option<u32>,
    /// `{Bitrate}` in kbps; when `None`, the video bitrate, else the audio bitrate, is used.
    pub bitrate: Option<u32>,
    /// `{Codec}`: `"H264"` or `"AAC"`.
    pub codec: Option<String>,
    /// `{Channel}`: audio channel count.
    pub channel: Option<u32>,
    /// `{Index}`: image counter.
    pub index: Option<u32>,
    /// `{Extension}` with its leading dot (`".mp4"`).
    pub extension: Option<String>,
}

impl FileNameVars {
    /// Variables with only `{Basename}` set.
    pub fn new(basename: impl Into<String>) -> Self {
        FileNameVars {
            basename: basename.into(),
            ..FileNameVars::default()
        }
    }
}

/// The `{Basename}` MES derives from an input file name: directory and last extension dropped,
/// first 32 characters kept. `"dir/My Clip.final.mov"` → `"My Clip.final"`.
pub fn basename_from_file_name(file_name: &str) -> String {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = match name.rfind('.') {
        Some(pos) if pos > 0 => &name[..pos],
        _ => name,
    };
    stem.chars().take(BASENAME_MAX_CHARS).collect()
}

enum Piece<'a> {
    Text(&'a str),
    Macro(&'static str),
}

fn tokenize(pattern: &str) -> Result<Vec<Piece<'_>>, PresetError> {
    let mut pieces = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| PresetError::BadFileNamePattern {
                pattern: pattern.to_string(),
                reason: "a '{' has no matching '}'",
            })?;
        let name = &after[..close];
        if name.contains('{') {
            return Err(PresetError::BadFileNamePattern {
                pattern: pattern.to_string(),
                reason: "macros cannot nest",
            });
        }
        let canonical = FILE_NAME_MACROS
            .iter()
            .find(|m| m.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| PresetError::UnknownMacro {
                name: name.to_string(),
                pattern: pattern.to_string(),
            })?;
        pieces.push(Piece::Macro(canonical));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The macros a pattern uses, in order, canonically spelt (`"{basename}"` gives `"Basename"`).
///
/// # Errors
/// [`PresetError::UnknownMacro`] for a `{Name}` that is not a MES macro;
/// [`PresetError::BadFileNamePattern`] for an unclosed or nested `{`.
pub fn file_name_macros(pattern: &str) -> Result<Vec<&'static str>, PresetError> {
    Ok(tokenize(pattern)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Macro(m) => Some(m),
            Piece::Text(_) => None,
        })
        .collect())
}

/// Expands the macros of an `Output.FileName` pattern and sanitises the result so it is a
/// single, safe file name inside the output folder.
///
/// Macro names match case-insensitively. `{Basename}` is cut to its first 32 characters. In
/// the result, `/`, `\`, NUL, control characters and the Windows-reserved `: * ? " < > |` become
/// `_`; Unicode is kept.
///
/// # Errors
/// - [`PresetError::UnknownMacro`] / [`PresetError::BadFileNamePattern`] for a bad pattern;
/// - [`PresetError::MissingMacroValue`] when a used macro has no value in `vars`;
/// - [`PresetError::UnsafeFileName`] when the result is empty, blank, only dots (`.`, `..`)
///   or longer than 255 bytes.
pub fn expand_file_name(pattern: &str, vars: &FileNameVars) -> Result<String, PresetError> {
    let missing = |name: &str| PresetError::MissingMacroValue {
        name: name.to_string(),
        pattern: pattern.to_string(),
    };
    let num = |name: &str, v: Option<u32>| v.map(|v| v.to_string()).ok_or_else(|| missing(name));
    let mut out = String::new();
    for piece in tokenize(pattern)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Macro(m) => {
                let value = match m {
                    "Basename" => vars.basename.chars().take(BASENAME_MAX_CHARS).collect(),
                    "Width" => num(m, vars.width)?,
                    "Height" => num(m, vars.height)?,
                    "Resolution" => match (vars.width, vars.height) {
                        (Some(w), Some(h)) => format!("{w}x{h}"),
                        _ => return Err(missing(m)),
                    },
                    "VideoBitrate" => num(m, vars.video_bitrate)?,
                    "AudioBitrate" => num(m, vars.audio_bitrate)?,
                    "Bitrate" => num(
                        m,
                        vars.bitrate.or(vars.video_bitrate).or(vars.audio_bitrate),
                    )?,
                    "Channel" => num(m, vars.channel)?,
                    "Index" => num(m, vars.index)?,
                    "Codec" => vars.codec.clone().ok_or_else(|| missing(m))?,
                    "Extension" => vars.extension.clone().ok_or_else(|| missing(m))?,
                    _ => return Err(missing(m)),
                };
                out.push_str(&value);
            }
        }
    }
    sanitize_file_name(&out)
}

/// Makes `name` a single safe path component (see [`expand_file_name`] for the rules).
///
/// # Errors
/// [`PresetError::UnsafeFileName`] when the name is empty or blank, consists only of dots, or is
/// longer than 255 bytes after replacement.
pub fn sanitize_file_name(name: &str) -> Result<String, PresetError> {
    let clean: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let unsafe_name = |reason| PresetError::UnsafeFileName {
        name: clean.clone(),
        reason,
    };
    if clean.trim().is_empty() {
        return Err(unsafe_name("the file name is empty"));
    }
    if clean.chars().all(|c| c == '.') {
        return Err(unsafe_name(
            "a file name of only dots would leave the output folder",
        ));
    }
    if clean.len() > FILE_NAME_MAX_BYTES {
        return Err(unsafe_name("the file name is longer than 255 bytes"));
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer_vars(basename: &str) -> FileNameVars {
        FileNameVars {
            width: Some(1280),
            height: Some(720),
            video_bitrate: Some(3400),
            ..FileNameVars::new(basename)
        }
    }

    const MBR: &str = "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4";

    #[test]
    fn expands_system_pattern() {
        assert_eq!(
            expand_file_name(MBR, &layer_vars("clip")).unwrap(),
            "clip_1280x720_3400.mp4"
        );
    }

    #[test]
    fn expands_every_macro() {
        let vars = FileNameVars {
            audio_bitrate: Some(128),
            codec: Some("H264".into()),
            channel: Some(2),
            index: Some(7),
            extension: Some(".mp4".into()),
            ..layer_vars("clip")
        };
        let got = expand_file_name(
            "{basename}-{Codec}-{Bitrate}-{AudioBitrate}-{Channel}-{Resolution}-{Index}{Extension}",
            &vars,
        )
        .unwrap();
        assert_eq!(got, "clip-H264-3400-128-2-1280x720-7.mp4");
        let audio = FileNameVars {
            audio_bitrate: Some(128),
            ..FileNameVars::new("a")
        };
        assert_eq!(
            expand_file_name("{Basename}_AAC_{Bitrate}.mp4", &audio).unwrap(),
            "a_AAC_128.mp4"
        );
    }

    #[test]
    fn basename_is_truncated_to_32_chars() {
        let long = "abcdefghijklmnopqrstuvwxyz0123456789";
        let got = expand_file_name("{Basename}.mp4", &FileNameVars::new(long)).unwrap();
        assert_eq!(got, "abcdefghijklmnopqrstuvwxyz012345.mp4");
        let uni = "é".repeat(40);
        let got = expand_file_name("{Basename}", &FileNameVars::new(uni)).unwrap();
        assert_eq!(got.chars().count(), 32);
    }

    #[test]
    fn unknown_and_missing_macros() {
        let err = expand_file_name("{Basename}_{Foo}.mp4", &layer_vars("x")).unwrap_err();
        assert!(matches!(&err, PresetError::UnknownMacro { name, .. } if name == "Foo"));
        assert!(err.to_string().contains("{Foo}"), "{err}");
        let err = expand_file_name("{Basename}_{Index}.jpg", &layer_vars("x")).unwrap_err();
        assert!(err.to_string().contains("{Index}"), "{err}");
        assert!(matches!(
            expand_file_name("{Basename", &layer_vars("x")),
            Err(PresetError::BadFileNamePattern { .. })
        ));
        assert_eq!(
            file_name_macros(MBR).unwrap(),
            vec!["Basename", "Width", "Height", "VideoBitrate"]
        );
    }

    #[test]
    fn hostile_names_are_sanitised() {
        let cases = [
            ("../../etc/passwd", ".._.._etc_passwd_1280x720_3400.mp4"),
            ("a/b\\c", "a_b_c_1280x720_3400.mp4"),
            ("..", ".._1280x720_3400.mp4"),
            ("nul\0byte\nline\x7f", "nul_byte_line__1280x720_3400.mp4"),
            ("C:evil", "C_evil_1280x720_3400.mp4"),
            ("видео 日本 🎬", "видео 日本 🎬_1280x720_3400.mp4"),
        ];
        for (base, want) in cases {
            let got = expand_file_name(MBR, &layer_vars(base)).unwrap();
            assert_eq!(got, want);
            assert!(!got.contains('/') && !got.contains('\\') && !got.contains('\0'));
            assert!(std::path::Path::new(&got).components().count() == 1);
        }
        for (pattern, base) in [
            ("{Basename}", ".."),
            ("{Basename}", "."),
            ("{Basename}", ""),
            ("{Basename}", "  "),
        ] {
            assert!(
                matches!(
                    expand_file_name(pattern, &FileNameVars::new(base)),
                    Err(PresetError::UnsafeFileName { .. })
                ),
                "{base:?} must be rejected"
            );
        }
        assert_eq!(
            expand_file_name("{Basename}", &FileNameVars::new("../x")).unwrap(),
            ".._x"
        );
        let long = "x".repeat(300);
        assert!(expand_file_name(&long, &FileNameVars::new("a")).is_err());
    }

    #[test]
    fn basename_from_input_names() {
        assert_eq!(
            basename_from_file_name("dir/My Clip.final.mov"),
            "My Clip.final"
        );
        assert_eq!(basename_from_file_name("C:\\in\\clip.mp4"), "clip");
        assert_eq!(basename_from_file_name(".hidden"), ".hidden");
        assert_eq!(
            basename_from_file_name(&format!("{}.mp4", "y".repeat(40))).len(),
            32
        );
    }
}
