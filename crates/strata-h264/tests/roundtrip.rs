//! Encode synthetic pictures, decode them with OpenH264, and compare against the source.

use strata_core::{Frame, Packet};
use strata_h264::{
    check_decodable, parse_avcc, Decoder, Encoder, EncoderConfig, EntropyMode, Profile, Speed, Sps,
};

fn picture(w: u32, h: u32, t: u32) -> Frame {
    let mut f = Frame::black(w, h).unwrap();
    for y in 0..h as usize {
        let row = f.planes[0].row_mut(y);
        for (x, p) in row.iter_mut().enumerate() {
            // A moving diagonal ramp plus a block pattern: smooth and edged content.
            let v = (x + y + 3 * t as usize) % 220 + ((x / 16 + y / 16) % 2) * 20;
            *p = (16 + v.min(219)) as u8;
        }
    }
    for c in 1..3 {
        for y in 0..(h / 2) as usize {
            let row = f.planes[c].row_mut(y);
            for (x, p) in row.iter_mut().enumerate() {
                *p = (96 + (x * c + y + t as usize) % 64) as u8;
            }
        }
    }
    f.pts = i64::from(t) * 1000;
    f.duration = 1000;
    f
}

fn psnr(a: &Frame, b: &Frame) -> f64 {
    let mut se = 0f64;
    let mut n = 0f64;
    for y in 0..a.height as usize {
        for (p, q) in a.planes[0].row(y).iter().zip(b.planes[0].row(y)) {
            let d = f64::from(*p) - f64::from(*q);
            se += d * d;
            n += 1.0;
        }
    }
    10.0 * (255.0 * 255.0 / (se / n).max(1e-9)).log10()
}

/// Every picture of an encoded stream, decoded by OpenH264.
fn decode_all(avcc: &[u8], packets: &[strata_h264::EncodedPacket]) -> Vec<Frame> {
    let mut dec = Decoder::new(avcc).unwrap();
    let mut out = Vec::new();
    for p in packets {
        let pkt = Packet {
            track_id: 1,
            data: p.data.clone(),
            dts: p.pts,
            pts: p.pts,
            duration: 1000,
            keyframe: p.keyframe,
        };
        out.extend(dec.decode(&pkt).unwrap());
    }
    out.extend(dec.flush().unwrap());
    out
}

fn config(profile: Profile) -> EncoderConfig {
    EncoderConfig {
        width: 320,
        height: 180,
        bitrate_bps: 800_000,
        max_bitrate_bps: 800_000,
        frame_rate: 30.0,
        profile,
        entropy: EntropyMode::Cabac,
        speed: Speed::Balanced,
        scene_change_detection: false,
        slices: 1,
    }
}

#[test]
fn encode_decode_round_trip_keeps_pictures_and_idr_grid() {
    for profile in [Profile::High, Profile::Baseline] {
        let mut enc = Encoder::new(config(profile)).unwrap();
        let mut packets = Vec::new();
        let sources: Vec<Frame> = (0..40).map(|t| picture(320, 180, t)).collect();
        for (i, f) in sources.iter().enumerate() {
            let p = enc.encode(f, i % 15 == 0).unwrap();
            assert_eq!(p.keyframe, i % 15 == 0, "frame {i} keyframe flag");
            packets.push(p);
        }
        let avcc = enc.avcc().unwrap().to_vec();
        let cfg = parse_avcc(&avcc).unwrap();
        let sps = Sps::parse(&cfg.sps[0]).unwrap();
        check_decodable(&sps).unwrap();
        assert_eq!((sps.width, sps.height), (320, 180));
        let want_profile = if profile == Profile::High { 100 } else { 66 };
        assert_eq!(sps.profile_idc, want_profile);

        let out = decode_all(&avcc, &packets);
        assert_eq!(out.len(), sources.len());
        for (s, d) in sources.iter().zip(&out) {
            assert_eq!(s.pts, d.pts);
            let q = psnr(s, d);
            assert!(q > 30.0, "{profile:?} pts {} psnr {q:.2}", s.pts);
        }
    }
}

#[test]
fn rejects_bad_configs() {
    let mut c = config(Profile::High);
    c.width = 321;
    assert!(Encoder::new(c.clone()).is_err());
    c.width = 4096;
    c.height = 2304;
    assert!(Encoder::new(c.clone()).is_err());
    let mut enc = Encoder::new(config(Profile::High)).unwrap();
    assert!(enc.encode(&picture(160, 90, 0), false).is_err());
}

#[test]
fn decoder_rejects_garbage_avcc() {
    assert!(Decoder::new(&[]).is_err());
    assert!(Decoder::new(&[1, 100, 0, 30, 0xff, 0xe1, 0, 40, 0x67]).is_err());
}

/// Slice NAL units (types 1 and 5) in a length-prefixed access unit.
fn slice_count(data: &[u8]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i + 4 < data.len() {
        let len = u32::from_be_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]) as usize;
        if matches!(data[i + 4] & 0x1f, 1 | 5) {
            n += 1;
        }
        i += 4 + len;
    }
    n
}

/// Two slices, each on its own OpenH264 thread: two slice NALs per picture, a stream that
/// decodes, and the same bytes on every run and while other encoders run beside it (thread
/// timing must never reach the output).
#[test]
fn sliced_encoding_is_deterministic() {
    let (w, h) = (640, 360);
    let sources: Vec<Frame> = (0..24).map(|t| picture(w, h, t)).collect();
    let run = || {
        let mut c = config(Profile::High);
        (c.width, c.height, c.bitrate_bps, c.max_bitrate_bps) = (w, h, 2_000_000, 2_000_000);
        c.slices = 2;
        let mut enc = Encoder::new(c).unwrap();
        let packets: Vec<_> = sources
            .iter()
            .enumerate()
            .map(|(i, f)| enc.encode(f, i % 12 == 0).unwrap())
            .collect();
        (enc.avcc().unwrap().to_vec(), packets)
    };
    let (avcc, first) = run();
    let concurrent: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..3).map(|_| s.spawn(run)).collect();
        hs.into_iter().map(|h| h.join().unwrap().1).collect()
    });
    for (k, again) in concurrent.iter().chain([&run().1]).enumerate() {
        let differ: Vec<usize> = (0..first.len()).filter(|&i| first[i] != again[i]).collect();
        assert!(differ.is_empty(), "run {k}: frames {differ:?} differ");
    }
    assert!(first.iter().all(|p| slice_count(&p.data) == 2));
    let out = decode_all(&avcc, &first);
    assert_eq!(out.len(), sources.len());
    for (s, d) in sources.iter().zip(&out) {
        let q = psnr(s, d);
        assert!(q > 30.0, "pts {} psnr {q:.2}", s.pts);
    }
    let mut bad = config(Profile::High);
    bad.slices = 5;
    assert!(Encoder::new(bad).is_err());
}
