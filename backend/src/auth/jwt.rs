//! Session tokens: HS256 JWTs with `exp`, `nbf`, `iat`, `iss` and `aud`, all validated. The
//! claims name the user, the session row (`sid`) and the user's credentials version (`ver`) at
//! sign-in, and nothing else: what the user may do is read from the database (cached for
//! seconds), so a revoked session or a demotion takes effect at once, not when the token expires.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

pub const ISSUER: &str = "handoff";
pub const AUDIENCE: &str = "handoff-api";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session row.
    pub sid: String,
    /// The user's credentials version when the session began.
    pub ver: i32,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

impl Claims {
    /// Claims for a session; the times and audience are filled in by [`JwtKeys::issue`].
    pub fn session(user_id: &str, session_id: &str, version: i32) -> Self {
        Self {
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            ver: version,
            iss: String::new(),
            aud: String::new(),
            iat: 0,
            nbf: 0,
            exp: 0,
        }
    }
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

    /// Signs claims valid from `now` until `expires`.
    pub fn issue(
        &self,
        mut claims: Claims,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> AppResult<String> {
        claims.iss = ISSUER.into();
        claims.aud = AUDIENCE.into();
        claims.iat = now.timestamp();
        claims.nbf = now.timestamp();
        claims.exp = expires.timestamp();
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// Verifies signature, algorithm, expiry, not-before, issuer and audience.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| AppError::Unauthenticated(format!("invalid token: {e}")))
    }

    /// Signs and verifies a throwaway token: run at start so a broken crypto backend fails the
    /// process instead of every sign-in.
    pub fn self_test(&self) -> AppResult<()> {
        let now = Utc::now();
        let token = self.issue(
            Claims::session("self-test", "self-test", 0),
            now,
            now + self.ttl,
        )?;
        self.verify(&token).map(|_| ())
    }
}
