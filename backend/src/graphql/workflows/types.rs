//! The workflows' output types: `Workflow` (a published version), its form `FieldSpec`s and
//! `Status`es, `StatusCategory` and `DefinitionProblem`. Definitions come parsed from the
//! cache in `services::workflows`; nothing here reads a definition's rules.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use handoff_shared::definition::{Definition, StatusCategory as DefCategory};

use crate::db::entities::workflow;
use crate::error::{AppError, AppResult};
use crate::graphql::error::{GqlResult, unknown_stored};
use crate::graphql::loaders::load_one;
use crate::graphql::workflows::loaders::WorkflowLoader;
use crate::services::workflows;
use crate::state::AppState;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum StatusCategory {
    Open,
    Active,
    Waiting,
    Done,
}

impl StatusCategory {
    /// The category stored as `s`; one this build does not know is an `INTERNAL` error.
    pub fn from_stored(s: &str) -> AppResult<Self> {
        DefCategory::parse(s)
            .map(Self::from)
            .ok_or_else(|| unknown_stored("status category", s))
    }
}

impl From<DefCategory> for StatusCategory {
    fn from(c: DefCategory) -> Self {
        match c {
            DefCategory::Open => Self::Open,
            DefCategory::Active => Self::Active,
            DefCategory::Waiting => Self::Waiting,
            DefCategory::Done => Self::Done,
        }
    }
}

impl From<StatusCategory> for DefCategory {
    fn from(c: StatusCategory) -> Self {
        match c {
            StatusCategory::Open => Self::Open,
            StatusCategory::Active => Self::Active,
            StatusCategory::Waiting => Self::Waiting,
            StatusCategory::Done => Self::Done,
        }
    }
}

#[derive(SimpleObject)]
pub struct Status {
    pub key: String,
    pub label: String,
    pub category: StatusCategory,
}

/// The status `key` of a definition. A request's status is always one of its workflow
/// version's (versions never change), so a missing one is an `INTERNAL` error.
pub fn status_of(def: &Definition, key: &str) -> AppResult<Status> {
    let s = def
        .status(key)
        .ok_or_else(|| unknown_stored("status", key))?;
    Ok(Status {
        key: s.key.clone(),
        label: s.label.clone(),
        category: s.category.into(),
    })
}

/// One field of a workflow's form.
#[derive(SimpleObject)]
pub struct FieldSpec {
    pub key: String,
    pub label: String,
    #[graphql(name = "type")]
    pub kind: String,
    pub required: bool,
    pub required_if: Option<String>,
    pub visible_if: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
    pub max_length: Option<u32>,
    pub pattern: Option<String>,
    pub options: Vec<String>,
    pub default: Option<Json<serde_json::Value>>,
    pub help: Option<String>,
    pub intake: bool,
    pub currency: Option<String>,
}

/// A published version of a workflow definition.
pub struct Workflow(pub workflow::Model);

impl Workflow {
    fn def(&self, ctx: &Context<'_>) -> Result<Arc<Definition>> {
        workflows::definition_of(ctx.data::<AppState>()?, &self.0).gql()
    }
}

#[Object]
impl Workflow {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn published_at(&self) -> DateTime<Utc> {
        self.0.published_at
    }
    /// The validated definition as JSON.
    async fn definition(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        Ok(Json(serde_json::to_value(&*self.def(ctx)?)?))
    }
    /// The text that was published (YAML or JSON), for editors.
    async fn source(&self) -> &str {
        &self.0.source
    }
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn fields(&self, ctx: &Context<'_>) -> Result<Vec<FieldSpec>> {
        Ok(self
            .def(ctx)?
            .fields
            .iter()
            .map(|f| FieldSpec {
                key: f.key.clone(),
                label: f.label.clone(),
                kind: f.kind.as_str().to_owned(),
                required: f.required,
                required_if: f.required_if.clone(),
                visible_if: f.visible_if.clone(),
                min: f.min.map(|d| d.to_string()),
                max: f.max.map(|d| d.to_string()),
                max_length: f.max_length,
                pattern: f.pattern.clone(),
                options: f.options.clone(),
                default: f.default.clone().map(Json),
                help: f.help.clone(),
                intake: f.intake,
                currency: f.currency.clone(),
            })
            .collect())
    }
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn statuses(&self, ctx: &Context<'_>) -> Result<Vec<Status>> {
        Ok(self
            .def(ctx)?
            .statuses
            .iter()
            .map(|s| Status {
                key: s.key.clone(),
                label: s.label.clone(),
                category: s.category.into(),
            })
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct DefinitionProblem {
    pub path: String,
    pub message: String,
}

/// The workflow version with this id, which a request refers to and so must exist.
pub async fn load_workflow(ctx: &Context<'_>, id: &str) -> Result<Workflow> {
    load_one::<WorkflowLoader>(ctx, id)
        .await?
        .map(Workflow)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("workflow {id:?} does not exist")).into())
}

/// The parsed definition of a workflow version: from the cache when it is there, else the
/// version is loaded through its DataLoader (and parsed once for the process).
pub async fn definition_of_version(ctx: &Context<'_>, id: &str) -> Result<Arc<Definition>> {
    let state = ctx.data::<AppState>()?;
    if let Some(def) = state.cached_definition(id) {
        return Ok(def);
    }
    let workflow = load_workflow(ctx, id).await?;
    workflows::definition_of(state, &workflow.0).gql()
}
