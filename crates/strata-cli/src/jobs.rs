//! `strata job …`, `strata template …` and `strata asset …`: the MES job model on a local
//! asset store.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use strata::job::{InputRef, Job, JobTemplate, State};
use strata::{AssetStore, JobEvent, JobOptions, JobStatus};

/// Where the asset store lives.
#[derive(Args, Clone)]
pub struct StoreArg {
    /// The asset store folder (created when missing). Default: $STRATA_STORE, else
    /// ./strata-store.
    #[arg(long, global = true)]
    store: Option<PathBuf>,
}

impl StoreArg {
    fn root(&self) -> PathBuf {
        self.store
            .clone()
            .or_else(|| std::env::var_os("STRATA_STORE").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("strata-store"))
    }

    fn open(&self) -> Result<AssetStore> {
        let root = self.root();
        AssetStore::open(&root)
            .with_context(|| format!("opening the asset store {}", root.display()))
    }
}

#[derive(Subcommand)]
pub enum JobCommand {
    /// Run a job: a job file in the Media Services request-body shape, or a stored template
    /// with input files / asset ids.
    Run {
        /// The job definition (JSON); with --template, the job inputs instead (paths or
        /// nb:cid:… asset ids, in JobInputAsset order).
        #[arg(value_name = "JOB_FILE | INPUT…", required_unless_present = "template")]
        args: Vec<String>,
        /// Run the stored job template ID on the inputs given.
        #[arg(long, value_name = "ID")]
        template: Option<String>,
        /// With --template: more job inputs (after the positional ones).
        #[arg(
            long = "input",
            short = 'i',
            requires = "template",
            value_name = "INPUT"
        )]
        inputs: Vec<String>,
        /// With --template: the job's Name (used in output asset names).
        #[arg(long, requires = "template")]
        name: Option<String>,
        /// Tasks run at once.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Check a job file without running it: rules, presets, inputs; prints the task order
    /// and the output asset names.
    Validate {
        /// The job definition (JSON).
        job_file: PathBuf,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Show a job's record: states, progress, times, errors, output assets.
    Show {
        /// nb:jid:UUID:… or the bare GUID.
        id: String,
        /// Print the stored JSON record.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArg,
    },
    /// List the jobs in the store.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Run a stored job's definition again as a new job (after an interruption or error).
    Rerun {
        /// nb:jid:UUID:… or the bare GUID.
        id: String,
        /// Tasks run at once.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// Store a job template (POST /API/JobTemplates body shape); prints its id.
    Create {
        /// The template definition (JSON).
        file: PathBuf,
        #[command(flatten)]
        store: StoreArg,
    },
    /// List the stored templates.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Print a stored template as JSON.
    Show {
        /// nb:jtid:UUID:… or the bare GUID.
        id: String,
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Subcommand)]
pub enum AssetCommand {
    /// Copy a media file into the store as a new asset; prints its id.
    Import {
        /// The file.
        file: PathBuf,
        /// The asset name (default: the file name).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        store: StoreArg,
    },
    /// List the assets in the store.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Show an asset's record and files.
    Show {
        /// nb:cid:UUID:… or the bare GUID.
        id: String,
        #[command(flatten)]
        store: StoreArg,
    },
}

fn read_job_file(path: &Path) -> Result<Job> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading job file {}", path.display()))?;
    let mut job = Job::from_json(text.trim_start_matches('\u{feff}'))
        .with_context(|| format!("{}", path.display()))?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    job.resolve_inputs(base);
    // Stored definitions must not depend on the folder `strata` ran in (`job rerun`).
    job.inputs = job.inputs.into_iter().map(absolute).collect();
    Ok(job)
}

fn absolute(input: InputRef) -> InputRef {
    match input {
        InputRef::Path(p) => InputRef::Path(std::path::absolute(&p).unwrap_or(p)),
        other => other,
    }
}

fn time(ms: Option<u64>) -> String {
    let Some(ms) = ms else { return "-".into() };
    // UTC, ISO 8601, without a date crate: days from the epoch to a civil date.
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

fn print_job(status: &JobStatus) {
    let rec = &status.job.record;
    let state = if status.interrupted() {
        format!(
            "{} — interrupted: no process is running it (the run was killed); `strata job rerun {}` runs it again",
            rec.state, rec.id
        )
    } else {
        rec.state.to_string()
    };
    println!("job       {}", rec.id);
    if let Some(n) = &rec.name {
        println!("name      {n}");
    }
    if let Some(t) = &rec.template_id {
        println!("template  {t}");
    }
    println!("state     {state}");
    println!("progress  {:.1} %", status.job.progress);
    println!(
        "times     created {}  start {}  end {}  running {:.1} s",
        time(Some(rec.created)),
        time(rec.start_time),
        time(rec.end_time),
        rec.running_duration / 1000.0
    );
    for (i, input) in status.job.input_media_assets.iter().enumerate() {
        println!("input     JobInputAsset({i}) {input}");
    }
    for (i, t) in rec.tasks.iter().enumerate() {
        println!(
            "task {i}    {:<10} {:>5.1} %  {}{}  start {}  end {}  running {:.1} s",
            t.state.name(),
            t.progress,
            t.id,
            t.name
                .as_deref()
                .map(|n| format!(" {n:?}"))
                .unwrap_or_default(),
            time(t.start_time),
            time(t.end_time),
            t.running_duration / 1000.0
        );
        for e in &t.error_details {
            println!("          error {:?}: {}", e.code, e.message);
        }
    }
    for o in &status.job.output_media_assets {
        println!(
            "output    JobOutputAsset({}) {:?} → {}",
            o.index,
            o.name,
            o.asset_id
                .map_or_else(|| "(not produced)".to_string(), |a| a.to_string())
        );
    }
}

fn run_and_report(store: &AssetStore, job: Job, workers: usize) -> Result<()> {
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        // First Ctrl-C cancels cleanly (no partial asset, record says Canceled); the handler
        // is installed once per process, so a failure to install only loses that nicety.
        let _ = ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("cancelling… (Ctrl-C again to quit at once)");
        });
    }
    let names: Vec<String> = (0..job.tasks.len()).map(|i| job.label(i)).collect();
    let last = Mutex::new(vec![(Instant::now(), -100.0f64); job.tasks.len().max(1)]);
    let events: strata::JobEventFn = Arc::new(move |_job: &Job, e: JobEvent| match e {
        JobEvent::TaskState {
            task,
            state,
            message,
        } => {
            let name = names.get(task).map_or("task", String::as_str);
            match message {
                Some(m) => eprintln!("{name}: {state}: {m}"),
                None => eprintln!("{name}: {state}"),
            }
        }
        JobEvent::TaskProgress { task, progress } => {
            let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(slot) = l.get_mut(task) {
                if slot.0.elapsed().as_secs_f64() >= 2.0 || progress - slot.1 >= 25.0 {
                    *slot = (Instant::now(), progress);
                    let name = names.get(task).map_or("task", String::as_str);
                    eprintln!("{name}: {progress:.0} %");
                }
            }
        }
    });
    let id = job.id;
    let options = JobOptions {
        workers,
        cancel: Some(cancel),
        events: Some(events),
        ..JobOptions::default()
    };
    eprintln!("job {id} in {}", store.root().display());
    let done = strata::run_job(store, job, &options)?;
    let status = store.job(&id.to_string())?;
    print_job(&status);
    match done.record.state {
        State::Finished => Ok(()),
        other => bail!("job {id} ended {other}"),
    }
}

pub fn job(cmd: JobCommand) -> Result<()> {
    match cmd {
        JobCommand::Run {
            args,
            template,
            inputs,
            name,
            workers,
            store,
        } => {
            let store = store.open()?;
            recover(&store)?;
            let job = match template {
                None => match args.as_slice() {
                    [file] => read_job_file(Path::new(file))?,
                    _ => bail!("give one job file, or --template ID with the inputs"),
                },
                Some(id) => {
                    let t = store.template(&id)?;
                    let inputs = args
                        .iter()
                        .chain(&inputs)
                        .map(|i| InputRef::from_uri(i).map(absolute))
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut job = t.instantiate(inputs)?;
                    job.name = name;
                    job
                }
            };
            run_and_report(&store, job, workers)
        }
        JobCommand::Validate { job_file, store } => {
            let mut job = read_job_file(&job_file)?;
            // A store is needed only for asset-id inputs and TemplateId; don't create one.
            let root = store.root();
            let store = if root.is_dir() {
                Some(AssetStore::open(&root)?)
            } else {
                None
            };
            let order = strata::prepare_job(&mut job, store.as_ref())?;
            println!("{}: valid", job_file.display());
            println!(
                "order: {}",
                order
                    .iter()
                    .map(|&i| job.label(i))
                    .collect::<Vec<_>>()
                    .join(" → ")
            );
            for o in job.output_assets() {
                println!(
                    "JobOutputAsset({}) from {}: {:?}",
                    o.index,
                    job.label(o.task),
                    o.name
                );
            }
            Ok(())
        }
        JobCommand::Show { id, json, store } => {
            let store = store.open()?;
            let status = store.job(&id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status.job)?);
            } else {
                print_job(&status);
            }
            Ok(())
        }
        JobCommand::List { store } => {
            let store = store.open()?;
            for s in store.jobs()? {
                let r = &s.job.record;
                println!(
                    "{}  {:<10}{} {:>5.1} %  {}  {}",
                    r.id,
                    r.state.name(),
                    if s.interrupted() {
                        " (interrupted)"
                    } else {
                        ""
                    },
                    s.job.progress,
                    time(Some(r.created)),
                    r.name.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
        JobCommand::Rerun { id, workers, store } => {
            let store = store.open()?;
            recover(&store)?;
            let status = store.job(&id)?;
            if status.running {
                bail!("job {id} is running in another process");
            }
            let job = store.job_definition(&id)?;
            eprintln!(
                "re-running {} as a new job {}",
                status.job.record.id, job.id
            );
            run_and_report(&store, job, workers)
        }
    }
}

fn recover(store: &AssetStore) -> Result<()> {
    for id in store.recover()? {
        eprintln!("job {id} was interrupted (its process stopped); recorded as Error, its partial outputs removed");
    }
    Ok(())
}

pub fn template(cmd: TemplateCommand) -> Result<()> {
    match cmd {
        TemplateCommand::Create { file, store } => {
            let store = store.open()?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading template {}", file.display()))?;
            let t = JobTemplate::from_json(text.trim_start_matches('\u{feff}'))
                .with_context(|| format!("{}", file.display()))?;
            // Presets are checked now, so a template that cannot run never reaches the store.
            let job = t.instantiate(
                (0..t.number_of_input_assets())
                    .map(|k| InputRef::Path(PathBuf::from(format!("input{k}"))))
                    .collect(),
            )?;
            check_presets(&job)?;
            store.save_template(&t)?;
            println!("{}", t.id());
            Ok(())
        }
        TemplateCommand::List { store } => {
            let store = store.open()?;
            for t in store.templates()? {
                println!(
                    "{}  {} input(s)  {} task(s)  {}",
                    t.id(),
                    t.number_of_input_assets(),
                    t.task_templates().len(),
                    t.name().unwrap_or("")
                );
            }
            Ok(())
        }
        TemplateCommand::Show { id, store } => {
            let store = store.open()?;
            println!("{}", store.template(&id)?.to_json());
            Ok(())
        }
    }
}

fn check_presets(job: &Job) -> Result<()> {
    // prepare_job also checks that inputs exist, which a template has none of: check the
    // configurations alone through a job whose inputs are placeholders.
    let mut probe = job.clone();
    match strata::prepare_job(&mut probe, None) {
        Ok(_) | Err(strata::Error::JobInput { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub fn asset(cmd: AssetCommand) -> Result<()> {
    match cmd {
        AssetCommand::Import { file, name, store } => {
            let store = store.open()?;
            let rec = store.import(&file, name.as_deref())?;
            println!("{}", rec.id);
            Ok(())
        }
        AssetCommand::List { store } => {
            let store = store.open()?;
            for a in store.assets()? {
                println!(
                    "{}  {:>3} file(s)  {}  {}",
                    a.id,
                    a.files.len(),
                    time(Some(a.created)),
                    a.name
                );
            }
            Ok(())
        }
        AssetCommand::Show { id, store } => {
            let store = store.open()?;
            let a = store.asset(&id)?;
            println!("asset     {}", a.id);
            println!("name      {}", a.name);
            println!("created   {}", time(Some(a.created)));
            if let Some(j) = &a.parent_job_id {
                println!("job       {j}");
            }
            println!("folder    {}", store.asset_files_dir(&a.id).display());
            for f in &a.files {
                let dims = if f.width > 0 {
                    format!("{}x{} {:.0} kbps", f.width, f.height, f.video_kbps)
                } else {
                    String::new()
                };
                println!(
                    "file      {}{:<48} {:>12} B  {:?} {dims}",
                    if f.is_primary { "*" } else { " " },
                    f.name,
                    f.size,
                    f.kind
                );
            }
            Ok(())
        }
    }
}
