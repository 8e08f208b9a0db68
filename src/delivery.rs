//! The delivery gate (PRODUCT.md: "quality_check → delivered: a deliverable is uploaded and its
//! AI-generated-content label is recorded"). Before an order may be delivered, quality must
//! be signed off, no deliverable may still be uploading or verifying (it would reach the
//! customer unchecked), at least one must be verified, and every verified deliverable's
//! labeled copy — the file the family downloads — is checked: its metadata label read back
//! from the stored object's own record, and, from its bytes (fetched whole: the manifest's
//! hash covers all of them), the GB 45438 label and the studio's signed C2PA manifest, all
//! compared with what was recorded for it. Any mismatch refuses the delivery and names the file.

use uuid::Uuid;

use crate::config::DeliverySettings;
use crate::domain::delivery::AiLabel;
use std::sync::Arc;

use crate::labels::credentials::ManifestReport;
use crate::labels::{self, AigcLabel, file_check};
use crate::media::MediaType;

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
        let record = db::deliverables::find(&state.db, row.id)
            .await?
            .ok_or_else(|| AppError::internal("a verified deliverable has no label"))?;
        let refused = |problem: String| {
            AppError::conflict(
                Code::LabelMetadataMismatch,
                format!(
                    "deliverable {} ({}) does not carry its AI-generated-content label: {problem}",
                    row.id, row.file_name
                ),
            )
        };
        let Some(key) = record.labeled_key.as_deref() else {
            return Err(refused("it has no labeled copy; upload it again".into()));
        };
        let Some(head) = state.store.head(key).await? else {
            return Err(AppError::conflict(
                Code::DeliverableMissing,
                format!(
                    "deliverable {} ({}) is no longer in the store",
                    row.id, row.file_name
                ),
            ));
        };
        let label = record.label();
        if let Some(problem) = label.mismatch(&head.metadata) {
            return Err(refused(problem));
        }
        let media = row
            .detected_content_type
            .as_deref()
            .and_then(MediaType::from_mime)
            .ok_or_else(|| AppError::internal("a verified deliverable has no type"))?;
        let expected = embedded_label(&state.settings.delivery, &label, &order.reference);
        if let Some(problem) = read_back(
            state,
            key,
            media,
            &expected,
            record.labeled_sha256.as_deref(),
        )
        .await?
        {
            return Err(refused(problem));
        }
        checked.push(row.id);
    }
    Ok(checked)
}

/// Read the labeled copy at `key` back from its bytes, fetched whole into the work directory:
/// the bytes still those recorded when it was made, the GB label equal to `expected`, and a
/// C2PA manifest that validates, was signed by this studio, says "created by a trained
/// algorithm" and carries the same fields and order. What is wrong, in words.
async fn read_back(
    state: &AppState,
    key: &str,
    media: MediaType,
    expected: &AigcLabel,
    recorded_sha256: Option<&str>,
) -> AppResult<Option<String>> {
    let dir =
        labels::private_work_dir(&state.settings.work_dir(), "gate").map_err(AppError::internal)?;
    let path = dir.path().join("copy");
    let fetched = state.store.download_to(key, &path).await?;
    if recorded_sha256.is_some_and(|sha| sha != hex::encode(fetched.sha256)) {
        return Ok(Some(
            "the stored copy is not the file that was labeled".into(),
        ));
    }
    let report = match file_check::check(&path, Some(Arc::clone(&state.credentials))).await {
        Ok(report) => report,
        Err(err) => {
            return Ok(Some(format!(
                "the labels inside the file cannot be read: {err}"
            )));
        }
    };
    if report.content_type != media.mime() {
        return Ok(Some(format!(
            "the file reads as {}, recorded as {}",
            report.content_type,
            media.mime()
        )));
    }
    match &report.aigc {
        None => return Ok(Some("the file holds no GB 45438 label".into())),
        Some(found) if found != expected => {
            return Ok(Some(format!(
                "the label inside the file says {}, expected {}",
                found.to_json(),
                expected.to_json()
            )));
        }
        Some(_) => {}
    }
    let Some(manifest) = &report.content_credentials else {
        return Ok(Some("the file holds no C2PA manifest".into()));
    };
    Ok(manifest_problem(state, manifest, expected))
}

/// What the manifest of a labeled copy gets wrong, if anything.
fn manifest_problem(
    state: &AppState,
    manifest: &ManifestReport,
    expected: &AigcLabel,
) -> Option<String> {
    if !manifest.holds() {
        return Some(format!(
            "its C2PA manifest does not validate ({})",
            manifest.failures.join(", ")
        ));
    }
    if manifest.state != "trusted" {
        return Some(format!(
            "its C2PA manifest was signed by {}, not this studio",
            manifest.signed_by.as_deref().unwrap_or("an unknown signer")
        ));
    }
    if manifest.digital_source_type.as_deref() != Some(TRAINED_ALGORITHMIC_MEDIA) {
        return Some("its C2PA manifest does not say it was created by a trained algorithm".into());
    }
    let says = manifest.aigc.as_ref();
    let agrees = says.is_some_and(|says| {
        says.label == expected.label
            && says.content_producer == expected.content_producer
            && says.produce_id == expected.produce_id
            && says.content_propagator == expected.content_propagator
            && says.order_reference_hmac_sha256
                == state.credentials.reference_digest(&expected.propagate_id)
    });
    (!agrees).then(|| "its C2PA manifest names another producer, content id or order".into())
}

/// The IPTC digital source type of media made by a trained model.
const TRAINED_ALGORITHMIC_MEDIA: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// The GB 45438 label written inside a deliverable: generated by AI, produced by the studio
/// as the deliverable's content id, propagated by this service for the order's reference.
pub fn embedded_label(settings: &DeliverySettings, label: &AiLabel, reference: &str) -> AigcLabel {
    AigcLabel::generated(
        &settings.content_producer,
        &label.content_id,
        &settings.content_propagator,
        reference,
    )
}
