//! The `strata` command.

mod jobs;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "strata",
    version,
    about = "Encode media with Media Encoder Standard presets"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Encode INPUT into an output asset folder.
    Encode {
        /// The media file to encode (MP4, MOV, Y4M).
        input: PathBuf,
        /// A system preset name, e.g. "H264 Multiple Bitrate 720p".
        #[arg(long, conflicts_with = "preset_file")]
        preset: Option<String>,
        /// A custom preset in the MES JSON or XML schema.
        #[arg(long)]
        preset_file: Option<PathBuf>,
        /// The asset folder to create.
        #[arg(long, short)]
        output: PathBuf,
        /// Replace the output folder if it exists and is not empty.
        #[arg(long)]
        overwrite: bool,
        #[command(flatten)]
        package: PackageArgs,
        #[command(flatten)]
        audio: TaskArgs,
    },
    /// Package an existing MP4 set (e.g. a Media Encoder Standard output asset) for streaming,
    /// without re-encoding, into ASSET_DIR/stream/. With no format flag: HLS and DASH.
    Package {
        /// The folder holding the layer MP4s.
        asset_dir: PathBuf,
        #[command(flatten)]
        package: PackageArgs,
    },
    /// Run MES jobs (chained tasks, templates) on a local asset store.
    Job {
        #[command(subcommand)]
        command: jobs::JobCommand,
    },
    /// Store and list job templates.
    Template {
        #[command(subcommand)]
        command: jobs::TemplateCommand,
    },
    /// Import, list and show assets in the store.
    Asset {
        #[command(subcommand)]
        command: jobs::AssetCommand,
    },
    /// Work with the preset catalogue.
    Presets {
        #[command(subcommand)]
        command: PresetsCommand,
    },
}

/// Audio and scheduling flags of `encode`.
#[derive(clap::Args, Clone, Default)]
struct TaskArgs {
    /// Cut the video into chunks on the GOP grid and encode several at once, each with its
    /// own decoder: for many cores or decode-bound input (twice the memory on 2 cores, no
    /// faster there).
    #[arg(long)]
    chunked: bool,
    /// With --chunked, the chunks encoded at once (default: one per core this process may
    /// use). The output is the same for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256), requires = "chunked")]
    threads: Option<u16>,
    /// Audio in a codec nothing here decodes (Opus, AC-3, E-AC-3, …): `error` fails the task
    /// (default), `drop` writes video-only output with a warning.
    #[arg(long, value_name = "error|drop", default_value = "error", value_parser = ["error", "drop"])]
    unsupported_audio: String,
    /// Let a preset asking for more audio channels than the input has upmix (extra
    /// channels silent). Without it the input's channel count is kept.
    #[arg(long)]
    allow_upmix: bool,
}

/// Streaming package flags shared by `encode` and `package`.
#[derive(clap::Args, Clone, Default)]
struct PackageArgs {
    /// Write HLS (fMP4 segments, master + media + I-frame playlists) into stream/.
    #[arg(long)]
    hls: bool,
    /// Write DASH (static MPD with SegmentTimeline) into stream/.
    #[arg(long)]
    dash: bool,
    /// Write Smooth Streaming (.ism + .ismc over fragmented MP4s) into stream/.
    #[arg(long)]
    smooth: bool,
    /// One fragmented MP4 per rendition addressed by byte ranges, instead of segment files.
    #[arg(long)]
    single_file: bool,
    /// Segment duration in seconds (default: the layers' keyframe interval).
    #[arg(long, value_name = "SECONDS")]
    segment_duration: Option<f64>,
}

impl PackageArgs {
    fn options(&self) -> strata::PackageOptions {
        strata::PackageOptions {
            hls: self.hls,
            dash: self.dash,
            smooth: self.smooth,
            single_file: self.single_file,
            segment_secs: self.segment_duration,
        }
    }
}

fn print_package(p: &strata::PackageReport) {
    for (what, path) in [("HLS", &p.hls), ("DASH", &p.dash), ("Smooth", &p.smooth)] {
        if let Some(path) = path {
            println!("{what:<7} {}", path.display());
        }
    }
    println!(
        "{} segments per rendition, starting at {}",
        p.segments,
        p.segment_starts
            .iter()
            .map(|t| format!("{t:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for w in &p.warnings {
        println!("warning: {w}");
    }
}

#[derive(Subcommand)]
enum PresetsCommand {
    /// List the system presets.
    List,
    /// Print one system preset in the MES JSON or XML schema.
    Show {
        /// The preset name.
        name: String,
        /// Schema to print.
        #[arg(long, default_value = "json", value_parser = ["json", "xml"])]
        format: String,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        // One line naming the problem and the file: the engine's messages already carry it.
        let mut msg = format!("{e}");
        let mut src = e.source();
        while let Some(s) = src {
            let t = s.to_string();
            if !msg.contains(&t) {
                msg.push_str(": ");
                msg.push_str(&t);
            }
            src = s.source();
        }
        eprintln!("error: {msg}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Encode {
            input,
            preset,
            preset_file,
            output,
            overwrite,
            package,
            audio,
        } => encode(
            input,
            preset,
            preset_file,
            output,
            overwrite,
            package.options(),
            &audio,
        ),
        Command::Package { asset_dir, package } => {
            let mut options = package.options();
            if !options.any() {
                options.hls = true;
                options.dash = true;
            }
            if let Some(s) = options.segment_secs {
                anyhow::ensure!(
                    s.is_finite() && s > 0.0,
                    "--segment-duration must be a positive number of seconds"
                );
            }
            let report = strata::package_asset(&asset_dir, &options, Default::default())?;
            print_package(&report);
            Ok(())
        }
        Command::Job { command } => jobs::job(command),
        Command::Template { command } => jobs::template(command),
        Command::Asset { command } => jobs::asset(command),
        Command::Presets { command } => match command {
            PresetsCommand::List => {
                for name in strata::preset::system_preset_names() {
                    let p = strata::preset::system_preset(name)?;
                    let layers = p.h264_video().map_or(0, |v| v.h264_layers.len());
                    let top = p
                        .h264_video()
                        .and_then(|v| v.h264_layers.first())
                        .map(|l| format!("{}x{}", l.width, l.height))
                        .unwrap_or_else(|| "-".into());
                    let audio = p
                        .aac_audio()
                        .map(|a| format!("{} {}ch {}kbps", a.profile, a.channels, a.bitrate))
                        .unwrap_or_else(|| "-".into());
                    let noun = if layers == 1 { "layer " } else { "layers" };
                    println!("{name:<50} {layers:>2} {noun}  {top:<10} {audio}");
                }
                for kind in strata::preset::AutoKind::ALL {
                    println!(
                        "{:<50} ladder built from the input (docs/auto-ladder.md)",
                        kind.preset_name()
                    );
                }
                for name in strata::preset::legacy_preset_names() {
                    let p = strata::preset::system_preset(name)?;
                    let layers = p.h264_video().map_or(0, |v| v.h264_layers.len());
                    let noun = if layers == 1 { "layer " } else { "layers" };
                    println!("{name:<50} {layers:>2} {noun}  (legacy Azure Media Encoder name)");
                }
                Ok(())
            }
            PresetsCommand::Show { name, format } => {
                if format == "xml" {
                    print!("{}", strata::preset::system_preset_xml(&name)?);
                } else {
                    print!("{}", strata::preset::system_preset_json(&name)?);
                }
                Ok(())
            }
        },
    }
}

fn encode(
    input: PathBuf,
    preset: Option<String>,
    preset_file: Option<PathBuf>,
    output: PathBuf,
    overwrite: bool,
    package: strata::PackageOptions,
    audio: &TaskArgs,
) -> Result<()> {
    let preset = match (preset, preset_file) {
        (Some(name), None) => {
            strata::resolve_preset(&name, &input, &strata::EncodeOptions::default())?
        }
        (None, Some(file)) => strata::preset::load_file(&file)
            .with_context(|| format!("reading preset {}", file.display()))?,
        _ => anyhow::bail!("give --preset NAME or --preset-file FILE"),
    };
    let policy = if audio.unsupported_audio == "drop" {
        strata::UnsupportedAudioPolicy::Drop
    } else {
        strata::UnsupportedAudioPolicy::Error
    };
    let task = strata::Encode::new(&input, &preset)
        .overwrite(overwrite)
        .unsupported_audio(policy)
        .allow_upmix(audio.allow_upmix)
        .chunked(audio.chunked)
        .threads(audio.threads.map(usize::from));
    // Warnings are printed with the summary, so a failing run ends with its one error line.
    // An audio-only preset has no video plan; its progress is not counted in frames.
    let total = if strata::is_audio_only(&preset) {
        0
    } else {
        u64::from(task.plan()?.video.sample_count)
    };
    let started = Instant::now();
    let progress: Box<dyn Fn(strata::Progress) + Send + Sync> = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos}/{len} frames  {msg}  ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Box::new(move |p: strata::Progress| {
            bar.set_length(p.frames_total);
            bar.set_position(p.frames_done);
            let fps = p.frames_done as f64 / p.elapsed_secs.max(1e-3);
            bar.set_message(format!("{fps:.1} fps"));
            if p.frames_done >= p.frames_total {
                bar.finish_and_clear();
            }
        })
    } else {
        let last = Mutex::new(Instant::now() - std::time::Duration::from_secs(10));
        Box::new(move |p: strata::Progress| {
            let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
            if l.elapsed().as_secs_f64() >= 2.0 || p.frames_done >= p.frames_total {
                *l = Instant::now();
                let fps = p.frames_done as f64 / p.elapsed_secs.max(1e-3);
                let eta = (p.frames_total.saturating_sub(p.frames_done)) as f64 / fps.max(1e-3);
                eprintln!(
                    "progress: {}/{} frames, {fps:.1} fps, ETA {eta:.0} s",
                    p.frames_done, p.frames_total
                );
            }
        })
    };
    let progress = Arc::new(progress);
    let task = task.package(package).on_progress(move |p| progress(p));
    let asset = task.run(&output)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:<48} {:>10} {:>10} {:>9} {:>9}",
        "file", "size", "resolution", "kbps", "target"
    );
    for f in &asset.files {
        println!(
            "{:<48} {:>10} {:>10} {:>9.0} {:>9}",
            f.name,
            human_size(f.size),
            format!("{}x{}", f.width, f.height),
            f.video_kbps,
            f.target_kbps
        );
    }
    if let Some(a) = &asset.audio_file {
        let size = std::fs::metadata(a).map(|m| m.len()).unwrap_or(0);
        let name = a
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("{name:<48} {:>10} {:>10}", human_size(size), "audio");
    }
    for img in &asset.images {
        println!(
            "{:<48} {:>10} {:>10} {:>9}",
            img.name,
            human_size(img.size),
            format!("{}x{}", img.width, img.height),
            format!("@{:.2}s", img.time_secs)
        );
    }
    for p in asset.server_manifest.iter().chain([&asset.metadata]) {
        let size = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("{name:<48} {:>10}", human_size(size));
    }
    match asset.audio {
        strata::AudioHandling::None => println!("audio: none in the input (video-only asset)"),
        strata::AudioHandling::Silence {
            channels,
            sample_rate,
        } => println!("audio: none in the input; silent AAC ({channels} ch, {sample_rate} Hz) inserted as the preset asks"),
        strata::AudioHandling::PassedThrough {
            channels,
            sample_rate,
        } => {
            let into = if asset.audio_file.is_some() {
                "into its own audio-only MP4 (NonInterleaved)"
            } else {
                "into every layer"
            };
            println!(
                "audio: input AAC ({channels} ch, {sample_rate} Hz) passed through unchanged {into}"
            )
        }
        strata::AudioHandling::Transcoded {
            profile,
            channels,
            sample_rate,
            bitrate_kbps,
        } => {
            let into = if asset.files.is_empty() {
                "into an audio-only MP4"
            } else if asset.audio_file.is_some() {
                "into its own audio-only MP4 (NonInterleaved)"
            } else {
                "once, carried by every layer"
            };
            println!(
                "audio: re-encoded to {profile} {channels} ch {sample_rate} Hz {bitrate_kbps} kbps {into}"
            )
        }
    }
    for w in &asset.warnings {
        println!("warning: {w}");
    }
    if let Some(p) = &asset.package {
        print_package(p);
    }
    match asset.files.first().map(|f| f.frames) {
        Some(frames) => println!(
            "wrote {} in {secs:.1} s ({:.1} source frames/s)",
            asset.dir.display(),
            frames as f64 / secs.max(1e-3)
        ),
        None => println!("wrote {} in {secs:.1} s", asset.dir.display()),
    }
    Ok(())
}

fn human_size(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / f64::from(1 << 20))
    } else {
        format!("{:.1} KiB", b as f64 / 1024.0)
    }
}
