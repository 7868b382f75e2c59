//! GraphQL output types. Each wraps a storage row or a service result and resolves relations
//! through the request's DataLoaders; none is a database entity, and none runs business rules.

use async_graphql::{ComplexObject, Context, Enum, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use handoff_shared::definition::{
    Definition, Priority as DefPriority, StatusCategory as DefCategory,
};

use crate::db::entities::{
    api_token, approval_decision, approval_step, event, request, role_permission, team, user,
    workflow,
};
use crate::error::{AppError, AppResult};
use crate::graphql::error::{GqlResult, loader_error, unknown_stored};
use crate::graphql::guards::principal;
use crate::graphql::loaders::Loaders;
use crate::services::{approvals, directory::RoleWithGrants, reports, requests, workflows};
use crate::state::AppState;

fn loaders<'a>(ctx: &'a Context<'_>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

async fn load_user(ctx: &Context<'_>, id: Option<&str>) -> Result<Option<User>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders(ctx)?
        .users
        .load_one(id.to_owned())
        .await
        .map_err(loader_error)?
        .map(User))
}

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

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ApprovalState {
    Pending,
    Active,
    Approved,
    Rejected,
    Skipped,
}

impl ApprovalState {
    /// The state stored as `s`; one this build does not know is an `INTERNAL` error.
    fn from_stored(s: &str) -> AppResult<Self> {
        Ok(match s {
            approvals::PENDING => Self::Pending,
            approvals::ACTIVE => Self::Active,
            approvals::APPROVED => Self::Approved,
            approvals::REJECTED => Self::Rejected,
            approvals::SKIPPED => Self::Skipped,
            other => return Err(unknown_stored("approval state", other)),
        })
    }
}

/// A person (or service account) who uses Handoff.
pub struct User(pub user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Role keys.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(loaders(ctx)?
            .user_roles
            .load_one(self.0.id.clone())
            .await
            .map_err(loader_error)?
            .unwrap_or_default())
    }
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<Team>> {
        let keys = loaders(ctx)?
            .user_teams
            .load_one(self.0.id.clone())
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        let teams = loaders(ctx)?
            .teams
            .load_many(keys.clone())
            .await
            .map_err(loader_error)?;
        Ok(keys
            .iter()
            .filter_map(|k| teams.get(k).cloned().map(Team))
            .collect())
    }
    async fn manager(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.0.manager_id.as_deref()).await
    }
}

pub struct Team(pub team::Model);

#[Object]
impl Team {
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let ids = loaders(ctx)?
            .team_members
            .load_one(self.0.key.clone())
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        let users = loaders(ctx)?
            .users
            .load_many(ids.clone())
            .await
            .map_err(loader_error)?;
        let mut out: Vec<User> = ids
            .iter()
            .filter_map(|i| users.get(i).cloned().map(User))
            .collect();
        out.sort_by(|a, b| a.0.email.cmp(&b.0.email));
        Ok(out)
    }
}

/// A permission granted by a role, for every workflow (`workflows: null`) or the listed ones.
#[derive(SimpleObject)]
pub struct RoleGrant {
    pub permission: String,
    pub workflows: Option<Vec<String>>,
}

pub struct Role(pub RoleWithGrants);

#[Object]
impl Role {
    async fn key(&self) -> &str {
        &self.0.role.key
    }
    async fn name(&self) -> &str {
        &self.0.role.name
    }
    /// Built-in roles can be edited but not deleted.
    async fn builtin(&self) -> bool {
        self.0.role.builtin
    }
    async fn permissions(&self) -> Result<Vec<RoleGrant>> {
        Ok(self.0.grants.iter().map(grant).collect::<AppResult<_>>()?)
    }
}

/// A grant as stored: unreadable workflow scopes are an error, never "every workflow".
fn grant(g: &role_permission::Model) -> AppResult<RoleGrant> {
    let workflows = match g.workflows.as_deref() {
        None => None,
        Some(w) => Some(serde_json::from_str(w)?),
    };
    Ok(RoleGrant {
        permission: g.permission.clone(),
        workflows,
    })
}

/// A permission name and what it allows.
#[derive(SimpleObject)]
pub struct PermissionInfo {
    pub name: String,
    pub description: String,
}

#[derive(SimpleObject)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

#[derive(SimpleObject)]
pub struct Status {
    pub key: String,
    pub label: String,
    pub category: StatusCategory,
}

/// The status `key` of a definition. A request's status is always one of its workflow
/// version's (versions never change), so a missing one is an `INTERNAL` error.
fn status_of(def: &Definition, key: &str) -> AppResult<Status> {
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
    fn def(&self, ctx: &Context<'_>) -> Result<std::sync::Arc<Definition>> {
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

impl Request {
    async fn def(&self, ctx: &Context<'_>) -> Result<std::sync::Arc<Definition>> {
        let state = ctx.data::<AppState>()?;
        if let Some(def) = state.cached_definition(&self.0.workflow_id) {
            return Ok(def);
        }
        let row = loaders(ctx)?
            .workflows
            .load_one(self.0.workflow_id.clone())
            .await
            .map_err(loader_error)?
            .ok_or_else(|| async_graphql::Error::new("workflow missing"))?;
        workflows::definition_of(state, &row).gql()
    }
}

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
        loaders(ctx)?
            .workflows
            .load_one(self.0.workflow_id.clone())
            .await
            .map_err(loader_error)?
            .map(Workflow)
            .ok_or_else(|| async_graphql::Error::new("workflow missing"))
    }
    async fn status(&self, ctx: &Context<'_>) -> Result<Status> {
        Ok(status_of(&*self.def(ctx).await?, &self.0.status)?)
    }
    async fn priority(&self) -> Result<Priority> {
        Ok(Priority::from_stored(&self.0.priority)?)
    }
    async fn team(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        let Some(key) = &self.0.team else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .teams
            .load_one(key.clone())
            .await
            .map_err(loader_error)?
            .map(Team))
    }
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.0.assignee_id.as_deref()).await
    }
    async fn requester(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, Some(&self.0.requester_id))
            .await?
            .ok_or_else(|| async_graphql::Error::new("requester missing"))
    }
    /// Field values by key (money as decimal strings).
    async fn fields(&self) -> Result<Json<serde_json::Value>> {
        Ok(Json(
            serde_json::from_str(&self.0.fields).map_err(AppError::from)?,
        ))
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
    async fn approvals(&self, ctx: &Context<'_>) -> Result<Vec<ApprovalStep>> {
        Ok(loaders(ctx)?
            .steps
            .load_one(self.0.id.clone())
            .await
            .map_err(loader_error)?
            .unwrap_or_default()
            .into_iter()
            .map(ApprovalStep)
            .collect())
    }
    /// What the caller may do now.
    async fn available_transitions(&self, ctx: &Context<'_>) -> Result<Vec<TransitionOption>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let def = self.def(ctx).await?;
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
                    comment_required: t.comment
                        == handoff_shared::definition::CommentRule::Required,
                    rework: t.rework,
                })
            })
            .collect::<AppResult<_>>()?;
        Ok(options)
    }
    /// Webhook and chat deliveries its events caused, oldest first (failures included).
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::integrations::Delivery>> {
        crate::graphql::integrations::deliveries_of(ctx, &self.0.id).await
    }
    /// The timeline, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<Event>> {
        Ok(loaders(ctx)?
            .events
            .load_one(self.0.id.clone())
            .await
            .map_err(loader_error)?
            .unwrap_or_default()
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
    async fn state(&self) -> Result<ApprovalState> {
        Ok(ApprovalState::from_stored(&self.0.state)?)
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
    async fn approvers(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let ids: Vec<String> = serde_json::from_str(&self.0.approvers).map_err(AppError::from)?;
        let users = loaders(ctx)?
            .users
            .load_many(ids.clone())
            .await
            .map_err(loader_error)?;
        Ok(ids
            .iter()
            .filter_map(|i| users.get(i).cloned().map(User))
            .collect())
    }
    async fn decisions(&self, ctx: &Context<'_>) -> Result<Vec<Decision>> {
        Ok(loaders(ctx)?
            .decisions
            .load_one(self.0.id.clone())
            .await
            .map_err(loader_error)?
            .unwrap_or_default()
            .into_iter()
            .map(Decision)
            .collect())
    }
}

pub struct Decision(pub approval_decision::Model);

#[Object]
impl Decision {
    async fn approver(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, Some(&self.0.approver_id))
            .await?
            .ok_or_else(|| async_graphql::Error::new("approver missing"))
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
        &self.0.kind
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.0.actor_id.as_deref()).await
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn data(&self) -> Result<Json<serde_json::Value>> {
        Ok(Json(
            serde_json::from_str(&self.0.data).map_err(AppError::from)?,
        ))
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
    pub edges: Vec<RequestEdge>,
    pub page_info: PageInfo,
    /// How many requests match the filter in all (one COUNT query).
    pub total_count: i64,
}

#[derive(SimpleObject)]
pub struct EventEdge {
    pub cursor: String,
    pub node: Event,
}

#[derive(SimpleObject)]
pub struct EventConnection {
    pub edges: Vec<EventEdge>,
    pub page_info: PageInfo,
}

#[derive(SimpleObject)]
pub struct DefinitionProblem {
    pub path: String,
    pub message: String,
}

#[derive(SimpleObject)]
pub struct ApiToken {
    pub id: ID,
    pub name: String,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TryFrom<api_token::Model> for ApiToken {
    type Error = AppError;

    /// Unreadable stored roles are an error, never an empty list.
    fn try_from(t: api_token::Model) -> AppResult<Self> {
        Ok(Self {
            id: ID(t.id),
            name: t.name,
            roles: serde_json::from_str(&t.roles)?,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        })
    }
}

/// A new API token. `secret` is shown this once and never again.
#[derive(SimpleObject)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub secret: String,
}

#[derive(SimpleObject)]
pub struct DayCount {
    pub day: String,
    pub created: i64,
    pub closed: i64,
}

#[derive(SimpleObject)]
pub struct BacklogRow {
    pub status: String,
    pub category: StatusCategory,
    pub total: i64,
    /// Open less than a day.
    #[graphql(name = "under1d")]
    pub under_1d: i64,
    /// Open one to three days.
    #[graphql(name = "d1to3")]
    pub d1_to_3: i64,
    /// Open three to seven days.
    #[graphql(name = "d3to7")]
    pub d3_to_7: i64,
    /// Open more than seven days.
    #[graphql(name = "over7d")]
    pub over_7d: i64,
}

#[derive(SimpleObject)]
pub struct CycleTimeRow {
    pub workflow: String,
    pub priority: Priority,
    pub count: i64,
    pub p50_hours: f64,
    pub p90_hours: f64,
}

#[derive(SimpleObject)]
pub struct StatusTimeRow {
    pub workflow: String,
    pub status: String,
    pub visits: i64,
    pub avg_hours: f64,
    pub total_hours: f64,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Dashboard {
    pub total: i64,
    pub open: i64,
    pub closed: i64,
    pub volume: Vec<DayCount>,
    pub backlog: Vec<BacklogRow>,
    pub cycle_time: Vec<CycleTimeRow>,
    pub time_in_status: Vec<StatusTimeRow>,
    pub reworked: i64,
    /// Share of requests sent back at least once (0..1).
    pub rework_rate: f64,
}

#[ComplexObject]
impl Dashboard {
    /// When the figures were computed.
    async fn generated_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>> {
        Ok(ctx.data::<AppState>()?.clock.now())
    }
}

impl TryFrom<reports::Dashboard> for Dashboard {
    type Error = AppError;

    fn try_from(d: reports::Dashboard) -> AppResult<Self> {
        Ok(Self {
            total: d.total,
            open: d.open,
            closed: d.closed,
            volume: d
                .volume
                .into_iter()
                .map(|v| DayCount {
                    day: v.day,
                    created: v.created,
                    closed: v.closed,
                })
                .collect(),
            backlog: d
                .backlog
                .into_iter()
                .map(|b| {
                    Ok(BacklogRow {
                        category: StatusCategory::from_stored(&b.category)?,
                        status: b.status,
                        total: b.total,
                        under_1d: b.under_1d,
                        d1_to_3: b.d1_to_3,
                        d3_to_7: b.d3_to_7,
                        over_7d: b.over_7d,
                    })
                })
                .collect::<AppResult<_>>()?,
            cycle_time: d
                .cycle_time
                .into_iter()
                .map(|c| {
                    Ok(CycleTimeRow {
                        priority: Priority::from_stored(&c.priority)?,
                        workflow: c.workflow,
                        count: c.count,
                        p50_hours: c.p50_hours,
                        p90_hours: c.p90_hours,
                    })
                })
                .collect::<AppResult<_>>()?,
            time_in_status: d
                .time_in_status
                .into_iter()
                .map(|s| StatusTimeRow {
                    workflow: s.workflow,
                    status: s.status,
                    visits: s.visits,
                    avg_hours: s.avg_hours,
                    total_hours: s.total_hours,
                })
                .collect(),
            reworked: d.reworked,
            rework_rate: d.rework_rate,
        })
    }
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
        &self.0.kind
    }
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The request as it is now (read again, so it is never stale).
    async fn request(&self, ctx: &Context<'_>) -> Result<Option<Request>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        match requests::get_readable(state, p, Some(&self.0.request_id), None).await {
            Ok(r) => Ok(Some(Request(r))),
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
