//! The requests' mutations: submit, transition, decide, update fields, comment and assign.
//! Each takes one `input` argument and calls the one service that owns the change.

use async_graphql::{Context, ID, InputObject, Json, Object, Result};
use handoff_shared::Permission;

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, Perm, principal};
use crate::graphql::requests::types::{Event, Request};
use crate::services::requests;
use crate::state::AppState;

#[derive(InputObject)]
pub struct SubmitRequestInput {
    /// The workflow key.
    pub workflow: String,
    pub fields: Json<serde_json::Value>,
    /// Retrying with the same key answers the request the first call created.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct TransitionInput {
    pub request_id: ID,
    /// The transition key.
    pub transition: String,
    pub comment: Option<String>,
    /// Field values to set with the move (e.g. a required `po_number`).
    pub fields: Option<Json<serde_json::Value>>,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct DecisionInput {
    pub request_id: ID,
    pub approve: bool,
    pub comment: Option<String>,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateFieldsInput {
    pub request_id: ID,
    /// Changed values only; `null` clears a field.
    pub fields: Json<serde_json::Value>,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct CommentInput {
    pub request_id: ID,
    pub body: String,
}

#[derive(InputObject)]
pub struct AssignInput {
    pub request_id: ID,
    /// `null` unassigns; your own id claims.
    pub user_id: Option<ID>,
    pub expected_version: Option<i32>,
}

/// Changes to requests.
pub struct RequestMutation;

#[Object]
impl RequestMutation {
    #[graphql(guard = "Perm(Permission::RequestSubmit)")]
    async fn submit_request(
        &self,
        ctx: &Context<'_>,
        input: SubmitRequestInput,
    ) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::SubmitInput {
            workflow: input.workflow,
            fields: input.fields.0,
            idempotency_key: input.idempotency_key,
        };
        Ok(Request(
            requests::submit(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Authenticated")]
    async fn transition(&self, ctx: &Context<'_>, input: TransitionInput) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::TransitionInput {
            request_id: input.request_id.0,
            transition: input.transition,
            comment: input.comment,
            fields: input.fields.map(|f| f.0),
            expected_version: input.expected_version,
        };
        Ok(Request(
            requests::transition(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    /// Approves or rejects the approval step waiting for the caller.
    #[graphql(guard = "Authenticated")]
    async fn decide(&self, ctx: &Context<'_>, input: DecisionInput) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::DecisionInput {
            request_id: input.request_id.0,
            approve: input.approve,
            comment: input.comment,
            expected_version: input.expected_version,
        };
        Ok(Request(
            requests::decide(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Authenticated")]
    async fn update_fields(&self, ctx: &Context<'_>, input: UpdateFieldsInput) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::UpdateFieldsInput {
            request_id: input.request_id.0,
            fields: input.fields.0,
            expected_version: input.expected_version,
        };
        Ok(Request(
            requests::update_fields(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Authenticated")]
    async fn add_comment(&self, ctx: &Context<'_>, input: CommentInput) -> Result<Event> {
        let state = ctx.data::<AppState>()?;
        Ok(Event(
            requests::add_comment(state, principal(ctx)?, &input.request_id, &input.body)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Perm(Permission::RequestWork)")]
    async fn assign(&self, ctx: &Context<'_>, input: AssignInput) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::AssignInput {
            request_id: input.request_id.0,
            user_id: input.user_id.map(|i| i.0),
            expected_version: input.expected_version,
        };
        Ok(Request(
            requests::assign(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }
}
