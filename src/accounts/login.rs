//! Logging in and out. A login is throttled before its password is looked at (so a throttled
//! guesser learns nothing), then checked in constant work whether or not the account exists;
//! a success opens a session (a token and a CSRF token, stored only as their SHA-256) with its
//! audit event, a failure is recorded for the throttle with its audit event — and, when it
//! brings the account to a limit, one mail to the owner per trip.
//!
//! Three sliding windows (see `domain::throttle`): account + address, address, and account over
//! all addresses — the last skipped for an address the account logged in from recently, so a
//! guesser spread over many addresses is slowed and the owner on a known device is not.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor;
use crate::audit::{self, Actor, Target};
use crate::auth::{password, token};
use crate::config::AuthSettings;
use crate::db::{self, WriteTransaction, users::UserRecord};
use crate::domain::account::Email;
use crate::domain::throttle;
use crate::error::{AppError, AppResult};
use crate::outbox;

/// A login attempt: what was typed, and from where (the client's address, as the door read
/// it).
pub struct LoginAttempt {
    pub email: String,
    pub password: String,
    pub client: String,
    pub request_id: Option<String>,
}

/// An open session: its tokens (shown once), when it ends, and whose it is.
pub struct OpenSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub lifetime: chrono::Duration,
    pub user: UserRecord,
}

/// The client's address: the configured proxy header's first entry, else the TCP peer.
pub fn client_address(
    headers: &axum::http::HeaderMap,
    peer: std::net::SocketAddr,
    auth: &AuthSettings,
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

/// Log in: 429 while throttled, 401 for a wrong email or password or a disabled account (the
/// same answer for each), else a new session.
pub async fn login(
    db: &DatabaseConnection,
    auth: &AuthSettings,
    attempt: LoginAttempt,
) -> AppResult<OpenSession> {
    let account_key = token::digest(&attempt.email.trim().to_lowercase());
    let client = attempt.client;
    let user = match Email::parse(&attempt.email) {
        Ok(email) => db::users::find_by_email(db, &email).await?,
        Err(_) => None,
    };
    // Throttle before looking at the password, so a throttled guesser learns nothing.
    if let Some(wait) = throttled(db, auth, &account_key, &client, user.as_ref()).await? {
        let detail = serde_json::json!({ "retry_after_secs": wait, "client": client });
        audit::record_outcome(
            db,
            &Actor::anonymous(),
            "auth.login_throttled",
            Target::user(Uuid::nil()),
            attempt.request_id.as_deref(),
            detail,
            audit::Outcome::Refused,
        )
        .await?;
        crate::monitoring::record::login_throttled();
        return Err(AppError::TooManyRequests {
            retry_after_secs: wait,
        });
    }
    let verified = match &user {
        Some(user) => password::verify(attempt.password, user.password_hash.clone()).await,
        None => {
            password::waste_time(attempt.password).await;
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
                request_id: attempt.request_id,
            };
            record_failure(db, auth, failure).await?;
            crate::monitoring::record::login_failed();
            return Err(invalid_credentials());
        }
    };

    db::login_failures::clear_account_client(db, &account_key, &client).await?;
    let (session_token, csrf_token, now) = (token::new_token(), token::new_token(), db::now());
    let lifetime = chrono::Duration::seconds(
        i64::try_from(auth.session_absolute_secs).unwrap_or(i64::MAX / 1000),
    );
    let expires_at = now + lifetime;
    let (token_hash, csrf_hash, user_id) = (
        token::digest(&session_token),
        token::digest(&csrf_token),
        user.id,
    );
    let request_id_tx = attempt.request_id.clone();
    let actor = Actor::user(user.id, &user.roles);
    db.write_transaction::<_, (), AppError>(|txn| {
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
    .await?;

    Ok(OpenSession {
        token: session_token,
        csrf_token,
        expires_at,
        lifetime,
        user,
    })
}

/// End session `session_id` of the actor (its token stops working at once); ending one that
/// already ended changes nothing.
pub async fn logout(
    db: &DatabaseConnection,
    actor: &actor::Actor,
    session_id: Uuid,
) -> AppResult<()> {
    let (now, actor) = (db::now(), actor.clone());
    db.write_transaction::<_, (), AppError>(|txn| {
        Box::pin(async move {
            if db::sessions::revoke(txn, session_id, now).await? {
                let detail = serde_json::json!({ "session_id": session_id });
                audit::record(
                    txn,
                    &actor.audit(),
                    "auth.logout",
                    Target::user(actor.id),
                    actor.request_id(),
                    detail,
                )
                .await?;
            }
            Ok(())
        })
    })
    .await
}

fn invalid_credentials() -> AppError {
    AppError::Unauthorized("the email or password is not right".into())
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
    db: &DatabaseConnection,
    auth: &AuthSettings,
    account_key: &str,
    client: &str,
    user: Option<&UserRecord>,
) -> AppResult<Option<u64>> {
    let window = failure_window(auth);
    let now = db::now();
    let since = now - window;
    let limit = |max_failures| throttle::Limit {
        max_failures,
        window,
    };
    let pair = db::login_failures::for_account_client(db, account_key, client, since).await?;
    let per_client = db::login_failures::for_client(db, client, since).await?;
    let mut waits = vec![
        throttle::wait(&pair, now, limit(auth.max_failures_per_account_client)),
        throttle::wait(&per_client, now, limit(auth.max_failures_per_client)),
    ];
    if !known_client(db, auth, user, client, now).await? {
        let per_account = db::login_failures::for_account(db, account_key, since).await?;
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
    db: &DatabaseConnection,
    auth: &AuthSettings,
    user: Option<&UserRecord>,
    client: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Ok(false);
    };
    let since = now - chrono::Duration::days(i64::from(auth.known_client_days));
    Ok(db::login_failures::logged_in_from(db, user.id, client, since).await?)
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
async fn record_failure(
    db: &DatabaseConnection,
    auth: &AuthSettings,
    failure: Failure,
) -> AppResult<()> {
    let (target, reason) = match &failure.user {
        Some(u) if u.disabled => (Target::user(u.id), "disabled"),
        Some(u) => (Target::user(u.id), "wrong_password"),
        None => (Target::user(Uuid::nil()), "unknown_account"),
    };
    let detail = serde_json::json!({ "reason": reason, "client": failure.client });
    let owner = failure.user.as_ref().filter(|u| !u.disabled).map(|u| u.id);
    let (auth, now) = (auth.clone(), db::now());
    db.write_transaction::<_, (), AppError>(|txn| {
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

/// A live session found by its token: whose it is, and the hash its CSRF token must match.
pub struct LiveSession {
    pub user: UserRecord,
    pub session_id: Uuid,
    pub csrf_hash: String,
}

/// The live session behind `session_token` (not revoked, not expired, not idle too long, its
/// account not disabled), its last use noted at most once a minute; `None` for anything else.
pub async fn resume(
    db: &DatabaseConnection,
    auth: &AuthSettings,
    session_token: &str,
) -> AppResult<Option<LiveSession>> {
    let now = db::now();
    let idle =
        chrono::Duration::seconds(i64::try_from(auth.session_idle_secs).unwrap_or(i64::MAX / 1000));
    let Some(live) =
        db::sessions::find_live(db, &token::digest(session_token), now, now - idle).await?
    else {
        return Ok(None);
    };
    if live.user.disabled {
        return Ok(None);
    }
    if now - live.last_seen_at > chrono::Duration::seconds(60) {
        let _turn = db::writer_turn(db).await;
        db::sessions::touch(db, live.session_id, now).await?;
    }
    Ok(Some(LiveSession {
        user: live.user,
        session_id: live.session_id,
        csrf_hash: live.csrf_hash,
    }))
}

/// `sent` is the CSRF token of the session whose token hash is `csrf_hash`.
pub fn csrf_matches(csrf_hash: &str, sent: &str) -> bool {
    !sent.is_empty() && token::digest(sent) == csrf_hash
}
