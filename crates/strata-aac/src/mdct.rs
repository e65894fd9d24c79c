//! Forward MDCT (ISO/IEC 14496-3, 4.6.11 "filterbank and block switching") computed through a
//! quarter-length complex FFT, plus the sine windows and window-sequence shapes of AAC-LC.
//!
//! Scaling follows the standard's analysis equation `X[k] = 2 Σ z[n] cos(2π/N (n + n0)(k + ½))`
//! so that a decoder's synthesis `x[n] = 2/N Σ X[k] cos(...)` returns the input amplitude.

use std::f64::consts::PI;

/// In-place radix-2 complex FFT of a fixed power-of-two size.
#[derive(Debug, Clone)]
pub(crate) struct Fft {
    n: usize,
    tw: Vec<(f32, f32)>,
    rev: Vec<u32>,
}

impl Fft {
    pub(crate) fn new(n: usize) -> Self {
        assert!(n.is_power_of_two() && n >= 2);
        let bits = n.trailing_zeros();
        let tw = (0..n / 2)
            .map(|k| {
                let a = -2.0 * PI * k as f64 / n as f64;
                (a.cos() as f32, a.sin() as f32)
            })
            .collect();
        let rev = (0..n as u32)
            .map(|i| i.reverse_bits() >> (32 - bits))
            .collect();
        Self { n, tw, rev }
    }

    /// Forward transform with kernel `exp(-2πi nk/N)`.
    pub(crate) fn forward(&self, re: &mut [f32], im: &mut [f32]) {
        let n = self.n;
        for i in 0..n {
            let j = self.rev[i] as usize;
            if j > i {
                re.swap(i, j);
                im.swap(i, j);
            }
        }
        let mut len = 2;
        while len <= n {
            let half = len / 2;
            let step = n / len;
            for start in (0..n).step_by(len) {
                for k in 0..half {
                    let (wr, wi) = self.tw[k * step];
                    let a = start + k;
                    let b = a + half;
                    let tr = re[b] * wr - im[b] * wi;
                    let ti = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
            len *= 2;
        }
    }
}

/// MDCT of window length `n` (2048 or 256) producing `n/2` coefficients.
#[derive(Debug, Clone)]
pub(crate) struct Mdct {
    n: usize,
    fft: Fft,
    pre: Vec<(f32, f32)>,
    post: Vec<(f32, f32)>,
    v: Vec<f32>,
    re: Vec<f32>,
    im: Vec<f32>,
}

impl Mdct {
    pub(crate) fn new(n: usize) -> Self {
        let m = n / 2;
        let h = m / 2;
        // DCT-IV of length m through an m/2-point complex FFT: pre-twiddle e^{-iπm'/M},
        // post-twiddle e^{-iπ(p+¼)/M}; the factor 2 of the standard's MDCT is folded in.
        let pre = (0..h)
            .map(|k| {
                let a = -PI * k as f64 / m as f64;
                (a.cos() as f32, a.sin() as f32)
            })
            .collect();
        let post = (0..h)
            .map(|k| {
                let a = -PI * (k as f64 + 0.25) / m as f64;
                ((2.0 * a.cos()) as f32, (2.0 * a.sin()) as f32)
            })
            .collect();
        Self {
            n,
            fft: Fft::new(h),
            pre,
            post,
            v: vec![0.0; m],
            re: vec![0.0; h],
            im: vec![0.0; h],
        }
    }

    /// Transforms the already-windowed block `input` (length n) into `out` (length n/2).
    pub(crate) fn forward(&mut self, input: &[f32], out: &mut [f32]) {
        let n = self.n;
        let m = n / 2;
        let h = m / 2;
        debug_assert_eq!(input.len(), n);
        debug_assert_eq!(out.len(), m);
        // MDCT(a, b, c, d) == DCT-IV(-c_r - d, a - b_r) with blocks of n/4 samples.
        for i in 0..h {
            self.v[i] = -input[3 * h - 1 - i] - input[3 * h + i];
            self.v[h + i] = input[i] - input[2 * h - 1 - i];
        }
        for k in 0..h {
            let a = self.v[2 * k];
            let b = self.v[m - 1 - 2 * k];
            let (c, s) = self.pre[k];
            self.re[k] = a * c - b * s;
            self.im[k] = a * s + b * c;
        }
        self.fft.forward(&mut self.re, &mut self.im);
        for p in 0..h {
            let (c, s) = self.post[p];
            let yr = self.re[p] * c - self.im[p] * s;
            let yi = self.re[p] * s + self.im[p] * c;
            out[2 * p] = yr;
            out[m - 1 - 2 * p] = -yi;
        }
    }
}

/// Window sequence of one frame (ISO/IEC 14496-3 Table 4.110, `window_sequence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowSequence {
    OnlyLong = 0,
    LongStart = 1,
    EightShort = 2,
    LongStop = 3,
}

/// Sine window of length `n`: `sin(π(i + ½)/n)`; satisfies the Princen-Bradley condition.
pub(crate) fn sine_window(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (PI * (i as f64 + 0.5) / n as f64).sin() as f32)
        .collect()
}

/// Analysis filterbank for one channel: windows a 2048-sample block and transforms it.
#[derive(Debug, Clone)]
pub(crate) struct Filterbank {
    long: Mdct,
    short: Mdct,
    win_long: Vec<f32>,
    win_short: Vec<f32>,
    buf: Vec<f32>,
}

impl Filterbank {
    pub(crate) fn new() -> Self {
        Self {
            long: Mdct::new(2048),
            short: Mdct::new(256),
            win_long: sine_window(2048),
            win_short: sine_window(256),
            buf: vec![0.0; 2048],
        }
    }

    /// Fills `out` (1024 coefficients) from `block` (2048 samples). For EIGHT_SHORT the output
    /// holds 8 consecutive windows of 128 coefficients each (not yet grouped/interleaved).
    pub(crate) fn analyze(&mut self, seq: WindowSequence, block: &[f32], out: &mut [f32]) {
        debug_assert_eq!(block.len(), 2048);
        match seq {
            WindowSequence::EightShort => {
                let mut tmp = [0.0f32; 256];
                for w in 0..8 {
                    let off = 448 + 128 * w;
                    for (i, t) in tmp.iter_mut().enumerate() {
                        *t = block[off + i] * self.win_short[i];
                    }
                    self.short.forward(&tmp, &mut out[128 * w..128 * (w + 1)]);
                }
            }
            _ => {
                long_window(seq, &self.win_long, &self.win_short, &mut self.buf);
                for (b, x) in self.buf.iter_mut().zip(block) {
                    *b *= x;
                }
                self.long.forward(&self.buf, out);
            }
        }
    }
}

/// Writes the 2048-point window of a long-type sequence into `w`.
pub(crate) fn long_window(seq: WindowSequence, wl: &[f32], ws: &[f32], w: &mut [f32]) {
    w.copy_from_slice(wl);
    match seq {
        WindowSequence::LongStart => {
            w[1024..1472].fill(1.0);
            w[1472..1600].copy_from_slice(&ws[128..256]);
            w[1600..2048].fill(0.0);
        }
        WindowSequence::LongStop => {
            w[0..448].fill(0.0);
            w[448..576].copy_from_slice(&ws[0..128]);
            w[576..1024].fill(1.0);
        }
        _ => {}
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Direct O(N²) MDCT with the standard's scaling, the reference for the fast path.
    fn mdct_direct(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let n0 = (n as f64 / 2.0 + 1.0) / 2.0;
        (0..n / 2)
            .map(|k| {
                2.0 * x
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v * (2.0 * PI / n as f64 * (i as f64 + n0) * (k as f64 + 0.5)).cos()
                    })
                    .sum::<f64>()
            })
            .collect()
    }

    /// The standard's synthesis equation (ISO/IEC 14496-3 4.6.11.3.1), unwindowed.
    pub(crate) fn imdct_direct(spec: &[f32]) -> Vec<f64> {
        let n = spec.len() * 2;
        let n0 = (n as f64 / 2.0 + 1.0) / 2.0;
        (0..n)
            .map(|i| {
                2.0 / n as f64
                    * spec
                        .iter()
                        .enumerate()
                        .map(|(k, &v)| {
                            f64::from(v)
                                * (2.0 * PI / n as f64 * (i as f64 + n0) * (k as f64 + 0.5)).cos()
                        })
                        .sum::<f64>()
            })
            .collect()
    }

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) as f32 / (1u64 << 31) as f32) - 0.5
            })
            .collect()
    }

    #[test]
    fn fast_mdct_matches_direct_definition() {
        for n in [256usize, 2048] {
            let x = noise(n, n as u64);
            let mut fast = vec![0.0; n / 2];
            Mdct::new(n).forward(&x, &mut fast);
            let xd: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            let direct = mdct_direct(&xd);
            let peak = direct.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            for (k, (a, b)) in fast.iter().zip(&direct).enumerate() {
                assert!(
                    (f64::from(*a) - b).abs() < 1e-4 * peak,
                    "n={n} k={k}: {a} vs {b}"
                );
            }
        }
    }

    /// Time-domain aliasing cancellation: windowed MDCT → IMDCT → windowed overlap-add
    /// reproduces the input, for every legal window-sequence transition.
    #[test]
    fn tdac_perfect_reconstruction_all_sequences() {
        use WindowSequence::*;
        let seqs = [
            OnlyLong, LongStart, EightShort, EightShort, LongStop, OnlyLong, OnlyLong,
        ];
        let frames = seqs.len();
        let x = noise(1024 * (frames + 1), 7);
        let wl = sine_window(2048);
        let ws = sine_window(256);
        let mut fb = Filterbank::new();
        let mut out = vec![0.0f64; 1024 * (frames + 1)];
        let mut spec = vec![0.0f32; 1024];
        let mut w = vec![0.0f32; 2048];
        for (f, &seq) in seqs.iter().enumerate() {
            let block = &x[1024 * f..1024 * f + 2048];
            fb.analyze(seq, block, &mut spec);
            if seq == EightShort {
                for win in 0..8 {
                    let y = imdct_direct(&spec[128 * win..128 * (win + 1)]);
                    for i in 0..256 {
                        out[1024 * f + 448 + 128 * win + i] += y[i] * f64::from(ws[i]);
                    }
                }
            } else {
                long_window(seq, &wl, &ws, &mut w);
                let y = imdct_direct(&spec);
                for i in 0..2048 {
                    out[1024 * f + i] += y[i] * f64::from(w[i]);
                }
            }
        }
        // Samples covered by two frames are complete: [1024, 1024 * frames).
        let mut worst = 0.0f64;
        for i in 1024..1024 * frames {
            worst = worst.max((out[i] - f64::from(x[i])).abs());
        }
        assert!(worst < 1e-4, "TDAC error {worst}");
    }
}
