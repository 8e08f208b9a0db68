//! `/api/v1/orders/{id}/consents`: the customer signs their own consents (as the requester, for
//! the subject's documented wishes, or as the living subject of a living twin), everyone who
//! may see the order lists them, and the signer withdraws. `consent-status` says what the
//! jurisdiction's policy still needs.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath, OptionalJson};
use super::session::Caller;
use crate::consents;
use crate::db::consents::ConsentRow;
use crate::domain::consent::{ConsentDecision, ConsentParty, Evidence, Grants};
use crate::domain::consent_policy::ConsentStatus;
use crate::error::{AppResult, Problem};
use crate::orders;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_consent, list_consents))
        .routes(routes!(withdraw_consent))
        .routes(routes!(consent_status))
}

/// A consent as the order's people see it (signer address and user agent stay in the record).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentView {
    pub id: Uuid,
    pub party: ConsentParty,
    pub relationship: String,
    pub decision: ConsentDecision,
    pub text_id: Uuid,
    pub text_version: i32,
    pub text_sha256: String,
    pub language: String,
    #[schema(value_type = Object)]
    pub grants: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub evidence: serde_json::Value,
    pub signer_name: Option<String>,
    pub verification_method: String,
    pub via_invitation: Option<Uuid>,
    pub signed_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// The ledger event that proves this record.
    pub ledger_event_id: Uuid,
}

impl From<&ConsentRow> for ConsentView {
    fn from(c: &ConsentRow) -> Self {
        Self {
            id: c.id,
            party: c.party,
            relationship: c.relationship.clone(),
            decision: c.decision,
            text_id: c.text_id,
            text_version: c.text_version,
            text_sha256: c.text_hash.clone(),
            language: c.language.clone(),
            grants: c.grants.clone(),
            evidence: c.evidence.clone(),
            signer_name: c.signer_name.clone(),
            verification_method: c.verification_method.clone(),
            via_invitation: c.invitation_id,
            signed_at: c.signed_at,
            withdrawn_at: c.withdrawn_at,
            ledger_event_id: c.ledger_event_id,
        }
    }
}

/// The customer's own signature.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerSignature {
    /// `requester`, `subject_wishes` (the subject's documented wishes, with the document as
    /// `written_wishes` evidence) or `living_subject` (a living twin only). Other parties sign
    /// through an invitation.
    pub party: ConsentParty,
    /// The current consent text for the order's jurisdiction and this party.
    pub text_id: Uuid,
    /// 1 to 200 characters once surrounding blanks are dropped.
    #[schema(min_length = 1, pattern = r"\S")]
    pub signer_name: String,
    /// `refused` records a "no" (for `subject_wishes`: the subject's documented refusal).
    #[serde(default = "given")]
    pub decision: ConsentDecision,
    pub grants: Grants,
    /// Verified document samples of this order and what each proves.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

pub(crate) fn given() -> ConsentDecision {
    ConsentDecision::Given
}

/// The signer's address (as the login throttle reads it) and user agent.
pub(crate) fn client_facts(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> (Option<String>, Option<String>) {
    let ip = crate::accounts::client_address(headers, peer, &state.settings.auth);
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(500).collect());
    (Some(ip), agent)
}

/// The customer's signature as the service takes it, with where it came from.
pub(crate) fn own_signature(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    req: CustomerSignature,
    iteration_id: Option<Uuid>,
) -> consents::OwnSignature {
    let (ip, user_agent) = client_facts(state, headers, peer);
    consents::OwnSignature {
        party: req.party,
        signer_name: req.signer_name,
        text_id: req.text_id,
        decision: req.decision,
        grants: req.grants,
        evidence: req.evidence,
        iteration_id,
        ip,
        user_agent,
    }
}

/// Sign a consent as the order's customer.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/consents", tag = "consent",
    request_body = CustomerSignature,
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 201, description = "Recorded (and chained into the ledger)", body = ConsentView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the order's customer", body = Problem),
        (status = 404, description = "No such order", body = Problem),
        (status = 409, description = "Consents closed (production started), text outdated, or already signed", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Wrong text, party, grants or evidence", body = Problem),
    )
)]
async fn sign_consent(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CustomerSignature>,
) -> AppResult<Response> {
    let own = own_signature(&state, &headers, peer, req, None);
    let row = consents::sign_own(&state, &caller.acting(), id, own).await?;
    Ok((StatusCode::CREATED, Json(ConsentView::from(&row))).into_response())
}

/// The order's consent records, oldest first (withdrawn ones included).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/consents", tag = "consent",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The consent records", body = Vec<ConsentView>),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn list_consents(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<ConsentView>>> {
    let rows = consents::records(&state.db, &caller.acting(), id).await?;
    Ok(Json(rows.iter().map(ConsentView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// Optional, kept with the personal data (erasable).
    pub reason: Option<String>,
}

/// What a withdrawal answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct WithdrawnView {
    pub consent_id: Uuid,
    pub ledger_event_id: Uuid,
    /// The order was active and has stopped.
    pub order_stopped: bool,
    pub order_status: crate::domain::order::OrderStatus,
    pub erasure_due_at: Option<DateTime<Utc>>,
}

pub(crate) fn withdrawn_view(w: &consents::Withdrawal) -> WithdrawnView {
    WithdrawnView {
        consent_id: w.consent_id,
        ledger_event_id: w.ledger_event_id,
        order_stopped: w.stopped_order,
        order_status: w.order.status,
        erasure_due_at: w.order.erasure_due_at,
    }
}

pub(crate) fn withdraw_reason(body: Option<WithdrawRequest>) -> AppResult<Option<String>> {
    match body.and_then(|b| b.reason) {
        Some(r) if !r.trim().is_empty() => {
            orders::required_text(Some(&r), "reason", "a withdrawal").map(Some)
        }
        _ => Ok(None),
    }
}

/// Withdraw a consent you signed: the order stops at once (from any active state) and its
/// erasure is scheduled. No If-Match: a withdrawal never loses a race.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/consents/{cid}/withdraw", tag = "consent",
    request_body(content = Option<WithdrawRequest>, description = "Optional reason"),
    params(("id" = Uuid, Path, description = "Order id"), ("cid" = Uuid, Path, description = "Consent id")),
    responses(
        (status = 200, description = "Withdrawn", body = WithdrawnView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 403, description = "Not the signer of this consent", body = Problem),
        (status = 404, description = "No such order or consent", body = Problem),
        (status = 409, description = "Already withdrawn, or a refusal", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Body is not JSON", body = Problem),
        (status = 422, description = "Reason too long", body = Problem),
    )
)]
async fn withdraw_consent(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, cid)): ApiPath<(Uuid, Uuid)>,
    OptionalJson(body): OptionalJson<WithdrawRequest>,
) -> AppResult<Json<WithdrawnView>> {
    let reason = withdraw_reason(body)?;
    let done = consents::withdraw_own(&state, &caller.acting(), id, cid, reason).await?;
    Ok(Json(withdrawn_view(&done)))
}

/// What the order's jurisdiction requires, what is present and what is missing.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/consent-status", tag = "consent",
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Requirements, each met or missing", body = ConsentStatus),
        (status = 401, description = "Not logged in", body = Problem),
        (status = 404, description = "No such order", body = Problem),
    )
)]
async fn consent_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ConsentStatus>> {
    let (_, status) = consents::status(&state.db, &caller.acting(), id).await?;
    Ok(Json(status))
}
