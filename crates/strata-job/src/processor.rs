//! The one media processor Strata implements (reference §5.2).

use crate::JobError;

/// The Media Encoder Standard processor id.
pub const MES_PROCESSOR_ID: &str = "nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56";
/// The Media Encoder Standard processor name.
pub const MES_PROCESSOR_NAME: &str = "Media Encoder Standard";

/// A media processor a task can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaProcessor {
    /// Media Encoder Standard.
    MediaEncoderStandard,
}

impl MediaProcessor {
    /// Resolves a `MediaProcessorId`: the MES id (GUID compared case-insensitively, `%3A`
    /// accepted) or its name `"Media Encoder Standard"` (case-insensitive).
    ///
    /// # Errors
    ///
    /// [`JobError::UnknownProcessor`] naming the value for anything else (including other
    /// Microsoft processors such as "Media Encoder Premium Workflow").
    pub fn resolve(id_or_name: &str) -> Result<Self, JobError> {
        let text = id_or_name.trim();
        let decoded = text.replace("%3A", ":").replace("%3a", ":");
        if decoded.eq_ignore_ascii_case(MES_PROCESSOR_ID)
            || text.eq_ignore_ascii_case(MES_PROCESSOR_NAME)
        {
            Ok(MediaProcessor::MediaEncoderStandard)
        } else {
            Err(JobError::UnknownProcessor {
                task: None,
                processor: id_or_name.to_string(),
            })
        }
    }

    /// The processor id (`nb:mpid:UUID:…`).
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            MediaProcessor::MediaEncoderStandard => MES_PROCESSOR_ID,
        }
    }

    /// The processor name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            MediaProcessor::MediaEncoderStandard => MES_PROCESSOR_NAME,
        }
    }
}
