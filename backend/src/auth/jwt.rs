//! Session tokens: HS256 JWTs with `exp`, `iat`, `iss` and `aud`, all validated. The claims carry
//! the user's id, roles, teams and flattened permissions so a guard never needs the database.
//! A token outlives a role change until it expires, which is why tokens are short-lived.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

pub const ISSUER: &str = "handoff";
pub const AUDIENCE: &str = "handoff-api";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub sub: String,
    pub email: String,
    pub roles: Vec<String>,
    pub teams: Vec<String>,
    /// Flattened grants: `request.read.all` for every workflow, `request.read.all@purchase-request`
    /// for one.
    pub perms: Vec<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signing and verification keys derived from `HANDOFF_JWT_SECRET`.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
    }

    /// Signs claims for a principal; returns the token and when it expires.
    pub fn issue(
        &self,
        mut claims: Claims,
        now: DateTime<Utc>,
    ) -> AppResult<(String, DateTime<Utc>)> {
        let expires = now + self.ttl;
        claims.iss = ISSUER.into();
        claims.aud = AUDIENCE.into();
        claims.iat = now.timestamp();
        claims.exp = expires.timestamp();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok((token, expires))
    }

    /// Verifies signature, algorithm, expiry, issuer and audience.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| AppError::Unauthenticated(format!("invalid token: {e}")))
    }

    /// Signs and verifies a throwaway token: run at start so a broken crypto backend fails the
    /// process instead of every sign-in.
    pub fn self_test(&self) -> AppResult<()> {
        let claims = Claims {
            sub: "self-test".into(),
            email: String::new(),
            roles: vec![],
            teams: vec![],
            perms: vec![],
            iss: String::new(),
            aud: String::new(),
            iat: 0,
            exp: 0,
        };
        let (token, _) = self.issue(claims, Utc::now())?;
        self.verify(&token).map(|_| ())
    }
}
