//! The MES XML preset form (reference §1.6, §1.7): [`parse_xml`] and [`Preset::to_xml`].
//!
//! The XML twin holds the same model as the JSON form. Codecs sit under `<Encoding>` as
//! elements named after their JSON `"Type"`, layers under `<H264Layers>` / `<JpgLayers>` …,
//! output formats are empty elements inside `<Output FileName="...">`. These are attributes
//! (everything else is an element): `Preset/@Version`, `Condition` on codecs and image layers,
//! `Start`/`Step`/`Range`/`PreserveResolutionAfterRotation` on the video types,
//! `FileName` (and the AMSE extras `Condition`, `EnhancedServerManifest`) on `Output`, and
//! `AssetID`/`StartTime`/`Duration` on `Source` (times as `xs:duration`, e.g. `PT4S`).
//!
//! Reading accepts the elements of one parent in any order (MES asked users to keep the
//! order; Strata does not depend on it) but rejects unknown or repeated elements and unknown
//! attributes, naming the element path. Writing uses the exact order of the documented system
//! presets.

use std::collections::HashMap;
use std::fmt::{Display, Write as _};
use std::str::FromStr;

use roxmltree::{Document, Node};

use crate::model::{
    AacAudio, Codec, H264Layer, H264Video, ImageCodec, ImageLayer, Output, OutputFormat, Preset,
    Source, StreamSelector,
};
use crate::values::{Complexity, FrameRate, Size, StretchMode};
use crate::{PresetError, TimeSpan, TICKS_PER_SECOND};

/// The MES preset namespace as the service wrote it (reference §0: emit `http`).
pub(crate) const PRESET_NAMESPACE: &str =
    "http://www.windowsazure.com/media/encoding/Preset/2014/03";

/// Namespaces accepted on preset elements: the real one, the `https` doc artefact, the Azure
/// China copy, and none.
const ACCEPTED_NAMESPACES: &[&str] = &[
    "http://www.windowsazure.com/media/encoding/Preset/2014/03",
    "https://www.windowsazure.com/media/encoding/Preset/2014/03",
    "http://www.windowsazure.cn/media/encoding/Preset/2014/03",
    "https://www.windowsazure.cn/media/encoding/Preset/2014/03",
];

/// Attribute namespaces that carry no preset data (`xsi:type`, `xsi:nil`, …); ignored.
const IGNORED_ATTRIBUTE_NAMESPACES: &[&str] = &[
    "http://www.w3.org/2001/XMLSchema-instance",
    "https://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/2001/XMLSchema",
    "https://www.w3.org/2001/XMLSchema",
];

/// Parses a preset from MES XML text (the form of reference §1.6). A leading byte-order mark
/// and the `encoding="utf-16"` declaration of MES files are accepted (decode UTF-16 files to a
/// `String` first, as [`crate::load_file`] does).
///
/// Parsing only checks the shape; call [`Preset::validate`] for the MES rules (the messages
/// are the same as for JSON, since both forms build the same model).
///
/// MES's XML cannot tell an absent `BFrames`/`AdaptiveBFrame` from `0`/`false` (its Baseline
/// layers show `0`/`false` where the JSON leaves the keys out), so `<BFrames>0</BFrames>` and
/// `<AdaptiveBFrame>false</AdaptiveBFrame>` read as absent. `Filters` leaves are read as
/// strings.
///
/// # Errors
/// [`PresetError::Xml`] for malformed XML, a root other than `<Preset>`, an unknown, repeated
/// or missing element or attribute, or a value that does not parse (bad number, duration,
/// size, enum); the error names the element path (e.g.
/// `Preset/Encoding/H264Video/H264Layers/H264Layer[2]/Widht`) and the line and column.
pub fn parse_xml(text: &str) -> Result<Preset, PresetError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = Document::parse(text).map_err(|e| {
        let pos = e.pos();
        PresetError::Xml {
            path: String::new(),
            line: pos.row,
            column: pos.col,
            message: e.to_string(),
        }
    })?;
    let root = doc.root_element();
    let path = "Preset".to_string();
    if root.tag_name().name() != "Preset" {
        return Err(err_at(
            root,
            root.tag_name().name(),
            format!(
                "the root element is `{}`: an MES preset starts with <Preset>",
                root.tag_name().name()
            ),
        ));
    }
    check_namespace(root, &path)?;
    read_preset(root, &path)
}

fn err_at(node: Node<'_, '_>, path: impl Into<String>, message: impl Into<String>) -> PresetError {
    let pos = node.document().text_pos_at(node.range().start);
    PresetError::Xml {
        path: path.into(),
        line: pos.row,
        column: pos.col,
        message: message.into(),
    }
}

fn check_namespace(node: Node<'_, '_>, path: &str) -> Result<(), PresetError> {
    match node.tag_name().namespace() {
        None => Ok(()),
        Some(ns) if ACCEPTED_NAMESPACES.contains(&ns) => Ok(()),
        Some(ns) => Err(err_at(
            node,
            path,
            format!("namespace {ns:?} is not the MES preset namespace {PRESET_NAMESPACE:?}"),
        )),
    }
}

fn quoted_list(names: &[&str]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The attributes of `node`, checked against `allowed` (names without namespace).
struct Attrs<'a, 'input> {
    node: Node<'a, 'input>,
    path: String,
}

impl<'a, 'input> Attrs<'a, 'input> {
    fn new(node: Node<'a, 'input>, path: &str, allowed: &[&str]) -> Result<Self, PresetError> {
        for attr in node.attributes() {
            if attr
                .namespace()
                .is_some_and(|ns| IGNORED_ATTRIBUTE_NAMESPACES.contains(&ns))
            {
                continue;
            }
            if attr.namespace().is_some() || !allowed.contains(&attr.name()) {
                return Err(err_at(
                    node,
                    format!("{path}/@{}", attr.name()),
                    format!(
                        "unknown attribute `{}` on <{}>, expected {}",
                        attr.name(),
                        node.tag_name().name(),
                        quoted_list(allowed)
                    ),
                ));
            }
        }
        Ok(Attrs {
            node,
            path: path.to_string(),
        })
    }

    fn raw(&self, name: &str) -> Option<&'a str> {
        self.node.attribute(name)
    }

    fn string(&self, name: &str) -> Option<String> {
        self.raw(name).map(str::to_string)
    }

    fn parse<T>(&self, name: &str) -> Result<Option<T>, PresetError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.raw(name) {
            None => Ok(None),
            Some(text) => text.trim().parse().map(Some).map_err(|e| {
                err_at(
                    self.node,
                    format!("{}/@{name}", self.path),
                    format!("invalid value {text:?}: {e}"),
                )
            }),
        }
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, PresetError> {
        match self.raw(name) {
            None => Ok(None),
            Some(text) => parse_bool(text)
                .map(Some)
                .map_err(|e| err_at(self.node, format!("{}/@{name}", self.path), e)),
        }
    }
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim() {
        "true" | "True" | "TRUE" | "1" => Ok(true),
        "false" | "False" | "FALSE" | "0" => Ok(false),
        _ => Err(format!("invalid boolean {text:?}: expected true or false")),
    }
}

/// The element children of `node` in document order; text other than whitespace is an error.
fn element_children<'a, 'input>(
    node: Node<'a, 'input>,
    path: &str,
) -> Result<Vec<Node<'a, 'input>>, PresetError> {
    let mut out = Vec::new();
    for child in node.children() {
        if child.is_element() {
            out.push(child);
        } else if child.is_text() && !child.text().unwrap_or("").trim().is_empty() {
            return Err(err_at(
                child,
                path,
                format!(
                    "unexpected text {:?} in <{}>: it holds elements only",
                    child.text().unwrap_or("").trim(),
                    node.tag_name().name()
                ),
            ));
        }
    }
    Ok(out)
}

/// The text content of a leaf element.
fn leaf_text(node: Node<'_, '_>, path: &str) -> Result<String, PresetError> {
    let mut text = String::new();
    for child in node.children() {
        if child.is_element() {
            return Err(err_at(
                child,
                format!("{path}/{}", child.tag_name().name()),
                format!(
                    "unexpected element <{}>: <{}> holds a value, not elements",
                    child.tag_name().name(),
                    node.tag_name().name()
                ),
            ));
        }
        if let Some(t) = child.text() {
            text.push_str(t);
        }
    }
    Ok(text.trim().to_string())
}

/// The element children of a struct-like element, by name: each at most once, all known.
struct Fields<'a, 'input> {
    parent: Node<'a, 'input>,
    path: String,
    map: HashMap<&'a str, Node<'a, 'input>>,
}

impl<'a, 'input> Fields<'a, 'input> {
    fn new(node: Node<'a, 'input>, path: &str, allowed: &[&str]) -> Result<Self, PresetError> {
        let mut map = HashMap::new();
        for child in element_children(node, path)? {
            let name = child.tag_name().name();
            let child_path = format!("{path}/{name}");
            check_namespace(child, &child_path)?;
            if !allowed.contains(&name) {
                return Err(err_at(
                    child,
                    child_path,
                    format!(
                        "unknown element `{name}` in <{}>, expected {}",
                        node.tag_name().name(),
                        quoted_list(allowed)
                    ),
                ));
            }
            if map.insert(name, child).is_some() {
                return Err(err_at(
                    child,
                    child_path,
                    format!("duplicate element `{name}` in <{}>", node.tag_name().name()),
                ));
            }
        }
        Ok(Fields {
            parent: node,
            path: path.to_string(),
            map,
        })
    }

    fn node(&self, name: &str) -> Option<Node<'a, 'input>> {
        self.map.get(name).copied()
    }

    fn child_path(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    fn text(&self, name: &str) -> Result<Option<String>, PresetError> {
        self.node(name)
            .map(|n| leaf_text(n, &self.child_path(name)))
            .transpose()
    }

    fn parse<T>(&self, name: &str) -> Result<Option<T>, PresetError>
    where
        T: FromStr,
        T::Err: Display,
    {
        let Some(node) = self.node(name) else {
            return Ok(None);
        };
        let path = self.child_path(name);
        let text = leaf_text(node, &path)?;
        text.parse()
            .map(Some)
            .map_err(|e| err_at(node, path, format!("invalid value {text:?}: {e}")))
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, PresetError> {
        let Some(node) = self.node(name) else {
            return Ok(None);
        };
        let path = self.child_path(name);
        let text = leaf_text(node, &path)?;
        parse_bool(&text)
            .map(Some)
            .map_err(|e| err_at(node, path, e))
    }

    fn required<T>(&self, name: &str) -> Result<T, PresetError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.parse(name)?.ok_or_else(|| self.missing(name))
    }

    fn missing(&self, name: &str) -> PresetError {
        err_at(
            self.parent,
            self.path.clone(),
            format!(
                "missing element `{name}` in <{}>",
                self.parent.tag_name().name()
            ),
        )
    }
}

/// The repeated `item` children of a list element (`<H264Layers>` → `<H264Layer>`…), with
/// their 1-based paths.
fn list_items<'a, 'input>(
    node: Node<'a, 'input>,
    path: &str,
    item: &str,
) -> Result<Vec<(Node<'a, 'input>, String)>, PresetError> {
    Attrs::new(node, path, &[])?;
    let mut out = Vec::new();
    for (i, child) in element_children(node, path)?.into_iter().enumerate() {
        let name = child.tag_name().name();
        let child_path = format!("{path}/{name}[{}]", i + 1);
        check_namespace(child, &child_path)?;
        if name != item {
            return Err(err_at(
                child,
                child_path,
                format!(
                    "unknown element `{name}` in <{}>, expected `{item}`",
                    node.tag_name().name()
                ),
            ));
        }
        out.push((child, child_path));
    }
    Ok(out)
}

fn read_preset(node: Node<'_, '_>, path: &str) -> Result<Preset, PresetError> {
    let attrs = Attrs::new(node, path, &["Version"])?;
    let version: f64 = attrs.parse("Version")?.ok_or_else(|| {
        err_at(
            node,
            path,
            "missing attribute `Version` on <Preset>".to_string(),
        )
    })?;
    let fields = Fields::new(node, path, &["Sources", "Encoding", "Outputs"])?;
    let sources = match fields.node("Sources") {
        Some(n) => read_sources(n, &fields.child_path("Sources"))?,
        None => Vec::new(),
    };
    let encoding = fields
        .node("Encoding")
        .ok_or_else(|| fields.missing("Encoding"))?;
    let codecs = read_encoding(encoding, &fields.child_path("Encoding"))?;
    let outputs_node = fields
        .node("Outputs")
        .ok_or_else(|| fields.missing("Outputs"))?;
    let outputs = read_outputs(outputs_node, &fields.child_path("Outputs"))?;
    Ok(Preset {
        version,
        sources,
        codecs,
        outputs,
    })
}

fn read_sources(node: Node<'_, '_>, path: &str) -> Result<Vec<Source>, PresetError> {
    let mut out = Vec::new();
    for (child, cp) in list_items(node, path, "Source")? {
        let attrs = Attrs::new(child, &cp, &["AssetID", "AssetId", "StartTime", "Duration"])?;
        let fields = Fields::new(child, &cp, &["Streams", "Filters"])?;
        let streams = match fields.node("Streams") {
            Some(s) => read_streams(s, &fields.child_path("Streams"))?,
            None => Vec::new(),
        };
        let filters = match fields.node("Filters") {
            Some(f) => {
                let fp = fields.child_path("Filters");
                Attrs::new(f, &fp, &[])?;
                Some(element_to_json(f, &fp)?)
            }
            None => None,
        };
        out.push(Source {
            asset_id: attrs.string("AssetID").or_else(|| attrs.string("AssetId")),
            start_time: attrs.parse::<TimeSpan>("StartTime")?,
            duration: attrs.parse::<TimeSpan>("Duration")?,
            streams,
            filters,
        });
    }
    Ok(out)
}

fn read_streams(node: Node<'_, '_>, path: &str) -> Result<Vec<StreamSelector>, PresetError> {
    Attrs::new(node, path, &[])?;
    let mut out = Vec::new();
    for (i, child) in element_children(node, path)?.into_iter().enumerate() {
        let name = child.tag_name().name();
        let cp = format!("{path}/{name}[{}]", i + 1);
        check_namespace(child, &cp)?;
        if name != "VideoStream" && name != "AudioStream" {
            return Err(err_at(
                child,
                cp,
                format!(
                    "unknown element `{name}` in <Streams>, expected `VideoStream`, `AudioStream`"
                ),
            ));
        }
        Attrs::new(child, &cp, &[])?;
        out.push(StreamSelector {
            kind: name.to_string(),
            value: leaf_text(child, &cp)?,
        });
    }
    Ok(out)
}

/// `Filters` content as JSON: elements and attributes become keys, repeated elements arrays,
/// leaves strings.
fn element_to_json(node: Node<'_, '_>, path: &str) -> Result<serde_json::Value, PresetError> {
    let attrs: Vec<_> = node
        .attributes()
        .filter(|a| a.namespace().is_none())
        .collect();
    if attrs.is_empty() && !node.children().any(|c| c.is_element()) {
        let text = leaf_text(node, path)?;
        return Ok(serde_json::Value::String(text));
    }
    let children = element_children(node, path)?;
    let mut map = serde_json::Map::new();
    for a in attrs {
        map.insert(
            a.name().to_string(),
            serde_json::Value::String(a.value().to_string()),
        );
    }
    for child in children {
        let name = child.tag_name().name();
        let value = element_to_json(child, &format!("{path}/{name}"))?;
        match map.get_mut(name) {
            Some(serde_json::Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = serde_json::Value::Array(vec![first, value]);
            }
            None => {
                map.insert(name.to_string(), value);
            }
        }
    }
    Ok(serde_json::Value::Object(map))
}

const CODEC_NAMES: &[&str] = &[
    "H264Video",
    "AACAudio",
    "CopyVideo",
    "CopyAudio",
    "JpgImage",
    "PngImage",
    "BmpImage",
];

fn read_encoding(node: Node<'_, '_>, path: &str) -> Result<Vec<Codec>, PresetError> {
    Attrs::new(node, path, &[])?;
    let mut codecs = Vec::new();
    for (i, child) in element_children(node, path)?.into_iter().enumerate() {
        let name = child.tag_name().name();
        let cp = format!("{path}/{name}");
        check_namespace(child, &cp)?;
        let codec = match name {
            "H264Video" => Codec::H264Video(read_h264_video(child, &cp)?),
            "AACAudio" => Codec::AACAudio(read_aac(child, &cp)?),
            "CopyVideo" | "CopyAudio" => {
                Attrs::new(child, &cp, &[])?;
                Fields::new(child, &cp, &[])?;
                if name == "CopyVideo" {
                    Codec::CopyVideo
                } else {
                    Codec::CopyAudio
                }
            }
            "JpgImage" => Codec::JpgImage(read_image(child, &cp, "JpgLayers", "JpgLayer")?),
            "PngImage" => Codec::PngImage(read_image(child, &cp, "PngLayers", "PngLayer")?),
            "BmpImage" => Codec::BmpImage(read_image(child, &cp, "BmpLayers", "BmpLayer")?),
            other => {
                return Err(err_at(
                    child,
                    cp,
                    format!(
                        "unknown codec element `{other}` (Encoding child {}), expected {}",
                        i + 1,
                        quoted_list(CODEC_NAMES)
                    ),
                ))
            }
        };
        codecs.push(codec);
    }
    Ok(codecs)
}

const H264_VIDEO_ELEMENTS: &[&str] = &[
    "TwoPass",
    "KeyFrameInterval",
    "SceneChangeDetection",
    "StretchMode",
    "Complexity",
    "SyncMode",
    "H264Layers",
    "Chapters",
];

const H264_LAYER_ELEMENTS: &[&str] = &[
    "Bitrate",
    "Width",
    "Height",
    "FrameRate",
    "Profile",
    "Level",
    "BFrames",
    "ReferenceFrames",
    "Slices",
    "AdaptiveBFrame",
    "EntropyMode",
    "BufferWindow",
    "MaxBitrate",
];

fn read_h264_video(node: Node<'_, '_>, path: &str) -> Result<H264Video, PresetError> {
    let attrs = Attrs::new(
        node,
        path,
        &["Condition", "PreserveResolutionAfterRotation"],
    )?;
    let f = Fields::new(node, path, H264_VIDEO_ELEMENTS)?;
    if let Some(ch) = f.node("Chapters") {
        let cp = f.child_path("Chapters");
        Attrs::new(ch, &cp, &[])?;
        Fields::new(ch, &cp, &[])?;
    }
    let h264_layers = match f.node("H264Layers") {
        Some(n) => list_items(n, &f.child_path("H264Layers"), "H264Layer")?
            .into_iter()
            .map(|(layer, lp)| read_h264_layer(layer, &lp))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    Ok(H264Video {
        key_frame_interval: f
            .parse("KeyFrameInterval")?
            .unwrap_or(TimeSpan::from_secs(2)),
        scene_change_detection: f.bool("SceneChangeDetection")?.unwrap_or(false),
        complexity: f.parse("Complexity")?.unwrap_or_default(),
        stretch_mode: f.parse("StretchMode")?.unwrap_or_default(),
        sync_mode: f.text("SyncMode")?.map(serde_json::Value::String),
        two_pass: f.bool("TwoPass")?.unwrap_or(false),
        condition: attrs.parse("Condition")?,
        preserve_resolution_after_rotation: attrs
            .bool("PreserveResolutionAfterRotation")?
            .unwrap_or(false),
        h264_layers,
    })
}

fn read_h264_layer(node: Node<'_, '_>, path: &str) -> Result<H264Layer, PresetError> {
    Attrs::new(node, path, &[])?;
    let f = Fields::new(node, path, H264_LAYER_ELEMENTS)?;
    Ok(H264Layer {
        profile: f.parse("Profile")?.unwrap_or_default(),
        level: f.text("Level")?.unwrap_or_else(|| "auto".to_string()),
        bitrate: f.required("Bitrate")?,
        max_bitrate: f.parse("MaxBitrate")?,
        buffer_window: f.parse("BufferWindow")?.unwrap_or(TimeSpan::from_secs(5)),
        width: f.required::<Size>("Width")?,
        height: f.required::<Size>("Height")?,
        // MES XML writes the absent default as 0 / false (reference §1.3).
        b_frames: f.parse::<u32>("BFrames")?.filter(|b| *b != 0),
        reference_frames: f.parse("ReferenceFrames")?.unwrap_or(3),
        entropy_mode: f.parse("EntropyMode")?.unwrap_or_default(),
        frame_rate: f.parse::<FrameRate>("FrameRate")?.unwrap_or_default(),
        adaptive_b_frame: f.bool("AdaptiveBFrame")?.filter(|b| *b),
        slices: f.parse("Slices")?.unwrap_or(0),
    })
}

fn read_aac(node: Node<'_, '_>, path: &str) -> Result<AacAudio, PresetError> {
    let attrs = Attrs::new(node, path, &["Condition"])?;
    let f = Fields::new(
        node,
        path,
        &["Profile", "Channels", "SamplingRate", "Bitrate"],
    )?;
    Ok(AacAudio {
        profile: f.parse("Profile")?.unwrap_or_default(),
        channels: f.parse("Channels")?.unwrap_or(2),
        sampling_rate: f.required("SamplingRate")?,
        bitrate: f.required("Bitrate")?,
        condition: attrs.parse("Condition")?,
    })
}

fn read_image(
    node: Node<'_, '_>,
    path: &str,
    layers_name: &str,
    layer_name: &str,
) -> Result<ImageCodec, PresetError> {
    let attrs = Attrs::new(
        node,
        path,
        &["Start", "Step", "Range", "PreserveResolutionAfterRotation"],
    )?;
    let f = Fields::new(node, path, &["StretchMode", layers_name])?;
    let layers = match f.node(layers_name) {
        Some(n) => list_items(n, &f.child_path(layers_name), layer_name)?
            .into_iter()
            .map(|(layer, lp)| {
                let la = Attrs::new(layer, &lp, &["Condition"])?;
                let allowed: &[&str] = if layer_name == "JpgLayer" {
                    &["Width", "Height", "Quality"]
                } else {
                    &["Width", "Height"]
                };
                let lf = Fields::new(layer, &lp, allowed)?;
                Ok(ImageLayer {
                    width: lf.required("Width")?,
                    height: lf.required("Height")?,
                    quality: lf.parse("Quality")?,
                    condition: la.string("Condition"),
                })
            })
            .collect::<Result<_, PresetError>>()?,
        None => Vec::new(),
    };
    Ok(ImageCodec {
        start: attrs.string("Start"),
        step: attrs.string("Step"),
        range: attrs.string("Range"),
        preserve_resolution_after_rotation: attrs
            .bool("PreserveResolutionAfterRotation")?
            .unwrap_or(false),
        stretch_mode: f.parse("StretchMode")?,
        layers,
    })
}

const FORMAT_NAMES: &[&str] = &[
    "MP4Format",
    "TransportStreamFormat",
    "JpgFormat",
    "PngFormat",
    "BmpFormat",
    "HLSFormat",
    "DASHFormat",
    "SmoothStreamingFormat",
];

fn read_outputs(node: Node<'_, '_>, path: &str) -> Result<Vec<Output>, PresetError> {
    let mut out = Vec::new();
    for (child, cp) in list_items(node, path, "Output")? {
        let attrs = Attrs::new(
            child,
            &cp,
            &["FileName", "Condition", "EnhancedServerManifest"],
        )?;
        let file_name = attrs.string("FileName").ok_or_else(|| {
            err_at(
                child,
                &cp,
                "missing attribute `FileName` on <Output>".to_string(),
            )
        })?;
        let formats = element_children(child, &cp)?;
        let format = match formats.as_slice() {
            [one] => {
                let name = one.tag_name().name();
                let fp = format!("{cp}/{name}");
                check_namespace(*one, &fp)?;
                let format = match name {
                    "MP4Format" => OutputFormat::Mp4,
                    "TransportStreamFormat" => OutputFormat::TransportStream,
                    "JpgFormat" => OutputFormat::Jpg,
                    "PngFormat" => OutputFormat::Png,
                    "BmpFormat" => OutputFormat::Bmp,
                    "HLSFormat" => OutputFormat::Hls,
                    "DASHFormat" => OutputFormat::Dash,
                    "SmoothStreamingFormat" => OutputFormat::Smooth,
                    other => {
                        return Err(err_at(
                            *one,
                            fp,
                            format!(
                                "unknown format element `{other}` in <Output>, expected {}",
                                quoted_list(FORMAT_NAMES)
                            ),
                        ))
                    }
                };
                Attrs::new(*one, &fp, &[])?;
                Fields::new(*one, &fp, &[])?;
                format
            }
            [] => {
                return Err(err_at(
                    child,
                    cp,
                    format!(
                        "<Output> has no format element: add one of {}",
                        quoted_list(FORMAT_NAMES)
                    ),
                ))
            }
            [_, second, ..] => {
                return Err(err_at(
                    *second,
                    format!("{cp}/{}", second.tag_name().name()),
                    "<Output> holds more than one format element".to_string(),
                ))
            }
        };
        out.push(Output {
            file_name,
            format,
            condition: attrs.parse("Condition")?,
            enhanced_server_manifest: attrs.bool("EnhancedServerManifest")?,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Formats a duration as `xs:duration` (`PT4S`, `PT1M30.5S`, `P1DT2H`), as `Source` uses.
pub(crate) fn xs_duration(t: TimeSpan) -> String {
    let ticks = t.ticks();
    let day = 24 * 3600 * TICKS_PER_SECOND;
    let (days, rest) = (ticks / day, ticks % day);
    let hours = rest / (3600 * TICKS_PER_SECOND);
    let minutes = rest % (3600 * TICKS_PER_SECOND) / (60 * TICKS_PER_SECOND);
    let secs = rest % (60 * TICKS_PER_SECOND) / TICKS_PER_SECOND;
    let frac = rest % TICKS_PER_SECOND;
    let mut s = String::from("P");
    if days > 0 {
        let _ = write!(s, "{days}D");
    }
    if rest > 0 || days == 0 {
        s.push('T');
        if hours > 0 {
            let _ = write!(s, "{hours}H");
        }
        if minutes > 0 {
            let _ = write!(s, "{minutes}M");
        }
        if secs > 0 || frac > 0 || (hours == 0 && minutes == 0) {
            let _ = write!(s, "{secs}");
            if frac > 0 {
                let digits = format!("{frac:07}");
                let _ = write!(s, ".{}", digits.trim_end_matches('0'));
            }
            s.push('S');
        }
    }
    s
}

fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            '\t' if attribute => out.push_str("&#x9;"),
            c => out.push(c),
        }
    }
    out
}

/// A small indenting writer: two spaces per level, like the documented presets.
struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn attrs(&mut self, attrs: &[(&str, String)]) {
        for (name, value) in attrs {
            let _ = write!(self.out, " {name}=\"{}\"", escape(value, true));
        }
    }

    fn open(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push_str(" />\n");
    }

    fn leaf(&mut self, name: &str, value: impl Display) {
        self.indent();
        let _ = writeln!(
            self.out,
            "<{name}>{}</{name}>",
            escape(&value.to_string(), false)
        );
    }
}

fn format_version(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

impl Preset {
    /// The preset in the MES XML form of reference §1.6: the documented element names and
    /// order, two-space indentation, the `http` namespaces, `<Chapters />` in `<H264Video>`
    /// (as every documented system preset shows), `EntropyMode` always written, and absent
    /// `BFrames`/`AdaptiveBFrame` written as `0`/`false` (as the XML twins of the Baseline
    /// layers show). Defaults that MES leaves out (`SceneChangeDetection` false, `StretchMode`
    /// AutoSize, `Complexity` Balanced, `TwoPass` false) are not written.
    ///
    /// The declaration says `encoding="utf-8"`, since the result is a Rust (UTF-8) string;
    /// [`parse_xml`] reads it back to an equal model.
    ///
    /// # Errors
    /// [`PresetError::Unsupported`] for a `SyncMode` or `Filters` value with no XML form
    /// (`SyncMode` other than a string, number or boolean; `Filters` holding `null` or
    /// nested arrays).
    pub fn to_xml(&self) -> Result<String, PresetError> {
        let mut w = Writer {
            out: String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"),
            depth: 0,
        };
        let _ = writeln!(
            w.out,
            "<Preset xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" Version=\"{}\" xmlns=\"{PRESET_NAMESPACE}\">",
            format_version(self.version)
        );
        w.depth = 1;
        if !self.sources.is_empty() {
            w.open("Sources", &[]);
            for (i, s) in self.sources.iter().enumerate() {
                write_source(&mut w, s, i)?;
            }
            w.close("Sources");
        }
        w.open("Encoding", &[]);
        for codec in &self.codecs {
            match codec {
                Codec::H264Video(v) => write_h264_video(&mut w, v)?,
                Codec::AACAudio(a) => {
                    let attrs: Vec<(&str, String)> = a
                        .condition
                        .iter()
                        .map(|c| ("Condition", c.to_string()))
                        .collect();
                    w.open("AACAudio", &attrs);
                    w.leaf("Profile", a.profile);
                    w.leaf("Channels", a.channels);
                    w.leaf("SamplingRate", a.sampling_rate);
                    w.leaf("Bitrate", a.bitrate);
                    w.close("AACAudio");
                }
                Codec::CopyVideo => w.empty("CopyVideo", &[]),
                Codec::CopyAudio => w.empty("CopyAudio", &[]),
                Codec::JpgImage(c) => write_image(&mut w, c, "JpgImage", "JpgLayers", "JpgLayer"),
                Codec::PngImage(c) => write_image(&mut w, c, "PngImage", "PngLayers", "PngLayer"),
                Codec::BmpImage(c) => write_image(&mut w, c, "BmpImage", "BmpLayers", "BmpLayer"),
            }
        }
        w.close("Encoding");
        w.open("Outputs", &[]);
        for o in &self.outputs {
            let mut attrs = vec![("FileName", o.file_name.clone())];
            if let Some(c) = o.condition {
                attrs.push(("Condition", c.to_string()));
            }
            if let Some(e) = o.enhanced_server_manifest {
                attrs.push(("EnhancedServerManifest", e.to_string()));
            }
            w.open("Output", &attrs);
            w.empty(o.format.type_name(), &[]);
            w.close("Output");
        }
        w.close("Outputs");
        w.out.push_str("</Preset>\n");
        Ok(w.out)
    }
}

fn write_source(w: &mut Writer, s: &Source, index: usize) -> Result<(), PresetError> {
    let mut attrs = Vec::new();
    if let Some(id) = &s.asset_id {
        attrs.push(("AssetID", id.clone()));
    }
    if let Some(t) = s.start_time {
        attrs.push(("StartTime", xs_duration(t)));
    }
    if let Some(t) = s.duration {
        attrs.push(("Duration", xs_duration(t)));
    }
    if s.streams.is_empty() && s.filters.is_none() {
        w.empty("Source", &attrs);
        return Ok(());
    }
    w.open("Source", &attrs);
    if !s.streams.is_empty() {
        w.open("Streams", &[]);
        for st in &s.streams {
            w.leaf(&st.kind, &st.value);
        }
        w.close("Streams");
    }
    if let Some(filters) = &s.filters {
        write_json_element(w, "Filters", filters, &format!("Sources[{index}].Filters"))?;
    }
    w.close("Source");
    Ok(())
}

fn write_json_element(
    w: &mut Writer,
    name: &str,
    value: &serde_json::Value,
    field: &str,
) -> Result<(), PresetError> {
    use serde_json::Value;
    let no_xml = || {
        PresetError::Unsupported(format!(
            "{field} has no XML form (null or nested arrays); write the preset as JSON"
        ))
    };
    match value {
        Value::String(s) => w.leaf(name, s),
        Value::Number(n) => w.leaf(name, n),
        Value::Bool(b) => w.leaf(name, b),
        Value::Null => return Err(no_xml()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.is_array() {
                    return Err(no_xml());
                }
                write_json_element(w, name, item, &format!("{field}[{i}]"))?;
            }
        }
        Value::Object(map) => {
            if map.is_empty() {
                w.empty(name, &[]);
            } else {
                w.open(name, &[]);
                for (k, v) in map {
                    write_json_element(w, k, v, &format!("{field}.{k}"))?;
                }
                w.close(name);
            }
        }
    }
    Ok(())
}

fn write_h264_video(w: &mut Writer, v: &H264Video) -> Result<(), PresetError> {
    let mut attrs = Vec::new();
    if let Some(c) = v.condition {
        attrs.push(("Condition", c.to_string()));
    }
    if v.preserve_resolution_after_rotation {
        attrs.push(("PreserveResolutionAfterRotation", "true".to_string()));
    }
    w.open("H264Video", &attrs);
    if v.two_pass {
        w.leaf("TwoPass", true);
    }
    w.leaf("KeyFrameInterval", v.key_frame_interval);
    if v.scene_change_detection {
        w.leaf("SceneChangeDetection", true);
    }
    if v.stretch_mode != StretchMode::AutoSize {
        w.leaf("StretchMode", v.stretch_mode);
    }
    if v.complexity != Complexity::Balanced {
        w.leaf("Complexity", v.complexity);
    }
    if let Some(sync) = &v.sync_mode {
        match sync {
            serde_json::Value::String(s) => w.leaf("SyncMode", s),
            serde_json::Value::Number(n) => w.leaf("SyncMode", n),
            serde_json::Value::Bool(b) => w.leaf("SyncMode", b),
            _ => {
                return Err(PresetError::Unsupported(
                    "H264Video.SyncMode holds a value with no XML form; write the preset as JSON"
                        .to_string(),
                ))
            }
        }
    }
    if v.h264_layers.is_empty() {
        w.empty("H264Layers", &[]);
    } else {
        w.open("H264Layers", &[]);
        for l in &v.h264_layers {
            w.open("H264Layer", &[]);
            w.leaf("Bitrate", l.bitrate);
            w.leaf("Width", l.width);
            w.leaf("Height", l.height);
            w.leaf("FrameRate", l.frame_rate);
            w.leaf("Profile", l.profile);
            w.leaf("Level", &l.level);
            w.leaf("BFrames", l.b_frames.unwrap_or(0));
            w.leaf("ReferenceFrames", l.reference_frames);
            w.leaf("Slices", l.slices);
            w.leaf("AdaptiveBFrame", l.adaptive_b_frame.unwrap_or(false));
            w.leaf("EntropyMode", l.entropy_mode);
            w.leaf("BufferWindow", l.buffer_window);
            if let Some(max) = l.max_bitrate {
                w.leaf("MaxBitrate", max);
            }
            w.close("H264Layer");
        }
        w.close("H264Layers");
    }
    w.empty("Chapters", &[]);
    w.close("H264Video");
    Ok(())
}

fn write_image(w: &mut Writer, c: &ImageCodec, name: &str, layers: &str, layer: &str) {
    let mut attrs = Vec::new();
    for (key, value) in [("Start", &c.start), ("Step", &c.step), ("Range", &c.range)] {
        if let Some(v) = value {
            attrs.push((key, v.clone()));
        }
    }
    if c.preserve_resolution_after_rotation {
        attrs.push(("PreserveResolutionAfterRotation", "true".to_string()));
    }
    w.open(name, &attrs);
    if let Some(mode) = c.stretch_mode {
        w.leaf("StretchMode", mode);
    }
    if c.layers.is_empty() {
        w.empty(layers, &[]);
    } else {
        w.open(layers, &[]);
        for l in &c.layers {
            let la: Vec<(&str, String)> = l
                .condition
                .iter()
                .map(|c| ("Condition", c.clone()))
                .collect();
            w.open(layer, &la);
            w.leaf("Width", l.width);
            w.leaf("Height", l.height);
            if let Some(q) = l.quality {
                w.leaf("Quality", q);
            }
            w.close(layer);
        }
        w.close(layers);
    }
    w.close(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xs_durations() {
        for (secs_ticks, text) in [
            (TimeSpan::from_secs(4), "PT4S"),
            (TimeSpan::ZERO, "PT0S"),
            (TimeSpan::from_millis(90_500), "PT1M30.5S"),
            (TimeSpan::from_secs(3600), "PT1H"),
            (TimeSpan::from_secs(26 * 3600), "P1DT2H"),
            (TimeSpan::from_secs(24 * 3600), "P1D"),
            (TimeSpan::from_ticks(1), "PT0.0000001S"),
        ] {
            assert_eq!(xs_duration(secs_ticks), text);
            assert_eq!(text.parse::<TimeSpan>().unwrap(), secs_ticks, "{text}");
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a<b>&\"c\"", true), "a&lt;b&gt;&amp;&quot;c&quot;");
        assert_eq!(escape("a\"b", false), "a\"b");
    }
}
