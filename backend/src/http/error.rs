//! Renders `AppError` as an HTTP answer for the routes outside GraphQL (`/hooks`, `/readyz`, the
//! WebSocket handshake of `/graphql`): a status per code and the JSON body
//! `{"error": {"code", "message", "fields"?, "problems"?}}`. Codes, messages and the
//! `[{path, message}]` lists are the ones the GraphQL rendering (`graphql::error`) puts in
//! `extensions`, so a client handles both transports with one error type (at most
//! `error::MAX_PROBLEMS` entries, `omitted` counting the rest). `INTERNAL` says nothing more:
//! its cause is logged here, once.
//!
//! A route may answer a more precise status than its code's by pairing the two, as in
//! `(StatusCode::UNSUPPORTED_MEDIA_TYPE, err)`: axum keeps the body and replaces the status, so
//! the code a client branches on stays the same.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use handoff_shared::{ErrorCode, Problem};
use serde::Serialize;

use crate::error::{AppError, shown_problems};

/// The HTTP status of each code. Exhaustive on purpose: a new code does not compile until it
/// has a status.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        // 422, not 400: the body was well-formed HTTP and JSON, and what it says breaks a
        // rule. Inbound hooks have answered 422 since they shipped and callers rely on it.
        ErrorCode::ValidationFailed | ErrorCode::InvalidDefinition => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: ErrorCode,
    message: String,
    /// `VALIDATION_FAILED`: one entry per invalid input.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [Problem]>,
    /// `INVALID_DEFINITION`: one entry per problem in the definition.
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<&'a [Problem]>,
    /// How many problems `fields` or `problems` leave out (`error::MAX_PROBLEMS`).
    #[serde(skip_serializing_if = "Option::is_none")]
    omitted: Option<usize>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let code = self.code();
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let (listed, in_fields) = match &self {
            AppError::Validation { problems, .. } => (Some(shown_problems(problems)), true),
            AppError::InvalidDefinition(problems) => (Some(shown_problems(problems)), false),
            _ => (None, false),
        };
        let list = listed.as_ref().map(|(shown, _)| shown.as_slice());
        let (fields, problems) = if in_fields {
            (list, None)
        } else {
            (None, list)
        };
        let omitted = listed.as_ref().map(|(_, n)| *n).filter(|n| *n > 0);
        // `message()` is the client's text: for `Internal` it is "internal error", never the
        // cause.
        let body = Envelope {
            error: Body {
                code,
                message: self.message(),
                fields,
                problems,
                omitted,
            },
        };
        let mut response = (status_of(code), Json(body)).into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn render(err: AppError) -> (StatusCode, serde_json::Value) {
        let resp = err.into_response();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("a buffered body");
        (status, serde_json::from_slice(&bytes).expect("a JSON body"))
    }

    #[tokio::test]
    async fn validation_failures_carry_their_fields() {
        let (status, body) = render(AppError::invalid("fields.amount", "not a number")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "VALIDATION_FAILED", "message": "not a number",
                "fields": [{"path": "fields.amount", "message": "not a number"}]}})
        );
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let cause = anyhow::anyhow!("connection to 10.0.0.5 refused");
        let (status, body) = render(AppError::Internal(cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "INTERNAL", "message": "internal error"}})
        );
    }

    #[tokio::test]
    async fn a_paired_status_keeps_the_code() {
        let err = AppError::invalid("headers.content-type", "send JSON");
        let resp = (StatusCode::UNSUPPORTED_MEDIA_TYPE, err).into_response();
        assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("a buffered body");
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON body");
        assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    }

    #[test]
    fn only_internal_errors_answer_a_server_status() {
        // Client errors are 4xx and only INTERNAL is 5xx, so proxies and retry logic that look
        // at the status alone never retry a refusal.
        for code in ErrorCode::ALL {
            let status = status_of(code);
            assert_eq!(
                status.is_server_error(),
                code == ErrorCode::Internal,
                "{code}"
            );
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code}"
            );
        }
    }
}
