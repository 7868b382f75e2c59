//! `POST /hooks/{workflow}/{token}`: an inbound trigger that creates a request from a JSON body,
//! as the hook's service user. HTTP only: the token, the signature and the content type are
//! checked here; the submission is `services::requests::submit`, with its validation and its
//! idempotency (a `webhook-id` or `Idempotency-Key` header makes retries answer the first
//! request).
//!
//! Answers `201 {"id", "number"}`, or a JSON error `{"code", "message"}` with the status of the
//! code: 401 `UNAUTHENTICATED` (unknown or revoked token, wrong workflow, a signature missing or
//! wrong), 415 `UNSUPPORTED_MEDIA_TYPE`, 422 `VALIDATION_FAILED` (with `fields: [{path,
//! message}]`), 403, 404, 409, 500 `INTERNAL`.

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

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

fn app_error(e: AppError) -> Response {
    let code = e.code().as_str();
    match e {
        AppError::Validation { message, problems } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"code": code, "message": message, "fields": problems})),
        )
            .into_response(),
        AppError::Internal(cause) => {
            tracing::error!(error = ?cause, "inbound hook failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, code, "internal error")
        }
        other => {
            let status = match other {
                AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                AppError::Forbidden(_) => StatusCode::FORBIDDEN,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            refuse(status, code, &other.message())
        }
    }
}

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

pub async fn receive(
    State(s): State<HttpState>,
    Path((workflow, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the body as Content-Type: application/json",
        );
    }
    let unknown = || {
        refuse(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "unknown or revoked hook token",
        )
    };
    let hook = match integrations::hook_by_token(&s.app.db, &token).await {
        Ok(Some(h)) if h.workflow_key == workflow => h,
        Ok(_) => return unknown(),
        Err(e) => return app_error(e),
    };
    let webhook_id = header_str(&headers, "webhook-id");
    if let Some(secret) = &hook.secret
        && let Err(e) = webhook::verify(
            secret,
            webhook_id,
            header_str(&headers, "webhook-timestamp"),
            header_str(&headers, "webhook-signature"),
            &body,
            s.app.clock.now().timestamp(),
        )
    {
        return refuse(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", e.message());
    }
    let fields = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(mut map)) => {
            for key in SERVER_OWNED {
                map.remove(*key);
            }
            Value::Object(map)
        }
        _ => {
            return app_error(AppError::invalid(
                "body",
                "must be a JSON object of field values",
            ));
        }
    };
    let principal = match integrations::hook_principal(&s.app.db, &hook).await {
        Ok(p) => p,
        Err(e) => return app_error(e),
    };
    let idempotency_key = webhook_id
        .or_else(|| header_str(&headers, "idempotency-key"))
        .map(str::to_owned);
    let input = requests::SubmitInput {
        workflow,
        fields,
        idempotency_key,
    };
    match requests::submit(&s.app, &principal, input).await {
        Ok(req) => (
            StatusCode::CREATED,
            Json(json!({"id": req.id, "number": req.number})),
        )
            .into_response(),
        Err(e) => app_error(e),
    }
}
