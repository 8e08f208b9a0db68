//! Starting and resuming an upload.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::db::WriteTransaction;
use crate::domain::ids::OrderId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, Actor, Target};
use crate::db::{self, orders::OrderRecord, samples::SampleRow};
use crate::domain::delivery::AiLabel;
use crate::domain::sample::{self, SampleKind, UploadMode, UploadPlan, UploadPurpose};
use crate::error::{AppError, AppResult, Code};
use crate::media::MediaType;
use crate::state::AppState;
use crate::storage::{PresignedRequest, UploadedPart};

/// What the client declares about the file it is about to upload.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartUpload {
    pub kind: SampleKind,
    /// The file's name on the customer's device (kept as a label; never used in storage keys):
    /// 1 to 255 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub file_name: String,
    /// Exact size in bytes, at least 1 (the most for each kind is a studio setting).
    #[schema(minimum = 1)]
    pub size: u64,
    /// SHA-256 of the whole file, 64 hex digits.
    #[schema(pattern = "^[0-9A-Fa-f]{64}$")]
    pub sha256: String,
    /// MIME type, e.g. `image/jpeg`; must match what the file really is.
    pub content_type: String,
}

/// A part still to upload: its number and the bytes it must carry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedPart {
    pub part_number: u32,
    pub size: u64,
}

/// How to upload: one presigned PUT, or parts whose URLs are signed with their SHA-256s.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UploadInstructions {
    pub mode: UploadMode,
    pub part_size: u64,
    pub part_count: u32,
    /// When URLs issued now expire.
    pub expires_at: DateTime<Utc>,
    /// For `single`: the request to make.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub put: Option<PresignedRequest>,
    /// For `multipart`: parts still to upload. Part `n` is bytes `(n-1)·part_size` onward.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts_to_upload: Vec<PlannedPart>,
    /// For `multipart`: parts the store already holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uploaded_parts: Vec<UploadedPart>,
    /// For `multipart`: POST `{"parts": [{"part_number": n, "sha256": "…"}]}` here for each
    /// part's presigned PUT, its SHA-256 signed in (the store refuses a part that differs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_parts_url: Option<String>,
}

const MAX_FILE_NAME_CHARS: usize = 255;

struct Declared {
    sha256: [u8; 32],
    media: MediaType,
}

fn check_declaration(req: &StartUpload, state: &AppState) -> AppResult<Declared> {
    let name_len = req.file_name.chars().count();
    if name_len == 0
        || name_len > MAX_FILE_NAME_CHARS
        || req.file_name.chars().any(char::is_control)
    {
        return Err(AppError::unprocessable(
            Code::InvalidFileName,
            format!("file_name must be 1 to {MAX_FILE_NAME_CHARS} printable characters"),
        ));
    }
    if req.size == 0 {
        return Err(AppError::unprocessable(
            Code::EmptyFile,
            "the file is empty (0 bytes)",
        ));
    }
    let limit = state.settings.uploads.max_bytes_for(req.kind);
    if req.size > limit {
        return Err(AppError::unprocessable(
            Code::FileTooLarge,
            format!(
                "a {} may be at most {limit} bytes; this one is {} bytes",
                req.kind, req.size
            ),
        ));
    }
    let sha256 = sample::parse_sha256_hex(&req.sha256).ok_or_else(|| {
        AppError::unprocessable(Code::InvalidSha256, "sha256 must be 64 hexadecimal digits")
    })?;
    let media = MediaType::from_mime(&req.content_type)
        .filter(|m| req.kind.accepts(*m))
        .ok_or_else(|| {
            AppError::unprocessable(
                Code::ContentTypeNotAllowed,
                format!(
                    "{} is not a type accepted for a {}",
                    req.content_type, req.kind
                ),
            )
        })?;
    Ok(Declared { sha256, media })
}

/// What an upload is for. A deliverable carries its visible AI label text (its metadata label
/// is made here: the provider from the settings, a fresh content id).
pub enum UploadFor {
    Sample,
    Deliverable { label_text: String, staff_id: Uuid },
}

impl UploadFor {
    fn purpose(&self) -> UploadPurpose {
        match self {
            Self::Sample => UploadPurpose::Sample,
            Self::Deliverable { .. } => UploadPurpose::Deliverable,
        }
    }
}

/// The refusal when `order` takes no uploads of `purpose` in its status.
pub fn closed_for(purpose: UploadPurpose, order: &OrderRecord) -> AppError {
    match purpose {
        UploadPurpose::Sample => AppError::conflict(
            Code::OrderNotAcceptingSamples,
            format!(
                "samples can no longer be added to an order that is {}",
                order.status
            ),
        ),
        UploadPurpose::Deliverable => AppError::conflict(
            Code::OrderNotAcceptingDeliverables,
            format!(
                "deliverables are uploaded while the order is in production or quality check; it is {}",
                order.status
            ),
        ),
    }
}

pub async fn start(
    state: &AppState,
    order: &OrderRecord,
    req: StartUpload,
    upload_for: UploadFor,
    actor: &Actor,
    request_id: Option<&str>,
) -> AppResult<(SampleRow, UploadInstructions)> {
    let purpose = upload_for.purpose();
    if !purpose.open_for(order.status) {
        return Err(closed_for(purpose, order));
    }
    let declared = check_declaration(&req, state)?;
    let plan = sample::plan_upload(req.size, state.settings.uploads.part_limits());
    let sample_id = Uuid::now_v7();
    let key = sample::object_key(purpose, order.id, sample_id);
    let content_type = declared.media.mime();
    let label = match &upload_for {
        UploadFor::Sample => None,
        UploadFor::Deliverable {
            label_text,
            staff_id,
        } => Some((
            AiLabel::new(
                sample_id,
                label_text.clone(),
                state.settings.delivery.label_provider.clone(),
            ),
            *staff_id,
        )),
    };
    let metadata = label
        .as_ref()
        .map(|(l, _)| l.object_metadata())
        .unwrap_or_default();
    let upload_id = match plan.mode {
        UploadMode::Single => None,
        UploadMode::Multipart => Some(
            state
                .store
                .create_multipart(&key, content_type, &metadata, Some(plan.part_size))
                .await?,
        ),
    };

    let now = db::now();
    let new = db::samples::NewSample {
        id: sample_id,
        purpose,
        order_id: order.id,
        kind: req.kind,
        file_name: req.file_name.clone(),
        declared_size: req.size,
        declared_sha256_hex: hex::encode(declared.sha256),
        declared_content_type: content_type.to_owned(),
        object_key: key.clone(),
        upload_mode: plan.mode,
        multipart_upload_id: upload_id.clone(),
        part_size: plan.part_size,
        part_count: plan.part_count,
        now,
    };
    let mut detail = serde_json::json!({
        "order_id": order.id, "kind": req.kind, "size": req.size, "mode": plan.mode,
        "content_type": content_type,
    });
    if let Some((label, _)) = &label {
        detail["content_id"] = label.content_id.clone().into();
    }
    let order_id = order.id;
    let (actor, request_id) = (actor.clone(), request_id.map(str::to_owned));
    let saved = state
        .db
        .write_transaction::<_, SampleRow, AppError>(|txn| {
            Box::pin(async move {
                let row = db::samples::insert(txn, new).await?;
                if let Some((label, staff_id)) = &label {
                    db::deliverables::insert(txn, sample_id, order_id, label, *staff_id, now)
                        .await?;
                }
                audit::record(
                    txn,
                    &actor,
                    &purpose.event("upload_started"),
                    Target::sample(sample_id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                Ok(row)
            })
        })
        .await;
    let row = match saved {
        Ok(row) => row,
        Err(err) => {
            if let Some(upload_id) = &upload_id {
                let _ = state.store.abort_multipart(&key, upload_id).await;
            }
            return Err(err);
        }
    };
    let instructions = instructions_for(state, &row, plan, declared.sha256, &metadata, &[]).await?;
    Ok((row, instructions))
}

/// What is left of an upload in progress: a fresh URL (single), or the parts still missing.
pub async fn resume(state: &AppState, row: &SampleRow) -> AppResult<UploadInstructions> {
    let plan = plan_of(row)?;
    touch_open(state, row, &plan).await?;
    let sha256 = sample::parse_sha256_hex(&row.declared_sha256)
        .ok_or_else(|| AppError::internal("stored sha256 is malformed"))?;
    let uploaded = match (&plan.mode, &row.multipart_upload_id) {
        (UploadMode::Multipart, Some(upload_id)) => {
            state.store.list_parts(&row.object_key, upload_id).await?
        }
        _ => Vec::new(),
    };
    let metadata = stored_metadata(state, row).await?;
    instructions_for(state, row, plan, sha256, &metadata, &uploaded).await
}

/// The object metadata an upload must be stored with: a deliverable's metadata label.
async fn stored_metadata(state: &AppState, row: &SampleRow) -> AppResult<BTreeMap<String, String>> {
    if row.purpose == UploadPurpose::Sample {
        return Ok(BTreeMap::new());
    }
    let deliverable = db::deliverables::find(&state.db, row.id)
        .await?
        .ok_or_else(|| AppError::internal("a deliverable upload has no label"))?;
    Ok(deliverable.label().object_metadata())
}

/// Mark an upload as still in use (its client is at work: not abandoned, and the sweeper's
/// conditional abort sees the fresh time); refuse one that takes no more bytes.
pub(super) async fn touch_open(
    state: &AppState,
    row: &SampleRow,
    plan: &UploadPlan,
) -> AppResult<()> {
    if !db::samples::touch(&state.db, row.id, db::now()).await? {
        let current = db::samples::find(&state.db, OrderId(row.order_id), row.id)
            .await?
            .map_or("gone", |r| r.status.as_str());
        return Err(AppError::conflict(
            Code::SampleNotUploading,
            format!("this sample is {current} and takes no more uploads"),
        ));
    }
    if plan.mode == UploadMode::Multipart && row.multipart_upload_id.is_none() {
        return Err(AppError::conflict(
            Code::UploadAssembled,
            "every part is uploaded and assembled; complete the upload",
        ));
    }
    Ok(())
}

/// Where a client signs the parts of `row`'s upload.
fn sign_parts_url(row: &SampleRow) -> AppResult<String> {
    let collection = match row.purpose {
        UploadPurpose::Sample => "samples",
        UploadPurpose::Deliverable => "deliverables",
    };
    Ok(format!(
        "/api/v1/orders/{}/{collection}/{}/parts",
        row.order_id, row.id
    ))
}

pub(crate) fn plan_of(row: &SampleRow) -> AppResult<UploadPlan> {
    Ok(UploadPlan {
        mode: row.upload_mode,
        part_size: u64::try_from(row.part_size).map_err(AppError::internal)?,
        part_count: u32::try_from(row.part_count).map_err(AppError::internal)?,
    })
}

async fn instructions_for(
    state: &AppState,
    row: &SampleRow,
    plan: UploadPlan,
    sha256: [u8; 32],
    metadata: &BTreeMap<String, String>,
    uploaded: &[UploadedPart],
) -> AppResult<UploadInstructions> {
    let ttl = Duration::from_secs(state.settings.uploads.url_ttl_secs);
    let expires_at =
        db::now() + chrono::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(900));
    let size = u64::try_from(row.declared_size).map_err(AppError::internal)?;
    let mut out = UploadInstructions {
        mode: plan.mode,
        part_size: plan.part_size,
        part_count: plan.part_count,
        expires_at,
        put: None,
        parts_to_upload: Vec::new(),
        uploaded_parts: uploaded.to_vec(),
        sign_parts_url: None,
    };
    match (plan.mode, &row.multipart_upload_id) {
        (UploadMode::Single, _) => {
            out.put = Some(
                state
                    .store
                    .presign_put(
                        &row.object_key,
                        Some(&row.declared_content_type),
                        Some(&sha256),
                        true,
                        metadata,
                        ttl,
                    )
                    .await?,
            );
        }
        (UploadMode::Multipart, Some(_)) => {
            out.parts_to_upload = (1..=plan.part_count)
                .map(|number| PlannedPart {
                    part_number: number,
                    size: sample::expected_part_size(&plan, size, number),
                })
                .filter(|part| {
                    !uploaded
                        .iter()
                        .any(|p| p.part_number == part.part_number && p.size == part.size)
                })
                .collect();
            out.sign_parts_url = Some(sign_parts_url(row)?);
        }
        (UploadMode::Multipart, None) => {
            return Err(AppError::internal("multipart sample has no upload id"));
        }
    }
    Ok(out)
}
