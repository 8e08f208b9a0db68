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
use crate::db::{self, deliverables::DeliverableRow, samples::SampleRow};
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
    let refusals = Refusals {
        purged: Code::SamplePurged,
        not_verified: Code::SampleNotVerified,
        what: "sample",
    };
    check_downloadable(&row, refusals)?;
    let detail = serde_json::json!({ "order_id": order_id });
    let target = Target::sample(id);
    issue(
        state,
        actor,
        &row,
        &row.object_key,
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
    let refusals = Refusals {
        purged: Code::DeliverablePurged,
        not_verified: Code::DeliverableNotVerified,
        what: "deliverable",
    };
    check_downloadable(&file, refusals)?;
    let (key, labeled) = deliverable_key(&file, &label);
    let detail = serde_json::json!({
        "order_id": order_id, "content_id": label.content_id, "labeled_copy": labeled,
    });
    let target = Target::sample(id);
    issue(
        state,
        actor,
        &file,
        key,
        "deliverable.download_url_issued",
        target,
        detail,
    )
    .await
}

/// The object a deliverable is downloaded from: its labeled copy (the GB 45438 label inside
/// the file), or — for a deliverable verified before copies were made — the original;
/// and which it is.
pub fn deliverable_key<'a>(file: &'a SampleRow, label: &'a DeliverableRow) -> (&'a str, bool) {
    match label.labeled_key.as_deref() {
        Some(key) => (key, true),
        None => (&file.object_key, false),
    }
}

/// A presigned GET for a stored object with its audit event (`action`, about `target`;
/// `detail` gains the link's expiry).
pub async fn issue(
    state: &AppState,
    actor: &Actor,
    row: &SampleRow,
    key: &str,
    action: &str,
    target: Target,
    mut detail: serde_json::Value,
) -> AppResult<Download> {
    let ttl = std::time::Duration::from_secs(state.settings.uploads.url_ttl_secs);
    let request = state
        .store
        .presign_get(key, ttl, &download_name(row))
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

/// How a file that cannot be downloaded is refused, per purpose.
struct Refusals {
    purged: Code,
    not_verified: Code,
    what: &'static str,
}

/// Only a verified file whose bytes are still held gets a link: `410` once its bytes were
/// destroyed (no URL is issued, nor audited, for nothing), `409` while it is not verified.
fn check_downloadable(row: &SampleRow, refusals: Refusals) -> AppResult<()> {
    let Refusals {
        purged,
        not_verified,
        what,
    } = refusals;
    match shown_status(row.status, row.purged_at.is_some()) {
        SampleStatus::Verified => Ok(()),
        SampleStatus::Purged => Err(AppError::Gone {
            code: purged,
            detail: format!(
                "this {what}'s file was destroyed (retention purge or erasure) and cannot be downloaded"
            ),
        }),
        _ => Err(AppError::conflict(
            not_verified,
            format!(
                "this {what} is {}; only verified {what}s can be downloaded",
                row.status
            ),
        )),
    }
}
