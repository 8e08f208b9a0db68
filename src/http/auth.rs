//! `/api/v1/auth/{register,login,logout}` and `/api/v1/me`: customers sign themselves up;
//! everyone logs in with email and password and gets a session (a Bearer token for API
//! clients, the same token as an HttpOnly cookie for pages, plus a CSRF token for cookie use).

use axum::Json;
use std::net::SocketAddr;

use crate::db::WriteTransaction;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, RequestId};
use super::session::{CSRF_COOKIE, Caller, SESSION_COOKIE};
use crate::accounts;
use crate::audit::{self, Actor, Target};
use crate::auth::{password, token};
use crate::config::AuthSettings;
use crate::db::{self, users::UserRecord};
use crate::domain::account::{Email, Role};
use crate::domain::throttle;
use crate::error::{AppError, AppResult, Problem};
use crate::outbox;
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
    let account_key = token::digest(&req.email.trim().to_lowercase());
    let client = client_address(&headers, peer, &state.settings.auth);
    let user = match Email::parse(&req.email) {
        Ok(email) => db::users::find_by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    // Throttle before looking at the password, so a throttled guesser learns nothing.
    if let Some(wait) = throttled(&state, &account_key, &client, user.as_ref()).await? {
        let detail = serde_json::json!({ "retry_after_secs": wait, "client": client });
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
            let failure = Failure {
                account_key,
                client,
                user: other,
                request_id: request_id.0,
            };
            record_failure(&state, failure).await?;
            return Err(invalid_credentials());
        }
    };

    db::login_failures::clear_account_client(&state.db, &account_key, &client).await?;
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
        .write_transaction::<_, (), AppError>(|txn| {
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
                // The address makes it known to the throttle (`login_failures::logged_in_from`).
                let detail = serde_json::json!({ "session_id": session.id, "client": client });
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

fn failure_window(auth: &AuthSettings) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(auth.failure_window_secs).unwrap_or(900))
}

fn reached(failures: usize, max_failures: usize) -> bool {
    max_failures > 0 && failures >= max_failures
}

/// Seconds to wait before another login attempt on this account from this client: the
/// account-and-address limit, the address limit and — unless the account recently logged in
/// from this address — the account-wide limit (see `domain::throttle`).
async fn throttled(
    state: &AppState,
    account_key: &str,
    client: &str,
    user: Option<&UserRecord>,
) -> AppResult<Option<u64>> {
    let auth = &state.settings.auth;
    let window = failure_window(auth);
    let now = db::now();
    let since = now - window;
    let limit = |max_failures| throttle::Limit {
        max_failures,
        window,
    };
    let pair =
        db::login_failures::for_account_client(&state.db, account_key, client, since).await?;
    let per_client = db::login_failures::for_client(&state.db, client, since).await?;
    let mut waits = vec![
        throttle::wait(&pair, now, limit(auth.max_failures_per_account_client)),
        throttle::wait(&per_client, now, limit(auth.max_failures_per_client)),
    ];
    if !known_client(state, user, client, now).await? {
        let per_account = db::login_failures::for_account(&state.db, account_key, since).await?;
        waits.push(throttle::wait(
            &per_account,
            now,
            limit(auth.max_failures_per_account),
        ));
    }
    Ok(waits
        .into_iter()
        .flatten()
        .max()
        .map(|d| u64::try_from(d.num_seconds()).unwrap_or(1).max(1)))
}

/// Did this (existing, enabled) account log in from this address within `known_client_days`?
async fn known_client(
    state: &AppState,
    user: Option<&UserRecord>,
    client: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Ok(false);
    };
    let since = now - chrono::Duration::days(i64::from(state.settings.auth.known_client_days));
    Ok(db::login_failures::logged_in_from(&state.db, user.id, client, since).await?)
}

/// A failed login attempt, as recorded.
struct Failure {
    account_key: String,
    client: String,
    /// The account the email named, if there is one.
    user: Option<UserRecord>,
    request_id: Option<String>,
}

/// Record a failed login in one transaction: its audit event (with the client's address), the
/// failure the throttle counts and, when this failure trips one of the account's limits, the
/// owner's alert.
async fn record_failure(state: &AppState, failure: Failure) -> AppResult<()> {
    let (target, reason) = match &failure.user {
        Some(u) if u.disabled => (Target::user(u.id), "disabled"),
        Some(u) => (Target::user(u.id), "wrong_password"),
        None => (Target::user(Uuid::nil()), "unknown_account"),
    };
    let detail = serde_json::json!({ "reason": reason, "client": failure.client });
    let owner = failure.user.as_ref().filter(|u| !u.disabled).map(|u| u.id);
    let (auth, now) = (state.settings.auth.clone(), db::now());
    state
        .db
        .write_transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                audit::record_outcome(
                    txn,
                    &Actor::anonymous(),
                    "auth.login_failed",
                    target,
                    failure.request_id.as_deref(),
                    detail,
                    audit::Outcome::Failure,
                )
                .await?;
                db::login_failures::record(txn, &failure.account_key, &failure.client, now).await?;
                if let Some(owner) = owner {
                    alert_owner_if_tripped(txn, &auth, owner, &failure, now).await?;
                }
                Ok(())
            })
        })
        .await
        .map_err(AppError::from)
}

/// Tell the owner when this failure brought the account to one of its limits — once per trip
/// (`domain::throttle::same_trip`): a mail to the account and its audit event. The account's
/// row lock makes concurrent failures decide one after the other.
async fn alert_owner_if_tripped(
    txn: &sea_orm::DatabaseTransaction,
    auth: &AuthSettings,
    owner: Uuid,
    failure: &Failure,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let window = failure_window(auth);
    let since = now - window;
    let (key, client) = (failure.account_key.as_str(), failure.client.as_str());
    let from_client = db::login_failures::for_account_client(txn, key, client, since)
        .await?
        .len();
    // A day back (as long as failures are kept), so a trip's start can be told apart.
    let recent = db::login_failures::for_account(txn, key, now - chrono::Duration::days(1)).await?;
    let in_window = recent.iter().filter(|t| **t > since).count();
    let tripped = reached(from_client, auth.max_failures_per_account_client)
        || reached(in_window, auth.max_failures_per_account);
    if !tripped || !db::users::lock(txn, owner).await? {
        return Ok(());
    }
    let alerted =
        db::login_failures::last_alert(txn, owner, now - chrono::Duration::days(1)).await?;
    if alerted.is_some_and(|at| throttle::same_trip(at, &recent, now, window)) {
        return Ok(());
    }
    let message = serde_json::json!({ "user_id": owner, "tripped_at": now });
    outbox::enqueue(
        txn,
        "account.login_throttled",
        None,
        outbox::Audience::Customer,
        message,
    )
    .await?;
    let detail = serde_json::json!({
        "client": client, "failures_from_client": from_client, "failures_in_window": in_window,
    });
    audit::record(
        txn,
        &Actor::system("login-throttle"),
        "auth.login_alerted",
        Target::user(owner),
        failure.request_id.as_deref(),
        detail,
    )
    .await
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
        .write_transaction::<_, (), AppError>(|txn| {
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
