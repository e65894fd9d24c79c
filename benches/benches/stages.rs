//! Per-stage benches on the committed 1080p clip (`testsrc2_1080p30_aac_10s.mp4`): demux (read
//! every video packet), decode (OpenH264, 60 pictures), encode per layer size (30 pictures,
//! the 720p ladder's bitrates), mux (a 300-sample MP4). Together with `pipeline.rs` (end to
//! end) and `cargo bench -p strata-scale` they say where the time of a ladder goes.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use std::path::{Path, PathBuf};
use std::time::Duration;
use strata::core::{CodecParams, Frame, Limits, Packet, TrackKind};
use strata_h264::{Decoder, Encoder, EncoderConfig, EntropyMode, Profile, Speed};
use strata_scale::{Geometry, Scaler};

fn clip() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/testsrc2_1080p30_aac_10s.mp4")
}

/// The clip's video avcC and its first `n` packets.
fn video(n: usize) -> (Vec<u8>, Vec<Packet>) {
    let d = strata_demux::open(&clip(), Limits::default()).expect("open");
    let t = d
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Video)
        .expect("video")
        .clone();
    let CodecParams::H264 { avcc, .. } = &t.codec else {
        panic!("not H.264")
    };
    let packets = d
        .packets(t.id)
        .expect("packets")
        .take(n)
        .map(|p| p.expect("packet"))
        .collect();
    (avcc.clone(), packets)
}

fn decode_all(avcc: &[u8], packets: &[Packet]) -> Vec<Frame> {
    let mut dec = Decoder::new(avcc).expect("decoder");
    let mut out = Vec::new();
    for p in packets {
        out.extend(dec.decode(p).expect("decode"));
    }
    out.extend(dec.flush().expect("flush"));
    out
}

fn demux(c: &mut Criterion) {
    let mut g = c.benchmark_group("stage");
    g.sample_size(20).throughput(Throughput::Elements(300));
    g.bench_function("demux_300_video_packets", |b| b.iter(|| video(300).1.len()));
    g.finish();
}

fn decode(c: &mut Criterion) {
    let (avcc, packets) = video(60);
    let mut g = c.benchmark_group("stage");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(packets.len() as u64));
    g.bench_function("decode_1080p_60", |b| {
        b.iter(|| decode_all(&avcc, &packets).len())
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let (avcc, packets) = video(30);
    let source = decode_all(&avcc, &packets);
    let mut g = c.benchmark_group("stage");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(source.len() as u64));
    for (w, h, kbps, slices) in [
        (1920, 1080, 6000, 2),
        (1280, 720, 3400, 2),
        (960, 540, 2250, 1),
        (640, 360, 1000, 1),
        (320, 180, 400, 1),
    ] {
        let geo = Geometry {
            width: w,
            height: h,
            active_width: w,
            active_height: h,
            x: 0,
            y: 0,
        };
        let mut scaler = Scaler::new();
        let frames: Vec<Frame> = source
            .iter()
            .map(|f| {
                if f.width == w {
                    f.clone()
                } else {
                    scaler.scale(f, &geo).expect("scale")
                }
            })
            .collect();
        let config = EncoderConfig {
            width: w,
            height: h,
            bitrate_bps: kbps * 1000,
            max_bitrate_bps: kbps * 1000,
            frame_rate: 30.0,
            profile: Profile::High,
            entropy: EntropyMode::Cabac,
            speed: Speed::Balanced,
            scene_change_detection: false,
            slices,
        };
        g.bench_function(format!("encode_{w}x{h}_30"), |b| {
            b.iter_batched(
                || Encoder::new(config.clone()).expect("encoder"),
                |mut enc| {
                    frames
                        .iter()
                        .enumerate()
                        .map(|(i, f)| enc.encode(f, i == 0).expect("encode").data.len())
                        .sum::<usize>()
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn mux(c: &mut Criterion) {
    let (avcc, packets) = video(300);
    let mut g = c.benchmark_group("stage");
    g.sample_size(20).throughput(Throughput::Elements(300));
    g.bench_function("mux_300_samples", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let config = strata_mux::TrackConfig {
                    spec: strata_mux::TrackSpec::H264 {
                        width: 1920,
                        height: 1080,
                        avcc: avcc.clone(),
                        pixel_aspect: None,
                    },
                    timescale: 15360,
                    language: "und".into(),
                    edits: None,
                };
                let path = dir.path().join("out.mp4");
                let mut w = strata_mux::Mp4Writer::create(&path, vec![config], 1000).expect("mp4");
                for p in &packets {
                    w.write_sample(
                        0,
                        strata_mux::Sample {
                            data: &p.data,
                            duration: 512,
                            cts_offset: 0,
                            sync: p.keyframe,
                        },
                    )
                    .expect("sample");
                }
                (w.finish().expect("finish"), dir)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, demux, decode, encode, mux);
criterion_main!(benches);
