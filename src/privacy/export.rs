//! The export an approved access or copy request produces: what the studio holds about the
//! order, as JSON, stored beside the order's files (so an erasure takes it too). Links to the
//! sample files are not stored in it: they are signed afresh (and audited) at each download.
//! Other parties' identities (consent signers' names, addresses, user agents) are left out:
//! the request is about the subject's data, not theirs.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::{self, orders::OrderRecord};
use crate::domain::order::OrderStatus;
use crate::domain::sample::{UploadPurpose, order_prefix};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Where a request's export is stored.
pub fn key(order_id: Uuid, request_id: Uuid) -> String {
    format!("{}exports/{request_id}.json", order_prefix(order_id))
}

/// Build the export of `order` for request `request_id`, store it, and return its key.
/// `for_customer`: the requester is the order's customer. A relative's export leaves out the
/// customer's own intake answers (their grief, their family, their support), which are the
/// customer's data, not the subject's.
pub async fn write(
    state: &AppState,
    order: &OrderRecord,
    request_id: Uuid,
    for_customer: bool,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let mut document = build(state, order, request_id, now).await?;
    if !for_customer {
        document["order"]["intake"] = Value::Null;
    }
    let body = serde_json::to_vec_pretty(&document).map_err(AppError::internal)?;
    let key = key(order.id, request_id);
    state
        .store
        .put_small(&key, "application/json", body)
        .await?;
    Ok(key)
}

async fn build(
    state: &AppState,
    order: &OrderRecord,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Value> {
    let samples = db::samples::list_for_order(&state.db, UploadPurpose::Sample, order.id).await?;
    // Deliverables are the requester's to see once the order is delivered, as for the customer.
    let delivered = matches!(order.status, OrderStatus::Delivered | OrderStatus::Closed);
    let mut deliverable_rows =
        db::samples::list_for_order(&state.db, UploadPurpose::Deliverable, order.id).await?;
    if !delivered {
        deliverable_rows.clear();
    }
    let labels = db::deliverables::list_for_order(&state.db, order.id).await?;
    let consents = db::consents::for_order(&state.db, order.id).await?;
    let iterations = db::iterations::for_order(&state.db, order.id).await?;
    let file = |row: &db::samples::SampleRow| {
        json!({
            "id": row.id, "kind": row.kind, "file_name": row.file_name,
            "size": row.declared_size, "sha256": row.declared_sha256,
            "content_type": row.detected_content_type, "status": row.status,
            "width": row.width, "height": row.height, "duration_ms": row.duration_ms,
            "uploaded_at": row.completed_at, "purged_at": row.purged_at,
        })
    };
    Ok(json!({
        "export": {
            "request_id": request_id,
            "generated_at": now,
            "controller": state.settings.studio.name,
            "contact": state.settings.studio.contact_email,
        },
        "order": {
            "id": order.id,
            "reference": order.reference,
            "status": order.status,
            "delivery_mode": order.delivery_mode,
            "jurisdiction": order.jurisdiction,
            "subject": order.subject,
            "intake": order.intake,
            "created_at": order.created_at,
            "submitted_at": order.submitted_at,
            "queued_at": order.queued_at,
            "promised_at": order.promised_at,
            "delivered_at": order.delivered_at,
            "keep_samples_for_iterations": order.keep_samples,
        },
        "samples": samples.iter().map(file).collect::<Vec<_>>(),
        "deliverables": deliverable_rows.iter().map(|row| {
            let label = labels.iter().find(|l| l.id == row.id);
            json!({
                "file": file(row),
                "content_id": label.map(|l| l.content_id.clone()),
                "ai_label": label.map(|l| l.label_text.clone()),
                "provider": label.map(|l| l.label_provider.clone()),
            })
        }).collect::<Vec<_>>(),
        "consents": consents.iter().map(|c| json!({
            "id": c.id, "party": c.party, "relationship": c.relationship,
            "decision": c.decision, "grants": c.grants, "text_version": c.text_version,
            "text_sha256": c.text_hash, "language": c.language, "signed_at": c.signed_at,
            "withdrawn_at": c.withdrawn_at, "iteration_id": c.iteration_id,
        })).collect::<Vec<_>>(),
        "iterations": iterations.iter().map(|i| json!({
            "number": i.number, "description": i.description, "status": i.status,
            "due_at": i.due_at, "delivered_at": i.delivered_at,
        })).collect::<Vec<_>>(),
    }))
}
