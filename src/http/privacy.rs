//! The customer's privacy controls on an order: keep the raw samples for follow-up iterations
//! (or let the retention policy purge them), ask for erasure, and read the certificate of
//! destruction afterwards.

use crate::db::WriteTransaction;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, IfMatch, RequestId};
use super::orders::order_response;
use super::session::Caller;
use crate::audit::{self, Target};
use crate::db::{self, erasure::DeletedObject};
use crate::error::{AppError, AppResult, Code, Problem};
use crate::orders;
use crate::privacy::erasure::{self, Outcome};
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
    let order = orders::load_own(&state.db, &caller.acting(), id).await?;
    orders::check_version(&order, expected)?;
    if order.erased_at.is_some() {
        return Err(AppError::conflict(
            Code::OrderErased,
            "this order was erased",
        ));
    }
    if order.samples_purged_at.is_some() {
        return Err(AppError::conflict(
            Code::SamplesAlreadyPurged,
            "the raw samples were already purged under the retention policy",
        ));
    }
    let mut change = order.unchanged(db::now());
    change.keep_samples = req.keep_for_iterations;
    let detail = serde_json::json!({ "keep_for_iterations": req.keep_for_iterations });
    let updated = orders::apply(
        &state.db,
        &caller.acting(),
        &order,
        expected,
        change,
        "order.sample_retention_changed",
        detail,
    )
    .await?;
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
    request_id: RequestId,
    ApiJson(req): ApiJson<ErasureRequest>,
) -> AppResult<Response> {
    let order = orders::load_own(&state.db, &caller.acting(), id).await?;
    if order.erased_at.is_some() {
        return Err(already_erased());
    }
    if req.confirm_reference.trim() != order.reference {
        return Err(AppError::unprocessable(
            Code::ConfirmationMismatch,
            "confirm_reference must be the order's reference",
        ));
    }
    let outcome = erasure::request(
        &state,
        id,
        "customer_request",
        &caller.actor(),
        request_id.as_deref(),
    )
    .await?;
    if outcome == Outcome::AlreadyErased {
        return Err(already_erased());
    }
    certificate(&state, &caller, id, request_id.as_deref()).await
}

fn already_erased() -> AppError {
    AppError::conflict(Code::AlreadyErased, "this order was already erased")
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmptyPrefix {
    /// Every object of the order lived under this prefix …
    pub prefix: String,
    /// … and listing it found nothing left at this time.
    pub listed_empty_at: DateTime<Utc>,
}

/// What was destroyed, and when (object keys, kinds and sizes; never file names or content).
#[derive(Debug, Serialize, ToSchema)]
pub struct DestructionCertificate {
    pub certificate_id: Uuid,
    pub order_id: Uuid,
    pub reference: String,
    /// withdrawal, customer_request or data_rights_request.
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub completed_at: DateTime<Utc>,
    pub objects_deleted: Vec<DeletedObject>,
    /// Rows whose personal fields were scrubbed, per table. The audit trail and the consent
    /// ledger are kept without personal data; the ledger still verifies.
    #[schema(value_type = Object)]
    pub records_scrubbed: serde_json::Value,
    pub verification: EmptyPrefix,
    /// The data controller.
    pub issued_by: String,
    /// When it was first issued: the certificate is issued once, and every later read returns
    /// the same document (and digest).
    pub issued_at: DateTime<Utc>,
    /// SHA-256 of this certificate's other fields (as JSON): quote it to prove a copy unaltered.
    pub digest: String,
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
    request_id: RequestId,
) -> AppResult<Response> {
    orders::load(&state.db, &caller.acting(), id).await?;
    certificate(&state, &caller, id, request_id.as_deref()).await
}

/// The certificate of an erased order. It is built from the erasure record the first time it
/// is asked for and stored then (a conditional write: of concurrent first readers, one stores
/// and all return what was stored); every later read returns the stored text byte for byte,
/// so its digest never changes. Each issue to a reader is audited (with the first issue, in
/// its transaction).
async fn certificate(
    state: &AppState,
    caller: &Caller,
    order_id: Uuid,
    request_id: Option<&str>,
) -> AppResult<Response> {
    let record = db::erasure::find(&state.db, order_id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::NotErased, "this order has not been erased"))?;
    let actor = caller.actor();
    let text = match record.certificate.clone() {
        // Stored text never changes: no need to read it again under a lock.
        Some(text) => {
            audit_issue(&state.db, &actor, order_id, request_id, &text).await?;
            text
        }
        None => {
            let fresh = build_certificate(state, record).await?;
            let request_id = request_id.map(str::to_owned);
            state
                .db
                .write_transaction::<_, String, AppError>(|txn| {
                    Box::pin(async move {
                        // The write comes first, so the transaction holds the lock it needs.
                        db::erasure::store_certificate(txn, order_id, &fresh).await?;
                        let text = db::erasure::find(txn, order_id)
                            .await?
                            .and_then(|r| r.certificate)
                            .ok_or_else(|| {
                                AppError::internal("an issued certificate is missing")
                            })?;
                        audit_issue(txn, &actor, order_id, request_id.as_deref(), &text).await?;
                        Ok(text)
                    })
                })
                .await?
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// The audit event of one issue of the certificate `text`.
async fn audit_issue(
    conn: &impl sea_orm::ConnectionTrait,
    actor: &audit::Actor,
    order_id: Uuid,
    request_id: Option<&str>,
    text: &str,
) -> AppResult<()> {
    let issued: serde_json::Value = serde_json::from_str(text).map_err(AppError::internal)?;
    let detail = serde_json::json!({
        "certificate_id": issued["certificate_id"],
        "digest": issued["digest"],
    });
    audit::record(
        conn,
        actor,
        "order.destruction_certificate_issued",
        Target::order(order_id),
        request_id,
        detail,
    )
    .await?;
    Ok(())
}

/// The certificate's text as first issued: the erasure record's facts, the issue time and the
/// digest over them.
async fn build_certificate(state: &AppState, record: db::erasure::ErasureRow) -> AppResult<String> {
    let order = db::orders::find(&state.db, record.order_id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::OrderNotFound, "no such order"))?;
    let objects: Vec<DeletedObject> =
        serde_json::from_value(record.objects_deleted).map_err(AppError::internal)?;
    let mut cert = DestructionCertificate {
        certificate_id: record.id,
        order_id: record.order_id,
        reference: order.reference,
        reason: record.reason,
        requested_at: record.requested_at,
        completed_at: record.completed_at,
        objects_deleted: objects,
        records_scrubbed: record.records_scrubbed,
        verification: EmptyPrefix {
            prefix: crate::domain::sample::order_prefix(record.order_id),
            listed_empty_at: record.prefix_empty_at,
        },
        issued_by: state.settings.studio.name.clone(),
        issued_at: db::now(),
        digest: String::new(),
    };
    let body = serde_json::to_vec(&cert).map_err(AppError::internal)?;
    cert.digest = hex::encode(Sha256::digest(&body));
    serde_json::to_string(&cert).map_err(AppError::internal)
}
