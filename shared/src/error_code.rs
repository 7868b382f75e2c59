//! The stable error codes clients branch on: GraphQL `extensions.code`, and `error.code` in
//! the JSON body of the HTTP routes outside GraphQL (`/hooks`, `/readyz`).
//!
//! Clients must branch on these codes, never on message text; renaming one is a breaking
//! change of the public API. The server sets codes only from this enum, never as strings, and
//! every code here is produced by some path except the one marked reserved (the backend's
//! API test `every_error_code_is_produced_by_some_path` checks it).

use serde::{Deserialize, Serialize};

/// A machine-readable error category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// `UNAUTHENTICATED`: no valid credentials were presented.
    Unauthenticated,
    /// `FORBIDDEN`: the caller lacks the permission.
    Forbidden,
    /// `NOT_FOUND`: the object does not exist or the caller may not see it.
    NotFound,
    /// `VALIDATION_FAILED`: the input breaks a rule; problems carry paths.
    ValidationFailed,
    /// `CONFLICT`: the object changed meanwhile, or a unique value is taken.
    Conflict,
    /// `INVALID_DEFINITION`: a workflow definition failed validation or its tests.
    InvalidDefinition,
    /// `RATE_LIMITED`: too many requests; retry later (HTTP 429).
    ///
    /// Reserved: no path produces it yet. It is listed so that clients handle throttling
    /// (planned for sign-in) from the start, and adding it later is not a breaking change.
    RateLimited,
    /// `INTERNAL`: an unexpected failure; details are only in the server log.
    Internal,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::ValidationFailed,
        ErrorCode::Conflict,
        ErrorCode::InvalidDefinition,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
    ];

    /// The code as sent to clients.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::ValidationFailed => "VALIDATION_FAILED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::InvalidDefinition => "INVALID_DEFINITION",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// Parses a code as sent to clients.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == s)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_serialise_as_their_string() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
    }
}
