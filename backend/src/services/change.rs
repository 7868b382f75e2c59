//! The unit of work for one request: every change to a request, by a person or by the system
//! (a timer, a delivery, a capture), goes through a [`Change`].
//!
//! A change opens the transaction, takes the request's row lock as the transaction's first
//! write, reads the row as it is now, records audit events on the request's hash chain, writes
//! the row back, commits, and only then announces the change to subscribers. Because the lock
//! is the first write, changes to one request run one after another on both databases (a row
//! lock on PostgreSQL, the write lock on SQLite): the hash chain cannot fork, and a stale
//! `expectedVersion` is seen for what it is.
//!
//! Dropping a `Change` without committing rolls everything back, so an error anywhere in a use
//! case leaves nothing half-written.

use chrono::{DateTime, Utc};
use handoff_shared::EventKind;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait};
use serde_json::Value;

use crate::auth::Principal;
use crate::db::entities::{event, request};
use crate::db::statement;
use crate::error::{AppError, AppResult};
use crate::services::access;
use crate::services::audit::{self, NewEvent, Stream};
use crate::state::{AppState, RequestChange};

/// How a change locks its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Increments `version`: the change is an edit a client holding the old version must reload
    /// for (transitions, decisions, field edits, assignments).
    Bump,
    /// Leaves `version` as it is: the change is recorded on the chain but is not an edit
    /// (comments, delivery outcomes, reminders).
    Quiet,
}

/// One change to one request in progress.
#[derive(Debug)]
pub struct Change {
    txn: DatabaseTransaction,
    /// The request as locked, with the change's edits applied so far.
    pub req: request::Model,
    /// Who makes the change; `None` for the system.
    pub actor_id: Option<String>,
    /// The instant the change happens at, read once from the injectable clock.
    pub now: DateTime<Utc>,
    /// The audit events recorded so far, in order.
    pub events: Vec<event::Model>,
}

impl Change {
    /// Opens a change on an existing request: begins the transaction, takes the row lock and
    /// reads the row. A missing request is `NOT_FOUND`.
    pub async fn lock(
        state: &AppState,
        request_id: &str,
        lock: Lock,
        actor_id: Option<&str>,
    ) -> AppResult<Self> {
        let txn = state.begin_write().await?;
        let sql = match lock {
            Lock::Bump => "UPDATE requests SET version = version + 1 WHERE id = $1",
            Lock::Quiet => "UPDATE requests SET version = version WHERE id = $1",
        };
        let res = txn
            .execute_raw(statement(&txn, sql, vec![request_id.into()]))
            .await?;
        if res.rows_affected() == 0 {
            return Err(AppError::not_found("request"));
        }
        let req = request::Entity::find_by_id(request_id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::not_found("request"))?;
        Ok(Self::opened(txn, req, actor_id, state.clock.now()))
    }

    /// Opens a change for a caller, who must be able to read the request: one they may not
    /// read is `NOT_FOUND`, never revealing that it exists.
    pub async fn lock_as(
        state: &AppState,
        p: &Principal,
        request_id: &str,
        lock: Lock,
    ) -> AppResult<Self> {
        let change = Self::lock(state, request_id, lock, Some(&p.user_id)).await?;
        if !access::can_read(&change.txn, p, &change.req).await? {
            return Err(AppError::not_found("request"));
        }
        Ok(change)
    }

    /// Continues a transaction that has just inserted `req` (a submission): the insert holds
    /// the row, so no lock statement is needed.
    pub fn opened(
        txn: DatabaseTransaction,
        req: request::Model,
        actor_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            txn,
            req,
            actor_id: actor_id.map(str::to_owned),
            now,
            events: vec![],
        }
    }

    /// The change's transaction, for reads and for writes to other tables.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Checks a client's `expectedVersion` against the version the row had before this
    /// change's bump (`Lock::Bump` changes only).
    pub fn check_version(&self, expected: Option<i32>) -> AppResult<()> {
        let before = self.req.version - 1;
        match expected {
            Some(v) if v != before => Err(AppError::Conflict(format!(
                "the request changed since you loaded it (version {v} is now {before})"
            ))),
            _ => Ok(()),
        }
    }

    /// Appends an audit event to the request's chain, made by the change's actor at its time.
    pub async fn record(&mut self, kind: EventKind, data: Value) -> AppResult<event::Model> {
        let e = audit::append(
            &self.txn,
            NewEvent {
                stream: Stream::Request(&self.req.id),
                kind,
                actor_id: self.actor_id.as_deref(),
                at: self.now,
                data,
            },
        )
        .await?;
        self.events.push(e.clone());
        Ok(e)
    }

    /// Writes the row's mutable columns (the lock already set `version`).
    pub async fn save(&mut self) -> AppResult<()> {
        let mut a: request::ActiveModel = self.req.clone().into();
        for col in [
            request::Column::Title,
            request::Column::Status,
            request::Column::Category,
            request::Column::Priority,
            request::Column::Team,
            request::Column::AssigneeId,
            request::Column::Fields,
            request::Column::ReworkCount,
            request::Column::UpdatedAt,
            request::Column::ClosedAt,
            request::Column::StatusSince,
        ] {
            a.reset(col);
        }
        self.req = a.update(&self.txn).await?;
        Ok(())
    }

    /// Commits, then tells subscribers what happened (`kind`, e.g. `transitioned`). Answers the
    /// request as committed.
    pub async fn commit(self, state: &AppState, kind: EventKind) -> AppResult<request::Model> {
        self.txn.commit().await?;
        announce(state, &self.req, kind);
        Ok(self.req)
    }

    /// Abandons the change (the transaction rolls back, the version bump with it) and answers
    /// the request as it is stored: for changes that turned out to change nothing.
    pub async fn abandon(self, state: &AppState) -> AppResult<request::Model> {
        let id = self.req.id.clone();
        drop(self.txn);
        request::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::not_found("request"))
    }
}

/// Announces a committed change on the in-process channel that feeds subscriptions.
pub fn announce(state: &AppState, req: &request::Model, kind: EventKind) {
    state.publish_change(RequestChange {
        request_id: req.id.clone(),
        number: req.number.clone(),
        workflow: req.workflow_key.clone(),
        team: req.team.clone(),
        status: req.status.clone(),
        kind: kind.as_str().to_owned(),
        version: req.version,
    });
}
