//! Consent records and invitation links. Records are never deleted; a withdrawal stamps
//! `withdrawn_at` once (a conditional update, so two withdrawals cannot both count).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::consent::{self, Entity as Consents};
use super::entities::consent_invitation::{self, Entity as Invitations};
use crate::domain::consent::{ConsentDecision, ConsentParty, Evidence, Grants};
use crate::domain::consent_policy::ConsentFacts;
use crate::domain::order::Relationship;

pub use consent::Model as ConsentRow;
pub use consent_invitation::Model as InvitationRow;

/// A consent about to be recorded (its ledger event is written first, in the same transaction).
pub struct NewConsent {
    pub id: Uuid,
    pub order_id: Uuid,
    pub party: ConsentParty,
    pub relationship: String,
    pub decision: ConsentDecision,
    pub text_id: Uuid,
    pub text_hash: String,
    pub text_version: i32,
    pub language: String,
    pub grants: Grants,
    pub evidence: Vec<Evidence>,
    pub signer_name: String,
    pub signer_user_id: Option<Uuid>,
    pub invitation_id: Option<Uuid>,
    pub verification_method: String,
    pub signer_ip: Option<String>,
    pub signer_user_agent: Option<String>,
    pub signed_at: DateTime<Utc>,
    pub ledger_event_id: Uuid,
    pub iteration_id: Option<Uuid>,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, DbErr> {
    serde_json::to_value(value).map_err(|e| DbErr::Custom(e.to_string()))
}

pub async fn insert(conn: &impl ConnectionTrait, new: NewConsent) -> Result<ConsentRow, DbErr> {
    consent::ActiveModel {
        id: Set(new.id),
        order_id: Set(new.order_id),
        party: Set(new.party),
        relationship: Set(new.relationship),
        decision: Set(new.decision),
        text_id: Set(new.text_id),
        text_hash: Set(new.text_hash),
        text_version: Set(new.text_version),
        language: Set(new.language),
        grants: Set(to_json(&new.grants)?),
        evidence: Set(to_json(&new.evidence)?),
        signer_name: Set(Some(new.signer_name)),
        signer_user_id: Set(new.signer_user_id),
        invitation_id: Set(new.invitation_id),
        verification_method: Set(new.verification_method),
        signer_ip: Set(new.signer_ip),
        signer_user_agent: Set(new.signer_user_agent),
        signed_at: Set(new.signed_at),
        ledger_event_id: Set(new.ledger_event_id),
        withdrawn_at: Set(None),
        withdrawal_ledger_event_id: Set(None),
        iteration_id: Set(new.iteration_id),
    }
    .insert(conn)
    .await
}

pub async fn for_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<ConsentRow>, DbErr> {
    Consents::find()
        .filter(consent::Column::OrderId.eq(order_id))
        .order_by_asc(consent::Column::SignedAt)
        .order_by_asc(consent::Column::Id)
        .all(conn)
        .await
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<ConsentRow>, DbErr> {
    Consents::find_by_id(id).one(conn).await
}

/// Stamp the withdrawal; `false` when it was already withdrawn.
pub async fn mark_withdrawn(
    conn: &impl ConnectionTrait,
    id: Uuid,
    ledger_event_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Consents::update_many()
        .col_expr(consent::Column::WithdrawnAt, Expr::value(now))
        .col_expr(
            consent::Column::WithdrawalLedgerEventId,
            Expr::value(ledger_event_id),
        )
        .filter(consent::Column::Id.eq(id))
        .filter(consent::Column::WithdrawnAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A stored record as the policy reads it.
pub fn facts(row: &ConsentRow) -> Result<ConsentFacts, DbErr> {
    let corrupt = |what: &str| {
        DbErr::Custom(format!(
            "stored consent {} has an unreadable {what}",
            row.id
        ))
    };
    Ok(ConsentFacts {
        id: row.id,
        party: row.party,
        relationship: Relationship::parse(&row.relationship),
        decision: row.decision,
        grants: serde_json::from_value(row.grants.clone()).map_err(|_| corrupt("grants"))?,
        evidence: serde_json::from_value(row.evidence.clone()).map_err(|_| corrupt("evidence"))?,
        withdrawn: row.withdrawn_at.is_some(),
    })
}

pub struct NewInvitation {
    pub id: Uuid,
    pub order_id: Uuid,
    pub party: ConsentParty,
    pub relationship: String,
    pub invitee_name: String,
    pub token_hash: String,
    pub created_by: Uuid,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Issue an invitation; an unused one for the same party and invitee is revoked (expired now),
/// so asking again replaces the link instead of adding a second live one.
pub async fn insert_invitation(
    conn: &impl ConnectionTrait,
    new: NewInvitation,
) -> Result<(InvitationRow, u64), DbErr> {
    let revoked = Invitations::update_many()
        .col_expr(consent_invitation::Column::ExpiresAt, Expr::value(new.now))
        .filter(consent_invitation::Column::OrderId.eq(new.order_id))
        .filter(consent_invitation::Column::Party.eq(new.party.as_str()))
        .filter(consent_invitation::Column::InviteeName.eq(new.invitee_name.as_str()))
        .filter(consent_invitation::Column::UsedAt.is_null())
        .filter(consent_invitation::Column::ExpiresAt.gt(new.now))
        .exec(conn)
        .await?
        .rows_affected;
    let row = consent_invitation::ActiveModel {
        id: Set(new.id),
        order_id: Set(new.order_id),
        party: Set(new.party),
        relationship: Set(new.relationship),
        invitee_name: Set(new.invitee_name),
        token_hash: Set(new.token_hash),
        created_by: Set(new.created_by),
        created_at: Set(new.now),
        expires_at: Set(new.expires_at),
        used_at: Set(None),
        consent_id: Set(None),
    }
    .insert(conn)
    .await?;
    Ok((row, revoked))
}

pub async fn invitation_by_token(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<InvitationRow>, DbErr> {
    Invitations::find()
        .filter(consent_invitation::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await
}

pub async fn invitations_for_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<InvitationRow>, DbErr> {
    Invitations::find()
        .filter(consent_invitation::Column::OrderId.eq(order_id))
        .order_by_asc(consent_invitation::Column::CreatedAt)
        .order_by_asc(consent_invitation::Column::Id)
        .all(conn)
        .await
}

/// Use the invitation once: `false` when it was already used or has expired.
pub async fn use_invitation(
    conn: &impl ConnectionTrait,
    id: Uuid,
    consent_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Invitations::update_many()
        .col_expr(consent_invitation::Column::UsedAt, Expr::value(now))
        .col_expr(
            consent_invitation::Column::ConsentId,
            Expr::value(consent_id),
        )
        .filter(consent_invitation::Column::Id.eq(id))
        .filter(consent_invitation::Column::UsedAt.is_null())
        .filter(consent_invitation::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A consent signed with one text version, with its order's reference.
pub struct SignedWith {
    pub consent: ConsentRow,
    pub reference: String,
}

/// How many consents were signed with text `text_id`, and the newest `limit` of them with
/// their orders' references (the index on (text_id, signed_at) serves both).
pub async fn signed_with(
    conn: &impl ConnectionTrait,
    text_id: Uuid,
    limit: u64,
) -> Result<(u64, Vec<SignedWith>), DbErr> {
    use sea_orm::{PaginatorTrait, QuerySelect};
    let count = Consents::find()
        .filter(consent::Column::TextId.eq(text_id))
        .count(conn)
        .await?;
    let rows = Consents::find()
        .filter(consent::Column::TextId.eq(text_id))
        .order_by_desc(consent::Column::SignedAt)
        .order_by_desc(consent::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.order_id).collect();
    let references = super::orders::references(conn, &ids).await?;
    let signed = rows
        .into_iter()
        .map(|consent| SignedWith {
            reference: references
                .get(&consent.order_id)
                .cloned()
                .unwrap_or_default(),
            consent,
        })
        .collect();
    Ok((count, signed))
}
