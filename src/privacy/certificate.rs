//! The certificate of destruction of an erased order: what was destroyed and when (object
//! keys, kinds and sizes; never file names or content), the rows scrubbed, the empty prefix,
//! who issued it and a digest over it all.
//!
//! It is built from the erasure record the first time it is asked for and stored then (a
//! conditional write: of concurrent first readers, one stores and all return what was stored);
//! every later read returns the stored text byte for byte, so its digest never changes. Each
//! issue to a reader is audited (with the first issue, in its transaction).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, WriteTransaction, erasure::DeletedObject};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;

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

/// The certificate of erased order `order_id` as JSON text (404 `not_erased` before its
/// erasure). The caller has checked that the actor may see the order.
pub async fn issue(state: &AppState, actor: &Actor, order_id: Uuid) -> AppResult<String> {
    let record = db::erasure::find(&state.db, order_id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::NotErased, "this order has not been erased"))?;
    let (request_id, actor) = (actor.request_id(), actor.audit());
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
    Ok(text)
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
