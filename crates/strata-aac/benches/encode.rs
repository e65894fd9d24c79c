//! Encode 10 s of stereo 48 kHz music-like PCM at 128 kb/s; criterion reports the time, and
//! the real-time factor is 10 s divided by it.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use strata_aac::{AacConfig, AacEncoder};

fn signal(secs: usize) -> Vec<f32> {
    let n = 48_000 * secs;
    let mut out = Vec::with_capacity(n * 2);
    let mut seed = 1u32;
    for i in 0..n {
        let t = f64::from(i as u32) / 48_000.0;
        let env = (0.5 + 0.5 * (t * 2.0).sin()) as f32;
        let mut v = 0.0f32;
        for h in 1..8 {
            v += ((2.0 * std::f64::consts::PI * 220.0 * f64::from(h) * t).sin() * 0.15
                / f64::from(h)) as f32;
        }
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let click = if i % 24_000 < 30 {
            (seed >> 9) as f32 / (1u32 << 23) as f32 - 0.5
        } else {
            0.0
        };
        out.push(v * env + click);
        out.push(v * env * 0.8 - click);
    }
    out
}

fn bench(c: &mut Criterion) {
    let pcm = signal(10);
    let mut g = c.benchmark_group("aac_encode");
    g.sample_size(10);
    g.throughput(Throughput::Elements(48_000 * 10));
    g.bench_function("stereo_48k_128k_10s", |b| {
        b.iter(|| {
            let mut enc = AacEncoder::new(AacConfig::default()).expect("valid config");
            let mut bytes = 0usize;
            for chunk in pcm.chunks(4096) {
                bytes += enc
                    .encode(black_box(chunk))
                    .expect("encode")
                    .iter()
                    .map(|p| p.data.len())
                    .sum::<usize>();
            }
            bytes += enc
                .flush()
                .expect("flush")
                .iter()
                .map(|p| p.data.len())
                .sum::<usize>();
            black_box(bytes)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
