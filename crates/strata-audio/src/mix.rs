//! Channel mapping and downmix.

use crate::error::{AudioError, Result};
use crate::Block;

/// −3 dB, the ITU-R BS.775 gain of the centre and surround channels in a stereo downmix.
const A: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Options of a [`ChannelMixer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MixOptions {
    /// Permit more output channels than input channels (other than mono → stereo, which is
    /// always allowed). The extra channels are silent except mono → 5.1/7.1, where the
    /// mono signal goes to the centre. Off by default: an upmix adds no information and
    /// MES never does it implicitly.
    pub allow_upmix: bool,
}

/// A fixed gain matrix from one channel layout to another.
///
/// Layouts are identified by channel count, WAV order: 1 = mono, 2 = L R,
/// 6 = L R C LFE Ls Rs (5.1), 8 = L R C LFE BL BR SL SR (7.1).
///
/// Downmix gains follow ITU-R BS.775: `L' = L + 0.7071·C + 0.7071·Ls`,
/// `R' = R + 0.7071·C + 0.7071·Rs` (7.1: both the side and the back surround of each side at
/// 0.7071), LFE dropped. **Normalisation:** each output row is then divided by the sum of its
/// gains (1 + 2·0.7071 = 2.4142 for 5.1, 1 + 3·0.7071 = 3.1213 for 7.1), so an output can
/// never exceed the largest input magnitude and full-scale input never clips. This is the
/// same rule as FFmpeg's default `-ac 2` rematrixing; it costs 7.7 dB (5.1) of level on a
/// front-only signal, which loudness normalisation downstream may restore.
/// Stereo → mono is the average `(L + R) / 2`; 5.1/7.1 → mono averages the stereo downmix.
/// 7.1 → 5.1 keeps the fronts and LFE and averages side and back surrounds per side.
/// Mono → stereo duplicates the signal at unity gain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelMixer {
    in_ch: u16,
    out_ch: u16,
    /// `gains[o][i]`: weight of input channel `i` in output channel `o`.
    gains: Vec<Vec<f32>>,
    identity: bool,
}

fn stereo_rows(in_ch: u16) -> Option<Vec<Vec<f32>>> {
    let (l, r): (Vec<f32>, Vec<f32>) = match in_ch {
        1 => (vec![1.0], vec![1.0]),
        2 => (vec![1.0, 0.0], vec![0.0, 1.0]),
        6 => (
            vec![1.0, 0.0, A, 0.0, A, 0.0],
            vec![0.0, 1.0, A, 0.0, 0.0, A],
        ),
        8 => (
            vec![1.0, 0.0, A, 0.0, A, 0.0, A, 0.0],
            vec![0.0, 1.0, A, 0.0, 0.0, A, 0.0, A],
        ),
        _ => return None,
    };
    let norm = |v: Vec<f32>| {
        let s: f32 = v.iter().sum();
        v.into_iter().map(|g| g / s).collect::<Vec<f32>>()
    };
    Some(vec![norm(l), norm(r)])
}

impl ChannelMixer {
    /// The mixer from `in_ch` to `out_ch` channels.
    ///
    /// # Errors
    /// [`AudioError::UnsupportedLayout`] for a count other than 1, 2, 6, 8;
    /// [`AudioError::UpmixRefused`] when `out_ch > in_ch` (except 1 → 2) without
    /// [`MixOptions::allow_upmix`].
    pub fn new(in_ch: u16, out_ch: u16, opts: MixOptions) -> Result<Self> {
        for c in [in_ch, out_ch] {
            if ![1, 2, 6, 8].contains(&c) {
                return Err(AudioError::UnsupportedLayout { channels: c });
            }
        }
        if out_ch > in_ch && !(in_ch == 1 && out_ch == 2) && !opts.allow_upmix {
            return Err(AudioError::UpmixRefused {
                from: in_ch,
                to: out_ch,
            });
        }
        let zeros = |n: u16| vec![vec![0.0f32; usize::from(in_ch)]; usize::from(n)];
        let gains: Vec<Vec<f32>> = match (in_ch, out_ch) {
            (i, o) if i == o => {
                let mut g = zeros(o);
                for (k, row) in g.iter_mut().enumerate() {
                    row[k] = 1.0;
                }
                g
            }
            (i, 2) => stereo_rows(i).ok_or(AudioError::UnsupportedLayout { channels: i })?,
            (i, 1) => {
                let s = stereo_rows(i).ok_or(AudioError::UnsupportedLayout { channels: i })?;
                vec![s[0].iter().zip(&s[1]).map(|(l, r)| 0.5 * (l + r)).collect()]
            }
            (8, 6) => {
                let mut g = zeros(6);
                for (k, row) in g.iter_mut().enumerate().take(4) {
                    row[k] = 1.0;
                }
                // Ls = (BL + SL) / 2, Rs = (BR + SR) / 2: averaged so the sum cannot clip.
                g[4][4] = 0.5;
                g[4][6] = 0.5;
                g[5][5] = 0.5;
                g[5][7] = 0.5;
                g
            }
            // Upmixes (allowed above): place the input, leave the rest silent.
            (1, o) => {
                let mut g = zeros(o);
                g[2][0] = 1.0; // centre
                g
            }
            (2, o) => {
                let mut g = zeros(o);
                g[0][0] = 1.0;
                g[1][1] = 1.0;
                g
            }
            (6, 8) => {
                let mut g = zeros(8);
                for (k, row) in g.iter_mut().enumerate().take(4) {
                    row[k] = 1.0;
                }
                // 5.1's surrounds are the side pair of 7.1.
                g[6][4] = 1.0;
                g[7][5] = 1.0;
                g
            }
            (i, _) => return Err(AudioError::UnsupportedLayout { channels: i }),
        };
        let identity = in_ch == out_ch;
        Ok(Self {
            in_ch,
            out_ch,
            gains,
            identity,
        })
    }

    /// Input channel count.
    pub fn input_channels(&self) -> u16 {
        self.in_ch
    }

    /// Output channel count.
    pub fn output_channels(&self) -> u16 {
        self.out_ch
    }

    /// The gain matrix: `gains()[o][i]` is the weight of input channel `i` in output `o`.
    pub fn gains(&self) -> &[Vec<f32>] {
        &self.gains
    }

    /// Mixes interleaved PCM.
    ///
    /// # Errors
    /// [`AudioError::MisalignedPcm`] when `input` is not a whole number of frames.
    pub fn process(&self, input: &[f32]) -> Result<Vec<f32>> {
        let ic = usize::from(self.in_ch);
        if !input.len().is_multiple_of(ic) {
            return Err(AudioError::MisalignedPcm {
                len: input.len(),
                channels: self.in_ch,
            });
        }
        if self.identity {
            return Ok(input.to_vec());
        }
        let mut out = Vec::with_capacity(input.len() / ic * usize::from(self.out_ch));
        for frame in input.chunks_exact(ic) {
            for row in &self.gains {
                out.push(row.iter().zip(frame).map(|(g, x)| g * x).sum());
            }
        }
        Ok(out)
    }

    /// Mixes a block, keeping its rate and timing.
    ///
    /// # Errors
    /// [`AudioError::FormatChanged`] when the block's channel count is not the mixer's input.
    pub fn process_block(&self, block: Block) -> Result<Block> {
        if block.channels != self.in_ch {
            return Err(AudioError::FormatChanged {
                expected_channels: self.in_ch,
                expected_rate: block.sample_rate,
                channels: block.channels,
                rate: block.sample_rate,
            });
        }
        if self.identity {
            return Ok(block);
        }
        Ok(Block {
            samples: self.process(&block.samples)?,
            channels: self.out_ch,
            ..block
        })
    }
}
