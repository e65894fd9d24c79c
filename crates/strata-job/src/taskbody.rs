//! The TaskBody XML grammar (reference §5.6).

use std::fmt::Write as _;

use crate::JobError;

/// Output-asset creation flags allowed in `assetCreationOptions`: None 0, StorageEncrypted 1,
/// CommonEncryptionProtected 2, EnvelopeEncryptionProtected 4.
pub const ASSET_CREATION_OPTIONS_MASK: u32 = 0b111;

/// A reference to an asset inside a task body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssetRef {
    /// `JobInputAsset(n)`: index into the job's `InputMediaAssets`.
    JobInput(usize),
    /// `JobOutputAsset(n)`: index into the job's output assets (made by the tasks).
    JobOutput(usize),
}

impl AssetRef {
    /// Parses `JobInputAsset(n)` or `JobOutputAsset(n)` (surrounding whitespace ignored).
    ///
    /// # Errors
    ///
    /// [`JobError::InvalidTaskBody`] when the text is neither.
    pub fn parse(text: &str) -> Result<Self, JobError> {
        let t = text.trim();
        let bad = || JobError::InvalidTaskBody {
            message: format!("{t:?} is not JobInputAsset(n) or JobOutputAsset(n)"),
        };
        let (ctor, rest): (fn(usize) -> AssetRef, &str) =
            if let Some(rest) = t.strip_prefix("JobInputAsset(") {
                (AssetRef::JobInput, rest)
            } else if let Some(rest) = t.strip_prefix("JobOutputAsset(") {
                (AssetRef::JobOutput, rest)
            } else {
                return Err(bad());
            };
        let digits = rest.strip_suffix(')').ok_or_else(bad)?.trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        digits.parse().map(ctor).map_err(|_| bad())
    }
}

impl std::fmt::Display for AssetRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssetRef::JobInput(n) => write!(f, "JobInputAsset({n})"),
            AssetRef::JobOutput(n) => write!(f, "JobOutputAsset({n})"),
        }
    }
}

/// One `<outputAsset>` of a task body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    /// The `n` of `JobOutputAsset(n)`.
    pub index: usize,
    /// `assetName`; `None` when absent or empty (an empty name is ignored, §5.6).
    pub asset_name: Option<String>,
    /// `assetCreationOptions` flags (0 when absent).
    pub creation_options: u32,
    /// `assetFormatOption`: 0 None, 1 AdaptiveStreaming (0 when absent).
    pub format_option: u32,
    /// `storageAccountName`, kept but not used locally.
    pub storage_account_name: Option<String>,
}

impl OutputSpec {
    /// An output `JobOutputAsset(index)` with no attributes.
    #[must_use]
    pub fn new(index: usize) -> Self {
        OutputSpec {
            index,
            asset_name: None,
            creation_options: 0,
            format_option: 0,
            storage_account_name: None,
        }
    }
}

/// A parsed `<taskBody>`: the task's inputs and outputs in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskBody {
    /// `<inputAsset>` elements (job inputs or other tasks' outputs).
    pub inputs: Vec<AssetRef>,
    /// `<outputAsset>` elements.
    pub outputs: Vec<OutputSpec>,
}

impl TaskBody {
    /// Parses a `<taskBody>` document (an XML declaration is allowed).
    ///
    /// # Errors
    ///
    /// [`JobError::InvalidTaskBody`] for bad XML, another root element, an unknown element or
    /// attribute, an asset reference that does not parse, an `outputAsset` that is not
    /// `JobOutputAsset(n)`, bad option values, or no input / no output.
    pub fn parse(xml: &str) -> Result<Self, JobError> {
        let doc = parse_doc(xml)?;
        let root = doc.root_element();
        if root.tag_name().name() != "taskBody" {
            return Err(body_err(format!(
                "root element is <{}>, expected <taskBody>",
                root.tag_name().name()
            )));
        }
        Ok(parse_task_body_node(root, false)?.0)
    }

    /// Writes the body back as XML (no declaration), attributes in MES order.
    #[must_use]
    pub fn to_xml(&self) -> String {
        self.to_xml_with_template(None)
    }

    pub(crate) fn to_xml_with_template(&self, task_template_id: Option<&str>) -> String {
        let mut s = String::from("<taskBody");
        if let Some(id) = task_template_id {
            let _ = write!(s, " taskTemplateId=\"{}\"", escape(id));
        }
        s.push('>');
        for input in &self.inputs {
            let _ = write!(s, "<inputAsset>{input}</inputAsset>");
        }
        for o in &self.outputs {
            let _ = write!(
                s,
                "<outputAsset assetCreationOptions=\"{}\" assetFormatOption=\"{}\"",
                o.creation_options, o.format_option
            );
            if let Some(name) = &o.asset_name {
                let _ = write!(s, " assetName=\"{}\"", escape(name));
            }
            if let Some(acct) = &o.storage_account_name {
                let _ = write!(s, " storageAccountName=\"{}\"", escape(acct));
            }
            let _ = write!(s, ">JobOutputAsset({})</outputAsset>", o.index);
        }
        s.push_str("</taskBody>");
        s
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn body_err(message: String) -> JobError {
    JobError::InvalidTaskBody { message }
}

pub(crate) fn parse_doc(xml: &str) -> Result<roxmltree::Document<'_>, JobError> {
    roxmltree::Document::parse(xml).map_err(|e| body_err(format!("invalid XML: {e}")))
}

fn parse_u32_attr(node: roxmltree::Node<'_, '_>, name: &str) -> Result<u32, JobError> {
    match node.attribute(name) {
        None => Ok(0),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| body_err(format!("{name}={v:?} is not a non-negative integer"))),
    }
}

/// Parses a `<taskBody>` element; returns the body and its `taskTemplateId` attribute
/// (only allowed when `in_template`).
pub(crate) fn parse_task_body_node(
    node: roxmltree::Node<'_, '_>,
    in_template: bool,
) -> Result<(TaskBody, Option<String>), JobError> {
    let mut template_id = None;
    for attr in node.attributes() {
        if in_template && attr.name() == "taskTemplateId" {
            template_id = Some(attr.value().to_string());
        } else {
            return Err(body_err(format!(
                "unknown attribute {} on <taskBody>",
                attr.name()
            )));
        }
    }
    let mut body = TaskBody {
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    for child in node.children() {
        if child.is_text() {
            if child.text().is_some_and(|t| !t.trim().is_empty()) {
                return Err(body_err("unexpected text inside <taskBody>".into()));
            }
            continue;
        }
        if !child.is_element() {
            continue;
        }
        let text = child.text().unwrap_or("");
        match child.tag_name().name() {
            "inputAsset" => {
                if let Some(attr) = child.attributes().next() {
                    return Err(body_err(format!(
                        "unknown attribute {} on <inputAsset>",
                        attr.name()
                    )));
                }
                body.inputs.push(AssetRef::parse(text)?);
            }
            "outputAsset" => {
                for attr in child.attributes() {
                    if !matches!(
                        attr.name(),
                        "assetCreationOptions"
                            | "assetFormatOption"
                            | "assetName"
                            | "storageAccountName"
                    ) {
                        return Err(body_err(format!(
                            "unknown attribute {} on <outputAsset>",
                            attr.name()
                        )));
                    }
                }
                let AssetRef::JobOutput(index) = AssetRef::parse(text)? else {
                    return Err(body_err(format!(
                        "<outputAsset> must be JobOutputAsset(n), found {:?}",
                        text.trim()
                    )));
                };
                let creation_options = parse_u32_attr(child, "assetCreationOptions")?;
                if creation_options & !ASSET_CREATION_OPTIONS_MASK != 0 {
                    return Err(body_err(format!(
                        "assetCreationOptions={creation_options} has unknown flags (allowed: 0, 1, 2, 4 and their sums)"
                    )));
                }
                let format_option = parse_u32_attr(child, "assetFormatOption")?;
                if format_option > 1 {
                    return Err(body_err(format!(
                        "assetFormatOption={format_option} is unknown (0 None, 1 AdaptiveStreaming)"
                    )));
                }
                body.outputs.push(OutputSpec {
                    index,
                    asset_name: child
                        .attribute("assetName")
                        .filter(|n| !n.is_empty())
                        .map(str::to_string),
                    creation_options,
                    format_option,
                    storage_account_name: child
                        .attribute("storageAccountName")
                        .filter(|n| !n.is_empty())
                        .map(str::to_string),
                });
            }
            other => return Err(body_err(format!("unknown element <{other}> in <taskBody>"))),
        }
    }
    if body.inputs.is_empty() {
        return Err(body_err("<taskBody> has no <inputAsset>".into()));
    }
    if body.outputs.is_empty() {
        return Err(body_err("<taskBody> has no <outputAsset>".into()));
    }
    Ok((body, template_id))
}
