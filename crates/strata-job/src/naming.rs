//! Output-asset naming (reference §5.6) and name sanitising.

/// Longest sanitised asset name, in bytes (a common file-system limit).
pub const ASSET_NAME_MAX_BYTES: usize = 255;

/// Name used when sanitising leaves nothing.
pub const FALLBACK_ASSET_NAME: &str = "asset";

/// The MES name of an output asset, before sanitising: `asset_name` when given and not
/// empty, otherwise `JobOutputAsset(index)_` followed by the job name, or by the job id
/// when the job has no (or an empty) name. Example: job "NewJob" → `JobOutputAsset(0)_NewJob`.
#[must_use]
pub fn mes_output_asset_name(
    index: usize,
    asset_name: Option<&str>,
    job_name: Option<&str>,
    job_id: &str,
) -> String {
    if let Some(name) = asset_name.filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    let suffix = job_name.filter(|n| !n.is_empty()).unwrap_or(job_id);
    format!("JobOutputAsset({index})_{suffix}")
}

/// Makes a name safe as one folder name inside an asset store: path separators (`/`, `\`),
/// control characters and the characters Windows forbids (`<>:"|?*`) become `_`; leading/trailing
/// spaces and dots are removed; every remaining `..` becomes `_`; Windows device names (`CON`,
/// `NUL`, `COM1`, …) get a `_` prefix; the result is cut to [`ASSET_NAME_MAX_BYTES`]; an empty
/// result becomes [`FALLBACK_ASSET_NAME`]. A job id's colons therefore become underscores.
#[must_use]
pub fn sanitize_asset_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    s = s.trim_matches([' ', '.']).to_string();
    while s.contains("..") {
        s = s.replace("..", "_");
    }
    let mut s = s.trim_matches([' ', '.']).to_string();
    let stem = s.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        s.insert(0, '_');
    }
    if s.len() > ASSET_NAME_MAX_BYTES {
        let mut cut = ASSET_NAME_MAX_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s = s.trim_end_matches([' ', '.']).to_string();
    }
    if s.is_empty() {
        FALLBACK_ASSET_NAME.to_string()
    } else {
        s
    }
}
