//! Chunk parallelism (`EncodeOptions::chunked`): the video timeline cut on the
//! KeyFrameInterval grid into runs of GOPs that workers encode independently, each chunk a
//! pipeline of its own (decoder, scalers, encoders), and that the layer muxers take back in
//! order.
//!
//! Why: OpenH264's decoder is single-threaded (its threaded mode crashes), so one decoder
//! feeding every encoder caps an encode at its speed however many cores there are. A chunk
//! starts at an IDR of the input, so its decoder needs nothing from earlier chunks; it ends on
//! the output GOP grid, so its first picture is an IDR of every layer anyway and cutting there
//! changes no picture type. A cut is only made where the input has an IDR at most a quarter
//! GOP before it (otherwise the pictures in between would be decoded twice).
//!
//! Off by default, from measurements on 2 cores (10 s 1080p30 input, 2 s GOPs): the
//! one-pipeline encode already keeps both cores busy (CPU/wall 1.9) and chunks gave the same
//! wall time (5.2 s for the 720p ladder) with twice the peak memory (each running chunk holds
//! its own encoders: 474 MB against 230 MB for the 1080p ladder). It is for more cores, or
//! input whose decode is the bottleneck.
//!
//! The cut depends on the input alone (never on the worker count), so the bytes are the same
//! with one worker or many. Memory stays bounded: finished chunks wait (as encoded bytes) at
//! most a small window ahead of the muxers.

use crate::pipeline::{
    closed, join_all, spawn_scalers, video_presentation_us, Coded, Job, LayerCoder, Presenter,
    Shown, CHANNEL_DEPTH,
};
use crate::plan::Plan;
use crate::{EncodeOptions, EngineError};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use strata_core::{CodecParams, Frame};
use strata_h264::Decoder;
use strata_scale::Geometry;

/// Chunks are at least this many per input when the input has that many GOPs: enough for two
/// workers to balance their loads.
const MIN_CHUNKS: i64 = 8;
/// And at most this long: the encoders' rate control restarts at each chunk, and a longer
/// chunk leaves more work to the last worker.
const MAX_CHUNK_SECS: f64 = 10.0;
/// GOP buckets beyond which a timeline is not cut (a day of 1 s GOPs is 86 400): only
/// broken timestamps get there.
const MAX_BUCKETS: i64 = 1_000_000;

/// Runs of GOP buckets, each from an IDR of the input.
#[derive(Debug)]
pub(crate) struct ChunkPlan {
    /// pts of the first presented picture: output time 0 and the origin of the GOP grid.
    pub first_pts: i64,
    pub chunks: Vec<Chunk>,
    /// Pictures expected, for progress.
    pub frames: u64,
}

/// One chunk: the GOP buckets `[lo, hi)` (`(pts - first) / gop_ticks`), decoded from sample
/// `first_sample` (decode order), an IDR at or before the chunk's first picture.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunk {
    pub first_sample: usize,
    pub lo: i64,
    pub hi: i64,
}

/// The chunks of a task, or `None` when it runs as one pipeline: chunks not asked for,
/// pictures not from H.264 (raw, generated), thumbnails or deinterlacing (whose stages want
/// every picture in order), a container without a sample index, timestamps too wild to cut, or
/// no input IDR near enough to the output GOP grid for a second chunk (sync samples that are
/// not IDRs, as in open GOPs, are never cut at).
pub(crate) fn plan_chunks(plan: &Plan, options: &EncodeOptions) -> Option<ChunkPlan> {
    if !options.chunked
        || plan.black_video
        || !plan.thumbnails.is_empty()
        || plan.deinterlace.is_some()
        || plan.gop_ticks <= 0
    {
        return None;
    }
    let CodecParams::H264 { avcc, .. } = &plan.video.codec else {
        return None;
    };
    let len_size = strata_h264::parse_avcc(avcc).ok()?.nal_length_size;
    let times = plan.demuxer.sample_times(plan.video.id)?;
    let hidden = plan.video.edits.map(|e| e.media_time);
    let trimming = plan.trim != crate::sources::Trim::default();
    let kept = |pts: i64| {
        hidden.is_none_or(|m| pts >= m)
            && (!trimming || plan.trim.keeps(video_presentation_us(plan, pts)))
    };
    let mut kept_pts = times.iter().map(|s| s.pts).filter(|&p| kept(p));
    let (mut first, mut last) = kept_pts.next().map(|p| (p, p))?;
    let mut frames = 1u64;
    for p in kept_pts {
        first = first.min(p);
        last = last.max(p);
        frames += 1;
    }
    let gop = plan.gop_ticks;
    // Hostile timestamps (huge deltas) must not make a plan of billions of buckets or overflow:
    // such input runs as one pipeline, whose own checks refuse it.
    let buckets = last.checked_sub(first)?.div_euclid(gop).checked_add(1)?;
    if buckets > MAX_BUCKETS || last.checked_add(gop).is_none() {
        return None;
    }
    let gop_secs = gop as f64 / f64::from(plan.video.time_base.ticks_per_second());
    let max_per_chunk = ((MAX_CHUNK_SECS / gop_secs).floor() as i64).max(1);
    let per_chunk = (buckets / MIN_CHUNKS).clamp(1, max_per_chunk);
    let is_idr = |sample: usize| -> Option<bool> {
        let packet = plan
            .demuxer
            .packets_from(plan.video.id, sample)
            .ok()?
            .next()?
            .ok()?;
        Some(crate::package::has_idr(&packet.data, len_size))
    };
    // Sync samples in presentation order. A file without `stss` marks every sample as sync,
    // and open-GOP files mark non-IDR I pictures: the packet itself says whether it is an IDR.
    let mut keys: Vec<(i64, usize)> = times
        .iter()
        .enumerate()
        .filter(|(_, s)| s.keyframe)
        .map(|(i, s)| (s.pts, i))
        .collect();
    keys.sort_unstable();
    // Chunk 0 decodes from an IDR before the first picture, however far (the one-pipeline
    // path decodes from the first sample, which is where this falls back to).
    let before_first = keys.partition_point(|&(pts, _)| pts <= first);
    let first_sample = keys[..before_first]
        .iter()
        .rev()
        .take(8)
        .find(|&&(_, i)| is_idr(i) == Some(true))
        .map_or(0, |&(_, i)| i);
    let mut chunks = vec![Chunk {
        first_sample,
        lo: 0,
        hi: i64::MAX,
    }];
    // A cut at bucket b decodes from the latest sync sample showing at or before the bucket's
    // start; it is only made when that sample is an IDR within a quarter GOP of the start, or
    // the pictures in between would be decoded twice (an input with 8 s GOPs cut every 2 s
    // decodes up to 4 times over). The chunk grows until such a cut comes.
    let slack = gop / 4;
    let mut last_cut = 0i64;
    for (k, &(pts, sample)) in keys.iter().enumerate() {
        if pts <= first {
            continue;
        }
        let b = (pts - first + gop - 1).div_euclid(gop);
        let start = first + b * gop;
        let latest = keys.get(k + 1).is_none_or(|&(next, _)| next > start);
        if b >= buckets || b < last_cut + per_chunk || start - pts > slack || !latest {
            continue;
        }
        if is_idr(sample) != Some(true) {
            continue;
        }
        if let Some(prev) = chunks.last_mut() {
            prev.hi = b;
        }
        chunks.push(Chunk {
            first_sample: sample,
            lo: b,
            hi: i64::MAX,
        });
        last_cut = b;
    }
    if chunks.len() < 2 {
        return None;
    }
    Some(ChunkPlan {
        first_pts: first,
        chunks,
        frames,
    })
}

/// What workers and the muxing thread share.
pub(crate) struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Set on the first failure: workers start no new chunk and leave the current one.
    pub stop: AtomicBool,
}

struct State {
    /// The next chunk to hand out.
    next: usize,
    /// Chunks handed to the muxers so far.
    muxed: usize,
    /// Finished chunks not yet muxed: per layer, its pictures.
    done: BTreeMap<usize, Result<Vec<Vec<Coded>>, EngineError>>,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                next: 0,
                muxed: 0,
                done: BTreeMap::new(),
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// The next chunk for a worker, waiting while `window` finished chunks are ahead of the
    /// muxers (that bounds memory); `None` when all are handed out or work stopped.
    pub(crate) fn take(&self, total: usize, window: usize) -> Option<usize> {
        let mut st = self.state.lock().ok()?;
        loop {
            if self.stop.load(Ordering::Relaxed) || st.next >= total {
                return None;
            }
            if st.next < st.muxed + window {
                st.next += 1;
                return Some(st.next - 1);
            }
            st = self.changed.wait(st).ok()?;
        }
    }

    pub(crate) fn finish(&self, chunk: usize, result: Result<Vec<Vec<Coded>>, EngineError>) {
        if result.is_err() {
            self.stop.store(true, Ordering::Relaxed);
        }
        if let Ok(mut st) = self.state.lock() {
            st.done.insert(chunk, result);
        }
        self.changed.notify_all();
    }

    /// Chunk `c`'s pictures once it is done; `None` when it will never be (work stopped
    /// before it started).
    pub(crate) fn wait_for(&self, c: usize) -> Option<Result<Vec<Vec<Coded>>, EngineError>> {
        let mut st = self.state.lock().ok()?;
        loop {
            if let Some(r) = st.done.remove(&c) {
                st.muxed = c + 1;
                self.changed.notify_all();
                return Some(r);
            }
            if self.stop.load(Ordering::Relaxed) && c >= st.next {
                return None;
            }
            st = self.changed.wait(st).ok()?;
        }
    }

    /// The errors of chunks finished but never muxed: after a stop, the one that explains it
    /// may be in a later chunk than the one the muxers waited for.
    pub(crate) fn errors(&self) -> Vec<EngineError> {
        let Ok(mut st) = self.state.lock() else {
            return Vec::new();
        };
        std::mem::take(&mut st.done)
            .into_values()
            .filter_map(Result::err)
            .collect()
    }

    /// Wakes every waiter after `stop` was set from outside.
    pub(crate) fn halt(&self) {
        self.stop.store(true, Ordering::Relaxed);
        // Taking the lock orders the store before any waiter's re-check.
        drop(self.state.lock());
        self.changed.notify_all();
    }
}

/// Decodes, prepares, scales and encodes one chunk for every layer, as a pipeline of its own
/// (decode here, one scaling thread per layer size, one encoder thread per layer), so even
/// the last chunk, running alone, keeps several cores busy.
pub(crate) fn encode_chunk(
    plan: &Plan,
    cp: &ChunkPlan,
    c: usize,
    groups: &[(Geometry, Vec<usize>)],
    options: &EncodeOptions,
    stop: &AtomicBool,
    on_frame: impl FnMut(),
) -> Result<Vec<Vec<Coded>>, EngineError> {
    std::thread::scope(|s| {
        let mut layer_txs: Vec<Option<SyncSender<Job>>> = vec![None; plan.layers.len()];
        let mut encoders = Vec::new();
        for (i, layer) in plan.layers.iter().enumerate() {
            let (tx, rx) = sync_channel::<Job>(CHANNEL_DEPTH);
            layer_txs[i] = Some(tx);
            encoders.push(s.spawn(move || {
                let mut coder = LayerCoder::new(layer, std::path::Path::new(&layer.file_name))?;
                rx.into_iter().map(|job| coder.code(&job)).collect()
            }));
        }
        let (group_txs, scalers) = spawn_scalers(s, groups, layer_txs);
        let decoded = decode_chunk(plan, cp, c, &group_txs, options, stop, on_frame);
        drop(group_txs);
        let mut first_err = decoded.err();
        join_all(scalers, "a scaling thread", &mut first_err);
        let out = join_all(encoders, "an encoder thread", &mut first_err);
        match first_err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    })
}

/// The decode stage of one chunk: its pictures, prepared and stamped with their IDR flags.
fn decode_chunk(
    plan: &Plan,
    cp: &ChunkPlan,
    c: usize,
    outs: &[SyncSender<Job>],
    options: &EncodeOptions,
    stop: &AtomicBool,
    mut on_frame: impl FnMut(),
) -> Result<(), EngineError> {
    let chunk = cp.chunks[c];
    let path = &plan.input;
    let video = &plan.video;
    let CodecParams::H264 { avcc, .. } = &video.codec else {
        return Err(EngineError::Internal("a chunk of a non-H.264 track".into()));
    };
    let dec_err = |source| EngineError::Decode {
        path: path.clone(),
        source,
    };
    let input_err = |source| EngineError::Input {
        path: path.clone(),
        source,
    };
    let mut decoder = Decoder::new(avcc).map_err(dec_err)?;
    let packets = plan
        .demuxer
        .packets_from(video.id, chunk.first_sample)
        .map_err(input_err)?;
    let prep = crate::prep::Prep::new(plan)?;
    let first = cp.first_pts;
    let ts = f64::from(video.time_base.ticks_per_second());
    let mut presenter = Presenter::new(plan);
    let mut last_bucket: Option<i64> = None;

    // The single-chunk decode stage's rules, restricted to this chunk's buckets; `Ok(true)`
    // once a picture lies past the chunk (or the trim).
    let mut emit = |f: Frame, next_pts: Option<i64>| -> Result<bool, EngineError> {
        let f = match presenter.show(f, next_pts) {
            Shown::Keep(f) => f,
            Shown::Past => return Ok(true),
            Shown::Skip => return Ok(false),
        };
        let bucket = (f.pts - first).div_euclid(plan.gop_ticks);
        if bucket < chunk.lo {
            return Ok(false);
        }
        if bucket >= chunk.hi {
            return Ok(true);
        }
        let idr = last_bucket != Some(bucket);
        last_bucket = Some(bucket);
        let t_out = (f.pts - first) as f64 / ts;
        let job = Job {
            frame: Arc::new(prep.apply(f, t_out)?),
            idr,
            first_pts: first,
        };
        for tx in outs {
            tx.send(job.clone()).map_err(|_| closed())?;
        }
        on_frame();
        Ok(false)
    };

    // Each decoded picture shows until the next one: emit the one before it.
    let mut pending: Option<Frame> = None;
    let mut step = |f: Frame| -> Result<bool, EngineError> {
        let next = f.pts;
        match pending.replace(f) {
            Some(prev) => emit(prev, Some(next)),
            None => Ok(false),
        }
    };
    let mut ended = false;
    for p in packets {
        if stop.load(Ordering::Relaxed) {
            return Err(closed());
        }
        if options
            .cancel
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            return Err(EngineError::Cancelled);
        }
        let p = p.map_err(input_err)?;
        if let Some(mut f) = decoder.decode(&p).map_err(dec_err)? {
            if f.duration == 0 {
                f.duration = p.duration;
            }
            ended = step(f)?;
            if ended {
                break;
            }
        }
    }
    if !ended {
        for f in decoder.flush().map_err(dec_err)? {
            ended = step(f)?;
            if ended {
                break;
            }
        }
    }
    if !ended {
        if let Some(prev) = pending.take() {
            emit(prev, None)?;
        }
    }
    Ok(())
}
