//! YUV4MPEG2 (Y4M): a text header line, then `FRAME[ params]\n` + raw planes per frame.
//!
//! Only what the pipeline carries is accepted: 8-bit progressive 4:2:0 with even sides.
//! Everything else is refused at open with the exact property named, so the engine never has to
//! guess how to crop odd chroma or what to do with fields.

use crate::{DemuxError, Demuxer};
use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use strata_core::{CodecParams, Limits, Packet, Rational, TimeBase, Track, TrackKind, VideoParams};

/// The first bytes of every Y4M stream.
pub(crate) const MAGIC: &[u8] = b"YUV4MPEG2";

/// Longest header line accepted; real headers are well under 100 bytes, but X extensions can
/// add some.
const MAX_HEADER: u64 = 4096;
/// Longest frame header line accepted ("FRAME" plus optional parameters).
const MAX_FRAME_HEADER: u64 = 1024;

/// Reads one `\n`-terminated line of at most `max` bytes; `None` at end of file or when the line
/// is longer than `max`.
fn read_line(r: &mut impl BufRead, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    r.by_ref().take(max).read_until(b'\n', &mut buf)?;
    if buf.last() == Some(&b'\n') {
        buf.pop();
        Ok(Some(buf))
    } else {
        Ok(None)
    }
}

fn is_frame_header(line: &[u8]) -> bool {
    line == b"FRAME" || line.starts_with(b"FRAME ")
}

fn parse_ratio(v: &str) -> Option<(u64, u64)> {
    let (n, d) = v.split_once(':')?;
    Some((n.parse().ok()?, d.parse().ok()?))
}

/// Rejects colour spaces other than 8-bit 4:2:0, naming the problem.
fn check_colourspace(tag: &str) -> Result<(), DemuxError> {
    match tag {
        "420" | "420jpeg" | "420paldv" | "420mpeg2" => Ok(()),
        _ => {
            let depth = tag
                .rfind('p')
                .map(|i| &tag[i + 1..])
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            let what = match depth {
                Some(bits) => format!("{bits}-bit C{tag}"),
                None => format!("colourspace C{tag}"),
            };
            Err(DemuxError::UnsupportedY4m { what })
        }
    }
}

struct Header {
    width: u32,
    height: u32,
    fps: (u64, u64),
    aspect: Rational,
    top_field_first: Option<bool>,
}

fn parse_header(line: &[u8], limits: &Limits) -> Result<Header, DemuxError> {
    let text = std::str::from_utf8(line)
        .map_err(|_| DemuxError::malformed("Y4M header is not ASCII text", 0))?;
    let mut width = None;
    let mut height = None;
    let mut fps = None;
    let mut aspect = Rational::from_int(1);
    let mut colour = None;
    let mut interlace = None;
    for tok in text.split(' ').skip(1).filter(|t| !t.is_empty()) {
        let mut chars = tok.chars();
        let key = chars.next().unwrap_or(' ');
        let val = chars.as_str();
        let bad = || DemuxError::malformed(format!("bad Y4M header parameter '{tok}'"), 0);
        match key {
            'W' => width = Some(val.parse::<u32>().map_err(|_| bad())?),
            'H' => height = Some(val.parse::<u32>().map_err(|_| bad())?),
            'F' => fps = Some(parse_ratio(val).ok_or_else(bad)?),
            'A' => {
                let (n, d) = parse_ratio(val).ok_or_else(bad)?;
                // A0:0 means "unknown"; square is the only safe reading.
                if n > 0 && d > 0 {
                    let n = i64::try_from(n).map_err(|_| bad())?;
                    let d = i64::try_from(d).map_err(|_| bad())?;
                    aspect = Rational::new(n, d).map_err(|_| bad())?;
                }
            }
            'C' => colour = Some(val.to_string()),
            'I' => interlace = Some(val.to_string()),
            // X (extensions) and unknown keys are ignored, as the format asks.
            _ => {}
        }
    }
    let (Some(width), Some(height)) = (width, height) else {
        return Err(DemuxError::malformed(
            "Y4M header lacks the width (W) or height (H)",
            0,
        ));
    };
    let Some(fps) = fps else {
        return Err(DemuxError::malformed(
            "Y4M header lacks the frame rate (F)",
            0,
        ));
    };
    if fps.0 == 0 || fps.1 == 0 || fps.0 > u64::from(u32::MAX) || fps.1 > u64::from(u32::MAX) {
        return Err(DemuxError::malformed(
            format!("Y4M frame rate F{}:{} is not usable", fps.0, fps.1),
            0,
        ));
    }
    if let Some(c) = &colour {
        check_colourspace(c)?;
    }
    let top_field_first = match interlace.as_deref() {
        None | Some("p") | Some("?") => None,
        Some("t") => Some(true),
        Some("b") => Some(false),
        Some(i) => {
            return Err(DemuxError::UnsupportedY4m {
                what: format!("mixed or unknown interlacing (I{i})"),
            })
        }
    };
    if width == 0 || height == 0 {
        return Err(DemuxError::UnsupportedY4m {
            what: format!("empty size {width}x{height}"),
        });
    }
    if width % 2 == 1 || height % 2 == 1 {
        return Err(DemuxError::UnsupportedY4m {
            what: format!("odd size {width}x{height}"),
        });
    }
    crate::mp4::sample_entry::check_size(width, height, limits)?;
    Ok(Header {
        width,
        height,
        fps,
        aspect,
        top_field_first,
    })
}

/// Counts frames by walking the frame headers (only needed when some carry parameters).
fn scan_frames(
    r: &mut BufReader<File>,
    start: u64,
    frame_size: u64,
    file_len: u64,
    limits: &Limits,
) -> Result<u32, DemuxError> {
    let mut pos = start;
    let mut count: u32 = 0;
    r.seek(SeekFrom::Start(start))?;
    while pos < file_len {
        let Some(line) = read_line(r, MAX_FRAME_HEADER)? else {
            return Err(DemuxError::malformed(
                format!("Y4M frame {count} has no complete FRAME header"),
                pos,
            ));
        };
        if !is_frame_header(&line) {
            return Err(DemuxError::malformed(
                format!("Y4M frame {count} does not start with FRAME"),
                pos,
            ));
        }
        let data = pos + line.len() as u64 + 1;
        if data.saturating_add(frame_size) > file_len {
            return Err(DemuxError::Truncated {
                what: format!("Y4M frame {count}"),
                offset: data,
                needed: frame_size,
                file_len,
            });
        }
        if count >= limits.max_samples {
            return Err(DemuxError::LimitExceeded {
                what: "frames",
                value: u64::from(count) + 1,
                limit: u64::from(limits.max_samples),
            });
        }
        count += 1;
        pos = data + frame_size;
        r.seek(SeekFrom::Start(pos))?;
    }
    Ok(count)
}

/// Opens a Y4M stream whose magic was already sniffed.
pub(crate) fn open(
    path: &Path,
    file: File,
    file_len: u64,
    limits: Limits,
) -> Result<Box<dyn Demuxer>, DemuxError> {
    let mut r = BufReader::new(file);
    r.seek(SeekFrom::Start(0))?;
    let Some(line) = read_line(&mut r, MAX_HEADER)? else {
        return Err(DemuxError::malformed(
            format!("Y4M header line is unterminated or longer than {MAX_HEADER} bytes"),
            0,
        ));
    };
    let h = parse_header(&line, &limits)?;
    let data_start = line.len() as u64 + 1;
    let (w, hh) = (u64::from(h.width), u64::from(h.height));
    let frame_size = w * hh + 2 * (w / 2) * (hh / 2);
    if frame_size > u64::from(limits.max_sample_bytes) {
        return Err(DemuxError::LimitExceeded {
            what: "sample size (bytes)",
            value: frame_size,
            limit: u64::from(limits.max_sample_bytes),
        });
    }
    // The common case: every frame header is a bare "FRAME\n", so the count follows from the
    // file size without touching each frame. The iterator still checks every header it reads.
    let remaining = file_len - data_start.min(file_len);
    let mut first = [0u8; 6];
    let plain_first = r.read_exact(&mut first).is_ok() && &first == b"FRAME\n";
    let stride = frame_size + 6;
    let count = if remaining == 0 {
        0
    } else if plain_first && remaining.is_multiple_of(stride) {
        let n = remaining / stride;
        u32::try_from(n)
            .ok()
            .filter(|&n| n <= limits.max_samples)
            .ok_or(DemuxError::LimitExceeded {
                what: "frames",
                value: n,
                limit: u64::from(limits.max_samples),
            })?
    } else {
        scan_frames(&mut r, data_start, frame_size, file_len, &limits)?
    };
    // fps parts fit in u32 (checked in parse_header) and are non-zero.
    let (num, den) = (h.fps.0 as u32, h.fps.1 as u32);
    let time_base = TimeBase::new(num)
        .map_err(|_| DemuxError::malformed("Y4M frame rate numerator is 0", 0))?;
    let frame_rate = Rational::new(i64::from(num), i64::from(den))
        .map_err(|_| DemuxError::malformed("Y4M frame rate denominator is 0", 0))?;
    let track = Track {
        id: 1,
        kind: TrackKind::Video,
        time_base,
        movie_time_base: time_base,
        codec: CodecParams::RawYuv420 {
            video: VideoParams {
                width: h.width,
                height: h.height,
                pixel_aspect: h.aspect,
                frame_rate: Some(frame_rate),
                rotation: 0,
                top_field_first: h.top_field_first,
            },
        },
        sample_count: count,
        duration: i64::from(count) * i64::from(den),
        edits: None,
        language: "und".to_string(),
    };
    Ok(Box::new(Y4mDemuxer {
        path: path.to_path_buf(),
        tracks: vec![track],
        data_start,
        frame_size: frame_size as usize,
        count,
        den: i64::from(den),
        file_len,
    }))
}

struct Y4mDemuxer {
    path: PathBuf,
    tracks: Vec<Track>,
    data_start: u64,
    frame_size: usize,
    count: u32,
    den: i64,
    file_len: u64,
}

impl Demuxer for Y4mDemuxer {
    fn format_name(&self) -> &'static str {
        "y4m"
    }

    fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    fn packets(
        &self,
        track_id: u32,
    ) -> Result<Box<dyn Iterator<Item = Result<Packet, DemuxError>> + Send>, DemuxError> {
        if track_id != 1 {
            return Err(DemuxError::UnknownTrack(track_id));
        }
        let mut reader = BufReader::new(File::open(&self.path)?);
        reader.seek(SeekFrom::Start(self.data_start))?;
        Ok(Box::new(Y4mPackets {
            reader,
            index: 0,
            count: self.count,
            frame_size: self.frame_size,
            den: self.den,
            pos: self.data_start,
            file_len: self.file_len,
        }))
    }
}

struct Y4mPackets {
    reader: BufReader<File>,
    index: u32,
    count: u32,
    frame_size: usize,
    den: i64,
    pos: u64,
    file_len: u64,
}

impl Y4mPackets {
    fn read_frame(&mut self) -> Result<Packet, DemuxError> {
        let line = read_line(&mut self.reader, MAX_FRAME_HEADER)?;
        let Some(line) = line.filter(|l| is_frame_header(l)) else {
            return Err(DemuxError::malformed(
                format!(
                    "Y4M frame {} does not start with a FRAME header",
                    self.index
                ),
                self.pos,
            ));
        };
        let data_off = self.pos + line.len() as u64 + 1;
        let mut data = vec![0u8; self.frame_size];
        match self.reader.read_exact(&mut data) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                return Err(DemuxError::Truncated {
                    what: format!("Y4M frame {}", self.index),
                    offset: data_off,
                    needed: self.frame_size as u64,
                    file_len: self.file_len,
                })
            }
            Err(e) => return Err(e.into()),
        }
        self.pos = data_off + self.frame_size as u64;
        Ok(Packet {
            track_id: 1,
            data,
            dts: i64::from(self.index) * self.den,
            pts: i64::from(self.index) * self.den,
            duration: self.den,
            keyframe: true,
        })
    }
}

impl Iterator for Y4mPackets {
    type Item = Result<Packet, DemuxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.index >= self.count {
            return None;
        }
        let r = self.read_frame();
        self.index = if r.is_ok() {
            self.index + 1
        } else {
            // Fused after an error: the stream position is no longer trustworthy.
            self.count
        };
        Some(r)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.count.saturating_sub(self.index) as usize;
        (n, Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(h: &str) -> String {
        match parse_header(h.as_bytes(), &Limits::default()) {
            Err(DemuxError::UnsupportedY4m { what }) => what,
            Err(e) => format!("other error: {e}"),
            Ok(_) => "accepted".to_string(),
        }
    }

    #[test]
    fn header_rejections_name_the_problem() {
        assert_eq!(err("YUV4MPEG2 W176 H144 F25:1 C444"), "colourspace C444");
        assert_eq!(err("YUV4MPEG2 W176 H144 F25:1 C420p10"), "10-bit C420p10");
        assert_eq!(err("YUV4MPEG2 W161 H91 F25:1 C420jpeg"), "odd size 161x91");
        assert_eq!(
            err("YUV4MPEG2 W176 H144 F25:1 Im"),
            "mixed or unknown interlacing (Im)"
        );
        assert_eq!(err("YUV4MPEG2 W176 H144 F25:1 Cmono"), "colourspace Cmono");
        assert_eq!(
            err("YUV4MPEG2 W176 H144 F25:1 A0:0 Ip XYSCSS=420JPEG"),
            "accepted"
        );
        assert_eq!(err("YUV4MPEG2 W176 H144 F25:1 C420mpeg2"), "accepted");
    }

    #[test]
    fn header_aspect_and_rate() {
        let h = parse_header(b"YUV4MPEG2 W720 H576 F25:1 A64:45", &Limits::default()).unwrap();
        assert_eq!(h.aspect, Rational::new(64, 45).unwrap());
        assert_eq!(h.fps, (25, 1));
        assert!(matches!(
            parse_header(b"YUV4MPEG2 W720 H576", &Limits::default()),
            Err(DemuxError::Malformed { .. })
        ));
    }
}
