//! Text manifests of an output asset.

use std::fmt::Write as _;

/// Escapes text for XML attribute values and content.
pub fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// A video file listed in the `.ism`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsmVideo {
    /// File name relative to the asset folder.
    pub src: String,
    /// Bits per second (bps, not kbps: MES once wrote kbps here by mistake).
    pub system_bitrate: u64,
}

/// The audio entry of the `.ism`, taken from one of the interleaved files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsmAudio {
    /// File name holding the audio track.
    pub src: String,
    /// Bits per second.
    pub system_bitrate: u64,
    /// Track title, e.g. `AAC_und_ch2_128kbps`.
    pub title: String,
}

/// The SMIL 2.0 server manifest MES wrote as `<Basename>.ism` for an MP4 set
/// (`formats` = `mp4`).
pub fn server_manifest_xml(videos: &[IsmVideo], audio: Option<&IsmAudio>) -> String {
    server_manifest_xml_with(videos, audio, "mp4", None)
}

/// The server manifest with another `formats` value (`vod-fmp4` for pre-fragmented files, as
/// MES wrote with `assetFormatOption="1"`) and, when given, the client manifest's relative
/// path (`clientManifestRelativePath`).
pub fn server_manifest_xml_with(
    videos: &[IsmVideo],
    audio: Option<&IsmAudio>,
    formats: &str,
    client_manifest: Option<&str>,
) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n");
    s.push_str("<smil xmlns=\"http://www.w3.org/2001/SMIL20/Language\">\n  <head>\n");
    if let Some(c) = client_manifest {
        let _ = writeln!(
            s,
            "    <meta name=\"clientManifestRelativePath\" content=\"{}\" />",
            xml_escape(c)
        );
    }
    let _ = write!(
        s,
        "    <meta name=\"formats\" content=\"{}\" />\n  </head>\n  <body>\n    <switch>\n",
        xml_escape(formats)
    );
    for v in videos {
        let _ = writeln!(
            s,
            "      <video src=\"{}\" systemBitrate=\"{}\" />",
            xml_escape(&v.src),
            v.system_bitrate
        );
    }
    if let Some(a) = audio {
        let _ = writeln!(
            s,
            "      <audio src=\"{}\" systemBitrate=\"{}\" title=\"{}\" />",
            xml_escape(&a.src),
            a.system_bitrate,
            xml_escape(&a.title)
        );
    }
    s.push_str("    </switch>\n  </body>\n</smil>\n");
    s
}

/// A video track row of `_manifest.xml`.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoTrackEntry {
    /// H.264 profile name ("High").
    pub profile: String,
    /// Level as "3.1".
    pub level: String,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// Display aspect numerator.
    pub dar_num: u32,
    /// Display aspect denominator.
    pub dar_den: u32,
    /// Measured frame rate.
    pub framerate: f64,
    /// Measured payload bitrate, kbps.
    pub bitrate_kbps: u64,
    /// Preset target, kbps.
    pub target_bitrate_kbps: u64,
    /// Largest GOP bitrate, kbps.
    pub max_gop_bitrate_kbps: u64,
}

/// An audio track row of `_manifest.xml`.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioTrackEntry {
    /// "AacLc".
    pub codec: String,
    /// Channels.
    pub channels: u16,
    /// Hz.
    pub sampling_rate: u32,
    /// Measured kbps.
    pub bitrate_kbps: u64,
}

/// One output file row of `_manifest.xml`.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetFileEntry {
    /// File name.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// Seconds.
    pub duration_secs: f64,
    /// Input file names.
    pub sources: Vec<String>,
    /// Video tracks.
    pub video: Vec<VideoTrackEntry>,
    /// Audio tracks.
    pub audio: Vec<AudioTrackEntry>,
}

/// The MES output metadata document (`<source>_manifest.xml`, schema version 1.2).
pub fn asset_manifest_xml(files: &[AssetFileEntry]) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str("<AssetFiles xmlns=\"http://schemas.microsoft.com/windowsazure/mediaservices/2013/05/mediaencoder/metadata\">\n");
    for f in files {
        let _ = writeln!(
            s,
            "  <AssetFile Name=\"{}\" Size=\"{}\" Duration=\"PT{:.7}S\">",
            xml_escape(&f.name),
            f.size,
            f.duration_secs
        );
        s.push_str("    <Sources>\n");
        for src in &f.sources {
            let _ = writeln!(s, "      <Source Name=\"{}\" />", xml_escape(src));
        }
        s.push_str("    </Sources>\n");
        if !f.video.is_empty() {
            s.push_str("    <VideoTracks>\n");
            for (i, v) in f.video.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "      <VideoTrack Id=\"{i}\" FourCC=\"AVC1\" Profile=\"{}\" Level=\"{}\" Width=\"{}\" Height=\"{}\" DisplayAspectRatioNumerator=\"{}\" DisplayAspectRatioDenominator=\"{}\" Framerate=\"{:.3}\" TargetFramerate=\"{:.3}\" Bitrate=\"{}\" TargetBitrate=\"{}\" MaxGOPBitrate=\"{}\" />",
                    xml_escape(&v.profile),
                    xml_escape(&v.level),
                    v.width,
                    v.height,
                    v.dar_num,
                    v.dar_den,
                    v.framerate,
                    v.framerate,
                    v.bitrate_kbps,
                    v.target_bitrate_kbps,
                    v.max_gop_bitrate_kbps
                );
            }
            s.push_str("    </VideoTracks>\n");
        }
        if !f.audio.is_empty() {
            s.push_str("    <AudioTracks>\n");
            for (i, a) in f.audio.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "      <AudioTrack Id=\"{i}\" Codec=\"{}\" Channels=\"{}\" SamplingRate=\"{}\" Bitrate=\"{}\" BitsPerSample=\"16\" />",
                    xml_escape(&a.codec),
                    a.channels,
                    a.sampling_rate,
                    a.bitrate_kbps
                );
            }
            s.push_str("    </AudioTracks>\n");
        }
        s.push_str("  </AssetFile>\n");
    }
    s.push_str("</AssetFiles>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ism_lists_layers_in_bps_and_escapes() {
        let x = server_manifest_xml(
            &[IsmVideo {
                src: "a&b_1280x720_3400.mp4".into(),
                system_bitrate: 3_400_000,
            }],
            Some(&IsmAudio {
                src: "a&b_1280x720_3400.mp4".into(),
                system_bitrate: 128_000,
                title: "AAC_und_ch2_128kbps".into(),
            }),
        );
        assert!(x.contains("<video src=\"a&amp;b_1280x720_3400.mp4\" systemBitrate=\"3400000\" />"));
        assert!(x.contains("<audio src="));
        assert!(x.contains("<meta name=\"formats\" content=\"mp4\" />"));
    }
}
