//! `/api/v1/auth/{register,login,logout}` and `/api/v1/me`: customers sign themselves up;
//! everyone logs in with email and password and gets a session (a Bearer token for API
//! clients, the same token as an HttpOnly cookie for pages, plus a CSRF token for cookie use).

use axum::Json;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, RequestId};
use super::session::Caller;
use crate::accounts;
use crate::audit::Actor;
use crate::cookies;
use crate::db::users::UserRecord;
use crate::domain::account::Role;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// A mail address of at most 254 characters as sent (surrounding blanks are dropped; stored
    /// in lower case).
    #[schema(
        max_length = 254,
        pattern = r"^\s*[^@\s\x00-\x1f\x7f-\x9f]+@[^@\s\x00-\x1f\x7f-\x9f.]([^@\s\x00-\x1f\x7f-\x9f]*[^@\s\x00-\x1f\x7f-\x9f.])?\.[^@\s\x00-\x1f\x7f-\x9f]*[^@\s\x00-\x1f\x7f-\x9f.]\s*$"
    )]
    pub email: String,
    /// 8 to 128 characters, not one of the most common passwords.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

/// An account as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
}

impl From<&UserRecord> for Me {
    fn from(u: &UserRecord) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            roles: u.roles.clone(),
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedIn {
    /// Send as `Authorization: Bearer <token>` (also set as an HttpOnly cookie).
    pub token: String,
    /// Send as `X-CSRF-Token` on changes made with the cookie.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: Me,
}

/// Create a customer account.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "auth", security(()),
    request_body = Credentials,
    responses(
        (status = 201, description = "Account created; log in next", body = Me),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 409, description = "An account with this email exists", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "invalid_email, weak_password", body = Problem),
    )
)]
async fn register(
    State(state): State<AppState>,
    request_id: RequestId,
    ApiJson(req): ApiJson<Credentials>,
) -> AppResult<(StatusCode, Json<Me>)> {
    let account = accounts::NewAccount {
        email: req.email,
        password: req.password,
        roles: vec![Role::Customer],
    };
    let user = accounts::create(
        &state.db,
        &Actor::anonymous(),
        account,
        request_id.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Me::from(&user))))
}

/// Log in: answers the session token (and sets it as a cookie).
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = Credentials,
    responses(
        (status = 200, description = "Logged in", body = LoggedIn),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Wrong email or password, or the account is disabled", body = Problem),
        (status = 429, description = "Too many failed attempts for this account or from this address; see Retry-After", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Malformed request", body = Problem),
    )
)]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request_id: RequestId,
    ApiJson(req): ApiJson<Credentials>,
) -> AppResult<Response> {
    let attempt = accounts::LoginAttempt {
        email: req.email,
        password: req.password,
        client: accounts::client_address(&headers, peer, &state.settings.auth),
        request_id: request_id.0,
    };
    let accounts::OpenSession {
        token: session_token,
        csrf_token,
        expires_at,
        lifetime,
        user,
    } = accounts::login(&state.db, &state.settings.auth, attempt).await?;
    let body = LoggedIn {
        token: session_token.clone(),
        csrf_token: csrf_token.clone(),
        expires_at,
        user: Me::from(&user),
    };
    let mut response = Json(body).into_response();
    let secure = state.settings.auth.secure_cookies;
    for value in cookies::session(&session_token, &csrf_token, lifetime.num_seconds(), secure) {
        cookies::set(response.headers_mut(), &value);
    }
    Ok(response)
}

/// End this session (the token stops working at once).
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "Cookie session without its CSRF token", body = Problem),
    )
)]
async fn logout(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    accounts::logout(&state.db, &caller.acting(), caller.session_id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    for value in cookies::session_ended() {
        cookies::set(response.headers_mut(), &value);
    }
    Ok(response)
}

/// The logged-in account.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "auth",
    responses(
        (status = 200, description = "The account", body = Me),
        (status = 401, description = "No live session", body = Problem),
    )
)]
async fn me(caller: Caller) -> Json<Me> {
    Json(Me::from(&caller.user))
}
