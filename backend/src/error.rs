//! The one error type of the services. Each variant names the code it maps to; each transport
//! renders it at its own boundary: `graphql::error` as `extensions.code`, `http::error` as a
//! status and `{"error": {"code", ...}}`. `Internal` carries its cause for the log only: the
//! client sees a generic message, and the boundary logs the cause once.
//!
//! Unique-constraint violations become client errors here too (`OnDuplicate`), so a duplicate
//! answers the same shape whichever service hit it.

use handoff_shared::{ErrorCode, Problem};

#[derive(Debug)]
pub enum AppError {
    /// `UNAUTHENTICATED`: no credentials, or credentials that are forged, expired or revoked.
    Unauthenticated(String),
    /// `FORBIDDEN`: the caller is known but may not do this.
    Forbidden(String),
    /// `NOT_FOUND`: the thing does not exist, or the caller may not know it exists.
    NotFound(String),
    /// `VALIDATION_FAILED`: input that breaks a rule, with a problem per path.
    Validation {
        message: String,
        problems: Vec<Problem>,
    },
    /// `CONFLICT`: a stale `expectedVersion`, a decision that lost a race, a duplicate, or a
    /// lock another change held longer than the lock timeout (retry).
    Conflict(String),
    /// `INVALID_DEFINITION`: a workflow definition with problems, each with its path.
    InvalidDefinition(Vec<Problem>),
    /// `RATE_LIMITED`: too many attempts (sign-in) or too much at once (password hashing);
    /// `retry_after` seconds is sent as `Retry-After` and `extensions.retryAfter`.
    RateLimited { message: String, retry_after: u64 },
    /// `INTERNAL`: anything unexpected. Logged with its cause, shown without detail.
    Internal(anyhow::Error),
}

impl AppError {
    /// The message a client sees. Deliberately no `Display`: without it the only conversion to
    /// a GraphQL error is ours, which sets `extensions.code` (async-graphql converts anything
    /// `Display` into a code-less error).
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m) => m.clone(),
            AppError::Validation { message, .. } => clip(message, MAX_TEXT_CHARS),
            AppError::RateLimited { message, .. } => message.clone(),
            AppError::InvalidDefinition(p) => {
                format!("the workflow definition has {} problem(s)", p.len())
            }
            AppError::Internal(_) => "internal error".into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Validation { .. } => ErrorCode::ValidationFailed,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::InvalidDefinition(_) => ErrorCode::InvalidDefinition,
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// A validation failure of one input path.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::Validation {
            message: message.clone(),
            problems: vec![Problem {
                path: path.into(),
                message,
            }],
        }
    }

    /// A validation failure of several paths.
    pub fn invalid_all(problems: Vec<Problem>) -> Self {
        let message = match problems.as_slice() {
            [one] => format!("{}: {}", one.path, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        AppError::Validation { message, problems }
    }

    /// Too many attempts: retry after `seconds` (at least one).
    pub fn rate_limited(message: impl Into<String>, seconds: u64) -> Self {
        AppError::RateLimited {
            message: message.into(),
            retry_after: seconds.max(1),
        }
    }

    /// When a client may try again, for errors that say so.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }
}

/// What a unique-constraint violation means at the statement that hit it. The database only
/// says "duplicate"; the caller knows whether a value the client chose is taken or a
/// concurrent writer won a race, and which input it was.
#[derive(Debug, Clone, Copy)]
pub enum Duplicate<'a> {
    /// A value the client chose is taken (a key, an email): `VALIDATION_FAILED` with one
    /// problem at `path`, so a form shows it beside the input. Retrying the same input fails
    /// the same way.
    Field { path: &'a str, message: &'a str },
    /// Another writer got there first while this transaction ran: `CONFLICT`. The client
    /// reloads and retries.
    Race(&'a str),
}

/// Turns a unique-constraint violation into the client error the caller names, and every other
/// database error into `Internal`. This is the one place that maps duplicates, so their codes
/// and shapes cannot drift apart from one service to the next:
///
/// ```text
/// model.insert(&txn).await.on_duplicate(Duplicate::Field {
///     path: "input.key",
///     message: "a team with this key exists",
/// })?;
/// ```
pub trait OnDuplicate<T> {
    fn on_duplicate(self, meaning: Duplicate<'_>) -> AppResult<T>;
}

impl<T> OnDuplicate<T> for Result<T, sea_orm::DbErr> {
    fn on_duplicate(self, meaning: Duplicate<'_>) -> AppResult<T> {
        self.map_err(|err| {
            if !crate::db::is_unique_violation(&err) {
                return err.into();
            }
            match meaning {
                Duplicate::Field { path, message } => AppError::invalid(path, message),
                Duplicate::Race(message) => AppError::Conflict(message.to_owned()),
            }
        })
    }
}

/// What a client reads when its change waited for a lock longer than the lock timeout.
pub const LOCK_TIMEOUT_MESSAGE: &str = "another change is in progress; retry";

/// A database error is `INTERNAL`, except a lock wait that ran out (`db::is_lock_timeout`):
/// that is `CONFLICT`, because another change held what this one needed and the same change
/// may succeed when retried. The database's text stays in the log either way.
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::db::is_lock_timeout(&err) {
            tracing::info!(error = %err, "a lock wait ran out");
            return AppError::Conflict(LOCK_TIMEOUT_MESSAGE.to_owned());
        }
        AppError::Internal(err.into())
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        AppError::Internal(err.into())
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Most problems one error lists; the others are only counted (`omitted`), so a submission of
/// thousands of bad fields answers a bounded error, not one many times its own size.
pub const MAX_PROBLEMS: usize = 50;
/// Longest path or message shown to a client, in characters: both may quote the input.
pub const MAX_TEXT_CHARS: usize = 300;

/// `text` cut to `max` characters, with an ellipsis when it was longer.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The problems a client is shown (at most [`MAX_PROBLEMS`], each clipped) and how many more
/// there were.
pub fn shown_problems(problems: &[Problem]) -> (Vec<Problem>, usize) {
    let shown = problems
        .iter()
        .take(MAX_PROBLEMS)
        .map(|p| Problem {
            path: clip(&p.path, MAX_TEXT_CHARS),
            message: clip(&p.message, MAX_TEXT_CHARS),
        })
        .collect();
    (shown, problems.len().saturating_sub(MAX_PROBLEMS))
}
