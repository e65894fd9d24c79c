//! The shipped system presets: every file parses and validates, and the ladders match the
//! MES documentation (reference §1.3).

use strata_preset::*;

fn ladder(name: &str) -> Vec<(u32, u32, u32)> {
    let preset = system_preset(name).unwrap();
    preset
        .h264_video()
        .unwrap()
        .h264_layers
        .iter()
        .map(|l| match (l.width, l.height) {
            (Size::Pixels(w), Size::Pixels(h)) => (w, h, l.bitrate),
            other => panic!("{name}: unexpected sizes {other:?}"),
        })
        .collect()
}

#[test]
fn every_shipped_preset_parses_and_validates() {
    let names: Vec<&str> = system_preset_names().collect();
    assert_eq!(names.len(), 27);
    for name in &names {
        let preset = system_preset(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let warnings = preset.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        for w in &warnings {
            assert!(
                w.message.contains("B-frames") || w.message.contains("same file name"),
                "{name}: unexpected warning {w}"
            );
        }
        let out = preset.mp4_output().unwrap();
        if name.starts_with("AAC") {
            assert_eq!(out.file_name, "{Basename}_AAC_{AudioBitrate}.mp4");
            assert!(preset.h264_video().is_none());
        } else {
            assert_eq!(
                out.file_name,
                "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4"
            );
            let video = preset.h264_video().unwrap();
            for l in &video.h264_layers {
                assert_eq!(l.max_bitrate, Some(l.bitrate), "{name}");
                assert_eq!(l.buffer_window, TimeSpan::from_secs(5), "{name}");
                assert_eq!(l.reference_frames, 3, "{name}");
                if l.profile == H264Profile::Baseline {
                    assert_eq!(l.entropy_mode, EntropyMode::Cavlc, "{name}");
                    assert_eq!(l.b_frames, None, "{name}");
                    assert_eq!(l.adaptive_b_frame, None, "{name}");
                } else {
                    assert_eq!(l.entropy_mode, EntropyMode::Cabac, "{name}");
                    assert_eq!(l.b_frames, Some(3), "{name}");
                    assert_eq!(l.adaptive_b_frame, Some(true), "{name}");
                }
            }
            assert_eq!(
                video.scene_change_detection,
                name.contains("Single"),
                "{name}"
            );
            assert_eq!(video.stretch_mode, StretchMode::AutoSize);
            assert_eq!(video.complexity, Complexity::Balanced);
        }
        let audio = preset.aac_audio().unwrap();
        assert_eq!(audio.sampling_rate, 48000, "{name}");
        if name.ends_with("Audio 5.1") {
            assert_eq!(
                (audio.profile, audio.channels, audio.bitrate),
                (AacProfile::AacLc, 6, 384)
            );
        }
    }
}

#[test]
fn every_file_in_presets_dir_is_in_the_catalogue() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../presets");
    let names: Vec<&str> = system_preset_names().collect();
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // presets/legacy/ holds the AME-name presets (tests/legacy.rs).
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        assert_eq!(path.extension().unwrap(), "json");
        assert!(
            names.contains(&stem.as_str()),
            "{stem} is not listed in catalogue.rs"
        );
        // The embedded text is the file, and load_file reads the same model.
        assert_eq!(
            system_preset_json(&stem).unwrap(),
            std::fs::read_to_string(&path).unwrap()
        );
        assert_eq!(load_file(&path).unwrap(), system_preset(&stem).unwrap());
        count += 1;
    }
    assert_eq!(count, names.len());
}

#[test]
fn ladder_720p_matches_mes() {
    assert_eq!(
        ladder("H264 Multiple Bitrate 720p"),
        vec![
            (1280, 720, 3400),
            (960, 540, 2250),
            (960, 540, 1500),
            (640, 360, 1000),
            (640, 360, 650),
            (320, 180, 400)
        ]
    );
    let p = system_preset("H264 Multiple Bitrate 720p").unwrap();
    let v = p.h264_video().unwrap();
    assert_eq!(v.key_frame_interval.as_millis(), 2000);
    assert_eq!(v.key_frame_interval, TimeSpan::from_secs(2));
    assert!(!v.scene_change_detection);
    for l in &v.h264_layers {
        assert_eq!(l.profile, H264Profile::Auto);
        assert_eq!(l.level, "auto");
        assert!(l.frame_rate.is_same_as_input());
        assert_eq!(l.slices, 0);
    }
    let a = p.aac_audio().unwrap();
    assert_eq!(
        (a.profile, a.channels, a.sampling_rate, a.bitrate),
        (AacProfile::AacLc, 2, 48000, 128)
    );
    assert_eq!(p.version, 1.0);
    assert!(p.sources.is_empty());
}

#[test]
fn other_ladders_match_mes() {
    assert_eq!(
        ladder("H264 Multiple Bitrate 1080p"),
        vec![
            (1920, 1080, 6000),
            (1920, 1080, 4700),
            (1280, 720, 3400),
            (960, 540, 2250),
            (960, 540, 1500),
            (640, 360, 1000),
            (640, 360, 650),
            (320, 180, 400)
        ]
    );
    assert_eq!(
        ladder("H264 Multiple Bitrate 16x9 SD"),
        vec![
            (848, 480, 1900),
            (848, 480, 1300),
            (640, 360, 900),
            (640, 360, 650),
            (432, 240, 400)
        ]
    );
    assert_eq!(
        ladder("H264 Multiple Bitrate 4x3 SD"),
        vec![
            (640, 480, 1600),
            (640, 480, 1300),
            (480, 360, 800),
            (480, 360, 600),
            (360, 240, 400)
        ]
    );
    let k4 = ladder("H264 Multiple Bitrate 4K");
    assert_eq!(k4.len(), 12);
    assert_eq!(k4[0], (4096, 2304, 20000));
    assert_eq!(k4[11], (640, 360, 1000));
    assert_eq!(ladder("H264 Multiple Bitrate 4K Audio 5.1"), k4);
    assert_eq!(ladder("H264 Single Bitrate 4K"), vec![(3840, 2160, 18000)]);
    assert_eq!(
        ladder("H264 Single Bitrate 1080p"),
        vec![(1920, 1080, 6750)]
    );
    assert_eq!(ladder("H264 Single Bitrate 720p"), vec![(1280, 720, 4500)]);
    assert_eq!(
        ladder("H264 Single Bitrate 16x9 SD"),
        vec![(848, 480, 2200)]
    );
    assert_eq!(ladder("H264 Single Bitrate 4x3 SD"), vec![(640, 480, 1800)]);
    assert_eq!(
        ladder("H264 Single Bitrate 720p for Android"),
        vec![(1280, 720, 2000)]
    );
    assert_eq!(
        ladder("H264 Single Bitrate High Quality SD for Android"),
        vec![(480, 360, 500)]
    );
    assert_eq!(
        ladder("H264 Single Bitrate Low Quality SD for Android"),
        vec![(176, 144, 56)]
    );
}

#[test]
fn single_bitrate_720p_uses_scene_change_detection() {
    let p = system_preset("H264 Single Bitrate 720p").unwrap();
    let v = p.h264_video().unwrap();
    assert!(v.scene_change_detection);
    assert_eq!(v.h264_layers.len(), 1);
    assert_eq!(v.key_frame_interval.as_millis(), 2000);
}

#[test]
fn ios_presets() {
    let p = system_preset("H264 Multiple Bitrate 16x9 for iOS").unwrap();
    let v = p.h264_video().unwrap();
    assert_eq!(v.key_frame_interval.as_millis(), 3000);
    let profiles: Vec<(H264Profile, &str)> = v
        .h264_layers
        .iter()
        .map(|l| (l.profile, l.level.as_str()))
        .collect();
    use H264Profile::*;
    assert_eq!(
        profiles,
        vec![
            (High, "4"),
            (Main, "3.1"),
            (Main, "3.1"),
            (Main, "3.1"),
            (Baseline, "3.1"),
            (Baseline, "3"),
            (Baseline, "3"),
            (Baseline, "3")
        ]
    );
    assert_eq!(
        ladder("H264 Multiple Bitrate 16x9 for iOS")[7],
        (416, 214, 200)
    );
    let a = p.aac_audio().unwrap();
    assert_eq!(
        (a.profile, a.channels, a.bitrate),
        (AacProfile::HeAacV2, 2, 64)
    );
    assert_eq!(
        ladder("H264 Multiple Bitrate 4x3 for iOS"),
        vec![
            (1920, 1440, 8500),
            (1280, 960, 6500),
            (1280, 960, 5000),
            (960, 720, 3500),
            (640, 480, 1200),
            (640, 480, 600),
            (480, 360, 400),
            (400, 300, 200)
        ]
    );
}

#[test]
fn android_presets() {
    for name in [
        "H264 Single Bitrate 720p for Android",
        "H264 Single Bitrate High Quality SD for Android",
        "H264 Single Bitrate Low Quality SD for Android",
    ] {
        let p = system_preset(name).unwrap();
        let v = p.h264_video().unwrap();
        assert_eq!(v.key_frame_interval.as_millis(), 5000, "{name}");
        assert!(v.scene_change_detection);
        assert_eq!(v.h264_layers[0].profile, H264Profile::Baseline);
        assert_eq!(v.h264_layers[0].entropy_mode, EntropyMode::Cavlc);
    }
    let low = system_preset("H264 Single Bitrate Low Quality SD for Android").unwrap();
    assert_eq!(
        low.h264_video().unwrap().h264_layers[0].frame_rate,
        FrameRate::new(12, 1)
    );
    assert_eq!(low.h264_video().unwrap().h264_layers[0].level, "2");
    assert_eq!(low.aac_audio().unwrap().bitrate, 24);
    assert_eq!(low.aac_audio().unwrap().profile, AacProfile::HeAacV2);
    let hd = system_preset("H264 Single Bitrate 720p for Android").unwrap();
    assert_eq!(hd.aac_audio().unwrap().bitrate, 192);
}

#[test]
fn names_match_case_insensitively_and_trimmed() {
    let a = system_preset("  h264 MULTIPLE bitrate 720P \n").unwrap();
    assert_eq!(a, system_preset("H264 Multiple Bitrate 720p").unwrap());
}

#[test]
fn unknown_name_suggests_near_names() {
    let err = system_preset("H264 Multiple Bitrate 720").unwrap_err();
    match &err {
        PresetError::UnknownPreset { name, suggestions } => {
            assert_eq!(name, "H264 Multiple Bitrate 720");
            assert!(suggestions.contains(&"H264 Multiple Bitrate 720p".to_string()));
            assert_eq!(suggestions[0], "H264 Multiple Bitrate 720p");
            assert!(suggestions.len() <= 3);
        }
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("\"H264 Multiple Bitrate 720p\""), "{msg}");
    let err = system_preset("Adaptive Streaming").unwrap_err();
    assert!(matches!(err, PresetError::UnknownPreset { .. }));
    let err = system_preset("H264 Singel Bitrate 1080p").unwrap_err();
    assert!(
        err.to_string().contains("H264 Single Bitrate 1080p"),
        "{err}"
    );
}

#[test]
fn system_presets_round_trip_through_json() {
    for name in system_preset_names() {
        let p = system_preset(name).unwrap();
        let text = p.to_json_pretty().unwrap();
        assert_eq!(parse_json(&text).unwrap(), p, "{name}");
    }
}
