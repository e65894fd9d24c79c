//! Parsing custom presets: the MES JSON schema, strictness on unknown keys, lenient values.

use strata_preset::*;

/// The "H264 Multiple Bitrate 720p" JSON as printed in the MES documentation (reference §1.5).
const DOC_720P: &str = r#"{
  "Version": 1.0,
  "Codecs": [
    {
      "KeyFrameInterval": "00:00:02",
      "H264Layers": [
        { "Profile": "Auto", "Level": "auto", "Bitrate": 3400, "MaxBitrate": 3400, "BufferWindow": "00:00:05",
          "Width": 1280, "Height": 720, "BFrames": 3, "ReferenceFrames": 3, "AdaptiveBFrame": true,
          "Type": "H264Layer", "FrameRate": "0/1" },
        { "Profile": "Auto", "Level": "auto", "Bitrate": 2250, "MaxBitrate": 2250, "BufferWindow": "00:00:05",
          "Width": 960, "Height": 540, "BFrames": 3, "ReferenceFrames": 3, "AdaptiveBFrame": true,
          "Type": "H264Layer", "FrameRate": "0/1" },
        { "Profile": "Auto", "Level": "auto", "Bitrate": 1500, "MaxBitrate": 1500, "BufferWindow": "00:00:05",
          "Width": 960, "Height": 540, "BFrames": 3, "ReferenceFrames": 3, "AdaptiveBFrame": true,
          "Type": "H264Layer", "FrameRate": "0/1" },
        { "Profile": "Auto", "Level": "auto", "Bitrate": 1000, "MaxBitrate": 1000, "BufferWindow": "00:00:05",
          "Width": 640, "Height": 360, "BFrames": 3, "ReferenceFrames": 3, "AdaptiveBFrame": true,
          "Type": "H264Layer", "FrameRate": "0/1" },
        { "Profile": "Auto", "Level": "auto", "Bitrate": 650, "MaxBitrate": 650, "BufferWindow": "00:00:05",
          "Width": 640, "Height": 360, "BFrames": 3, "ReferenceFrames": 3, "AdaptiveBFrame": true,
          "Type": "H264Layer", "FrameRate": "0/1" },
        { "Profile": "Auto", "Level": "auto", "Bitrate": 400, "MaxBitrate": 400, "BufferWindow": "00:00:05",
          "Width": 320, "Height": 180, "BFrames": 3, "ReferenceFrames": 3, "AdaptiveBFrame": true,
          "Type": "H264Layer", "FrameRate": "0/1" }
      ],
      "Type": "H264Video"
    },
    { "Profile": "AACLC", "Channels": 2, "SamplingRate": 48000, "Bitrate": 128, "Type": "AACAudio" }
  ],
  "Outputs": [
    { "FileName": "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4", "Format": { "Type": "MP4Format" } }
  ]
}"#;

/// A small valid single-layer preset to mutate in tests.
fn base() -> serde_json::Value {
    serde_json::json!({
        "Version": 1.0,
        "Codecs": [
            { "KeyFrameInterval": "00:00:02", "Type": "H264Video", "H264Layers": [
                { "Type": "H264Layer", "Bitrate": 1000, "Width": 640, "Height": 360 } ] },
            { "Profile": "AACLC", "Channels": 2, "SamplingRate": 48000, "Bitrate": 128, "Type": "AACAudio" }
        ],
        "Outputs": [ { "FileName": "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4", "Format": { "Type": "MP4Format" } } ]
    })
}

fn parse(v: &serde_json::Value) -> Result<Preset, PresetError> {
    parse_json(&v.to_string())
}

fn invalid_message(v: &serde_json::Value) -> String {
    match parse(v).unwrap().validate() {
        Err(PresetError::Invalid { message, .. }) => message,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn doc_json_equals_shipped_file() {
    let doc = parse_json(DOC_720P).unwrap();
    assert_eq!(doc, system_preset("H264 Multiple Bitrate 720p").unwrap());
}

#[test]
fn defaults_apply() {
    let p = parse(&base()).unwrap();
    let l = &p.h264_video().unwrap().h264_layers[0];
    assert_eq!(l.profile, H264Profile::Auto);
    assert_eq!(l.level, "auto");
    assert_eq!(l.buffer_window, TimeSpan::from_secs(5));
    assert_eq!(l.reference_frames, 3);
    assert_eq!(l.entropy_mode, EntropyMode::Cabac);
    assert_eq!(l.frame_rate, FrameRate::SAME_AS_INPUT);
    assert_eq!(
        (l.b_frames, l.adaptive_b_frame, l.max_bitrate, l.slices),
        (None, None, None, 0)
    );
    let mut v = base();
    v["Codecs"][0]
        .as_object_mut()
        .unwrap()
        .remove("KeyFrameInterval");
    v["Codecs"][1].as_object_mut().unwrap().remove("Channels");
    v["Codecs"][1].as_object_mut().unwrap().remove("Profile");
    let p = parse(&v).unwrap();
    assert_eq!(
        p.h264_video().unwrap().key_frame_interval,
        TimeSpan::from_secs(2)
    );
    assert_eq!(p.aac_audio().unwrap().channels, 2);
    assert_eq!(p.aac_audio().unwrap().profile, AacProfile::AacLc);
    assert!(p.validate().unwrap().is_empty());
}

#[test]
fn unknown_fields_are_errors_naming_the_field() {
    type Mutation = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("Bogus", Box::new(|v| v["Bogus"] = 1.into())),
        (
            "KeyFrameIntervall",
            Box::new(|v| v["Codecs"][0]["KeyFrameIntervall"] = "00:00:02".into()),
        ),
        (
            "Widht",
            Box::new(|v| v["Codecs"][0]["H264Layers"][0]["Widht"] = 640.into()),
        ),
        (
            "SampleRate",
            Box::new(|v| v["Codecs"][1]["SampleRate"] = 48000.into()),
        ),
        (
            "Filename",
            Box::new(|v| v["Outputs"][0]["Filename"] = "x".into()),
        ),
        (
            "bitrate",
            Box::new(|v| v["Codecs"][1]["bitrate"] = 128.into()),
        ),
    ];
    for (field, mutate) in cases {
        let mut v = base();
        mutate(&mut v);
        let err = parse(&v).unwrap_err();
        assert!(matches!(err, PresetError::Json(_)), "{err:?}");
        assert!(
            err.to_string().contains(&format!("`{field}`")),
            "{field}: {err}"
        );
    }
}

#[test]
fn unknown_type_is_an_error() {
    let mut v = base();
    v["Codecs"][0]["Type"] = "H265Video".into();
    assert!(parse(&v).unwrap_err().to_string().contains("H265Video"));
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["Type"] = "PngLayer".into();
    assert!(parse(&v).is_err());
    let mut v = base();
    v["Outputs"][0]["Format"]["Type"] = "AviFormat".into();
    assert!(parse(&v).unwrap_err().to_string().contains("AviFormat"));
    let mut v = base();
    v["Codecs"][0].as_object_mut().unwrap().remove("Type");
    assert!(parse(&v).unwrap_err().to_string().contains("Type"));
}

#[test]
fn missing_required_fields_are_named() {
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]
        .as_object_mut()
        .unwrap()
        .remove("Bitrate");
    assert!(parse(&v).unwrap_err().to_string().contains("`Bitrate`"));
    let mut v = base();
    v["Codecs"][1]
        .as_object_mut()
        .unwrap()
        .remove("SamplingRate");
    assert!(parse(&v)
        .unwrap_err()
        .to_string()
        .contains("`SamplingRate`"));
}

#[test]
fn lenient_values_as_mes_accepted() {
    let mut v = base();
    v["Codecs"][0]["SceneChangeDetection"] = "true".into();
    v["Codecs"][0]["StretchMode"] = "autofit".into();
    v["Codecs"][0]["Complexity"] = "Quality".into();
    let layer = &mut v["Codecs"][0]["H264Layers"][0];
    layer["Width"] = "640".into();
    layer["Height"] = "100%".into();
    layer["Profile"] = "baseline".into();
    layer["EntropyMode"] = "CAVLC".into();
    layer["FrameRate"] = "30000/1001".into();
    layer["Bitrate"] = "1200".into();
    layer["Level"] = 3.1.into();
    let p = parse(&v).unwrap();
    let video = p.h264_video().unwrap();
    assert!(video.scene_change_detection);
    assert_eq!(video.stretch_mode, StretchMode::AutoFit);
    assert_eq!(video.complexity, Complexity::Quality);
    let l = &video.h264_layers[0];
    assert_eq!((l.width, l.height), (Size::Pixels(640), Size::Percent(100)));
    assert_eq!(l.height.resolve(1080), 1080);
    assert_eq!(l.profile, H264Profile::Baseline);
    assert_eq!(l.entropy_mode, EntropyMode::Cavlc);
    assert_eq!(l.frame_rate, FrameRate::new(30000, 1001));
    assert_eq!(l.bitrate, 1200);
    assert_eq!(l.level, "3.1");
    assert!(p.validate().unwrap().is_empty());
}

#[test]
fn bad_enum_values_are_errors() {
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["Profile"] = "Extended".into();
    let err = parse(&v).unwrap_err().to_string();
    assert!(err.contains("Profile `Extended`"), "{err}");
    let mut v = base();
    v["Codecs"][0]["KeyFrameInterval"] = "2 seconds".into();
    assert!(parse(&v).unwrap_err().to_string().contains("2 seconds"));
}

#[test]
fn odd_width_is_an_error_naming_width() {
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["Width"] = 853.into();
    let err = parse(&v).unwrap().validate().unwrap_err();
    match &err {
        PresetError::Invalid { field, .. } => assert_eq!(field, "Codecs[0].H264Layers[0].Width"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "Codecs[0].H264Layers[0].Width 853 is odd: layer sizes must be even"
    );
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["Height"] = 361.into();
    assert!(invalid_message(&v).contains("Height 361 is odd"));
    // The third layer of a ladder is named by index.
    let mut p = system_preset("H264 Multiple Bitrate 720p").unwrap();
    if let Codec::H264Video(video) = &mut p.codecs[0] {
        video.h264_layers[2].width = Size::Pixels(853);
    }
    assert!(p
        .validate()
        .unwrap_err()
        .to_string()
        .contains("H264Layers[2].Width 853 is odd: layer sizes must be even"));
}

#[test]
fn layer_rules() {
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["Width"] = "0%".into();
    assert!(invalid_message(&v).contains("percentages must be 1% to 100%"));
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["MaxBitrate"] = 500.into();
    assert!(invalid_message(&v).contains("MaxBitrate 500 is below Bitrate 1000"));
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["Level"] = "7".into();
    assert!(invalid_message(&v).contains("Level \"7\" is not an H.264 level"));
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["ReferenceFrames"] = 0.into();
    assert!(invalid_message(&v).contains("ReferenceFrames 0"));
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["FrameRate"] = "30/0".into();
    assert!(invalid_message(&v).contains("zero denominator"));
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["BufferWindow"] = "00:00:00".into();
    assert!(invalid_message(&v).contains("BufferWindow 00:00:00 is zero"));
    let mut v = base();
    v["Codecs"][0]["H264Layers"] = serde_json::json!([]);
    assert!(invalid_message(&v).contains("H264Layers is empty"));
}

#[test]
fn frame_rates_must_match_across_layers() {
    let mut v = base();
    let mut second = v["Codecs"][0]["H264Layers"][0].clone();
    second["FrameRate"] = "30/1".into();
    v["Codecs"][0]["H264Layers"]
        .as_array_mut()
        .unwrap()
        .push(second);
    let msg = invalid_message(&v);
    assert!(
        msg.contains("H264Layers[1].FrameRate 30/1 differs"),
        "{msg}"
    );
    assert!(msg.contains("all layers must share one FrameRate"), "{msg}");
    // Equal rates written differently are fine.
    v["Codecs"][0]["H264Layers"][0]["FrameRate"] = "60/2".into();
    parse(&v).unwrap().validate().unwrap();
}

#[test]
fn scene_change_detection_needs_one_layer() {
    let mut p = system_preset("H264 Multiple Bitrate 720p").unwrap();
    if let Codec::H264Video(video) = &mut p.codecs[0] {
        video.scene_change_detection = true;
    }
    let msg = p.validate().unwrap_err().to_string();
    assert!(
        msg.contains("SceneChangeDetection true with 6 H264Layers"),
        "{msg}"
    );
}

#[test]
fn zero_key_frame_interval_is_an_error() {
    let mut v = base();
    v["Codecs"][0]["KeyFrameInterval"] = "00:00:00".into();
    let msg = invalid_message(&v);
    assert!(
        msg.contains("Codecs[0].KeyFrameInterval 00:00:00 is zero"),
        "{msg}"
    );
}

#[test]
fn codecs_need_outputs() {
    let mut v = base();
    v["Outputs"] = serde_json::json!([{ "FileName": "{Basename}_{Index}{Extension}", "Format": { "Type": "PngFormat" } }]);
    let msg = invalid_message(&v);
    assert!(msg.contains("has no output"), "{msg}");
    let mut v = base();
    v["Outputs"] = serde_json::json!([]);
    assert!(invalid_message(&v).contains("Outputs is empty"));
    let mut v = base();
    v["Codecs"] = serde_json::json!([]);
    assert!(invalid_message(&v).contains("Codecs is empty"));
}

#[test]
fn b_frames_warn() {
    let p = system_preset("H264 Multiple Bitrate 720p").unwrap();
    let warnings = p.validate().unwrap();
    let bw: Vec<&Warning> = warnings
        .iter()
        .filter(|w| w.field.ends_with("BFrames"))
        .collect();
    assert_eq!(bw.len(), 1);
    assert_eq!(bw[0].field, "Codecs[0].H264Layers[0].BFrames");
    assert!(
        bw[0]
            .message
            .starts_with("OpenH264 encodes no B-frames; BFrames 3 is ignored"),
        "{}",
        bw[0]
    );
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["BFrames"] = 3.into();
    let w = parse(&v).unwrap().validate().unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(
        w[0].message,
        "OpenH264 encodes no B-frames; BFrames 3 is ignored"
    );
    let mut v = base();
    v["Codecs"][0]["H264Layers"][0]["Profile"] = "Baseline".into();
    v["Codecs"][0]["TwoPass"] = true.into();
    let w = parse(&v).unwrap().validate().unwrap();
    assert_eq!(w.len(), 2, "{w:?}");
}

#[test]
fn colliding_output_names_warn() {
    let mut p = system_preset("H264 Multiple Bitrate 720p").unwrap();
    p.outputs[0].file_name = "{Basename}_{Width}x{Height}.mp4".into();
    let w = p.validate().unwrap();
    assert!(
        w.iter().any(|w| w
            .message
            .contains("H264Layers[1] and H264Layers[2] the same file name")),
        "{w:?}"
    );
}

#[test]
fn aac_table_checks() {
    let mut v = base();
    v["Codecs"][1]["Bitrate"] = 64.into();
    let msg = invalid_message(&v);
    assert!(
        msg.contains(
            "Bitrate 64 is not supported when Profile/Channels/SamplingRate is AACLC/2/48000"
        ),
        "{msg}"
    );
    let mut v = base();
    v["Codecs"][1]["Profile"] = "HEAACV2".into();
    v["Codecs"][1]["Bitrate"] = 96.into();
    assert!(invalid_message(&v).contains("HEAACV2/2/48000"));
    let mut v = base();
    v["Codecs"][1]["Profile"] = "HEAACV2".into();
    v["Codecs"][1]["Channels"] = 1.into();
    v["Codecs"][1]["Bitrate"] = 32.into();
    assert!(invalid_message(&v).contains("HEAACV2/1/48000"));
    let mut v = base();
    v["Codecs"][1]["Channels"] = 3.into();
    assert!(invalid_message(&v).contains("Channels 3 is not supported"));
    let mut v = base();
    v["Codecs"][1]["SamplingRate"] = 8000.into();
    assert!(invalid_message(&v).contains("SamplingRate 8000 is not supported"));
    for (profile, ch, rate, br) in [
        ("AACLC", 6, 48000, 384),
        ("AACLC", 1, 44100, 56),
        ("HEAACV1", 2, 32000, 16),
        ("AACLC", 2, 44100, 96),
    ] {
        let mut v = base();
        v["Codecs"][1]["Profile"] = profile.into();
        v["Codecs"][1]["Channels"] = ch.into();
        v["Codecs"][1]["SamplingRate"] = rate.into();
        v["Codecs"][1]["Bitrate"] = br.into();
        parse(&v).unwrap().validate().unwrap();
    }
}

#[test]
fn codec_combinations() {
    let mut v = base();
    let dup = v["Codecs"][1].clone();
    v["Codecs"].as_array_mut().unwrap().push(dup);
    assert!(invalid_message(&v).contains("Codecs[2] is a second AACAudio"));
    let mut v = base();
    v["Codecs"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "Type": "CopyVideo" }));
    assert!(invalid_message(&v).contains("CopyVideo cannot be combined with H264Video"));
}

#[test]
fn output_patterns_are_checked() {
    let mut v = base();
    v["Outputs"][0]["FileName"] = "{Basename}_{Foo}.mp4".into();
    let msg = invalid_message(&v);
    assert!(
        msg.contains("Outputs[0].FileName") && msg.contains("{Foo}"),
        "{msg}"
    );
    let mut v = base();
    v["Outputs"][0]["FileName"] = "".into();
    assert!(invalid_message(&v).contains("Outputs[0].FileName is empty"));
}

#[test]
fn thumbnail_preset_from_the_docs() {
    let text = r#"{"Version":1.0,"Codecs":[{"PngLayers":[{"Type":"PngLayer","Width":"100%","Height":"100%"}],"Start":"{Best}","Type":"PngImage"}],"Outputs":[{"FileName":"{Basename}_{Index}{Extension}","Format":{"Type":"PngFormat"}}]}"#;
    let p = parse_json(text).unwrap();
    match &p.codecs[0] {
        Codec::PngImage(img) => {
            assert_eq!(img.start.as_deref(), Some("{Best}"));
            assert_eq!(img.layers[0].width, Size::Percent(100));
        }
        other => panic!("{other:?}"),
    }
    assert!(p.validate().unwrap().is_empty());
    assert_eq!(parse_json(&p.to_json_pretty().unwrap()).unwrap(), p);
    // Layers of the wrong kind, Quality outside JpgLayer, {Index} missing.
    assert!(parse_json(&text.replace("\"PngLayers\"", "\"JpgLayers\"")).is_err());
    assert!(parse_json(&text.replace("\"Type\":\"PngLayer\"", "\"Type\":\"JpgLayer\"")).is_err());
    let q = parse_json(&text.replace("\"Height\":\"100%\"", "\"Height\":\"100%\",\"Quality\":90"))
        .unwrap();
    assert!(q
        .validate()
        .unwrap_err()
        .to_string()
        .contains("only JpgLayer has Quality"));
    let no_index = parse_json(&text.replace("_{Index}", "")).unwrap();
    assert!(no_index
        .validate()
        .unwrap_err()
        .to_string()
        .contains("{Index}"));
    let jpg = r#"{"Version":1.0,"Codecs":[{"JpgLayers":[{"Type":"JpgLayer","Width":640,"Height":360,"Quality":90}],"Start":"5%","Step":"10%","Range":"96%","Type":"JpgImage"}],"Outputs":[{"FileName":"{Basename}_{Index}{Extension}","Format":{"Type":"JpgFormat"}}]}"#;
    parse_json(jpg).unwrap().validate().unwrap();
    let bad = parse_json(&jpg.replace("\"Quality\":90", "\"Quality\":101")).unwrap();
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("Quality 101"));
    let bad = parse_json(&jpg.replace("\"Step\":\"10%\"", "\"Step\":\"often\"")).unwrap();
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("Step \"often\""));
}

#[test]
fn subclip_preset_with_sources_and_copy_codecs() {
    let text = r#"{
      "Version": 1.0,
      "Sources": [ { "StartTime": "00:00:04", "Duration": "00:00:16",
                     "Streams": [ { "Type": "VideoStream", "Value": "TopBitrate" } ] } ],
      "Codecs": [ { "Type": "CopyVideo" }, { "Type": "CopyAudio" } ],
      "Outputs": [ { "FileName": "ArchiveTopBitrate_{Basename}.mp4", "Format": { "Type": "MP4Format" } } ]
    }"#;
    let p = parse_json(text).unwrap();
    assert_eq!(p.codecs, vec![Codec::CopyVideo, Codec::CopyAudio]);
    assert_eq!(p.sources[0].start_time, Some(TimeSpan::from_secs(4)));
    assert_eq!(p.sources[0].duration.unwrap().as_millis(), 16_000);
    assert_eq!(p.sources[0].streams[0].value, "TopBitrate");
    assert!(p.validate().unwrap().is_empty());
    let bad = text.replace("\"Duration\"", "\"Length\"");
    assert!(parse_json(&bad)
        .unwrap_err()
        .to_string()
        .contains("`Length`"));
}

#[test]
fn configuration_strings_and_files() {
    assert_eq!(
        parse_configuration("H264 Single Bitrate 720p").unwrap(),
        system_preset("H264 Single Bitrate 720p").unwrap()
    );
    assert_eq!(
        parse_configuration(DOC_720P).unwrap(),
        parse_json(DOC_720P).unwrap()
    );
    assert!(matches!(
        parse_configuration("<Preset/>"),
        Err(PresetError::Xml { .. })
    ));
    assert!(matches!(
        parse_configuration("nope"),
        Err(PresetError::UnknownPreset { .. })
    ));

    let dir = std::env::temp_dir().join(format!("strata-preset-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("custom.json");
    std::fs::write(&json, format!("\u{feff}{DOC_720P}")).unwrap();
    assert_eq!(load_file(&json).unwrap(), parse_json(DOC_720P).unwrap());
    let utf16 = dir.join("custom16.preset");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(DOC_720P.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&utf16, bytes).unwrap();
    assert_eq!(load_file(&utf16).unwrap(), parse_json(DOC_720P).unwrap());
    let xml = dir.join("custom.xml");
    std::fs::write(&xml, "<Preset/>").unwrap();
    match load_file(&xml) {
        Err(PresetError::Xml { message, .. }) => {
            assert!(message.contains("Version"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        load_file(dir.join("missing.json")),
        Err(PresetError::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn file_name_of_the_system_pattern() {
    let p = system_preset("H264 Multiple Bitrate 720p").unwrap();
    let vars = FileNameVars {
        width: Some(1280),
        height: Some(720),
        video_bitrate: Some(3400),
        ..FileNameVars::new("clip")
    };
    assert_eq!(
        expand_file_name(&p.mp4_output().unwrap().file_name, &vars).unwrap(),
        "clip_1280x720_3400.mp4"
    );
    let hostile = FileNameVars {
        basename: "../../etc/passwd".into(),
        ..vars
    };
    let name = expand_file_name(&p.mp4_output().unwrap().file_name, &hostile).unwrap();
    assert!(!name.contains('/'));
    assert_eq!(std::path::Path::new(&name).components().count(), 1);
}

#[test]
fn unit_variants_reject_extra_keys() {
    let mut v = base();
    v["Codecs"].as_array_mut().unwrap().remove(0);
    v["Codecs"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "Type": "CopyVideo", "Extra": 1 }));
    assert!(parse(&v).unwrap_err().to_string().contains("`Extra`"));
    let mut w = base();
    w["Outputs"][0]["Format"]["Extra"] = 1.into();
    assert!(parse(&w).unwrap_err().to_string().contains("`Extra`"));
    // Without extra keys both still parse, and serialise back to the same JSON shape.
    let mut v = base();
    v["Codecs"][0] = serde_json::json!({ "Type": "CopyVideo" });
    let p = parse(&v).unwrap();
    assert_eq!(p.codecs[0], Codec::CopyVideo);
    let json: serde_json::Value = serde_json::from_str(&p.to_json_pretty().unwrap()).unwrap();
    assert_eq!(
        json["Codecs"][0],
        serde_json::json!({ "Type": "CopyVideo" })
    );
    assert_eq!(
        json["Outputs"][0]["Format"],
        serde_json::json!({ "Type": "MP4Format" })
    );
}
