//! `/metrics`: the gauges read from the data at scrape time, then everything in Prometheus
//! text format. Served on the metrics listener, or on the main one behind the token; the
//! token, when set, is asked for on both.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics::gauge;
use sea_orm::{ConnectionTrait, DatabaseBackend};
use sha2::{Digest, Sha256};

use super::recorder::{
    self, ORDERS, ORDERS_FLAGGED, OUTBOX_MESSAGES, OUTBOX_OLDEST_QUEUED, POOL_CONNECTIONS,
    POOL_MAX, READY,
};
use crate::db::{self, outbox::DeliveryStatus};
use crate::domain::order::OrderStatus;
use crate::error::{AppError, Code};
use crate::state::AppState;

/// How long the readiness probe inside a scrape may wait for the database or the store.
const PROBE_LIMIT: Duration = Duration::from_secs(2);

/// `/metrics` for the main listener's router.
pub fn on_main_listener() -> axum::Router<AppState> {
    axum::Router::new().route("/metrics", axum::routing::get(guarded))
}

/// The metrics listener's whole router: `/metrics` and nothing else.
pub fn own_listener(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(on_own_listener))
        .with_state(state)
}

/// `GET /metrics` on the main listener: absent unless a token is configured, then only for it.
async fn guarded(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.settings.metrics.token.as_ref() else {
        return AppError::not_found(Code::RouteNotFound, "No such route.").into_response();
    };
    if !presents(&headers, token.expose()) {
        return AppError::Unauthorized("metrics need the metrics token".into()).into_response();
    }
    text(&state).await
}

/// `GET /metrics` on the metrics listener: the token is asked for only when one is configured.
async fn on_own_listener(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = state.settings.metrics.token.as_ref()
        && !presents(&headers, token.expose())
    {
        return AppError::Unauthorized("metrics need the metrics token".into()).into_response();
    }
    text(&state).await
}

/// Whether the request carries `Authorization: Bearer <token>` (compared by digest, so the
/// time taken says nothing about how much of a guess was right).
fn presents(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    Sha256::digest(given.as_bytes()) == Sha256::digest(token.as_bytes())
}

async fn text(state: &AppState) -> Response {
    let Some(handle) = recorder::handle() else {
        return AppError::Unavailable("metrics are not recorded in this process".into())
            .into_response();
    };
    refresh(state).await;
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

/// Set the gauges that describe the data and the process's connections now.
async fn refresh(state: &AppState) {
    pool(state);
    let ready = ready(state).await;
    gauge!(READY).set(if ready { 1.0 } else { 0.0 });
    if !ready {
        return;
    }
    match db::gauges::orders(&state.db).await {
        Ok(counts) => {
            for status in OrderStatus::ALL {
                let n = counts
                    .by_status
                    .iter()
                    .find(|(s, _)| s == status.as_str())
                    .map_or(0, |(_, n)| *n);
                gauge!(ORDERS, "status" => status.as_str()).set(n as f64);
            }
            gauge!(ORDERS_FLAGGED, "flag" => "at_risk").set(counts.at_risk as f64);
            gauge!(ORDERS_FLAGGED, "flag" => "overdue").set(counts.overdue as f64);
        }
        Err(err) => tracing::warn!(error = %err, "metrics: orders could not be counted"),
    }
    match db::outbox::counts(&state.db).await {
        Ok(counts) => {
            for status in DeliveryStatus::ALL {
                let n = counts
                    .iter()
                    .find(|(s, _)| s == status.as_str())
                    .map_or(0, |(_, n)| *n);
                gauge!(OUTBOX_MESSAGES, "status" => status.as_str()).set(n as f64);
            }
        }
        Err(err) => tracing::warn!(error = %err, "metrics: the outbox could not be counted"),
    }
    match db::gauges::oldest_queued_message(&state.db).await {
        Ok(oldest) => {
            let age = oldest.map_or(0.0, |at| {
                (db::now() - at).num_milliseconds().max(0) as f64 / 1e3
            });
            gauge!(OUTBOX_OLDEST_QUEUED).set(age);
        }
        Err(err) => tracing::warn!(error = %err, "metrics: the outbox's oldest message could not be read"),
    }
}

/// The database pool's connections in use and idle, and its ceiling.
fn pool(state: &AppState) {
    let (size, idle, max) = match state.db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let pool = state.db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        DatabaseBackend::Postgres => {
            let pool = state.db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    gauge!(POOL_CONNECTIONS, "state" => "in_use").set(f64::from(size - idle));
    gauge!(POOL_CONNECTIONS, "state" => "idle").set(f64::from(idle));
    gauge!(POOL_MAX).set(f64::from(max));
}

/// What `/readyz` checks: the database and the object store answer (each within the limit).
async fn ready(state: &AppState) -> bool {
    let database = tokio::time::timeout(PROBE_LIMIT, state.db.execute_unprepared("SELECT 1"));
    let store = tokio::time::timeout(PROBE_LIMIT, state.store.ping());
    let (database, store) = tokio::join!(database, store);
    matches!(database, Ok(Ok(_))) && matches!(store, Ok(Ok(_)))
}
