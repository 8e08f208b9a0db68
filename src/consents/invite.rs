//! Invitation links: the customer invites another party (a close relative, the actor of a live
//! call, a living subject) to sign; the party opens the link without an account, signs once
//! before it expires, and can withdraw through the same link later.
//!
//! The token is 256 random bits, shown once and stored only as its SHA-256. A token that
//! belongs to another order answers exactly like an unknown one, so a link reveals nothing
//! about orders it is not for.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::auth::token;
use crate::db::{self, WriteTransaction, consents::InvitationRow, orders::OrderRecord};
use crate::domain::consent::ConsentParty;
use crate::domain::order::{DeliveryMode, Relationship};
use crate::error::{AppError, AppResult, Code};
use crate::orders;

/// Whom the customer invites.
#[derive(Debug, Clone)]
pub struct Invite {
    pub party: ConsentParty,
    /// For a relative: their relationship to the subject.
    pub relationship: Option<Relationship>,
    /// Who the link is for: 1 to 200 characters once surrounding blanks are dropped.
    pub invitee_name: String,
}

/// A new link: its row, the token (to show once) and how many earlier unused links for the same
/// party and invitee it revoked.
pub struct Invited {
    pub row: InvitationRow,
    pub token: String,
    pub revoked_earlier: u64,
}

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    Pending,
    Used,
    Expired,
}

pub fn invitation_state(row: &InvitationRow, now: DateTime<Utc>) -> InvitationState {
    if row.used_at.is_some() {
        InvitationState::Used
    } else if row.expires_at <= now {
        InvitationState::Expired
    } else {
        InvitationState::Pending
    }
}

/// Create a link on the actor's own order while it still takes consents; the link lives
/// `ttl_hours`.
pub async fn invite(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
    invite: Invite,
    ttl_hours: u32,
) -> AppResult<Invited> {
    let order = orders::load_own(db, actor, order_id).await?;
    if !order.status.accepts_consents() {
        return Err(AppError::conflict(
            Code::ConsentsClosed,
            format!(
                "consents are signed before production; this order is {}",
                order.status
            ),
        ));
    }
    let relationship = invited_relationship(&order, &invite)?;
    let invitee_name = invite.invitee_name.trim().to_owned();
    if invitee_name.is_empty() || invitee_name.chars().count() > 200 {
        return Err(AppError::unprocessable(
            Code::InvalidInviteeName,
            "invitee_name must be 1 to 200 characters",
        ));
    }
    let token = token::new_token();
    let now = db::now();
    let new = db::consents::NewInvitation {
        id: Uuid::now_v7(),
        order_id: order.id,
        party: invite.party,
        relationship,
        invitee_name,
        token_hash: token::digest(&token),
        created_by: actor.id,
        now,
        expires_at: now + chrono::Duration::hours(i64::from(ttl_hours)),
    };
    let actor = actor.clone();
    let (row, revoked_earlier) = db
        .write_transaction::<_, (InvitationRow, u64), AppError>(|txn| {
            Box::pin(async move {
                let (row, revoked) = db::consents::insert_invitation(txn, new).await?;
                let detail = serde_json::json!({
                    "invitation_id": row.id, "party": row.party, "revoked_earlier": revoked,
                });
                audit::record(
                    txn,
                    &actor.audit(),
                    "consent.invitation_created",
                    Target::order(row.order_id),
                    actor.request_id(),
                    detail,
                )
                .await?;
                Ok((row, revoked))
            })
        })
        .await?;
    Ok(Invited {
        row,
        token,
        revoked_earlier,
    })
}

/// The order's invitations, oldest first (anyone who may see the order; rows hold no tokens).
pub async fn invitations(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: Uuid,
) -> AppResult<Vec<InvitationRow>> {
    let order = orders::load(db, actor, order_id).await?;
    Ok(db::consents::invitations_for_order(db, order.id).await?)
}

/// The invitation behind `token` with its order, if it belongs to order `order_id` (else 404
/// `invitation_not_found`, as if unknown).
pub async fn by_token(
    db: &DatabaseConnection,
    order_id: Uuid,
    token: &str,
) -> AppResult<(InvitationRow, OrderRecord)> {
    let not_found = || {
        AppError::not_found(
            Code::InvitationNotFound,
            "no such invitation for this order",
        )
    };
    let invitation = db::consents::invitation_by_token(db, &token::digest(token))
        .await?
        .filter(|i| i.order_id == order_id)
        .ok_or_else(not_found)?;
    let order = db::orders::find(db, order_id)
        .await?
        .ok_or_else(not_found)?;
    Ok((invitation, order))
}

/// What the invitee sees when they open the link: the invitation, the order it is about, the
/// current texts for their party in the order's jurisdiction (one per language), and what was
/// signed through the link once it was used.
pub struct Opened {
    pub invitation: InvitationRow,
    pub order: OrderRecord,
    pub texts: Vec<db::consent_texts::ConsentTextRow>,
    pub consent: Option<db::consents::ConsentRow>,
}

/// Open the link `token` of order `order_id` (no account needed; 404 as if unknown when it is
/// another order's).
pub async fn open(db: &DatabaseConnection, order_id: Uuid, token: &str) -> AppResult<Opened> {
    let (invitation, order) = by_token(db, order_id, token).await?;
    let texts = db::consent_texts::current(db, Some(&order.jurisdiction))
        .await?
        .into_iter()
        .filter(|t| t.party == invitation.party)
        .collect();
    let consent = match invitation.consent_id {
        Some(cid) => db::consents::find(db, cid).await?,
        None => None,
    };
    Ok(Opened {
        invitation,
        order,
        texts,
        consent,
    })
}

/// 410 unless the link can still be signed through (unused, not expired).
pub fn check_signable(invitation: &InvitationRow) -> AppResult<()> {
    match invitation_state(invitation, db::now()) {
        InvitationState::Used => Err(AppError::Gone {
            code: Code::InvitationUsed,
            detail: "this invitation link was already used".into(),
        }),
        InvitationState::Expired => Err(AppError::Gone {
            code: Code::InvitationExpired,
            detail: "this invitation link has expired; ask for a new one".into(),
        }),
        InvitationState::Pending => Ok(()),
    }
}

/// The consent signed through the link (409 `nothing_to_withdraw` when there is none).
pub async fn signed_through(
    db: &DatabaseConnection,
    invitation: &InvitationRow,
) -> AppResult<db::consents::ConsentRow> {
    let nothing = || {
        AppError::conflict(
            Code::NothingToWithdraw,
            "nothing was signed through this link",
        )
    };
    let consent_id = invitation.consent_id.ok_or_else(nothing)?;
    db::consents::find(db, consent_id)
        .await?
        .ok_or_else(nothing)
}

fn not_invitable(detail: impl Into<String>) -> AppError {
    AppError::unprocessable(Code::PartyNotInvitable, detail)
}

/// The relationship an invitation records, or why this party cannot be invited here.
fn invited_relationship(order: &OrderRecord, invite: &Invite) -> AppResult<String> {
    match invite.party {
        ConsentParty::Relative => match invite.relationship {
            Some(Relationship::OneSelf) | None => Err(AppError::unprocessable(
                Code::RelationshipRequired,
                "a relative's invitation names their relationship to the subject",
            )),
            Some(r) => Ok(r.as_str().to_owned()),
        },
        ConsentParty::Actor if order.delivery_mode == DeliveryMode::HumanDriven => {
            Ok("actor".into())
        }
        ConsentParty::Actor => Err(not_invitable("only a human_driven order has an actor")),
        ConsentParty::LivingSubject if order.subject.living && !order.subject.living_twin => {
            Ok("self".into())
        }
        ConsentParty::LivingSubject => Err(not_invitable(
            "only a living subject who is not the customer is invited (a living twin signs themself)",
        )),
        other => Err(not_invitable(format!(
            "the {other} signs on the order, not through an invitation"
        ))),
    }
}
