//! Job templates (§5.6): immutable, created from JSON, instantiated into jobs.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Deserialize;

use crate::id::{EntityId, EntityKind};
use crate::job::{
    check_len, task_label, InputRef, Job, Task, MAX_CONFIGURATION_CHARS, MAX_JOB_NAME_CHARS,
    TASK_OPTIONS_MASK,
};
use crate::taskbody::{body_err, parse_doc, parse_task_body_node, AssetRef, TaskBody};
use crate::JobError;

/// One task of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTemplate {
    /// Client-made id (`nb:ttid:UUID:…`).
    pub id: EntityId,
    /// Optional name.
    pub name: Option<String>,
    /// Optional description.
    pub description: Option<String>,
    /// Preset name or inline preset text.
    pub configuration: String,
    /// `MediaProcessorId` as given.
    pub processor_id: String,
    /// The task body from the template's `JobTemplateBody`.
    pub body: TaskBody,
    /// Task option flags.
    pub options: u32,
}

/// The editable parts of a template, handed to [`JobTemplate::with_changes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateDraft {
    /// Template name.
    pub name: Option<String>,
    /// Declared number of job inputs (`NumberofInputAssets`), if any.
    pub number_of_input_assets: Option<usize>,
    /// The task templates, in order.
    pub task_templates: Vec<TaskTemplate>,
}

/// An immutable job template. There are no setters: [`JobTemplate::with_changes`] makes a new
/// template with a new id, as MES templates "cannot be updated".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTemplate {
    id: EntityId,
    name: Option<String>,
    number_of_input_assets: usize,
    task_templates: Vec<TaskTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateJson {
    #[serde(rename = "Id", default)]
    id: Option<String>,
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "JobTemplateBody")]
    body: String,
    #[serde(rename = "TaskTemplates")]
    task_templates: Vec<TaskTemplateJson>,
    #[serde(rename = "NumberofInputAssets", default)]
    number_of_input_assets: Option<usize>,
    #[serde(rename = "TemplateType", default)]
    _template_type: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskTemplateJson {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "Description", default)]
    description: Option<String>,
    #[serde(rename = "Configuration")]
    configuration: String,
    #[serde(rename = "MediaProcessorId")]
    processor_id: String,
    #[serde(rename = "NumberofInputAssets", default)]
    number_of_input_assets: Option<usize>,
    #[serde(rename = "NumberofOutputAssets", default)]
    number_of_output_assets: Option<usize>,
    #[serde(rename = "Options", default)]
    options: Option<u32>,
}

fn template_err(message: String) -> JobError {
    JobError::InvalidTemplate { message }
}

impl JobTemplate {
    /// Reads a template in the `POST /API/JobTemplates` body shape: `Name`,
    /// `JobTemplateBody` (XML `<jobTemplate>` of `<taskBody taskTemplateId="nb:ttid:…">`),
    /// `TaskTemplates` (`Id`, `Name`, `Description`, `Configuration`, `MediaProcessorId`,
    /// `NumberofInputAssets`, `NumberofOutputAssets`, `Options`), optional
    /// `NumberofInputAssets` and `TemplateType`. An `Id` (`nb:jtid:…`) is kept when given
    /// (a stored template), otherwise generated.
    ///
    /// # Errors
    ///
    /// [`JobError::Json`]; [`JobError::InvalidId`] / [`JobError::WrongIdKind`];
    /// [`JobError::InvalidTaskBody`]; [`JobError::InvalidTemplate`] when a task body names no
    /// or an unknown task template, a task template is unused or repeated, or declared asset
    /// counts disagree with the body; and any [`Job::validate`] error for the task graph.
    pub fn from_json(text: &str) -> Result<JobTemplate, JobError> {
        let raw: TemplateJson = serde_json::from_str(text)?;
        let id = match raw.id.as_deref() {
            Some(t) => EntityId::parse_kind(t, EntityKind::JobTemplate)?,
            None => EntityId::new_job_template(),
        };
        let doc = parse_doc(&raw.body)?;
        let root = doc.root_element();
        if root.tag_name().name() != "jobTemplate" {
            return Err(body_err(format!(
                "root element is <{}>, expected <jobTemplate>",
                root.tag_name().name()
            )));
        }
        let mut bodies = Vec::new();
        for child in root.children() {
            if child.is_element() {
                if child.tag_name().name() != "taskBody" {
                    return Err(body_err(format!(
                        "unknown element <{}> in <jobTemplate>",
                        child.tag_name().name()
                    )));
                }
                let (body, ttid) = parse_task_body_node(child, true)?;
                let ttid = ttid.ok_or_else(|| {
                    template_err(format!("<taskBody> {} has no taskTemplateId", bodies.len()))
                })?;
                bodies.push((EntityId::parse_kind(&ttid, EntityKind::TaskTemplate)?, body));
            } else if child.text().is_some_and(|t| !t.trim().is_empty()) {
                return Err(body_err("unexpected text inside <jobTemplate>".into()));
            }
        }
        let mut defs = Vec::new();
        for t in raw.task_templates {
            let tid = EntityId::parse_kind(&t.id, EntityKind::TaskTemplate)?;
            defs.push((tid, t));
        }
        let mut task_templates = Vec::new();
        for (i, (ttid, body)) in bodies.into_iter().enumerate() {
            let pos = defs
                .iter()
                .position(|(id, _)| *id == ttid)
                .ok_or_else(|| template_err(format!("<taskBody> {i} names task template {ttid}, which is not in TaskTemplates (or is used twice)")))?;
            let (_, t) = defs.remove(pos);
            let label = task_label(i, t.name.as_deref());
            if let Some(n) = t.number_of_input_assets {
                if n != body.inputs.len() {
                    return Err(template_err(format!(
                        "{label}: NumberofInputAssets is {n} but the task body has {} inputs",
                        body.inputs.len()
                    )));
                }
            }
            if let Some(n) = t.number_of_output_assets {
                if n != body.outputs.len() {
                    return Err(template_err(format!(
                        "{label}: NumberofOutputAssets is {n} but the task body has {} outputs",
                        body.outputs.len()
                    )));
                }
            }
            task_templates.push(TaskTemplate {
                id: ttid,
                name: t.name,
                description: t.description,
                configuration: t.configuration,
                processor_id: t.processor_id,
                body,
                options: t.options.unwrap_or(0),
            });
        }
        if let Some((id, _)) = defs.first() {
            return Err(template_err(format!(
                "task template {id} is not used by JobTemplateBody"
            )));
        }
        Self::build(
            id,
            TemplateDraft {
                name: raw.name,
                number_of_input_assets: raw.number_of_input_assets,
                task_templates,
            },
        )
    }

    fn build(id: EntityId, draft: TemplateDraft) -> Result<JobTemplate, JobError> {
        if let Some(name) = &draft.name {
            check_len("Name", name, MAX_JOB_NAME_CHARS)?;
        }
        let mut seen = HashSet::new();
        for (i, t) in draft.task_templates.iter().enumerate() {
            if t.id.kind() != EntityKind::TaskTemplate {
                return Err(JobError::WrongIdKind {
                    id: t.id.to_string(),
                    expected: EntityKind::TaskTemplate.tag(),
                });
            }
            if !seen.insert(t.id) {
                return Err(template_err(format!(
                    "task template {} is used twice",
                    t.id
                )));
            }
            check_len(
                &format!("{}: Configuration", task_label(i, t.name.as_deref())),
                &t.configuration,
                MAX_CONFIGURATION_CHARS,
            )?;
            if t.options & !TASK_OPTIONS_MASK != 0 {
                return Err(template_err(format!(
                    "{}: Options={} has unknown flags",
                    task_label(i, t.name.as_deref()),
                    t.options
                )));
            }
        }
        let used = draft
            .task_templates
            .iter()
            .flat_map(|t| t.body.inputs.iter())
            .filter_map(|r| match r {
                AssetRef::JobInput(n) => Some(n + 1),
                AssetRef::JobOutput(_) => None,
            })
            .max()
            .unwrap_or(0);
        let number_of_input_assets = draft.number_of_input_assets.unwrap_or(used);
        let template = JobTemplate {
            id,
            name: draft.name,
            number_of_input_assets,
            task_templates: draft.task_templates,
        };
        // Check the task graph with placeholder inputs.
        let placeholder = (0..number_of_input_assets.max(1))
            .map(|i| InputRef::Path(PathBuf::from(format!("input{i}"))))
            .collect();
        template.job_with(placeholder).validate()?;
        Ok(template)
    }

    /// The template id (`nb:jtid:…`).
    #[must_use]
    pub fn id(&self) -> EntityId {
        self.id
    }

    /// The template name.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// How many job inputs an instance needs (`NumberofInputAssets`, or one more than the
    /// highest `JobInputAsset(n)` used).
    #[must_use]
    pub fn number_of_input_assets(&self) -> usize {
        self.number_of_input_assets
    }

    /// The task templates, in order.
    #[must_use]
    pub fn task_templates(&self) -> &[TaskTemplate] {
        &self.task_templates
    }

    /// The editable parts, as a draft for [`JobTemplate::with_changes`].
    #[must_use]
    pub fn draft(&self) -> TemplateDraft {
        TemplateDraft {
            name: self.name.clone(),
            number_of_input_assets: Some(self.number_of_input_assets),
            task_templates: self.task_templates.clone(),
        }
    }

    /// A new template (with a new id) made by applying `edit` to a draft of this one; this
    /// template is unchanged.
    ///
    /// # Errors
    ///
    /// As [`JobTemplate::from_json`] for the edited content.
    pub fn with_changes(
        &self,
        edit: impl FnOnce(&mut TemplateDraft),
    ) -> Result<JobTemplate, JobError> {
        let mut draft = self.draft();
        edit(&mut draft);
        Self::build(EntityId::new_job_template(), draft)
    }

    /// The `JobTemplateBody` XML for this template.
    #[must_use]
    pub fn job_template_body(&self) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><jobTemplate>");
        for t in &self.task_templates {
            s.push_str(&t.body.to_xml_with_template(Some(&t.id.to_string())));
        }
        s.push_str("</jobTemplate>");
        s
    }

    /// The template as JSON in the `POST /API/JobTemplates` body shape, with its `Id`, so
    /// [`JobTemplate::from_json`] reads back the same template (a store keeps this text).
    #[must_use]
    pub fn to_json(&self) -> String {
        let tasks: Vec<serde_json::Value> = self
            .task_templates
            .iter()
            .map(|t| {
                let mut m = serde_json::Map::new();
                m.insert("Id".into(), t.id.to_string().into());
                if let Some(n) = &t.name {
                    m.insert("Name".into(), n.clone().into());
                }
                if let Some(d) = &t.description {
                    m.insert("Description".into(), d.clone().into());
                }
                m.insert("Configuration".into(), t.configuration.clone().into());
                m.insert("MediaProcessorId".into(), t.processor_id.clone().into());
                m.insert("NumberofInputAssets".into(), t.body.inputs.len().into());
                m.insert("NumberofOutputAssets".into(), t.body.outputs.len().into());
                m.insert("Options".into(), t.options.into());
                serde_json::Value::Object(m)
            })
            .collect();
        let mut m = serde_json::Map::new();
        m.insert("Id".into(), self.id.to_string().into());
        if let Some(n) = &self.name {
            m.insert("Name".into(), n.clone().into());
        }
        m.insert("JobTemplateBody".into(), self.job_template_body().into());
        m.insert(
            "NumberofInputAssets".into(),
            self.number_of_input_assets.into(),
        );
        m.insert("TaskTemplates".into(), tasks.into());
        serde_json::to_string_pretty(&serde_json::Value::Object(m))
            .unwrap_or_else(|_| String::from("{}"))
    }

    fn job_with(&self, inputs: Vec<InputRef>) -> Job {
        Job {
            id: EntityId::new_job(),
            name: None,
            priority: 0,
            template_id: Some(self.id),
            inputs,
            tasks: self.tasks(),
        }
    }

    fn tasks(&self) -> Vec<Task> {
        self.task_templates
            .iter()
            .map(|t| Task {
                id: EntityId::new_task(),
                name: t.name.clone(),
                configuration: t.configuration.clone(),
                processor_id: t.processor_id.clone(),
                body: t.body.clone(),
                priority: 0,
                options: t.options,
            })
            .collect()
    }

    /// A new job (new job and task ids, no name, `template_id` set) running this template
    /// on `inputs`.
    ///
    /// # Errors
    ///
    /// [`JobError::InputCountMismatch`] when `inputs` does not have
    /// [`JobTemplate::number_of_input_assets`] entries.
    pub fn instantiate(&self, inputs: Vec<InputRef>) -> Result<Job, JobError> {
        self.check_inputs(inputs.len())?;
        Ok(self.job_with(inputs))
    }

    /// Fills the tasks of a job created with `"TemplateId"` and no `Tasks`.
    ///
    /// # Errors
    ///
    /// [`JobError::InvalidTemplate`] when the job names another template (or none) or already
    /// has tasks; [`JobError::InputCountMismatch`].
    pub fn apply_to(&self, job: &mut Job) -> Result<(), JobError> {
        if job.template_id != Some(self.id) {
            return Err(template_err(format!(
                "the job's TemplateId is {}, not {}",
                job.template_id
                    .map_or_else(|| "absent".to_string(), |i| i.to_string()),
                self.id
            )));
        }
        if !job.tasks.is_empty() {
            return Err(template_err("the job already has tasks".into()));
        }
        self.check_inputs(job.inputs.len())?;
        job.tasks = self.tasks();
        Ok(())
    }

    fn check_inputs(&self, got: usize) -> Result<(), JobError> {
        if got != self.number_of_input_assets {
            return Err(JobError::InputCountMismatch {
                expected: self.number_of_input_assets,
                got,
            });
        }
        Ok(())
    }
}
