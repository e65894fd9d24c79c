//! The main reference clips: moov at end vs faststart, MOV vs fragmented MP4, edit lists.
//! Expected numbers come from `ffprobe -v error -count_packets -show_entries
//! stream=time_base,nb_read_packets,start_pts,duration_ts` (FFmpeg 5.1) on the same files.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use strata_core::{CodecParams, Limits, Packet, Track, TrackKind};
use strata_demux::Demuxer;

fn open(p: &Path) -> Box<dyn Demuxer> {
    strata_demux::open(p, Limits::default()).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn packets(d: &dyn Demuxer, id: u32) -> Vec<Packet> {
    d.packets(id)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn video(d: &dyn Demuxer) -> &Track {
    d.tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Video)
        .unwrap()
}

#[test]
fn moov_at_end_and_faststart_are_identical() {
    let Some(m) = common::media() else { return };
    let a = open(&m.join("gen/h264_high_1080p30_aac_10s.mp4"));
    let b = open(&m.join("gen/h264_high_1080p30_aac_10s_faststart.mp4"));
    assert_eq!(a.format_name(), "mp4");
    assert_eq!(a.tracks(), b.tracks());
    assert_eq!(a.tracks().len(), 2);
    for t in a.tracks() {
        let pa = packets(a.as_ref(), t.id);
        let pb = packets(b.as_ref(), t.id);
        assert_eq!(pa.len() as u32, t.sample_count);
        assert!(pa == pb, "packet streams of track {} differ", t.id);
    }
}

#[test]
fn reference_video_timing() {
    let Some(m) = common::media() else { return };
    let d = open(&m.join("gen/h264_high_1080p30_aac_10s.mp4"));
    let v = video(d.as_ref()).clone();
    // ffprobe: time_base=1/15360, nb_read_packets=300, duration_ts=153600.
    assert_eq!(v.time_base.ticks_per_second(), 15360);
    assert_eq!(v.sample_count, 300);
    assert_eq!(v.duration, 153_600);
    let CodecParams::H264 { avcc, video } = &v.codec else {
        panic!("expected H.264, got {:?}", v.codec)
    };
    assert_eq!(avcc[0], 1, "avcC configurationVersion");
    assert_eq!(avcc[1], 100, "High profile");
    assert_eq!((video.width, video.height), (1920, 1080));
    assert_eq!(video.frame_rate.map(|r| (r.num(), r.den())), Some((30, 1)));
    assert_eq!((video.pixel_aspect.num(), video.pixel_aspect.den()), (1, 1));
    let edits = v.edits.expect("x264 B-frame delay edit");
    assert_eq!((edits.empty_duration, edits.media_time), (0, 1024));

    let p = packets(d.as_ref(), v.id);
    assert_eq!(p.len(), 300);
    // Keyframes (closed 2 s GOP) land on the 0/2/4/6/8 s grid once the edit list is applied.
    let key_times: Vec<i64> = p
        .iter()
        .filter(|p| p.keyframe)
        .map(|p| v.presentation_time(p.pts))
        .collect();
    assert_eq!(key_times, vec![0, 30_720, 61_440, 92_160, 122_880]);
    // B-frames: composition differs from decode order for some packets.
    assert!(p.iter().any(|p| p.pts != p.dts));
    assert!(p.windows(2).all(|w| w[1].dts == w[0].dts + 512));
    assert!(p.iter().all(|p| p.duration == 512));
    let pts: BTreeSet<i64> = p.iter().map(|p| p.pts).collect();
    let expected: BTreeSet<i64> = (0..300).map(|k| k * 512 + 1024).collect();
    assert_eq!(pts, expected);
    // Samples stay length-prefixed: the first 4 bytes are a NAL length inside the sample.
    let first = &p[0].data;
    let nal_len = u32::from_be_bytes([first[0], first[1], first[2], first[3]]) as usize;
    assert!(nal_len + 4 <= first.len());
}

#[test]
fn reference_audio() {
    let Some(m) = common::media() else { return };
    let d = open(&m.join("gen/h264_high_1080p30_aac_10s.mp4"));
    let a = d
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap();
    // ffprobe: time_base=1/48000, nb_read_packets=470.
    assert_eq!(a.time_base.ticks_per_second(), 48000);
    assert_eq!(a.sample_count, 470);
    let CodecParams::Aac {
        asc,
        object_type,
        audio,
    } = &a.codec
    else {
        panic!("expected AAC, got {:?}", a.codec)
    };
    assert_eq!(*object_type, 0x40);
    assert_eq!(&asc[..2], &[0x11, 0x90]);
    assert_eq!((audio.channels, audio.sample_rate), (2, 48000));
    let p = packets(d.as_ref(), a.id);
    assert_eq!(p.len(), 470);
    assert!(p.iter().all(|p| p.keyframe && p.pts == p.dts));
}

#[test]
fn mov_and_fragmented_give_the_same_video() {
    let Some(m) = common::media() else { return };
    let mov = open(&m.join("gen/h264_high_1080p30_aac_4s.mov"));
    let frag = open(&m.join("gen/h264_high_1080p30_aac_4s_fragmented.mp4"));
    assert_eq!(mov.format_name(), "mov");
    assert_eq!(frag.format_name(), "mp4");
    // ffprobe -count_packets: 122 video and 189 audio packets in both files.
    for d in [&mov, &frag] {
        let counts: Vec<u32> = d.tracks().iter().map(|t| t.sample_count).collect();
        assert_eq!(counts, vec![122, 189]);
    }
    let vm = video(mov.as_ref());
    let vf = video(frag.as_ref());
    assert_eq!(vm.codec, vf.codec);
    // ffprobe duration_ts=62464 for both video streams.
    assert_eq!((vm.duration, vf.duration), (62_464, 62_464));
    let pm = packets(mov.as_ref(), vm.id);
    let pf = packets(frag.as_ref(), vf.id);
    assert_eq!((pm.len(), pf.len()), (122, 122));
    for (a, b) in pm.iter().zip(&pf) {
        assert_eq!(a.data, b.data);
        assert_eq!(a.keyframe, b.keyframe);
        assert_eq!(a.pts - a.dts, b.pts - b.dts);
    }
    // I/P/B = 3/48/71 per ffprobe: three keyframes, known from the trun sample flags.
    assert_eq!(pf.iter().filter(|p| p.keyframe).count(), 3);
    // No edit list in the fragmented file: ffprobe start_pts=1024 is the first pts itself.
    assert_eq!(vf.edits, None);
    assert_eq!(pf.iter().map(|p| p.pts).min(), Some(1024));
    // The fragmented audio: ffprobe duration_ts=195712.
    let af = frag
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap();
    assert_eq!(af.duration, 195_712);
    assert_eq!(packets(frag.as_ref(), af.id).len(), 189);
}

#[test]
fn empty_edit_delays_video_by_half_a_second() {
    let Some(m) = common::media() else { return };
    let d = open(&m.join("gen/video_starts_0.5s_after_audio.mp4"));
    let v = video(d.as_ref()).clone();
    let e = v.edits.unwrap();
    assert_eq!(v.movie_time_base.ticks_per_second(), 1000);
    assert_eq!(e.empty_duration, 500, "0.5 s in movie ticks");
    assert_eq!(e.media_time, 1024);
    assert_eq!(e.segment_duration, 3000);
    let p = packets(d.as_ref(), v.id);
    let first = p.iter().map(|p| v.presentation_time(p.pts)).min().unwrap();
    // ffprobe start_pts=7680 (0.5 s at 1/15360).
    assert_eq!(first, 7680);
    let a = d
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap();
    assert_eq!(a.edits.unwrap().empty_duration, 0);
}

#[test]
fn start_at_ten_seconds() {
    let Some(m) = common::media() else { return };
    let d = open(&m.join("gen/start_at_10s_3s.mp4"));
    let v = video(d.as_ref()).clone();
    assert_eq!(v.edits.unwrap().empty_duration, 10_000);
    let p = packets(d.as_ref(), v.id);
    let first = p.iter().map(|p| v.presentation_time(p.pts)).min().unwrap();
    // ffprobe start_pts=153600 (10 s at 1/15360).
    assert_eq!(first, 153_600);
    let a = d
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap()
        .clone();
    let pa = packets(d.as_ref(), a.id);
    // ffprobe start_pts=478944 (9.978 s at 1/48000): the AAC priming stays before video.
    assert_eq!(a.presentation_time(pa[0].pts), 478_944);
}

#[test]
fn iterators_run_in_parallel() {
    let Some(m) = common::media() else { return };
    let d: std::sync::Arc<dyn Demuxer> =
        open(&m.join("gen/h264_high_1080p30_aac_10s_faststart.mp4")).into();
    let handles: Vec<_> = d
        .tracks()
        .iter()
        .map(|t| {
            let it = d.packets(t.id).unwrap();
            std::thread::spawn(move || it.map(|p| p.unwrap().data.len()).sum::<usize>())
        })
        .collect();
    let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(total > 2_000_000 && total < 2_687_061);
    assert!(matches!(
        d.packets(99),
        Err(strata_demux::DemuxError::UnknownTrack(99))
    ));
}
