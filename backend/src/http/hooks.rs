//! `POST /hooks/{workflow}/{token}`: an inbound trigger that creates a request from a JSON body,
//! as the hook's service user. HTTP only: the token, the signature and the content type are
//! checked here; the submission is `services::requests::submit`, with its validation and its
//! idempotency (a `webhook-id` or `Idempotency-Key` header makes retries answer the first
//! request).
//!
//! Answers `201 {"id", "number"}`, or an error rendered by `http::error` as
//! `{"error": {"code", "message", "fields"?}}` with the status of its code: 401
//! `UNAUTHENTICATED` (unknown or revoked token, wrong workflow, a signature missing or wrong),
//! 422 `VALIDATION_FAILED` (with `fields: [{path, message}]`), 403, 404, 409, 500 `INTERNAL`.
//! A body sent as anything but `application/json` is `VALIDATION_FAILED` answered with 415.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::AppError;
use crate::http::HttpState;
use crate::integrations::webhook;
use crate::services::{integrations, requests};

/// Body keys the server owns; a caller cannot set them through a hook.
pub const SERVER_OWNED: &[&str] = &[
    "id",
    "number",
    "workflow",
    "status",
    "category",
    "priority",
    "team",
    "assignee",
    "requester",
    "version",
    "createdAt",
    "updatedAt",
    "closedAt",
    "reworkCount",
    "created_at",
    "updated_at",
    "closed_at",
];

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the content type here, where HTTP is; everything else is `accept`'s, whose errors
/// render through `AppError`'s `IntoResponse` (`http::error`).
pub async fn receive(
    State(s): State<HttpState>,
    Path((workflow, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        // The problem is the input (`VALIDATION_FAILED`); 415 is HTTP's more precise word for
        // it, and what HTTP clients and proxies look at.
        let err = AppError::invalid(
            "headers.content-type",
            "send the body as Content-Type: application/json",
        );
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, err).into_response();
    }
    match accept(&s, workflow, &token, &headers, &body).await {
        Ok(created) => created.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Authenticates the hook (token, then signature) and submits the body as the hook's service
/// user. Answers `201 {"id", "number"}`.
async fn accept(
    s: &HttpState,
    workflow: String,
    token: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    // One answer for an unknown token, a revoked one and one of another workflow, so a caller
    // cannot probe which tokens exist.
    let hook = integrations::hook_by_token(&s.app.db, token)
        .await?
        .filter(|h| h.workflow_key == workflow)
        .ok_or_else(|| AppError::Unauthenticated("unknown or revoked hook token".into()))?;
    let webhook_id = header_str(headers, "webhook-id");
    if let Some(secret) = &hook.secret {
        webhook::verify(
            secret,
            webhook_id,
            header_str(headers, "webhook-timestamp"),
            header_str(headers, "webhook-signature"),
            body,
            s.app.clock.now().timestamp(),
        )
        .map_err(|e| AppError::Unauthenticated(e.message().to_owned()))?;
    }
    let fields = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut map)) => {
            for key in SERVER_OWNED {
                map.remove(*key);
            }
            Value::Object(map)
        }
        _ => {
            return Err(AppError::invalid(
                "body",
                "must be a JSON object of field values",
            ));
        }
    };
    let principal = integrations::hook_principal(&s.app.db, &hook).await?;
    let idempotency_key = webhook_id
        .or_else(|| header_str(headers, "idempotency-key"))
        .map(str::to_owned);
    let input = requests::SubmitInput {
        workflow,
        fields,
        idempotency_key,
    };
    let req = requests::submit(&s.app, &principal, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": req.id, "number": req.number})),
    ))
}
