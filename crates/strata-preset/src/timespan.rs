//! `TimeSpan`: the .NET-style duration strings MES presets use (`"00:00:02"`, `"1.02:03:04.5"`),
//! plus the `xs:duration` form (`"PT4S"`) the XML twin uses for `Sources`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number of 100-ns ticks in one second (the .NET `TimeSpan` resolution).
pub const TICKS_PER_SECOND: u64 = 10_000_000;
const TICKS_PER_MILLI: u64 = 10_000;
const TICKS_PER_MINUTE: u64 = 60 * TICKS_PER_SECOND;
const TICKS_PER_HOUR: u64 = 60 * TICKS_PER_MINUTE;
const TICKS_PER_DAY: u64 = 24 * TICKS_PER_HOUR;

/// A non-negative duration held exactly as 100-ns ticks, like .NET's `System.TimeSpan`.
///
/// Parses `"hh:mm:ss[.fffffff]"`, `"d.hh:mm:ss[.fffffff]"`, `"hh:mm"` and ISO 8601 /
/// `xs:duration` strings such as `"PT4S"` or `"P1DT2H"`. Formats as `"hh:mm:ss"` (with a
/// `d.` prefix past one day and a `.fffffff` fraction when needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeSpan {
    ticks: u64,
}

impl TimeSpan {
    /// The zero duration.
    pub const ZERO: TimeSpan = TimeSpan { ticks: 0 };

    /// A duration of `ticks` 100-ns units.
    pub const fn from_ticks(ticks: u64) -> Self {
        TimeSpan { ticks }
    }

    /// A duration of whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        TimeSpan {
            ticks: secs * TICKS_PER_SECOND,
        }
    }

    /// A duration of whole milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        TimeSpan {
            ticks: millis * TICKS_PER_MILLI,
        }
    }

    /// The exact length in 100-ns ticks.
    pub const fn ticks(self) -> u64 {
        self.ticks
    }

    /// The length in whole milliseconds (sub-millisecond ticks are truncated).
    pub const fn as_millis(self) -> u64 {
        self.ticks / TICKS_PER_MILLI
    }

    /// The length in seconds as a float (for reports; use [`TimeSpan::ticks`] for arithmetic).
    pub fn as_secs_f64(self) -> f64 {
        self.ticks as f64 / TICKS_PER_SECOND as f64
    }

    /// True for the zero duration.
    pub const fn is_zero(self) -> bool {
        self.ticks == 0
    }
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeSpanParseError {
    text: String,
    reason: &'static str,
}

impl fmt::Display for TimeSpanParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid time span {:?}: {} (expected \"hh:mm:ss[.fffffff]\", \"d.hh:mm:ss\" or \"PT..S\")",
            self.text, self.reason
        )
    }
}

impl std::error::Error for TimeSpanParseError {}

fn num(part: &str) -> Option<u64> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// Fraction digits (`"5"` = 0.5 s) to ticks; at most 7 digits like .NET.
fn fraction_ticks(digits: &str) -> Option<u64> {
    if digits.is_empty() || digits.len() > 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: u64 = digits.parse().ok()?;
    for _ in digits.len()..7 {
        value *= 10;
    }
    Some(value)
}

fn parse_clock(text: &str) -> Result<u64, &'static str> {
    let (days, clock) = match text.split_once(':') {
        Some((head, _)) if head.contains('.') => {
            let (d, rest) = text.split_once('.').ok_or("bad day part")?;
            (Some(num(d).ok_or("bad day count")?), rest)
        }
        Some(_) => (None, text),
        None => return Err("missing ':'"),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return Err("too many ':' parts"),
    };
    let hours = num(h).ok_or("bad hours")?;
    let minutes = num(m).ok_or("bad minutes")?;
    let (secs, frac) = match s.split_once('.') {
        Some((whole, f)) => (whole, fraction_ticks(f).ok_or("bad fraction")?),
        None => (s, 0),
    };
    let secs = num(secs).ok_or("bad seconds")?;
    if minutes >= 60 || secs >= 60 {
        return Err("minutes and seconds must be below 60");
    }
    if days.is_some() && hours >= 24 {
        return Err("hours must be below 24 when days are given");
    }
    let total = days.unwrap_or(0) as u128 * TICKS_PER_DAY as u128
        + hours as u128 * TICKS_PER_HOUR as u128
        + minutes as u128 * TICKS_PER_MINUTE as u128
        + secs as u128 * TICKS_PER_SECOND as u128
        + frac as u128;
    u64::try_from(total).map_err(|_| "too long")
}

fn parse_iso(text: &str) -> Result<u64, &'static str> {
    let body = text
        .strip_prefix('P')
        .ok_or("ISO duration must start with P")?;
    let mut total: u128 = 0;
    let mut in_time = false;
    let mut number = String::new();
    let mut seen_any = false;
    for c in body.chars() {
        match c {
            'T' if !in_time && number.is_empty() => in_time = true,
            '0'..='9' | '.' => number.push(c),
            'D' | 'H' | 'M' | 'S' => {
                if number.is_empty() {
                    return Err("unit without a number");
                }
                let unit: u64 = match (c, in_time) {
                    ('D', false) => TICKS_PER_DAY,
                    ('H', true) => TICKS_PER_HOUR,
                    ('M', true) => TICKS_PER_MINUTE,
                    ('S', true) => TICKS_PER_SECOND,
                    _ => return Err("unsupported ISO duration unit"),
                };
                let (whole, frac) = match number.split_once('.') {
                    Some((w, f)) if c == 'S' => (w, fraction_ticks(f).ok_or("bad fraction")?),
                    Some(_) => return Err("fractions are only allowed on seconds"),
                    None => (number.as_str(), 0),
                };
                let whole = num(whole).ok_or("bad number")?;
                total += whole as u128 * unit as u128 + frac as u128;
                number.clear();
                seen_any = true;
            }
            _ => return Err("unexpected character in ISO duration"),
        }
    }
    if !number.is_empty() || !seen_any {
        return Err("incomplete ISO duration");
    }
    u64::try_from(total).map_err(|_| "too long")
}

impl FromStr for TimeSpan {
    type Err = TimeSpanParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let result = if text.starts_with('-') {
            Err("negative durations are not allowed")
        } else if text.starts_with('P') {
            parse_iso(text)
        } else {
            parse_clock(text)
        };
        result
            .map(TimeSpan::from_ticks)
            .map_err(|reason| TimeSpanParseError {
                text: s.to_string(),
                reason,
            })
    }
}

impl fmt::Display for TimeSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.ticks / TICKS_PER_DAY;
        let rest = self.ticks % TICKS_PER_DAY;
        let (h, m) = (
            rest / TICKS_PER_HOUR,
            rest % TICKS_PER_HOUR / TICKS_PER_MINUTE,
        );
        let s = rest % TICKS_PER_MINUTE / TICKS_PER_SECOND;
        let frac = rest % TICKS_PER_SECOND;
        if days > 0 {
            write!(f, "{days}.")?;
        }
        write!(f, "{h:02}:{m:02}:{s:02}")?;
        if frac > 0 {
            write!(f, ".{frac:07}")?;
        }
        Ok(())
    }
}

impl Serialize for TimeSpan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeSpan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_clock_forms() {
        assert_eq!("00:00:02".parse::<TimeSpan>().unwrap().as_millis(), 2000);
        assert_eq!(
            "00:00:05".parse::<TimeSpan>().unwrap(),
            TimeSpan::from_secs(5)
        );
        assert_eq!(
            "01:02:03.5".parse::<TimeSpan>().unwrap().as_millis(),
            3_723_500
        );
        assert_eq!("00:00:00.0000001".parse::<TimeSpan>().unwrap().ticks(), 1);
        assert_eq!(
            "1.02:00:00".parse::<TimeSpan>().unwrap().as_millis(),
            26 * 3_600_000
        );
        assert_eq!(
            "00:02".parse::<TimeSpan>().unwrap(),
            TimeSpan::from_secs(120)
        );
        assert_eq!("PT4S".parse::<TimeSpan>().unwrap(), TimeSpan::from_secs(4));
        assert_eq!("PT1M0.5S".parse::<TimeSpan>().unwrap().as_millis(), 60_500);
        assert_eq!(
            "P1DT1H".parse::<TimeSpan>().unwrap().as_millis(),
            25 * 3_600_000
        );
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "",
            "2",
            "00:60:00",
            "00:00:61",
            "-00:00:01",
            "aa:00:00",
            "00:00:01.12345678",
            "1.24:00:00",
            "P",
            "PT",
            "PT5",
            "1:2:3:4",
        ] {
            assert!(bad.parse::<TimeSpan>().is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn formats_round_trip() {
        for text in ["00:00:02", "01:02:03.5000000", "1.02:03:04"] {
            let t: TimeSpan = text.parse().unwrap();
            assert_eq!(t.to_string(), text);
        }
        assert!((TimeSpan::from_millis(1500).as_secs_f64() - 1.5).abs() < 1e-12);
    }
}
