//! Hand-built ISO-BMFF files for the box shapes the generated media does not contain:
//! largesize and size-0 boxes, co64, stz2, ctts v1 (negative offsets), elst/mdhd v1, pasp,
//! a QuickTime v1 sound description with `wave` (C31), and multi-traf fragments that rely on
//! implicit data offsets and `trex` defaults (C28).

mod common;

use strata_core::{CodecParams, Limits, TrackKind};
use strata_demux::{DemuxError, Demuxer};

fn bx(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(typ);
    v.extend_from_slice(payload);
    v
}

fn full(typ: &[u8; 4], version: u8, flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = (u32::from(version) << 24 | flags).to_be_bytes().to_vec();
    p.extend_from_slice(payload);
    bx(typ, &p)
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn be32(v: u32) -> [u8; 4] {
    v.to_be_bytes()
}

fn mvhd() -> Vec<u8> {
    let mut p = vec![0u8; 8];
    p.extend_from_slice(&be32(1000));
    p.extend_from_slice(&[0u8; 84]);
    full(b"mvhd", 0, 0, &p)
}

fn tkhd(id: u32, w: u32, h: u32) -> Vec<u8> {
    let mut p = vec![0u8; 8];
    p.extend_from_slice(&be32(id));
    p.extend_from_slice(&[0u8; 4 + 4 + 8 + 8 + 36]);
    p.extend_from_slice(&be32(w << 16));
    p.extend_from_slice(&be32(h << 16));
    full(b"tkhd", 0, 7, &p)
}

fn mdhd_v1(timescale: u32, lang: &[u8; 3]) -> Vec<u8> {
    let mut p = vec![0u8; 16];
    p.extend_from_slice(&be32(timescale));
    p.extend_from_slice(&[0u8; 8]);
    let code = lang
        .iter()
        .fold(0u16, |acc, &c| (acc << 5) | u16::from(c - 0x60));
    p.extend_from_slice(&code.to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    full(b"mdhd", 1, 0, &p)
}

fn hdlr(kind: &[u8; 4]) -> Vec<u8> {
    let mut p = vec![0u8; 4];
    p.extend_from_slice(kind);
    p.extend_from_slice(&[0u8; 13]);
    full(b"hdlr", 0, 0, &p)
}

fn table(typ: &[u8; 4], version: u8, entries: &[&[u32]]) -> Vec<u8> {
    let mut p = be32(entries.len() as u32).to_vec();
    for e in entries {
        for v in *e {
            p.extend_from_slice(&be32(*v));
        }
    }
    full(typ, version, 0, &p)
}

fn avc1_entry() -> Vec<u8> {
    let mut p = vec![0u8; 6];
    p.extend_from_slice(&[0, 1]);
    p.extend_from_slice(&[0u8; 16]);
    p.extend_from_slice(&320u16.to_be_bytes());
    p.extend_from_slice(&240u16.to_be_bytes());
    p.extend_from_slice(&[0u8; 50]);
    p.extend(bx(b"avcC", &[1, 100, 0, 30, 0xFF, 0xE0, 0]));
    p.extend(bx(b"pasp", &[0, 0, 0, 4, 0, 0, 0, 3]));
    bx(b"avc1", &p)
}

/// A QuickTime SoundDescription v1 whose sample entry claims 2 channels and whose esds (inside
/// `wave`) says 5.1 at 48 kHz.
fn mp4a_qt_v1_entry() -> Vec<u8> {
    let mut p = vec![0u8; 6];
    p.extend_from_slice(&[0, 1]);
    p.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    p.extend_from_slice(&[0, 2, 0, 16, 0xFF, 0xFE, 0, 0]);
    p.extend_from_slice(&be32(48000 << 16));
    p.extend_from_slice(&[0u8; 16]);
    let asc = [0x11, 0xB0];
    let mut dcd = vec![0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    dcd.extend_from_slice(&[0x05, asc.len() as u8]);
    dcd.extend_from_slice(&asc);
    let mut es = vec![0, 1, 0, 0x04, dcd.len() as u8];
    es.extend_from_slice(&dcd);
    es.extend_from_slice(&[0x06, 1, 2]);
    let mut esds_p = vec![0x03, es.len() as u8];
    esds_p.extend_from_slice(&es);
    let wave = bx(
        b"wave",
        &cat(&[
            bx(b"frma", b"mp4a"),
            bx(b"mp4a", &[0, 0, 0, 0]),
            full(b"esds", 0, 0, &esds_p),
            vec![0, 0, 0, 8, 0, 0, 0, 0],
        ]),
    );
    p.extend(wave);
    p.extend(bx(b"chan", &[0u8; 12]));
    bx(b"mp4a", &p)
}

fn stsd(entry: Vec<u8>) -> Vec<u8> {
    let mut p = be32(1).to_vec();
    p.extend(entry);
    full(b"stsd", 0, 0, &p)
}

fn trak(
    id: u32,
    kind: &[u8; 4],
    timescale: u32,
    entry: Vec<u8>,
    stbl_rest: Vec<u8>,
    edts: Vec<u8>,
) -> Vec<u8> {
    let stbl = bx(b"stbl", &cat(&[stsd(entry), stbl_rest]));
    let minf = bx(b"minf", &stbl);
    let mdia = bx(
        b"mdia",
        &cat(&[mdhd_v1(timescale, b"eng"), hdlr(kind), minf]),
    );
    bx(b"trak", &cat(&[tkhd(id, 320, 240), edts, mdia]))
}

fn write(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = common::scratch(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn packets(d: &dyn Demuxer, id: u32) -> Vec<strata_core::Packet> {
    d.packets(id).unwrap().collect::<Result<_, _>>().unwrap()
}

/// ftyp + mdat (32-bit or largesize header) + moov, the moov pointing into the mdat.
fn progressive(largesize: bool, last_box_size_zero: bool) -> Vec<u8> {
    let ftyp = bx(b"ftyp", b"qt  \0\0\0\0qt  ");
    let video: Vec<u8> = (0..100u8).collect();
    let audio = [0xA0u8; 48];
    let mdat_header = if largesize { 16 } else { 8 };
    let data_start = (ftyp.len() + mdat_header) as u64;
    let mut mdat = Vec::new();
    if largesize {
        mdat.extend_from_slice(&be32(1));
        mdat.extend_from_slice(b"mdat");
        mdat.extend_from_slice(&((16 + 148) as u64).to_be_bytes());
    } else {
        mdat.extend_from_slice(&be32(8 + 148));
        mdat.extend_from_slice(b"mdat");
    }
    mdat.extend_from_slice(&video);
    mdat.extend_from_slice(&audio);

    // Video: 4 samples of 10/20/30/40 bytes in one chunk (co64), sizes in an 8-bit stz2.
    let mut stz2 = vec![0, 0, 0, 8];
    stz2.extend_from_slice(&be32(4));
    stz2.extend_from_slice(&[10, 20, 30, 40]);
    let mut co64 = be32(1).to_vec();
    co64.extend_from_slice(&data_start.to_be_bytes());
    let neg = (-512i32) as u32;
    let vstbl = cat(&[
        table(b"stts", 0, &[&[4, 512]]),
        table(b"ctts", 1, &[&[1, 1024], &[1, neg], &[1, 0], &[1, 512]]),
        table(b"stss", 0, &[&[1], &[3]]),
        full(b"stz2", 0, 0, &stz2),
        table(b"stsc", 0, &[&[1, 4, 1]]),
        full(b"co64", 0, 0, &co64),
    ]);
    // elst v1: a 0.5 s empty edit then media from 512.
    let mut elst = be32(2).to_vec();
    elst.extend_from_slice(&500u64.to_be_bytes());
    elst.extend_from_slice(&(-1i64).to_be_bytes());
    elst.extend_from_slice(&be32(0x0001_0000));
    elst.extend_from_slice(&2000u64.to_be_bytes());
    elst.extend_from_slice(&512i64.to_be_bytes());
    elst.extend_from_slice(&be32(0x0001_0000));
    let edts = bx(b"edts", &full(b"elst", 1, 0, &elst));
    // Audio: 3 samples of a constant 16 bytes in one chunk (stco).
    let astbl = cat(&[
        table(b"stts", 0, &[&[3, 1024]]),
        full(b"stsz", 0, 0, &cat(&[be32(16).to_vec(), be32(3).to_vec()])),
        table(b"stsc", 0, &[&[1, 3, 1]]),
        table(b"stco", 0, &[&[(data_start + 100) as u32]]),
    ]);
    let moov = bx(
        b"moov",
        &cat(&[
            mvhd(),
            trak(1, b"vide", 15360, avc1_entry(), vstbl, edts),
            trak(2, b"soun", 48000, mp4a_qt_v1_entry(), astbl, Vec::new()),
            trak(
                3,
                b"tmcd",
                25,
                bx(b"tmcd", &[0u8; 8]),
                Vec::new(),
                Vec::new(),
            ),
        ]),
    );
    let mut moov = moov;
    if last_box_size_zero {
        moov[..4].copy_from_slice(&[0, 0, 0, 0]);
    }
    cat(&[ftyp, mdat, moov])
}

fn check_progressive(d: &dyn Demuxer) {
    assert_eq!(d.format_name(), "mov");
    let t = d.tracks();
    assert_eq!(t.len(), 3);
    let v = &t[0];
    assert_eq!(
        (v.kind, v.sample_count, v.duration),
        (TrackKind::Video, 4, 2048)
    );
    assert_eq!(v.language, "eng");
    let e = v.edits.unwrap();
    assert_eq!(
        (e.empty_duration, e.media_time, e.segment_duration),
        (500, 512, 2000)
    );
    let CodecParams::H264 { avcc, video } = &v.codec else {
        panic!("{:?}", v.codec)
    };
    assert_eq!(avcc, &[1, 100, 0, 30, 0xFF, 0xE0, 0]);
    assert_eq!((video.width, video.height), (320, 240));
    assert_eq!((video.pixel_aspect.num(), video.pixel_aspect.den()), (4, 3));
    assert_eq!(video.frame_rate.map(|r| (r.num(), r.den())), Some((30, 1)));
    let p = packets(d, 1);
    let sizes: Vec<usize> = p.iter().map(|p| p.data.len()).collect();
    assert_eq!(sizes, vec![10, 20, 30, 40]);
    assert_eq!(p[1].data[0], 10, "second sample starts after the first");
    assert_eq!(
        p.iter().map(|p| p.dts).collect::<Vec<_>>(),
        vec![0, 512, 1024, 1536]
    );
    assert_eq!(
        p.iter().map(|p| p.pts).collect::<Vec<_>>(),
        vec![1024, 0, 1024, 2048]
    );
    assert_eq!(
        p.iter().map(|p| p.keyframe).collect::<Vec<_>>(),
        vec![true, false, true, false]
    );
    // Presentation: 0.5 s empty edit (7680 ticks at 15360) minus media_time 512.
    assert_eq!(v.presentation_time(p[1].pts), 7680 - 512);

    let a = &t[1];
    let CodecParams::Aac { audio, asc, .. } = &a.codec else {
        panic!("{:?}", a.codec)
    };
    assert_eq!(asc, &[0x11, 0xB0]);
    assert_eq!((audio.channels, audio.sample_rate), (6, 48000));
    let pa = packets(d, 2);
    assert_eq!(pa.len(), 3);
    assert!(pa.iter().all(|p| p.data == [0xA0; 16]));
    assert_eq!(t[2].kind, TrackKind::Other);
    assert_eq!(t[2].codec.name(), "tmcd");
}

#[test]
fn progressive_boxes_of_every_shape() {
    for (large, zero) in [(false, false), (true, false), (false, true), (true, true)] {
        let p = write(
            &format!("prog-{large}-{zero}.mov"),
            &progressive(large, zero),
        );
        let d = strata_demux::open(&p, Limits::default()).unwrap();
        check_progressive(d.as_ref());
        std::fs::remove_file(&p).ok();
    }
}

#[test]
fn progressive_without_moov_or_past_eof() {
    let full_file = progressive(false, false);
    // Cut inside the moov: the moov box itself is truncated.
    let p = write("cut-moov.mov", &full_file[..full_file.len() - 10]);
    assert!(matches!(
        strata_demux::open(&p, Limits::default()),
        Err(DemuxError::Truncated { .. })
    ));
    // Only ftyp + mdat.
    let mdat_end = 20 + 8 + 148;
    let p = write("no-moov.mov", &full_file[..mdat_end]);
    assert!(matches!(
        strata_demux::open(&p, Limits::default()),
        Err(DemuxError::NoMoov)
    ));
    let p = write("text.mp4", b"hello, this is not a video\n");
    assert!(matches!(
        strata_demux::open(&p, Limits::default()),
        Err(DemuxError::NotMedia)
    ));
    let p = write("empty.mp4", b"");
    assert!(matches!(
        strata_demux::open(&p, Limits::default()),
        Err(DemuxError::Empty)
    ));
}

/// Empty-moov fragmented file: one moof with two trafs that give no base offsets (the second
/// traf's data follows the first's), defaults from trex, first-sample flags.
fn fragmented() -> Vec<u8> {
    let ftyp = bx(b"ftyp", b"iso5\0\0\0\0iso5");
    let empty_tables = || {
        cat(&[
            table(b"stts", 0, &[]),
            table(b"stsc", 0, &[]),
            full(b"stsz", 0, 0, &[0u8; 8]),
            table(b"stco", 0, &[]),
        ])
    };
    let trex = |id: u32, dur: u32, size: u32, flags: u32| {
        full(
            b"trex",
            0,
            0,
            &cat(&[
                be32(id).to_vec(),
                be32(1).to_vec(),
                be32(dur).to_vec(),
                be32(size).to_vec(),
                be32(flags).to_vec(),
            ]),
        )
    };
    let moov = bx(
        b"moov",
        &cat(&[
            mvhd(),
            trak(1, b"vide", 15360, avc1_entry(), empty_tables(), Vec::new()),
            trak(
                2,
                b"soun",
                48000,
                mp4a_qt_v1_entry(),
                empty_tables(),
                Vec::new(),
            ),
            bx(
                b"mvex",
                &cat(&[trex(1, 512, 0, 0x0001_0000), trex(2, 1024, 16, 0)]),
            ),
        ]),
    );
    let build_moof = |data_offset: u32| {
        let mut trun1 = be32(3).to_vec();
        trun1.extend_from_slice(&be32(data_offset));
        trun1.extend_from_slice(&be32(0x0200_0000));
        for s in [5u32, 6, 7] {
            trun1.extend_from_slice(&be32(s));
        }
        let traf1 = bx(
            b"traf",
            &cat(&[
                full(b"tfhd", 0, 0, &be32(1)),
                full(b"tfdt", 1, 0, &1000u64.to_be_bytes()),
                full(b"trun", 0, 0x205, &trun1),
            ]),
        );
        let traf2 = bx(
            b"traf",
            &cat(&[full(b"tfhd", 0, 0, &be32(2)), full(b"trun", 0, 0, &be32(2))]),
        );
        bx(
            b"moof",
            &cat(&[full(b"mfhd", 0, 0, &be32(1)), traf1, traf2]),
        )
    };
    let moof_len = build_moof(0).len() as u32;
    let moof = build_moof(moof_len + 8);
    let mut payload = vec![1u8; 5];
    payload.extend([2u8; 6]);
    payload.extend([3u8; 7]);
    payload.extend([0xA0u8; 32]);
    cat(&[
        ftyp,
        moov,
        moof,
        bx(b"mdat", &payload),
        bx(b"mfra", &[0u8; 8]),
    ])
}

#[test]
fn fragments_with_implicit_offsets_and_defaults() {
    let p = write("frag.mp4", &fragmented());
    let d = strata_demux::open(&p, Limits::default()).unwrap();
    assert_eq!(d.format_name(), "mp4");
    let v = &d.tracks()[0];
    assert_eq!((v.sample_count, v.duration), (3, 1536));
    let pv = packets(d.as_ref(), 1);
    assert_eq!(
        pv.iter().map(|p| p.data.clone()).collect::<Vec<_>>(),
        vec![vec![1; 5], vec![2; 6], vec![3; 7]]
    );
    assert_eq!(
        pv.iter().map(|p| p.dts).collect::<Vec<_>>(),
        vec![1000, 1512, 2024]
    );
    assert_eq!(
        pv.iter().map(|p| p.keyframe).collect::<Vec<_>>(),
        vec![true, false, false]
    );
    let a = &d.tracks()[1];
    assert_eq!((a.sample_count, a.duration), (2, 2048));
    let pa = packets(d.as_ref(), 2);
    assert!(pa.iter().all(|p| p.data == [0xA0; 16] && p.keyframe));
    assert_eq!(pa.iter().map(|p| p.dts).collect::<Vec<_>>(), vec![0, 1024]);
    std::fs::remove_file(&p).ok();
}
