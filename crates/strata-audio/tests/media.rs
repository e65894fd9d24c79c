//! Decoding and transcoding real media. Tests that need ffmpeg or the shared test media skip
//! with a printed reason when it is absent.

use std::path::{Path, PathBuf};
use std::process::Command;
use strata_audio::{
    open_audio_file, AudioError, BlockSource, Pipeline, TrackDecoder, TranscodeConfig,
};
use strata_core::{CodecParams, Limits, TrackKind};

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn shared(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testmedia/gen")
        .join(name);
    if p.exists() {
        Some(p)
    } else {
        println!("SKIP: shared test media {} is absent", p.display());
        None
    }
}

fn has(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("SKIP: {tool} not found");
    }
    ok
}

/// The first audio track of an MP4, decoded and trimmed: (pcm, rate, channels, presented).
fn decode_mp4(path: &Path) -> (Vec<f32>, u32, u16, Option<i64>) {
    let demux = strata_demux::open(path, Limits::default()).unwrap();
    let track = demux
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap()
        .clone();
    let mut dec = TrackDecoder::new(&track, demux.packets(track.id).unwrap()).unwrap();
    let (rate, ch, presented) = (dec.sample_rate(), dec.channels(), dec.presented_samples());
    let mut pcm = Vec::new();
    let mut next_pts = 0;
    while let Some(b) = dec.next_block().unwrap() {
        assert_eq!(b.pts, next_pts, "blocks are contiguous from presentation 0");
        next_pts += b.frames() as i64;
        pcm.extend(b.samples);
    }
    (pcm, rate, ch, presented)
}

fn ffprobe_duration_ts(path: &Path) -> Option<i64> {
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
        .args(["stream=duration_ts", "-of", "default=nw=1:nk=1"])
        .arg(path)
        .output()
        .ok()?;
    String::from_utf8_lossy(&o.stdout).trim().parse().ok()
}

/// ffmpeg's decode as interleaved f32 in its native layout (WAV order for 5.1).
fn ffmpeg_pcm(path: &Path, extra: &[&str]) -> Vec<f32> {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(extra)
        .args(["-f", "f32le", "-"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn snr_db(reference: &[f32], test: &[f32]) -> f64 {
    let (mut s, mut e) = (0.0f64, 0.0f64);
    for (r, t) in reference.iter().zip(test) {
        s += f64::from(*r).powi(2);
        e += f64::from(r - t).powi(2);
    }
    10.0 * (s / e.max(1e-30)).log10()
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

#[test]
fn aac_track_decodes_to_exact_presented_duration() {
    let path = repo_file("testdata/testsrc2_1080p30_aac_10s.mp4");
    let (pcm, rate, ch, presented) = decode_mp4(&path);
    let frames = pcm.len() / usize::from(ch);
    println!(
        "decoded {frames} frames @ {rate} Hz x {ch}, edit list says {presented:?}, rms {:.4}",
        rms(&pcm)
    );
    assert_eq!((rate, ch), (48_000, 2));
    assert_eq!(Some(frames as i64), presented);
    assert!(rms(&pcm) > 0.01, "content is not silent");
    if has("ffprobe") {
        let d = ffprobe_duration_ts(&path).unwrap();
        println!("ffprobe duration_ts {d}");
        assert_eq!(frames as i64, d);
    }
    if has("ffmpeg") {
        let reference = ffmpeg_pcm(&path, &["-ac", "2"]);
        // ffmpeg applies the edit list's start but not its end, so it has the padding too.
        assert!(reference.len() >= pcm.len());
        let snr = snr_db(&reference[..pcm.len()], &pcm);
        println!("SNR vs ffmpeg decode: {snr:.1} dB");
        assert!(snr > 40.0, "{snr}");
    }
}

#[test]
fn aac_51_and_mono_decode_match_ffmpeg() {
    for (name, want_ch, want_rate) in [
        ("audio_5.1_aac_640x360_4s.mp4", 6u16, 48_000u32),
        ("sd_640x480_main_aac_mono44k_5s.mp4", 1, 44_100),
        ("audio_only_aac_stereo44k_5s.m4a", 2, 44_100),
    ] {
        let Some(path) = shared(name) else { return };
        let (pcm, rate, ch, presented) = decode_mp4(&path);
        let frames = pcm.len() / usize::from(ch);
        assert_eq!((rate, ch), (want_rate, want_ch), "{name}");
        assert_eq!(
            Some(frames as i64),
            presented.or(Some(frames as i64)),
            "{name}"
        );
        if has("ffmpeg") {
            let reference = ffmpeg_pcm(&path, &[]);
            assert!(reference.len() >= pcm.len(), "{name}");
            for c in 0..usize::from(ch) {
                let r: Vec<f32> = reference
                    .iter()
                    .skip(c)
                    .step_by(usize::from(ch))
                    .copied()
                    .collect();
                let t: Vec<f32> = pcm
                    .iter()
                    .skip(c)
                    .step_by(usize::from(ch))
                    .copied()
                    .collect();
                if rms(&r) < 1e-4 {
                    assert!(rms(&t) < 1e-3, "{name} ch {c} should be silent");
                    continue;
                }
                let snr = snr_db(&r, &t);
                println!(
                    "{name} channel {c}: SNR vs ffmpeg {snr:.1} dB (rms {:.4})",
                    rms(&r)
                );
                assert!(snr > 40.0, "{name} ch {c}: {snr}");
            }
        }
    }
}

/// Generates a 2 s 440 Hz test file with ffmpeg; `None` (skip) without ffmpeg.
fn gen(dir: &Path, name: &str, args: &[&str]) -> Option<PathBuf> {
    let out = dir.join(name);
    let o = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=2:r=44100",
        ])
        .args(args)
        .arg(&out)
        .output()
        .ok()?;
    if !o.status.success() {
        println!(
            "SKIP {name}: ffmpeg could not make it: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        return None;
    }
    Some(out)
}

fn decode_file(path: &Path) -> (String, Vec<f32>, u32, u16) {
    let mut d = open_audio_file(path).unwrap();
    let (rate, ch) = (d.sample_rate(), d.channels());
    let mut pcm = Vec::new();
    while let Some(b) = d.next_block().unwrap() {
        pcm.extend(b.samples);
    }
    (d.codec().to_string(), pcm, rate, ch)
}

fn tone_freq(x: &[f32], rate: u32) -> f64 {
    let c: Vec<f64> = x
        .windows(2)
        .enumerate()
        .filter(|(_, w)| (w[0] < 0.0) != (w[1] < 0.0))
        .map(|(k, w)| k as f64 + f64::from(w[0]) / f64::from(w[0] - w[1]))
        .collect();
    (c.len() - 1) as f64 / 2.0 / ((c[c.len() - 1] - c[0]) / f64::from(rate))
}

#[test]
fn file_decoder_handles_common_formats() {
    if !has("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // (file, ffmpeg args, exact length expected?)
    let cases: [(&str, &[&str], bool); 6] = [
        ("s16.wav", &["-c:a", "pcm_s16le"], true),
        ("x.flac", &["-c:a", "flac"], true),
        ("x.mp3", &["-c:a", "libmp3lame", "-b:a", "128k"], false),
        ("x.ogg", &["-c:a", "libvorbis"], false),
        ("alac.m4a", &["-c:a", "alac"], true),
        ("adts.aac", &["-c:a", "aac", "-b:a", "128k"], false),
    ];
    for (name, args, exact) in cases {
        let Some(path) = gen(dir.path(), name, args) else {
            continue;
        };
        let (codec, pcm, rate, ch) = decode_file(&path);
        let frames = pcm.len() / usize::from(ch);
        // Away from the edges, where priming of untrimmed streams is near-silent noise.
        let f = tone_freq(&pcm[4096..frames - 4096], rate);
        println!(
            "{name}: codec {codec}, {frames} frames @ {rate} Hz x {ch}, tone {f:.2} Hz, rms {:.4}",
            rms(&pcm)
        );
        assert_eq!(rate, 44_100, "{name}");
        assert!((f - 440.0).abs() < 0.5, "{name}: {f}");
        if exact {
            assert_eq!(frames, 88_200, "{name}");
        } else {
            // Lossy codecs without sample-exact gapless signalling in the stream may keep
            // up to one frame of priming/padding.
            assert!(
                (frames as i64 - 88_200).abs() <= 2048 + 576,
                "{name}: {frames}"
            );
        }
    }
}

#[test]
fn file_decoder_mp3_in_mp4_and_unsupported_codecs() {
    if let Some(p) = shared("h264_with_mp3_audio_2s.mp4") {
        let (codec, pcm, rate, ch) = decode_file(&p);
        println!(
            "mp3-in-mp4: {codec}, {} frames @ {rate} x {ch}",
            pcm.len() / usize::from(ch)
        );
        assert_eq!(codec, "mp3");
        assert!(pcm.len() / usize::from(ch) > rate as usize);
    }
    if let Some(p) = shared("h264_with_opus_audio_2s.mp4") {
        let e = open_audio_file(&p).unwrap_err();
        println!("opus: {e}");
        assert!(
            matches!(e, AudioError::UnsupportedCodec { ref name } if name == "Opus"),
            "{e}"
        );
    }
    if has("ffmpeg") {
        let dir = tempfile::tempdir().unwrap();
        if let Some(p) = gen(dir.path(), "ac3.mp4", &["-c:a", "ac3"]) {
            let e = open_audio_file(&p).unwrap_err();
            println!("ac3: {e}");
            assert!(
                matches!(e, AudioError::UnsupportedCodec { ref name } if name == "AC-3"),
                "{e}"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"definitely not audio, just some bytes").unwrap();
    assert!(matches!(
        open_audio_file(&junk),
        Err(AudioError::NoAudio { .. })
    ));
}

fn transcode_mp4(
    path: &Path,
    config: &TranscodeConfig,
) -> (
    Vec<strata_core::Packet>,
    u64,
    Vec<u8>,
    PathBuf,
    tempfile::TempDir,
) {
    let demux = strata_demux::open(path, Limits::default()).unwrap();
    let track = demux
        .tracks()
        .iter()
        .find(|t| matches!(t.codec, CodecParams::Aac { .. }))
        .unwrap()
        .clone();
    let dec = TrackDecoder::new(&track, demux.packets(track.id).unwrap()).unwrap();
    let mut pipe = Pipeline::new(dec, config).unwrap();
    let mut packets = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let adts = dir.path().join("out.aac");
    let mut bytes = Vec::new();
    while let Some(p) = pipe.next_packet().unwrap() {
        bytes.extend(pipe.transcoder().adts_frame(&p));
        packets.push(p);
    }
    std::fs::write(&adts, &bytes).unwrap();
    let t = pipe.transcoder();
    (
        packets,
        t.presented_samples(),
        t.audio_specific_config(),
        adts,
        dir,
    )
}

fn ffmpeg_decodes_cleanly(adts: &Path) -> usize {
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(adts)
        .args(["-f", "f32le", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.trim().is_empty(), "ffmpeg: {err}");
    o.stdout.len() / 4
}

#[test]
fn transcode_to_44k_mono_64k() {
    let path = repo_file("testdata/testsrc2_1080p30_aac_10s.mp4");
    let config = TranscodeConfig {
        sample_rate: 44_100,
        channels: 1,
        bitrate_bps: 64_000,
        ..Default::default()
    };
    let (packets, presented, asc, adts, _dir) = transcode_mp4(&path, &config);
    println!(
        "{} packets, presented {presented} samples, asc {asc:02x?}",
        packets.len()
    );
    assert_eq!(asc, vec![0x12, 0x08]);
    // 10 s at 44.1 kHz, within one sample of the exact ratio.
    assert!((presented as i64 - 441_000).abs() <= 1, "{presented}");
    // One frame of priming plus the frames covering the input.
    assert_eq!(packets.len() as u64, presented.div_ceil(1024) + 1);
    for (k, p) in packets.iter().enumerate() {
        assert_eq!(p.pts, k as i64 * 1024 - 1024);
        assert_eq!(p.duration, 1024);
    }
    let covered = packets.len() as i64 * 1024 - 1024;
    assert!(covered >= presented as i64 && covered - (presented as i64) < 1024);
    let bits: usize = packets.iter().map(|p| p.data.len() * 8).sum();
    let kbps = bits as f64 / (packets.len() as f64 * 1024.0 / 44_100.0) / 1000.0;
    println!("bitrate {kbps:.1} kb/s");
    assert!((kbps - 64.0).abs() < 64.0 * 0.05, "{kbps}");
    if has("ffmpeg") {
        let n = ffmpeg_decodes_cleanly(&adts);
        println!("ffmpeg decoded {n} samples from ADTS");
        assert_eq!(n, packets.len() * 1024);
    }
}

#[test]
fn transcode_51_to_stereo() {
    let Some(path) = shared("audio_5.1_aac_640x360_4s.mp4") else {
        return;
    };
    let config = TranscodeConfig::default();
    let (packets, presented, asc, adts, _dir) = transcode_mp4(&path, &config);
    println!(
        "5.1 → stereo: {} packets, {presented} samples",
        packets.len()
    );
    assert_eq!(asc, vec![0x11, 0x90]);
    assert_eq!(presented, 192_000);
    assert_eq!(packets.len() as u64, presented.div_ceil(1024) + 1);
    if has("ffmpeg") {
        let n = ffmpeg_decodes_cleanly(&adts);
        assert_eq!(n, packets.len() * 1024 * 2);
    }
}
