//! Guards. Every root field carries one (`Public`, `Authenticated` or `Perm`), so deny-by-default
//! is visible at each resolver and checked by a test that calls every operation anonymously.
//! Row-level rules (own / team / all) are decided by `services::access`.

use async_graphql::{Context, Guard};
use handoff_shared::Permission;

use crate::auth::Principal;
use crate::error::AppError;

/// The caller of one GraphQL request, resolved by the HTTP layer from its credential.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub principal: Option<Principal>,
    /// Why a presented credential was refused (forged, expired, revoked).
    pub refusal: Option<String>,
    /// The client's address, for sign-in throttling.
    pub client: Option<std::net::IpAddr>,
    /// Whether a session cookie set in the answer must be `Secure` (not on loopback hosts).
    pub secure_cookie: bool,
}

/// The principal of the request, or `UNAUTHENTICATED`.
pub fn principal<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Principal> {
    let caller = ctx.data_opt::<Caller>();
    match caller.and_then(|c| c.principal.as_ref()) {
        Some(p) => Ok(p),
        None => {
            let reason = caller.and_then(|c| c.refusal.clone()).unwrap_or_else(|| {
                "sign in first: send `Authorization: Bearer <token>` or sign in in the web app"
                    .into()
            });
            Err(AppError::Unauthenticated(reason).into())
        }
    }
}

/// Open to anyone (sign-in). Written out so an unguarded field stands out in review.
#[derive(Debug)]
pub struct Public;

impl Guard for Public {
    async fn check(&self, _ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(())
    }
}

/// Any signed-in caller; finer rules are applied by the service.
#[derive(Debug)]
pub struct Authenticated;

impl Guard for Authenticated {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        principal(ctx).map(|_| ())
    }
}

/// A caller holding the permission for at least one workflow (services check the scope).
#[derive(Debug)]
pub struct Perm(pub Permission);

impl Guard for Perm {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let p = principal(ctx)?;
        if p.can_any(self.0) {
            Ok(())
        } else {
            Err(
                AppError::forbidden(format!("this needs the permission {}", self.0.as_str()))
                    .into(),
            )
        }
    }
}
