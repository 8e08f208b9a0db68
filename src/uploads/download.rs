//! Download links: a short-lived presigned GET (the uploads' URL lifetime, at most 15 minutes)
//! for a verified file, saved under a name the server makes up — never the name the file was
//! uploaded with. Every link issued is audited: who got a URL to which file, until when. A
//! file whose bytes were destroyed gets `410` and no link (nor an audit event for nothing).

use crate::domain::ids::OrderId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::files;
use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, samples::SampleRow};
use crate::domain::sample::{SampleStatus, shown_status};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Download {
    /// GET this within the lifetime below.
    pub request: crate::storage::PresignedRequest,
    pub expires_at: DateTime<Utc>,
}

/// A link to a verified sample (the order's customer and the studio).
pub async fn sample(
    state: &AppState,
    actor: &Actor,
    order_id: OrderId,
    id: Uuid,
) -> AppResult<Download> {
    let row = files::sample(&state.db, actor, order_id, id).await?;
    let status = shown_status(row.status, row.purged_at.is_some());
    if status == SampleStatus::Purged {
        return Err(purged_file(Code::SamplePurged, "sample"));
    }
    if status != SampleStatus::Verified {
        return Err(AppError::conflict(
            Code::SampleNotVerified,
            format!(
                "this sample is {}; only verified samples can be downloaded",
                row.status
            ),
        ));
    }
    let detail = serde_json::json!({ "order_id": order_id });
    let target = Target::sample(id);
    issue(
        state,
        actor,
        &row,
        "sample.download_url_issued",
        target,
        detail,
    )
    .await
}

/// A link to a verified deliverable: the customer once the order is delivered, the studio
/// any time.
pub async fn deliverable(
    state: &AppState,
    actor: &Actor,
    order_id: OrderId,
    id: Uuid,
) -> AppResult<Download> {
    let files::Deliverable { file, label } =
        files::deliverable(&state.db, actor, order_id, id).await?;
    let status = shown_status(file.status, file.purged_at.is_some());
    if status == SampleStatus::Purged {
        return Err(purged_file(Code::DeliverablePurged, "deliverable"));
    }
    if status != SampleStatus::Verified {
        return Err(AppError::conflict(
            Code::DeliverableNotVerified,
            format!(
                "this deliverable is {}; only verified ones can be downloaded",
                file.status
            ),
        ));
    }
    let detail = serde_json::json!({ "order_id": order_id, "content_id": label.content_id });
    let target = Target::sample(id);
    issue(
        state,
        actor,
        &file,
        "deliverable.download_url_issued",
        target,
        detail,
    )
    .await
}

/// A presigned GET for a stored object with its audit event (`action`, about `target`;
/// `detail` gains the link's expiry).
pub async fn issue(
    state: &AppState,
    actor: &Actor,
    row: &SampleRow,
    action: &str,
    target: Target,
    mut detail: serde_json::Value,
) -> AppResult<Download> {
    let ttl = std::time::Duration::from_secs(state.settings.uploads.url_ttl_secs);
    let request = state
        .store
        .presign_get(&row.object_key, ttl, &download_name(row))
        .await?;
    let expires_at =
        db::now() + chrono::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(900));
    detail["expires_at"] = serde_json::to_value(expires_at).map_err(AppError::internal)?;
    audit::record(
        &state.db,
        &actor.audit(),
        action,
        target,
        actor.request_id(),
        detail,
    )
    .await?;
    Ok(Download {
        request,
        expires_at,
    })
}

/// The name a download is saved under: made from the upload's purpose, id and verified type,
/// never from the name the client declared (`sample-{id}.jpg`).
fn download_name(row: &SampleRow) -> String {
    let extension = row
        .detected_content_type
        .as_deref()
        .and_then(crate::media::MediaType::from_mime)
        .map_or("bin", |media| media.extension());
    format!("{}-{}.{extension}", row.purpose, row.id)
}

/// `410` for a file whose bytes were destroyed.
fn purged_file(code: Code, what: &str) -> AppError {
    AppError::Gone {
        code,
        detail: format!(
            "this {what}'s file was destroyed (retention purge or erasure) and cannot be downloaded"
        ),
    }
}
