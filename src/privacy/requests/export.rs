//! The links to a completed access or copy request's export, for its requester: the JSON
//! document and a link to each file of the order still held (samples; deliverables once the
//! order was delivered), each short-lived and audited like any download of that file, and the
//! whole handing-out audited once more on the order.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::own_with_order;
use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db;
use crate::domain::order::OrderStatus;
use crate::domain::sample::{SampleStatus, UploadPurpose};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;
use crate::uploads::download::{self, Download};

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportFile {
    pub id: Uuid,
    /// sample or deliverable.
    pub purpose: String,
    pub kind: String,
    pub file_name: String,
    pub download: Download,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportDownload {
    /// The export document (JSON).
    pub export: Download,
    /// The order's files still held, each with its own short-lived link.
    pub files: Vec<ExportFile>,
}

/// The export's links (404 for anyone but the requester; 409 `no_export` unless completed
/// with an export; 410 `export_gone` once the order was erased).
pub async fn export_links(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ExportDownload> {
    let (row, order) = own_with_order(&state.db, actor, id).await?;
    let Some(key) = row.export_key.clone() else {
        return Err(AppError::conflict(
            Code::NoExport,
            "only a completed access or copy request has an export",
        ));
    };
    if state.store.head(&key).await?.is_none() {
        return Err(AppError::Gone {
            code: Code::ExportGone,
            detail: "the order was erased since this export was made".into(),
        });
    }
    let ttl = std::time::Duration::from_secs(state.settings.uploads.url_ttl_secs);
    let expires_at =
        db::now() + chrono::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(900));
    let export = Download {
        request: state
            .store
            .presign_get(&key, ttl, &format!("export-{}.json", row.id))
            .await?,
        expires_at,
    };
    let order =
        order.ok_or_else(|| AppError::internal("an exported data request names no order"))?;
    let order_id = order.id;
    let delivered = matches!(order.status, OrderStatus::Delivered | OrderStatus::Closed);
    let mut files = Vec::new();
    for purpose in [UploadPurpose::Sample, UploadPurpose::Deliverable] {
        if purpose == UploadPurpose::Deliverable && !delivered {
            continue;
        }
        let labels = if purpose == UploadPurpose::Deliverable {
            db::deliverables::list_for_order(&state.db, order_id).await?
        } else {
            Vec::new()
        };
        for file in db::samples::list_for_order(&state.db, purpose, order_id).await? {
            if file.status != SampleStatus::Verified || file.purged_at.is_some() {
                continue;
            }
            // Each file's link is audited like any download of it; a deliverable is given as
            // the family downloads it, the label inside.
            let (key, labeled) = match labels.iter().find(|l| l.id == file.id) {
                Some(label) => download::deliverable_key(&file, label),
                None => (file.object_key.as_str(), false),
            };
            let detail = serde_json::json!({
                "order_id": order_id, "data_request_id": id, "labeled_copy": labeled,
            });
            let action = purpose.event("download_url_issued");
            let target = Target::sample(file.id);
            let download =
                download::issue(state, actor, &file, key, &action, target, detail).await?;
            files.push(ExportFile {
                id: file.id,
                purpose: purpose.as_str().to_owned(),
                kind: file.kind.as_str().to_owned(),
                file_name: file.file_name.clone(),
                download,
            });
        }
    }
    let detail = serde_json::json!({
        "request_id": id, "files": files.len(), "expires_at": expires_at,
        "by_customer": order.customer_id == Some(row.requester_id),
    });
    audit::record(
        &state.db,
        &actor.audit(),
        "data_request.export_downloaded",
        Target::order(order_id),
        actor.request_id(),
        detail,
    )
    .await?;
    Ok(ExportDownload { export, files })
}
