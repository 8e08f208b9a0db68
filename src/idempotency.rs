//! Creating at most once per key — the JSON API's `Idempotency-Key` (orders, payments, live
//! sessions, iterations) and the pages' per-form keys (a double-clicked "create" makes one
//! order) — in one place: [`create_once`] claims the key for the request's hash, runs the creation in a write
//! transaction that also stores its answer under the key, and gives the key back when the
//! creation fails; a repeat gets the stored answer, another body with the same key a 422, a
//! repeat while the first still runs a 409.
//!
//! A fresh claim comes with a [`Heartbeat`]: a task that renews the claim's short lease every
//! `idempotency.renew_secs` until the handler drops it — after its transaction committed or
//! failed, or when the request itself is dropped. A process that dies stops renewing, so a
//! retry on any replica takes the key over within one lease (`idempotency.lease_secs`).

use std::future::Future;
use std::pin::Pin;

use sea_orm::DatabaseTransaction;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{self, WriteTransaction, idempotency::Claim, idempotency::Lease};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;

/// What claiming a key decided: go ahead (holding the lease, kept alive by the heartbeat for
/// as long as the handler holds it), or the answer to give now.
pub enum Claimed {
    Fresh(Lease, Heartbeat),
    /// The stored answer (status and body) of the request that used the key first.
    Answered {
        status: u16,
        body: serde_json::Value,
    },
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
                let renewed = {
                    let _turn = db::writer_turn(&db).await;
                    db::idempotency::renew(&db, &owner, &key, lease, db::now(), settings.lease())
                        .await
                };
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
    let claimed = {
        let _turn = db::writer_turn(&state.db).await;
        db::idempotency::claim(&state.db, owner, key, hash, db::now(), lease_for).await?
    };
    match claimed {
        Claim::Fresh(lease) => Ok(Claimed::Fresh(
            lease,
            Heartbeat::start(state, owner, key, lease),
        )),
        Claim::Replay { status, body } => Ok(Claimed::Answered { status, body }),
        Claim::Mismatch => Err(AppError::unprocessable(
            Code::IdempotencyKeyReused,
            "this Idempotency-Key was already used for a different request",
        )),
        Claim::InProgress => Err(key_in_progress()),
    }
}

pub fn key_in_progress() -> AppError {
    AppError::conflict(
        Code::IdempotencyRequestInProgress,
        "a request with this Idempotency-Key is still being processed; retry shortly",
    )
}

/// What [`create_once`] produced: the new thing (its answer stored under the key in the same
/// transaction), or the stored answer to a repeated request.
pub enum Once<T> {
    Created(T),
    /// The stored answer to the first request with this key.
    Replayed {
        status: u16,
        body: serde_json::Value,
    },
}

/// Create at most once per `owner`'s `key`: `request` (what identifies the request: its body,
/// with the path's ids where they matter) is hashed and the key claimed; `create` runs in a
/// write transaction and returns the new thing with the answer body to store, which commits
/// with it. A failed creation gives the key back, so a retry may try again.
pub async fn create_once<R, T, F>(
    state: &AppState,
    owner: &str,
    key: &str,
    request: &R,
    create: F,
) -> AppResult<Once<T>>
where
    R: Serialize + ?Sized,
    T: Send + 'static,
    F: 'static
        + for<'c> FnOnce(
            &'c DatabaseTransaction,
        ) -> Pin<
            Box<dyn Future<Output = AppResult<(T, serde_json::Value)>> + Send + 'c>,
        >
        + Send,
{
    let hash = hex::encode(Sha256::digest(
        serde_json::to_vec(request).map_err(AppError::internal)?,
    ));
    // The heartbeat keeps the claim alive until this function returns (or is dropped).
    let (lease, _heartbeat) = match claim(state, owner, key, &hash).await? {
        Claimed::Fresh(lease, heartbeat) => (lease, heartbeat),
        Claimed::Answered { status, body } => return Ok(Once::Replayed { status, body }),
    };
    let (owner_tx, key_tx) = (owner.to_owned(), key.to_owned());
    let created = state
        .db
        .write_transaction::<_, T, AppError>(move |txn| {
            Box::pin(async move {
                let (created, body) = create(txn).await?;
                let code = 201;
                if !db::idempotency::store_response(txn, &owner_tx, &key_tx, lease, code, &body)
                    .await?
                {
                    // Our lease ran out and another request took the key: it creates instead.
                    return Err(key_in_progress());
                }
                Ok(created)
            })
        })
        .await;
    if created.is_err()
        && let Err(err) = {
            let _turn = db::writer_turn(&state.db).await;
            db::idempotency::release(&state.db, owner, key, lease).await
        }
    {
        tracing::error!(error = %err, "could not release an idempotency key");
    }
    created.map(Once::Created)
}

/// The body to store for a created `value`.
pub fn answer_body(value: &impl Serialize) -> AppResult<serde_json::Value> {
    serde_json::to_value(value).map_err(AppError::internal)
}
