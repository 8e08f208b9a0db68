//! Erasure's database half: scrub every personal field an order left behind, in the caller's
//! transaction, and keep the record of what was destroyed (the certificate's source).
//!
//! What stays is a tombstone: the order row (reference, status, dates, decisions), the audit
//! trail (which never holds personal data) and the ledger (its personal parts and salts nulled
//! together, which the ledger's guard trigger allows and its hashes were built for).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use super::entities::{
    consent, consent_invitation, erasure, idempotency_key, iteration, ledger_event, live_session,
    order, order_note, payment, sample,
};

/// What replaces a personal text that cannot be null.
pub const ERASED: &str = "[erased]";

pub use erasure::Model as ErasureRow;

/// Rows scrubbed per table.
pub type Scrubbed = BTreeMap<&'static str, u64>;

/// Mark the order erased, if nobody did yet. `false`: it already was (another erasure won).
pub async fn claim(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = order::Entity::update_many()
        .col_expr(order::Column::ErasedAt, Expr::value(now))
        .col_expr(order::Column::SubjectName, Expr::value(ERASED))
        .col_expr(
            order::Column::SubjectBirthDate,
            Expr::value(Option::<chrono::NaiveDate>::None),
        )
        .col_expr(
            order::Column::SubjectDeathDate,
            Expr::value(Option::<chrono::NaiveDate>::None),
        )
        .col_expr(order::Column::Intake, Expr::value(serde_json::json!({})))
        .col_expr(
            order::Column::HoldReason,
            Expr::value(Option::<String>::None),
        )
        .col_expr(order::Column::KeepSamples, Expr::value(false))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            order::Column::Version,
            Expr::col(order::Column::Version).add(1),
        )
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::ErasedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Scrub the personal fields of everything the order owns besides the order row itself.
pub async fn scrub(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<Scrubbed, DbErr> {
    let mut scrubbed = Scrubbed::new();
    scrubbed.insert("orders", 1);

    let samples = sample::Entity::update_many()
        .col_expr(sample::Column::FileName, Expr::value(ERASED))
        .col_expr(sample::Column::DeclaredSha256, Expr::value(""))
        .col_expr(sample::Column::PurgedAt, Expr::value(now))
        .col_expr(
            sample::Column::MultipartUploadId,
            Expr::value(Option::<String>::None),
        )
        .filter(sample::Column::OrderId.eq(order_id))
        .exec(conn)
        .await?;
    scrubbed.insert("samples", samples.rows_affected);

    let consents = consent::Entity::update_many()
        .col_expr(
            consent::Column::SignerName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            consent::Column::SignerIp,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            consent::Column::SignerUserAgent,
            Expr::value(Option::<String>::None),
        )
        .filter(consent::Column::OrderId.eq(order_id))
        .exec(conn)
        .await?;
    scrubbed.insert("consents", consents.rows_affected);

    let invitations = consent_invitation::Entity::update_many()
        .col_expr(consent_invitation::Column::InviteeName, Expr::value(ERASED))
        .filter(consent_invitation::Column::OrderId.eq(order_id))
        .exec(conn)
        .await?;
    scrubbed.insert("consent_invitations", invitations.rows_affected);

    // The guard trigger lets exactly this through: personal and salt nulled together.
    let ledger = ledger_event::Entity::update_many()
        .col_expr(
            ledger_event::Column::Personal,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            ledger_event::Column::PersonalSalt,
            Expr::value(Option::<String>::None),
        )
        .filter(ledger_event::Column::OrderId.eq(order_id))
        .filter(ledger_event::Column::Personal.is_not_null())
        .exec(conn)
        .await?;
    scrubbed.insert("ledger_events", ledger.rows_affected);

    let notes = order_note::Entity::update_many()
        .col_expr(order_note::Column::Body, Expr::value(ERASED))
        .filter(order_note::Column::OrderId.eq(order_id))
        .exec(conn)
        .await?;
    scrubbed.insert("order_notes", notes.rows_affected);

    let sessions = live_session::Entity::update_many()
        .col_expr(
            live_session::Column::Participants,
            Expr::value(serde_json::json!([])),
        )
        .col_expr(
            live_session::Column::Notes,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            live_session::Column::CancelReason,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            live_session::Column::ReviewNote,
            Expr::value(Option::<String>::None),
        )
        .filter(live_session::Column::OrderId.eq(order_id))
        .exec(conn)
        .await?;
    scrubbed.insert("live_sessions", sessions.rows_affected);

    // Amounts stay (money records are kept); the free-text notes go.
    let payments = payment::Entity::update_many()
        .col_expr(payment::Column::Note, Expr::value(Option::<String>::None))
        .filter(payment::Column::OrderId.eq(order_id))
        .filter(payment::Column::Note.is_not_null())
        .exec(conn)
        .await?;
    scrubbed.insert("payments", payments.rows_affected);

    scrubbed.insert(
        "data_requests",
        super::data_requests::scrub_for_order(conn, order_id).await?,
    );

    let iterations = iteration::Entity::update_many()
        .col_expr(iteration::Column::Description, Expr::value(ERASED))
        .filter(iteration::Column::OrderId.eq(order_id))
        .exec(conn)
        .await?;
    scrubbed.insert("iterations", iterations.rows_affected);

    // Stored answers to idempotent requests about the order (its creation names the subject; a
    // booking names the participants; a payment carries its note), whoever made them: keep
    // only what a replay needs to recognise the order. The id is a UUID (hex and hyphens), so
    // it is safe to put in the pattern; matching on text works on both backends.
    let tombstone = serde_json::json!({ "id": order_id, "reference": reference, "erased": true });
    let replays = idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::ResponseBody,
            Expr::value(tombstone),
        )
        .filter(Expr::cust(format!(
            "CAST(response_body AS TEXT) LIKE '%{}%'",
            order_id.hyphenated()
        )))
        .exec(conn)
        .await?;
    scrubbed.insert("idempotency_keys", replays.rows_affected);
    Ok(scrubbed)
}

/// One deleted object, as the certificate lists it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DeletedObject {
    pub key: String,
    /// sample, deliverable, or `unknown` for an object no upload row named.
    pub purpose: String,
    pub kind: Option<String>,
    pub size: Option<u64>,
    pub deleted_at: DateTime<Utc>,
}

pub struct NewErasure<'a> {
    pub order_id: Uuid,
    pub reason: &'a str,
    pub requested_at: DateTime<Utc>,
    pub objects: &'a [DeletedObject],
    pub scrubbed: &'a Scrubbed,
    pub prefix_empty_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

pub async fn insert(conn: &impl ConnectionTrait, new: NewErasure<'_>) -> Result<ErasureRow, DbErr> {
    let to_json =
        |v: serde_json::Result<serde_json::Value>| v.map_err(|e| DbErr::Custom(e.to_string()));
    erasure::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(new.order_id),
        reason: Set(new.reason.to_owned()),
        requested_at: Set(new.requested_at),
        completed_at: Set(new.now),
        objects_deleted: Set(to_json(serde_json::to_value(new.objects))?),
        records_scrubbed: Set(to_json(serde_json::to_value(new.scrubbed))?),
        prefix_empty_at: Set(new.prefix_empty_at),
        certificate: Set(None),
    }
    .insert(conn)
    .await
}

pub async fn find(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Option<ErasureRow>, DbErr> {
    erasure::Entity::find()
        .filter(erasure::Column::OrderId.eq(order_id))
        .one(conn)
        .await
}

/// Keep `text` as the order's certificate of destruction unless one was issued already.
/// `false`: another reader issued it first — theirs is the certificate.
pub async fn store_certificate(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
    text: &str,
) -> Result<bool, DbErr> {
    let result = erasure::Entity::update_many()
        .col_expr(erasure::Column::Certificate, Expr::value(text))
        .filter(erasure::Column::OrderId.eq(order_id))
        .filter(erasure::Column::Certificate.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Orders erased since `since`: a presigned upload URL issued before the erasure may still be
/// used until it expires, so their prefixes are looked at again for that long.
pub async fn erased_since(
    conn: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    use sea_orm::QuerySelect;
    erasure::Entity::find()
        .select_only()
        .column(erasure::Column::OrderId)
        .filter(erasure::Column::CompletedAt.gte(since))
        .into_tuple()
        .all(conn)
        .await
}
