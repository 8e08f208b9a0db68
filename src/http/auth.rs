//! `/api/v1/auth/{register,login,logout}` and `/api/v1/me`: customers sign themselves up;
//! everyone logs in with email and password and gets a session (a Bearer token for API
//! clients, the same token as an HttpOnly cookie for pages, plus a CSRF token for cookie use).

use axum::Json;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, RequestId};
use super::session::{CSRF_COOKIE, Caller, SESSION_COOKIE};
use crate::app::AppState;
use crate::audit::{self, Actor, Target};
use crate::auth::{password, token};
use crate::db::{self, users::UserRecord};
use crate::domain::account::{self, Email, Role};
use crate::domain::throttle;
use crate::error::{AppError, AppResult, Problem};

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
    /// A mail address (surrounding blanks are dropped; stored in lower case).
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

pub fn parse_email(text: &str) -> AppResult<Email> {
    Email::parse(text).map_err(|why| AppError::unprocessable("invalid_email", why))
}

pub fn check_password(text: &str) -> AppResult<()> {
    account::check_password(text).map_err(|why| AppError::unprocessable("weak_password", why))
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
    let email = parse_email(&req.email)?;
    check_password(&req.password)?;
    let hash = password::hash(req.password)
        .await
        .map_err(AppError::internal)?;
    let user = create_account(
        &state.db,
        &email,
        hash,
        &[Role::Customer],
        &Actor::anonymous(),
        request_id.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Me::from(&user))))
}

/// Create an account and audit it, in one transaction; a taken email is 409.
pub async fn create_account(
    db: &sea_orm::DatabaseConnection,
    email: &Email,
    password_hash: String,
    roles: &[Role],
    actor: &Actor,
    request_id: Option<&str>,
) -> AppResult<UserRecord> {
    let (email, roles, actor, request_id) = (
        email.clone(),
        roles.to_vec(),
        actor.clone(),
        request_id.map(str::to_owned),
    );
    db.transaction::<_, UserRecord, AppError>(|txn| {
        Box::pin(async move {
            let user = match db::users::create(txn, &email, password_hash, &roles, db::now()).await
            {
                Ok(user) => user,
                Err(err) if db::is_unique_violation(&err) => {
                    return Err(AppError::conflict(
                        "email_taken",
                        "an account with this email already exists",
                    ));
                }
                Err(err) => return Err(err.into()),
            };
            let detail = serde_json::json!({ "roles": user.roles });
            audit::record(
                txn,
                &actor,
                "user.created",
                Target::user(user.id),
                request_id.as_deref(),
                detail,
            )
            .await?;
            Ok(user)
        })
    })
    .await
    .map_err(Into::into)
}

fn invalid_credentials() -> AppError {
    AppError::Unauthorized("the email or password is not right".into())
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
    // Throttle before looking at the password, so a throttled guesser learns nothing.
    let account_key = token::digest(&req.email.trim().to_lowercase());
    let client = client_address(&headers, peer, &state.settings.auth);
    if let Some(wait) = throttled(&state, &account_key, &client).await? {
        let detail = serde_json::json!({ "retry_after_secs": wait });
        audit::record_outcome(
            &state.db,
            &Actor::anonymous(),
            "auth.login_throttled",
            Target::user(Uuid::nil()),
            request_id.as_deref(),
            detail,
            audit::Outcome::Refused,
        )
        .await?;
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    let user = match Email::parse(&req.email) {
        Ok(email) => db::users::find_by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    let verified = match &user {
        Some(user) => password::verify(req.password, user.password_hash.clone()).await,
        None => {
            password::waste_time(req.password).await;
            false
        }
    };
    let user = match user {
        Some(user) if verified && !user.disabled => user,
        other => {
            let (target, reason) = match &other {
                Some(u) if u.disabled => (Target::user(u.id), "disabled"),
                Some(u) => (Target::user(u.id), "wrong_password"),
                None => (Target::user(Uuid::nil()), "unknown_account"),
            };
            let detail = serde_json::json!({ "reason": reason });
            audit::record_outcome(
                &state.db,
                &Actor::anonymous(),
                "auth.login_failed",
                target,
                request_id.as_deref(),
                detail,
                audit::Outcome::Failure,
            )
            .await?;
            db::login_failures::record(&state.db, &account_key, &client, db::now()).await?;
            return Err(invalid_credentials());
        }
    };

    db::login_failures::clear_account(&state.db, &account_key).await?;
    let (session_token, csrf_token, now) = (token::new_token(), token::new_token(), db::now());
    let lifetime = chrono::Duration::seconds(
        i64::try_from(state.settings.auth.session_absolute_secs).unwrap_or(i64::MAX / 1000),
    );
    let expires_at = now + lifetime;
    let (token_hash, csrf_hash, user_id) = (
        token::digest(&session_token),
        token::digest(&csrf_token),
        user.id,
    );
    let request_id_tx = request_id.0.clone();
    let actor = Actor::user(user.id, &user.roles);
    state
        .db
        .transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                let session = db::sessions::create(
                    txn,
                    db::sessions::NewSession {
                        user_id,
                        token_hash: &token_hash,
                        csrf_hash: &csrf_hash,
                        now,
                        expires_at,
                    },
                )
                .await?;
                let detail = serde_json::json!({ "session_id": session.id });
                audit::record(
                    txn,
                    &actor,
                    "auth.login",
                    Target::user(user_id),
                    request_id_tx.as_deref(),
                    detail,
                )
                .await?;
                Ok(())
            })
        })
        .await
        .map_err(AppError::from)?;

    let secure = if state.settings.auth.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let max_age = lifetime.num_seconds();
    let body = LoggedIn {
        token: session_token.clone(),
        csrf_token: csrf_token.clone(),
        expires_at,
        user: Me::from(&user),
    };
    let mut response = Json(body).into_response();
    set_cookie(
        &mut response,
        &format!(
            "{SESSION_COOKIE}={session_token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        ),
    );
    set_cookie(
        &mut response,
        &format!("{CSRF_COOKIE}={csrf_token}; Path=/; SameSite=Strict; Max-Age={max_age}{secure}"),
    );
    Ok(response)
}

/// The client's address: the configured proxy header's first entry, else the TCP peer.
pub(crate) fn client_address(
    headers: &HeaderMap,
    peer: SocketAddr,
    auth: &crate::config::AuthSettings,
) -> String {
    auth.client_address_header
        .as_deref()
        .and_then(|name| headers.get(name))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| peer.ip().to_string())
}

/// Seconds to wait before another login attempt for this account or from this client.
async fn throttled(state: &AppState, account_key: &str, client: &str) -> AppResult<Option<u64>> {
    let auth = &state.settings.auth;
    let window = chrono::Duration::seconds(i64::try_from(auth.failure_window_secs).unwrap_or(900));
    let now = db::now();
    let per_account = db::login_failures::for_account(&state.db, account_key, now - window).await?;
    let per_client = db::login_failures::for_client(&state.db, client, now - window).await?;
    let waits = [
        throttle::wait(
            &per_account,
            now,
            throttle::Limit {
                max_failures: auth.max_failures_per_account,
                window,
            },
        ),
        throttle::wait(
            &per_client,
            now,
            throttle::Limit {
                max_failures: auth.max_failures_per_client,
                window,
            },
        ),
    ];
    Ok(waits
        .into_iter()
        .flatten()
        .max()
        .map(|d| u64::try_from(d.num_seconds()).unwrap_or(1).max(1)))
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
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
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    request_id: RequestId,
) -> AppResult<Response> {
    let (session_id, user_id, now, request_id) =
        (caller.session_id, caller.user.id, db::now(), request_id.0);
    let actor = caller.actor();
    state
        .db
        .transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                if db::sessions::revoke(txn, session_id, now).await? {
                    let detail = serde_json::json!({ "session_id": session_id });
                    audit::record(
                        txn,
                        &actor,
                        "auth.logout",
                        Target::user(user_id),
                        request_id.as_deref(),
                        detail,
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
        .map_err(AppError::from)?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(
        &mut response,
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    set_cookie(
        &mut response,
        &format!("{CSRF_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0"),
    );
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
