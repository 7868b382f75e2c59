//! Renders `AppError` as a GraphQL error with a stable `extensions.code`. `VALIDATION_FAILED`
//! carries `extensions.fields`, `INVALID_DEFINITION` carries `extensions.problems`, both as
//! `[{path, message}]`. `INTERNAL` says nothing more: its cause is logged here, once.

use async_graphql::{ErrorExtensions, Value};
use handoff_shared::Problem;

use crate::error::AppError;

fn problems_value(problems: &[Problem]) -> Value {
    let json = serde_json::to_value(problems).unwrap_or(serde_json::Value::Null);
    Value::from_json(json).unwrap_or(Value::Null)
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
                AppError::Validation { problems, .. } => ext.set("fields", problems_value(problems)),
                AppError::InvalidDefinition(problems) => ext.set("problems", problems_value(problems)),
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

/// A DataLoader's shared error, rendered as `INTERNAL` (loaders only fail on the database).
pub fn loader_error(err: std::sync::Arc<AppError>) -> async_graphql::Error {
    AppError::Internal(anyhow::anyhow!("loading related rows: {err:?}")).into()
}
