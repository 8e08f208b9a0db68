//! The delivery gate (PRODUCT.md: "quality_check → delivered: a deliverable is uploaded and its
//! AI-generated-content label is recorded"). Before an order may be delivered, quality must
//! be signed off, no deliverable may still be uploading or verifying (it would reach the
//! customer unchecked), at least one must be verified, and every verified deliverable's
//! metadata label is read back from the stored object's own record and compared with the label
//! recorded for it. Any mismatch refuses the delivery and names the file.

use uuid::Uuid;

use crate::db::{self, orders::OrderRecord};
use crate::domain::sample::{SampleStatus, UploadPurpose};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;

/// Check the gate; the deliverables whose labels were read back and matched.
pub async fn check_gate(state: &AppState, order: &OrderRecord) -> AppResult<Vec<Uuid>> {
    if order.production.qc_signed_off_at.is_none() {
        return Err(AppError::conflict(
            Code::QualityNotSignedOff,
            "a reviewer must sign off quality before the order is delivered",
        ));
    }
    let uploads =
        db::samples::list_for_order(&state.db, UploadPurpose::Deliverable, order.id).await?;
    if let Some(open) = uploads
        .iter()
        .find(|row| row.status == SampleStatus::Uploading || row.status == SampleStatus::Verifying)
    {
        return Err(AppError::conflict(
            Code::DeliverableInProgress,
            format!(
                "deliverable {} ({}) is still {}: complete it (or let the sweeper abort it) first",
                open.id, open.file_name, open.status
            ),
        ));
    }
    let verified: Vec<_> = uploads
        .iter()
        .filter(|row| row.status == SampleStatus::Verified)
        .collect();
    if verified.is_empty() {
        return Err(AppError::conflict(
            Code::NoDeliverable,
            "upload the deliverable and let it be verified before delivering",
        ));
    }
    let mut checked = Vec::with_capacity(verified.len());
    for row in verified {
        let label = db::deliverables::find(&state.db, row.id)
            .await?
            .ok_or_else(|| AppError::internal("a verified deliverable has no label"))?
            .label();
        let Some(head) = state.store.head(&row.object_key).await? else {
            return Err(AppError::conflict(
                Code::DeliverableMissing,
                format!(
                    "deliverable {} ({}) is no longer in the store",
                    row.id, row.file_name
                ),
            ));
        };
        if let Some(problem) = label.mismatch(&head.metadata) {
            return Err(AppError::conflict(
                Code::LabelMetadataMismatch,
                format!(
                    "deliverable {} ({}) does not carry its AI-generated-content label: {problem}",
                    row.id, row.file_name
                ),
            ));
        }
        checked.push(row.id);
    }
    Ok(checked)
}
