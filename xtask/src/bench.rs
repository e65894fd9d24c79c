//! `cargo xtask bench`: the release `strata` binary against ffmpeg on the same MES ladders.
//!
//! Three encoders run the same ladder (sizes, bitrates, KeyFrameInterval grid, AAC audio) on
//! the same input, alternating run by run so background load on the shared 2-core machine hits
//! them alike:
//!
//! - `strata`: `target/release/strata encode INPUT --preset NAME -o DIR`.
//! - `ffmpeg-openh264`: the static ffmpeg of the `imageio-ffmpeg` wheel (Debian's has no
//!   libopenh264), one process, one split/scale graph feeding one libopenh264 encoder per layer
//!   (one thread each, like ours), High profile with CABAC, bitrate rate control.
//! - `ffmpeg-x264`: Debian's `/usr/bin/ffmpeg` with libx264 `-preset veryfast`, threads 1 per
//!   layer, ABR with the preset's MaxBitrate/BufferWindow as VBV.
//!
//! Timing is the median wall, user+sys CPU and peak RSS of the child, read from GNU time's
//! wait4 rusage (`/usr/bin/time -f`): exact for the child, with no unsafe code here. Quality
//! is per-layer bitrate (ffprobe) and Y-PSNR against the source scaled to the layer size by
//! swscale lanczos, with both timelines moved to start at zero. Every ffmpeg graph scales
//! with lanczos too because our scaler is Lanczos3 (`fast_image_resize`): the same filter
//! work on both sides, at the cost that ffmpeg's pre-encode frames equal the PSNR reference
//! exactly while ours differ from it by the two Lanczos implementations' rounding.
//!
//! What still differs between the columns, so a ratio is read for what it is:
//! - ffmpeg decodes the source with frame threads; strata decodes with OpenH264 on one thread,
//!   which bounds it on high-bitrate sources (the generated clip is about 44 Mbps).
//! - ffmpeg's libopenh264 wrapper leaves OpenH264's default LOW_COMPLEXITY; strata uses the
//!   preset's complexity (Balanced → MEDIUM_COMPLEXITY). The wrapper has no option for it.
//! - ffmpeg runs one AAC encoder per output file; strata encodes the audio once and shares it.
//! - Debian's ffmpeg 5.1 runs all output encoders on its main thread, so x264 with threads 1
//!   per layer uses about one core in total; ffmpeg 7+ (the wheel) gives each encoder a thread.
//! - x264 may spend the preset's 5 s VBV buffer on a 10 s clip and overshoot the target; the
//!   report flags every encoder more than 5 % off target, since its PSNR is then not at
//!   equal bits.
//!
//! Output: a table on stdout, `target/bench/results.json`, `target/bench/chart.svg` and
//! `target/bench/index.html`; the encoded layers and logs stay under `target/bench/runs/`.
//! A missing tool (ffmpeg, python venv/pip, network) skips its column with the reason.

use super::{build_strata, head, median, run, stderr_text, stdout_text, target_dir, which};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const DEFAULT_PRESETS: [&str; 3] = [
    "H264 Multiple Bitrate 720p",
    "H264 Multiple Bitrate 1080p",
    "H264 Single Bitrate 1080p",
];
const SHARED_10S: &str = "h264_high_1080p30_aac_10s.mp4";
/// Versioned name: a changed recipe must not silently reuse an old cached clip.
const HARD_CLIP: &str = "hard_mandelbrot_1080p30_10s_v1.mp4";
/// Pinned so a new wheel (new ffmpeg, new openh264) cannot shift the numbers unnoticed.
const IMAGEIO_FFMPEG: &str = "imageio-ffmpeg==0.8.1";
const DEBIAN_FFMPEG: &str = "/usr/bin/ffmpeg";
const GNU_TIME: &str = "/usr/bin/time";
const PSNR_REFERENCE: &str = "swscale lanczos (ffmpeg scale=W:H:flags=lanczos)";

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
    runs: usize,
    presets: Vec<String>,
    inputs: Vec<PathBuf>,
    testdata: bool,
    threads: Option<usize>,
    build: bool,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut o = Options {
        runs: 3,
        presets: Vec::new(),
        inputs: Vec::new(),
        testdata: false,
        threads: None,
        build: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .with_context(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--runs" => o.runs = val()?.parse().context("--runs N")?,
            "--preset" => o.presets.push(val()?),
            "--input" => o.inputs.push(PathBuf::from(val()?)),
            "--threads" => o.threads = Some(val()?.parse().context("--threads N")?),
            "--testdata" => o.testdata = true,
            "--no-build" => o.build = false,
            other => bail!("unknown bench argument {other:?}\n{}", super::USAGE),
        }
    }
    if o.runs == 0 {
        bail!("--runs must be at least 1");
    }
    if o.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    if o.presets.is_empty() {
        o.presets = DEFAULT_PRESETS.iter().map(|s| s.to_string()).collect();
    }
    Ok(o)
}

// ---------------------------------------------------------------------------------------------
// Presets: the ladder as the preset JSON states it

struct Ladder {
    /// The preset name, or the file for a custom preset.
    name: String,
    file: PathBuf,
    custom: bool,
    gop_secs: f64,
    stretch: String,
    layers: Vec<LayerSpec>,
    audio: Option<AudioSpec>,
}

struct LayerSpec {
    width: u32,
    height: u32,
    kbps: u32,
    max_kbps: u32,
    buffer_secs: f64,
}

#[derive(Clone, Copy)]
struct AudioSpec {
    channels: u32,
    rate: u32,
    kbps: u32,
}

/// MES writes numbers either as JSON numbers or as numeric strings.
fn jnum(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// "HH:MM:SS(.fff)" as MES writes durations.
fn parse_hms(s: &str) -> Option<f64> {
    let mut secs = 0.0;
    for part in s.split(':') {
        secs = secs * 60.0 + part.trim().parse::<f64>().ok()?;
    }
    Some(secs)
}

fn load_ladder(root: &Path, name: &str) -> Result<Ladder> {
    let as_path = PathBuf::from(name);
    let (file, custom) = if as_path.extension().is_some_and(|e| e == "json") && as_path.is_file() {
        (as_path, true)
    } else {
        let file = [
            root.join("presets").join(format!("{name}.json")),
            root.join("presets/legacy").join(format!("{name}.json")),
        ]
        .into_iter()
        .find(|p| p.is_file())
        .with_context(|| format!("no preset file presets/{name}.json (nor in presets/legacy)"))?;
        (file, false)
    };
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let doc: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
    let codecs = doc["Codecs"]
        .as_array()
        .with_context(|| format!("{}: no Codecs array", file.display()))?;
    let video = codecs
        .iter()
        .find(|c| c["Type"] == "H264Video")
        .with_context(|| format!("{}: no H264Video codec", file.display()))?;
    let mut layers = Vec::new();
    for (i, l) in video["H264Layers"]
        .as_array()
        .with_context(|| format!("{}: no H264Layers", file.display()))?
        .iter()
        .enumerate()
    {
        let num = |k: &str| {
            jnum(l.get(k))
                .with_context(|| format!("{}: layer {i} has no numeric {k}", file.display()))
        };
        let kbps = num("Bitrate")? as u32;
        layers.push(LayerSpec {
            width: num("Width")? as u32,
            height: num("Height")? as u32,
            kbps,
            max_kbps: jnum(l.get("MaxBitrate"))
                .map_or(kbps, |m| m as u32)
                .max(kbps),
            buffer_secs: l["BufferWindow"]
                .as_str()
                .and_then(parse_hms)
                .unwrap_or(5.0),
        });
    }
    let audio = codecs
        .iter()
        .find(|c| c["Type"] == "AACAudio")
        .map(|a| AudioSpec {
            channels: jnum(a.get("Channels")).unwrap_or(2.0) as u32,
            rate: jnum(a.get("SamplingRate")).unwrap_or(48000.0) as u32,
            kbps: jnum(a.get("Bitrate")).unwrap_or(128.0) as u32,
        });
    Ok(Ladder {
        name: if custom {
            file.display().to_string()
        } else {
            name.to_string()
        },
        file,
        custom,
        // MES's default KeyFrameInterval.
        gop_secs: video["KeyFrameInterval"]
            .as_str()
            .and_then(parse_hms)
            .unwrap_or(2.0),
        stretch: video["StretchMode"]
            .as_str()
            .unwrap_or("AutoSize")
            .to_string(),
        layers,
        audio,
    })
}

// ---------------------------------------------------------------------------------------------
// Source probe

struct Source {
    path: PathBuf,
    width: u32,
    height: u32,
    /// Sample aspect ratio.
    sar: (i64, i64),
    fps_num: u64,
    fps_den: u64,
    frames: u64,
    duration: f64,
    audio: Option<SourceAudio>,
}

struct SourceAudio {
    codec: String,
    profile: String,
    channels: u32,
    rate: u32,
    bit_rate: Option<f64>,
}

impl Source {
    fn fps(&self) -> f64 {
        self.fps_num as f64 / self.fps_den as f64
    }
}

fn ratio(s: &str) -> Option<(u64, u64)> {
    let (n, d) = s.split_once(['/', ':'])?;
    let (n, d) = (n.parse().ok()?, d.parse().ok()?);
    (n > 0 && d > 0).then_some((n, d))
}

fn ffprobe_json(file: &Path, entries: &str, select: Option<&str>) -> Result<Value> {
    let mut cmd = Command::new("ffprobe");
    cmd.args(["-v", "error"]);
    if let Some(s) = select {
        cmd.args(["-select_streams", s]);
    }
    cmd.args(["-show_entries", entries, "-of", "json"])
        .arg(file);
    let o = run(&mut cmd)?;
    if !o.status.success() {
        bail!("ffprobe {}: {}", file.display(), head(&stderr_text(&o), 3));
    }
    serde_json::from_slice(&o.stdout).with_context(|| format!("ffprobe JSON of {}", file.display()))
}

fn probe_source(path: &Path) -> Result<Source> {
    let v = ffprobe_json(
        path,
        "stream=codec_type,codec_name,profile,width,height,sample_aspect_ratio,avg_frame_rate,\
         r_frame_rate,nb_frames,channels,sample_rate,bit_rate:format=duration",
        None,
    )?;
    let streams = v["streams"].as_array().cloned().unwrap_or_default();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .with_context(|| format!("{}: no video stream", path.display()))?;
    let (fps_num, fps_den) = video["avg_frame_rate"]
        .as_str()
        .and_then(ratio)
        .or_else(|| video["r_frame_rate"].as_str().and_then(ratio))
        .with_context(|| format!("{}: no frame rate", path.display()))?;
    let duration = jnum(v["format"].get("duration")).unwrap_or(0.0);
    let frames = jnum(video.get("nb_frames"))
        .map(|n| n as u64)
        .unwrap_or_else(|| (duration * fps_num as f64 / fps_den as f64).round() as u64);
    let sar = video["sample_aspect_ratio"]
        .as_str()
        .and_then(ratio)
        .map_or((1, 1), |(n, d)| (n as i64, d as i64));
    let audio = streams
        .iter()
        .find(|s| s["codec_type"] == "audio")
        .map(|a| SourceAudio {
            codec: a["codec_name"].as_str().unwrap_or("?").to_string(),
            profile: a["profile"].as_str().unwrap_or("").to_string(),
            channels: jnum(a.get("channels")).unwrap_or(0.0) as u32,
            rate: jnum(a.get("sample_rate")).unwrap_or(0.0) as u32,
            bit_rate: jnum(a.get("bit_rate")),
        });
    Ok(Source {
        path: path.to_path_buf(),
        width: jnum(video.get("width")).context("video width")? as u32,
        height: jnum(video.get("height")).context("video height")? as u32,
        sar,
        fps_num,
        fps_den,
        frames,
        duration,
        audio,
    })
}

// ---------------------------------------------------------------------------------------------
// The plan shared by all three encoders

struct Rung {
    width: u32,
    height: u32,
    kbps: u32,
    max_kbps: u32,
    buffer_kbit: u32,
}

#[derive(Clone, Copy)]
enum AudioPlan {
    None,
    Copy,
    Encode(AudioSpec),
}

impl AudioPlan {
    fn describe(self) -> String {
        match self {
            AudioPlan::None => "none".into(),
            AudioPlan::Copy => "copied (input already matches the preset)".into(),
            AudioPlan::Encode(a) => format!(
                "AAC-LC {} ch {} Hz {} kb/s (re-encoded)",
                a.channels, a.rate, a.kbps
            ),
        }
    }
}

/// Nearest even integer to num/den, at least 2: strata-scale's rounding for AutoSize.
fn even_round(num: i128, den: i128) -> u32 {
    let twice = (num + den) / (2 * den);
    (twice.max(1) * 2) as u32
}

/// The layer size strata picks for StretchMode AutoSize (fit the box, keep the display
/// aspect), so ffmpeg encodes the same sizes even for inputs that are not 16:9.
fn fit(src: &Source, box_w: u32, box_h: u32) -> (u32, u32) {
    let dw = i128::from(src.width) * i128::from(src.sar.0);
    let dh = i128::from(src.height) * i128::from(src.sar.1);
    if dw * i128::from(box_h) >= i128::from(box_w) * dh {
        (box_w, even_round(i128::from(box_w) * dh, dw).min(box_h))
    } else {
        (even_round(i128::from(box_h) * dw, dh).min(box_w), box_h)
    }
}

fn plan_rungs(ladder: &Ladder, src: &Source) -> Vec<Rung> {
    ladder
        .layers
        .iter()
        .map(|l| {
            let (width, height) = if ladder.stretch == "AutoSize" {
                fit(src, l.width, l.height)
            } else {
                (l.width, l.height)
            };
            Rung {
                width,
                height,
                kbps: l.kbps,
                max_kbps: l.max_kbps,
                buffer_kbit: (f64::from(l.max_kbps) * l.buffer_secs).round() as u32,
            }
        })
        .collect()
}

/// Mirrors strata's audio rule (README "Audio"): an input that already matches the preset's
/// AAC-LC (channels, rate, bitrate within 10 %) is copied; a preset asking for more channels
/// than a non-mono input has keeps the input's layout and per-channel bitrate.
fn plan_audio(ladder: &Ladder, src: &Source) -> AudioPlan {
    let (Some(want), Some(have)) = (ladder.audio, src.audio.as_ref()) else {
        return AudioPlan::None;
    };
    let matches = have.codec == "aac"
        && have.profile == "LC"
        && have.channels == want.channels
        && have.rate == want.rate
        && have.bit_rate.is_some_and(|b| {
            let w = f64::from(want.kbps) * 1000.0;
            (b - w).abs() <= 0.1 * w
        });
    if matches {
        return AudioPlan::Copy;
    }
    let mut a = want;
    if want.channels > have.channels && have.channels > 1 {
        a.kbps = want.kbps * have.channels / want.channels;
        a.channels = have.channels;
    }
    AudioPlan::Encode(a)
}

// ---------------------------------------------------------------------------------------------
// Encoders and their command lines

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Strata,
    Openh264,
    X264,
}

const KINDS: [Kind; 3] = [Kind::Strata, Kind::Openh264, Kind::X264];

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Strata => "strata",
            Kind::Openh264 => "ffmpeg-openh264",
            Kind::X264 => "ffmpeg-x264",
        }
    }
    fn color(self) -> &'static str {
        match self {
            Kind::Strata => "#1f77b4",
            Kind::Openh264 => "#ff7f0e",
            Kind::X264 => "#2ca02c",
        }
    }
}

/// One tool as found (or not) on this machine.
struct Tool {
    exe: std::result::Result<PathBuf, String>,
    version: String,
}

/// A command line with its environment, kept whole so the report can print exactly what ran.
struct Cmd {
    env: Vec<(String, String)>,
    argv: Vec<OsString>,
}

impl Cmd {
    fn shell(&self) -> String {
        self.env
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_quote(v)))
            .chain(self.argv.iter().map(|a| shell_quote(&a.to_string_lossy())))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn os(v: &[&str]) -> Vec<OsString> {
    v.iter().map(OsString::from).collect()
}

struct StrataRun {
    exe: PathBuf,
    /// `taskset -c 0-(N-1)` when --threads is below the CPU count.
    pin: Option<String>,
}

fn strata_cmd(s: &StrataRun, ladder: &Ladder, input: &Path, out: &Path) -> Cmd {
    let mut argv: Vec<OsString> = Vec::new();
    if let Some(cpus) = &s.pin {
        argv.extend(os(&["taskset", "-c", cpus]));
    }
    argv.push(s.exe.clone().into());
    argv.push("encode".into());
    argv.push(input.into());
    if ladder.custom {
        argv.push("--preset-file".into());
        argv.push(ladder.file.clone().into());
    } else {
        argv.push("--preset".into());
        argv.push(ladder.name.clone().into());
    }
    argv.extend(os(&["-o"]));
    argv.push(out.into());
    argv.push("--overwrite".into());
    Cmd {
        env: Vec::new(),
        argv,
    }
}

struct CasePlan<'a> {
    src: &'a Source,
    rungs: &'a [Rung],
    gop_frames: u32,
    gop_secs: f64,
    audio: AudioPlan,
}

fn ffmpeg_output_name(kind: Kind, i: usize, r: &Rung) -> String {
    format!(
        "{}_{i}_{}x{}_{}.mp4",
        kind.label(),
        r.width,
        r.height,
        r.kbps
    )
}

/// One ffmpeg process for the whole ladder: decode once, split, scale per layer, one encoder
/// per output, as an ffmpeg user would write a ladder.
fn ffmpeg_cmd(kind: Kind, exe: &Path, p: &CasePlan, out: &Path) -> Cmd {
    let n = p.rungs.len();
    let mut graph = format!(
        "[0:v]split={n}{}",
        (0..n).map(|i| format!("[s{i}]")).collect::<String>()
    );
    for (i, r) in p.rungs.iter().enumerate() {
        write!(
            graph,
            ";[s{i}]scale={}:{}:flags=lanczos,format=yuv420p[o{i}]",
            r.width, r.height
        )
        .unwrap();
    }
    let mut argv: Vec<OsString> = vec![exe.into()];
    argv.extend(os(&["-hide_banner", "-nostdin", "-y", "-i"]));
    argv.push(p.src.path.clone().into());
    argv.extend(os(&["-filter_complex", &graph]));
    let gop = p.gop_frames.to_string();
    // Time-based forced IDRs put every layer's keyframes on strata's KeyFrameInterval grid;
    // -g alone would drift from it at non-integer frame rates.
    let force = format!("expr:gte(t,n_forced*{})", p.gop_secs);
    for (i, r) in p.rungs.iter().enumerate() {
        let mut a: Vec<String> = vec!["-map".into(), format!("[o{i}]")];
        if !matches!(p.audio, AudioPlan::None) {
            a.extend(["-map".into(), "0:a:0".into()]);
        }
        let (b, maxrate) = (format!("{}k", r.kbps), format!("{}k", r.max_kbps));
        let bufsize = format!("{}k", r.buffer_kbit);
        let (b, maxrate, bufsize, gop) =
            (b.as_str(), maxrate.as_str(), bufsize.as_str(), gop.as_str());
        match kind {
            Kind::Openh264 => a.extend(
                [
                    "-c:v",
                    "libopenh264",
                    "-threads",
                    "1",
                    "-profile:v",
                    "high",
                    "-coder",
                    "cabac",
                    "-rc_mode",
                    "bitrate",
                    "-b:v",
                    b,
                    "-maxrate",
                    maxrate,
                    "-g",
                    gop,
                ]
                .map(String::from),
            ),
            Kind::X264 => a.extend(
                [
                    "-c:v",
                    "libx264",
                    "-preset",
                    "veryfast",
                    "-threads",
                    "1",
                    "-profile:v",
                    "high",
                    "-b:v",
                    b,
                    "-maxrate",
                    maxrate,
                    "-bufsize",
                    bufsize,
                    "-g",
                    gop,
                    "-keyint_min",
                    gop,
                    "-sc_threshold",
                    "0",
                ]
                .map(String::from),
            ),
            Kind::Strata => unreachable!("strata is not an ffmpeg encoder"),
        }
        a.extend(["-force_key_frames".into(), force.clone()]);
        match p.audio {
            AudioPlan::None => a.push("-an".into()),
            AudioPlan::Copy => a.extend(["-c:a", "copy"].map(String::from)),
            AudioPlan::Encode(s) => a.extend([
                "-c:a".into(),
                "aac".into(),
                "-b:a".into(),
                format!("{}k", s.kbps),
                "-ac".into(),
                s.channels.to_string(),
                "-ar".into(),
                s.rate.to_string(),
            ]),
        }
        // strata writes moov first; ask ffmpeg for the same so both pay for it.
        a.extend(["-movflags", "+faststart"].map(String::from));
        argv.extend(a.into_iter().map(OsString::from));
        argv.push(out.join(ffmpeg_output_name(kind, i, r)).into());
    }
    Cmd {
        env: Vec::new(),
        argv,
    }
}

// ---------------------------------------------------------------------------------------------
// Tools

fn first_line(exe: &Path, args: &[&str]) -> String {
    Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map(|o| stdout_text(&o).lines().next().unwrap_or("").to_string())
        .unwrap_or_default()
}

fn has_encoder(exe: &Path, name: &str) -> std::result::Result<(), String> {
    let o = Command::new(exe)
        .args(["-hide_banner", "-encoders"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running {}: {e}", exe.display()))?;
    let found = stdout_text(&o)
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(name));
    if found {
        Ok(())
    } else {
        Err(format!("{} has no {name} encoder", exe.display()))
    }
}

/// The imageio-ffmpeg wheel's static ffmpeg, installed into a private venv so neither the
/// system Python nor the user's site-packages change.
fn openh264_ffmpeg(bench: &Path) -> Tool {
    let exe = (|| -> std::result::Result<PathBuf, String> {
        let venv = bench.join("venv");
        let py = venv.join("bin/python");
        let locate = || -> Option<PathBuf> {
            let o = Command::new(&py)
                .args([
                    "-c",
                    "import imageio_ffmpeg;print(imageio_ffmpeg.get_ffmpeg_exe())",
                ])
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .ok()?;
            let p = PathBuf::from(stdout_text(&o).trim());
            (o.status.success() && p.is_file()).then_some(p)
        };
        let exe = match locate() {
            Some(p) => p,
            None => {
                if !py.is_file() {
                    if which("python3").is_none() {
                        return Err("python3 not found".into());
                    }
                    eprintln!("creating {} ...", venv.display());
                    let o = run(Command::new("python3").arg("-m").arg("venv").arg(&venv))
                        .map_err(|e| format!("{e:#}"))?;
                    if !o.status.success() {
                        return Err(format!(
                            "python3 -m venv failed (apt-get install -y python3-venv): {}",
                            head(&stderr_text(&o), 3)
                        ));
                    }
                }
                eprintln!(
                    "installing {IMAGEIO_FFMPEG} (ffmpeg with libopenh264) into the venv ..."
                );
                let o = run(Command::new(&py).args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    IMAGEIO_FFMPEG,
                ]))
                .map_err(|e| format!("{e:#}"))?;
                if !o.status.success() {
                    return Err(format!(
                        "pip install {IMAGEIO_FFMPEG} failed (no network?): {}",
                        head(&stderr_text(&o), 3)
                    ));
                }
                locate().ok_or("imageio_ffmpeg installed but get_ffmpeg_exe() found no binary")?
            }
        };
        has_encoder(&exe, "libopenh264")?;
        Ok(exe)
    })();
    let version = exe
        .as_ref()
        .map(|e| first_line(e, &["-hide_banner", "-version"]))
        .unwrap_or_default();
    Tool { exe, version }
}

fn x264_ffmpeg() -> Tool {
    let exe = Some(PathBuf::from(DEBIAN_FFMPEG))
        .filter(|p| p.is_file())
        .or_else(|| which("ffmpeg"))
        .ok_or_else(|| format!("{DEBIAN_FFMPEG} not found (apt-get install -y ffmpeg)"))
        .and_then(|e| has_encoder(&e, "libx264").map(|()| e));
    let version = exe
        .as_ref()
        .map(|e| first_line(e, &["-hide_banner", "-version"]))
        .unwrap_or_default();
    Tool { exe, version }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// The hard clip of deps-feasibility.md (gradients overlaid on a Mandelbrot zoom plus temporal
/// noise) at 10 s, with stereo tones as audio, made once and cached: rendering the fractal
/// takes minutes on two cores.
fn hard_clip(media: &Path, gen: Option<&Path>) -> std::result::Result<PathBuf, String> {
    let out = media.join(HARD_CLIP);
    if out.is_file() {
        return Ok(out);
    }
    let gen = gen.ok_or("no ffmpeg to generate it with")?;
    std::fs::create_dir_all(media).map_err(|e| format!("creating {}: {e}", media.display()))?;
    let part = media.join(format!("{HARD_CLIP}.part.mp4"));
    let mut argv: Vec<OsString> = vec![gen.into()];
    argv.extend(os(&[
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "gradients=s=1920x1080:r=30:speed=0.03:n=5",
        "-f",
        "lavfi",
        "-i",
        "mandelbrot=s=1920x1080:r=30:start_scale=2:end_scale=0.002",
        "-f",
        "lavfi",
        "-i",
        "aevalsrc=0.3*sin(2*PI*440*t)|0.3*sin(2*PI*554.37*t):s=48000:d=10",
        "-filter_complex",
        "[0:v][1:v]blend=all_mode=overlay:all_opacity=0.6,noise=alls=6:allf=t,format=yuv420p[v]",
        "-map",
        "[v]",
        "-map",
        "2:a",
        "-frames:v",
        "300",
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-crf",
        "20",
        "-profile:v",
        "high",
        "-c:a",
        "aac",
        "-b:a",
        "192k",
        "-movflags",
        "+faststart",
    ]));
    argv.push(part.clone().into());
    let cmd = Cmd {
        env: Vec::new(),
        argv,
    };
    eprintln!(
        "generating the hard 1080p30 clip once (a few minutes): {}",
        cmd.shell()
    );
    let o = Command::new(&cmd.argv[0])
        .args(&cmd.argv[1..])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running {}: {e}", gen.display()))?;
    if !o.status.success() {
        let _ = std::fs::remove_file(&part);
        return Err(format!("ffmpeg failed: {}", head(&stderr_text(&o), 4)));
    }
    std::fs::rename(&part, &out).map_err(|e| format!("renaming {}: {e}", part.display()))?;
    Ok(out)
}

fn resolve_inputs(
    o: &Options,
    root: &Path,
    media: &Path,
    gen: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let mut inputs: Vec<PathBuf> = Vec::new();
    if o.inputs.is_empty() {
        match hard_clip(media, gen) {
            Ok(p) => inputs.push(p),
            Err(why) => println!("note: hard generated clip SKIPPED: {why}"),
        }
        let shared = root.join("../shared/testmedia");
        if shared.is_dir() {
            let p = shared.join("gen").join(SHARED_10S);
            if p.is_file() {
                inputs.push(std::fs::canonicalize(&p).unwrap_or(p));
            } else {
                println!("note: {} SKIPPED: not present", p.display());
            }
        } else {
            println!(
                "note: ../shared/testmedia/gen/{SHARED_10S} SKIPPED: {} is absent",
                shared.display()
            );
        }
    } else {
        for i in &o.inputs {
            if !i.is_file() {
                bail!("--input {} does not exist", i.display());
            }
            inputs.push(std::fs::canonicalize(i).unwrap_or_else(|_| i.clone()));
        }
    }
    if o.testdata {
        let mut t: Vec<PathBuf> = std::fs::read_dir(root.join("testdata"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "mp4"))
            .collect();
        t.sort();
        inputs.extend(t);
    }
    // testdata/testsrc2_1080p30_aac_10s.mp4 is byte-identical to the shared 10 s clip;
    // timing the same bytes twice only costs time.
    let mut unique: Vec<PathBuf> = Vec::new();
    for p in inputs {
        let dup = unique.iter().any(|u| same_file_content(u, &p));
        if dup {
            println!(
                "note: {} SKIPPED: same bytes as an earlier input",
                p.display()
            );
        } else {
            unique.push(p);
        }
    }
    if unique.is_empty() {
        bail!("no benchmark input (give one with --input FILE)");
    }
    Ok(unique)
}

fn same_file_content(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    ma.len() == mb.len() && matches!((std::fs::read(a), std::fs::read(b)), (Ok(x), Ok(y)) if x == y)
}

// ---------------------------------------------------------------------------------------------
// Timing

#[derive(Clone, Copy)]
struct Sample {
    wall: f64,
    cpu: Option<f64>,
    rss_kib: Option<u64>,
}

fn tail_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// Runs `cmd` under GNU time, whose `wait4` rusage gives the child's own user+sys CPU and peak
/// RSS; without it only wall time is measured.
fn timed(cmd: &Cmd, log: &Path, gnu_time: bool) -> Result<Sample> {
    let tfile = log.with_extension("time");
    let _ = std::fs::remove_file(&tfile);
    let mut c = if gnu_time {
        let mut c = Command::new(GNU_TIME);
        c.args(["-f", "%e %U %S %M", "-o"])
            .arg(&tfile)
            .args(&cmd.argv);
        c
    } else {
        let mut c = Command::new(&cmd.argv[0]);
        c.args(&cmd.argv[1..]);
        c
    };
    c.envs(cmd.env.iter().map(|(k, v)| (k, v)));
    let f = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    c.stdin(Stdio::null()).stdout(f.try_clone()?).stderr(f);
    let t0 = Instant::now();
    let status = c
        .status()
        .with_context(|| format!("starting {}", cmd.shell()))?;
    let wall = t0.elapsed().as_secs_f64();
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        bail!(
            "exit {:?} (log {}): {}",
            status.code(),
            log.display(),
            tail_lines(&text, 6)
        );
    }
    let fields: Vec<f64> = std::fs::read_to_string(&tfile)
        .ok()
        .and_then(|s| {
            s.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_string)
        })
        .map(|l| {
            l.split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let (cpu, rss_kib) = if fields.len() == 4 {
        (Some(fields[1] + fields[2]), Some(fields[3] as u64))
    } else {
        (None, None)
    };
    Ok(Sample { wall, cpu, rss_kib })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

// ---------------------------------------------------------------------------------------------
// Results

enum Status {
    Ok,
    Skipped(String),
    Failed(String),
}

struct LayerOut {
    file: PathBuf,
    width: u32,
    height: u32,
    target_kbps: u32,
    kbps: Option<f64>,
    frames: Option<u64>,
    psnr_y: Option<f64>,
    psnr_avg: Option<f64>,
}

struct EncResult {
    kind: Kind,
    status: Status,
    command: Option<String>,
    samples: Vec<Sample>,
    layers: Vec<LayerOut>,
    notes: Vec<String>,
}

struct Medians {
    wall: f64,
    cpu: Option<f64>,
    rss_mib: Option<f64>,
}

impl EncResult {
    fn medians(&self) -> Option<Medians> {
        if self.samples.is_empty() || !matches!(self.status, Status::Ok) {
            return None;
        }
        let wall = median(&self.samples.iter().map(|s| s.wall).collect::<Vec<_>>());
        let cpus: Vec<f64> = self.samples.iter().filter_map(|s| s.cpu).collect();
        let rss: Vec<f64> = self
            .samples
            .iter()
            .filter_map(|s| s.rss_kib.map(|k| k as f64 / 1024.0))
            .collect();
        Some(Medians {
            wall,
            cpu: (cpus.len() == self.samples.len()).then(|| median(&cpus)),
            rss_mib: (rss.len() == self.samples.len()).then(|| median(&rss)),
        })
    }
}

struct CaseResult {
    preset: String,
    src: Source,
    rungs: Vec<Rung>,
    gop_frames: u32,
    gop_secs: f64,
    audio: AudioPlan,
    encs: Vec<EncResult>,
    load_before: String,
    load_after: String,
}

impl CaseResult {
    fn title(&self) -> String {
        format!("{} | {}", self.preset, file_name(&self.src.path))
    }
    fn strata(&self) -> Option<Medians> {
        self.encs
            .iter()
            .find(|e| e.kind == Kind::Strata)
            .and_then(EncResult::medians)
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Per-layer measures

fn probe_layer(file: &Path, target_kbps: u32) -> Result<LayerOut> {
    let v = ffprobe_json(
        file,
        "stream=width,height,bit_rate,nb_frames:format=duration",
        Some("v:0"),
    )?;
    let s = &v["streams"][0];
    let dur = jnum(v["format"].get("duration"));
    // mov's stream bit_rate is the sample bytes over the track duration; fall back to the
    // file size for containers that leave it out.
    let kbps = jnum(s.get("bit_rate")).map(|b| b / 1000.0).or_else(|| {
        let len = std::fs::metadata(file).ok()?.len() as f64;
        dur.filter(|d| *d > 0.0).map(|d| len * 8.0 / d / 1000.0)
    });
    Ok(LayerOut {
        file: file.to_path_buf(),
        width: jnum(s.get("width")).context("layer width")? as u32,
        height: jnum(s.get("height")).context("layer height")? as u32,
        target_kbps,
        kbps,
        frames: jnum(s.get("nb_frames")).map(|n| n as u64),
        psnr_y: None,
        psnr_avg: None,
    })
}

/// strata names layers `{Basename}_{W}x{H}_{kbps}.mp4`; the kbps suffix finds a layer even when
/// its size is not the one planned here, and the table then shows the real size.
fn strata_layers(dir: &Path, src: &Path, rungs: &[Rung]) -> Result<Vec<(PathBuf, u32)>> {
    let stem = src
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut present: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".mp4"))
        .collect();
    let mut out = Vec::new();
    for r in rungs {
        let want = format!("{stem}_{}x{}_{}.mp4", r.width, r.height, r.kbps);
        let pos = present.iter().position(|n| *n == want).or_else(|| {
            present
                .iter()
                .position(|n| n.ends_with(&format!("_{}.mp4", r.kbps)))
        });
        let name = pos
            .map(|i| present.remove(i))
            .with_context(|| format!("no strata layer for {want} in {}", dir.display()))?;
        out.push((dir.join(name), r.kbps));
    }
    Ok(out)
}

/// Y and all-plane PSNR of every layer against the source scaled to that layer's size, in one
/// ffmpeg process so the source is decoded once per encoder.
fn psnr_all(ffmpeg: &Path, src: &Path, layers: &mut [LayerOut]) -> Result<()> {
    let n = layers.len();
    let mut graph = format!(
        "[0:v]setpts=PTS-STARTPTS,split={n}{}",
        (0..n).map(|i| format!("[r{i}]")).collect::<String>()
    );
    for (i, l) in layers.iter().enumerate() {
        write!(
            graph,
            ";[r{i}]scale={}:{}:flags=lanczos,format=yuv420p[ref{i}];[{}:v]setpts=PTS-STARTPTS,format=yuv420p[d{i}];[d{i}][ref{i}]psnr@L{i}[p{i}]",
            l.width,
            l.height,
            i + 1
        )
        .unwrap();
    }
    let mut cmd = Command::new(ffmpeg);
    cmd.args(["-hide_banner", "-nostdin", "-i"]).arg(src);
    for l in layers.iter() {
        cmd.arg("-i").arg(&l.file);
    }
    cmd.args(["-filter_complex", &graph]);
    for i in 0..n {
        cmd.args(["-map", &format!("[p{i}]")]);
    }
    cmd.args(["-f", "null", "-"]);
    let o = run(&mut cmd)?;
    let err = stderr_text(&o);
    if !o.status.success() {
        bail!("PSNR ffmpeg failed: {}", tail_lines(&err, 5));
    }
    for (i, l) in layers.iter_mut().enumerate() {
        let tag = format!("[psnr@L{i} @");
        let line = err
            .lines()
            .find(|x| x.starts_with(&tag) && x.contains("PSNR y:"))
            .with_context(|| format!("no PSNR line for layer {i}: {}", tail_lines(&err, 4)))?;
        let field = |k: &str| -> Option<f64> {
            line.split(&format!(" {k}:"))
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        };
        l.psnr_y = field("y");
        l.psnr_avg = field("average");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The command

pub(crate) fn bench(args: &[String]) -> Result<bool> {
    let o = parse_args(args)?;
    let root = super::workspace_root();
    let bench_dir = target_dir(&root).join("bench");
    let media = bench_dir.join("media");
    std::fs::create_dir_all(&bench_dir)?;
    if which("ffprobe").is_none() {
        bail!("bench needs ffprobe to read sources and layers (apt-get install -y ffmpeg)");
    }

    let ladders: Vec<Ladder> = o
        .presets
        .iter()
        .map(|p| load_ladder(&root, p))
        .collect::<Result<_>>()?;

    let strata_exe = if o.build {
        build_strata(&root)?
    } else {
        let p = target_dir(&root).join("release/strata");
        if !p.is_file() {
            bail!("--no-build: {} does not exist", p.display());
        }
        p
    };
    let nproc = std::thread::available_parallelism().map_or(1, |n| n.get());
    // strata's default pipeline sizes nothing by the core count (its threads are stages, layers
    // and slices), so pinning to N CPUs is what makes a 1-vs-2 comparison real.
    let pin = match o.threads {
        Some(n) if n < nproc => {
            if which("taskset").is_some() {
                Some(if n == 1 {
                    "0".to_string()
                } else {
                    format!("0-{}", n - 1)
                })
            } else {
                println!("note: taskset not found: --threads {n} cannot pin strata to {n} CPUs");
                None
            }
        }
        _ => None,
    };
    let strata_run = StrataRun {
        exe: strata_exe.clone(),
        pin: pin.clone(),
    };
    let threads_desc = match (o.threads, &pin) {
        (None, _) => format!("all {nproc} CPUs (no --threads)"),
        (Some(n), Some(cpus)) => format!("{n} (taskset -c {cpus})"),
        (Some(n), None) => format!("{n} (not pinned: no taskset)"),
    };

    let oh = openh264_ffmpeg(&bench_dir);
    let xx = x264_ffmpeg();
    let gnu_time = Path::new(GNU_TIME).is_file();
    if !gnu_time {
        println!("note: CPU and peak RSS SKIPPED: {GNU_TIME} not found (apt-get install -y time)");
    }
    for (kind, t) in [(Kind::Openh264, &oh), (Kind::X264, &xx)] {
        match &t.exe {
            Ok(p) => println!("{}: {} ({})", kind.label(), p.display(), t.version),
            Err(why) => println!("note: {} column SKIPPED: {why}", kind.label()),
        }
    }
    let any_ffmpeg = xx.exe.as_ref().ok().or(oh.exe.as_ref().ok()).cloned();
    let psnr_ffmpeg = which("ffmpeg").or_else(|| oh.exe.as_ref().ok().cloned());
    match &psnr_ffmpeg {
        Some(p) => println!("PSNR by {} against {PSNR_REFERENCE}", p.display()),
        None => println!("note: PSNR SKIPPED: no ffmpeg"),
    }

    let inputs = resolve_inputs(&o, &root, &media, any_ffmpeg.as_deref())?;
    let sources: Vec<Source> = inputs
        .iter()
        .map(|p| probe_source(p))
        .collect::<Result<_>>()?;

    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut cases: Vec<CaseResult> = Vec::new();
    for ladder in &ladders {
        for src in &sources {
            let case = run_case(
                &o,
                &bench_dir,
                ladder,
                src,
                &strata_run,
                &oh,
                &xx,
                gnu_time,
                psnr_ffmpeg.as_deref(),
            )?;
            print_case(&case, &threads_desc);
            cases.push(case);
            // Written after every case so an interrupted long run still leaves its results.
            let doc = results_json(
                &cases,
                &o,
                started,
                &threads_desc,
                &strata_exe,
                &oh,
                &xx,
                psnr_ffmpeg.as_deref(),
            );
            std::fs::write(
                bench_dir.join("results.json"),
                serde_json::to_string_pretty(&doc)? + "\n",
            )?;
        }
    }
    let svg = chart_svg(&cases, &threads_desc);
    std::fs::write(bench_dir.join("chart.svg"), &svg)?;
    std::fs::write(
        bench_dir.join("index.html"),
        index_html(&cases, &svg, &o, &threads_desc),
    )?;
    println!(
        "\nwrote {0}/results.json, {0}/chart.svg, {0}/index.html; layers and logs in {0}/runs",
        bench_dir.display()
    );
    let failed = cases
        .iter()
        .flat_map(|c| &c.encs)
        .any(|e| matches!(e.status, Status::Failed(_)));
    Ok(!failed)
}

#[allow(clippy::too_many_arguments)]
fn run_case(
    o: &Options,
    bench_dir: &Path,
    ladder: &Ladder,
    src: &Source,
    strata: &StrataRun,
    oh: &Tool,
    xx: &Tool,
    gnu_time: bool,
    psnr_ffmpeg: Option<&Path>,
) -> Result<CaseResult> {
    let rungs = plan_rungs(ladder, src);
    let gop_frames = (ladder.gop_secs * src.fps()).round().max(1.0) as u32;
    let audio = plan_audio(ladder, src);
    let dir = bench_dir.join("runs").join(format!(
        "{}__{}",
        slug(&ladder.name),
        slug(&file_name(&src.path))
    ));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let plan = CasePlan {
        src,
        rungs: &rungs,
        gop_frames,
        gop_secs: ladder.gop_secs,
        audio,
    };
    println!(
        "\n== {} | {}  ({} runs, alternating)",
        ladder.name,
        src.path.display(),
        o.runs
    );
    if ladder.stretch != "AutoSize" {
        println!(
            "   note: StretchMode {}: ffmpeg scales to the box size without strata's padding",
            ladder.stretch
        );
    }
    // A cold page cache would slow only whichever encoder runs first.
    let _ = std::fs::read(&src.path);

    let mut encs: Vec<EncResult> = Vec::new();
    let mut cmds: Vec<Option<Cmd>> = Vec::new();
    for kind in KINDS {
        let out = dir.join(kind.label());
        let tool_exe = match kind {
            Kind::Strata => Ok(strata.exe.clone()),
            Kind::Openh264 => oh.exe.clone(),
            Kind::X264 => xx.exe.clone(),
        };
        let (status, cmd) = match tool_exe {
            Err(why) => (Status::Skipped(why), None),
            Ok(exe) => {
                let cmd = match kind {
                    Kind::Strata => strata_cmd(strata, ladder, &src.path, &out),
                    _ => {
                        std::fs::create_dir_all(&out)?;
                        ffmpeg_cmd(kind, &exe, &plan, &out)
                    }
                };
                (Status::Ok, Some(cmd))
            }
        };
        if let Some(c) = &cmd {
            println!("   {}: {}", kind.label(), c.shell());
        }
        encs.push(EncResult {
            kind,
            status,
            command: cmd.as_ref().map(Cmd::shell),
            samples: Vec::new(),
            layers: Vec::new(),
            notes: Vec::new(),
        });
        cmds.push(cmd);
    }

    let load_before = loadavg();
    for r in 1..=o.runs {
        for (e, cmd) in encs.iter_mut().zip(&cmds) {
            let (Status::Ok, Some(cmd)) = (&e.status, cmd) else {
                continue;
            };
            let log = dir.join(format!("{}_run{r}.log", e.kind.label()));
            match timed(cmd, &log, gnu_time) {
                Ok(s) => {
                    println!(
                        "   run {r} {:<16} wall {:7.2} s  cpu {}  rss {}",
                        e.kind.label(),
                        s.wall,
                        s.cpu.map_or("n/a".into(), |c| format!("{c:7.2} s")),
                        s.rss_kib
                            .map_or("n/a".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0))
                    );
                    e.samples.push(s);
                }
                Err(err) => {
                    println!("   run {r} {:<16} FAILED: {err:#}", e.kind.label());
                    e.status = Status::Failed(format!("{err:#}"));
                }
            }
        }
    }
    let load_after = loadavg();

    for e in &mut encs {
        if !matches!(e.status, Status::Ok) {
            continue;
        }
        let out = dir.join(e.kind.label());
        let files: Result<Vec<(PathBuf, u32)>> = match e.kind {
            Kind::Strata => strata_layers(&out, &src.path, &rungs),
            _ => Ok(rungs
                .iter()
                .enumerate()
                .map(|(i, r)| (out.join(ffmpeg_output_name(e.kind, i, r)), r.kbps))
                .collect()),
        };
        let layers: Result<Vec<LayerOut>> = files.and_then(|f| {
            f.iter()
                .map(|(p, kbps)| probe_layer(p, *kbps))
                .collect::<Result<_>>()
        });
        match layers {
            Ok(mut layers) => {
                for (l, r) in layers.iter().zip(&rungs) {
                    if (l.width, l.height) != (r.width, r.height) {
                        e.notes.push(format!(
                            "layer {} kbps is {}x{}, planned {}x{}",
                            r.kbps, l.width, l.height, r.width, r.height
                        ));
                    }
                    if l.frames.is_some_and(|f| f != src.frames) {
                        e.notes.push(format!(
                            "layer {}x{} {} kbps has {} frames, source {}",
                            l.width,
                            l.height,
                            r.kbps,
                            l.frames.unwrap_or(0),
                            src.frames
                        ));
                    }
                }
                // Quality at unequal bits is not comparable, so say so next to the numbers.
                let off: Vec<f64> = layers
                    .iter()
                    .filter_map(|l| Some(l.kbps? / f64::from(l.target_kbps) * 100.0 - 100.0))
                    .filter(|d| d.abs() > 5.0)
                    .collect();
                if !off.is_empty() {
                    let lo = off.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = off.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    e.notes.push(format!(
                        "bitrate more than 5 % off target on {}/{} layers ({lo:+.0} % .. {hi:+.0} %): \
                         its PSNR is not at equal bits",
                        off.len(),
                        layers.len()
                    ));
                }
                if let Some(ff) = psnr_ffmpeg {
                    if let Err(err) = psnr_all(ff, &src.path, &mut layers) {
                        e.notes.push(format!("PSNR failed: {err:#}"));
                    }
                }
                e.layers = layers;
            }
            Err(err) => e.notes.push(format!("layer probe failed: {err:#}")),
        }
    }
    Ok(CaseResult {
        preset: ladder.name.clone(),
        src: Source {
            path: src.path.clone(),
            audio: None,
            ..*src
        },
        rungs,
        gop_frames,
        gop_secs: ladder.gop_secs,
        audio,
        encs,
        load_before,
        load_after,
    })
}

// ---------------------------------------------------------------------------------------------
// Report: table, JSON, SVG, HTML

fn opt(v: Option<f64>, prec: usize) -> String {
    v.map_or_else(|| "n/a".into(), |x| format!("{x:.prec$}"))
}

fn print_case(c: &CaseResult, threads: &str) {
    let s = &c.src;
    println!(
        "\n{}\n   source {}x{} {:.3} fps, {} frames, {:.2} s; GOP {} frames ({} s); audio {}; \
         strata threads {threads}; load {} -> {}",
        c.title(),
        s.width,
        s.height,
        s.fps(),
        s.frames,
        s.duration,
        c.gop_frames,
        c.gop_secs,
        c.audio.describe(),
        c.load_before,
        c.load_after
    );
    println!(
        "   {:<16} {:>8} {:>8} {:>8} {:>8} {:>7} {:>11} {:>10}",
        "encoder (median)",
        "wall s",
        "CPU s",
        "CPU/wall",
        "RSS MiB",
        "fps",
        "wall/strata",
        "CPU/strata"
    );
    let base = c.strata();
    for e in &c.encs {
        match (&e.status, e.medians()) {
            (Status::Skipped(why), _) => println!("   {:<16} SKIPPED: {why}", e.kind.label()),
            (Status::Failed(why), _) => println!("   {:<16} FAILED: {why}", e.kind.label()),
            (Status::Ok, Some(m)) => {
                let wr = base.as_ref().map(|b| m.wall / b.wall);
                let cr = base.as_ref().and_then(|b| Some(m.cpu? / b.cpu?));
                println!(
                    "   {:<16} {:>8.2} {:>8} {:>8} {:>8} {:>7.1} {:>11} {:>10}",
                    e.kind.label(),
                    m.wall,
                    opt(m.cpu, 2),
                    opt(m.cpu.map(|c| c / m.wall), 2),
                    opt(m.rss_mib, 0),
                    s.frames as f64 / m.wall,
                    opt(wr, 2),
                    opt(cr, 2)
                );
            }
            (Status::Ok, None) => println!("   {:<16} no samples", e.kind.label()),
        }
    }
    let shown: Vec<&EncResult> = c.encs.iter().filter(|e| !e.layers.is_empty()).collect();
    if !shown.is_empty() {
        let mut hdr = format!("   {:<20}", "layer (target)");
        for e in &shown {
            write!(hdr, " | {:>15} kbps  PSNR-Y", e.kind.label()).unwrap();
        }
        println!("{hdr}");
        for (i, r) in c.rungs.iter().enumerate() {
            let mut row = format!("   {:<20}", format!("{}x{} {}k", r.width, r.height, r.kbps));
            for e in &shown {
                let l = e.layers.get(i);
                write!(
                    row,
                    " | {:>20}  {:>6}",
                    opt(l.and_then(|l| l.kbps), 0),
                    opt(l.and_then(|l| l.psnr_y), 2)
                )
                .unwrap();
            }
            println!("{row}");
        }
    }
    for e in &c.encs {
        for n in &e.notes {
            println!("   note {}: {n}", e.kind.label());
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn results_json(
    cases: &[CaseResult],
    o: &Options,
    started: u64,
    threads: &str,
    strata: &Path,
    oh: &Tool,
    xx: &Tool,
    psnr_ffmpeg: Option<&Path>,
) -> Value {
    let tool = |t: &Tool| match &t.exe {
        Ok(p) => json!({"path": p, "version": t.version}),
        Err(why) => json!({"skipped": why}),
    };
    let cases: Vec<Value> = cases
        .iter()
        .map(|c| {
            let base = c.strata();
            let encs: Vec<Value> = c
                .encs
                .iter()
                .map(|e| {
                    let (status, reason) = match &e.status {
                        Status::Ok => ("ok", None),
                        Status::Skipped(w) => ("skipped", Some(w.clone())),
                        Status::Failed(w) => ("failed", Some(w.clone())),
                    };
                    let m = e.medians();
                    json!({
                        "encoder": e.kind.label(),
                        "status": status,
                        "reason": reason,
                        "command": e.command,
                        "runs": e.samples.iter().map(|s| json!({
                            "wall_s": s.wall, "cpu_s": s.cpu, "peak_rss_kib": s.rss_kib,
                        })).collect::<Vec<_>>(),
                        "median": m.as_ref().map(|m| json!({
                            "wall_s": m.wall,
                            "cpu_s": m.cpu,
                            "cpu_per_wall": m.cpu.map(|c| c / m.wall),
                            "peak_rss_mib": m.rss_mib,
                            "source_fps": c.src.frames as f64 / m.wall,
                        })),
                        "wall_vs_strata": m.as_ref().zip(base.as_ref()).map(|(m, b)| m.wall / b.wall),
                        "cpu_vs_strata": m.as_ref().zip(base.as_ref()).and_then(|(m, b)| Some(m.cpu? / b.cpu?)),
                        "layers": e.layers.iter().map(|l| json!({
                            "file": l.file,
                            "width": l.width,
                            "height": l.height,
                            "target_kbps": l.target_kbps,
                            "kbps": l.kbps,
                            "frames": l.frames,
                            "psnr_y": l.psnr_y,
                            "psnr_avg": l.psnr_avg,
                        })).collect::<Vec<_>>(),
                        "notes": e.notes,
                    })
                })
                .collect();
            json!({
                "preset": c.preset,
                "input": c.src.path,
                "source": {
                    "width": c.src.width, "height": c.src.height,
                    "fps": c.src.fps(), "frames": c.src.frames, "duration_s": c.src.duration,
                },
                "gop_frames": c.gop_frames,
                "gop_s": c.gop_secs,
                "audio": c.audio.describe(),
                "ladder": c.rungs.iter().map(|r| json!({
                    "width": r.width, "height": r.height, "kbps": r.kbps,
                    "max_kbps": r.max_kbps, "vbv_kbit": r.buffer_kbit,
                })).collect::<Vec<_>>(),
                "loadavg_before": c.load_before,
                "loadavg_after": c.load_after,
                "encoders": encs,
            })
        })
        .collect();
    json!({
        "started_unix": started,
        "runs": o.runs,
        "strata_threads": threads,
        "nproc": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "timing": if Path::new(GNU_TIME).is_file() { "wall: Instant around the child; CPU user+sys and peak RSS: GNU time (wait4 rusage); medians over runs" } else { "wall only (no GNU time)" },
        "psnr": {
            "ffmpeg": psnr_ffmpeg,
            "reference": PSNR_REFERENCE,
            "alignment": "setpts=PTS-STARTPTS on both inputs",
        },
        "tools": {
            "strata": strata,
            "ffmpeg_openh264": tool(oh),
            "ffmpeg_x264": tool(xx),
        },
        "cases": cases,
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Per case: horizontal wall/CPU bars on the left, per-layer Y-PSNR lines on the right.
/// Hand-written so xtask needs no plotting dependency.
fn chart_svg(cases: &[CaseResult], threads: &str) -> String {
    const W: f64 = 1100.0;
    const ROW: f64 = 300.0;
    const TOP: f64 = 60.0;
    let h = TOP + ROW * cases.len().max(1) as f64 + 10.0;
    let mut s = String::new();
    writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="sans-serif" font-size="12">"#
    )
    .unwrap();
    writeln!(s, r#"<rect width="{W}" height="{h}" fill="white"/>"#).unwrap();
    writeln!(
        s,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">strata vs ffmpeg: median wall (solid) and CPU (light) seconds; Y-PSNR per layer</text>"#
    )
    .unwrap();
    writeln!(
        s,
        r##"<text x="10" y="38" fill="#555">strata threads: {}; PSNR reference: {}</text>"##,
        esc(threads),
        esc(PSNR_REFERENCE)
    )
    .unwrap();
    for (k, kind) in KINDS.iter().enumerate() {
        let x = 700.0 + k as f64 * 130.0;
        writeln!(
            s,
            r#"<rect x="{x}" y="44" width="12" height="12" fill="{}"/><text x="{}" y="54">{}</text>"#,
            kind.color(),
            x + 16.0,
            kind.label()
        )
        .unwrap();
    }
    for (ci, c) in cases.iter().enumerate() {
        let y0 = TOP + ROW * ci as f64;
        writeln!(
            s,
            r##"<line x1="0" y1="{y0}" x2="{W}" y2="{y0}" stroke="#ccc"/><text x="10" y="{}" font-weight="bold">{}</text>"##,
            y0 + 18.0,
            esc(&c.title())
        )
        .unwrap();
        // Speed panel.
        let max = c
            .encs
            .iter()
            .filter_map(EncResult::medians)
            .map(|m| m.wall.max(m.cpu.unwrap_or(0.0)))
            .fold(0.0_f64, f64::max)
            .max(1e-9);
        let (bx, bw) = (130.0, 250.0);
        for (k, e) in c.encs.iter().enumerate() {
            let y = y0 + 40.0 + k as f64 * 70.0;
            writeln!(
                s,
                r#"<text x="10" y="{}">{}</text>"#,
                y + 20.0,
                e.kind.label()
            )
            .unwrap();
            match (e.medians(), &e.status) {
                (Some(m), _) => {
                    let ww = bw * m.wall / max;
                    writeln!(
                        s,
                        r#"<rect x="{bx}" y="{y}" width="{ww:.1}" height="18" fill="{}"/><text x="{:.1}" y="{}">{:.2} s wall, {:.0} fps</text>"#,
                        e.kind.color(),
                        bx + ww + 4.0,
                        y + 13.0,
                        m.wall,
                        c.src.frames as f64 / m.wall
                    )
                    .unwrap();
                    if let Some(cpu) = m.cpu {
                        let cw = bw * cpu / max;
                        writeln!(
                            s,
                            r#"<rect x="{bx}" y="{}" width="{cw:.1}" height="18" fill="{}" fill-opacity="0.4"/><text x="{:.1}" y="{}">{cpu:.2} s CPU ({:.2}x wall)</text>"#,
                            y + 22.0,
                            e.kind.color(),
                            bx + cw + 4.0,
                            y + 35.0,
                            cpu / m.wall
                        )
                        .unwrap();
                    }
                }
                (None, Status::Skipped(why) | Status::Failed(why)) => {
                    let short: String = why.chars().take(60).collect();
                    writeln!(
                        s,
                        r##"<text x="{bx}" y="{}" fill="#a00">{}</text>"##,
                        y + 20.0,
                        esc(&short)
                    )
                    .unwrap();
                }
                (None, Status::Ok) => {}
            }
        }
        // PSNR panel.
        let vals: Vec<f64> = c
            .encs
            .iter()
            .flat_map(|e| e.layers.iter().filter_map(|l| l.psnr_y))
            .filter(|v| v.is_finite())
            .collect();
        if vals.is_empty() {
            continue;
        }
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min).floor() - 1.0;
        let hi = vals
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil()
            + 1.0;
        let (px, pw, py, ph) = (560.0, 500.0, y0 + 40.0, 190.0);
        let n = c.rungs.len();
        let xat = |i: usize| px + pw * (i as f64 + 0.5) / n as f64;
        let yat = |v: f64| py + ph * (hi - v) / (hi - lo);
        let step = if hi - lo > 12.0 { 2.0 } else { 1.0 };
        let mut g = lo;
        while g <= hi + 1e-9 {
            writeln!(
                s,
                r##"<line x1="{px}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="#eee"/><text x="{2}" y="{3:.1}" text-anchor="end" fill="#555">{g:.0}</text>"##,
                yat(g),
                px + pw,
                px - 4.0,
                yat(g) + 4.0
            )
            .unwrap();
            g += step;
        }
        writeln!(
            s,
            r##"<text x="{}" y="{}" fill="#555" transform="rotate(-90 {} {})">Y-PSNR dB</text>"##,
            px - 34.0,
            py + ph / 2.0 + 30.0,
            px - 34.0,
            py + ph / 2.0 + 30.0
        )
        .unwrap();
        for (i, r) in c.rungs.iter().enumerate() {
            writeln!(
                s,
                r##"<text x="{0:.1}" y="{1}" text-anchor="middle" font-size="10">{2}x{3}</text><text x="{0:.1}" y="{4}" text-anchor="middle" font-size="10">{5}k</text>"##,
                xat(i),
                py + ph + 14.0,
                r.width,
                r.height,
                py + ph + 26.0,
                r.kbps
            )
            .unwrap();
        }
        for e in &c.encs {
            let pts: Vec<(f64, f64, String)> = e
                .layers
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let tip = format!(
                        "{} {}x{}: {} kbps (target {}), Y-PSNR {:.2} dB",
                        e.kind.label(),
                        l.width,
                        l.height,
                        opt(l.kbps, 0),
                        l.target_kbps,
                        l.psnr_y?
                    );
                    Some((xat(i), yat(l.psnr_y?), tip))
                })
                .collect();
            if pts.is_empty() {
                continue;
            }
            let poly: Vec<String> = pts
                .iter()
                .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
                .collect();
            writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
                poly.join(" "),
                e.kind.color()
            )
            .unwrap();
            for (x, y, tip) in pts {
                writeln!(
                    s,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{}"><title>{}</title></circle>"#,
                    e.kind.color(),
                    esc(&tip)
                )
                .unwrap();
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

fn index_html(cases: &[CaseResult], svg: &str, o: &Options, threads: &str) -> String {
    let mut h = String::new();
    h.push_str(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>strata bench</title>\n\
         <style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse;margin:8px 0 16px}\
         td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}\
         td:first-child,th:first-child{text-align:left}pre{white-space:pre-wrap;font-size:11px;background:#f8f8f8;padding:6px}</style>\n\
         </head><body>\n<h1>strata vs ffmpeg</h1>\n",
    );
    writeln!(
        h,
        "<p>{} runs per encoder, alternating; medians. strata threads: {}. PSNR reference: {}. \
         Raw data: <a href=\"results.json\">results.json</a>.</p>",
        o.runs,
        esc(threads),
        esc(PSNR_REFERENCE)
    )
    .unwrap();
    h.push_str(svg);
    for c in cases {
        let base = c.strata();
        writeln!(
            h,
            "<h2>{}</h2>\n<p>source {}x{} {:.3} fps, {} frames; GOP {} frames; audio {}; load {} &rarr; {}</p>",
            esc(&c.title()),
            c.src.width,
            c.src.height,
            c.src.fps(),
            c.src.frames,
            c.gop_frames,
            esc(&c.audio.describe()),
            c.load_before,
            c.load_after
        )
        .unwrap();
        h.push_str("<table><tr><th>encoder</th><th>wall s</th><th>CPU s</th><th>CPU/wall</th><th>peak RSS MiB</th><th>fps</th><th>wall / strata</th><th>CPU / strata</th></tr>\n");
        for e in &c.encs {
            match (e.medians(), &e.status) {
                (Some(m), _) => writeln!(
                    h,
                    "<tr><td>{}</td><td>{:.2}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
                    e.kind.label(),
                    m.wall,
                    opt(m.cpu, 2),
                    opt(m.cpu.map(|c| c / m.wall), 2),
                    opt(m.rss_mib, 0),
                    c.src.frames as f64 / m.wall,
                    opt(base.as_ref().map(|b| m.wall / b.wall), 2),
                    opt(base.as_ref().and_then(|b| Some(m.cpu? / b.cpu?)), 2)
                )
                .unwrap(),
                (None, Status::Skipped(w) | Status::Failed(w)) => writeln!(
                    h,
                    "<tr><td>{}</td><td colspan=\"7\" style=\"text-align:left\">{}</td></tr>",
                    e.kind.label(),
                    esc(w)
                )
                .unwrap(),
                (None, Status::Ok) => {}
            }
        }
        h.push_str("</table>\n<table><tr><th>layer</th>");
        let shown: Vec<&EncResult> = c.encs.iter().filter(|e| !e.layers.is_empty()).collect();
        for e in &shown {
            write!(
                h,
                "<th>{0} kbps</th><th>{0} Y-PSNR</th><th>{0} PSNR avg</th>",
                e.kind.label()
            )
            .unwrap();
        }
        h.push_str("</tr>\n");
        for (i, r) in c.rungs.iter().enumerate() {
            write!(h, "<tr><td>{}x{} {}k</td>", r.width, r.height, r.kbps).unwrap();
            for e in &shown {
                let l = e.layers.get(i);
                write!(
                    h,
                    "<td>{}</td><td>{}</td><td>{}</td>",
                    opt(l.and_then(|l| l.kbps), 0),
                    opt(l.and_then(|l| l.psnr_y), 2),
                    opt(l.and_then(|l| l.psnr_avg), 2)
                )
                .unwrap();
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
        for e in &c.encs {
            if let Some(cmd) = &e.command {
                writeln!(h, "<p>{}</p><pre>{}</pre>", e.kind.label(), esc(cmd)).unwrap();
            }
            for n in &e.notes {
                writeln!(h, "<p>note {}: {}</p>", e.kind.label(), esc(n)).unwrap();
            }
        }
    }
    h.push_str("</body></html>\n");
    h
}
