//! Renders `AppError` as a GraphQL error with a stable `extensions.code`. `VALIDATION_FAILED`
//! carries `extensions.fields`, `INVALID_DEFINITION` carries `extensions.problems`, both as
//! `[{path, message}]`, at most `error::MAX_PROBLEMS` of them, with `extensions.omitted`
//! counting the rest. `INTERNAL` says nothing more: its cause is logged here, once.
//!
//! Answers stay bounded whatever was asked: a response lists at most [`MAX_ERRORS`] errors
//! (`extensions.omittedErrors` on the response counts the rest) and no message is longer than
//! [`MAX_MESSAGE_CHARS`], because async-graphql's messages quote the document.

use async_graphql::{ErrorExtensions, Value};
use handoff_shared::Problem;

use crate::error::{AppError, clip, shown_problems};

/// Most errors one response lists.
pub const MAX_ERRORS: usize = 50;
/// Longest error message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1_000;

fn problems_value(problems: &[Problem]) -> Value {
    let json = serde_json::to_value(problems).unwrap_or(serde_json::Value::Null);
    Value::from_json(json).unwrap_or(Value::Null)
}

/// Sets `key` to the problems shown and `omitted` to the count of the others, if any.
fn set_problems(ext: &mut async_graphql::ErrorExtensionValues, key: &str, all: &[Problem]) {
    let (shown, omitted) = shown_problems(all);
    ext.set(key, problems_value(&shown));
    if omitted > 0 {
        ext.set("omitted", omitted);
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        let code = err.code().as_str();
        let message = match &err {
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "internal error".to_owned()
            }
            other => other.message(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            match &err {
                AppError::Validation { problems, .. } => set_problems(ext, "fields", problems),
                AppError::InvalidDefinition(problems) => set_problems(ext, "problems", problems),
                AppError::RateLimited { retry_after, .. } => ext.set("retryAfter", *retry_after),
                _ => {}
            }
        })
    }
}

/// Shorthand for resolvers: `service(...).await.gql()?`.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(Into::into)
    }
}

/// A stored value this build does not know (a status category, priority or kind that no
/// variant names). It is never mapped to a default, which would show a wrong answer as a right
/// one: it is `INTERNAL`, and its cause, naming the value, is logged with `tracing::error` when
/// it becomes a GraphQL error (above).
pub fn unknown_stored(what: &str, value: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("unknown stored {what}: {value:?}"))
}

/// A DataLoader's shared error, rendered as `INTERNAL` (loaders only fail on the database).
pub fn loader_error(err: std::sync::Arc<AppError>) -> async_graphql::Error {
    AppError::Internal(anyhow::anyhow!("loading related rows: {err:?}")).into()
}

/// Gives every error a code, including those async-graphql raises itself: a request it refuses
/// before resolving (syntax, unknown field, depth or complexity limits) is `VALIDATION_FAILED`;
/// a resolver error that did not come from `AppError` is `INTERNAL`, and its text is hidden.
/// Queries and mutations pass through `request`, subscriptions through `subscribe` (each event
/// of the stream), so no transport answers an error without a code.
pub struct ErrorCodes;

impl async_graphql::extensions::ExtensionFactory for ErrorCodes {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_graphql::async_trait::async_trait]
impl async_graphql::extensions::Extension for ErrorCodesExtension {
    async fn request(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        next: async_graphql::extensions::NextRequest<'_>,
    ) -> async_graphql::Response {
        let mut resp = next.run(ctx).await;
        give_codes(&mut resp);
        resp
    }

    fn subscribe<'s>(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        stream: futures::stream::BoxStream<'s, async_graphql::Response>,
        next: async_graphql::extensions::NextSubscribe<'_>,
    ) -> futures::stream::BoxStream<'s, async_graphql::Response> {
        use futures::StreamExt;
        next.run(ctx, stream)
            .map(|mut resp| {
                give_codes(&mut resp);
                resp
            })
            .boxed()
    }
}

fn give_codes(resp: &mut async_graphql::Response) {
    if resp.errors.len() > MAX_ERRORS {
        let omitted = resp.errors.len() - MAX_ERRORS;
        resp.errors.truncate(MAX_ERRORS);
        resp.extensions
            .insert("omittedErrors".to_owned(), Value::from(omitted));
    }
    for err in &mut resp.errors {
        if err.message.chars().count() > MAX_MESSAGE_CHARS {
            err.message = clip(&err.message, MAX_MESSAGE_CHARS);
        }
        let has_code = err
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if err.path.is_empty() {
            handoff_shared::ErrorCode::ValidationFailed
        } else {
            tracing::error!(error = %err.message, path = ?err.path, "resolver error without a code");
            err.message = "internal error".into();
            handoff_shared::ErrorCode::Internal
        };
        err.extensions
            .get_or_insert_with(Default::default)
            .set("code", code.as_str());
    }
}
