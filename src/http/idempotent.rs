//! Answers shared by the routes that create with an `Idempotency-Key` (orders, payments, live
//! sessions, iterations): claiming the key, the stored answer replayed, and the refusal while
//! the first request still runs.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::etag;
use crate::app::AppState;
use crate::db::{self, idempotency::Claim, idempotency::Lease};
use crate::error::{AppError, AppResult};

/// What claiming a key decided: go ahead (holding the lease), or the answer to give now.
pub enum Claimed {
    Fresh(Lease),
    Answered(Response),
}

/// Claim `key` for `owner` and the request's `hash`: a fresh key proceeds; a repeat with the
/// same body gets the stored answer; another body is `422 idempotency_key_reused`; a repeat
/// while the first still runs is `409 idempotency_request_in_progress`.
pub async fn claim(state: &AppState, owner: &str, key: &str, hash: &str) -> AppResult<Claimed> {
    match db::idempotency::claim(&state.db, owner, key, hash, db::now()).await? {
        Claim::Fresh(lease) => Ok(Claimed::Fresh(lease)),
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
