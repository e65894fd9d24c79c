//! The auto ladder ("Adaptive Streaming" / "Content Adaptive Multiple Bitrate MP4"): the three
//! published MES examples (reference §3) and the invariants of the rule in docs/auto-ladder.md.

use strata_preset::*;

fn src(width: u32, height: u32, frame_rate: f64, video_kbps: Option<u32>) -> SourceFacts {
    SourceFacts {
        width,
        height,
        frame_rate,
        video_kbps,
        has_audio: true,
    }
}

/// (width, height, kbps) of every layer, top first.
fn ladder(p: &Preset) -> Vec<(u32, u32, u32)> {
    p.h264_video()
        .unwrap()
        .h264_layers
        .iter()
        .map(|l| match (l.width, l.height) {
            (Size::Pixels(w), Size::Pixels(h)) => (w, h, l.bitrate),
            other => panic!("unexpected sizes {other:?}"),
        })
        .collect()
}

fn total(l: &[(u32, u32, u32)]) -> u32 {
    l.iter().map(|r| r.2).sum()
}

/// Asserts sizes exactly and bitrates within 6 %.
fn assert_example(got: &[(u32, u32, u32)], want: &[(u32, u32, u32)]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0, g.1), (w.0, w.1), "{got:?} vs {want:?}");
        let err = (f64::from(g.2) - f64::from(w.2)).abs() / f64::from(w.2);
        assert!(err <= 0.06, "{g:?} vs {w:?} ({:.1} %)", err * 100.0);
    }
}

#[test]
fn mes_example_1080p_29_97() {
    let p = auto_preset(
        AutoKind::ContentAdaptive,
        &src(1920, 1080, 29.97, None),
        None,
    );
    let want = [
        (1920, 1080, 6780),
        (1280, 720, 3520),
        (960, 540, 2210),
        (640, 360, 1150),
        (480, 270, 720),
        (320, 180, 380),
    ];
    assert_example(&ladder(&p), &want);
    // A known source bitrate high enough changes nothing.
    let q = auto_preset(
        AutoKind::ContentAdaptive,
        &src(1920, 1080, 29.97, Some(12_000)),
        None,
    );
    assert_eq!(ladder(&q), ladder(&p));
}

#[test]
fn mes_example_720p_23_97() {
    let want = [
        (1280, 720, 2940),
        (960, 540, 1850),
        (640, 360, 960),
        (480, 270, 600),
        (320, 180, 320),
    ];
    for fps in [23.97, 24000.0 / 1001.0] {
        let p = auto_preset(
            AutoKind::ContentAdaptive,
            &src(1280, 720, fps, Some(5000)),
            None,
        );
        assert_example(&ladder(&p), &want);
    }
}

#[test]
fn mes_example_360p_29_97() {
    // k = 0.61 at 29.97 fps: the source bitrate caps the top rung (700 = 0.9 x 778).
    let p = auto_preset(
        AutoKind::ContentAdaptive,
        &src(640, 360, 29.97, Some(778)),
        None,
    );
    let want = [(640, 360, 700), (480, 270, 440), (320, 180, 230)];
    assert_example(&ladder(&p), &want);
}

#[test]
fn doc_example_720p_3_mbps() {
    // "a 720p 3 Mbps input gives at most 720p, with the top rung below 3 Mbps".
    let l = ladder(&auto_preset(
        AutoKind::AdaptiveStreaming,
        &src(1280, 720, 29.97, Some(3000)),
        None,
    ));
    assert_eq!((l[0].0, l[0].1), (1280, 720));
    assert!(l[0].2 <= 2700, "{l:?}");
}

#[test]
fn never_above_source_size_or_bitrate() {
    for &(w, h) in &[
        (3840, 2160),
        (1920, 1080),
        (1280, 720),
        (1024, 576),
        (720, 576),
        (640, 360),
        (352, 288),
        (320, 180),
        (176, 144),
        (128, 96),
    ] {
        for kbps in [
            None,
            Some(50),
            Some(300),
            Some(1200),
            Some(4000),
            Some(40_000),
        ] {
            for c in [None, Some(0.0), Some(0.5), Some(1.0)] {
                let l = ladder(&auto_preset(
                    AutoKind::ContentAdaptive,
                    &src(w, h, 29.97, kbps),
                    c,
                ));
                assert!(!l.is_empty());
                for r in &l {
                    assert!(r.0 <= w && r.1 <= h, "{w}x{h}: {l:?}");
                    assert!(r.1 <= 1080, "{w}x{h}: {l:?}");
                    if let Some(k) = kbps {
                        assert!(r.2 < k, "{w}x{h} at {k} kbps: {l:?}");
                    }
                }
                // Top first, strictly decreasing sizes.
                for pair in l.windows(2) {
                    assert!(pair[1].1 < pair[0].1 && pair[1].2 <= pair[0].2, "{l:?}");
                }
            }
        }
    }
}

#[test]
fn uhd_stops_at_1080p() {
    let l = ladder(&auto_preset(
        AutoKind::AdaptiveStreaming,
        &src(3840, 2160, 29.97, None),
        None,
    ));
    assert_eq!(l[0], (1920, 1080, 6780));
    assert_eq!(l.len(), 6);
}

#[test]
fn aspect_ratios_give_even_widths() {
    // 4:3: widths follow the display aspect, bitrates drop with the pixel count.
    let l = ladder(&auto_preset(
        AutoKind::ContentAdaptive,
        &src(1440, 1080, 29.97, None),
        None,
    ));
    let sizes: Vec<(u32, u32)> = l.iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        sizes,
        [
            (1440, 1080),
            (960, 720),
            (720, 540),
            (480, 360),
            (360, 270),
            (240, 180)
        ]
    );
    assert!(l[0].2 < 6780 && l[0].2 > 5000, "{l:?}");
    // Portrait: the ladder runs on the short side (the width), turned.
    let l = ladder(&auto_preset(
        AutoKind::ContentAdaptive,
        &src(1080, 1920, 29.97, None),
        None,
    ));
    let sizes: Vec<(u32, u32)> = l.iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        sizes,
        [
            (1080, 1920),
            (720, 1280),
            (540, 960),
            (360, 640),
            (270, 480),
            (180, 320)
        ]
    );
    assert_eq!(l[0].2, 6780);
    // 2.35:1 (the bikes clip): 635.3 rounds to the even 636.
    let l = ladder(&auto_preset(
        AutoKind::ContentAdaptive,
        &src(640, 272, 25.0, None),
        None,
    ));
    assert_eq!((l[0].0, l[0].1), (636, 270));
    assert_eq!((l[1].0, l[1].1), (424, 180));
    // Odd source sizes and awkward aspects still give even sizes.
    for &(w, h) in &[(1918, 1081), (853, 480), (1000, 999), (481, 1001), (99, 77)] {
        for r in ladder(&auto_preset(
            AutoKind::ContentAdaptive,
            &src(w, h, 25.0, None),
            None,
        )) {
            assert!(
                r.0 % 2 == 0 && r.1 % 2 == 0 && r.0 > 0 && r.1 > 0,
                "{w}x{h}: {r:?}"
            );
        }
    }
}

#[test]
fn tiny_source_gets_one_rung_at_its_size() {
    let l = ladder(&auto_preset(
        AutoKind::ContentAdaptive,
        &src(176, 144, 29.97, None),
        None,
    ));
    assert_eq!(l.len(), 1);
    assert_eq!((l[0].0, l[0].1), (176, 144));
    assert!(l[0].2 > 100 && l[0].2 < 380, "{l:?}");
    let l = ladder(&auto_preset(
        AutoKind::ContentAdaptive,
        &src(161, 91, 15.0, Some(90)),
        None,
    ));
    assert_eq!(l, [(160, 90, l[0].2)]);
    assert!(l[0].2 <= 81);
}

#[test]
fn frame_rate_scales_bitrates() {
    let at = |fps| {
        ladder(&auto_preset(
            AutoKind::ContentAdaptive,
            &src(1920, 1080, fps, None),
            None,
        ))[0]
            .2
    };
    assert!(at(59.94) > at(29.97) && at(29.97) > at(25.0) && at(25.0) > at(15.0));
    assert_eq!(at(59.94), 11_800); // 6780 x 2^0.8 = 11 804
    assert_eq!(at(f64::NAN), 6780);
    assert_eq!(at(0.0), 6780);
    assert_eq!(at(1.0), 3390); // clamped at 0.5
}

#[test]
fn complexity_shapes_the_ladder() {
    let s = src(1920, 1080, 29.97, None);
    let low = ladder(&auto_preset(AutoKind::ContentAdaptive, &s, Some(0.1)));
    let mid = ladder(&auto_preset(AutoKind::ContentAdaptive, &s, Some(0.45)));
    let high = ladder(&auto_preset(AutoKind::ContentAdaptive, &s, Some(0.9)));
    assert!(low.len() < high.len(), "{low:?} vs {high:?}");
    assert!(total(&low) < total(&high), "{low:?} vs {high:?}");
    assert!(low[0].2 < high[0].2);
    assert_eq!(low.len(), 3, "{low:?}");
    assert_eq!(mid.len(), 4, "{mid:?}");
    assert_eq!(high.len(), 6, "{high:?}");
    // Every probed ladder still starts at the source size.
    for l in [&low, &mid, &high] {
        assert_eq!((l[0].0, l[0].1), (1920, 1080));
    }
    // c = 2/3 is the MES ladder.
    let none = ladder(&auto_preset(AutoKind::ContentAdaptive, &s, None));
    let two_thirds = ladder(&auto_preset(AutoKind::ContentAdaptive, &s, Some(2.0 / 3.0)));
    assert_eq!(none, two_thirds);
    // Out-of-range and non-finite values.
    assert_eq!(
        ladder(&auto_preset(AutoKind::ContentAdaptive, &s, Some(7.0))),
        ladder(&auto_preset(AutoKind::ContentAdaptive, &s, Some(1.0)))
    );
    assert_eq!(
        ladder(&auto_preset(AutoKind::ContentAdaptive, &s, Some(f64::NAN))),
        none
    );
    // The floor drops starved low rungs of a cartoon.
    let capped = ladder(&auto_preset(
        AutoKind::ContentAdaptive,
        &src(1280, 720, 29.97, Some(800)),
        Some(0.3),
    ));
    assert!(capped.iter().skip(1).all(|r| r.2 >= AUTO_PROBED_FLOOR_KBPS));
}

#[test]
fn layer_settings_audio_and_outputs() {
    for kind in AutoKind::ALL {
        let p = auto_preset(kind, &src(1280, 720, 25.0, Some(3000)), None);
        let v = p.h264_video().unwrap();
        assert_eq!(v.key_frame_interval.as_millis(), 2000);
        assert!(!v.scene_change_detection);
        for l in &v.h264_layers {
            assert_eq!(l.profile, H264Profile::Auto);
            assert_eq!(l.level, "auto");
            assert_eq!(l.max_bitrate, Some(l.bitrate));
            assert_eq!(l.buffer_window.as_millis(), 5000);
            assert_eq!(l.b_frames, Some(3));
            assert_eq!(l.reference_frames, 3);
            assert!(l.frame_rate.is_same_as_input());
        }
        let a = p.aac_audio().unwrap();
        assert_eq!(
            (a.profile, a.channels, a.sampling_rate, a.bitrate),
            (AacProfile::AacLc, 2, 48_000, 128)
        );
        let out = p.mp4_output().unwrap();
        assert_eq!(
            out.file_name,
            "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4"
        );
        let want = match kind {
            AutoKind::AdaptiveStreaming => Some(OutputCondition::NonInterleaved),
            AutoKind::ContentAdaptive => None,
        };
        assert_eq!(out.condition, want);
        assert_eq!(AutoKind::from_preset_name(kind.preset_name()), Some(kind));
        // Round-trips through MES JSON.
        let json = p.to_json_pretty().unwrap();
        assert_eq!(parse_json(&json).unwrap(), p);
    }
    assert_eq!(
        AutoKind::from_preset_name(" content adaptive multiple bitrate mp4 "),
        Some(AutoKind::ContentAdaptive)
    );
    assert_eq!(
        AutoKind::from_preset_name("H264 Multiple Bitrate 720p"),
        None
    );
    let silent = SourceFacts {
        has_audio: false,
        ..src(1280, 720, 25.0, None)
    };
    assert!(auto_preset(AutoKind::ContentAdaptive, &silent, None)
        .aac_audio()
        .is_none());
}

#[test]
fn validate_passes_for_a_grid_of_sources() {
    let sizes = [
        (0, 0),
        (2, 2),
        (3840, 2160),
        (4096, 2160),
        (1920, 1080),
        (1920, 800),
        (1440, 1080),
        (1080, 1920),
        (1080, 1080),
        (1280, 720),
        (720, 1280),
        (720, 576),
        (720, 480),
        (640, 272),
        (176, 144),
        (16384, 1080),
        (1080, 16384),
        (101, 4001),
    ];
    let rates = [
        0.0,
        8.0,
        12.5,
        23.976,
        25.0,
        29.97,
        50.0,
        59.94,
        120.0,
        f64::INFINITY,
    ];
    let bitrates = [
        None,
        Some(0),
        Some(1),
        Some(40),
        Some(900),
        Some(5000),
        Some(u32::MAX),
    ];
    let complexities = [
        None,
        Some(0.0),
        Some(0.33),
        Some(0.7),
        Some(1.0),
        Some(-3.0),
    ];
    for &(w, h) in &sizes {
        for &fps in &rates {
            for &kbps in &bitrates {
                for &c in &complexities {
                    for kind in AutoKind::ALL {
                        for has_audio in [true, false] {
                            let s = SourceFacts {
                                width: w,
                                height: h,
                                frame_rate: fps,
                                video_kbps: kbps,
                                has_audio,
                            };
                            let p = auto_preset(kind, &s, c);
                            let warnings =
                                p.validate().unwrap_or_else(|e| panic!("{s:?} {c:?}: {e}"));
                            for warn in warnings {
                                assert!(warn.message.contains("B-frames"), "{s:?}: {warn}");
                            }
                            let l = ladder(&p);
                            assert!(!l.is_empty() && l.len() <= 6);
                            assert!(l
                                .iter()
                                .all(|r| r.0 <= MAX_LAYER_DIMENSION && r.1 <= MAX_LAYER_DIMENSION));
                        }
                    }
                }
            }
        }
    }
}
