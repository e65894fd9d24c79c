//! Project automation: `cargo xtask conformance` and `cargo xtask bench`.
//!
//! Both drive the release `strata` binary as a black box and judge its output only with tools
//! that share no code with it (ffmpeg/ffprobe, mediainfo, the shared validators and the browser
//! player), so a bug in our own demuxer or muxer cannot hide itself.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

mod aac_quality;
mod bench;
mod streaming;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  conformance [--input FILE]... [--preset NAME]... [--only mp4|streaming] [--keep] [--no-player]
      Encode testdata/*.mp4 with the ladder presets and check every output MP4 with
      ffmpeg, ffprobe, mediainfo, ../shared/tools/validate and the browser player; then
      the streaming packages (--hls --dash, strata package, --single-file, --smooth) with
      check_abr.py --decode and the players (shaka, hls.js, dash.js; --cycle on a 30 s clip).
      --input/--preset replace the default matrix of both sections; --only runs one section.
  bench [--runs N] [--preset NAME]... [--input FILE]... [--testdata] [--threads N] [--no-build]
      Time the release strata against ffmpeg+libopenh264 (imageio-ffmpeg wheel, venv in
      target/bench/venv) and Debian ffmpeg+libx264 veryfast on the same ladders, alternating
      runs: median wall, CPU, CPU/wall, peak RSS; per-layer bitrate and Y-PSNR (lanczos-scaled
      source as reference). Defaults: the three 720p/1080p ladder presets, a generated hard
      1080p30 clip (cached in target/bench/media) and ../shared/testmedia/gen/h264_high_1080p30_aac_10s.mp4.
      --testdata adds testdata/*.mp4; --threads N pins strata to N CPUs (taskset);
      --no-build times the existing target/release/strata. Writes target/bench/results.json,
      chart.svg and index.html.
  aac-quality [--bitrates 64,128,192] [--signals speech,music,orchestra,noise] [--venv DIR] [--setup] [--no-visqol]
      strata-aac vs ffmpeg -c:a aac: bitrate, SNR, ViSQOL MOS-LQO (see xtask/src/aac_quality.rs).";

const LADDER_720P: &str = "H264 Multiple Bitrate 720p";
const TESTSRC2: &str = "testsrc2_1080p30_aac_10s.mp4";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("conformance") => conformance(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("aac-quality") => aac_quality::aac_quality(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(true)
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    match result {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Workspace, tools and process helpers

fn workspace_root() -> PathBuf {
    // xtask lives one level below the workspace root; this stays right however cargo is invoked.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                root.join(d)
            }
        }
        _ => root.join("target"),
    }
}

/// Builds the release CLI once and returns its path; the caller then times the binary alone,
/// without cargo's own start-up and freshness checks.
fn build_strata(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building the release strata CLI ...");
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "strata-cli", "--bin", "strata"])
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p strata-cli failed");
    }
    let exe = target_dir(root).join("release").join("strata");
    if !exe.is_file() {
        bail!("built strata binary not found at {}", exe.display());
    }
    Ok(exe)
}

/// Finds `name` on PATH (or accepts an explicit path).
fn which(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.components().count() > 1 {
        return p.is_file().then(|| p.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|c| c.is_file())
}

fn run(cmd: &mut Command) -> Result<Output> {
    let desc = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {desc}"))
}

fn stdout_text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr_text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// First `n` lines of `s`, for failure messages that stay readable.
fn head(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out = lines
        .iter()
        .take(n)
        .copied()
        .collect::<Vec<_>>()
        .join(" | ");
    if lines.len() > n {
        out.push_str(&format!(" | ... ({} more lines)", lines.len() - n));
    }
    out
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

fn scratch_dir(tag: &str) -> Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("strata-xtask-{tag}-{}", std::process::id()));
    if d.exists() {
        std::fs::remove_dir_all(&d).with_context(|| format!("clearing {}", d.display()))?;
    }
    std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
    Ok(d)
}

/// Recursive copy used for the shared tool folders: /work/shared may be read-only and must
/// never receive our node_modules, so npm always runs in a private copy.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if name == OsStr::new("node_modules") || name == OsStr::new(".venv") {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)
                .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}

fn npm_install(dir: &Path) -> Result<()> {
    let o = run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir))?;
    if !o.status.success() {
        bail!(
            "npm install in {} failed: {}",
            dir.display(),
            head(&stderr_text(&o), 5)
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ffprobe helpers

/// Video frames really decoded (not the container's claim).
fn probe_frames(f: &Path) -> Result<u64> {
    let o = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(f))?;
    let s = stdout_text(&o);
    s.trim().trim_end_matches(',').parse().with_context(|| {
        format!(
            "ffprobe frame count of {}: {:?} {}",
            f.display(),
            s,
            head(&stderr_text(&o), 3)
        )
    })
}

fn probe_size(f: &Path) -> Result<(u32, u32)> {
    let o = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(f))?;
    let s = stdout_text(&o);
    let mut it = s.trim().split(',').map(str::parse::<u32>);
    match (it.next(), it.next()) {
        (Some(Ok(w)), Some(Ok(h))) => Ok((w, h)),
        _ => bail!("ffprobe size of {}: {:?}", f.display(), s.trim()),
    }
}

/// (keyframe pts times as printed by ffprobe, first video pts in presentation order).
fn probe_keyframes(f: &Path) -> Result<(Vec<String>, Option<f64>)> {
    let o = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "packet=pts_time,flags", "-of", "csv=p=0"])
        .arg(f))?;
    if !o.status.success() {
        bail!(
            "ffprobe packets of {}: {}",
            f.display(),
            head(&stderr_text(&o), 3)
        );
    }
    let mut keys = Vec::new();
    let mut first: Option<f64> = None;
    for line in stdout_text(&o).lines() {
        let mut parts = line.split(',');
        let (Some(t), Some(flags)) = (parts.next(), parts.next()) else {
            continue;
        };
        if let Ok(v) = t.parse::<f64>() {
            first = Some(first.map_or(v, |m| m.min(v)));
        }
        if flags.contains('K') {
            keys.push(t.to_string());
        }
    }
    Ok((keys, first))
}

/// Frame duration of the first video stream, for timing tolerances.
fn probe_frame_duration(f: &Path) -> Option<f64> {
    let o = run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=avg_frame_rate", "-of", "csv=p=0"])
        .arg(f))
    .ok()?;
    let s = stdout_text(&o);
    let (n, d) = s.trim().split_once('/')?;
    let (n, d) = (n.parse::<f64>().ok()?, d.parse::<f64>().ok()?);
    (n > 0.0 && d > 0.0).then(|| d / n)
}

// ---------------------------------------------------------------------------------------------
// The asset description written by strata (`*_manifest.xml`, the MES metadata)

#[derive(Debug, Clone)]
struct DescribedFile {
    name: String,
    width: u32,
    height: u32,
}

fn xml_attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

/// Parses the `_manifest.xml` in `dir`. A tiny scanner is enough: the format is ours and flat,
/// and pulling an XML crate into xtask is not worth it.
fn read_description(dir: &Path) -> Result<Vec<DescribedFile>> {
    let manifest = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("_manifest.xml"))
        .with_context(|| format!("no *_manifest.xml in {}", dir.display()))?;
    let xml = std::fs::read_to_string(&manifest)?;
    let mut files = Vec::new();
    for chunk in xml.split("<AssetFile ").skip(1) {
        let name = xml_attr(&format!(" {chunk}"), "Name").context("AssetFile without Name")?;
        let video = chunk
            .split("<VideoTrack ")
            .nth(1)
            .with_context(|| format!("{name}: no VideoTrack in the asset description"))?;
        let video = format!(" {video}");
        let num = |k: &str| -> Result<u32> {
            xml_attr(&video, k)
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("{name}: VideoTrack {k}"))
        };
        files.push(DescribedFile {
            width: num("Width")?,
            height: num("Height")?,
            name,
        });
    }
    if files.is_empty() {
        bail!("{} lists no files", manifest.display());
    }
    Ok(files)
}

// ---------------------------------------------------------------------------------------------
// conformance

#[derive(Default)]
struct Tally {
    passed: u32,
    failed: u32,
    skipped: u32,
    failures: Vec<String>,
}

impl Tally {
    fn pass(&mut self, what: &str) {
        self.passed += 1;
        println!("  PASS {what}");
    }
    fn fail(&mut self, what: &str, why: &str) {
        self.failed += 1;
        println!("  FAIL {what}: {why}");
        self.failures.push(format!("{what}: {why}"));
    }
    fn skip(&mut self, what: &str, why: &str) {
        self.skipped += 1;
        println!("  SKIP {what}: {why}");
    }
    fn check(&mut self, what: &str, r: Result<Option<String>>) {
        match r {
            Ok(None) => self.pass(what),
            Ok(Some(why)) => self.fail(what, &why),
            Err(e) => self.fail(what, &format!("{e:#}")),
        }
    }
}

/// Which external tools exist; each missing one turns its checks into SKIPs.
struct Tools {
    ffmpeg: bool,
    ffprobe: bool,
    mediainfo: bool,
    node: bool,
    check_mp4set: Option<PathBuf>,
    /// Private copy of shared/tools/validate with node_modules, for mp4info.mjs.
    mp4info: std::result::Result<PathBuf, String>,
    /// Private copy of shared/tools/player with node_modules.
    player: std::result::Result<PathBuf, String>,
}

impl Tools {
    fn discover(shared: &Path, scratch: &Path, want_player: bool, want_mp4info: bool) -> Self {
        let node = which("node").is_some() && which("npm").is_some();
        let check_mp4set = Some(shared.join("validate/check_mp4set.sh")).filter(|p| p.is_file());
        let mp4info = if !want_mp4info {
            Err("MP4 section not run".into())
        } else if !node {
            Err("node/npm not found (apt-get install -y nodejs npm)".into())
        } else if !shared.join("validate/mp4info.mjs").is_file() {
            Err(format!(
                "{} not present",
                shared.join("validate/mp4info.mjs").display()
            ))
        } else {
            let copy = scratch.join("validate");
            copy_tree(&shared.join("validate"), &copy)
                .and_then(|()| npm_install(&copy))
                .map(|()| copy)
                .map_err(|e| format!("{e:#}"))
        };
        let chromium = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        let player = if !want_player {
            Err("disabled with --no-player".into())
        } else if !chromium.is_file() {
            Err(format!(
                "{} not found (apt-get install -y chromium)",
                chromium.display()
            ))
        } else if !node {
            Err("node/npm not found (apt-get install -y nodejs npm)".into())
        } else if !shared.join("player/run.sh").is_file() {
            Err(format!(
                "{} not present",
                shared.join("player/run.sh").display()
            ))
        } else {
            let copy = scratch.join("player");
            copy_tree(&shared.join("player"), &copy)
                .and_then(|()| npm_install(&copy))
                .map(|()| copy)
                .map_err(|e| format!("{e:#}"))
        };
        Tools {
            ffmpeg: which("ffmpeg").is_some(),
            ffprobe: which("ffprobe").is_some(),
            mediainfo: which("mediainfo").is_some(),
            node,
            check_mp4set,
            mp4info,
            player,
        }
    }
}

struct Job {
    input: PathBuf,
    preset: String,
}

fn conformance(args: &[String]) -> Result<bool> {
    let root = workspace_root();
    let mut inputs = Vec::new();
    let mut presets = Vec::new();
    let mut keep = false;
    let mut want_player = true;
    let (mut mp4_section, mut streaming_section) = (true, true);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--input" => inputs.push(PathBuf::from(it.next().context("--input needs a FILE")?)),
            "--preset" => presets.push(it.next().context("--preset needs a NAME")?.clone()),
            "--keep" => keep = true,
            "--no-player" => want_player = false,
            "--only" => match it.next().map(String::as_str) {
                Some("mp4") => streaming_section = false,
                Some("streaming") => mp4_section = false,
                other => bail!("--only needs mp4 or streaming, got {other:?}"),
            },
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let (given_inputs, given_presets) = (inputs.clone(), presets.clone());
    if mp4_section && inputs.is_empty() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("testdata"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension() == Some(OsStr::new("mp4")))
            .collect();
        found.sort();
        inputs = found;
    }
    let mut jobs = Vec::new();
    for input in inputs.iter().filter(|_| mp4_section) {
        let names: Vec<String> = if !presets.is_empty() {
            presets.clone()
        } else if input.file_name() == Some(OsStr::new(TESTSRC2)) {
            // The 10 s 1080p clip is the one source big enough for the 1080p ladder, and it
            // also covers the single-layer path.
            vec![
                LADDER_720P.into(),
                "H264 Multiple Bitrate 1080p".into(),
                "H264 Single Bitrate 720p".into(),
            ]
        } else {
            vec![LADDER_720P.into()]
        };
        for preset in names {
            jobs.push(Job {
                input: input.clone(),
                preset,
            });
        }
    }

    let strata = build_strata(&root)?;
    let scratch = scratch_dir("conformance")?;
    let shared = root.join("..").join("shared").join("tools");
    let tools = Tools::discover(&shared, &scratch, want_player, mp4_section);
    if !tools.ffmpeg || !tools.ffprobe {
        println!(
            "note: ffmpeg/ffprobe missing (apt-get install -y ffmpeg): their checks are SKIPPED"
        );
    }
    if !tools.mediainfo {
        println!("note: mediainfo missing (apt-get install -y mediainfo): IsTruncated checks are SKIPPED");
    }
    if tools.check_mp4set.is_none() {
        println!(
            "note: {} not present: SKIPPED",
            shared.join("validate/check_mp4set.sh").display()
        );
    }
    if let (Err(why), true) = (&tools.mp4info, mp4_section) {
        println!("note: mp4box.js check SKIPPED: {why}");
    }
    if let Err(why) = &tools.player {
        println!("note: browser player check SKIPPED: {why}");
    }
    let _ = tools.node;

    let mut tally = Tally::default();
    let mut input_frames: BTreeMap<PathBuf, Option<u64>> = BTreeMap::new();
    for (i, job) in jobs.iter().enumerate() {
        let stem = job
            .input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tag = job.preset.replace(' ', "_");
        let out = scratch.join(format!("{i:02}_{stem}__{tag}"));
        println!(
            "\n== {} / {} -> {}",
            job.input.display(),
            job.preset,
            out.display()
        );
        let t0 = Instant::now();
        let o = run(Command::new(&strata)
            .arg("encode")
            .arg(&job.input)
            .args(["--preset", &job.preset, "-o"])
            .arg(&out))?;
        let what = format!("{stem} / {}: encode", job.preset);
        if !o.status.success() {
            tally.fail(&what, &head(&stderr_text(&o), 5));
            continue;
        }
        tally.pass(&format!("{what} ({:.1} s)", t0.elapsed().as_secs_f64()));
        // The engine's warnings (ignored preset features) are context for any failure below.
        for w in stderr_text(&o)
            .lines()
            .filter(|l| l.starts_with("warning:"))
        {
            println!("       {w}");
        }
        let files = match read_description(&out) {
            Ok(f) => f,
            Err(e) => {
                tally.fail(
                    &format!("{stem} / {}: asset description", job.preset),
                    &format!("{e:#}"),
                );
                continue;
            }
        };
        let want_frames = *input_frames.entry(job.input.clone()).or_insert_with(|| {
            tools
                .ffprobe
                .then(|| probe_frames(&job.input).ok())
                .flatten()
        });
        check_asset(&tools, &mut tally, job, &out, &files, want_frames);
    }

    if streaming_section {
        let abr = streaming::setup_check_abr(&root, &shared, &scratch, &tools);
        let ctx = streaming::Ctx {
            root: &root,
            strata: &strata,
            scratch: &scratch,
            tools: &tools,
            abr: &abr,
            inputs: &given_inputs,
            presets: &given_presets,
        };
        streaming::streaming(&ctx, &mut tally);
    }

    if keep {
        println!("\noutputs kept in {}", scratch.display());
    } else {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    if !tally.failures.is_empty() {
        println!("\nfailures:");
        for f in &tally.failures {
            println!("  {f}");
        }
    }
    println!(
        "{} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.skipped
    );
    Ok(tally.failed == 0)
}

fn check_asset(
    tools: &Tools,
    tally: &mut Tally,
    job: &Job,
    out: &Path,
    files: &[DescribedFile],
    want_frames: Option<u64>,
) {
    let on_disk: Vec<String> = std::fs::read_dir(out)
        .map(|rd| {
            let mut v: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".mp4"))
                .collect();
            v.sort();
            v
        })
        .unwrap_or_default();
    let mut described: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    described.sort();
    tally.check(
        "asset: MP4s on disk = files in the asset description",
        Ok((on_disk != described).then(|| format!("on disk {on_disk:?}, described {described:?}"))),
    );

    let frame_dur = tools
        .ffprobe
        .then(|| probe_frame_duration(&job.input))
        .flatten()
        .unwrap_or(1.0 / 30.0);
    let input_start = tools
        .ffprobe
        .then(|| probe_keyframes(&job.input).ok().and_then(|(_, s)| s))
        .flatten();
    let mut layer_keys: Vec<(String, Vec<String>)> = Vec::new();
    for f in files {
        let path = out.join(&f.name);
        let n = &f.name;
        if tools.ffmpeg {
            tally.check(
                &format!("{n}: ffmpeg decodes without messages"),
                run(Command::new("ffmpeg")
                    .args(["-hide_banner", "-nostdin", "-v", "error", "-i"])
                    .arg(&path)
                    .args(["-f", "null", "-"]))
                .map(|o| {
                    let msg = format!("{}{}", stdout_text(&o), stderr_text(&o));
                    (!o.status.success() || !msg.trim().is_empty())
                        .then(|| format!("exit {:?}: {}", o.status.code(), head(&msg, 4)))
                }),
            );
        } else {
            tally.skip(&format!("{n}: ffmpeg decode"), "ffmpeg not found");
        }
        if !tools.ffprobe {
            tally.skip(
                &format!("{n}: ffprobe frames/size/keyframes"),
                "ffprobe not found",
            );
        } else {
            match want_frames {
                Some(want) => tally.check(
                    &format!("{n}: decoded frame count = input's ({want})"),
                    probe_frames(&path).map(|got| (got != want).then(|| format!("{got} frames"))),
                ),
                None => tally.fail(
                    &format!("{n}: frame count"),
                    "could not count the input's frames",
                ),
            }
            tally.check(
                &format!("{n}: size {}x{} as described", f.width, f.height),
                probe_size(&path).map(|(w, h)| {
                    (w != f.width || h != f.height).then(|| format!("ffprobe says {w}x{h}"))
                }),
            );
            match probe_keyframes(&path) {
                Ok((keys, start)) => {
                    // Not in the brief's list, but a shifted start breaks A/V sync and players
                    // (hls.js seeks over the hole), so it is cheap to catch here.
                    let why = match (start, input_start) {
                        (Some(s), Some(i)) if (s - i).abs() > frame_dur / 2.0 => {
                            Some(format!("first video pts {s:.6} s, input's {i:.6} s"))
                        }
                        (None, _) => Some("no video packets".into()),
                        _ => None,
                    };
                    tally.check(
                        &format!("{n}: video starts where the input's does"),
                        Ok(why),
                    );
                    layer_keys.push((n.clone(), keys));
                }
                Err(e) => tally.fail(&format!("{n}: keyframe times"), &format!("{e:#}")),
            }
        }
        if tools.mediainfo {
            tally.check(
                &format!("{n}: mediainfo reports no IsTruncated"),
                run(Command::new("mediainfo").arg("--Full").arg(&path)).map(|o| {
                    let t = stdout_text(&o);
                    let bad: Vec<&str> = t.lines().filter(|l| l.contains("IsTruncated")).collect();
                    if !o.status.success() {
                        Some(format!("mediainfo exit {:?}", o.status.code()))
                    } else {
                        (!bad.is_empty()).then(|| bad.join(" | "))
                    }
                }),
            );
        } else {
            tally.skip(
                &format!("{n}: mediainfo IsTruncated"),
                "mediainfo not found",
            );
        }
    }

    if let Some((first_name, first)) = layer_keys.first() {
        let mut why = Vec::new();
        for (name, keys) in &layer_keys[1..] {
            if keys != first {
                why.push(format!(
                    "{name} [{}] vs {first_name} [{}]",
                    keys.join(" "),
                    first.join(" ")
                ));
            }
        }
        let what = format!(
            "keyframe times identical across {} layers ({} IDRs: {})",
            layer_keys.len(),
            first.len(),
            first.join(" ")
        );
        tally.check(&what, Ok((!why.is_empty()).then(|| why.join("; "))));
    }

    match &tools.check_mp4set {
        Some(script) if tools.ffprobe && tools.ffmpeg => {
            let r = run(Command::new("bash").arg(script).arg(&job.input).arg(out));
            match r {
                Ok(o) => {
                    let text = stdout_text(&o);
                    for l in text.lines() {
                        println!("       | {l}");
                    }
                    let why = (!o.status.success()).then(|| {
                        let fails: Vec<&str> =
                            text.lines().filter(|l| l.starts_with("FAIL")).collect();
                        let txt = format!("{}\n{}", fails.join("\n"), stderr_text(&o));
                        head(&txt, 6)
                    });
                    tally.check("check_mp4set.sh", Ok(why));
                }
                Err(e) => tally.fail("check_mp4set.sh", &format!("{e:#}")),
            }
        }
        Some(_) => tally.skip("check_mp4set.sh", "needs ffmpeg and ffprobe"),
        None => tally.skip("check_mp4set.sh", "not present in ../shared/tools/validate"),
    }

    let paths: Vec<PathBuf> = files.iter().map(|f| out.join(&f.name)).collect();
    match &tools.mp4info {
        Ok(dir) => match run(Command::new("node")
            .arg(dir.join("mp4info.mjs"))
            .args(&paths))
        {
            Ok(o) => {
                for l in stdout_text(&o).lines() {
                    println!("       | {l}");
                }
                let why = (!o.status.success())
                    .then(|| head(&format!("{}\n{}", stdout_text(&o), stderr_text(&o)), 6));
                tally.check("mp4box.js parses every layer (mp4info.mjs)", Ok(why));
            }
            Err(e) => tally.fail("mp4info.mjs", &format!("{e:#}")),
        },
        Err(why) => tally.skip("mp4box.js parse (mp4info.mjs)", why),
    }

    match &tools.player {
        Ok(dir) => play_native(tally, dir, &paths),
        Err(why) => tally.skip("browser playback (native <video>)", why),
    }
}

/// Plays each layer through Chromium's native `<video>` with the shared harness; one check per
/// file so a single unplayable layer is named.
fn play_native(tally: &mut Tally, player: &Path, paths: &[PathBuf]) {
    streaming::run_player(
        tally,
        player,
        &["--lib", "native"],
        paths,
        paths.len(),
        "browser playback",
        false,
    );
}
