//! Which committed request changes a `requestChanged` subscriber receives. A change is delivered
//! exactly when its request, as it is now, would appear in the subscriber's `requests(filter:)`
//! list: the same read rules (`access::readable_condition`) and the same filter condition
//! (`queries::ResolvedFilter`), so the list and the stream cannot disagree about a field.
//!
//! Each change costs one statement per subscriber (the request row, read access and every
//! filter field in one `SELECT`), none when the workflow alone rules it out. The filter's
//! people are resolved once, when the subscription starts.

use futures::{Stream, StreamExt};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::auth::Principal;
use crate::db::entities::request;
use crate::error::AppResult;
use crate::services::access;
use crate::services::queries::{self, RequestFilter, ResolvedFilter};
use crate::state::{AppState, RequestChange};

/// What one subscriber asked for: who they are and their resolved filter.
#[derive(Debug, Clone)]
pub struct ChangeFilter {
    principal: Principal,
    filter: ResolvedFilter,
}

impl ChangeFilter {
    /// Resolves the filter's people (an unknown email is `VALIDATION_FAILED`, as in lists).
    pub async fn new(
        db: &impl ConnectionTrait,
        p: &Principal,
        filter: &RequestFilter,
    ) -> AppResult<Self> {
        Ok(Self {
            principal: p.clone(),
            filter: queries::resolve_filter(db, p, filter).await?,
        })
    }

    /// Whether the subscriber receives this change: they may read the request and it matches
    /// every field of the filter (`sort` orders lists and means nothing here).
    pub async fn delivers(
        &self,
        db: &impl ConnectionTrait,
        change: &RequestChange,
    ) -> AppResult<bool> {
        let f = self.filter.filter();
        if f.matches_nothing() {
            return Ok(false);
        }
        // A request never changes workflow, so the change's own key settles this without a
        // query (the other fields can change, so they are read from the row).
        if f.workflow.as_ref().is_some_and(|w| *w != change.workflow) {
            return Ok(false);
        }
        let found = request::Entity::find()
            .filter(request::Column::Id.eq(&change.request_id))
            .filter(access::readable_condition(&self.principal))
            .filter(self.filter.condition())
            .count(db)
            .await?;
        Ok(found > 0)
    }
}

/// The changes a subscriber receives from now on, as they commit. A subscriber too slow to
/// keep up skips ahead (the broadcast channel drops what it missed) rather than holding the
/// channel back; a change that cannot be checked (the database failed) is logged and skipped.
pub async fn request_changes(
    state: &AppState,
    p: &Principal,
    filter: &RequestFilter,
) -> AppResult<impl Stream<Item = RequestChange> + Send + use<>> {
    // Subscribe before resolving the filter so nothing that commits meanwhile is missed.
    let rx = state.changes.subscribe();
    let matcher = ChangeFilter::new(&state.db, p, filter).await?;
    let db = state.db.clone();
    Ok(BroadcastStream::new(rx).filter_map(move |msg| {
        let matcher = matcher.clone();
        let db = db.clone();
        async move {
            let change = match msg {
                Ok(change) => change,
                Err(BroadcastStreamRecvError::Lagged(skipped)) => {
                    tracing::warn!(
                        subscriber.user_id = %matcher.principal.user_id,
                        changes.skipped = skipped,
                        "a requestChanged subscriber fell behind and skipped changes"
                    );
                    return None;
                }
            };
            match matcher.delivers(&db, &change).await {
                Ok(true) => Some(change),
                Ok(false) => None,
                Err(e) => {
                    tracing::error!(
                        request.id = %change.request_id,
                        error = ?e,
                        "checking a change against a subscription failed"
                    );
                    None
                }
            }
        }
    }))
}
