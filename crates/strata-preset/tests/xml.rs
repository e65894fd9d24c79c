//! The MES XML preset form (reference §1.6, §1.7): parsing, writing, round trips, errors.

use strata_preset::*;

/// The §1.6 XML of "H264 Multiple Bitrate 720p", as printed in the MES documentation.
const DOC_720P_XML: &str = include_str!("fixtures/H264 Multiple Bitrate 720p.xml");

fn xml_error(text: &str) -> (String, String) {
    match parse_xml(text) {
        Err(PresetError::Xml { path, message, .. }) => (path, message),
        other => panic!("expected an XML error, got {other:?}"),
    }
}

/// A small valid XML preset to mutate in tests (one H.264 layer, AAC, one MP4 output).
fn base_xml() -> String {
    r#"<?xml version="1.0" encoding="utf-16"?>
<Preset xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Version="1.0" xmlns="http://www.windowsazure.com/media/encoding/Preset/2014/03">
  <Encoding>
    <H264Video>
      <KeyFrameInterval>00:00:02</KeyFrameInterval>
      <H264Layers>
        <H264Layer>
          <Bitrate>1000</Bitrate>
          <Width>640</Width>
          <Height>360</Height>
        </H264Layer>
      </H264Layers>
    </H264Video>
    <AACAudio>
      <Profile>AACLC</Profile>
      <Channels>2</Channels>
      <SamplingRate>48000</SamplingRate>
      <Bitrate>128</Bitrate>
    </AACAudio>
  </Encoding>
  <Outputs>
    <Output FileName="{Basename}_{Width}x{Height}_{VideoBitrate}.mp4">
      <MP4Format />
    </Output>
  </Outputs>
</Preset>"#
        .to_string()
}

/// The JSON twin of [`base_xml`].
fn base_json() -> serde_json::Value {
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

#[test]
fn doc_xml_equals_shipped_json() {
    let from_xml = parse_xml(DOC_720P_XML).unwrap();
    assert_eq!(
        from_xml,
        system_preset("H264 Multiple Bitrate 720p").unwrap()
    );
    assert_eq!(parse_configuration(DOC_720P_XML).unwrap(), from_xml);
}

#[test]
fn writer_reproduces_the_doc_xml() {
    // The doc wraps the root tag over two lines and declares utf-16 (it was a .NET string);
    // the writer puts the tag on one line and declares utf-8 (a Rust string). The rest is
    // byte-for-byte the documented text: names, order, attributes, `<Chapters />`.
    let expected = DOC_720P_XML
        .replace("encoding=\"utf-16\"", "encoding=\"utf-8\"")
        .replace("\n        Version=", " Version=");
    let written = system_preset_xml("H264 Multiple Bitrate 720p").unwrap();
    assert_eq!(written, expected);
}

#[test]
fn baseline_layers_write_the_xml_defaults() {
    // §1.3: the XML twins show Cabac on Auto/Main/High layers and BFrames 0 /
    // AdaptiveBFrame false on Baseline layers, where the JSON leaves the keys out.
    let xml = system_preset_xml("H264 Multiple Bitrate 16x9 for iOS").unwrap();
    let layers: Vec<&str> = xml.split("<H264Layer>").skip(1).collect();
    assert_eq!(layers.len(), 8);
    assert!(layers[0].contains("<Profile>High</Profile>"));
    assert!(layers[0].contains("<BFrames>3</BFrames>"));
    assert!(layers[0].contains("<EntropyMode>Cabac</EntropyMode>"));
    assert!(layers[0].contains("<Level>4</Level>"));
    let low = layers[7];
    assert!(low.contains("<Profile>Baseline</Profile>"), "{low}");
    assert!(low.contains("<BFrames>0</BFrames>"), "{low}");
    assert!(
        low.contains("<AdaptiveBFrame>false</AdaptiveBFrame>"),
        "{low}"
    );
    assert!(low.contains("<EntropyMode>Cavlc</EntropyMode>"), "{low}");
    assert!(xml.contains("<KeyFrameInterval>00:00:03</KeyFrameInterval>"));
    assert!(xml.contains("<Profile>HEAACV2</Profile>"));
    // … and reading it back gives the JSON model (absent keys), not Some(0)/Some(false).
    let back = parse_xml(&xml).unwrap();
    let low = &back.h264_video().unwrap().h264_layers[7];
    assert_eq!((low.b_frames, low.adaptive_b_frame), (None, None));
}

#[test]
fn single_bitrate_writes_scene_change_detection_after_key_frame_interval() {
    let xml = system_preset_xml("H264 Single Bitrate 720p").unwrap();
    assert!(xml.contains(
        "      <KeyFrameInterval>00:00:02</KeyFrameInterval>\n      <SceneChangeDetection>true</SceneChangeDetection>\n      <H264Layers>\n"
    ));
    assert!(xml.contains("      </H264Layers>\n      <Chapters />\n    </H264Video>\n"));
    let mbr = system_preset_xml("H264 Multiple Bitrate 1080p").unwrap();
    assert!(!mbr.contains("SceneChangeDetection"));
}

#[test]
fn every_system_preset_round_trips_both_ways() {
    let names: Vec<&str> = system_preset_names().chain(legacy_preset_names()).collect();
    assert_eq!(names.len(), 27 + 19);
    for name in names {
        let model = system_preset(name).unwrap();
        // JSON → model → XML → model.
        let xml = model.to_xml().unwrap();
        let from_xml = parse_xml(&xml).unwrap_or_else(|e| panic!("{name}: {e}\n{xml}"));
        assert_eq!(from_xml, model, "{name}");
        // XML → JSON → model.
        let json = from_xml.to_json_pretty().unwrap();
        assert_eq!(parse_json(&json).unwrap(), model, "{name}");
        // And the XML writer is stable.
        assert_eq!(from_xml.to_xml().unwrap(), xml, "{name}");
        assert_eq!(system_preset_xml(name).unwrap(), xml, "{name}");
    }
}

#[test]
fn base_xml_equals_base_json() {
    let from_xml = parse_xml(&base_xml()).unwrap();
    let from_json = parse_json(&base_json().to_string()).unwrap();
    assert_eq!(from_xml, from_json);
    from_xml.validate().unwrap();
}

#[test]
fn namespaces_https_artefact_and_none_are_accepted() {
    let https = base_xml()
        .replace(
            "http://www.windowsazure.com",
            "https://www.windowsazure.com",
        )
        .replace("http://www.w3.org", "https://www.w3.org");
    assert_eq!(parse_xml(&https).unwrap(), parse_xml(&base_xml()).unwrap());
    let bare = base_xml().replace(
        " xmlns=\"http://www.windowsazure.com/media/encoding/Preset/2014/03\"",
        "",
    );
    assert_eq!(parse_xml(&bare).unwrap(), parse_xml(&base_xml()).unwrap());
    let other = base_xml().replace("windowsazure.com/media", "example.com/media");
    let (path, message) = xml_error(&other);
    assert_eq!(path, "Preset");
    assert!(message.contains("namespace"), "{message}");
}

#[test]
fn unknown_elements_and_attributes_name_the_path() {
    let cases = [
        (
            base_xml().replace("<Width>640</Width>", "<Widht>640</Widht>"),
            "Preset/Encoding/H264Video/H264Layers/H264Layer[1]/Widht",
            "`Widht`",
        ),
        (
            base_xml()
                .replace("<KeyFrameInterval>", "<KeyFrameIntervall>")
                .replace("</KeyFrameInterval>", "</KeyFrameIntervall>"),
            "Preset/Encoding/H264Video/KeyFrameIntervall",
            "`KeyFrameIntervall`",
        ),
        (
            base_xml().replace("<Channels>2</Channels>", "<SampleRate>2</SampleRate>"),
            "Preset/Encoding/AACAudio/SampleRate",
            "`SampleRate`",
        ),
        (
            base_xml()
                .replace("<H264Video>", "<H265Video>")
                .replace("</H264Video>", "</H265Video>"),
            "Preset/Encoding/H265Video",
            "`H265Video`",
        ),
        (
            base_xml().replace("<MP4Format />", "<AviFormat />"),
            "Preset/Outputs/Output[1]/AviFormat",
            "`AviFormat`",
        ),
        (
            base_xml().replace("<Output FileName", "<Output Filename=\"x\" FileName"),
            "Preset/Outputs/Output[1]/@Filename",
            "`Filename`",
        ),
        (
            base_xml().replace(
                "<AACAudio>",
                "<AACAudio Conditon=\"InsertSilenceIfNoAudio\">",
            ),
            "Preset/Encoding/AACAudio/@Conditon",
            "`Conditon`",
        ),
        (
            base_xml().replace("<Encoding>", "<Bogus />\n  <Encoding>"),
            "Preset/Bogus",
            "`Bogus`",
        ),
        (
            base_xml()
                .replace("<H264Layer>", "<PngLayer>")
                .replace("</H264Layer>", "</PngLayer>"),
            "Preset/Encoding/H264Video/H264Layers/PngLayer[1]",
            "`PngLayer`",
        ),
    ];
    for (text, want_path, want_in_message) in cases {
        let (path, message) = xml_error(&text);
        assert_eq!(path, want_path, "{message}");
        assert!(message.contains(want_in_message), "{message}");
    }
    // The Display form carries the position too.
    let err = parse_xml(&base_xml().replace("<Width>640</Width>", "<Widht>640</Widht>"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("invalid preset XML at line 9, column 11: Preset/Encoding/H264Video/H264Layers/H264Layer[1]/Widht: unknown element `Widht`"), "{err}");
}

#[test]
fn duplicate_and_missing_elements_are_errors() {
    let (path, message) = xml_error(&base_xml().replace(
        "<Bitrate>1000</Bitrate>",
        "<Bitrate>1000</Bitrate><Bitrate>900</Bitrate>",
    ));
    assert_eq!(
        path,
        "Preset/Encoding/H264Video/H264Layers/H264Layer[1]/Bitrate"
    );
    assert!(message.contains("duplicate"), "{message}");
    let (path, message) = xml_error(&base_xml().replace("<Bitrate>1000</Bitrate>", ""));
    assert_eq!(path, "Preset/Encoding/H264Video/H264Layers/H264Layer[1]");
    assert!(message.contains("missing element `Bitrate`"), "{message}");
    let (_, message) = xml_error(&base_xml().replace(" Version=\"1.0\"", ""));
    assert!(message.contains("`Version`"), "{message}");
    let (path, message) = xml_error(&base_xml().replace("<MP4Format />", ""));
    assert_eq!(path, "Preset/Outputs/Output[1]");
    assert!(message.contains("no format element"), "{message}");
    let (path, _) = xml_error("<Presets Version=\"5.0\" />");
    assert_eq!(path, "Presets");
    let (path, message) = xml_error(&base_xml().replace("<Chapters />", "").replace(
        "</H264Layers>",
        "</H264Layers><Chapters><Chapter /></Chapters>",
    ));
    assert_eq!(path, "Preset/Encoding/H264Video/Chapters/Chapter");
    assert!(message.contains("`Chapter`"), "{message}");
}

#[test]
fn malformed_xml_reports_the_position() {
    match parse_xml("<Preset Version=\"1.0\">\n  <Encoding>\n</Preset>") {
        Err(PresetError::Xml {
            path,
            line,
            message,
            ..
        }) => {
            assert!(path.is_empty());
            assert_eq!(line, 3);
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_values_are_errors_naming_the_element() {
    let (path, message) = xml_error(&base_xml().replace("00:00:02", "two seconds"));
    assert_eq!(path, "Preset/Encoding/H264Video/KeyFrameInterval");
    assert!(message.contains("invalid time span"), "{message}");
    let (path, message) =
        xml_error(&base_xml().replace("<Width>640</Width>", "<Width>wide</Width>"));
    assert_eq!(
        path,
        "Preset/Encoding/H264Video/H264Layers/H264Layer[1]/Width"
    );
    assert!(message.contains("wide"), "{message}");
    let (path, message) = xml_error(&base_xml().replace("AACLC", "AAC-LD"));
    assert_eq!(path, "Preset/Encoding/AACAudio/Profile");
    assert!(message.contains("AAC-LD"), "{message}");
    let (path, _) = xml_error(&base_xml().replace(
        "<KeyFrameInterval>",
        "<SceneChangeDetection>yes</SceneChangeDetection><KeyFrameInterval>",
    ));
    assert_eq!(path, "Preset/Encoding/H264Video/SceneChangeDetection");
}

#[test]
fn sources_use_xs_duration_attributes() {
    let xml = base_xml().replace(
        "  <Encoding>",
        "  <Sources>\n    <Source StartTime=\"PT4S\" Duration=\"PT14S\" />\n  </Sources>\n  <Encoding>",
    );
    let p = parse_xml(&xml).unwrap();
    let mut json = base_json();
    json["Sources"] = serde_json::json!([{ "StartTime": "00:00:04", "Duration": "00:00:14" }]);
    assert_eq!(p, parse_json(&json.to_string()).unwrap());
    assert_eq!(p.sources[0].start_time, Some(TimeSpan::from_secs(4)));
    let written = p.to_xml().unwrap();
    assert!(
        written.contains("  <Sources>\n    <Source StartTime=\"PT4S\" Duration=\"PT14S\" />\n  </Sources>\n  <Encoding>\n"),
        "{written}"
    );
    assert_eq!(parse_xml(&written).unwrap(), p);

    // A bad duration names the attribute.
    let bad = xml.replace("PT14S", "PT14X");
    let (path, message) = xml_error(&bad);
    assert_eq!(path, "Preset/Sources/Source[1]/@Duration");
    assert!(message.contains("PT14X"), "{message}");
    let bad = xml.replace("PT4S", "-PT4S");
    let (path, _) = xml_error(&bad);
    assert_eq!(path, "Preset/Sources/Source[1]/@StartTime");
}

#[test]
fn subclip_sources_with_streams_and_copy_codecs() {
    let xml = r#"<Preset Version="1.0" xmlns="http://www.windowsazure.com/media/encoding/Preset/2014/03">
  <Sources>
    <Source StartTime="PT1M30S" Duration="PT10.5S">
      <Streams>
        <VideoStream>TopBitrate</VideoStream>
        <AudioStream>*</AudioStream>
      </Streams>
      <Filters>
        <Deinterlace>
          <Mode>Off</Mode>
        </Deinterlace>
      </Filters>
    </Source>
  </Sources>
  <Encoding>
    <CopyVideo />
    <CopyAudio />
  </Encoding>
  <Outputs>
    <Output FileName="ArchiveTopBitrate_{Basename}.mp4">
      <MP4Format />
    </Output>
  </Outputs>
</Preset>"#;
    let p = parse_xml(xml).unwrap();
    let json = serde_json::json!({
        "Version": 1.0,
        "Sources": [{
            "StartTime": "00:01:30", "Duration": "00:00:10.5",
            "Streams": [ { "Type": "VideoStream", "Value": "TopBitrate" }, { "Type": "AudioStream", "Value": "*" } ],
            "Filters": { "Deinterlace": { "Mode": "Off" } }
        }],
        "Codecs": [ { "Type": "CopyVideo" }, { "Type": "CopyAudio" } ],
        "Outputs": [ { "FileName": "ArchiveTopBitrate_{Basename}.mp4", "Format": { "Type": "MP4Format" } } ]
    });
    assert_eq!(p, parse_json(&json.to_string()).unwrap());
    p.validate().unwrap();
    let written = p.to_xml().unwrap();
    assert!(written.contains("<Source StartTime=\"PT1M30S\" Duration=\"PT10.5S\">"));
    assert!(written.contains("    <CopyVideo />\n    <CopyAudio />\n"));
    assert_eq!(parse_xml(&written).unwrap(), p);
    // Copy codecs take no content.
    let (path, _) = xml_error(&xml.replace(
        "<CopyVideo />",
        "<CopyVideo><Bitrate>1</Bitrate></CopyVideo>",
    ));
    assert_eq!(path, "Preset/Encoding/CopyVideo/Bitrate");
}

#[test]
fn thumbnail_codecs_use_attributes_for_timing() {
    let xml = r#"<?xml version="1.0" encoding="utf-16"?>
<Preset xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Version="1.0" xmlns="http://www.windowsazure.com/media/encoding/Preset/2014/03">
  <Encoding>
    <PngImage Start="5%" Step="10%" Range="96%" PreserveResolutionAfterRotation="true">
      <PngLayers>
        <PngLayer>
          <Width>100%</Width>
          <Height>100%</Height>
        </PngLayer>
        <PngLayer Condition="InsertBlackIfNoVideo">
          <Width>50%</Width>
          <Height>50%</Height>
        </PngLayer>
      </PngLayers>
    </PngImage>
    <JpgImage Start="{Best}">
      <JpgLayers>
        <JpgLayer>
          <Width>640</Width>
          <Height>360</Height>
          <Quality>90</Quality>
        </JpgLayer>
      </JpgLayers>
    </JpgImage>
  </Encoding>
  <Outputs>
    <Output FileName="{Basename}_{Resolution}_{Index}{Extension}">
      <PngFormat />
    </Output>
    <Output FileName="{Basename}_{Index}{Extension}">
      <JpgFormat />
    </Output>
  </Outputs>
</Preset>
"#;
    let p = parse_xml(xml).unwrap();
    let json = serde_json::json!({
        "Version": 1.0,
        "Codecs": [
            { "Type": "PngImage", "Start": "5%", "Step": "10%", "Range": "96%", "PreserveResolutionAfterRotation": true,
              "PngLayers": [ { "Type": "PngLayer", "Width": "100%", "Height": "100%" },
                             { "Type": "PngLayer", "Width": "50%", "Height": "50%", "Condition": "InsertBlackIfNoVideo" } ] },
            { "Type": "JpgImage", "Start": "{Best}",
              "JpgLayers": [ { "Type": "JpgLayer", "Width": 640, "Height": 360, "Quality": 90 } ] }
        ],
        "Outputs": [
            { "FileName": "{Basename}_{Resolution}_{Index}{Extension}", "Format": { "Type": "PngFormat" } },
            { "FileName": "{Basename}_{Index}{Extension}", "Format": { "Type": "JpgFormat" } }
        ]
    });
    assert_eq!(p, parse_json(&json.to_string()).unwrap());
    p.validate().unwrap();
    // Writing reproduces the input exactly apart from the declared encoding.
    assert_eq!(
        p.to_xml().unwrap(),
        xml.replace("encoding=\"utf-16\"", "encoding=\"utf-8\"")
    );
    // Quality is a JpgLayer element only.
    let (path, _) = xml_error(&xml.replace(
        "<Height>50%</Height>",
        "<Height>50%</Height><Quality>90</Quality>",
    ));
    assert_eq!(
        path,
        "Preset/Encoding/PngImage/PngLayers/PngLayer[2]/Quality"
    );
    // Layers of the wrong kind are rejected.
    let (path, _) = xml_error(
        &xml.replace("<JpgLayers>", "<PngLayers>")
            .replace("</JpgLayers>", "</PngLayers>"),
    );
    assert_eq!(path, "Preset/Encoding/JpgImage/PngLayers");
}

#[test]
fn conditions_are_attributes() {
    let xml = base_xml()
        .replace("<H264Video>", "<H264Video Condition=\"InsertBlackIfNoVideoBottomLayerOnly\">")
        .replace("<AACAudio>", "<AACAudio Condition=\"InsertSilenceIfNoAudio\">")
        .replace(
            "<Output FileName=\"{Basename}_{Width}x{Height}_{VideoBitrate}.mp4\">",
            "<Output FileName=\"{Basename}_{Width}x{Height}_{VideoBitrate}.mp4\" Condition=\"NonInterleaved\">",
        );
    let p = parse_xml(&xml).unwrap();
    let mut json = base_json();
    json["Codecs"][0]["Condition"] = "InsertBlackIfNoVideoBottomLayerOnly".into();
    json["Codecs"][1]["Condition"] = "InsertSilenceIfNoAudio".into();
    json["Outputs"][0]["Condition"] = "NonInterleaved".into();
    assert_eq!(p, parse_json(&json.to_string()).unwrap());
    let written = p.to_xml().unwrap();
    assert!(written.contains("<H264Video Condition=\"InsertBlackIfNoVideoBottomLayerOnly\">"));
    assert!(written.contains("<AACAudio Condition=\"InsertSilenceIfNoAudio\">"));
    assert_eq!(parse_xml(&written).unwrap(), p);
    // Non-default H264Video settings survive the round trip too.
    let mut json = base_json();
    json["Codecs"][0]["StretchMode"] = "AutoFit".into();
    json["Codecs"][0]["Complexity"] = "Speed".into();
    json["Codecs"][0]["TwoPass"] = true.into();
    json["Codecs"][0]["SyncMode"] = "Auto".into();
    json["Codecs"][0]["H264Layers"][0]["FrameRate"] = "30000/1001".into();
    json["Codecs"][0]["H264Layers"][0]["Slices"] = 2.into();
    json["Outputs"][0]["EnhancedServerManifest"] = true.into();
    let p = parse_json(&json.to_string()).unwrap();
    let written = p.to_xml().unwrap();
    assert!(written.contains(
        "      <TwoPass>true</TwoPass>\n      <KeyFrameInterval>00:00:02</KeyFrameInterval>\n      <StretchMode>AutoFit</StretchMode>\n      <Complexity>Speed</Complexity>\n      <SyncMode>Auto</SyncMode>\n"
    ), "{written}");
    assert_eq!(parse_xml(&written).unwrap(), p);
}

#[test]
fn odd_width_gives_the_same_validation_message_as_json() {
    let xml = base_xml().replace("<Width>640</Width>", "<Width>853</Width>");
    let mut json = base_json();
    json["Codecs"][0]["H264Layers"][0]["Width"] = 853.into();
    let from_xml = parse_xml(&xml).unwrap().validate().unwrap_err();
    let from_json = parse_json(&json.to_string())
        .unwrap()
        .validate()
        .unwrap_err();
    assert_eq!(from_xml.to_string(), from_json.to_string());
    assert_eq!(
        from_xml.to_string(),
        "Codecs[0].H264Layers[0].Width 853 is odd: layer sizes must be even"
    );
}

#[test]
fn utf16_files_with_bom_load() {
    let dir = std::env::temp_dir().join(format!("strata-preset-xml-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let expected = system_preset("H264 Multiple Bitrate 720p").unwrap();
    for (file, le) in [("le.xml", true), ("be.xml", false), ("le.preset", true)] {
        let mut bytes = if le {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for unit in DOC_720P_XML.encode_utf16() {
            bytes.extend(if le {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        let path = dir.join(file);
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(load_file(&path).unwrap(), expected, "{file}");
    }
    let path = dir.join("bom8.xml");
    std::fs::write(&path, format!("\u{feff}{DOC_720P_XML}")).unwrap();
    assert_eq!(load_file(&path).unwrap(), expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn system_preset_xml_by_name() {
    let xml = system_preset_xml(" h264 single bitrate 720p ").unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Preset "));
    assert!(xml.ends_with("</Preset>\n"));
    let audio = system_preset_xml("AAC Audio").unwrap();
    assert!(!audio.contains("H264Video"));
    assert!(audio.contains("<Output FileName=\"{Basename}_AAC_{AudioBitrate}.mp4\">"));
    assert!(matches!(
        system_preset_xml("H264 Multiple Bitrate 721p"),
        Err(PresetError::UnknownPreset { .. })
    ));
    let legacy = system_preset_xml("H264 Broadband SD 16x9").unwrap();
    assert!(legacy.contains("<Width>852</Width>"));
}
