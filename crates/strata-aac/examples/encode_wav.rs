//! Encodes a WAV file (16-bit PCM or 32-bit float) to an ADTS `.aac` file.
//!
//! `cargo run --release -p strata-aac --example encode_wav -- IN.wav OUT.aac [BITRATE_BPS]`
//!
//! Prints one JSON line on stdout with the encode time of the encoder calls alone (file I/O
//! excluded), so `cargo xtask aac-quality` can report a real-time factor for the same run it
//! scores. ADTS is used because ffmpeg decodes it without a container.

use std::error::Error;
use std::time::Instant;
use strata_aac::{AacConfig, AacEncoder};

struct Wav {
    sample_rate: u32,
    channels: u16,
    samples: Vec<f32>,
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn read_wav(bytes: &[u8]) -> Result<Wav, Box<dyn Error>> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let mut fmt = None;
    let mut pos = 12;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32_at(bytes, pos + 4) as usize;
        let body = pos + 8;
        // ffmpeg writes 0xFFFFFFFF as the data size when it cannot seek back; take the rest.
        let end = body.saturating_add(len).min(bytes.len());
        if id == b"fmt " {
            if end - body < 16 {
                return Err("short fmt chunk".into());
            }
            let mut tag = u16_at(bytes, body);
            if tag == 0xFFFE && end - body >= 26 {
                // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the real tag.
                tag = u16_at(bytes, body + 24);
            }
            fmt = Some((
                tag,
                u16_at(bytes, body + 2),
                u32_at(bytes, body + 4),
                u16_at(bytes, body + 14),
            ));
        } else if id == b"data" {
            let (tag, channels, sample_rate, bits) = fmt.ok_or("data chunk before fmt chunk")?;
            let data = &bytes[body..end];
            let samples = match (tag, bits) {
                (1, 16) => data
                    .chunks_exact(2)
                    .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0)
                    .collect(),
                (3, 32) => data
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                _ => return Err(format!("unsupported WAV format {tag} with {bits} bits").into()),
            };
            return Ok(Wav {
                sample_rate,
                channels,
                samples,
            });
        }
        pos = body + len + (len & 1);
    }
    Err("no data chunk".into())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 || args.len() > 3 {
        return Err("usage: encode_wav IN.wav OUT.aac [BITRATE_BPS]".into());
    }
    let bitrate_bps = match args.get(2) {
        Some(b) => b.parse()?,
        None => 128_000,
    };
    let wav = read_wav(&std::fs::read(&args[0])?)?;
    let mut enc = AacEncoder::new(AacConfig {
        sample_rate: wav.sample_rate,
        channels: wav.channels,
        bitrate_bps,
        ..Default::default()
    })?;
    let start = Instant::now();
    let mut packets = Vec::new();
    // Chunked like a live source, so the timing includes the encoder's buffering.
    for chunk in wav.samples.chunks(4096 * usize::from(wav.channels)) {
        packets.extend(enc.encode(chunk)?);
    }
    packets.extend(enc.flush()?);
    let encode_s = start.elapsed().as_secs_f64();
    let mut out = Vec::new();
    for p in &packets {
        out.extend(enc.adts_frame(p));
    }
    std::fs::write(&args[1], &out)?;
    let frames = wav.samples.len() / usize::from(wav.channels);
    println!(
        "{{\"samples\":{frames},\"sample_rate\":{},\"packets\":{},\"payload_bytes\":{},\"priming\":{},\"encode_s\":{encode_s:.6}}}",
        wav.sample_rate,
        packets.len(),
        packets.iter().map(|p| p.data.len()).sum::<usize>(),
        enc.priming_samples(),
    );
    Ok(())
}
