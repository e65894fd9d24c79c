//! The threads of one task: decode → scale (one stage per distinct layer size) → encode + mux
//! (one worker per layer), joined by bounded channels.

use crate::plan::{LayerPlan, Plan};
use crate::{EncodeOptions, EngineError, Progress};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::Instant;
use strata_core::rescale_round;
use strata_core::{CodecParams, EditList, Frame, Packet, PixelFormat, Plane, Track};
use strata_h264::{Decoder, Encoder};
use strata_mux::{FileReport, Mp4Writer, Sample, TrackConfig, TrackSpec};
use strata_scale::{Geometry, Scaler};

/// Frames in flight per channel: enough to keep every stage busy, small enough that memory
/// does not grow with the input (a 1080p frame is 3 MB).
pub(crate) const CHANNEL_DEPTH: usize = 3;
/// Output movie clock (edit lists): milliseconds, as most muxers write.
const MOVIE_TIMESCALE: u32 = 1000;

/// A picture on its way to the encoders.
#[derive(Clone)]
pub(crate) struct Job {
    pub frame: Arc<Frame>,
    /// IDR on the shared KeyFrameInterval grid.
    pub idr: bool,
    /// pts of the first presented frame (source ticks), to rebase output times on 0.
    pub first_pts: i64,
}

/// What one layer worker produced.
pub(crate) struct LayerOutput {
    pub path: PathBuf,
    pub report: FileReport,
    pub avcc: Vec<u8>,
    /// Output pts (video ticks) of every IDR.
    pub keyframes: Vec<i64>,
    pub frames: u64,
}

/// Start times of the presentation, in microseconds of the input's movie timeline.
#[derive(Clone, Copy)]
pub(crate) struct Timeline {
    pub(crate) audio_start_us: Option<i64>,
}

fn cancelled(flag: &Option<Arc<AtomicBool>>) -> bool {
    flag.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// Marker for "a downstream stage stopped": the real error comes from that stage.
pub(crate) fn closed() -> EngineError {
    EngineError::Internal("pipeline stage stopped early".into())
}

fn is_closed(e: &EngineError) -> bool {
    matches!(e, EngineError::Internal(m) if m == "pipeline stage stopped early")
}

fn raw_frame(track: &Track, p: &Packet) -> Result<Frame, EngineError> {
    let (w, h) = match &track.codec {
        CodecParams::RawYuv420 { video } => (video.width as usize, video.height as usize),
        _ => return Err(EngineError::Internal("raw frame from a coded track".into())),
    };
    let (ys, cs) = (w * h, (w / 2) * (h / 2));
    if p.data.len() < ys + 2 * cs {
        return Err(EngineError::Internal(format!(
            "raw frame of {} bytes, {} expected",
            p.data.len(),
            ys + 2 * cs
        )));
    }
    let plane = |data: &[u8], pw: usize, ph: usize| Plane {
        data: data.to_vec(),
        stride: pw,
        width: pw,
        height: ph,
    };
    Ok(Frame {
        format: PixelFormat::Yuv420p,
        width: w as u32,
        height: h as u32,
        planes: [
            plane(&p.data[..ys], w, h),
            plane(&p.data[ys..ys + cs], w / 2, h / 2),
            plane(&p.data[ys + cs..ys + 2 * cs], w / 2, h / 2),
        ],
        pts: p.pts,
        duration: p.duration,
    })
}

/// Runs the whole pipeline, writing layer files into `dir`.
/// A prepared source picture for the thumbnail stage: picture, output time (s), index.
type ThumbMsg = (Arc<Frame>, f64, u64);

/// Everything a task wrote.
pub(crate) struct PipelineOutput {
    pub layers: Vec<LayerOutput>,
    pub images: Vec<crate::thumbstage::OutputImage>,
    /// The audio-only MP4 of a NonInterleaved output.
    pub audio: Option<(PathBuf, FileReport)>,
}

pub(crate) fn run(
    plan: &Plan,
    dir: &Path,
    options: &EncodeOptions,
) -> Result<PipelineOutput, EngineError> {
    let timeline = Timeline {
        audio_start_us: plan.audio.as_ref().map(audio_start_us),
    };
    let encoded = match (&plan.audio, &plan.transcode) {
        (Some(track), Some(spec)) => {
            let spool = dir.join(AUDIO_SPOOL);
            let src = crate::audio::AudioInput::of(plan, track);
            let r = crate::audio::transcode(&src, spec, &spool, &options.cancel);
            if r.is_err() {
                let _ = std::fs::remove_file(&spool);
            }
            Some(r?)
        }
        _ => None,
    };
    let result = run_with_audio(plan, dir, options, timeline, encoded.as_ref());
    if let Some(e) = &encoded {
        // The spool lives in the asset's temporary folder: it must not ship with it.
        let _ = std::fs::remove_file(&e.spool);
    }
    result
}

/// Name of the re-encoded audio spool inside the temporary asset folder.
const AUDIO_SPOOL: &str = ".strata-audio.spool";

fn run_with_audio(
    plan: &Plan,
    dir: &Path,
    options: &EncodeOptions,
    timeline: Timeline,
    encoded: Option<&crate::audio::EncodedAudio>,
) -> Result<PipelineOutput, EngineError> {
    // Distinct geometries: each gets one scaling stage feeding all layers of that size.
    let mut groups: Vec<(Geometry, Vec<usize>)> = Vec::new();
    for (i, l) in plan.layers.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| *g == l.geometry) {
            Some((_, v)) => v.push(i),
            None => groups.push((l.geometry, vec![i])),
        }
    }
    if let Some(cp) = crate::chunk::plan_chunks(plan, options) {
        return run_chunked(plan, dir, options, timeline, encoded, &cp, &groups);
    }
    std::thread::scope(|s| {
        let mut layer_txs: Vec<Option<SyncSender<Job>>> = vec![None; plan.layers.len()];
        let mut workers = Vec::new();
        for (i, layer) in plan.layers.iter().enumerate() {
            let (tx, rx) = sync_channel::<Job>(CHANNEL_DEPTH);
            layer_txs[i] = Some(tx);
            let path = dir.join(&layer.file_name);
            workers.push(
                s.spawn(move || encode_layer(plan, layer, &path, rx, timeline, options, encoded)),
            );
        }
        let (group_txs, scalers) = spawn_scalers(s, &groups, layer_txs);
        let (thumb_tx, thumb_handle) = if plan.thumbnails.is_empty() {
            (None, None)
        } else {
            let (tx, rx) = sync_channel::<ThumbMsg>(CHANNEL_DEPTH);
            let h = s.spawn(move || {
                crate::thumbstage::stage(
                    &plan.thumbnails,
                    rx,
                    dir,
                    &plan.basename,
                    f64::from(plan.video.time_base.ticks_per_second()),
                )
            });
            (Some(tx), Some(h))
        };
        let audio_handle = plan.separate_audio.as_ref().map(|name| {
            let path = dir.join(name);
            s.spawn(move || write_audio_file(plan, &path, timeline, encoded))
        });
        let decode_result = decode_stage(plan, group_txs, thumb_tx, options);
        let mut first_err = decode_result.err();
        join_all(scalers, "a scaling thread", &mut first_err);
        let images = join_all(
            thumb_handle.into_iter().collect(),
            "the thumbnail thread",
            &mut first_err,
        )
        .pop()
        .unwrap_or_default();
        let audio = join_all(
            audio_handle.into_iter().collect(),
            "the audio thread",
            &mut first_err,
        )
        .pop();
        let outputs = join_all(workers, "an encoder thread", &mut first_err);
        match first_err {
            Some(e) => Err(e),
            None => Ok(PipelineOutput {
                layers: outputs,
                images,
                audio,
            }),
        }
    })
}

/// Keeps the error that explains a failure: a real one over "a stage stopped early".
pub(crate) fn keep_first(first_err: &mut Option<EngineError>, e: EngineError) {
    let replace = match first_err {
        None => true,
        Some(old) => is_closed(old) && !is_closed(&e),
    };
    if replace {
        *first_err = Some(e);
    }
}

/// Chunk workers when the caller does not say.
const MAX_DEFAULT_WORKERS: usize = 4;

/// Joins threads of one kind, keeping their results and the error that explains a failure.
pub(crate) fn join_all<T>(
    handles: Vec<std::thread::ScopedJoinHandle<'_, Result<T, EngineError>>>,
    what: &str,
    first_err: &mut Option<EngineError>,
) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles {
        match h.join() {
            Ok(Ok(v)) => out.push(v),
            Ok(Err(e)) => keep_first(first_err, e),
            Err(_) => keep_first(first_err, EngineError::Internal(format!("{what} panicked"))),
        }
    }
    out
}

/// The chunked pipeline: workers encode chunks (see [`crate::chunk`]); this thread hands
/// each finished chunk, in order, to one muxing thread per layer.
fn run_chunked(
    plan: &Plan,
    dir: &Path,
    options: &EncodeOptions,
    timeline: Timeline,
    encoded: Option<&crate::audio::EncodedAudio>,
    cp: &crate::chunk::ChunkPlan,
    groups: &[(Geometry, Vec<usize>)],
) -> Result<PipelineOutput, EngineError> {
    let n = cp.chunks.len();
    // Each running chunk holds a full set of layer encoders: by default no more than four at
    // once, so memory stays bounded on many-core machines.
    let workers = options
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_DEFAULT_WORKERS)
        })
        .clamp(1, n);
    // Finished chunks may run this far ahead of the muxers: enough that a slow chunk does not
    // idle the others, few enough that their encoded bytes stay small.
    let window = 2 * workers;
    let shared = crate::chunk::Shared::new();
    let start = Instant::now();
    let done = std::sync::atomic::AtomicU64::new(0);
    let last_report = std::sync::Mutex::new(Instant::now());
    let on_frame = || {
        let k = done.fetch_add(1, Ordering::Relaxed) + 1;
        let Some(cb) = &options.progress else {
            return;
        };
        // Reported under the lock, with the count read there, so reports never go backwards.
        if let Ok(mut t) = last_report.lock() {
            if t.elapsed().as_millis() >= 200 || k == cp.frames {
                *t = Instant::now();
                cb(Progress {
                    frames_done: done.load(Ordering::Relaxed).min(cp.frames),
                    frames_total: cp.frames,
                    elapsed_secs: start.elapsed().as_secs_f64(),
                });
            }
        }
    };
    std::thread::scope(|s| {
        let mut txs = Vec::new();
        let mut muxers = Vec::new();
        for layer in &plan.layers {
            let (tx, rx) = sync_channel::<Coded>(64);
            txs.push(tx);
            let path = dir.join(&layer.file_name);
            muxers.push(s.spawn(move || {
                mux_layer(
                    plan,
                    layer,
                    &path,
                    rx.into_iter().map(Ok),
                    timeline,
                    options,
                    encoded,
                )
            }));
        }
        let audio_handle = plan.separate_audio.as_ref().map(|name| {
            let path = dir.join(name);
            s.spawn(move || write_audio_file(plan, &path, timeline, encoded))
        });
        let mut handles = Vec::new();
        for _ in 0..workers {
            let (shared, on_frame) = (&shared, &on_frame);
            handles.push(s.spawn(move || {
                while let Some(c) = shared.take(n, window) {
                    // A panic must still finish the chunk, or the muxing thread would wait
                    // for it forever.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        crate::chunk::encode_chunk(
                            plan,
                            cp,
                            c,
                            groups,
                            options,
                            &shared.stop,
                            on_frame,
                        )
                    }))
                    .unwrap_or_else(|_| Err(EngineError::Internal(format!("chunk {c} panicked"))));
                    shared.finish(c, r);
                }
            }));
        }
        let mut first_err: Option<EngineError> = None;
        let mut pictures = 0u64;
        for c in 0..n {
            match shared.wait_for(c) {
                Some(Ok(layers)) => {
                    pictures += layers.first().map_or(0, |l| l.len() as u64);
                    let sent = layers.into_iter().zip(&txs).try_for_each(|(frames, tx)| {
                        frames.into_iter().try_for_each(|f| tx.send(f))
                    });
                    if sent.is_err() {
                        // A muxer stopped; its own error says why.
                        keep_first(&mut first_err, closed());
                        break;
                    }
                }
                Some(Err(e)) => {
                    keep_first(&mut first_err, e);
                    break;
                }
                None => break,
            }
        }
        shared.halt();
        drop(txs);
        for h in handles {
            if h.join().is_err() {
                keep_first(
                    &mut first_err,
                    EngineError::Internal("a chunk worker panicked".into()),
                );
            }
        }
        for e in shared.errors() {
            keep_first(&mut first_err, e);
        }
        if first_err.is_none() && pictures == 0 {
            keep_first(
                &mut first_err,
                EngineError::NoFrames {
                    path: plan.input.clone(),
                },
            );
        }
        let audio = join_all(
            audio_handle.into_iter().collect(),
            "the audio thread",
            &mut first_err,
        )
        .pop();
        let outputs = join_all(muxers, "a muxing thread", &mut first_err);
        match first_err {
            Some(e) => Err(e),
            None => Ok(PipelineOutput {
                layers: outputs,
                images: Vec::new(),
                audio,
            }),
        }
    })
}

/// Presentation time in µs of a video pts on the input's movie timeline (edit list applied).
pub(crate) fn video_presentation_us(plan: &Plan, pts: i64) -> i64 {
    plan.video.presentation_us(pts)
}

/// Where the output video is expected to start before any picture is decoded: the trim start,
/// or the first presented instant of the track. Used by audio written apart from the layers.
fn expected_video_start_us(plan: &Plan) -> i64 {
    let first = plan.video.edits.map_or(0, |e| e.media_time);
    plan.trim
        .start_us
        .unwrap_or(0)
        .max(video_presentation_us(plan, first))
}

/// Presentation µs at which an audio track starts playing (its leading empty edit).
pub(crate) fn audio_start_us(a: &Track) -> i64 {
    a.presentation_us(a.edits.map_or(0, |e| e.media_time))
}

/// What [`Presenter::show`] makes of a decoded picture.
pub(crate) enum Shown {
    /// Presented, with its duration set.
    Keep(Frame),
    /// Hidden by the edit list or before the trim start, or a duplicate.
    Skip,
    /// After the trim end: so is every later picture (they come in display order).
    Past,
}

/// The rules that turn decoded pictures (display order) into presented ones with durations,
/// shared by the single-chunk decode stage and the chunk workers so both show the same
/// pictures for the same times.
pub(crate) struct Presenter<'a> {
    plan: &'a Plan,
    hidden_before: Option<i64>,
    trimming: bool,
    /// Duration for a last picture with no successor and no usable packet duration (a
    /// one-frame input): the track's mean sample duration.
    nominal: i64,
    last_pts: i64,
    last_duration: i64,
}

impl<'a> Presenter<'a> {
    pub(crate) fn new(plan: &'a Plan) -> Self {
        let v = &plan.video;
        Self {
            plan,
            hidden_before: v.edits.map(|e| e.media_time),
            trimming: plan.trim != crate::sources::Trim::default(),
            nominal: (v.duration / i64::from(v.sample_count.max(1))).max(1),
            last_pts: i64::MIN,
            last_duration: 0,
        }
    }

    /// Picture `f`, lasting until `next_pts` (the next decoded picture), or why it is not
    /// shown.
    pub(crate) fn show(&mut self, mut f: Frame, next_pts: Option<i64>) -> Shown {
        // A duplicate or out-of-order picture (broken stream) is dropped rather than written
        // with non-increasing timestamps.
        if self.hidden_before.is_some_and(|m| f.pts < m) || f.pts <= self.last_pts {
            return Shown::Skip;
        }
        self.last_pts = f.pts;
        f.duration = match next_pts {
            Some(n) if n > f.pts => n - f.pts,
            _ if f.duration > 0 => f.duration,
            _ if self.last_duration > 0 => self.last_duration,
            _ => self.nominal,
        };
        self.last_duration = f.duration;
        if self.trimming {
            let t = video_presentation_us(self.plan, f.pts);
            if !self.plan.trim.keeps(t) {
                return if self.plan.trim.start_us.unwrap_or(0) <= t {
                    Shown::Past
                } else {
                    Shown::Skip
                };
            }
        }
        Shown::Keep(f)
    }
}

fn decode_stage(
    plan: &Plan,
    outs: Vec<SyncSender<Job>>,
    thumbs: Option<SyncSender<ThumbMsg>>,
    options: &EncodeOptions,
) -> Result<(), EngineError> {
    let path = &plan.input;
    let video = &plan.video;
    let input_err = |source| EngineError::Input {
        path: path.clone(),
        source,
    };
    let packets: Box<dyn Iterator<Item = Result<Packet, strata_demux::DemuxError>> + Send> =
        if plan.black_video {
            let (w, h) = (plan.source.0 as usize, plan.source.1 as usize);
            let frame = [vec![16u8; w * h], vec![128u8; (w / 2) * (h / 2) * 2]].concat();
            Box::new((0..i64::from(video.sample_count)).map(move |k| {
                Ok(Packet {
                    track_id: 0,
                    data: frame.clone(),
                    dts: k,
                    pts: k,
                    duration: 1,
                    keyframe: true,
                })
            }))
        } else {
            plan.demuxer.packets(video.id).map_err(input_err)?
        };
    let mut decoder = match &video.codec {
        CodecParams::H264 { avcc, .. } => {
            Some(Decoder::new(avcc).map_err(|source| EngineError::Decode {
                path: path.clone(),
                source,
            })?)
        }
        _ => None,
    };
    let prep = crate::prep::Prep::new(plan)?;
    let trimming = plan.trim != crate::sources::Trim::default();
    let mut presenter = Presenter::new(plan);
    let past_end = std::cell::Cell::new(false);
    let start = Instant::now();
    let mut last_report = Instant::now();
    let total = match plan.trim.duration_us {
        Some(d) if trimming => {
            let n = (d as f64 / 1e6 * plan.frame_rate.to_f64()).ceil() as u64;
            n.clamp(1, u64::from(video.sample_count))
        }
        _ => u64::from(video.sample_count),
    };
    let mut pending: Option<Frame> = None;
    let mut first_pts: Option<i64> = None;
    let mut last_gop: i64 = i64::MIN;
    let mut done: u64 = 0;

    let mut emit = |f: Frame, next_pts: Option<i64>| -> Result<(), EngineError> {
        let f = match presenter.show(f, next_pts) {
            Shown::Keep(f) => f,
            Shown::Past => {
                past_end.set(true);
                return Ok(());
            }
            Shown::Skip => return Ok(()),
        };
        let first = *first_pts.get_or_insert(f.pts);
        let t_out = (f.pts - first) as f64 / f64::from(video.time_base.ticks_per_second());
        let f = prep.apply(f, t_out)?;
        let gop = (f.pts - first).div_euclid(plan.gop_ticks);
        let idr = gop != last_gop;
        last_gop = gop;
        let job = Job {
            frame: Arc::new(f),
            idr,
            first_pts: first,
        };
        for tx in &outs {
            tx.send(job.clone()).map_err(|_| closed())?;
        }
        if let Some(tx) = &thumbs {
            tx.send((job.frame.clone(), t_out, done))
                .map_err(|_| closed())?;
        }
        done += 1;
        if let Some(cb) = &options.progress {
            if last_report.elapsed().as_millis() >= 200 || done == total {
                last_report = Instant::now();
                cb(Progress {
                    frames_done: done,
                    frames_total: total,
                    elapsed_secs: start.elapsed().as_secs_f64(),
                });
            }
        }
        Ok(())
    };

    for p in packets {
        if cancelled(&options.cancel) {
            return Err(EngineError::Cancelled);
        }
        if past_end.get() {
            // Pictures come out in display order: once one is past the trim end, all are.
            break;
        }
        let p = p.map_err(input_err)?;
        let frame = match decoder.as_mut() {
            Some(d) => d.decode(&p).map_err(|source| EngineError::Decode {
                path: path.clone(),
                source,
            })?,
            None => Some(raw_frame(video, &p)?),
        };
        if let Some(mut f) = frame {
            if f.duration == 0 {
                f.duration = p.duration;
            }
            if let Some(prev) = pending.take() {
                emit(prev, Some(f.pts))?;
            }
            pending = Some(f);
        }
    }
    if let Some(d) = decoder.as_mut() {
        for f in d.flush().map_err(|source| EngineError::Decode {
            path: path.clone(),
            source,
        })? {
            if let Some(prev) = pending.take() {
                emit(prev, Some(f.pts))?;
            }
            pending = Some(f);
        }
    }
    match pending.take() {
        Some(prev) => emit(prev, None)?,
        None => {
            return Err(EngineError::NoFrames { path: path.clone() });
        }
    }
    if first_pts.is_none() {
        if trimming {
            return Err(strata_preset::PresetError::Invalid {
                field: "Sources[0].StartTime".into(),
                message:
                    "Sources[0].StartTime/Duration select no picture of the input (past its end?)"
                        .into(),
            }
            .into());
        }
        return Err(EngineError::NoFrames { path: path.clone() });
    }
    Ok(())
}

/// A scoped stage thread that yields nothing but its error.
type StageHandle<'scope> = std::thread::ScopedJoinHandle<'scope, Result<(), EngineError>>;

/// One scaling thread per layer size, each feeding the layers of that size (`layer_txs`,
/// indexed by layer); returns the senders that feed the scalers, in `groups` order.
pub(crate) fn spawn_scalers<'scope>(
    s: &'scope std::thread::Scope<'scope, '_>,
    groups: &[(Geometry, Vec<usize>)],
    mut layer_txs: Vec<Option<SyncSender<Job>>>,
) -> (Vec<SyncSender<Job>>, Vec<StageHandle<'scope>>) {
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    for (geo, members) in groups {
        let (tx, rx) = sync_channel::<Job>(CHANNEL_DEPTH);
        senders.push(tx);
        let outs: Vec<SyncSender<Job>> = members
            .iter()
            .filter_map(|&i| layer_txs[i].take())
            .collect();
        let geo = *geo;
        handles.push(s.spawn(move || scale_stage(geo, rx, outs)));
    }
    (senders, handles)
}

pub(crate) fn scale_stage(
    geo: Geometry,
    rx: Receiver<Job>,
    outs: Vec<SyncSender<Job>>,
) -> Result<(), EngineError> {
    let mut scaler = Scaler::new();
    for job in rx {
        let f = &job.frame;
        let same = f.width == geo.width && f.height == geo.height && geo.x == 0 && geo.y == 0;
        let frame = if same {
            job.frame.clone()
        } else {
            Arc::new(
                scaler
                    .scale(f, &geo)
                    .map_err(|e| EngineError::Internal(format!("scaling: {e}")))?,
            )
        };
        let out = Job { frame, ..job };
        for tx in &outs {
            tx.send(out.clone()).map_err(|_| closed())?;
        }
    }
    Ok(())
}

/// One encoded picture of a layer, on its way to the muxer.
pub(crate) struct Coded {
    /// Length-prefixed NAL units.
    pub data: Vec<u8>,
    pub keyframe: bool,
    /// Source pts of the picture.
    pub pts: i64,
    /// Source pts of the first presented picture (output time 0).
    pub first_pts: i64,
    /// Source ticks.
    pub duration: i64,
    /// The encoder's `avcC`, on the first picture of every encoder (each chunk has its own).
    pub avcc: Option<Vec<u8>>,
}

/// One layer's encoder, turning pictures into [`Coded`] ones.
pub(crate) struct LayerCoder {
    encoder: Encoder,
    path: PathBuf,
    fresh: bool,
}

impl LayerCoder {
    pub(crate) fn new(layer: &LayerPlan, path: &Path) -> Result<Self, EngineError> {
        let encoder =
            Encoder::new(layer.encoder.clone()).map_err(|source| EngineError::Encode {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            encoder,
            path: path.to_path_buf(),
            fresh: true,
        })
    }

    pub(crate) fn code(&mut self, job: &Job) -> Result<Coded, EngineError> {
        let pkt =
            self.encoder
                .encode(&job.frame, job.idr)
                .map_err(|source| EngineError::Encode {
                    path: self.path.clone(),
                    source,
                })?;
        let avcc = self
            .fresh
            .then(|| self.encoder.avcc().unwrap_or_default().to_vec());
        self.fresh = false;
        Ok(Coded {
            data: pkt.data,
            keyframe: pkt.keyframe,
            pts: job.frame.pts,
            first_pts: job.first_pts,
            duration: job.frame.duration,
            avcc,
        })
    }
}

/// The single-chunk layer worker: encodes the pictures it receives and muxes them.
fn encode_layer(
    plan: &Plan,
    layer: &LayerPlan,
    path: &Path,
    rx: Receiver<Job>,
    timeline: Timeline,
    options: &EncodeOptions,
    encoded: Option<&crate::audio::EncodedAudio>,
) -> Result<LayerOutput, EngineError> {
    let mut coder = LayerCoder::new(layer, path)?;
    let coded = rx.into_iter().map(|job| coder.code(&job));
    mux_layer(plan, layer, path, coded, timeline, options, encoded)
}

/// Writes one layer's MP4 from its encoded pictures in order, interleaving the audio.
pub(crate) fn mux_layer(
    plan: &Plan,
    layer: &LayerPlan,
    path: &Path,
    coded: impl Iterator<Item = Result<Coded, EngineError>>,
    timeline: Timeline,
    options: &EncodeOptions,
    encoded: Option<&crate::audio::EncodedAudio>,
) -> Result<LayerOutput, EngineError> {
    let mux_err = |source| EngineError::Mux {
        path: path.to_path_buf(),
        source,
    };
    let video_ts = plan.video.time_base.ticks_per_second();
    let mut configs = vec![TrackConfig {
        spec: TrackSpec::H264 {
            width: layer.geometry.width,
            height: layer.geometry.height,
            avcc: Vec::new(),
            pixel_aspect: None,
        },
        timescale: video_ts,
        language: "und".into(),
        edits: None,
    }];
    let mut audio = if plan.separate_audio.is_some() {
        None
    } else {
        audio_source(plan, encoded).map(|src| {
            configs.push(src.track_config(plan));
            AudioFeed::new(plan, src, timeline, 1)
        })
    }
    .transpose()?;
    let mut writer = Mp4Writer::create(path, configs, MOVIE_TIMESCALE).map_err(mux_err)?;
    let mut avcc: Option<Vec<u8>> = None;
    let mut keyframes = Vec::new();
    let mut frames = 0u64;
    // Start of the output = the earlier of the first kept picture and the first kept audio;
    // the later track gets an empty edit, so A/V sync survives.
    let mut t0_us = 0i64;
    let mut video_start_us = 0i64;
    let vts = i64::from(video_ts);
    for c in coded {
        let c = c?;
        if cancelled(&options.cancel) {
            return Err(EngineError::Cancelled);
        }
        let out_pts = c.pts - c.first_pts;
        if frames == 0 {
            video_start_us = video_presentation_us(plan, c.first_pts);
            t0_us = audio
                .as_ref()
                .map_or(video_start_us, |a| a.first_us.min(video_start_us));
        }
        match (&avcc, c.avcc) {
            (None, Some(a)) => {
                writer.set_avcc(0, a.clone()).map_err(mux_err)?;
                avcc = Some(a);
            }
            // Every chunk's encoder has the same configuration, hence the same SPS/PPS; one
            // that differed would make the later chunks undecodable with the file's avcC.
            (Some(old), Some(a)) if *old != a => {
                return Err(EngineError::Internal(format!(
                    "{}: a chunk's encoder wrote other parameter sets than the first",
                    path.display()
                )))
            }
            _ => {}
        }
        // Interleave: audio that starts before this picture ends goes first.
        let video_end_us = video_start_us + rescale_round(out_pts + c.duration, 1_000_000, vts);
        if let Some(a) = audio.as_mut() {
            a.write_until(&mut writer, Some(video_end_us))?;
        }
        if c.keyframe {
            keyframes.push(out_pts);
        }
        let duration = u32::try_from(c.duration).map_err(|_| {
            EngineError::Internal(format!("frame duration {} too long", c.duration))
        })?;
        writer
            .write_sample(
                0,
                Sample {
                    data: &c.data,
                    duration,
                    cts_offset: 0,
                    sync: c.keyframe,
                },
            )
            .map_err(mux_err)?;
        frames += 1;
    }
    if frames == 0 {
        // The decode stage failed before the first frame; it reports why.
        return Err(closed());
    }
    let to_movie = |us: i64| rescale_round(us, i64::from(MOVIE_TIMESCALE), 1_000_000);
    let video_lead = to_movie(video_start_us - t0_us);
    writer
        .set_edits(
            0,
            (video_lead > 0).then_some(EditList {
                empty_duration: video_lead,
                media_time: 0,
                segment_duration: 0,
            }),
        )
        .map_err(mux_err)?;
    if let Some(a) = audio.as_mut() {
        a.write_until(&mut writer, None)?;
        let empty = to_movie(a.first_us - t0_us);
        let edit = (empty > 0 || a.out_media_time > 0).then_some(EditList {
            empty_duration: empty,
            media_time: a.out_media_time,
            segment_duration: a.segment_movie,
        });
        writer.set_edits(1, edit).map_err(mux_err)?;
    }
    let report = writer.finish().map_err(mux_err)?;
    Ok(LayerOutput {
        path: path.to_path_buf(),
        report,
        avcc: avcc.unwrap_or_default(),
        keyframes,
        frames,
    })
}

/// The audio-only MP4 of a NonInterleaved output: the same audio (and timing) the layers
/// would have carried.
fn write_audio_file(
    plan: &Plan,
    path: &Path,
    timeline: Timeline,
    encoded: Option<&crate::audio::EncodedAudio>,
) -> Result<(PathBuf, FileReport), EngineError> {
    let mux_err = |source| EngineError::Mux {
        path: path.to_path_buf(),
        source,
    };
    let Some(src) = audio_source(plan, encoded) else {
        return Err(EngineError::Internal(
            "separate audio without an audio source".into(),
        ));
    };
    let mut writer =
        Mp4Writer::create(path, vec![src.track_config(plan)], MOVIE_TIMESCALE).map_err(mux_err)?;
    let mut feed = AudioFeed::new(plan, src, timeline, 0)?;
    feed.write_until(&mut writer, None)?;
    // Keep the offset against the video: the video starts at its first presented picture (or
    // the trim start).
    let video_start = expected_video_start_us(plan);
    let t0 = video_start.min(feed.first_us);
    let empty = rescale_round(feed.first_us - t0, i64::from(MOVIE_TIMESCALE), 1_000_000);
    let edit = (empty > 0 || feed.out_media_time > 0).then_some(EditList {
        empty_duration: empty,
        media_time: feed.out_media_time,
        segment_duration: feed.segment_movie,
    });
    writer.set_edits(0, edit).map_err(mux_err)?;
    let report = writer.finish().map_err(mux_err)?;
    Ok((path.to_path_buf(), report))
}

fn packet_us(base_us: i64, media_time: i64, ts: i64, p: &Packet) -> i64 {
    base_us + rescale_round(p.dts - media_time, 1_000_000, ts)
}

type PacketIter =
    std::iter::Peekable<Box<dyn Iterator<Item = Result<Packet, strata_demux::DemuxError>> + Send>>;

/// Where a file's audio comes from.
#[derive(Clone, Copy)]
enum AudioSource<'a> {
    /// The input's AAC track, copied.
    Input(&'a Track),
    /// Generated silence (AACAudio Condition InsertSilenceIfNoAudio).
    Silence { channels: u16, rate: u32 },
    /// The input's audio re-encoded once for all layers.
    Encoded(&'a crate::audio::EncodedAudio),
}

fn audio_source<'a>(
    plan: &'a Plan,
    encoded: Option<&'a crate::audio::EncodedAudio>,
) -> Option<AudioSource<'a>> {
    match (&plan.audio, plan.silence) {
        (Some(_), _) if encoded.is_some() => encoded.map(AudioSource::Encoded),
        (Some(a), _) if matches!(a.codec, CodecParams::Aac { .. }) => Some(AudioSource::Input(a)),
        (None, Some((channels, rate))) => Some(AudioSource::Silence { channels, rate }),
        _ => None,
    }
}

impl AudioSource<'_> {
    fn track_config(&self, _plan: &Plan) -> TrackConfig {
        match self {
            AudioSource::Input(a) => {
                let (asc, object_type, channels, sample_rate) = match &a.codec {
                    CodecParams::Aac {
                        asc,
                        object_type,
                        audio,
                    } => (asc.clone(), *object_type, audio.channels, audio.sample_rate),
                    _ => (Vec::new(), 0x40, 2, 48_000),
                };
                TrackConfig {
                    spec: TrackSpec::Aac {
                        asc,
                        object_type,
                        channels,
                        sample_rate,
                    },
                    timescale: a.time_base.ticks_per_second(),
                    language: a.language.clone(),
                    edits: None,
                }
            }
            AudioSource::Encoded(e) => TrackConfig {
                spec: TrackSpec::Aac {
                    asc: e.asc.clone(),
                    object_type: 0x40,
                    channels: e.channels,
                    sample_rate: e.sample_rate,
                },
                timescale: e.sample_rate,
                language: e.language.clone(),
                edits: None,
            },
            AudioSource::Silence { channels, rate } => TrackConfig {
                spec: TrackSpec::Aac {
                    asc: crate::silence::audio_specific_config(*channels, *rate),
                    object_type: 0x40,
                    channels: *channels,
                    sample_rate: *rate,
                },
                timescale: *rate,
                language: "und".into(),
                edits: None,
            },
        }
    }
}

/// Audio packets, trimmed and timed for interleaving into one file.
struct AudioFeed<'a> {
    plan: &'a Plan,
    it: PacketIter,
    track_index: usize,
    /// Presentation µs of the track's media time 0 (its empty edit), before media_time.
    base_us: i64,
    ts: i64,
    /// Media time hidden at the start of the input track (encoder priming); packet times are
    /// always computed with it.
    media_time: i64,
    /// The media time written into the output edit: the input's, or 0 once trimming dropped
    /// the priming packets anyway.
    out_media_time: i64,
    /// Output edit duration (movie ticks), 0 = to the end.
    segment_movie: i64,
    /// Presentation µs of the first audio that plays.
    first_us: i64,
    end_us: Option<i64>,
}

impl<'a> AudioFeed<'a> {
    fn new(
        plan: &'a Plan,
        source: AudioSource<'a>,
        timeline: Timeline,
        track_index: usize,
    ) -> Result<Self, EngineError> {
        let input_err = |source| EngineError::Input {
            path: plan.input.clone(),
            source,
        };
        let a = match source {
            AudioSource::Input(a) => a,
            AudioSource::Encoded(e) => {
                // Already trimmed and timed: the frames start at the first presented sample
                // minus the encoder delay, which the edit hides again.
                let it: Box<dyn Iterator<Item = Result<Packet, strata_demux::DemuxError>> + Send> =
                    Box::new(
                        e.packets()?
                            .map(|r| r.map_err(strata_demux::DemuxError::Io)),
                    );
                let rate = i64::from(e.sample_rate);
                return Ok(Self {
                    plan,
                    it: it.peekable(),
                    track_index,
                    base_us: e.first_us,
                    ts: rate,
                    media_time: i64::from(e.priming),
                    out_media_time: i64::from(e.priming),
                    segment_movie: rescale_round(
                        i64::try_from(e.presented).unwrap_or(i64::MAX),
                        i64::from(MOVIE_TIMESCALE),
                        rate,
                    ),
                    first_us: e.first_us,
                    end_us: None,
                });
            }
            AudioSource::Silence { channels, rate } => {
                // Silence starts with the video and lasts as long.
                let start = expected_video_start_us(plan);
                let frames = (plan.duration_secs * f64::from(rate) / 1024.0)
                    .ceil()
                    .max(1.0) as i64;
                let frame = crate::silence::silent_frame(channels);
                let it: Box<dyn Iterator<Item = Result<Packet, strata_demux::DemuxError>> + Send> =
                    Box::new((0..frames).map(move |k| {
                        Ok(Packet {
                            track_id: 0,
                            data: frame.clone(),
                            dts: k * 1024,
                            pts: k * 1024,
                            duration: 1024,
                            keyframe: true,
                        })
                    }));
                return Ok(Self {
                    plan,
                    it: it.peekable(),
                    track_index,
                    base_us: start,
                    ts: i64::from(rate),
                    media_time: 0,
                    out_media_time: 0,
                    segment_movie: 0,
                    first_us: start,
                    end_us: None,
                });
            }
        };
        let it = plan.demuxer.packets(a.id).map_err(input_err)?.peekable();
        let mut feed = Self {
            plan,
            it,
            track_index,
            base_us: timeline.audio_start_us.unwrap_or(0),
            ts: i64::from(a.time_base.ticks_per_second()),
            media_time: a.edits.map_or(0, |e| e.media_time.max(0)),
            out_media_time: a.edits.map_or(0, |e| e.media_time.max(0)),
            segment_movie: a.edits.map_or(0, |e| {
                rescale_round(
                    e.segment_duration,
                    i64::from(MOVIE_TIMESCALE),
                    i64::from(a.movie_time_base.ticks_per_second()),
                )
            }),
            first_us: timeline.audio_start_us.unwrap_or(0),
            end_us: None,
        };
        let trim = plan.trim;
        if let Some(d) = trim.duration_us {
            feed.end_us = Some(trim.start_us.unwrap_or(0) + d);
        }
        if let Some(start) = trim.start_us.filter(|&s| s > feed.first_us) {
            // Drop the audio before the trim start; the first kept packet plays from its own
            // start, so the priming edit and the original segment length no longer apply.
            // Keep the packet that straddles the start and hide its head with the edit, so the
            // audio starts exactly with the trimmed video.
            let (base, mt, ts) = (feed.base_us, feed.media_time, feed.ts);
            while let Some(Ok(p)) = feed.it.peek() {
                let end = packet_us(base, mt, ts, p) + rescale_round(p.duration, 1_000_000, ts);
                if end > start {
                    break;
                }
                feed.it.next();
            }
            feed.out_media_time = 0;
            if let Some(Ok(p)) = feed.it.peek() {
                let p_us = packet_us(base, mt, ts, p);
                if p_us < start {
                    feed.out_media_time = rescale_round(start - p_us, ts, 1_000_000);
                    feed.first_us = start;
                } else {
                    feed.first_us = p_us;
                }
            }
            feed.segment_movie = 0;
        } else if let Some(end) = feed.end_us {
            let kept = (end - feed.first_us).max(0);
            feed.segment_movie = rescale_round(kept, i64::from(MOVIE_TIMESCALE), 1_000_000);
        }
        Ok(feed)
    }

    /// Writes packets that start before `until_us` (presentation µs), or all remaining ones.
    fn write_until(
        &mut self,
        writer: &mut Mp4Writer,
        until_us: Option<i64>,
    ) -> Result<(), EngineError> {
        let (base, mt, ts) = (self.base_us, self.media_time, self.ts);
        loop {
            let due = match self.it.peek() {
                None => break,
                Some(Err(_)) => true,
                Some(Ok(p)) => {
                    let t = packet_us(base, mt, ts, p);
                    if self.end_us.is_some_and(|e| t >= e) {
                        break;
                    }
                    until_us.is_none_or(|u| t < u)
                }
            };
            if !due {
                break;
            }
            let p = match self.it.next() {
                Some(Ok(p)) => p,
                Some(Err(source)) => {
                    return Err(EngineError::Input {
                        path: self.plan.input.clone(),
                        source,
                    })
                }
                None => break,
            };
            let sample = Sample {
                data: &p.data,
                duration: u32::try_from(p.duration).unwrap_or(0),
                cts_offset: i32::try_from(p.pts - p.dts).unwrap_or(0),
                sync: true,
            };
            writer
                .write_sample(self.track_index, sample)
                .map_err(|source| EngineError::Mux {
                    path: writer_path(writer),
                    source,
                })?;
        }
        Ok(())
    }
}

fn writer_path(w: &Mp4Writer) -> PathBuf {
    w.path().to_path_buf()
}
