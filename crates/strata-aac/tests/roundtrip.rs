//! Encode real signals, decode them with ffmpeg (an independent decoder), and check
//! decodability, length, delay-aligned SNR, bitrate accuracy and block switching.
//! Skipped with a message when `ffmpeg` is not on PATH.
//!
//! `STRATA_AAC_COMPARE=1` also encodes with ffmpeg's native AAC encoder and prints both SNRs;
//! `STRATA_AAC_EXPLORE=1` prints per-frame SNRs and does not enforce the quality floors.

use std::path::{Path, PathBuf};
use std::process::Command;
use strata_aac::{AacConfig, AacEncoder, AacPacket};

const SR: usize = 48_000;

fn ffmpeg_available() -> bool {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("ffmpeg not on PATH: skipping decode checks");
    }
    ok
}

struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }
}

/// Logarithmic sine sweep 20 Hz → 20 kHz, right channel attenuated and phase shifted.
fn sweep(secs: usize) -> Vec<f32> {
    let n = SR * secs;
    let (f0, f1) = (20.0f64, 20_000.0f64);
    let k = (f1 / f0).ln();
    let dur = secs as f64;
    let mut out = Vec::with_capacity(2 * n);
    for i in 0..n {
        let t = i as f64 / SR as f64;
        let ph = 2.0 * std::f64::consts::PI * f0 * dur / k * ((t / dur * k).exp() - 1.0);
        out.push((0.5 * ph.sin()) as f32);
        out.push((0.35 * (ph + 0.7).sin()) as f32);
    }
    out
}

/// Music-like: notes of 6 harmonics with attack/decay envelopes, a bass line, and
/// castanet-like clicks (decaying noise bursts) every 250 ms; partly correlated stereo.
fn music(secs: usize) -> Vec<f32> {
    use std::f64::consts::PI;
    let n = SR * secs;
    let mut rng = Rng(42);
    let notes = [
        220.0f64, 277.18, 329.63, 440.0, 369.99, 293.66, 246.94, 392.0,
    ];
    let mut out = Vec::with_capacity(2 * n);
    let mut click_env = 0.0f32;
    // Phases are computed in f64: an f32 sin(2π f t) at t ≈ 10 s carries −40 dB phase noise.
    for i in 0..n {
        let t = i as f64 / SR as f64;
        let note = (t / 0.5) as usize;
        let tn = t - note as f64 * 0.5;
        let f = notes[note % notes.len()];
        let env = (tn / 0.01).min(1.0) * (-tn * 3.0).exp();
        let mut v = 0.0;
        for h in 1..=6 {
            v += (2.0 * PI * f * h as f64 * t).sin() * 0.25 / (h * h) as f64;
        }
        let bass = 0.2 * (2.0 * PI * f / 4.0 * t).sin();
        if i % (SR / 4) == 1000 {
            click_env = 0.6;
        }
        let click = click_env * rng.uniform();
        click_env *= 0.985; // ≈ 1.5 ms time constant
        let l = (env * v + bass) as f32 + click;
        let r = (0.6 * env * v + bass + 0.05 * (2.0 * PI * 1000.0 * t).sin()) as f32 - 0.8 * click;
        out.push(l * 0.8);
        out.push(r * 0.8);
    }
    out
}

fn noise(secs: usize) -> Vec<f32> {
    let mut rng = Rng(7);
    (0..SR * secs * 2).map(|_| 0.3 * rng.uniform()).collect()
}

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("strata-aac-{}-{name}", std::process::id()))
}

fn encode(pcm: &[f32], cfg: AacConfig) -> (AacEncoder, Vec<AacPacket>) {
    let mut enc = AacEncoder::new(cfg).expect("config");
    let mut p = Vec::new();
    for chunk in pcm.chunks(3000) {
        p.extend(enc.encode(chunk).expect("encode"));
    }
    p.extend(enc.flush().expect("flush"));
    (enc, p)
}

fn write_adts(enc: &AacEncoder, packets: &[AacPacket], path: &Path) {
    let bytes: Vec<u8> = packets.iter().flat_map(|p| enc.adts_frame(p)).collect();
    std::fs::write(path, bytes).expect("write adts");
}

/// Decodes any audio file to interleaved f32 with ffmpeg; panics on any error output.
fn ffmpeg_decode(path: &Path, channels: usize) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "f32le", "-ac", &channels.to_string(), "-"])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg failed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.trim().is_empty(),
        "ffmpeg reported errors decoding {}: {err}",
        path.display()
    );
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// ffmpeg's native AAC encoder on the same PCM, for comparison.
fn ffmpeg_native(pcm: &[f32], kbps: u32, name: &str) -> Vec<f32> {
    let raw = tmp(&format!("{name}.f32"));
    let aac = tmp(&format!("{name}-native.aac"));
    std::fs::write(
        &raw,
        pcm.iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>(),
    )
    .expect("write raw");
    let st = Command::new("ffmpeg")
        .args([
            "-v", "error", "-y", "-f", "f32le", "-ar", "48000", "-ac", "2", "-i",
        ])
        .arg(&raw)
        .args(["-c:a", "aac", "-b:a", &format!("{kbps}k")])
        .arg(&aac)
        .status()
        .expect("run ffmpeg");
    assert!(st.success());
    let d = ffmpeg_decode(&aac, 2);
    let _ = std::fs::remove_file(raw);
    let _ = std::fs::remove_file(aac);
    d
}

/// SNR (dB) of `dec` against `reference` at the lag (0..4096 frames) maximising the
/// cross-correlation, plus that lag.
fn aligned_snr(reference: &[f32], dec: &[f32], ch: usize) -> (f64, usize) {
    let frames = reference.len() / ch;
    // Correlate a 1 s excerpt from the middle.
    let (s, len) = (frames / 3, SR.min(frames / 3));
    let mut best = (f64::MIN, 0);
    for lag in 0..4096 {
        if (s + len + lag) * ch > dec.len() {
            break;
        }
        let mut acc = 0.0f64;
        for i in s..s + len {
            acc += f64::from(reference[i * ch]) * f64::from(dec[(i + lag) * ch]);
        }
        if acc > best.0 {
            best = (acc, lag);
        }
    }
    let lag = best.1;
    let (mut sig, mut err) = (0.0f64, 0.0f64);
    for i in 0..frames {
        for c in 0..ch {
            let x = f64::from(reference[i * ch + c]);
            let y = f64::from(*dec.get((i + lag) * ch + c).unwrap_or(&0.0));
            sig += x * x;
            err += (x - y) * (x - y);
        }
    }
    (10.0 * (sig / err.max(1e-30)).log10(), lag)
}

fn bitrate(packets: &[AacPacket]) -> f64 {
    let bits: usize = packets.iter().map(|p| p.data.len() * 8).sum();
    bits as f64 / (packets.len() as f64 * 1024.0 / SR as f64)
}

/// Window sequence of the first element (SCE or CPE) parsed from the raw frame.
fn window_sequence(p: &AacPacket) -> u8 {
    let b = u32::from_be_bytes([
        p.data[0],
        p.data[1],
        p.data[2],
        p.data.get(3).copied().unwrap_or(0),
    ]);
    let id = b >> 29;
    match id {
        // CPE: id(3) tag(4) common_window(1) reserved(1) window_sequence(2)
        1 => ((b >> 21) & 3) as u8,
        // SCE: id(3) tag(4) global_gain(8) reserved(1) window_sequence(2)
        0 => ((b >> 14) & 3) as u8,
        _ => panic!("unexpected first element {id}"),
    }
}

struct Row {
    signal: &'static str,
    kbps: u32,
    ours_snr: f64,
    ours_rate: f64,
    native_snr: f64,
}

#[test]
fn stereo_signals_decode_with_ffmpeg_at_target_rate_and_quality() {
    if !ffmpeg_available() {
        return;
    }
    let secs = 10;
    let signals: [(&str, Vec<f32>); 3] = [
        ("sweep", sweep(secs)),
        ("music", music(secs)),
        ("noise", noise(secs)),
    ];
    let compare_native = std::env::var_os("STRATA_AAC_COMPARE").is_some();
    // Floors pinned a little under what this encoder measured (see the crate report).
    // Floors pinned about 1 dB under what this encoder measured (see the crate report);
    // the sweep is bandwidth-limited (it spends its last seconds above the coded band).
    let floor = |sig: &str, kbps: u32| -> f64 {
        match (sig, kbps) {
            ("sweep", 64) => 16.0,
            ("sweep", _) => 16.5,
            ("music", 64) => 14.0,
            ("music", 128) => 23.5,
            ("music", _) => 24.3,
            // Bandwidth-limited white noise: the SNR is set by the cut-off, not the coder.
            ("noise", 64) => 0.8,
            ("noise", 128) => 3.0,
            _ => 4.0,
        }
    };
    let mut rows = Vec::new();
    for (name, pcm) in &signals {
        for kbps in [64u32, 128, 192] {
            let (enc, packets) = encode(
                pcm,
                AacConfig {
                    bitrate_bps: kbps * 1000,
                    ..Default::default()
                },
            );
            let path = tmp(&format!("{name}-{kbps}.aac"));
            write_adts(&enc, &packets, &path);
            let dec = ffmpeg_decode(&path, 2);
            let _ = std::fs::remove_file(&path);
            let in_frames = pcm.len() / 2;
            let out_frames = dec.len() / 2 - enc.priming_samples() as usize;
            assert!(
                out_frames.abs_diff(in_frames) <= 1024,
                "{name}@{kbps}: decoded {out_frames} frames for {in_frames}"
            );
            let (snr, lag) = aligned_snr(pcm, &dec, 2);
            assert_eq!(lag, enc.priming_samples() as usize, "{name}@{kbps}: delay");
            let rate = bitrate(&packets);
            assert!(
                (rate / f64::from(kbps * 1000) - 1.0).abs() < 0.02,
                "{name}@{kbps}: bitrate {rate}"
            );
            let explore = std::env::var_os("STRATA_AAC_EXPLORE").is_some();
            assert!(
                explore || snr >= floor(name, kbps),
                "{name}@{kbps}: SNR {snr:.2} dB below floor {}",
                floor(name, kbps)
            );
            let native_snr = if compare_native {
                aligned_snr(pcm, &ffmpeg_native(pcm, kbps, name), 2).0
            } else {
                f64::NAN
            };
            rows.push(Row {
                signal: name,
                kbps,
                ours_snr: snr,
                ours_rate: rate,
                native_snr,
            });
        }
    }
    eprintln!("signal  kbps  ours SNR dB  ours kb/s  ffmpeg-native SNR dB");
    for r in &rows {
        eprintln!(
            "{:7} {:4}  {:11.2}  {:9.2}  {:20.2}",
            r.signal,
            r.kbps,
            r.ours_snr,
            r.ours_rate / 1000.0,
            r.native_snr
        );
    }
}

/// A loud click after near-silence: the frame holding it must switch to EIGHT_SHORT, and
/// the noise spread before the click must stay far below what long blocks produce.
#[test]
fn transient_switches_to_short_blocks_and_limits_pre_echo() {
    let n = SR * 2;
    let click_at = SR + 517; // not frame aligned
    let mut rng = Rng(3);
    let mut pcm = vec![0.0f32; n * 2];
    for i in 0..n {
        let quiet =
            (0.003 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / SR as f64).sin()) as f32;
        let d = i as isize - click_at as isize;
        let click = if (0..2000).contains(&d) {
            0.9 * rng.uniform() * (-(d as f32) / 300.0).exp()
        } else {
            0.0
        };
        pcm[2 * i] = quiet + click;
        pcm[2 * i + 1] = quiet + 0.7 * click;
    }
    let (enc, packets) = encode(&pcm, AacConfig::default());
    // Frame k decodes input [1024(k−1), 1024k); its short windows span 1024k ± 576.
    let k = (click_at + 576) / 1024;
    let seqs: Vec<u8> = packets.iter().map(window_sequence).collect();
    assert_eq!(
        seqs[k],
        2,
        "click frame {k} not EIGHT_SHORT: {:?}",
        &seqs[k - 2..k + 3]
    );
    assert_eq!(seqs[k - 1], 1, "frame before must be LONG_START");
    assert_eq!(
        seqs[k + 1..]
            .iter()
            .position(|&s| s != 2)
            .map(|i| seqs[k + 1 + i]),
        Some(3),
        "short run must end with LONG_STOP"
    );
    assert!(
        seqs[..k - 1].iter().all(|&s| s == 0),
        "spurious block switching before the click"
    );

    if !ffmpeg_available() {
        return;
    }
    let (long_enc, long_packets) = encode(
        &pcm,
        AacConfig {
            allow_short_blocks: false,
            ..Default::default()
        },
    );
    assert!(long_packets.iter().all(|p| window_sequence(p) == 0));
    let pre_echo = |enc: &AacEncoder, packets: &[AacPacket], tag: &str| -> f64 {
        let path = tmp(&format!("preecho-{tag}.aac"));
        write_adts(enc, packets, &path);
        let dec = ffmpeg_decode(&path, 2);
        let _ = std::fs::remove_file(&path);
        let d = enc.priming_samples() as usize;
        // Error energy in the 20 ms before the click (minus 3 ms of short-window reach),
        // relative to the click's energy.
        let (mut err, mut clk) = (0.0f64, 0.0f64);
        for i in click_at - 960..click_at - 144 {
            let e = f64::from(dec[2 * (i + d)] - pcm[2 * i]);
            err += e * e;
        }
        for i in click_at..click_at + 816 {
            clk += f64::from(pcm[2 * i]).powi(2);
        }
        10.0 * (err / clk).log10()
    };
    let short_db = pre_echo(&enc, &packets, "short");
    let long_db = pre_echo(&long_enc, &long_packets, "long");
    eprintln!(
        "pre-echo relative to click: short blocks {short_db:.1} dB, long only {long_db:.1} dB"
    );
    assert!(
        short_db < -45.0,
        "pre-echo {short_db:.1} dB with short blocks"
    );
    assert!(
        short_db < long_db - 15.0,
        "short blocks do not reduce pre-echo: {short_db:.1} vs {long_db:.1} dB"
    );
}

#[test]
fn mono_and_other_rates_decode() {
    if !ffmpeg_available() {
        return;
    }
    for (sr, ch, kbps) in [
        (44_100usize, 1u16, 64u32),
        (32_000, 2, 96),
        (24_000, 1, 32),
        (22_050, 2, 48),
        (16_000, 1, 24),
    ] {
        let n = sr * 2;
        let mut pcm = Vec::with_capacity(n * usize::from(ch));
        for i in 0..n {
            let t = i as f64 / sr as f64;
            let v = 0.4 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 0.2 * (2.0 * std::f64::consts::PI * 1250.0 * t).sin();
            for c in 0..ch {
                pcm.push((v * (1.0 - 0.3 * f64::from(c))) as f32);
            }
        }
        let cfg = AacConfig {
            sample_rate: sr as u32,
            channels: ch,
            bitrate_bps: kbps * 1000,
            ..Default::default()
        };
        let (enc, packets) = encode(&pcm, cfg);
        let path = tmp(&format!("rate-{sr}-{ch}.aac"));
        write_adts(&enc, &packets, &path);
        let dec = ffmpeg_decode(&path, usize::from(ch));
        let _ = std::fs::remove_file(&path);
        let d = enc.priming_samples() as usize * usize::from(ch);
        let (mut sig, mut err) = (0.0f64, 0.0f64);
        for (x, y) in pcm.iter().zip(&dec[d..]) {
            sig += f64::from(*x).powi(2);
            err += f64::from(x - y).powi(2);
        }
        let snr = 10.0 * (sig / err).log10();
        eprintln!("{sr} Hz {ch} ch {kbps} kb/s: SNR {snr:.1} dB");
        if std::env::var_os("STRATA_AAC_EXPLORE").is_some() {
            let fs: Vec<String> = pcm
                .chunks(1024 * usize::from(ch))
                .zip(dec[d..].chunks(1024 * usize::from(ch)))
                .map(|(a, b)| {
                    let s: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum();
                    let e: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum();
                    format!("{:.0}", 10.0 * (s / e.max(1e-20)).log10())
                })
                .collect();
            eprintln!("  per-frame SNR: {}", fs.join(" "));
        }
        assert!(
            std::env::var_os("STRATA_AAC_EXPLORE").is_some() || snr > 19.0,
            "{sr} Hz {ch} ch: SNR {snr:.1} dB"
        );
    }
}

/// 5.1 (SCE + CPE + CPE + LFE, channel_configuration 6): a distinct tone per channel must come
/// out of the matching decoded channel. ffmpeg decodes channel_configuration 6 as
/// FL FR FC LFE BL BR, the same WAV order as our input.
#[test]
fn five_one_decodes_with_channels_in_place() {
    if !ffmpeg_available() {
        return;
    }
    let n = SR * 2;
    let freqs = [500.0f64, 700.0, 900.0, 60.0, 1300.0, 1700.0];
    let mut pcm = Vec::with_capacity(n * 6);
    for i in 0..n {
        let t = i as f64 / SR as f64;
        for f in freqs {
            pcm.push((0.3 * (2.0 * std::f64::consts::PI * f * t).sin()) as f32);
        }
    }
    let (enc, packets) = encode(
        &pcm,
        AacConfig {
            channels: 6,
            bitrate_bps: 384_000,
            ..Default::default()
        },
    );
    assert_eq!(enc.audio_specific_config(), vec![0x11, 0xB0]);
    let rate = bitrate(&packets);
    assert!((rate / 384_000.0 - 1.0).abs() < 0.02, "5.1 bitrate {rate}");
    let path = tmp("five-one.aac");
    write_adts(&enc, &packets, &path);
    let dec = ffmpeg_decode(&path, 6);
    let _ = std::fs::remove_file(&path);
    let d = enc.priming_samples() as usize;
    for c in 0..6 {
        let (mut sig, mut err) = (0.0f64, 0.0f64);
        for i in SR / 4..n - SR / 4 {
            let x = f64::from(pcm[i * 6 + c]);
            let y = f64::from(dec[(i + d) * 6 + c]);
            sig += x * x;
            err += (x - y) * (x - y);
        }
        let snr = 10.0 * (sig / err).log10();
        eprintln!("5.1 channel {c} ({} Hz): SNR {snr:.1} dB", freqs[c]);
        assert!(
            snr > 30.0,
            "channel {c}: SNR {snr:.1} dB (misrouted or badly coded)"
        );
    }
}

/// 7.1 (SCE + 3 CPE + LFE, channel_configuration 7) at 512 kbps: every input channel's tone
/// comes out of the same-numbered channel ffmpeg decodes (WAV order in, ffmpeg's order out;
/// ffmpeg names configuration 7 "7.1(wide)" but keeps the positions) with SNR > 30 dB.
#[test]
fn seven_one_codes_every_channel() {
    if !ffmpeg_available() {
        return;
    }
    let n = SR * 2;
    let freqs = [500.0f64, 700.0, 900.0, 60.0, 1300.0, 1700.0, 2100.0, 2500.0];
    let mut pcm = Vec::with_capacity(n * 8);
    for i in 0..n {
        let t = i as f64 / SR as f64;
        for f in freqs {
            pcm.push((0.3 * (2.0 * std::f64::consts::PI * f * t).sin()) as f32);
        }
    }
    let (enc, packets) = encode(
        &pcm,
        AacConfig {
            channels: 8,
            bitrate_bps: 512_000,
            ..Default::default()
        },
    );
    // AOT 2, 48 kHz (index 3), channel_configuration 7.
    assert_eq!(enc.audio_specific_config(), vec![0x11, 0xB8]);
    let rate = bitrate(&packets);
    assert!((rate / 512_000.0 - 1.0).abs() < 0.02, "7.1 bitrate {rate}");
    let path = tmp("seven-one.aac");
    write_adts(&enc, &packets, &path);
    let dec = ffmpeg_decode(&path, 8);
    let _ = std::fs::remove_file(&path);
    let d = enc.priming_samples() as usize;
    for c in 0..8 {
        let snr_with = |o: usize| {
            let (mut sig, mut err) = (0.0f64, 0.0f64);
            for i in SR / 4..n - SR / 4 {
                let x = f64::from(pcm[i * 8 + c]);
                let y = f64::from(dec[(i + d) * 8 + o]);
                sig += x * x;
                err += (x - y) * (x - y);
            }
            10.0 * (sig / err).log10()
        };
        let (best, snr) = (0..8)
            .map(|o| (o, snr_with(o)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        eprintln!(
            "7.1 input channel {c} ({} Hz) -> output {best}: SNR {snr:.1} dB",
            freqs[c]
        );
        assert!(snr > 30.0, "channel {c}: best SNR {snr:.1} dB");
        assert_eq!(best, c, "input channel {c} decodes into output {best}");
    }
}
