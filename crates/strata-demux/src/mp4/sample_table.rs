//! `stbl` → a flat list of samples in decode order.
//!
//! The tables are expanded once at open time: the packet iterators then need no table logic,
//! and the "does any sample lie past the end of the file" check can run before any decoding
//! starts. Memory is bounded by `Limits::max_samples`, checked before expansion.

use super::bytes::{BoxRef, Cursor};
use crate::DemuxError;
use strata_core::Limits;

/// Where one sample lives and when it plays, in track ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    pub(crate) offset: u64,
    pub(crate) size: u32,
    pub(crate) duration: u32,
    pub(crate) dts: i64,
    pub(crate) pts: i64,
    pub(crate) keyframe: bool,
}

enum Sizes<'a> {
    Constant(u32),
    /// Packed entries of `bits` bits each (32 for `stsz`, 4/8/16 for `stz2`).
    Table {
        data: &'a [u8],
        bits: u8,
    },
}

impl Sizes<'_> {
    fn get(&self, i: usize) -> u32 {
        match *self {
            Sizes::Constant(s) => s,
            // Indices below the declared count were checked to fit in `data`, so the `get`s
            // only return None on an internal bug, which reads as a zero-size sample.
            Sizes::Table { data, bits } => match bits {
                32 => {
                    let a = i.saturating_mul(4);
                    data.get(a..a.saturating_add(4))
                        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                }
                16 => {
                    let a = i.saturating_mul(2);
                    data.get(a..a.saturating_add(2))
                        .map_or(0, |b| u32::from(u16::from_be_bytes([b[0], b[1]])))
                }
                8 => data.get(i).map_or(0, |&b| u32::from(b)),
                _ => data.get(i / 2).map_or(0, |&b| {
                    u32::from(if i.is_multiple_of(2) { b >> 4 } else { b & 15 })
                }),
            },
        }
    }
}

fn parse_sizes<'a>(stbl: &BoxRef<'a>) -> Result<Option<(Sizes<'a>, u32, u64)>, DemuxError> {
    if let Some(stsz) = stbl.child(b"stsz")? {
        let mut c = stsz.cursor("stsz");
        c.full_box()?;
        let size = c.u32()?;
        let count = c.u32()?;
        if size != 0 {
            return Ok(Some((Sizes::Constant(size), count, stsz.offset)));
        }
        c.check_table(u64::from(count), 4)?;
        let data = c.rest();
        return Ok(Some((Sizes::Table { data, bits: 32 }, count, stsz.offset)));
    }
    if let Some(stz2) = stbl.child(b"stz2")? {
        let mut c = stz2.cursor("stz2");
        c.full_box()?;
        c.skip(3)?;
        let bits = c.u8()?;
        let count = c.u32()?;
        let bytes = match bits {
            4 => u64::from(count).div_ceil(2),
            8 => u64::from(count),
            16 => u64::from(count) * 2,
            _ => {
                return Err(DemuxError::malformed(
                    format!("stz2 field size {bits} is not 4, 8 or 16"),
                    stz2.offset,
                ))
            }
        };
        c.check_table(bytes, 1)?;
        let data = c.rest();
        return Ok(Some((Sizes::Table { data, bits }, count, stz2.offset)));
    }
    Ok(None)
}

/// Reads `count` entries of two u32 each after a full-box header and an entry count.
fn pairs<'a>(b: &BoxRef<'a>, ctx: &'static str) -> Result<(Cursor<'a>, u32), DemuxError> {
    let mut c = b.cursor(ctx);
    c.full_box()?;
    let n = c.u32()?;
    c.check_table(u64::from(n), 8)?;
    Ok((c, n))
}

/// Expands the sample tables of one track. `track_id` only names the track in errors.
pub(crate) fn parse_stbl(
    stbl: &BoxRef<'_>,
    limits: &Limits,
    file_len: u64,
    track_id: u32,
) -> Result<Vec<Sample>, DemuxError> {
    let Some((sizes, count, stsz_off)) = parse_sizes(stbl)? else {
        // A fragmented file's moov may omit the tables entirely: the samples come in moofs.
        return Ok(Vec::new());
    };
    if count > limits.max_samples {
        return Err(DemuxError::LimitExceeded {
            what: "samples in one track",
            value: u64::from(count),
            limit: u64::from(limits.max_samples),
        });
    }
    if count == 0 {
        return Ok(Vec::new());
    }
    if let Sizes::Constant(s) = sizes {
        // A constant size lets a tiny box declare millions of samples; their bytes must at
        // least fit in the file before we allocate a table for them.
        let total = u64::from(s).saturating_mul(u64::from(count));
        if total > file_len {
            return Err(DemuxError::malformed(
                format!(
                    "stsz of track {track_id} declares {count} samples of {s} bytes, \
                     more than the whole file ({file_len} bytes)"
                ),
                stsz_off,
            ));
        }
    }
    let n = count as usize;

    // Chunk offsets.
    let offsets: Vec<u64> = if let Some(stco) = stbl.child(b"stco")? {
        let mut c = stco.cursor("stco");
        c.full_box()?;
        let k = c.u32()?;
        c.check_table(u64::from(k), 4)?;
        let mut v = Vec::with_capacity(k as usize);
        for _ in 0..k {
            v.push(u64::from(c.u32()?));
        }
        v
    } else if let Some(co64) = stbl.child(b"co64")? {
        let mut c = co64.cursor("co64");
        c.full_box()?;
        let k = c.u32()?;
        c.check_table(u64::from(k), 8)?;
        let mut v = Vec::with_capacity(k as usize);
        for _ in 0..k {
            v.push(c.u64()?);
        }
        v
    } else {
        return Err(DemuxError::malformed(
            format!("track {track_id} has samples but no chunk offsets (stco/co64)"),
            stbl.offset,
        ));
    };

    // Sample-to-chunk runs: (first chunk, 1-based; samples per chunk).
    let stsc = stbl.required(b"stsc")?;
    let (mut c, k) = {
        let mut c = stsc.cursor("stsc");
        c.full_box()?;
        let k = c.u32()?;
        c.check_table(u64::from(k), 12)?;
        (c, k)
    };
    let mut runs = Vec::with_capacity(k as usize);
    for _ in 0..k {
        let first = c.u32()?;
        let per_chunk = c.u32()?;
        c.skip(4)?;
        runs.push((first, per_chunk));
    }
    if runs.is_empty() {
        return Err(DemuxError::malformed(
            format!("stsc of track {track_id} is empty but the track has {count} samples"),
            stsc.offset,
        ));
    }

    let mut samples: Vec<Sample> = Vec::with_capacity(n);
    let mut run = 0usize;
    for (chunk_idx, &chunk_off) in offsets.iter().enumerate() {
        let chunk_no = (chunk_idx as u64).saturating_add(1);
        while let Some(&(next_first, _)) = runs.get(run + 1) {
            if u64::from(next_first) <= chunk_no {
                run += 1;
            } else {
                break;
            }
        }
        let per_chunk = runs.get(run).map_or(0, |r| r.1);
        let mut off = chunk_off;
        for _ in 0..per_chunk {
            if samples.len() == n {
                break;
            }
            let size = sizes.get(samples.len());
            samples.push(Sample {
                offset: off,
                size,
                duration: 0,
                dts: 0,
                pts: 0,
                keyframe: true,
            });
            off = off.checked_add(u64::from(size)).ok_or_else(|| {
                DemuxError::malformed(
                    format!("a sample offset of track {track_id} overflows 64 bits"),
                    stsc.offset,
                )
            })?;
        }
        if samples.len() == n {
            break;
        }
    }
    if samples.len() < n {
        return Err(DemuxError::malformed(
            format!(
                "the chunk tables (stsc/stco) of track {track_id} place only {} of its {n} samples",
                samples.len()
            ),
            stsc.offset,
        ));
    }

    // Decode times.
    let stts = stbl.required(b"stts")?;
    let (mut c, k) = pairs(&stts, "stts")?;
    let mut i = 0usize;
    let mut dts: i64 = 0;
    'stts: for _ in 0..k {
        let run_len = c.u32()?;
        let delta = c.u32()?;
        for _ in 0..run_len {
            let Some(s) = samples.get_mut(i) else {
                break 'stts;
            };
            s.dts = dts;
            s.duration = delta;
            dts = dts.checked_add(i64::from(delta)).ok_or_else(|| {
                DemuxError::malformed("decode times overflow 64 bits", stts.offset)
            })?;
            i += 1;
        }
    }
    if i < n {
        return Err(DemuxError::malformed(
            format!("stts of track {track_id} covers {i} samples but stsz declares {n}"),
            stts.offset,
        ));
    }

    // Composition offsets. Version 0 is unsigned by the letter of ISO 14496-12, but muxers
    // write negative offsets into version-0 boxes too, and an offset of 2^31 ticks or more (hours)
    // is never meant, so both versions are read as signed.
    for s in &mut samples {
        s.pts = s.dts;
    }
    if let Some(ctts) = stbl.child(b"ctts")? {
        let (mut c, k) = pairs(&ctts, "ctts")?;
        let mut i = 0usize;
        'ctts: for _ in 0..k {
            let run_len = c.u32()?;
            let off = c.i32()?;
            for _ in 0..run_len {
                let Some(s) = samples.get_mut(i) else {
                    break 'ctts;
                };
                s.pts = s.dts.saturating_add(i64::from(off));
                i += 1;
            }
        }
    }

    // Sync samples; without stss every sample is a sync sample.
    if let Some(stss) = stbl.child(b"stss")? {
        let mut c = stss.cursor("stss");
        c.full_box()?;
        let k = c.u32()?;
        c.check_table(u64::from(k), 4)?;
        for s in &mut samples {
            s.keyframe = false;
        }
        for _ in 0..k {
            let number = c.u32()? as usize;
            if let Some(s) = number.checked_sub(1).and_then(|i| samples.get_mut(i)) {
                s.keyframe = true;
            }
        }
    }
    Ok(samples)
}
