//! Answers shared by the routes that create with an `Idempotency-Key` (orders, payments, live
//! sessions, iterations): claiming the key, the stored answer replayed, and the refusal while
//! the first request still runs.
//!
//! A fresh claim comes with a [`Heartbeat`]: a task that renews the claim's short lease every
//! `idempotency.renew_secs` until the handler drops it — after its transaction committed or
//! failed, or when the request itself is dropped. A process that dies stops renewing, so a
//! retry on any replica takes the key over within one lease (`idempotency.lease_secs`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::etag;
use crate::db::{self, idempotency::Claim, idempotency::Lease};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What claiming a key decided: go ahead (holding the lease, kept alive by the heartbeat for
/// as long as the handler holds it), or the answer to give now.
pub enum Claimed {
    Fresh(Lease, Heartbeat),
    Answered(Response),
}

/// Renews a claimed key's lease in the background; dropping it stops the renewals.
pub struct Heartbeat(tokio::task::JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Heartbeat {
    /// Start renewing `lease` on `owner`'s `key` with the intervals of `state`'s settings.
    pub fn start(state: &AppState, owner: &str, key: &str, lease: Lease) -> Self {
        let (db, owner, key) = (state.db.clone(), owner.to_owned(), key.to_owned());
        let settings = state.settings.idempotency.clone();
        Self(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(settings.renew_interval());
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let renewed =
                    db::idempotency::renew(&db, &owner, &key, lease, db::now(), settings.lease())
                        .await;
                match renewed {
                    Ok(true) => {}
                    // Answered, given back, or taken over: nothing left to keep alive.
                    Ok(false) => return,
                    Err(err) => {
                        tracing::warn!(error = %err, "could not renew an idempotency key's lease")
                    }
                }
            }
        }))
    }
}

/// Claim `key` for `owner` and the request's `hash`: a fresh key proceeds; a repeat with the
/// same body gets the stored answer; another body is `422 idempotency_key_reused`; a repeat
/// while the first still runs is `409 idempotency_request_in_progress`.
pub async fn claim(state: &AppState, owner: &str, key: &str, hash: &str) -> AppResult<Claimed> {
    let lease_for = state.settings.idempotency.lease();
    match db::idempotency::claim(&state.db, owner, key, hash, db::now(), lease_for).await? {
        Claim::Fresh(lease) => Ok(Claimed::Fresh(
            lease,
            Heartbeat::start(state, owner, key, lease),
        )),
        Claim::Replay { status, body } => Ok(Claimed::Answered(replay(status, body))),
        Claim::Mismatch => Err(AppError::unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was already used for a different request",
        )),
        Claim::InProgress => Err(key_in_progress()),
    }
}

pub fn key_in_progress() -> AppError {
    AppError::conflict(
        "idempotency_request_in_progress",
        "a request with this Idempotency-Key is still being processed; retry shortly",
    )
}

/// The stored answer to a repeated request, marked `Idempotent-Replayed: true` (with the
/// `ETag` when the answer is a versioned resource).
pub fn replay(status: u16, body: serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let version = body.get("version").and_then(serde_json::Value::as_i64);
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    if let Some(value) = version
        .and_then(|v| i32::try_from(v).ok())
        .and_then(|v| HeaderValue::from_str(&etag(v)).ok())
    {
        headers.insert(header::ETAG, value);
    }
    response
}
