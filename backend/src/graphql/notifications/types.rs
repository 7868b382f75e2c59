//! The notifications' output type: an in-app `Notification`, which links to its request
//! only while the caller may read it.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::db::entities::notification;
use crate::graphql::requests::types::{Request, readable_request};

/// An in-app notification for the caller.
pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn message(&self) -> &str {
        &self.0.message
    }
    async fn request_id(&self) -> ID {
        ID(self.0.request_id.clone())
    }
    /// The request, if the caller may (still) read it.
    async fn request(&self, ctx: &Context<'_>) -> Result<Option<Request>> {
        readable_request(ctx, &self.0.request_id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
}
