//! Invitation links: the customer invites another party (a close relative, the actor of a live
//! call, a living subject) to sign; the party opens the link without an account, reads the
//! consent text, signs once, and can withdraw through the same link later.
//!
//! A link is `/api/v1/orders/{id}/consent-invitations/{token}`: the token is 256 random bits,
//! stored only as its SHA-256, usable once for signing and only until it expires. A token that
//! belongs to another order answers exactly like an unknown one.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::consent_texts::ConsentText;
use super::consents::{
    ConsentView, WithdrawRequest, WithdrawnView, client_facts, given, withdraw_reason,
    withdrawn_view,
};
use super::extract::{ApiJson, ApiPath, OptionalJson, RequestId};
use super::session::Caller;
use crate::audit::Actor;
use crate::consents::{self, InvitationState};
use crate::db::{self, consents::InvitationRow};
use crate::domain::consent::{ConsentDecision, ConsentParty, Grants};
use crate::domain::order::{DeliveryMode, Relationship};
use crate::error::{AppResult, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_invitation, list_invitations))
        .routes(routes!(open_invitation))
        .routes(routes!(sign_invitation))
        .routes(routes!(withdraw_through_invitation))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    /// `relative`, `actor` or `living_subject`.
    pub party: ConsentParty,
    /// For a relative: their relationship to the subject.
    pub relationship: Option<Relationship>,
    /// Who the link is for (shown to them; kept with the order's personal data): 1 to 200
    /// characters once surrounding blanks are dropped.
    #[schema(min_length = 1, pattern = r"\S")]
    pub invitee_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInvitation {
    pub id: Uuid,
    pub party: ConsentParty,
    pub relationship: String,
    pub invitee_name: String,
    pub expires_at: DateTime<Utc>,
    /// Shown once: send it to the invitee. Only its hash is stored.
    pub token: String,
    /// The link's path (prefix it with the studio's address).
    pub path: String,
    /// Earlier unused links for the same party and invitee, now revoked.
    pub revoked_earlier: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub party: ConsentParty,
    pub relationship: String,
    pub invitee_name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub consent_id: Option<Uuid>,
    pub state: InvitationState,
}

impl InvitationView {
    fn new(row: &InvitationRow, now: DateTime<Utc>) -> Self {
        Self {
            id: row.id,
            party: row.party,
            relationship: row.relationship.clone(),
            invitee_name: row.invitee_name.clone(),
            created_at: row.created_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
            consent_id: row.consent_id,
            state: consents::invitation_state(row, now),
        }
    }
}

/// Invite a party to sign (the order's customer).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/consent-invitations", tag = "consent",
    request_body = CreateInvitation,
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 201, description = "The link (its token is shown only now)", body = CreatedInvitation),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "Consents are closed for this order", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "This party is not invited on this order, or a field is missing", body = Problem),
    )
)]
async fn create_invitation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CreateInvitation>,
) -> AppResult<Response> {
    let invite = consents::Invite {
        party: req.party,
        relationship: req.relationship,
        invitee_name: req.invitee_name,
    };
    let ttl = state.settings.consent.invitation_ttl_hours;
    let consents::Invited {
        row,
        token,
        revoked_earlier,
    } = consents::invite(&state.db, &caller.acting(), id, invite, ttl).await?;
    let body = CreatedInvitation {
        id: row.id,
        party: req.party,
        relationship: row.relationship,
        invitee_name: row.invitee_name,
        expires_at: row.expires_at,
        path: format!("/api/v1/orders/{id}/consent-invitations/{token}"),
        token,
        revoked_earlier,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The order's invitations (no tokens).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/consent-invitations", tag = "consent",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Invitations, oldest first", body = Vec<InvitationView>),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<InvitationView>>> {
    let rows = consents::invitations(&state.db, &caller.acting(), id).await?;
    let now = db::now();
    Ok(Json(
        rows.iter().map(|r| InvitationView::new(r, now)).collect(),
    ))
}

/// What the invitee sees when they open the link.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenedInvitation {
    pub invitation: InvitationView,
    pub order_reference: String,
    pub subject_name: String,
    pub delivery_mode: DeliveryMode,
    pub jurisdiction: String,
    /// The current consent texts for this party, one per language: sign one of them.
    pub texts: Vec<ConsentText>,
    /// What was signed through this link, once it was used.
    pub consent: Option<ConsentView>,
}

/// Open an invitation link (no account needed).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/consent-invitations/{token}", tag = "consent", security(()),
    params(("id" = Uuid, Path, description = "Order id"), ("token" = String, Path, description = "The invitation token")),
    responses(
        (status = 200, description = "The invitation, the order it is about and the texts to sign", body = OpenedInvitation),
        (status = 404, description = "No such invitation for this order", body = Problem),
    )
)]
async fn open_invitation(
    State(state): State<AppState>,
    ApiPath((id, token)): ApiPath<(Uuid, String)>,
) -> AppResult<Json<OpenedInvitation>> {
    let consents::Opened {
        invitation,
        order,
        texts,
        consent,
    } = consents::open_invitation(&state.db, id, &token).await?;
    let texts = texts
        .into_iter()
        .map(ConsentText::try_from)
        .collect::<AppResult<Vec<_>>>()?;
    let consent = consent.as_ref().map(ConsentView::from);
    Ok(Json(OpenedInvitation {
        invitation: InvitationView::new(&invitation, db::now()),
        order_reference: order.reference,
        subject_name: order.subject.name,
        delivery_mode: order.delivery_mode,
        jurisdiction: order.jurisdiction,
        texts,
        consent,
    }))
}

/// The invitee's signature.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteeSignature {
    pub text_id: Uuid,
    /// 1 to 200 characters once surrounding blanks are dropped.
    #[schema(min_length = 1, pattern = r"\S")]
    pub signer_name: String,
    #[serde(default = "given")]
    pub decision: ConsentDecision,
    pub grants: Grants,
}

/// Sign through the link (once, before it expires).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/consent-invitations/{token}/sign", tag = "consent", security(()),
    request_body = InviteeSignature,
    params(("id" = Uuid, Path, description = "Order id"), ("token" = String, Path, description = "The invitation token")),
    responses(
        (status = 201, description = "Recorded", body = ConsentView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No such invitation for this order", body = Problem),
        (status = 409, description = "Consents closed or the text is outdated", body = Problem),
        (status = 410, description = "The link was already used or has expired", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Wrong text or grants", body = Problem),
    )
)]
async fn sign_invitation(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiPath((id, token)): ApiPath<(Uuid, String)>,
    request_id: RequestId,
    ApiJson(req): ApiJson<InviteeSignature>,
) -> AppResult<Response> {
    let (ip, user_agent) = client_facts(&state, &headers, peer);
    let signed = consents::LinkSignature {
        signer_name: req.signer_name,
        text_id: req.text_id,
        decision: req.decision,
        grants: req.grants,
        ip,
        user_agent,
        request_id: request_id.0,
    };
    let row = consents::sign_through_link(&state, id, &token, signed).await?;
    Ok((StatusCode::CREATED, Json(ConsentView::from(&row))).into_response())
}

/// Withdraw what was signed through the link (works after the link expired for signing).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/consent-invitations/{token}/withdraw", tag = "consent", security(()),
    request_body(content = Option<WithdrawRequest>, description = "Optional reason"),
    params(("id" = Uuid, Path, description = "Order id"), ("token" = String, Path, description = "The invitation token")),
    responses(
        (status = 200, description = "Withdrawn: the order stopped and its erasure is scheduled", body = WithdrawnView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 404, description = "No such invitation for this order", body = Problem),
        (status = 409, description = "Nothing was signed through this link, or it was already withdrawn", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Reason too long", body = Problem),
    )
)]
async fn withdraw_through_invitation(
    State(state): State<AppState>,
    ApiPath((id, token)): ApiPath<(Uuid, String)>,
    request_id: RequestId,
    OptionalJson(body): OptionalJson<WithdrawRequest>,
) -> AppResult<Json<WithdrawnView>> {
    let (invitation, _) = consents::by_token(&state.db, id, &token).await?;
    let consent = consents::signed_through(&state.db, &invitation).await?;
    let reason = withdraw_reason(body)?;
    let done = consents::withdraw(
        &state,
        &consent,
        Actor::invitee(invitation.id),
        reason,
        request_id.as_deref(),
    )
    .await?;
    Ok(Json(withdrawn_view(&done)))
}
