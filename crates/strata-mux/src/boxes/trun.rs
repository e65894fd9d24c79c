//! `trun`: track fragment run.

use super::BoxBuf;

const DATA_OFFSET: u32 = 0x0001;
const FIRST_SAMPLE_FLAGS: u32 = 0x0004;
const DURATION: u32 = 0x0100;
const SIZE: u32 = 0x0200;
const FLAGS: u32 = 0x0400;
const CTO: u32 = 0x0800;

/// One sample row of a run.
pub(crate) struct RunSample {
    pub(crate) duration: u32,
    pub(crate) size: u32,
    pub(crate) flags: u32,
    pub(crate) cts_offset: i32,
}

/// How the sample flags of a run are carried.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagsMode {
    /// Every sample uses the `tfhd` default.
    Default,
    /// The first sample overrides the default (a GOP: IDR then dependent frames).
    First(u32),
    /// Each sample carries its own flags.
    PerSample,
}

/// The size in bytes of the `trun` [`write`] produces, needed to compute the data offset
/// before writing.
pub(crate) fn size(samples: usize, mode: FlagsMode, cto: bool) -> usize {
    let per = 8 + if mode == FlagsMode::PerSample { 4 } else { 0 } + if cto { 4 } else { 0 };
    12 + 4
        + 4
        + if matches!(mode, FlagsMode::First(_)) {
            4
        } else {
            0
        }
        + per * samples
}

/// Writes a `trun` with per-sample durations and sizes; composition offsets (version 1,
/// signed) only when some sample has one.
pub(crate) fn write(
    b: &mut BoxBuf,
    samples: &[RunSample],
    mode: FlagsMode,
    cto: bool,
    data_offset: i32,
) {
    let mut flags = DATA_OFFSET | DURATION | SIZE;
    match mode {
        FlagsMode::Default => {}
        FlagsMode::First(_) => flags |= FIRST_SAMPLE_FLAGS,
        FlagsMode::PerSample => flags |= FLAGS,
    }
    if cto {
        flags |= CTO;
    }
    b.begin_full(b"trun", u8::from(cto), flags)
        .u32(samples.len() as u32)
        .i32(data_offset);
    if let FlagsMode::First(f) = mode {
        b.u32(f);
    }
    for s in samples {
        b.u32(s.duration).u32(s.size);
        if mode == FlagsMode::PerSample {
            b.u32(s.flags);
        }
        if cto {
            b.i32(s.cts_offset);
        }
    }
    b.end();
}
