//! Sample queries. Status changes are conditional updates (`WHERE status = from`), so two
//! requests — or two replicas — racing to complete or abort the same upload cannot both win.

use crate::domain::ids::OrderId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::sample::{self, Entity as Samples};
use crate::domain::sample::{SampleKind, SampleStatus, UploadMode, UploadPurpose};
use crate::domain::sufficiency::SampleFacts;
use crate::media::MediaMetadata;

pub use sample::Model as SampleRow;

#[derive(Debug, Clone)]
pub struct NewSample {
    pub id: Uuid,
    pub purpose: UploadPurpose,
    pub order_id: Uuid,
    pub kind: SampleKind,
    pub file_name: String,
    pub declared_size: u64,
    pub declared_sha256_hex: String,
    pub declared_content_type: String,
    pub object_key: String,
    pub upload_mode: UploadMode,
    pub multipart_upload_id: Option<String>,
    pub part_size: u64,
    pub part_count: u32,
    pub now: DateTime<Utc>,
}

fn to_i64(n: u64) -> Result<i64, DbErr> {
    i64::try_from(n).map_err(|_| DbErr::Custom(format!("{n} does not fit the column")))
}

pub async fn insert(conn: &impl ConnectionTrait, new: NewSample) -> Result<SampleRow, DbErr> {
    sample::ActiveModel {
        id: Set(new.id),
        order_id: Set(new.order_id),
        kind: Set(new.kind),
        file_name: Set(new.file_name),
        declared_size: Set(to_i64(new.declared_size)?),
        declared_sha256: Set(new.declared_sha256_hex),
        declared_content_type: Set(new.declared_content_type),
        object_key: Set(new.object_key),
        upload_mode: Set(new.upload_mode),
        multipart_upload_id: Set(new.multipart_upload_id),
        part_size: Set(to_i64(new.part_size)?),
        part_count: Set(i32::try_from(new.part_count).map_err(|e| DbErr::Custom(e.to_string()))?),
        status: Set(SampleStatus::Uploading),
        rejection_code: Set(None),
        rejection_reason: Set(None),
        detected_content_type: Set(None),
        object_etag: Set(None),
        width: Set(None),
        height: Set(None),
        duration_ms: Set(None),
        created_at: Set(new.now),
        updated_at: Set(new.now),
        completed_at: Set(None),
        purged_at: Set(None),
        purpose: Set(new.purpose),
    }
    .insert(conn)
    .await
}

/// An upload of the order, sample or deliverable (the upload machinery serves both).
pub async fn find(
    conn: &impl ConnectionTrait,
    order_id: OrderId,
    sample_id: Uuid,
) -> Result<Option<SampleRow>, DbErr> {
    Samples::find_by_id(sample_id)
        .filter(sample::Column::OrderId.eq(order_id))
        .one(conn)
        .await
}

/// An upload of the order with this purpose (a deliverable is not a sample, and back).
pub async fn find_of(
    conn: &impl ConnectionTrait,
    purpose: UploadPurpose,
    order_id: OrderId,
    id: Uuid,
) -> Result<Option<SampleRow>, DbErr> {
    Samples::find_by_id(id)
        .filter(sample::Column::OrderId.eq(order_id))
        .filter(sample::Column::Purpose.eq(purpose.as_str()))
        .one(conn)
        .await
}

/// The order's uploads of one purpose, oldest first.
pub async fn list_for_order(
    conn: &impl ConnectionTrait,
    purpose: UploadPurpose,
    order_id: Uuid,
) -> Result<Vec<SampleRow>, DbErr> {
    Samples::find()
        .filter(sample::Column::OrderId.eq(order_id))
        .filter(sample::Column::Purpose.eq(purpose.as_str()))
        .order_by_asc(sample::Column::Id)
        .all(conn)
        .await
}

/// Every upload row of the order, whatever its purpose or state (erasure).
pub async fn all_of_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<SampleRow>, DbErr> {
    Samples::find()
        .filter(sample::Column::OrderId.eq(order_id))
        .order_by_asc(sample::Column::Id)
        .all(conn)
        .await
}

pub async fn count_verified(conn: &impl ConnectionTrait, order_id: Uuid) -> Result<u64, DbErr> {
    Samples::find()
        .filter(sample::Column::OrderId.eq(order_id))
        .filter(sample::Column::Purpose.eq(UploadPurpose::Sample))
        .filter(sample::Column::Status.eq(SampleStatus::Verified))
        .count(conn)
        .await
}

pub async fn count_verified_of_kind(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    kind: SampleKind,
) -> Result<u64, DbErr> {
    Samples::find()
        .filter(sample::Column::OrderId.eq(order_id))
        .filter(sample::Column::Purpose.eq(UploadPurpose::Sample))
        .filter(sample::Column::Kind.eq(kind.as_str()))
        .filter(sample::Column::Status.eq(SampleStatus::Verified))
        .count(conn)
        .await
}

/// What the sufficiency report needs from each verified sample of an order.
pub async fn verified_facts(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<SampleFacts>, DbErr> {
    let rows = Samples::find()
        .filter(sample::Column::OrderId.eq(order_id))
        .filter(sample::Column::Purpose.eq(UploadPurpose::Sample))
        .filter(sample::Column::Status.eq(SampleStatus::Verified))
        .all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SampleFacts {
                sha256: row.declared_sha256.clone(),
                kind: row.kind,
                width: row.width.and_then(|w| u32::try_from(w).ok()),
                height: row.height.and_then(|h| u32::try_from(h).ok()),
                duration_ms: row.duration_ms.and_then(|d| u64::try_from(d).ok()),
            })
        })
        .collect()
}

/// Move a sample from `from` to `to` if it is still in `from`. `false`: someone else moved it.
pub async fn transition(
    conn: &impl ConnectionTrait,
    sample_id: Uuid,
    from: SampleStatus,
    to: SampleStatus,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Samples::update_many()
        .col_expr(sample::Column::Status, Expr::value(to.as_str()))
        .col_expr(sample::Column::UpdatedAt, Expr::value(now))
        .filter(sample::Column::Id.eq(sample_id))
        .filter(sample::Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn mark_verified(
    conn: &impl ConnectionTrait,
    sample_id: Uuid,
    detected_content_type: &str,
    object_etag: Option<&str>,
    metadata: &MediaMetadata,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Samples::update_many()
        .col_expr(sample::Column::ObjectEtag, Expr::value(object_etag))
        .col_expr(sample::Column::Status, Expr::value(SampleStatus::Verified))
        .col_expr(
            sample::Column::DetectedContentType,
            Expr::value(detected_content_type),
        )
        .col_expr(
            sample::Column::Width,
            Expr::value(metadata.width.and_then(|w| i32::try_from(w).ok())),
        )
        .col_expr(
            sample::Column::Height,
            Expr::value(metadata.height.and_then(|h| i32::try_from(h).ok())),
        )
        .col_expr(
            sample::Column::DurationMs,
            Expr::value(metadata.duration_ms.and_then(|d| i64::try_from(d).ok())),
        )
        .col_expr(sample::Column::CompletedAt, Expr::value(now))
        .col_expr(sample::Column::UpdatedAt, Expr::value(now))
        .filter(sample::Column::Id.eq(sample_id))
        .filter(sample::Column::Status.eq(SampleStatus::Verifying))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn mark_rejected(
    conn: &impl ConnectionTrait,
    sample_id: Uuid,
    code: &str,
    reason: &str,
    detected_content_type: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Samples::update_many()
        .col_expr(sample::Column::Status, Expr::value(SampleStatus::Rejected))
        .col_expr(sample::Column::RejectionCode, Expr::value(code))
        .col_expr(sample::Column::RejectionReason, Expr::value(reason))
        .col_expr(
            sample::Column::DetectedContentType,
            Expr::value(detected_content_type),
        )
        .col_expr(sample::Column::CompletedAt, Expr::value(now))
        .col_expr(sample::Column::UpdatedAt, Expr::value(now))
        .filter(sample::Column::Id.eq(sample_id))
        .filter(sample::Column::Status.eq(SampleStatus::Verifying))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Claim a sample for verification: it is `uploading`, or `verifying` under a claim older
/// than `stale_before` (its verifier died). `false`: someone else holds it, or it is final.
pub async fn claim_for_verification(
    conn: &impl ConnectionTrait,
    sample_id: Uuid,
    stale_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Condition;
    let claimable = Condition::any()
        .add(sample::Column::Status.eq(SampleStatus::Uploading))
        .add(
            Condition::all()
                .add(sample::Column::Status.eq(SampleStatus::Verifying))
                .add(sample::Column::UpdatedAt.lt(stale_before)),
        );
    let result = Samples::update_many()
        .col_expr(sample::Column::Status, Expr::value(SampleStatus::Verifying))
        .col_expr(sample::Column::UpdatedAt, Expr::value(now))
        .filter(sample::Column::Id.eq(sample_id))
        .filter(claimable)
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Renew a verification claim (its lease runs from `updated_at`): the verifier is alive.
pub async fn renew_verification(
    conn: &impl ConnectionTrait,
    sample_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Samples::update_many()
        .col_expr(sample::Column::UpdatedAt, Expr::value(now))
        .filter(sample::Column::Id.eq(sample_id))
        .filter(sample::Column::Status.eq(SampleStatus::Verifying))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The parts were assembled into the object: there is no multipart upload any more.
pub async fn mark_assembled(
    conn: &impl ConnectionTrait,
    sample_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Samples::update_many()
        .col_expr(
            sample::Column::MultipartUploadId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(sample::Column::UpdatedAt, Expr::value(now))
        .filter(sample::Column::Id.eq(sample_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// An upload the client is still working on (it asked for fresh URLs): not abandoned.
/// `false`: the sample is no longer `uploading`.
pub async fn touch(
    conn: &impl ConnectionTrait,
    sample_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Samples::update_many()
        .col_expr(sample::Column::UpdatedAt, Expr::value(now))
        .filter(sample::Column::Id.eq(sample_id))
        .filter(sample::Column::Status.eq(SampleStatus::Uploading))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Abort an upload only if it is still in `from` and still untouched since `cutoff` (so an
/// upload resumed or released a moment ago is not taken from its client).
pub async fn abandon(
    conn: &impl ConnectionTrait,
    sample_id: Uuid,
    from: SampleStatus,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Samples::update_many()
        .col_expr(sample::Column::Status, Expr::value(SampleStatus::Aborted))
        .col_expr(sample::Column::UpdatedAt, Expr::value(now))
        .filter(sample::Column::Id.eq(sample_id))
        .filter(sample::Column::Status.eq(from.as_str()))
        .filter(sample::Column::UpdatedAt.lt(cutoff))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Rejected or aborted samples whose bytes have not been finally removed, and whose presigned
/// URLs (issued at the latest at their last update) have all expired by `urls_dead_before`.
pub async fn awaiting_purge(
    conn: &impl ConnectionTrait,
    urls_dead_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<SampleRow>, DbErr> {
    Samples::find()
        .filter(sample::Column::Status.is_in([
            SampleStatus::Rejected.as_str(),
            SampleStatus::Aborted.as_str(),
        ]))
        .filter(sample::Column::PurgedAt.is_null())
        .filter(sample::Column::UpdatedAt.lt(urls_dead_before))
        .order_by_asc(sample::Column::UpdatedAt)
        .limit(limit)
        .all(conn)
        .await
}

pub async fn mark_purged(
    conn: &impl ConnectionTrait,
    sample_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Samples::update_many()
        .col_expr(sample::Column::PurgedAt, Expr::value(now))
        .filter(sample::Column::Id.eq(sample_id))
        .filter(sample::Column::PurgedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Uploads still open (or stuck mid-verification) untouched since before `cutoff`, oldest first.
pub async fn abandoned(
    conn: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<SampleRow>, DbErr> {
    Samples::find()
        .filter(sample::Column::Status.is_in([
            SampleStatus::Uploading.as_str(),
            SampleStatus::Verifying.as_str(),
        ]))
        .filter(sample::Column::UpdatedAt.lt(cutoff))
        .order_by_asc(sample::Column::UpdatedAt)
        .limit(limit)
        .all(conn)
        .await
}
