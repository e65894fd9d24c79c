//! Y4M input: the accepted 4:2:0 shape, and clean refusals naming the unsupported property.

mod common;

use strata_core::{CodecParams, Limits, TrackKind};
use strata_demux::DemuxError;

fn unsupported(path: &std::path::Path) -> String {
    match strata_demux::open(path, Limits::default()) {
        Err(DemuxError::UnsupportedY4m { what }) => what,
        Err(e) => panic!("{}: wrong error {e:?}", path.display()),
        Ok(_) => panic!("{}: must be refused", path.display()),
    }
}

#[test]
fn y4m_320x240_15_frames() {
    let Some(m) = common::media() else { return };
    let path = m.join("gen/y4m_420_320x240_15frames.y4m");
    let d = strata_demux::open(&path, Limits::default()).unwrap();
    assert_eq!(d.format_name(), "y4m");
    let t = &d.tracks()[0];
    assert_eq!(
        (t.id, t.kind, t.sample_count, t.duration),
        (1, TrackKind::Video, 15, 15)
    );
    assert_eq!(t.time_base.ticks_per_second(), 30);
    let CodecParams::RawYuv420 { video } = &t.codec else {
        panic!("expected raw video")
    };
    assert_eq!((video.width, video.height), (320, 240));
    assert_eq!(video.frame_rate.map(|r| (r.num(), r.den())), Some((30, 1)));
    assert_eq!((video.pixel_aspect.num(), video.pixel_aspect.den()), (1, 1));
    let packets: Vec<_> = d.packets(1).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(packets.len(), 15);
    let bytes = std::fs::read(&path).unwrap();
    let header_len = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    for (i, p) in packets.iter().enumerate() {
        assert_eq!(p.data.len(), 320 * 240 * 3 / 2);
        assert_eq!(
            (p.pts, p.dts, p.duration, p.keyframe),
            (i as i64, i as i64, 1, true)
        );
        let start = header_len + 6 + i * (115_200 + 6);
        assert_eq!(&bytes[start - 6..start], b"FRAME\n");
        assert!(p.data == bytes[start..start + 115_200], "frame {i} bytes");
    }
    assert!(matches!(d.packets(2), Err(DemuxError::UnknownTrack(2))));
}

#[test]
fn y4m_refusals_name_the_problem() {
    let Some(m) = common::media() else { return };
    assert_eq!(
        unsupported(&m.join("gen/y4m_420_odd_161x91_10frames.y4m")),
        "odd size 161x91"
    );
    assert_eq!(
        unsupported(&m.join("gen/y4m_444_176x144_5frames.y4m")),
        "colourspace C444"
    );
    assert_eq!(
        unsupported(&m.join("gen/y4m_420p10_176x144_5frames.y4m")),
        "10-bit C420p10"
    );
}

fn write_y4m(
    name: &str,
    header: &str,
    frames: &[(&str, u8)],
    frame_size: usize,
) -> std::path::PathBuf {
    let mut b = header.as_bytes().to_vec();
    for (fh, fill) in frames {
        b.extend_from_slice(fh.as_bytes());
        b.extend(std::iter::repeat_n(*fill, frame_size));
    }
    let p = common::scratch(name);
    std::fs::write(&p, b).unwrap();
    p
}

#[test]
fn y4m_frame_parameters_ntsc_rate_and_aspect() {
    // 4x2: 8 luma + 2 + 2 chroma bytes per frame.
    let p = write_y4m(
        "params.y4m",
        "YUV4MPEG2 W4 H2 F30000:1001 Ip A10:11 C420mpeg2 XCOLORRANGE=LIMITED\n",
        &[("FRAME\n", 1), ("FRAME Ixyz\n", 2), ("FRAME\n", 3)],
        12,
    );
    let d = strata_demux::open(&p, Limits::default()).unwrap();
    let t = &d.tracks()[0];
    assert_eq!(t.sample_count, 3);
    assert_eq!(t.time_base.ticks_per_second(), 30000);
    assert_eq!(t.duration, 3003);
    let CodecParams::RawYuv420 { video } = &t.codec else {
        panic!()
    };
    assert_eq!(
        (video.pixel_aspect.num(), video.pixel_aspect.den()),
        (10, 11)
    );
    let pk: Vec<_> = d.packets(1).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        pk.iter().map(|p| p.pts).collect::<Vec<_>>(),
        vec![0, 1001, 2002]
    );
    assert_eq!(
        pk.iter().map(|p| p.data[0]).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

#[test]
fn y4m_truncated_and_interlaced() {
    let mut p = write_y4m(
        "trunc.y4m",
        "YUV4MPEG2 W4 H2 F25:1\n",
        &[("FRAME\n", 1), ("FRAME\n", 2)],
        12,
    );
    let mut bytes = std::fs::read(&p).unwrap();
    bytes.truncate(bytes.len() - 5);
    std::fs::write(&p, &bytes).unwrap();
    assert!(matches!(
        strata_demux::open(&p, Limits::default()),
        Err(DemuxError::Truncated { .. })
    ));
    p = write_y4m(
        "inter.y4m",
        "YUV4MPEG2 W4 H2 F25:1 Im\n",
        &[("FRAME\n", 1)],
        12,
    );
    assert!(unsupported(&p).contains("interlacing"));
    // Top/bottom field first is accepted and reported for the deinterlacer.
    for (tag, tff) in [("It", true), ("Ib", false)] {
        p = write_y4m(
            "tff.y4m",
            &format!("YUV4MPEG2 W4 H2 F25:1 {tag}\n"),
            &[("FRAME\n", 1)],
            12,
        );
        let d = strata_demux::open(&p, Limits::default()).unwrap();
        match &d.tracks()[0].codec {
            strata_core::CodecParams::RawYuv420 { video } => {
                assert_eq!(video.top_field_first, Some(tff))
            }
            other => panic!("{other:?}"),
        }
    }
    p = write_y4m("mono.y4m", "YUV4MPEG2 W4 H2 F25:1 Cmono\n", &[], 8);
    assert_eq!(unsupported(&p), "colourspace Cmono");
    p = write_y4m("norate.y4m", "YUV4MPEG2 W4 H2\n", &[], 8);
    assert!(matches!(
        strata_demux::open(&p, Limits::default()),
        Err(DemuxError::Malformed { .. })
    ));
    // No frames at all is a valid, empty stream.
    p = write_y4m("empty.y4m", "YUV4MPEG2 W4 H2 F25:1\n", &[], 12);
    let d = strata_demux::open(&p, Limits::default()).unwrap();
    assert_eq!(d.tracks()[0].sample_count, 0);
    assert_eq!(d.packets(1).unwrap().count(), 0);
}
