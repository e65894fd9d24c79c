//! Noiseless coding (ISO/IEC 14496-3, 4.6.3): spectral Huffman books 1–11 with escape,
//! the scalefactor book, and the section partition that picks the cheapest book per run of bands.

use crate::bits::BitWriter;
use crate::tables::{SCALEFACTOR_BITS, SCALEFACTOR_CODE, SPECTRAL_BITS, SPECTRAL_CODES};
use std::sync::OnceLock;

/// `ZERO_HCB`: the band is all zero and carries no scalefactor or spectral data.
pub(crate) const ZERO_HCB: u8 = 0;
/// Escape codebook.
pub(crate) const ESC_HCB: u8 = 11;
/// Largest magnitude codable with the escape mechanism (13 bits).
pub(crate) const MAX_QUANT: i32 = 8191;
/// Marks a book that cannot code a band.
pub(crate) const INF: u32 = u32::MAX / 4;

/// Shape of a spectral codebook (ISO/IEC 14496-3 Table 4.152).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BookShape {
    /// 4 for quad books, 2 for pair books.
    pub(crate) dim: usize,
    /// Unsigned books send the sign bits separately after the codeword.
    pub(crate) unsigned: bool,
    /// Largest absolute value (16 in book 11 means "escape").
    pub(crate) lav: i32,
}

pub(crate) const SHAPES: [BookShape; 12] = [
    BookShape {
        dim: 4,
        unsigned: false,
        lav: 0,
    },
    BookShape {
        dim: 4,
        unsigned: false,
        lav: 1,
    },
    BookShape {
        dim: 4,
        unsigned: false,
        lav: 1,
    },
    BookShape {
        dim: 4,
        unsigned: true,
        lav: 2,
    },
    BookShape {
        dim: 4,
        unsigned: true,
        lav: 2,
    },
    BookShape {
        dim: 2,
        unsigned: false,
        lav: 4,
    },
    BookShape {
        dim: 2,
        unsigned: false,
        lav: 4,
    },
    BookShape {
        dim: 2,
        unsigned: true,
        lav: 7,
    },
    BookShape {
        dim: 2,
        unsigned: true,
        lav: 7,
    },
    BookShape {
        dim: 2,
        unsigned: true,
        lav: 12,
    },
    BookShape {
        dim: 2,
        unsigned: true,
        lav: 12,
    },
    BookShape {
        dim: 2,
        unsigned: true,
        lav: 16,
    },
];

/// Codeword length plus sign bits for every codeword index, per book: the bit cost of a tuple
/// without escapes is one table lookup.
fn cost_tables() -> &'static [Vec<u8>; 12] {
    static T: OnceLock<[Vec<u8>; 12]> = OnceLock::new();
    T.get_or_init(|| {
        let mut out: [Vec<u8>; 12] = Default::default();
        for (b, slot) in out.iter_mut().enumerate().skip(1) {
            let shape = SHAPES[b];
            let bits = SPECTRAL_BITS[b - 1];
            let modulo = if shape.unsigned {
                shape.lav as usize + 1
            } else {
                2 * shape.lav as usize + 1
            };
            *slot = (0..bits.len())
                .map(|idx| {
                    let mut signs = 0u8;
                    if shape.unsigned {
                        let mut r = idx;
                        for _ in 0..shape.dim {
                            if r % modulo != 0 {
                                signs += 1;
                            }
                            r /= modulo;
                        }
                    }
                    bits[idx] + signs
                })
                .collect();
        }
        out
    })
}

#[inline]
fn tuple_index(b: usize, t: &[i32]) -> usize {
    let s = SHAPES[b];
    let mut idx = 0usize;
    if s.unsigned {
        let m = s.lav as usize + 1;
        for &v in t {
            idx = idx * m + (v.unsigned_abs() as usize).min(s.lav as usize);
        }
    } else {
        let m = 2 * s.lav as usize + 1;
        for &v in t {
            idx = idx * m + (v + s.lav) as usize;
        }
    }
    idx
}

/// Escape sequence length for |v| ≥ 16: (N−4) ones, a zero, N bits where N = ⌊log2 |v|⌋.
#[inline]
fn esc_bits(a: u32) -> u32 {
    if a < 16 {
        0
    } else {
        let n = 31 - a.leading_zeros();
        2 * n - 3
    }
}

/// Bits needed to code `q` (signed quantized values, length a multiple of 4) with book `b`,
/// or [`INF`] if some value exceeds the book's range.
pub(crate) fn band_cost(b: u8, q: &[i32], max_abs: i32) -> u32 {
    if b == ZERO_HCB {
        return if max_abs == 0 { 0 } else { INF };
    }
    let bi = b as usize;
    let s = SHAPES[bi];
    if b != ESC_HCB && max_abs > s.lav {
        return INF;
    }
    if max_abs > MAX_QUANT {
        return INF;
    }
    let tab = &cost_tables()[bi];
    let mut bits = 0u32;
    for t in q.chunks_exact(s.dim) {
        bits += u32::from(tab[tuple_index(bi, t)]);
        if b == ESC_HCB {
            bits += esc_bits(t[0].unsigned_abs()) + esc_bits(t[1].unsigned_abs());
        }
    }
    bits
}

/// Writes the spectral data of one band with book `b` (ISO/IEC 14496-3 4.6.3.3).
pub(crate) fn write_band(w: &mut BitWriter, b: u8, q: &[i32]) {
    let bi = b as usize;
    let s = SHAPES[bi];
    let codes = SPECTRAL_CODES[bi - 1];
    let lens = SPECTRAL_BITS[bi - 1];
    for t in q.chunks_exact(s.dim) {
        let idx = tuple_index(bi, t);
        w.put(u32::from(lens[idx]), u32::from(codes[idx]));
        if s.unsigned {
            for &v in t {
                if v != 0 {
                    w.put(1, u32::from(v < 0));
                }
            }
        }
        if b == ESC_HCB {
            for &v in t {
                let a = v.unsigned_abs();
                if a >= 16 {
                    let n = 31 - a.leading_zeros();
                    // escape_prefix: N−4 ones then a zero; escape_word: N bits of a − 2^N.
                    w.put(n - 4 + 1, ((1u32 << (n - 4)) - 1) << 1);
                    w.put(n, a - (1 << n));
                }
            }
        }
    }
}

/// Books worth trying for a band whose largest magnitude is `max_abs`: the smallest books
/// that can hold it plus the next family, so sections can merge across bands.
pub(crate) fn candidate_books(max_abs: i32) -> &'static [u8] {
    match max_abs {
        0 => &[0, 1, 2],
        1 => &[1, 2, 3, 4],
        2 => &[3, 4, 5, 6],
        3..=4 => &[5, 6, 7, 8],
        5..=7 => &[7, 8, 9, 10],
        8..=12 => &[9, 10, 11],
        _ => &[11],
    }
}

/// Bit cost of one section header of `len` bands.
#[inline]
pub(crate) fn section_header_bits(len: usize, short: bool) -> u32 {
    let (bits, esc) = if short { (3, 7) } else { (5, 31) };
    4 + bits * (len as u32 / esc + 1)
}

/// A run of bands coded with one book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Section {
    pub(crate) book: u8,
    pub(crate) start: usize,
    pub(crate) len: usize,
}

/// Chooses the partition of bands into sections and a book per section minimising the total
/// bits (header + spectral). `costs[b][book]` is the cost of band `b` with `book` ([`INF`] if
/// impossible). Dynamic programming over (band, book of the section containing it); the length
/// escapes (runs of ≥ 31 long / ≥ 7 short bands) are charged exactly in the returned total but
/// only approximately during the search.
pub(crate) fn choose_sections(costs: &[[u32; 12]], short: bool, out: &mut Vec<Section>) -> u32 {
    out.clear();
    let n = costs.len();
    if n == 0 {
        return 0;
    }
    let hdr = section_header_bits(1, short);
    // best[b][k]: cheapest coding of bands 0..=b with band b in a section of book k.
    let mut best = vec![[INF; 12]; n];
    let mut from_new = vec![[false; 12]; n];
    let mut prev_min = 0u32;
    for b in 0..n {
        let mut row_min = INF;
        for k in 0..12 {
            let c = costs[b][k];
            if c >= INF {
                continue;
            }
            let start_new = prev_min + hdr + c;
            let extend = if b > 0 && best[b - 1][k] < INF {
                best[b - 1][k] + c
            } else {
                INF
            };
            let (v, new) = if extend <= start_new {
                (extend, false)
            } else {
                (start_new, true)
            };
            best[b][k] = v;
            from_new[b][k] = new;
            row_min = row_min.min(v);
        }
        prev_min = row_min;
    }
    // Trace back.
    let mut k = (0..12).min_by_key(|&k| best[n - 1][k]).unwrap_or(0);
    let mut end = n;
    let mut b = n - 1;
    loop {
        let new = from_new[b][k];
        if new {
            out.push(Section {
                book: k as u8,
                start: b,
                len: end - b,
            });
            end = b;
            if b == 0 {
                break;
            }
            let prev = b - 1;
            k = (0..12).min_by_key(|&kk| best[prev][kk]).unwrap_or(0);
            b = prev;
        } else {
            b -= 1;
        }
    }
    out.reverse();
    out.iter()
        .map(|s| {
            section_header_bits(s.len, short)
                + (s.start..s.start + s.len)
                    .map(|i| costs[i][s.book as usize])
                    .sum::<u32>()
        })
        .sum()
}

/// Writes section_data() for one group.
pub(crate) fn write_sections(w: &mut BitWriter, sections: &[Section], short: bool) {
    let (bits, esc) = if short { (3, 7) } else { (5, 31) };
    for s in sections {
        w.put(4, u32::from(s.book));
        let mut len = s.len;
        while len >= esc {
            w.put(bits, esc as u32);
            len -= esc;
        }
        w.put(bits, len as u32);
    }
}

/// Bits of a scalefactor difference (must lie in −60..=60).
#[inline]
pub(crate) fn sf_delta_bits(delta: i32) -> u32 {
    debug_assert!((-60..=60).contains(&delta), "scalefactor delta {delta}");
    u32::from(SCALEFACTOR_BITS[(delta + 60) as usize])
}

/// Writes a scalefactor difference.
pub(crate) fn write_sf_delta(w: &mut BitWriter, delta: i32) {
    let i = (delta + 60) as usize;
    w.put(u32::from(SCALEFACTOR_BITS[i]), SCALEFACTOR_CODE[i]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_prefix_free_complete(codes: &[u32], lens: &[u8], name: &str) {
        assert_eq!(codes.len(), lens.len());
        let mut kraft = 0f64;
        for (i, (&c, &l)) in codes.iter().zip(lens).enumerate() {
            assert!(l > 0 && l <= 19, "{name}[{i}] length {l}");
            assert!(
                u64::from(c) < (1u64 << l),
                "{name}[{i}] code does not fit its length"
            );
            kraft += 0.5f64.powi(i32::from(l));
        }
        assert!(
            (kraft - 1.0).abs() < 1e-12,
            "{name}: Kraft sum {kraft} != 1 (incomplete or over-full)"
        );
        for i in 0..codes.len() {
            for j in 0..codes.len() {
                if i == j || lens[i] > lens[j] {
                    continue;
                }
                let shift = lens[j] - lens[i];
                assert!(
                    codes[j] >> shift != codes[i],
                    "{name}: code {i} is a prefix of code {j}"
                );
            }
        }
    }

    #[test]
    fn every_codebook_is_prefix_free_and_complete() {
        let sizes = [81, 81, 81, 81, 81, 81, 64, 64, 169, 169, 289];
        for b in 0..11 {
            assert_eq!(SPECTRAL_CODES[b].len(), sizes[b]);
            let codes: Vec<u32> = SPECTRAL_CODES[b].iter().map(|&c| u32::from(c)).collect();
            check_prefix_free_complete(&codes, SPECTRAL_BITS[b], &format!("book {}", b + 1));
        }
        check_prefix_free_complete(&SCALEFACTOR_CODE, &SCALEFACTOR_BITS, "scalefactor");
        // The zero delta is the single 1-bit code, as the standard defines.
        assert_eq!(sf_delta_bits(0), 1);
    }

    /// Decodes one symbol by walking the code list (slow but independent of the writer).
    fn decode_symbol(bits: &[bool], pos: &mut usize, book: usize) -> usize {
        let codes = SPECTRAL_CODES[book - 1];
        let lens = SPECTRAL_BITS[book - 1];
        let mut acc = 0u32;
        for l in 1..=16u8 {
            acc = (acc << 1) | u32::from(bits[*pos]);
            *pos += 1;
            if let Some(i) = (0..codes.len()).find(|&i| lens[i] == l && u32::from(codes[i]) == acc)
            {
                return i;
            }
        }
        panic!("no codeword");
    }

    fn to_bits(bytes: &[u8]) -> Vec<bool> {
        bytes
            .iter()
            .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
            .collect()
    }

    #[test]
    fn band_roundtrip_and_cost_match_for_every_book() {
        let mut s = 12345u64;
        for book in 1u8..=11 {
            let shape = SHAPES[book as usize];
            let lav = if book == 11 { 300 } else { shape.lav };
            let q: Vec<i32> = (0..64)
                .map(|_| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let r = ((s >> 33) % (2 * lav as u64 + 1)) as i32 - lav;
                    if book == 11 && (s >> 20).is_multiple_of(7) {
                        r.signum() * 8191
                    } else {
                        r
                    }
                })
                .collect();
            let max_abs = q.iter().map(|v| v.abs()).max().unwrap_or(0);
            let mut w = BitWriter::default();
            write_band(&mut w, book, &q);
            assert_eq!(
                w.bit_len() as u32,
                band_cost(book, &q, max_abs),
                "book {book}"
            );
            // Decode back.
            let bits = to_bits(&w.into_bytes());
            let mut pos = 0;
            let mut dec = Vec::new();
            let m = if shape.unsigned {
                shape.lav as usize + 1
            } else {
                2 * shape.lav as usize + 1
            };
            while dec.len() < q.len() {
                let mut idx = decode_symbol(&bits, &mut pos, book as usize);
                let mut vals = vec![0i32; shape.dim];
                for d in (0..shape.dim).rev() {
                    vals[d] = (idx % m) as i32;
                    idx /= m;
                }
                if shape.unsigned {
                    for v in vals.iter_mut() {
                        if *v != 0 && bits[pos] {
                            *v = -*v;
                        }
                        if *v != 0 {
                            pos += 1;
                        }
                    }
                } else {
                    for v in vals.iter_mut() {
                        *v -= shape.lav;
                    }
                }
                if book == 11 {
                    for v in vals.iter_mut() {
                        if v.abs() == 16 {
                            let mut n = 4;
                            while bits[pos] {
                                n += 1;
                                pos += 1;
                            }
                            pos += 1;
                            let mut word = 0i32;
                            for _ in 0..n {
                                word = (word << 1) | i32::from(bits[pos]);
                                pos += 1;
                            }
                            *v = v.signum() * ((1 << n) + word);
                        }
                    }
                }
                dec.extend(vals);
            }
            assert_eq!(dec, q, "book {book}");
        }
    }

    /// Brute force over every partition and book assignment of up to 6 bands.
    fn brute(costs: &[[u32; 12]], short: bool) -> u32 {
        let n = costs.len();
        let mut best = INF;
        // Each of the n−1 gaps is a boundary or not.
        for mask in 0u32..(1 << (n - 1)) {
            let mut total = 0u32;
            let mut start = 0;
            for b in 0..n {
                let boundary = b == n - 1 || mask & (1 << b) != 0;
                if boundary {
                    let seg = start..=b;
                    let m = (0..12)
                        .map(|k| {
                            seg.clone()
                                .map(|i| costs[i][k])
                                .fold(0u32, |a, c| a.saturating_add(c))
                        })
                        .min()
                        .unwrap_or(INF);
                    total = total
                        .saturating_add(m)
                        .saturating_add(section_header_bits(b + 1 - start, short));
                    start = b + 1;
                }
            }
            best = best.min(total);
        }
        best
    }

    #[test]
    fn section_choice_is_optimal_on_small_cases() {
        let mut s = 99u64;
        for case in 0..300 {
            let n = 1 + case % 6;
            let costs: Vec<[u32; 12]> = (0..n)
                .map(|_| {
                    let mut row = [INF; 12];
                    for c in row.iter_mut() {
                        s = s.wrapping_mul(6364136223846793005).wrapping_add(3);
                        let r = (s >> 40) % 40;
                        if r < 30 {
                            *c = r as u32;
                        }
                    }
                    row[11] = 35; // the escape book can always code a band
                    row
                })
                .collect();
            let short = case % 2 == 0;
            let mut secs = Vec::new();
            let got = choose_sections(&costs, short, &mut secs);
            assert_eq!(got, brute(&costs, short), "case {case}: {costs:?}");
            // Sections tile the bands exactly.
            assert_eq!(secs.iter().map(|s| s.len).sum::<usize>(), n);
            assert_eq!(secs[0].start, 0);
        }
    }

    #[test]
    fn section_lengths_escape_correctly() {
        let mut w = BitWriter::default();
        write_sections(
            &mut w,
            &[Section {
                book: 11,
                start: 0,
                len: 31,
            }],
            false,
        );
        // 4 bits book + 5 bits 31 + 5 bits 0.
        assert_eq!(w.bit_len(), 14);
        assert_eq!(section_header_bits(31, false), 14);
        assert_eq!(section_header_bits(7, true), 10);
        assert_eq!(section_header_bits(6, true), 7);
    }
}
