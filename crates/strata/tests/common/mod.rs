//! Helpers shared by the end-to-end tests: reading outputs back, decoding, PSNR, ffmpeg.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use strata::core::{CodecParams, Frame, Packet, Track, TrackKind};

pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

pub fn testmedia(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testmedia")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "skipping: {} is absent (shared test media not on this machine)",
            p.display()
        );
        None
    }
}

pub struct Media {
    pub demux: Box<dyn strata_demux::Demuxer>,
}

impl Media {
    pub fn open(p: &Path) -> Self {
        Self {
            demux: strata_demux::open(p, Default::default()).expect("output opens"),
        }
    }
    pub fn track(&self, kind: TrackKind) -> Option<Track> {
        self.demux.tracks().iter().find(|t| t.kind == kind).cloned()
    }
    pub fn packets(&self, t: &Track) -> Vec<Packet> {
        self.demux
            .packets(t.id)
            .unwrap()
            .map(|p| p.expect("packet reads"))
            .collect()
    }
    /// Decodes the video track, frames in display order.
    pub fn decode_each(&self, mut f: impl FnMut(Frame)) -> usize {
        let t = self.track(TrackKind::Video).expect("video track");
        let avcc = match &t.codec {
            CodecParams::H264 { avcc, .. } => avcc.clone(),
            c => panic!("not H.264: {c:?}"),
        };
        let mut d = strata_h264::Decoder::new(&avcc).expect("decoder");
        let mut n = 0;
        for p in self.demux.packets(t.id).unwrap() {
            if let Some(fr) = d.decode(&p.unwrap()).expect("decodes cleanly") {
                n += 1;
                f(fr);
            }
        }
        for fr in d.flush().unwrap() {
            n += 1;
            f(fr);
        }
        n
    }
}

pub fn luma_psnr(a: &Frame, b: &Frame) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let mut se = 0f64;
    for y in 0..a.height as usize {
        for (p, q) in a.planes[0].row(y).iter().zip(b.planes[0].row(y)) {
            let d = f64::from(*p) - f64::from(*q);
            se += d * d;
        }
    }
    let mse = se / f64::from(a.width * a.height);
    10.0 * (255.0f64 * 255.0 / mse.max(1e-6)).log10()
}

/// Runs `ffmpeg -v error -i F -f null -` when ffmpeg exists: Some(stderr) or None if absent.
pub fn ffmpeg_decode_errors(p: &Path) -> Option<String> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-v", "error", "-i"])
        .arg(p)
        .args(["-f", "null", "-"])
        .output();
    match out {
        Ok(o) => Some(format!(
            "{}{}",
            String::from_utf8_lossy(&o.stderr),
            if o.status.success() {
                ""
            } else {
                "(non-zero exit)"
            }
        )),
        Err(_) => {
            eprintln!("ffmpeg not installed: independent decode check skipped");
            None
        }
    }
}

/// Nothing named like our temporary folders is left in `dir`.
pub fn no_leftovers(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !n.contains(".strata-tmp-") && !n.contains(".strata-old-"),
            "leftover {n}"
        );
        assert!(!n.ends_with(".mdat.tmp"), "leftover {n}");
    }
}

/// Decodes the video track of `m` in display order, handing each frame to `f` until it returns
/// false (so a long input need not be decoded to its end). Returns the number of frames handed.
pub fn decode_while(m: &Media, mut f: impl FnMut(Frame) -> bool) -> usize {
    let t = m.track(TrackKind::Video).expect("video track");
    let avcc = match &t.codec {
        CodecParams::H264 { avcc, .. } => avcc.clone(),
        c => panic!("not H.264: {c:?}"),
    };
    let mut d = strata_h264::Decoder::new(&avcc).expect("decoder");
    let mut n = 0;
    for p in m.demux.packets(t.id).unwrap() {
        if let Some(fr) = d.decode(&p.unwrap()).expect("decodes cleanly") {
            n += 1;
            if !f(fr) {
                return n;
            }
        }
    }
    for fr in d.flush().unwrap() {
        n += 1;
        if !f(fr) {
            return n;
        }
    }
    n
}

/// The first `n` pictures of `path` that the presentation shows (pictures hidden by the edit
/// list dropped), in display order.
pub fn shown_frames(path: &Path, n: usize) -> Vec<Frame> {
    let m = Media::open(path);
    let t = m.track(TrackKind::Video).expect("video track");
    let mut out = Vec::new();
    decode_while(&m, |f| {
        if t.presentation_time(f.pts) >= 0 {
            out.push(f);
        }
        out.len() < n
    });
    out
}
