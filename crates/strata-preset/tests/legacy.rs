//! Legacy Azure Media Encoder preset names (reference §1.4).

use strata_preset::*;

const L1080: &[(u32, u32, u32)] = &[
    (1920, 1080, 6000),
    (1920, 1080, 4700),
    (1280, 720, 3400),
    (960, 540, 2250),
    (960, 540, 1500),
    (640, 360, 1000),
    (640, 360, 650),
    (320, 180, 400),
];
const L720: &[(u32, u32, u32)] = &[
    (1280, 720, 3400),
    (960, 540, 2250),
    (960, 540, 1500),
    (640, 360, 1000),
    (640, 360, 650),
    (320, 180, 400),
];
const LSD169: &[(u32, u32, u32)] = &[
    (848, 480, 1900),
    (848, 480, 1300),
    (636, 360, 900),
    (636, 360, 650),
    (424, 240, 400),
];
const LSD43: &[(u32, u32, u32)] = &[
    (640, 480, 1600),
    (640, 480, 1300),
    (480, 360, 800),
    (480, 360, 600),
    (320, 240, 400),
];

/// One §1.4 row: name, profile, GOP seconds, scene-change detection, ladder, AME audio kbps.
struct Row {
    name: &'static str,
    profile: H264Profile,
    gop: u64,
    scd: bool,
    ladder: Vec<(u32, u32, u32)>,
    ame_audio_kbps: u32,
}

fn table() -> Vec<Row> {
    use H264Profile::{High, Main};
    let mut rows = Vec::new();
    let mut row = |name, profile, gop, scd, ladder: &[(u32, u32, u32)], kbps| {
        rows.push(Row {
            name,
            profile,
            gop,
            scd,
            ladder: ladder.to_vec(),
            ame_audio_kbps: kbps,
        })
    };
    row(
        "H264 Adaptive Bitrate MP4 Set 1080p",
        High,
        2,
        false,
        L1080,
        128,
    );
    row(
        "H264 Adaptive Bitrate MP4 Set 720p",
        Main,
        2,
        false,
        L720,
        96,
    );
    row(
        "H264 Adaptive Bitrate MP4 Set SD 16x9",
        Main,
        2,
        false,
        LSD169,
        96,
    );
    row(
        "H264 Adaptive Bitrate MP4 Set SD 4x3",
        Main,
        2,
        false,
        LSD43,
        96,
    );
    row(
        "H264 Adaptive Bitrate MP4 Set 1080p for iOS Cellular Only",
        High,
        2,
        false,
        L1080,
        56,
    );
    row(
        "H264 Adaptive Bitrate MP4 Set 720p for iOS Cellular Only",
        Main,
        2,
        false,
        L720,
        56,
    );
    row(
        "H264 Adaptive Bitrate MP4 Set SD 16x9 for iOS Cellular Only",
        Main,
        2,
        false,
        LSD169,
        56,
    );
    row(
        "H264 Adaptive Bitrate MP4 Set SD 4x3 for iOS Cellular Only",
        Main,
        2,
        false,
        LSD43,
        56,
    );
    row(
        "H264 Broadband 1080p",
        High,
        5,
        true,
        &[(1920, 1080, 6750)],
        128,
    );
    row(
        "H264 Broadband 720p",
        Main,
        5,
        true,
        &[(1280, 720, 4500)],
        128,
    );
    row(
        "H264 Broadband SD 16x9",
        Main,
        5,
        true,
        &[(852, 480, 2200)],
        128,
    );
    row(
        "H264 Broadband SD 4x3",
        Main,
        5,
        true,
        &[(640, 480, 1800)],
        128,
    );
    row("H264 Smooth Streaming 1080p", High, 2, false, L1080, 128);
    row("H264 Smooth Streaming 720p", Main, 2, false, L720, 96);
    let mut l3g = L720.to_vec();
    l3g.extend([(320, 180, 250), (320, 180, 150)]);
    row(
        "H264 Smooth Streaming 720p for 3G or 4G",
        Main,
        2,
        false,
        &l3g,
        56,
    );
    row(
        "H264 Smooth Streaming 720p Xbox Live ADK",
        High,
        2,
        false,
        &[
            (1280, 720, 4500),
            (1280, 720, 3400),
            (960, 540, 2250),
            (768, 432, 1550),
            (624, 352, 1100),
            (480, 272, 750),
            (400, 224, 550),
            (368, 208, 350),
        ],
        128,
    );
    row("H264 Smooth Streaming SD 16x9", Main, 2, false, LSD169, 96);
    row("H264 Smooth Streaming SD 4x3", Main, 2, false, LSD43, 96);
    let wp7: Vec<_> = [1000, 800, 600, 400, 200]
        .iter()
        .map(|b| (640, 360, *b))
        .collect();
    row(
        "H264 Smooth Streaming Windows Phone 7 Series",
        Main,
        2,
        false,
        &wp7,
        64,
    );
    rows
}

/// AAC-LC stereo 44.1 kHz allows 96–576 kbps (§2.3); AME's 56 and 64 kbps are not valid in
/// MES, so the legacy presets use the closest valid value, 96.
fn expected_audio_kbps(ame: u32) -> u32 {
    ame.clamp(96, 576)
}

#[test]
fn every_legacy_name_resolves_to_its_table_row() {
    let rows = table();
    let names: Vec<&str> = legacy_preset_names().collect();
    assert_eq!(names, rows.iter().map(|r| r.name).collect::<Vec<_>>());
    for row in &rows {
        let name = row.name;
        let p = system_preset(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let warnings = p.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            warnings.iter().all(|w| w.message.contains("B-frames")),
            "{name}: {warnings:?}"
        );
        let v = p.h264_video().unwrap();
        let ladder: Vec<(u32, u32, u32)> = v
            .h264_layers
            .iter()
            .map(|l| match (l.width, l.height) {
                (Size::Pixels(w), Size::Pixels(h)) => (w, h, l.bitrate),
                other => panic!("{name}: {other:?}"),
            })
            .collect();
        assert_eq!(ladder, row.ladder, "{name}");
        assert_eq!(v.key_frame_interval, TimeSpan::from_secs(row.gop), "{name}");
        assert_eq!(v.scene_change_detection, row.scd, "{name}");
        for l in &v.h264_layers {
            assert_eq!(l.profile, row.profile, "{name}");
            // AME shared settings (§1.4): CBR, 5 s buffer, 3 B-frames, 4 reference frames,
            // CABAC, adaptive B-frames off, source frame rate.
            assert_eq!(l.max_bitrate, Some(l.bitrate), "{name}");
            assert_eq!(l.buffer_window, TimeSpan::from_secs(5), "{name}");
            assert_eq!(l.b_frames, Some(3), "{name}");
            assert_eq!(l.reference_frames, 4, "{name}");
            assert_eq!(l.entropy_mode, EntropyMode::Cabac, "{name}");
            assert_ne!(l.adaptive_b_frame, Some(true), "{name}");
            assert_eq!(l.frame_rate, FrameRate::SAME_AS_INPUT, "{name}");
        }
        let a = p.aac_audio().unwrap();
        assert_eq!(
            (a.profile, a.channels, a.sampling_rate, a.bitrate),
            (
                AacProfile::AacLc,
                2,
                44100,
                expected_audio_kbps(row.ame_audio_kbps)
            ),
            "{name}"
        );
        assert!(aac_bitrate_supported(
            a.profile,
            a.channels,
            a.sampling_rate,
            a.bitrate
        ));
        assert_eq!(
            p.mp4_output().unwrap().file_name,
            "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4"
        );
        // Case-insensitive like MES names, and available as JSON and XML.
        assert_eq!(system_preset(&name.to_uppercase()).unwrap(), p);
        assert_eq!(parse_json(system_preset_json(name).unwrap()).unwrap(), p);
        assert_eq!(parse_xml(&system_preset_xml(name).unwrap()).unwrap(), p);
        assert_eq!(parse_configuration(name).unwrap(), p);
    }
}

#[test]
fn invalid_ame_audio_rates_are_replaced_by_the_closest_valid_one() {
    assert!(!aac_bitrate_supported(AacProfile::AacLc, 2, 44100, 56));
    assert!(!aac_bitrate_supported(AacProfile::AacLc, 2, 44100, 64));
    assert!(aac_bitrate_supported(AacProfile::AacLc, 2, 44100, 96));
    for name in [
        "H264 Adaptive Bitrate MP4 Set 720p for iOS Cellular Only",
        "H264 Smooth Streaming 720p for 3G or 4G",
        "H264 Smooth Streaming Windows Phone 7 Series",
    ] {
        assert_eq!(
            system_preset(name).unwrap().aac_audio().unwrap().bitrate,
            96,
            "{name}"
        );
    }
    // Rates the table allows are kept as AME had them.
    let p = system_preset("H264 Adaptive Bitrate MP4 Set 720p").unwrap();
    assert_eq!(p.aac_audio().unwrap().bitrate, 96);
    let p = system_preset("H264 Broadband 1080p").unwrap();
    assert_eq!(p.aac_audio().unwrap().bitrate, 128);
}

#[test]
fn ame_ladders_differ_from_mes_where_the_table_says() {
    let ame = system_preset("H264 Adaptive Bitrate MP4 Set SD 16x9").unwrap();
    let mes = system_preset("H264 Multiple Bitrate 16x9 SD").unwrap();
    let size = |p: &Preset, i: usize| {
        let l = &p.h264_video().unwrap().h264_layers[i];
        (l.width, l.height)
    };
    assert_eq!(size(&ame, 2), (Size::Pixels(636), Size::Pixels(360)));
    assert_eq!(size(&mes, 2), (Size::Pixels(640), Size::Pixels(360)));
    assert_eq!(size(&ame, 4), (Size::Pixels(424), Size::Pixels(240)));
    assert_eq!(size(&mes, 4), (Size::Pixels(432), Size::Pixels(240)));
    let bb = system_preset("H264 Broadband SD 16x9").unwrap();
    assert_eq!(size(&bb, 0), (Size::Pixels(852), Size::Pixels(480)));
}

#[test]
fn system_preset_names_list_only_mes_names() {
    let mes: Vec<&str> = system_preset_names().collect();
    assert_eq!(mes.len(), 27);
    for legacy in legacy_preset_names() {
        assert!(!mes.contains(&legacy), "{legacy}");
    }
    assert_eq!(legacy_preset_names().count(), 19);
    // "AAC Good Quality Audio" is both an AME and an MES name: the MES preset (48 kHz) wins.
    let aac = system_preset("AAC Good Quality Audio").unwrap();
    assert_eq!(aac.aac_audio().unwrap().sampling_rate, 48000);
}

#[test]
fn vc1_and_wma_names_are_unsupported_with_the_closest_h264_preset() {
    for (name, closest) in [
        ("VC1 Broadband 1080p", "H264 Single Bitrate 1080p"),
        ("VC1 Broadband 720p", "H264 Single Bitrate 720p"),
        ("VC1 Broadband SD 16x9", "H264 Single Bitrate 16x9 SD"),
        ("VC1 Broadband SD 4x3", "H264 Single Bitrate 4x3 SD"),
        ("VC1 Smooth Streaming 1080p", "H264 Multiple Bitrate 1080p"),
        ("vc1 smooth streaming 720p", "H264 Multiple Bitrate 720p"),
        (
            "VC1 Smooth Streaming 720p Xbox Live ADK",
            "H264 Multiple Bitrate 720p",
        ),
        (
            "VC1 Smooth Streaming SD 16x9",
            "H264 Multiple Bitrate 16x9 SD",
        ),
        (
            "VC1 Smooth Streaming SD 4x3",
            "H264 Multiple Bitrate 4x3 SD",
        ),
        ("WMA High Quality Audio", "AAC Good Quality Audio"),
    ] {
        match system_preset(name) {
            Err(PresetError::Unsupported(msg)) => {
                assert!(
                    msg.contains("VC-1/WMA output does not exist in Media Encoder Standard either"),
                    "{msg}"
                );
                assert!(msg.contains(&format!("{closest:?}")), "{name}: {msg}");
                // The named preset exists.
                system_preset(closest).unwrap();
            }
            other => panic!("{name}: {other:?}"),
        }
        assert!(matches!(
            system_preset_xml(name),
            Err(PresetError::Unsupported(_))
        ));
        assert!(matches!(
            parse_configuration(name),
            Err(PresetError::Unsupported(_))
        ));
    }
}

#[test]
fn suggestions_consider_legacy_names() {
    let suggestions = |name: &str| match system_preset(name) {
        Err(PresetError::UnknownPreset { suggestions, .. }) => suggestions,
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(suggestions("H264 Broadband 720")[0], "H264 Broadband 720p");
    assert_eq!(
        suggestions("H264 Smooth Streaming 720p for 4G")[0],
        "H264 Smooth Streaming 720p for 3G or 4G"
    );
    assert_eq!(
        suggestions("H264 Adaptive Bitrate MP4 Set 1080")[0],
        "H264 Adaptive Bitrate MP4 Set 1080p"
    );
    // MES names still win for MES-like queries.
    assert_eq!(
        suggestions("H264 Multiple Bitrate 720")[0],
        "H264 Multiple Bitrate 720p"
    );
}

#[test]
fn every_file_in_presets_legacy_is_embedded() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../presets/legacy");
    let names: Vec<&str> = legacy_preset_names().collect();
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(path.extension().unwrap(), "json");
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        assert!(names.contains(&stem.as_str()), "{stem} is not in legacy.rs");
        assert_eq!(
            system_preset_json(&stem).unwrap(),
            std::fs::read_to_string(&path).unwrap()
        );
        assert_eq!(load_file(&path).unwrap(), system_preset(&stem).unwrap());
        count += 1;
    }
    assert_eq!(count, names.len());
}
