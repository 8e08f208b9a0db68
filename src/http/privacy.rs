//! The customer's privacy controls on an order: keep the raw samples for follow-up iterations
//! (or let the retention policy purge them), ask for erasure, and read the certificate of
//! destruction afterwards.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, IfMatch};
use super::orders::order_response;
use super::session::Caller;
use crate::error::{AppResult, Problem};
use crate::privacy::certificate::DestructionCertificate;
use crate::privacy::controls;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_sample_retention))
        .routes(routes!(request_erasure))
        .routes(routes!(destruction_certificate))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleRetention {
    /// Keep the raw samples after delivery for follow-up iterations (no retention purge).
    pub keep_for_iterations: bool,
}

/// Choose whether the raw samples outlive the retention period after delivery (the customer;
/// If-Match). Refused once they are purged or the order is erased.
#[utoipa::path(
    put, path = "/api/v1/orders/{id}/sample-retention", tag = "privacy",
    request_body = SampleRetention,
    params(IfMatch, ("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer", body = Problem),
        (status = 200, description = "The order with the choice recorded", body = super::orders::OrderView),
        (status = 400, description = "Malformed JSON or If-Match", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "samples_already_purged, order_erased", body = Problem),
        (status = 412, description = "The order changed since it was read", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Invalid body", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    )
)]
async fn set_sample_retention(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    if_match: IfMatch,
    ApiJson(req): ApiJson<SampleRetention>,
) -> AppResult<Response> {
    let expected = if_match.required()?;
    let keep = req.keep_for_iterations;
    let updated = controls::keep_samples(&state, &caller.acting(), id, expected, keep).await?;
    Ok(order_response(StatusCode::OK, &updated))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The order's reference (`KS-2026-000123`), typed again: erasure cannot be undone.
    pub confirm_reference: String,
}

/// Erase the order now (its customer): an active order stops (withdrawn), every object is
/// deleted, personal data is scrubbed, and the certificate of destruction is returned.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/erasure", tag = "privacy",
    request_body = ErasureRequest,
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer", body = Problem),
        (status = 200, description = "Erased: the certificate of destruction", body = DestructionCertificate),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "already_erased", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "confirmation_mismatch, invalid_body", body = Problem),
    )
)]
async fn request_erasure(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ErasureRequest>,
) -> AppResult<Response> {
    let text = controls::erase_now(&state, &caller.acting(), id, &req.confirm_reference).await?;
    Ok(json_text(text))
}

/// The certificate of destruction of an erased order (its customer and the studio); issuing
/// it is audited.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/destruction-certificate", tag = "privacy",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 401, description = "Not logged in", body = Problem),
        (status = 200, description = "The certificate", body = DestructionCertificate),
        (status = 404, description = "No such order, or it is not erased (not_erased)", body = Problem),
    )
)]
async fn destruction_certificate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Response> {
    let text = controls::certificate_of(&state, &caller.acting(), id).await?;
    Ok(json_text(text))
}

/// A stored JSON document, sent byte for byte.
fn json_text(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}
