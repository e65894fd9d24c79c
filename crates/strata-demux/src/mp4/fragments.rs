//! Fragmented MP4: `mvex/trex` defaults and `moof/traf/{tfhd,tfdt,trun}` → samples appended to
//! the track's list, so the packet iterators see one flat decode-order list either way.

use super::bytes::BoxRef;
use super::sample_table::Sample;
use super::PendingTrack;
use crate::DemuxError;
use strata_core::Limits;

/// Per-track defaults from `trex`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trex {
    pub(crate) track_id: u32,
    pub(crate) duration: u32,
    pub(crate) size: u32,
    pub(crate) flags: u32,
}

pub(crate) fn parse_trex(b: &BoxRef<'_>) -> Result<Trex, DemuxError> {
    let mut c = b.cursor("trex");
    c.full_box()?;
    let track_id = c.u32()?;
    c.skip(4)?;
    Ok(Trex {
        track_id,
        duration: c.u32()?,
        size: c.u32()?,
        flags: c.u32()?,
    })
}

/// `sample_is_non_sync_sample` in the ISO sample flags.
const NON_SYNC: u32 = 0x0001_0000;

/// Appends the samples of one `moof` (whose header starts at file offset `moof_offset`).
pub(crate) fn apply_moof(
    moof: &BoxRef<'_>,
    tracks: &mut [PendingTrack],
    trex: &[Trex],
    limits: &Limits,
) -> Result<(), DemuxError> {
    let moof_offset = moof.offset;
    // Without explicit bases, each traf's data follows the previous traf's (ISO 14496-12
    // 8.8.7.1); the first starts at the moof.
    let mut prev_traf_end: Option<u64> = None;
    for traf in moof.children() {
        let traf = traf?;
        if &traf.typ != b"traf" {
            continue;
        }
        let tfhd = traf.required(b"tfhd")?;
        let mut c = tfhd.cursor("tfhd");
        let (_, flags) = c.full_box()?;
        let track_id = c.u32()?;
        let base_data_offset = if flags & 0x01 != 0 {
            Some(c.u64()?)
        } else {
            None
        };
        if flags & 0x02 != 0 {
            c.skip(4)?;
        }
        let defaults = trex.iter().find(|t| t.track_id == track_id);
        let def_duration = if flags & 0x08 != 0 {
            c.u32()?
        } else {
            defaults.map_or(0, |t| t.duration)
        };
        let def_size = if flags & 0x10 != 0 {
            c.u32()?
        } else {
            defaults.map_or(0, |t| t.size)
        };
        let def_flags = if flags & 0x20 != 0 {
            c.u32()?
        } else {
            defaults.map_or(0, |t| t.flags)
        };
        let base = match base_data_offset {
            Some(b) => b,
            None if flags & 0x2_0000 != 0 => moof_offset,
            None => prev_traf_end.unwrap_or(moof_offset),
        };

        let tfdt = match traf.child(b"tfdt")? {
            Some(b) => {
                let mut c = b.cursor("tfdt");
                let (v, _) = c.full_box()?;
                let t = if v == 1 {
                    c.u64()?
                } else {
                    u64::from(c.u32()?)
                };
                Some(i64::try_from(t).map_err(|_| {
                    DemuxError::malformed("tfdt decode time is above 2^63", b.offset)
                })?)
            }
            None => None,
        };

        // A traf for a track the moov does not declare cannot be interpreted; skipping it keeps
        // the known tracks readable.
        let Some(track) = tracks.iter_mut().find(|t| t.id == track_id) else {
            continue;
        };
        let mut dts = match tfdt {
            Some(t) => t,
            None => track.next_dts(),
        };
        let mut data_pos = base;
        for trun in traf.children() {
            let trun = trun?;
            if &trun.typ != b"trun" {
                continue;
            }
            let mut c = trun.cursor("trun");
            let (_, tf) = c.full_box()?;
            let count = c.u32()?;
            if tf & 0x01 != 0 {
                let rel = c.i32()?;
                data_pos = base.checked_add_signed(i64::from(rel)).ok_or_else(|| {
                    DemuxError::malformed("trun data offset points before the file", trun.offset)
                })?;
            }
            let first_flags = if tf & 0x04 != 0 { Some(c.u32()?) } else { None };
            let per_sample = [0x100u32, 0x200, 0x400, 0x800]
                .iter()
                .filter(|&&f| tf & f != 0)
                .count()
                * 4;
            if per_sample > 0 {
                c.check_table(u64::from(count), per_sample)?;
            }
            let total = (track.samples.len() as u64).saturating_add(u64::from(count));
            if total > u64::from(limits.max_samples) {
                return Err(DemuxError::LimitExceeded {
                    what: "samples in one track",
                    value: total,
                    limit: u64::from(limits.max_samples),
                });
            }
            for i in 0..count {
                let duration = if tf & 0x100 != 0 {
                    c.u32()?
                } else {
                    def_duration
                };
                let size = if tf & 0x200 != 0 { c.u32()? } else { def_size };
                let listed = if tf & 0x400 != 0 {
                    Some(c.u32()?)
                } else {
                    None
                };
                let first = if i == 0 { first_flags } else { None };
                let sflags = first.or(listed).unwrap_or(def_flags);
                // Signed in both versions, for the same reason as ctts.
                let cto = if tf & 0x800 != 0 { c.i32()? } else { 0 };
                track.samples.push(Sample {
                    offset: data_pos,
                    size,
                    duration,
                    dts,
                    pts: dts.saturating_add(i64::from(cto)),
                    keyframe: sflags & NON_SYNC == 0,
                });
                data_pos = data_pos.checked_add(u64::from(size)).ok_or_else(|| {
                    DemuxError::malformed("a fragment sample offset overflows 64 bits", trun.offset)
                })?;
                dts = dts.checked_add(i64::from(duration)).ok_or_else(|| {
                    DemuxError::malformed("fragment decode times overflow 64 bits", trun.offset)
                })?;
            }
        }
        prev_traf_end = Some(data_pos);
    }
    Ok(())
}
