//! The requests' output types: `Request` and its approval rounds, decisions and timeline,
//! the request list's connection, and `RequestChange` (what `requestChanged` sends). Each
//! wraps a row or a service result; relations resolve through DataLoaders, of this area and of
//! `directory`, `workflows` and `integrations` (which never point back here).

use crate::db::enums::ApprovalState as Stored;
use async_graphql::{Context, Enum, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use handoff_shared::definition::{CommentRule, Priority as DefPriority};

use crate::db::entities::{approval_decision, approval_step, event, request};
use crate::error::{AppError, AppResult};
use crate::graphql::directory::loaders::{TeamLoader, UserLoader};
use crate::graphql::directory::types::{Team, User, load_user, required_user};
use crate::graphql::error::{GqlResult, unknown_stored};
use crate::graphql::guards::principal;
use crate::graphql::integrations::loaders::DeliveryLoader;
use crate::graphql::integrations::types::Delivery;
use crate::graphql::loaders::{load_list, load_many, load_one};
use crate::graphql::requests::loaders::{DecisionLoader, EventLoader, RoundLoader};
use crate::graphql::workflows::types::{
    Status, Workflow, definition_of_version, load_workflow, status_of,
};
use crate::services::requests;
use crate::state::AppState;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    /// The priority stored as `s`; one this build does not know is an `INTERNAL` error.
    pub fn from_stored(s: &str) -> AppResult<Self> {
        DefPriority::parse(s)
            .map(Self::from)
            .ok_or_else(|| unknown_stored("priority", s))
    }
}

impl From<DefPriority> for Priority {
    fn from(p: DefPriority) -> Self {
        match p {
            DefPriority::Low => Self::Low,
            DefPriority::Normal => Self::Normal,
            DefPriority::High => Self::High,
            DefPriority::Urgent => Self::Urgent,
        }
    }
}

impl From<Priority> for DefPriority {
    fn from(p: Priority) -> Self {
        match p {
            Priority::Low => Self::Low,
            Priority::Normal => Self::Normal,
            Priority::High => Self::High,
            Priority::Urgent => Self::Urgent,
        }
    }
}

/// Declares the GraphQL `ApprovalState` from the shared table of approval states (variants and
/// their descriptions), with the conversion from the stored column.
macro_rules! approval_state_enum {
    ({ $( $(#[$doc:meta])* $variant:ident = $value:literal, )+ }) => {
        /// Where an approval step is in its round.
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum ApprovalState {
            $( $(#[$doc])* #[graphql(name = $value)] $variant, )+
        }

        impl From<Stored> for ApprovalState {
            fn from(s: Stored) -> Self {
                match s {
                    $(Stored::$variant => Self::$variant,)+
                }
            }
        }
    };
}

handoff_shared::for_each_approval_state!(approval_state_enum! {});

/// The request with this id if the caller may read it, else `None` (never `FORBIDDEN`: a
/// request the caller may not read is one they cannot know exists).
pub async fn readable_request(ctx: &Context<'_>, id: &str) -> Result<Option<Request>> {
    let state = ctx.data::<AppState>()?;
    let p = principal(ctx)?;
    match requests::get_readable(state, p, Some(id), None).await {
        Ok(r) => Ok(Some(Request(r))),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[derive(SimpleObject)]
pub struct TransitionOption {
    pub key: String,
    pub label: String,
    pub to: Status,
    pub requires: Vec<String>,
    pub comment_required: bool,
    pub rework: bool,
}

/// One request: an instance of a workflow.
pub struct Request(pub request::Model);

#[Object]
impl Request {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn workflow(&self, ctx: &Context<'_>) -> Result<Workflow> {
        load_workflow(ctx, &self.0.workflow_id).await
    }
    async fn status(&self, ctx: &Context<'_>) -> Result<Status> {
        let def = definition_of_version(ctx, &self.0.workflow_id).await?;
        Ok(status_of(&def, &self.0.status)?)
    }
    async fn priority(&self) -> Result<Priority> {
        Ok(Priority::from_stored(self.0.priority.as_str())?)
    }
    async fn team(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        let Some(key) = &self.0.team else {
            return Ok(None);
        };
        Ok(load_one::<TeamLoader>(ctx, key).await?.map(Team))
    }
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.0.assignee_id.as_deref()).await
    }
    async fn requester(&self, ctx: &Context<'_>) -> Result<User> {
        required_user(ctx, &self.0.requester_id, "requester").await
    }
    /// Field values by key (money as decimal strings).
    async fn fields(&self) -> Result<Json<serde_json::Value>> {
        Ok(Json(serde_json::Value::Object(self.0.fields.0.clone())))
    }
    /// Increases with every change; pass it as `expectedVersion` to refuse stale edits.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn status_since(&self) -> DateTime<Utc> {
        self.0.status_since
    }
    async fn rework_count(&self) -> i32 {
        self.0.rework_count
    }
    /// The steps of the latest approval round.
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn approvals(&self, ctx: &Context<'_>) -> Result<Vec<ApprovalStep>> {
        Ok(load_list::<RoundLoader, _>(ctx, &self.0.id)
            .await?
            .into_iter()
            .map(ApprovalStep)
            .collect())
    }
    /// What the caller may do now.
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn available_transitions(&self, ctx: &Context<'_>) -> Result<Vec<TransitionOption>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let def = definition_of_version(ctx, &self.0.workflow_id).await?;
        let list = requests::available_transitions(state, p, &self.0, &def)
            .await
            .gql()?;
        let options = list
            .into_iter()
            .map(|t| {
                Ok(TransitionOption {
                    to: status_of(&def, &t.to)?,
                    key: t.key,
                    label: t.label,
                    requires: t.requires,
                    comment_required: t.comment == CommentRule::Required,
                    rework: t.rework,
                })
            })
            .collect::<AppResult<_>>()?;
        Ok(options)
    }
    /// Webhook and chat deliveries its events caused, oldest first (failures included).
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn deliveries(&self, ctx: &Context<'_>) -> Result<Vec<Delivery>> {
        Ok(load_list::<DeliveryLoader, _>(ctx, &self.0.id)
            .await?
            .into_iter()
            .map(Delivery)
            .collect())
    }
    /// The timeline, oldest first.
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<Event>> {
        Ok(load_list::<EventLoader, _>(ctx, &self.0.id)
            .await?
            .into_iter()
            .map(Event)
            .collect())
    }
}

pub struct ApprovalStep(pub approval_step::Model);

#[Object]
impl ApprovalStep {
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn state(&self) -> ApprovalState {
        self.0.state.into()
    }
    async fn policy(&self) -> &str {
        &self.0.policy
    }
    async fn round(&self) -> i32 {
        self.0.round
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn approvers(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        Ok(load_many::<UserLoader>(ctx, &self.0.approvers.0)
            .await?
            .into_iter()
            .map(User)
            .collect())
    }
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn decisions(&self, ctx: &Context<'_>) -> Result<Vec<Decision>> {
        Ok(load_list::<DecisionLoader, _>(ctx, &self.0.id)
            .await?
            .into_iter()
            .map(Decision)
            .collect())
    }
}

pub struct Decision(pub approval_decision::Model);

#[Object]
impl Decision {
    async fn approver(&self, ctx: &Context<'_>) -> Result<User> {
        required_user(ctx, &self.0.approver_id, "approver").await
    }
    async fn approve(&self) -> bool {
        self.0.approve
    }
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

#[derive(SimpleObject)]
pub struct ApprovalTask {
    pub request: Request,
    pub step: String,
}

/// One entry of the audit trail.
pub struct Event(pub event::Model);

#[Object]
impl Event {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn kind(&self) -> &str {
        self.0.kind.as_str()
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.0.actor_id.as_deref()).await
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn data(&self) -> Result<Json<serde_json::Value>> {
        Ok(Json(self.0.data.value().map_err(AppError::from)?))
    }
    /// SHA-256 chaining this event to `prevHash`.
    async fn hash(&self) -> &str {
        &self.0.hash
    }
    async fn prev_hash(&self) -> &str {
        &self.0.prev_hash
    }
    async fn seq(&self) -> i64 {
        self.0.seq
    }
    async fn request_id(&self) -> Option<ID> {
        self.0.request_id.clone().map(ID)
    }
}

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct RequestEdge {
    pub cursor: String,
    pub node: Request,
}

#[derive(SimpleObject)]
pub struct RequestConnection {
    #[graphql(complexity = "child_complexity")]
    pub edges: Vec<RequestEdge>,
    pub page_info: PageInfo,
    /// How many requests match the filter in all (one COUNT query).
    pub total_count: i64,
}

/// What `requestChanged` sends.
pub struct RequestChange(pub crate::state::RequestChange);

#[Object]
impl RequestChange {
    async fn request_id(&self) -> ID {
        ID(self.0.request_id.clone())
    }
    async fn number(&self) -> &str {
        &self.0.number
    }
    /// What happened: submitted, transitioned, decided, fields_updated, commented, assigned.
    async fn kind(&self) -> &str {
        self.0.kind.as_str()
    }
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The request as it is now (read again, so it is never stale).
    async fn request(&self, ctx: &Context<'_>) -> Result<Option<Request>> {
        readable_request(ctx, &self.0.request_id).await
    }
}
