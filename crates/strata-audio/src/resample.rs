//! Band-limited streaming sample-rate conversion.

use crate::error::{AudioError, Result};
use crate::Block;
use rubato::{FftFixedInOut, Resampler as _};

/// Lowest and highest rates accepted.
const RATES: std::ops::RangeInclusive<u32> = 8_000..=96_000;

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Streaming resampler: push interleaved PCM, take what is ready, flush at the end.
///
/// The conversion is synchronous (an exact rational ratio) and band-limited: rubato's FFT
/// resampler multiplies the spectrum by a Blackman-Harris² windowed-sinc low-pass just below
/// the lower Nyquist frequency, then overlap-adds. We chose it over rubato's asynchronous
/// sinc interpolator because rates here are fixed integers, where the FFT form is exact and
/// several times faster. The filter delay is removed here: output sample `k` corresponds to
/// input time `k · in_rate / out_rate`, and after [`Resampler::flush`] exactly
/// `round(frames_in · out_rate / in_rate)` frames have come out. Equal rates pass through.
pub struct Resampler {
    in_rate: u32,
    out_rate: u32,
    channels: usize,
    inner: Option<FftFixedInOut<f32>>,
    chunk_in: usize,
    pending: Vec<Vec<f32>>,
    scratch: Vec<Vec<f32>>,
    skip: usize,
    frames_in: u64,
    frames_out: u64,
    first_pts: Option<i64>,
    flushed: bool,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("in_rate", &self.in_rate)
            .field("out_rate", &self.out_rate)
            .field("channels", &self.channels)
            .field("chunk_in", &self.chunk_in)
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// A resampler for `channels` interleaved channels from `in_rate` to `out_rate` Hz.
    ///
    /// # Errors
    /// [`AudioError::UnsupportedSampleRate`] for a rate outside 8–96 kHz,
    /// [`AudioError::UnsupportedLayout`] for 0 channels.
    pub fn new(in_rate: u32, out_rate: u32, channels: u16) -> Result<Self> {
        for rate in [in_rate, out_rate] {
            if !RATES.contains(&rate) {
                return Err(AudioError::UnsupportedSampleRate { rate });
            }
        }
        if channels == 0 {
            return Err(AudioError::UnsupportedLayout { channels });
        }
        let ch = usize::from(channels);
        let (inner, chunk_in, skip) = if in_rate == out_rate {
            (None, 0, 0)
        } else {
            let g = gcd(u64::from(in_rate), u64::from(out_rate));
            let min_in = (u64::from(in_rate) / g) as usize;
            // About 1024 input frames per FFT, rounded to an even number of whole ratio
            // periods so both FFT halves are even and the filter's centre falls on a sample.
            let periods = 1024usize.div_ceil(min_in).next_multiple_of(2);
            let r = FftFixedInOut::<f32>::new(
                in_rate as usize,
                out_rate as usize,
                periods * min_in,
                ch,
            )
            .map_err(|e| AudioError::Internal(e.to_string()))?;
            let chunk_in = r.input_frames_next();
            let skip = r.output_delay();
            (Some(r), chunk_in, skip)
        };
        let scratch = inner
            .as_ref()
            .map_or_else(Vec::new, |r| vec![vec![0.0; r.output_frames_max()]; ch]);
        Ok(Self {
            in_rate,
            out_rate,
            channels: ch,
            inner,
            chunk_in,
            pending: vec![Vec::new(); ch],
            scratch,
            skip,
            frames_in: 0,
            frames_out: 0,
            first_pts: None,
            flushed: false,
        })
    }

    /// Input rate in Hz.
    pub fn input_rate(&self) -> u32 {
        self.in_rate
    }

    /// Output rate in Hz.
    pub fn output_rate(&self) -> u32 {
        self.out_rate
    }

    /// Output frames expected for `frames_in` input frames: `round(frames_in · out / in)`.
    pub fn expected_output(&self, frames_in: u64) -> u64 {
        let (i, o) = (u128::from(self.in_rate), u128::from(self.out_rate));
        ((u128::from(frames_in) * o * 2 + i) / (2 * i)) as u64
    }

    /// Feeds interleaved PCM; returns the interleaved output that is ready.
    ///
    /// # Errors
    /// [`AudioError::MisalignedPcm`], [`AudioError::AlreadyFlushed`].
    pub fn push(&mut self, pcm: &[f32]) -> Result<Vec<f32>> {
        if self.flushed {
            return Err(AudioError::AlreadyFlushed);
        }
        if !pcm.len().is_multiple_of(self.channels) {
            return Err(AudioError::MisalignedPcm {
                len: pcm.len(),
                channels: self.channels as u16,
            });
        }
        self.frames_in += (pcm.len() / self.channels) as u64;
        if self.inner.is_none() {
            self.frames_out = self.frames_in;
            return Ok(pcm.to_vec());
        }
        for frame in pcm.chunks_exact(self.channels) {
            for (p, &v) in self.pending.iter_mut().zip(frame) {
                p.push(v);
            }
        }
        let mut out = Vec::new();
        while self.pending[0].len() >= self.chunk_in {
            self.run_chunk(&mut out, u64::MAX)?;
        }
        Ok(out)
    }

    /// Resamples one pending chunk (the front `chunk_in` frames) into `out`, emitting at
    /// most up to `limit` total output frames.
    fn run_chunk(&mut self, out: &mut Vec<f32>, limit: u64) -> Result<()> {
        let Some(r) = self.inner.as_mut() else {
            return Ok(());
        };
        let (_, produced) = r
            .process_into_buffer(&self.pending, &mut self.scratch, None)
            .map_err(|e| AudioError::Internal(e.to_string()))?;
        for p in &mut self.pending {
            p.drain(..self.chunk_in);
        }
        let drop = self.skip.min(produced);
        self.skip -= drop;
        let avail = (produced - drop) as u64;
        let take = avail.min(limit.saturating_sub(self.frames_out)) as usize;
        out.reserve(take * self.channels);
        for k in drop..drop + take {
            for c in &self.scratch {
                out.push(c[k]);
            }
        }
        self.frames_out += take as u64;
        Ok(())
    }

    /// Drains the filter: returns the remaining output, so that the total is exactly
    /// [`Resampler::expected_output`] of the frames pushed.
    ///
    /// # Errors
    /// [`AudioError::AlreadyFlushed`] on a second call.
    pub fn flush(&mut self) -> Result<Vec<f32>> {
        if self.flushed {
            return Err(AudioError::AlreadyFlushed);
        }
        self.flushed = true;
        let want = self.expected_output(self.frames_in);
        let mut out = Vec::new();
        while self.inner.is_some() && self.frames_out < want {
            for p in &mut self.pending {
                p.resize(self.chunk_in.max(p.len()), 0.0);
            }
            self.run_chunk(&mut out, want)?;
        }
        Ok(out)
    }

    /// Feeds a block; returns the ready output as a block timed at the output rate (the first
    /// input block's `pts`, rescaled, plus the frames already produced).
    ///
    /// # Errors
    /// As [`Resampler::push`], and [`AudioError::FormatChanged`] for a block of another
    /// rate or channel count.
    pub fn push_block(&mut self, block: &Block) -> Result<Option<Block>> {
        if block.sample_rate != self.in_rate || usize::from(block.channels) != self.channels {
            return Err(AudioError::FormatChanged {
                expected_channels: self.channels as u16,
                expected_rate: self.in_rate,
                channels: block.channels,
                rate: block.sample_rate,
            });
        }
        if self.first_pts.is_none() {
            self.first_pts = Some(strata_core::rescale_round(
                block.pts,
                i64::from(self.out_rate),
                i64::from(self.in_rate),
            ));
        }
        let pts = self.next_out_pts();
        let samples = self.push(&block.samples)?;
        Ok(self.wrap(samples, pts))
    }

    /// Flushes into a block (see [`Resampler::flush`]).
    ///
    /// # Errors
    /// As [`Resampler::flush`].
    pub fn flush_block(&mut self) -> Result<Option<Block>> {
        let pts = self.next_out_pts();
        let samples = self.flush()?;
        Ok(self.wrap(samples, pts))
    }

    fn next_out_pts(&self) -> i64 {
        self.first_pts.unwrap_or(0) + self.frames_out as i64
    }

    fn wrap(&self, samples: Vec<f32>, pts: i64) -> Option<Block> {
        (!samples.is_empty()).then_some(Block {
            samples,
            channels: self.channels as u16,
            sample_rate: self.out_rate,
            pts,
        })
    }
}
