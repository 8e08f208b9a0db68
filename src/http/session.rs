//! Who is calling: the `Caller` extractor finds the live session behind an
//! `Authorization: Bearer` token (API clients) or the `keepsake_session` cookie (pages).
//!
//! A cookie is sent by the browser on its own, so a cookie-authenticated request that changes
//! something must also carry the session's CSRF token in `X-CSRF-Token` (it is readable by the
//! page, not by other sites); bearer tokens are never sent automatically and need none.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::accounts;
use crate::db::users::UserRecord;
use crate::error::{AppError, Code};
use crate::state::AppState;

pub use crate::cookies::{CSRF_COOKIE, SESSION_COOKIE};

/// An authenticated person and the session they came with.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRecord,
    pub session_id: uuid::Uuid,
    /// The request's id (`X-Request-Id`), so a refusal recorded for this caller names it.
    pub request_id: Option<String>,
}

impl Caller {
    pub fn who(&self) -> crate::domain::access::Who<'_> {
        crate::domain::access::Who {
            id: self.user.id,
            roles: &self.user.roles,
        }
    }
    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor::user(self.user.id, &self.user.roles)
    }
    /// The caller as the services see them.
    pub fn acting(&self) -> crate::actor::Actor {
        crate::actor::Actor {
            id: self.user.id,
            roles: self.user.roles.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// Record that `caller` was refused `target` and hand back the refusal (see
/// [`audit::refuse`](crate::audit::refuse)).
pub async fn refuse(
    state: &AppState,
    caller: &Caller,
    target: crate::audit::Target,
    refusal: AppError,
) -> AppError {
    crate::actor::refuse(&state.db, &caller.acting(), target, refusal).await
}

fn unauthenticated() -> AppError {
    AppError::Unauthorized(
        "log in first; send the session token as a Bearer token or cookie".into(),
    )
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let (token, by_cookie) = match bearer(parts) {
            Some(token) => (token, false),
            None => (
                crate::cookies::read(&parts.headers, SESSION_COOKIE).ok_or_else(unauthenticated)?,
                true,
            ),
        };
        let live = accounts::resume(&state.db, &state.settings.auth, token)
            .await?
            .ok_or_else(unauthenticated)?;
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if by_cookie && unsafe_method {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !accounts::csrf_matches(&live.csrf_hash, sent) {
                return Err(AppError::Forbidden {
                    code: Code::CsrfTokenMissing,
                    detail: "a cookie-authenticated change needs the session's X-CSRF-Token header"
                        .into(),
                });
            }
        }
        let request_id = super::extract::RequestId::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        Ok(Self {
            user: live.user,
            session_id: live.session_id,
            request_id: request_id.0,
        })
    }
}
