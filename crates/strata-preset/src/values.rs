//! Scalar value types of the preset schema: the case-insensitive string enums, [`Size`],
//! [`FrameRate`], and lenient number/boolean readers (MES accepted `"true"` and `"640"`).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Declares a string-valued enum read case-insensitively and written in MES spelling.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $field:literal $(, default $def:ident)? {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in schema order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling MES uses in preset files.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        $(
            impl Default for $name {
                fn default() -> Self {
                    $name::$def
                }
            }
        )?

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            /// Case-insensitive, ignores surrounding whitespace.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $( if t.eq_ignore_ascii_case($text) { return Ok($name::$variant); } )+
                let expected: Vec<&str> = vec![$($text),+];
                Err(format!(
                    "unknown {} `{}`: expected one of {}",
                    $field,
                    s,
                    expected.join(", ")
                ))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(de::Error::custom)
            }
        }
    };
}

string_enum! {
    /// `H264Layer.Profile`.
    H264Profile, "Profile", default Auto {
        /// Let the encoder choose (`Auto`, the default).
        Auto => "Auto",
        /// Constrained Baseline (no B-frames, CAVLC).
        Baseline => "Baseline",
        /// Main profile.
        Main => "Main",
        /// High profile.
        High => "High",
    }
}

string_enum! {
    /// `H264Video.Complexity`: the speed/quality trade-off.
    Complexity, "Complexity", default Balanced {
        /// Fastest encode.
        Speed => "Speed",
        /// The default.
        Balanced => "Balanced",
        /// Best quality.
        Quality => "Quality",
    }
}

string_enum! {
    /// `H264Video.StretchMode` (reference §2.6).
    StretchMode, "StretchMode", default AutoSize {
        /// Use Width×Height exactly, ignoring the input aspect ratio.
        None => "None",
        /// Fit inside the box keeping the input aspect ratio, no padding (the default).
        AutoSize => "AutoSize",
        /// Output exactly Width×Height, letterboxed/pillarboxed.
        AutoFit => "AutoFit",
    }
}

string_enum! {
    /// `H264Layer.EntropyMode`.
    EntropyMode, "EntropyMode", default Cabac {
        /// CABAC (the default; not allowed with Baseline).
        Cabac => "Cabac",
        /// CAVLC.
        Cavlc => "Cavlc",
    }
}

string_enum! {
    /// `AACAudio.Profile`.
    AacProfile, "Profile", default AacLc {
        /// AAC Low Complexity (the default).
        AacLc => "AACLC",
        /// HE-AAC v1 (AAC + SBR).
        HeAacV1 => "HEAACV1",
        /// HE-AAC v2 (AAC + SBR + PS).
        HeAacV2 => "HEAACV2",
    }
}

string_enum! {
    /// `H264Video.Condition`: what to do when the input has no video.
    VideoCondition, "Condition" {
        /// Insert black video at the lowest bitrate only.
        InsertBlackIfNoVideoBottomLayerOnly => "InsertBlackIfNoVideoBottomLayerOnly",
        /// Insert black video at every bitrate.
        InsertBlackIfNoVideo => "InsertBlackIfNoVideo",
    }
}

string_enum! {
    /// `AACAudio.Condition`: what to do when the input has no audio.
    AudioCondition, "Condition" {
        /// Add a silent track.
        InsertSilenceIfNoAudio => "InsertSilenceIfNoAudio",
    }
}

string_enum! {
    /// `Output.Condition`.
    OutputCondition, "Condition" {
        /// Do not interleave audio into the video MP4s.
        NonInterleaved => "NonInterleaved",
    }
}

/// A layer dimension: pixels, or a percentage of the source dimension (`"50%"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Size {
    /// An exact number of pixels.
    Pixels(u32),
    /// A whole percentage of the source dimension (valid presets use 1..=100).
    Percent(u32),
}

impl Size {
    /// The pixel size for a source dimension of `source` pixels. Percentages round to nearest.
    pub fn resolve(self, source: u32) -> u32 {
        match self {
            Size::Pixels(p) => p,
            Size::Percent(pc) => ((u64::from(source) * u64::from(pc) + 50) / 100) as u32,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Pixels(p) => write!(f, "{p}"),
            Size::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl FromStr for Size {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad =
            || format!("invalid size `{s}`: expected pixels (\"640\") or a percentage (\"50%\")");
        match t.strip_suffix('%') {
            Some(p) => p.trim().parse().map(Size::Percent).map_err(|_| bad()),
            None => t.parse().map(Size::Pixels).map_err(|_| bad()),
        }
    }
}

impl Serialize for Size {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Size::Pixels(p) => serializer.serialize_u32(*p),
            Size::Percent(_) => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a pixel count or a \"NN%\" string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                u32::try_from(v).map(Size::Pixels).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u32::try_from(v).map(Size::Pixels).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `H264Layer.FrameRate` as a rational `num/den`; `0/1` (the default) means "same as input".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameRate {
    /// Numerator (frames).
    pub num: u32,
    /// Denominator (seconds); a valid preset never has 0 here.
    pub den: u32,
}

impl FrameRate {
    /// `0/1`: keep the input frame rate.
    pub const SAME_AS_INPUT: FrameRate = FrameRate { num: 0, den: 1 };

    /// A rate of `num/den` frames per second.
    pub const fn new(num: u32, den: u32) -> Self {
        FrameRate { num, den }
    }

    /// True when the layer keeps the input rate (numerator 0).
    pub const fn is_same_as_input(self) -> bool {
        self.num == 0
    }

    /// The rate as frames per second, or `None` for "same as input" or a zero denominator.
    pub fn as_f64(self) -> Option<f64> {
        (self.num != 0 && self.den != 0).then(|| f64::from(self.num) / f64::from(self.den))
    }

    /// True when both are the same rate (`30/1` equals `60/2`; all "same as input" are equal).
    pub fn same_rate(self, other: FrameRate) -> bool {
        if self.is_same_as_input() || other.is_same_as_input() {
            return self.is_same_as_input() == other.is_same_as_input();
        }
        u64::from(self.num) * u64::from(other.den) == u64::from(other.num) * u64::from(self.den)
    }
}

impl Default for FrameRate {
    fn default() -> Self {
        FrameRate::SAME_AS_INPUT
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl FromStr for FrameRate {
    type Err = String;

    /// Reads `"30000/1001"`, `"25"` or `"29.97"` (as `2997/100`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = || {
            format!(
                "invalid FrameRate `{s}`: expected a rational \"num/den\" such as \"30000/1001\""
            )
        };
        if let Some((n, d)) = t.split_once('/') {
            let num = n.trim().parse().map_err(|_| bad())?;
            let den = d.trim().parse().map_err(|_| bad())?;
            return Ok(FrameRate { num, den });
        }
        if let Some((whole, frac)) = t.split_once('.') {
            if frac.is_empty() || frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let den = 10u32.pow(frac.len() as u32);
            let whole: u32 = whole.parse().map_err(|_| bad())?;
            let frac: u32 = frac.parse().map_err(|_| bad())?;
            let num = whole
                .checked_mul(den)
                .and_then(|w| w.checked_add(frac))
                .ok_or_else(bad)?;
            return Ok(FrameRate { num, den });
        }
        t.parse()
            .map(|num| FrameRate { num, den: 1 })
            .map_err(|_| bad())
    }
}

impl Serialize for FrameRate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FrameRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FrameRate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rational \"num/den\" string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FrameRate, E> {
                u32::try_from(v)
                    .map(|n| FrameRate::new(n, 1))
                    .map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FrameRate, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Lenient readers used through `#[serde(deserialize_with = ...)]`.
pub(crate) mod flex {
    use super::*;

    struct FlexU32(u32);
    struct FlexBool(bool);
    struct FlexF64(f64);

    impl<'de> Deserialize<'de> for FlexU32 {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = FlexU32;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a non-negative integer")
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlexU32, E> {
                    u32::try_from(v).map(FlexU32).map_err(E::custom)
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlexU32, E> {
                    u32::try_from(v).map(FlexU32).map_err(E::custom)
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<FlexU32, E> {
                    v.trim()
                        .parse()
                        .map(FlexU32)
                        .map_err(|_| E::custom(format!("invalid integer `{v}`")))
                }
            }
            deserializer.deserialize_any(V)
        }
    }

    impl<'de> Deserialize<'de> for FlexBool {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = FlexBool;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("true or false")
                }
                fn visit_bool<E: de::Error>(self, v: bool) -> Result<FlexBool, E> {
                    Ok(FlexBool(v))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<FlexBool, E> {
                    match v.trim() {
                        t if t.eq_ignore_ascii_case("true") => Ok(FlexBool(true)),
                        t if t.eq_ignore_ascii_case("false") => Ok(FlexBool(false)),
                        _ => Err(E::custom(format!("invalid boolean `{v}`"))),
                    }
                }
            }
            deserializer.deserialize_any(V)
        }
    }

    impl<'de> Deserialize<'de> for FlexF64 {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = FlexF64;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a number")
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<FlexF64, E> {
                    Ok(FlexF64(v))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlexF64, E> {
                    Ok(FlexF64(v as f64))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlexF64, E> {
                    Ok(FlexF64(v as f64))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<FlexF64, E> {
                    v.trim()
                        .parse()
                        .map(FlexF64)
                        .map_err(|_| E::custom(format!("invalid number `{v}`")))
                }
            }
            deserializer.deserialize_any(V)
        }
    }

    pub(crate) fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        FlexU32::deserialize(d).map(|v| v.0)
    }

    pub(crate) fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Option::<FlexU32>::deserialize(d).map(|v| v.map(|v| v.0))
    }

    pub(crate) fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        FlexBool::deserialize(d).map(|v| v.0)
    }

    pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Option::<FlexBool>::deserialize(d).map(|v| v.map(|v| v.0))
    }

    struct FlexString(String);

    impl<'de> Deserialize<'de> for FlexString {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = FlexString;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a string or a number")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<FlexString, E> {
                    Ok(FlexString(v.to_string()))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlexString, E> {
                    Ok(FlexString(v.to_string()))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlexString, E> {
                    Ok(FlexString(v.to_string()))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<FlexString, E> {
                    Ok(FlexString(v.to_string()))
                }
            }
            deserializer.deserialize_any(V)
        }
    }

    pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        FlexString::deserialize(d).map(|v| v.0)
    }

    pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Option::<FlexString>::deserialize(d).map(|v| v.map(|v| v.0))
    }

    pub(crate) fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        FlexF64::deserialize(d).map(|v| v.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_are_case_insensitive() {
        assert_eq!(
            "baseline".parse::<H264Profile>().unwrap(),
            H264Profile::Baseline
        );
        assert_eq!(" HIGH ".parse::<H264Profile>().unwrap(), H264Profile::High);
        assert_eq!("aaclc".parse::<AacProfile>().unwrap(), AacProfile::AacLc);
        assert_eq!("cavlc".parse::<EntropyMode>().unwrap(), EntropyMode::Cavlc);
        let err = "Extended".parse::<H264Profile>().unwrap_err();
        assert!(err.contains("Profile `Extended`"), "{err}");
        assert!(err.contains("Baseline"), "{err}");
    }

    #[test]
    fn sizes() {
        assert_eq!("640".parse::<Size>().unwrap(), Size::Pixels(640));
        assert_eq!("50%".parse::<Size>().unwrap(), Size::Percent(50));
        assert_eq!(Size::Percent(50).resolve(1281), 641);
        assert_eq!(Size::Percent(100).resolve(720), 720);
        assert_eq!(Size::Pixels(320).resolve(1920), 320);
        assert!("abc".parse::<Size>().is_err());
        assert_eq!(Size::Percent(25).to_string(), "25%");
    }

    #[test]
    fn frame_rates() {
        assert_eq!(
            "0/1".parse::<FrameRate>().unwrap(),
            FrameRate::SAME_AS_INPUT
        );
        assert!(FrameRate::default().is_same_as_input());
        assert_eq!(
            "30000/1001".parse::<FrameRate>().unwrap(),
            FrameRate::new(30000, 1001)
        );
        assert_eq!("25".parse::<FrameRate>().unwrap(), FrameRate::new(25, 1));
        assert_eq!(
            "29.97".parse::<FrameRate>().unwrap(),
            FrameRate::new(2997, 100)
        );
        assert!(FrameRate::new(30, 1).same_rate(FrameRate::new(60, 2)));
        assert!(!FrameRate::new(30, 1).same_rate(FrameRate::SAME_AS_INPUT));
        assert_eq!(FrameRate::new(12, 1).as_f64(), Some(12.0));
        assert_eq!(FrameRate::SAME_AS_INPUT.as_f64(), None);
        assert!("x/1".parse::<FrameRate>().is_err());
    }
}
