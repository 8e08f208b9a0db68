//! A verified deliverable's labeled copy — the file the family will download — made before the
//! verdict is recorded: the GB 45438 label (the studio as producer, the deliverable's content
//! id, this service as propagator, the order reference) written inside the file and the
//! studio's signed C2PA manifest over it, by [`crate::labels`], into a new object beside the
//! original that carries the same metadata label. A file whose format cannot carry it is rejected (`unlabelable_file`): it could never
//! be delivered. A store failure is not a verdict: the claim is handed back and a retry makes
//! the copy again.

use super::Rejection;
use super::verify::Proven;
use crate::db::{self, samples::SampleRow};
use crate::error::{AppError, AppResult, Code};
use crate::labels::{self, CopyError, LabelError};
use crate::state::AppState;

/// Where the labeled copy went.
pub(super) struct Labeled {
    pub key: String,
    pub sha256_hex: String,
    pub size: u64,
}

pub(super) async fn make(
    state: &AppState,
    row: &SampleRow,
    proven: &Proven,
) -> AppResult<Result<Labeled, Rejection>> {
    let record = db::deliverables::find(&state.db, row.id)
        .await?
        .ok_or_else(|| AppError::internal("a deliverable upload has no label record"))?;
    let order = db::orders::find(&state.db, row.order_id)
        .await?
        .ok_or_else(|| AppError::internal("a deliverable's order is missing"))?;
    let ai = record.label();
    let label = crate::delivery::embedded_label(&state.settings.delivery, &ai, &order.reference);
    let size = u64::try_from(row.declared_size).map_err(AppError::internal)?;
    let key = crate::domain::sample::labeled_key(&row.object_key);
    let work_dir = state.settings.work_dir();
    let written = labels::LabeledCopy {
        store: &state.store,
        credentials: &state.credentials,
        work_dir: &work_dir,
        source_key: &row.object_key,
        size,
        media: proven.media,
        label: &label,
        dest_key: &key,
        metadata: &ai.object_metadata(),
    }
    .write()
    .await;
    match written {
        Ok(written) => Ok(Ok(Labeled {
            key,
            sha256_hex: hex::encode(written.sha256),
            size: written.size,
        })),
        Err(CopyError::Label(err @ (LabelError::Unsupported(_) | LabelError::Malformed(_)))) => {
            Ok(Err(Rejection::detected(
                Code::UnlabelableFile,
                format!("the AI-generated-content label cannot be written into this file: {err}"),
                proven.media,
            )))
        }
        Err(CopyError::Store(err)) => Err(err.into()),
        Err(other) => Err(AppError::internal(format!(
            "labeling a deliverable: {other}"
        ))),
    }
}
