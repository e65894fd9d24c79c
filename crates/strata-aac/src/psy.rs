//! Psychoacoustic model: transient detection for block switching, and per-band masking
//! thresholds (spread band energy minus a tonality-dependent signal-to-mask ratio, floored
//! by the absolute threshold of hearing).

/// Sub-block length of the transient detector; equals the short-window hop.
pub(crate) const SUB: usize = 128;
/// An attack is a sub-block this many times (10 dB) louder than the recent average.
const ATTACK_RATIO: f32 = 10.0;
/// Ignore attacks quieter than about −70 dBFS high-passed energy per sample (in 16-bit units²).
const ATTACK_FLOOR: f32 = 1.0;

/// Energies of high-passed 128-sample sub-blocks of `x`, starting at `offset`.
pub(crate) fn subblock_energies(x: &[f32], offset: usize, count: usize, out: &mut Vec<f32>) {
    out.clear();
    for j in 0..count {
        let s = offset + j * SUB;
        let mut e = 0.0f32;
        for n in s..s + SUB {
            // Second difference: a 12 dB/octave high-pass, so bass swells do not count as
            // attacks while clicks and plucks (whose pre-echo is audible) do.
            let y = x[n] - 2.0 * x[n - 1] + x[n - 2];
            e += y * y;
        }
        out.push(e / SUB as f32);
    }
}

/// Looks for an attack in sub-blocks `region` of `e`, comparing with the 4 sub-blocks before
/// each. Returns the index within the region (0..8) of the first attack.
pub(crate) fn find_attack(e: &[f32], region: std::ops::Range<usize>) -> Option<usize> {
    let start = region.start;
    for j in region {
        let hist = &e[j.saturating_sub(4)..j];
        let avg = if hist.is_empty() {
            0.0
        } else {
            hist.iter().sum::<f32>() / hist.len() as f32
        };
        if e[j] > ATTACK_FLOOR && e[j] > ATTACK_RATIO * avg.max(ATTACK_FLOOR / ATTACK_RATIO) {
            return Some(j - start);
        }
    }
    None
}

/// Highest threshold in quiet used for a band, in dB SPL.
const ATH_CAP_DB: f32 = 20.0;

/// Absolute threshold of hearing in dB SPL (Terhardt's approximation).
pub(crate) fn ath_db(f: f32) -> f32 {
    let k = (f.max(20.0) / 1000.0).min(18.0);
    3.64 * k.powf(-0.8) - 6.5 * (-0.6 * (k - 3.3) * (k - 3.3)).exp() + 1e-3 * k.powi(4)
}

/// Critical-band rate in Bark.
pub(crate) fn bark(f: f32) -> f32 {
    13.0 * (0.00076 * f).atan() + 3.5 * (f / 7500.0).powi(2).atan()
}

/// Static per-band data of one band layout (long, or short per window).
#[derive(Debug, Clone)]
pub(crate) struct BandPsy {
    /// Threshold-in-quiet energy per band for one window of this length.
    pub(crate) ath: Vec<f32>,
    /// Energy attenuation from band b−1 to b for upward spreading (masker below).
    pub(crate) spread_up: Vec<f32>,
    /// Energy attenuation from band b+1 to b for downward spreading (masker above).
    pub(crate) spread_down: Vec<f32>,
}

impl BandPsy {
    /// `offsets` are band edges in bins of a transform with `m` coefficients at `sample_rate`.
    pub(crate) fn new(offsets: &[u16], m: usize, sample_rate: u32) -> Self {
        let bin_hz = sample_rate as f32 / 2.0 / m as f32;
        let nb = offsets.len() - 1;
        let mut ath = Vec::with_capacity(nb);
        let mut centre = Vec::with_capacity(nb);
        for b in 0..nb {
            let lo = f32::from(offsets[b]) * bin_hz;
            let hi = f32::from(offsets[b + 1]) * bin_hz;
            // The most sensitive frequency inside the band sets its threshold in quiet.
            let mut db = f32::MAX;
            let steps = 8;
            for s in 0..=steps {
                db = db.min(ath_db(lo + (hi - lo) * s as f32 / steps as f32));
            }
            // Terhardt's curve climbs past 60 dB SPL above 15 kHz, which under the 96 dB
            // full-scale assumption silences quiet sibilants and cymbals; playback is often
            // louder than assumed, and measured quality (ViSQOL) drops with them, so cap it.
            db = db.min(ATH_CAP_DB);
            // Full-scale sine (32768) is taken as 96 dB SPL; keep 6 dB of margin for playback
            // louder than that. A sine of amplitude A carries about M²A² of MDCT energy.
            let amp = 32768.0 * 10f32.powf((db - 6.0 - 96.0) / 20.0);
            ath.push((m * m) as f32 * amp * amp);
            centre.push(bark(0.5 * (lo + hi)));
        }
        let mut spread_up = vec![0.0; nb];
        let mut spread_down = vec![0.0; nb];
        for b in 1..nb {
            let dz = (centre[b] - centre[b - 1]).max(0.0);
            // Masking spreads upward at about −15 dB/Bark and downward at about −30 dB/Bark.
            spread_up[b] = 10f32.powf(-1.5 * dz);
            spread_down[b - 1] = 10f32.powf(-3.0 * dz);
        }
        Self {
            ath,
            spread_up,
            spread_down,
        }
    }
}

/// Per-band outputs of [`group_thresholds`].
pub(crate) struct BandOut<'a> {
    /// Band energy.
    pub(crate) energy: &'a mut [f32],
    /// Masking threshold (allowed noise energy).
    pub(crate) thr: &'a mut [f32],
    /// Tonality estimate, 0 (noise) to 1 (pure tone).
    pub(crate) tonality: &'a mut [f32],
}

/// Computes energy and masking threshold for the bands of one group.
/// `bands` are the band edges within `spec` (already grouped), `windows` the group length;
/// tonality is only estimated when `tonal` (long blocks).
pub(crate) fn group_thresholds(
    spec: &[f32],
    bands: &[usize],
    windows: usize,
    psy: &BandPsy,
    tonal: bool,
    out: BandOut<'_>,
) {
    let BandOut {
        energy,
        thr,
        tonality,
    } = out;
    let nb = bands.len() - 1;
    let mut smr = [0.0f32; 64];
    for b in 0..nb {
        let x = &spec[bands[b]..bands[b + 1]];
        let e: f32 = x.iter().map(|v| v * v).sum();
        energy[b] = e;
        // Tonality from spectral flatness: MDCT bins of noise sit near −5.5 dB SFM, a pure
        // tone far below. Tonal bands need a larger signal-to-mask ratio.
        let t = if tonal && e > 0.0 && x.len() >= 4 {
            let mean = e / x.len() as f32;
            let floor = mean * 1e-6 + 1e-9;
            let lg: f32 = x.iter().map(|v| (v * v + floor).ln()).sum::<f32>() / x.len() as f32;
            let sfm_db = 4.342_945 * (lg - mean.ln());
            ((-sfm_db - 5.5) / 15.0).clamp(0.0, 1.0)
        } else {
            0.0
        };
        tonality[b] = t;
        smr[b.min(63)] = 10f32.powf(-(8.0 + 14.0 * t) / 10.0);
    }
    // Spreading: running maximum with per-Bark attenuation in both directions.
    let mut spread = [0.0f32; 64];
    let mut run = 0.0f32;
    for b in 0..nb {
        run = (run * psy.spread_up[b]).max(energy[b]);
        spread[b] = run;
    }
    run = 0.0;
    for b in (0..nb).rev() {
        run = (run * psy.spread_down[b]).max(energy[b]);
        spread[b] = spread[b].max(run);
    }
    for b in 0..nb {
        // A band cannot be masked by more than its own energy when isolated, so cap the
        // spread contribution; this keeps the weak neighbours of strong partials coded.
        let masker = spread[b].min(energy[b].max(spread[b] * 0.1) * 4.0);
        thr[b] = (masker * smr[b]).max(psy.ath[b] * windows as f32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_click_in_the_right_subblock() {
        let mut x = vec![0.0f32; 3000];
        for (i, v) in x.iter_mut().enumerate() {
            *v = 300.0 * (i as f32 * 0.05).sin();
        }
        for v in &mut x[64 + 128 * 9 + 40..64 + 128 * 9 + 60] {
            *v += 20000.0;
        }
        let mut e = Vec::new();
        subblock_energies(&x, 64, 20, &mut e);
        assert_eq!(find_attack(&e, 4..12), Some(5));
        assert_eq!(find_attack(&e, 12..20), None);
    }

    #[test]
    fn steady_tone_is_not_an_attack() {
        let x: Vec<f32> = (0..3000)
            .map(|i| 20000.0 * (i as f32 * 0.3).sin())
            .collect();
        let mut e = Vec::new();
        subblock_energies(&x, 64, 20, &mut e);
        assert_eq!(find_attack(&e, 4..20), None);
    }

    #[test]
    fn tone_band_is_tonal_and_noise_band_is_not() {
        let edges = [0usize, 16, 32];
        let mut spec = vec![0.0f32; 32];
        // A partial at about −20 dBFS next to full-scale noise.
        spec[5] = 1.0e6;
        spec[6] = -4.0e5;
        let mut s = 5u32;
        for v in &mut spec[16..] {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *v = (s >> 16) as f32 - 32768.0;
        }
        let psy = BandPsy::new(&[0, 16, 32], 1024, 48000);
        let (mut e, mut t, mut tn) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        group_thresholds(
            &spec,
            &edges,
            1,
            &psy,
            true,
            BandOut {
                energy: &mut e,
                thr: &mut t,
                tonality: &mut tn,
            },
        );
        assert!(tn[0] > 0.8, "tone tonality {}", tn[0]);
        assert!(tn[1] < 0.3, "noise tonality {}", tn[1]);
        assert!(t[0] < e[0] / 10.0 && t[1] < e[1]);
    }

    #[test]
    fn ath_has_its_minimum_near_3_to_4_khz() {
        assert!(ath_db(3300.0) < ath_db(1000.0));
        assert!(ath_db(3300.0) < ath_db(10000.0));
        assert!(ath_db(50.0) > 30.0);
    }
}
