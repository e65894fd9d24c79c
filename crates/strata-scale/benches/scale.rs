//! Plane scaling per layer size, from a real 1080p picture (the committed testsrc2 clip's
//! first frame is synthetic; this uses a noisy pattern so no kernel shortcut applies).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use strata_core::Frame;
use strata_scale::{Geometry, Scaler};

fn source() -> Frame {
    let mut f = Frame::black(1920, 1080).unwrap();
    let mut x: u32 = 0x1234_5678;
    for p in 0..3 {
        let plane = &mut f.planes[p];
        for y in 0..plane.height {
            for (i, v) in plane.row_mut(y).iter_mut().enumerate() {
                // Gradients plus xorshift noise: edges and texture like camera content.
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *v = ((i + y) as u32 / 4 + (x & 31)).min(255) as u8;
            }
        }
    }
    f
}

fn scale(c: &mut Criterion) {
    let src = source();
    let mut g = c.benchmark_group("scale_1080p_to");
    for (w, h) in [(1280, 720), (960, 540), (640, 360), (320, 180)] {
        let geo = Geometry {
            width: w,
            height: h,
            active_width: w,
            active_height: h,
            x: 0,
            y: 0,
        };
        let mut s = Scaler::new();
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("{w}x{h}"), |b| {
            b.iter(|| s.scale(&src, &geo).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
