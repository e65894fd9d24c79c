//! Real H.264/AAC samples through the fragmented writers, checked by an independent reader
//! (ffprobe) when it is installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use strata_core::{CodecParams, Limits, Packet, TrackKind};
use strata_mux::{
    codec_string, init_segment, media_playlist, mpd_xml, DashPresentation, DashSegments, DashVideo,
    FragmentOptions, FragmentWriter, HlsSegment, MediaPlaylist, Sample, SingleFileWriter,
    TrackConfig, TrackSpec,
};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/testsrc2_1080p30_aac_10s.mp4")
}

/// The first `n` packets of the track of `kind`, with its fMP4 track config.
fn read_track(kind: TrackKind, n: usize) -> (TrackConfig, Vec<Packet>) {
    let demuxer = strata_demux::open(&testdata(), Limits::default()).unwrap();
    let track = demuxer
        .tracks()
        .iter()
        .find(|t| t.kind == kind)
        .unwrap()
        .clone();
    let spec = match &track.codec {
        CodecParams::H264 { avcc, video } => TrackSpec::H264 {
            width: video.width,
            height: video.height,
            avcc: avcc.clone(),
            pixel_aspect: None,
        },
        CodecParams::Aac {
            asc,
            object_type,
            audio,
        } => TrackSpec::Aac {
            asc: asc.clone(),
            object_type: *object_type,
            channels: audio.channels,
            sample_rate: audio.sample_rate,
        },
        other => panic!("unexpected codec {}", other.name()),
    };
    let config = TrackConfig {
        spec,
        timescale: track.time_base.ticks_per_second(),
        language: "und".into(),
        edits: None,
    };
    let packets = demuxer
        .packets(track.id)
        .unwrap()
        .take(n)
        .map(Result::unwrap)
        .collect();
    (config, packets)
}

/// Frame count, stderr, and the sorted presentation times ffprobe reports.
fn ffprobe_frames(file: &Path) -> Option<(usize, String, Vec<i64>)> {
    let out = match Command::new("ffprobe")
        .args(["-v", "error", "-show_frames"])
        .arg(file)
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            println!("ffprobe not found on PATH: skipping the independent check");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let frames = stdout.matches("[FRAME]").count();
    let mut pts: Vec<i64> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("pts="))
        .filter_map(|v| v.parse().ok())
        .collect();
    pts.sort_unstable();
    Some((
        frames,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        pts,
    ))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("strata-mux-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn video_init_and_two_segments_decode() {
    // Two 2 s GOPs at 30 fps.
    let (config, packets) = read_track(TrackKind::Video, 120);
    assert_eq!(packets.len(), 120);
    // Presentation starts at decode time 0 without an edit list: the B-frame delay becomes
    // negative composition offsets (trun version 1).
    let shift = packets[0].pts - packets[0].dts;
    let dir = temp_dir("fmp4-video");
    let init = init_segment(&config).unwrap();
    let mut w = FragmentWriter::new(
        &config,
        FragmentOptions {
            sidx: true,
            ..FragmentOptions::default()
        },
    )
    .unwrap();
    let mut all = init.clone();
    std::fs::write(dir.join("init.mp4"), &init).unwrap();
    let mut segments = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        if p.keyframe && i > 0 {
            segments.push(w.cut().unwrap().unwrap());
        }
        w.push(Sample {
            data: &p.data,
            duration: p.duration as u32,
            cts_offset: (p.pts - p.dts - shift) as i32,
            sync: p.keyframe,
        })
        .unwrap();
    }
    segments.extend(w.cut().unwrap());
    assert_eq!(segments.len(), 2, "keyframes every 60 frames");
    for s in &segments {
        std::fs::write(dir.join(format!("seg_{}.m4s", s.sequence)), &s.bytes).unwrap();
        all.extend_from_slice(&s.bytes);
        assert_eq!(s.samples, 60);
        assert_eq!(s.duration, 2 * u64::from(config.timescale));
    }
    assert_eq!(segments[1].decode_time, segments[0].duration);
    // In the file itself presentation starts at 0: what MSE players use.
    assert_eq!(segments[0].earliest_presentation_time, 0);
    assert_eq!(segments[1].earliest_presentation_time, 30720);
    let joined = dir.join("joined.mp4");
    std::fs::write(&joined, &all).unwrap();
    if let Some((frames, errors, pts)) = ffprobe_frames(&joined) {
        println!("ffprobe: {frames} frames, stderr: {errors:?}");
        assert_eq!(frames, 120);
        assert!(errors.is_empty(), "ffprobe reported: {errors}");
        // Display order is a gapless 30 fps grid (15360 / 30 = 512 ticks). ffmpeg moves the
        // whole track later by the most negative composition offset it has seen (its
        // `dts_shift`, start_time 0.067 s here), so the grid is checked from its first value.
        let want: Vec<i64> = (0..120).map(|i| pts[0] + i * 512).collect();
        assert_eq!(pts, want);
    }
    // The same segments through ffmpeg's own HLS and DASH readers, driven by our manifests.
    let playlist = media_playlist(&MediaPlaylist {
        timescale: config.timescale,
        init_uri: "init.mp4".into(),
        init_range: None,
        segments: segments
            .iter()
            .map(|s| HlsSegment {
                uri: format!("seg_{}.m4s", s.sequence),
                duration: s.duration,
                range: None,
            })
            .collect(),
    });
    std::fs::write(dir.join("video.m3u8"), playlist).unwrap();
    let mpd = mpd_xml(&DashPresentation {
        duration: segments.iter().map(|s| s.duration).sum(),
        timescale: config.timescale,
        video: vec![DashVideo {
            id: "v".into(),
            bandwidth: 5_000_000,
            codecs: codec_string(&config.spec).unwrap(),
            width: 1920,
            height: 1080,
            sar: (1, 1),
            frame_rate: (30, 1),
            segments: DashSegments::Template {
                timescale: config.timescale,
                initialization: "init.mp4".into(),
                media: "seg_$Number$.m4s".into(),
                start_number: 1,
                start: 0,
                durations: segments.iter().map(|s| s.duration).collect(),
            },
        }],
        audio: vec![],
    })
    .unwrap();
    std::fs::write(dir.join("video.mpd"), mpd).unwrap();
    for manifest in ["video.m3u8", "video.mpd"] {
        if let Some((frames, errors, _)) = ffprobe_frames(&dir.join(manifest)) {
            println!("ffprobe {manifest}: {frames} frames, stderr: {errors:?}");
            assert_eq!(frames, 120, "{manifest}");
            assert!(
                errors.is_empty(),
                "ffprobe on {manifest} reported: {errors}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn audio_segments_and_single_file_decode() {
    // 2 s of 48 kHz AAC in two segments on AAC frame boundaries.
    let (config, packets) = read_track(TrackKind::Audio, 94);
    let dir = temp_dir("fmp4-audio");
    let mut all = init_segment(&config).unwrap();
    let mut w = FragmentWriter::new(&config, FragmentOptions::default()).unwrap();
    let single_path = dir.join("single.mp4");
    let mut single = SingleFileWriter::create(&single_path, &config).unwrap();
    for (i, p) in packets.iter().enumerate() {
        if i == 47 {
            all.extend_from_slice(&w.cut().unwrap().unwrap().bytes);
            single.cut().unwrap();
        }
        let s = Sample {
            data: &p.data,
            duration: p.duration as u32,
            cts_offset: 0,
            sync: true,
        };
        w.push(s).unwrap();
        single.push(s).unwrap();
    }
    all.extend_from_slice(&w.cut().unwrap().unwrap().bytes);
    let report = single.finish().unwrap();
    assert_eq!(report.segments.len(), 2);
    assert_eq!(report.size, std::fs::metadata(&single_path).unwrap().len());
    let joined = dir.join("joined.mp4");
    std::fs::write(&joined, &all).unwrap();
    for file in [&joined, &single_path] {
        if let Some((frames, errors, pts)) = ffprobe_frames(file) {
            println!(
                "ffprobe {}: {frames} frames, stderr: {errors:?}",
                file.display()
            );
            assert_eq!(frames, 94);
            assert_eq!(pts.first(), Some(&0));
            assert!(errors.is_empty(), "ffprobe reported: {errors}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
