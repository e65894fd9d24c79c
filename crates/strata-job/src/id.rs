//! Media Services entity ids: `nb:{type}:UUID:{guid}` (reference §5.1).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::JobError;

/// The entity type of an [`EntityId`]: the `{type}` part of `nb:{type}:UUID:{guid}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// An asset (`cid`).
    Asset,
    /// A job (`jid`).
    Job,
    /// A task (`tid`).
    Task,
    /// A job template (`jtid`).
    JobTemplate,
    /// A task template (`ttid`); the client makes these ids.
    TaskTemplate,
    /// A media processor (`mpid`).
    MediaProcessor,
}

impl EntityKind {
    /// The short type tag used in the id, e.g. `"jid"`.
    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            EntityKind::Asset => "cid",
            EntityKind::Job => "jid",
            EntityKind::Task => "tid",
            EntityKind::JobTemplate => "jtid",
            EntityKind::TaskTemplate => "ttid",
            EntityKind::MediaProcessor => "mpid",
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        Some(match tag {
            "cid" => EntityKind::Asset,
            "jid" => EntityKind::Job,
            "tid" => EntityKind::Task,
            "jtid" => EntityKind::JobTemplate,
            "ttid" => EntityKind::TaskTemplate,
            "mpid" => EntityKind::MediaProcessor,
            _ => return None,
        })
    }
}

/// A Media Services entity id such as `nb:jid:UUID:71d2dd33-0b5c-4c1d-9f4e-2c9a4f3e1a2b`.
///
/// Displayed in the canonical form (lower-case hyphenated GUID). Serialised as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntityId {
    kind: EntityKind,
    uuid: Uuid,
}

impl EntityId {
    /// An id of `kind` with the given GUID.
    #[must_use]
    pub fn from_uuid(kind: EntityKind, uuid: Uuid) -> Self {
        EntityId { kind, uuid }
    }

    /// A fresh random (v4) id of `kind`.
    #[must_use]
    pub fn generate(kind: EntityKind) -> Self {
        EntityId {
            kind,
            uuid: Uuid::new_v4(),
        }
    }

    /// A fresh job id (`nb:jid:UUID:…`).
    #[must_use]
    pub fn new_job() -> Self {
        Self::generate(EntityKind::Job)
    }

    /// A fresh task id (`nb:tid:UUID:…`).
    #[must_use]
    pub fn new_task() -> Self {
        Self::generate(EntityKind::Task)
    }

    /// A fresh asset id (`nb:cid:UUID:…`).
    #[must_use]
    pub fn new_asset() -> Self {
        Self::generate(EntityKind::Asset)
    }

    /// A fresh job-template id (`nb:jtid:UUID:…`).
    #[must_use]
    pub fn new_job_template() -> Self {
        Self::generate(EntityKind::JobTemplate)
    }

    /// A fresh task-template id (`nb:ttid:UUID:…`).
    #[must_use]
    pub fn new_task_template() -> Self {
        Self::generate(EntityKind::TaskTemplate)
    }

    /// The entity type.
    #[must_use]
    pub fn kind(&self) -> EntityKind {
        self.kind
    }

    /// The GUID.
    #[must_use]
    pub fn uuid(&self) -> Uuid {
        self.uuid
    }

    /// Parses `nb:{type}:UUID:{guid}`. URL-encoded colons (`%3A`, as in
    /// `Jobs('nb%3Ajid%3AUUID%3A…')`) are accepted; `nb`, `UUID` and the type are matched
    /// case-insensitively.
    ///
    /// # Errors
    ///
    /// [`JobError::InvalidId`] when the text is not of that form, the type is unknown or the
    /// GUID does not parse.
    pub fn parse(text: &str) -> Result<Self, JobError> {
        let bad = |reason: &'static str| JobError::InvalidId {
            id: text.to_string(),
            reason,
        };
        let decoded = text.trim().replace("%3A", ":").replace("%3a", ":");
        let mut parts = decoded.splitn(4, ':');
        let (Some(nb), Some(tag), Some(scheme), Some(guid)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected nb:{type}:UUID:{guid}"));
        };
        if !nb.eq_ignore_ascii_case("nb") {
            return Err(bad("expected the prefix \"nb:\""));
        }
        if !scheme.eq_ignore_ascii_case("UUID") {
            return Err(bad("UUID is the only id scheme"));
        }
        let kind = EntityKind::from_tag(&tag.to_ascii_lowercase())
            .ok_or_else(|| bad("unknown entity type (known: cid, jid, tid, jtid, ttid, mpid)"))?;
        let uuid = Uuid::try_parse(guid).map_err(|_| bad("the GUID does not parse"))?;
        Ok(EntityId { kind, uuid })
    }

    /// Parses like [`EntityId::parse`] and checks the entity type.
    ///
    /// # Errors
    ///
    /// As [`EntityId::parse`], plus [`JobError::WrongIdKind`] when the type differs.
    pub fn parse_kind(text: &str, kind: EntityKind) -> Result<Self, JobError> {
        let id = Self::parse(text)?;
        if id.kind != kind {
            return Err(JobError::WrongIdKind {
                id: text.to_string(),
                expected: kind.tag(),
            });
        }
        Ok(id)
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nb:{}:UUID:{}", self.kind.tag(), self.uuid.hyphenated())
    }
}

impl FromStr for EntityId {
    type Err = JobError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for EntityId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EntityId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        EntityId::parse(&text).map_err(serde::de::Error::custom)
    }
}
