//! The JSON API's side of `Idempotency-Key`: the stored answer to a repeated request, as a
//! response. Claiming keys and creating once live in the service `crate::idempotency`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub use crate::idempotency::{Once, answer_body, create_once};

use super::extract::etag;

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
