//! Mixer and resampler measurements on synthetic signals.

use std::f64::consts::PI;
use strata_audio::{AudioError, ChannelMixer, MixOptions, Resampler};

fn sine(freq: f64, rate: u32, frames: usize, amp: f64) -> Vec<f32> {
    (0..frames)
        .map(|n| (amp * (2.0 * PI * freq * n as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Amplitude of the component at `freq` (least-squares projection on sin and cos).
fn tone_amplitude(x: &[f32], freq: f64, rate: u32) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for (n, &v) in x.iter().enumerate() {
        let ph = 2.0 * PI * freq * n as f64 / f64::from(rate);
        s += f64::from(v) * ph.sin();
        c += f64::from(v) * ph.cos();
    }
    2.0 * (s * s + c * c).sqrt() / x.len() as f64
}

fn channel(x: &[f32], ch: usize, n: usize) -> Vec<f32> {
    x.iter().skip(ch).step_by(n).copied().collect()
}

fn resample_all(input: &[f32], in_rate: u32, out_rate: u32, chunk: usize) -> Vec<f32> {
    let mut r = Resampler::new(in_rate, out_rate, 1).unwrap();
    let mut out = Vec::new();
    for c in input.chunks(chunk) {
        out.extend(r.push(c).unwrap());
    }
    out.extend(r.flush().unwrap());
    out
}

#[test]
fn downmix_51_to_stereo_uses_bs775_gains_with_normalisation() {
    // One tone per input channel (WAV order L R C LFE Ls Rs); 1 s at 48 kHz, whole periods.
    let freqs = [500.0, 700.0, 1100.0, 60.0, 1300.0, 1700.0];
    let rate = 48_000;
    let n = 48_000;
    let mut pcm = vec![0.0f32; n * 6];
    for (c, f) in freqs.iter().enumerate() {
        for (k, v) in sine(*f, rate, n, 0.5).into_iter().enumerate() {
            pcm[k * 6 + c] = v;
        }
    }
    let mixer = ChannelMixer::new(6, 2, MixOptions::default()).unwrap();
    let out = mixer.process(&pcm).unwrap();
    let norm = 1.0 + 2.0 * std::f64::consts::FRAC_1_SQRT_2;
    let a = std::f64::consts::FRAC_1_SQRT_2;
    // Expected gain of each input channel in L' and R'.
    let exp_l = [1.0 / norm, 0.0, a / norm, 0.0, a / norm, 0.0];
    let exp_r = [0.0, 1.0 / norm, a / norm, 0.0, 0.0, a / norm];
    for (o, exp) in [(0, exp_l), (1, exp_r)] {
        let ch = channel(&out, o, 2);
        for (c, f) in freqs.iter().enumerate() {
            let g = tone_amplitude(&ch, *f, rate) / 0.5;
            println!(
                "out {o} from in {c} ({f} Hz): gain {g:.5} (expected {:.5})",
                exp[c]
            );
            assert!(
                (g - exp[c]).abs() < 1e-4,
                "out {o} in {c}: {g} vs {}",
                exp[c]
            );
        }
        // Full-scale on every channel at once never exceeds 1.
        let peak = mixer
            .process(&[1.0; 6])
            .unwrap()
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak <= 1.0 + 1e-6);
    }
    assert!((f64::from(mixer.gains()[0][2]) - a / norm).abs() < 1e-7);
}

#[test]
fn downmix_71_to_stereo_and_mono() {
    let m = ChannelMixer::new(8, 2, MixOptions::default()).unwrap();
    let a = std::f32::consts::FRAC_1_SQRT_2;
    let norm = 1.0 + 3.0 * a;
    let g = m.gains();
    let exp_l = [1.0 / norm, 0.0, a / norm, 0.0, a / norm, 0.0, a / norm, 0.0];
    let exp_r = [0.0, 1.0 / norm, a / norm, 0.0, 0.0, a / norm, 0.0, a / norm];
    for (row, exp) in g.iter().zip([exp_l, exp_r]) {
        for (x, e) in row.iter().zip(exp) {
            assert!((x - e).abs() < 1e-6, "{row:?} vs {exp:?}");
        }
    }
    let mono = ChannelMixer::new(6, 1, MixOptions::default()).unwrap();
    let s: f32 = mono.gains()[0].iter().sum();
    assert!((s - 1.0).abs() < 1e-6, "mono row sums to {s}");
}

#[test]
fn mono_stereo_mapping() {
    let up = ChannelMixer::new(1, 2, MixOptions::default()).unwrap();
    assert_eq!(
        up.process(&[0.25, -0.5]).unwrap(),
        vec![0.25, 0.25, -0.5, -0.5]
    );
    let down = ChannelMixer::new(2, 1, MixOptions::default()).unwrap();
    assert_eq!(
        down.process(&[0.25, 0.75, -1.0, 1.0]).unwrap(),
        vec![0.5, 0.0]
    );
    assert!(matches!(
        down.process(&[0.0; 3]),
        Err(AudioError::MisalignedPcm {
            len: 3,
            channels: 2
        })
    ));
}

#[test]
fn upmix_refused_unless_asked() {
    assert!(matches!(
        ChannelMixer::new(2, 6, MixOptions::default()),
        Err(AudioError::UpmixRefused { from: 2, to: 6 })
    ));
    assert!(matches!(
        ChannelMixer::new(6, 8, MixOptions::default()),
        Err(AudioError::UpmixRefused { from: 6, to: 8 })
    ));
    let up = ChannelMixer::new(2, 6, MixOptions { allow_upmix: true }).unwrap();
    assert_eq!(
        up.process(&[0.5, -0.5]).unwrap(),
        vec![0.5, -0.5, 0.0, 0.0, 0.0, 0.0]
    );
    assert!(matches!(
        ChannelMixer::new(3, 2, MixOptions::default()),
        Err(AudioError::UnsupportedLayout { channels: 3 })
    ));
}

#[test]
fn resample_441_to_48_keeps_frequency_and_level() {
    let input = sine(1000.0, 44_100, 44_100, 0.5);
    let out = resample_all(&input, 44_100, 48_000, 4410);
    assert_eq!(out.len(), 48_000);
    // Steady-state part, away from the edges.
    let mid = &out[4800..43_200];
    // Zero crossings located by linear interpolation between samples.
    let crossings: Vec<f64> = mid
        .windows(2)
        .enumerate()
        .filter(|(_, w)| (w[0] < 0.0) != (w[1] < 0.0))
        .map(|(k, w)| k as f64 + f64::from(w[0]) / f64::from(w[0] - w[1]))
        .collect();
    let span = (crossings[crossings.len() - 1] - crossings[0]) / 48_000.0;
    let freq = (crossings.len() - 1) as f64 / 2.0 / span;
    let level_db = 20.0 * (rms(mid) / rms(&input[4410..39_690])).log10();
    println!("1 kHz 44.1→48 kHz: measured {freq:.2} Hz, level {level_db:+.4} dB");
    assert!((freq - 1000.0).abs() < 0.01, "{freq}");
    assert!(level_db.abs() < 0.1, "{level_db}");
}

#[test]
fn resample_stopband_rejects_21khz_going_to_32k() {
    let input = sine(21_000.0, 48_000, 48_000, 0.5);
    let out = resample_all(&input, 48_000, 32_000, 1000);
    let att = 20.0 * (rms(&out[3200..28_800]) / rms(&input)).log10();
    println!("21 kHz tone 48→32 kHz: {att:.1} dB");
    assert!(att < -60.0, "{att}");
}

#[test]
fn resample_length_is_rounded_ratio() {
    for (i, o) in [
        (44_100, 48_000),
        (48_000, 44_100),
        (48_000, 32_000),
        (8_000, 96_000),
        (96_000, 8_000),
        (22_050, 16_000),
    ] {
        for len in [0usize, 1, 999, 12_345] {
            let out = resample_all(&vec![0.1; len], i, o, 777);
            let exp = (len as f64 * f64::from(o) / f64::from(i)).round() as i64;
            assert!(
                (out.len() as i64 - exp).abs() <= 1,
                "{i}->{o} len {len}: {} vs {exp}",
                out.len()
            );
        }
    }
}

#[test]
fn resample_is_delay_compensated() {
    // A band-limited multi-tone compared with its analytic value at the output instants.
    let tones = [(310.0, 0.3), (1234.5, 0.2), (5432.1, 0.1)];
    let sig = |rate: u32, n: usize| -> Vec<f32> {
        (0..n)
            .map(|k| {
                let t = k as f64 / f64::from(rate);
                tones
                    .iter()
                    .map(|(f, a)| a * (2.0 * PI * f * t).sin())
                    .sum::<f64>() as f32
            })
            .collect()
    };
    for (i, o) in [
        (44_100u32, 48_000u32),
        (48_000, 44_100),
        (48_000, 16_000),
        (32_000, 96_000),
    ] {
        let out = resample_all(&sig(i, i as usize), i, o, 1500);
        let reference = sig(o, o as usize);
        let lo = o as usize / 10;
        let hi = o as usize * 9 / 10;
        let err_at = |lag: i64| -> f64 {
            let e: f64 = (lo..hi)
                .map(|k| f64::from(out[k] - reference[(k as i64 + lag) as usize]).powi(2))
                .sum();
            e / (hi - lo) as f64
        };
        let best = (-3..=3)
            .min_by(|a, b| err_at(*a).total_cmp(&err_at(*b)))
            .unwrap();
        let snr = 10.0 * (rms(&reference[lo..hi]).powi(2) / err_at(0)).log10();
        println!("{i}->{o}: best lag {best}, SNR at lag 0 {snr:.1} dB");
        assert_eq!(best, 0);
        assert!(snr > 60.0, "{snr}");
    }
}

#[test]
fn resampler_rejects_out_of_range_rates() {
    assert!(matches!(
        Resampler::new(7_999, 48_000, 2),
        Err(AudioError::UnsupportedSampleRate { rate: 7_999 })
    ));
    assert!(matches!(
        Resampler::new(48_000, 192_000, 2),
        Err(AudioError::UnsupportedSampleRate { rate: 192_000 })
    ));
}
