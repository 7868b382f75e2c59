//! Read models: the request list with filters and keyset pagination, approval inbox, timelines
//! and the audit trail. Lists never use OFFSET: a cursor names the last row seen, so a page
//! costs the same wherever it is and rows inserted meanwhile do not shift it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use handoff_shared::Permission;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use crate::auth::Principal;
use crate::db::approvers;
use crate::db::entities::{approval_step, event, request, user};
use crate::db::enums::ApprovalState;
use crate::error::{AppError, AppResult};
use crate::services::access;

pub const DEFAULT_PAGE: u64 = 25;
pub const MAX_PAGE: u64 = 100;

/// The orders a request list can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    CreatedDesc,
    CreatedAsc,
    UpdatedDesc,
    UpdatedAsc,
}

/// What a request list can be filtered by (`assignee` and `requester` take an email or `me`).
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub workflow: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub team: Option<String>,
    pub assignee: Option<String>,
    pub requester: Option<String>,
    pub priority: Option<String>,
    /// SLA clocks arrive with the SLA work: until then no request is breached, so `Some(true)`
    /// matches nothing and `Some(false)` everything.
    pub sla_breached: Option<bool>,
    pub text: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub sort: Sort,
}

impl RequestFilter {
    /// Whether no request can match, whatever the data (`sla_breached: true` for now).
    pub fn matches_nothing(&self) -> bool {
        self.sla_breached == Some(true)
    }
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_next: bool,
    /// Rows matching the filter in all (request lists only; 0 elsewhere).
    pub total: i64,
}

fn encode_cursor(at: DateTime<Utc>, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", at.timestamp_micros(), id))
}

fn decode_cursor(cursor: &str) -> AppResult<(DateTime<Utc>, String)> {
    let bad = || AppError::invalid("after", "not a cursor this list gave out");
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (micros, id) = text.split_once('|').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at, id.to_owned()))
}

async fn person(
    db: &impl ConnectionTrait,
    p: &Principal,
    who: &str,
    path: &str,
) -> AppResult<String> {
    if who.eq_ignore_ascii_case("me") {
        return Ok(p.user_id.clone());
    }
    user::Entity::find()
        .filter(user::Column::Email.eq(who.trim().to_lowercase()))
        .one(db)
        .await?
        .map(|u| u.id)
        .ok_or_else(|| AppError::invalid(path, format!("no user \"{who}\"")))
}

/// A filter whose people (`assignee`, `requester`: an email or `me`) are resolved to user
/// ids, so it can become a condition any number of times without a lookup each time (a
/// `requestChanged` subscription tests every change against it).
#[derive(Debug, Clone)]
pub struct ResolvedFilter {
    filter: RequestFilter,
    /// `Some(None)`: unassigned (`assignee: "none"`).
    assignee: Option<Option<String>>,
    requester: Option<String>,
}

/// Resolves a filter's people; an unknown email is a `VALIDATION_FAILED` on its path.
pub async fn resolve_filter(
    db: &impl ConnectionTrait,
    p: &Principal,
    f: &RequestFilter,
) -> AppResult<ResolvedFilter> {
    let assignee = match &f.assignee {
        None => None,
        Some(a) if a.eq_ignore_ascii_case("none") => Some(None),
        Some(a) => Some(Some(person(db, p, a, "filter.assignee").await?)),
    };
    let requester = match &f.requester {
        None => None,
        Some(r) => Some(person(db, p, r, "filter.requester").await?),
    };
    Ok(ResolvedFilter {
        filter: f.clone(),
        assignee,
        requester,
    })
}

impl ResolvedFilter {
    /// The filter as given.
    pub fn filter(&self) -> &RequestFilter {
        &self.filter
    }

    /// The condition of the filter, without access rules or the cursor. `sla_breached` is not
    /// part of it: see `RequestFilter::matches_nothing`.
    pub fn condition(&self) -> Condition {
        let f = &self.filter;
        let mut c = Condition::all();
        if let Some(w) = &f.workflow {
            c = c.add(request::Column::WorkflowKey.eq(w));
        }
        if let Some(s) = &f.status {
            c = c.add(request::Column::Status.eq(s));
        }
        if let Some(s) = &f.category {
            c = c.add(request::Column::Category.eq(s));
        }
        if let Some(t) = &f.team {
            c = c.add(request::Column::Team.eq(t));
        }
        if let Some(pr) = &f.priority {
            c = c.add(request::Column::Priority.eq(pr));
        }
        match &self.assignee {
            None => {}
            Some(None) => c = c.add(request::Column::AssigneeId.is_null()),
            Some(Some(id)) => c = c.add(request::Column::AssigneeId.eq(id)),
        }
        if let Some(id) = &self.requester {
            c = c.add(request::Column::RequesterId.eq(id));
        }
        if let Some(text) = f.text.as_ref().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            c = c.add(
                Condition::any()
                    .add(
                        Expr::expr(Func::lower(Expr::col(request::Column::Title)))
                            .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                    )
                    .add(
                        Expr::expr(Func::lower(Expr::col(request::Column::Number)))
                            .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
                    ),
            );
        }
        if let Some(from) = f.created_from {
            c = c.add(request::Column::CreatedAt.gte(from));
        }
        if let Some(to) = f.created_to {
            c = c.add(request::Column::CreatedAt.lt(to));
        }
        c
    }
}

/// The condition of a filter, without access rules or the cursor.
pub async fn filter_condition(
    db: &impl ConnectionTrait,
    p: &Principal,
    f: &RequestFilter,
) -> AppResult<Condition> {
    Ok(resolve_filter(db, p, f).await?.condition())
}

/// A page of the requests the caller may read.
pub async fn list_requests(
    db: &impl ConnectionTrait,
    p: &Principal,
    f: &RequestFilter,
    first: Option<i32>,
    after: Option<&str>,
) -> AppResult<Page<request::Model>> {
    if f.matches_nothing() {
        return Ok(Page {
            items: vec![],
            has_next: false,
            total: 0,
        });
    }
    let limit = match first {
        None => DEFAULT_PAGE,
        Some(n) if n < 0 => return Err(AppError::invalid("first", "must not be negative")),
        Some(n) => Ord::min(n as u64, MAX_PAGE),
    };
    let (col, desc) = match f.sort {
        Sort::CreatedDesc => (request::Column::CreatedAt, true),
        Sort::CreatedAsc => (request::Column::CreatedAt, false),
        Sort::UpdatedDesc => (request::Column::UpdatedAt, true),
        Sort::UpdatedAsc => (request::Column::UpdatedAt, false),
    };
    let base = Condition::all()
        .add(access::readable_condition(p))
        .add(filter_condition(db, p, f).await?);
    let total = request::Entity::find()
        .filter(base.clone())
        .count(db)
        .await? as i64;
    let mut cond = base;
    if let Some(cursor) = after {
        let (at, id) = decode_cursor(cursor)?;
        cond = cond.add(if desc {
            Condition::any().add(col.lt(at)).add(
                Condition::all()
                    .add(col.eq(at))
                    .add(request::Column::Id.lt(id)),
            )
        } else {
            Condition::any().add(col.gt(at)).add(
                Condition::all()
                    .add(col.eq(at))
                    .add(request::Column::Id.gt(id)),
            )
        });
    }
    let mut q = request::Entity::find().filter(cond);
    q = if desc {
        q.order_by_desc(col).order_by_desc(request::Column::Id)
    } else {
        q.order_by_asc(col).order_by_asc(request::Column::Id)
    };
    let mut rows = q.limit(limit + 1).all(db).await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let items = rows
        .into_iter()
        .map(|r| {
            let at = if matches!(f.sort, Sort::UpdatedAsc | Sort::UpdatedDesc) {
                r.updated_at
            } else {
                r.created_at
            };
            (encode_cursor(at, &r.id), r)
        })
        .collect();
    Ok(Page {
        items,
        has_next,
        total,
    })
}

/// Approval steps waiting for the caller's decision, with their requests.
pub async fn my_approvals(
    db: &impl ConnectionTrait,
    p: &Principal,
) -> AppResult<Vec<(request::Model, approval_step::Model)>> {
    let steps = approval_step::Entity::find()
        .filter(approval_step::Column::State.eq(ApprovalState::Active))
        .filter(approval_step::Column::Id.in_subquery(approvers::step_ids_of(&p.user_id)))
        .all(db)
        .await?;
    let decided: Vec<String> = crate::db::entities::approval_decision::Entity::find()
        .filter(crate::db::entities::approval_decision::Column::ApproverId.eq(&p.user_id))
        .filter(
            crate::db::entities::approval_decision::Column::StepId
                .is_in(steps.iter().map(|s| s.id.clone())),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.step_id)
        .collect();
    let steps: Vec<_> = steps
        .into_iter()
        .filter(|s| !decided.contains(&s.id))
        .collect();
    let requests = request::Entity::find()
        .filter(request::Column::Id.is_in(steps.iter().map(|s| s.request_id.clone())))
        .order_by_asc(request::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(requests
        .into_iter()
        .filter_map(|r| {
            let step = steps.iter().find(|s| s.request_id == r.id)?.clone();
            Some((r, step))
        })
        .collect())
}

/// The audit trail filter (`auditEvents`).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub request_id: Option<String>,
    pub kind: Option<String>,
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A page of audit events, newest first. Requires `audit.read` (checked by the caller); scoped
/// grants limit request events to the scoped workflows, and system events need an unscoped grant.
pub async fn audit_events(
    db: &impl ConnectionTrait,
    p: &Principal,
    f: &AuditFilter,
    first: Option<i32>,
    after: Option<&str>,
) -> AppResult<Page<event::Model>> {
    let limit = first.map_or(DEFAULT_PAGE, |n| Ord::min(Ord::max(n, 0) as u64, MAX_PAGE));
    let mut cond = Condition::all();
    if let Some(keys) = p.scope(Permission::AuditRead) {
        let ids = request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::WorkflowKey.is_in(keys))
            .into_query();
        cond = cond.add(event::Column::RequestId.in_subquery(ids));
    }
    if let Some(r) = &f.request_id {
        cond = cond.add(event::Column::RequestId.eq(r));
    }
    if let Some(k) = &f.kind {
        cond = cond.add(event::Column::Kind.eq(k));
    }
    if let Some(a) = &f.actor {
        cond = cond.add(event::Column::ActorId.eq(person(db, p, a, "filter.actor").await?));
    }
    if let Some(from) = f.from {
        cond = cond.add(event::Column::At.gte(from));
    }
    if let Some(to) = f.to {
        cond = cond.add(event::Column::At.lt(to));
    }
    if let Some(cursor) = after {
        let (at, id) = decode_cursor(cursor)?;
        cond = cond.add(
            Condition::any().add(event::Column::At.lt(at)).add(
                Condition::all()
                    .add(event::Column::At.eq(at))
                    .add(event::Column::Id.lt(id)),
            ),
        );
    }
    let mut rows = event::Entity::find()
        .filter(cond)
        .order_by_desc(event::Column::At)
        .order_by_desc(event::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page {
        items: rows
            .into_iter()
            .map(|e| (encode_cursor(e.at, &e.id), e))
            .collect(),
        has_next,
        total: 0,
    })
}

/// The events of one request, oldest first.
pub async fn request_events(
    db: &impl ConnectionTrait,
    request_id: &str,
) -> AppResult<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::Stream.eq(request_id))
        .order_by_asc(event::Column::Seq)
        .all(db)
        .await?)
}
