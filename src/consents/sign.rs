//! Checking and recording one signature.

use crate::db::WriteTransaction;
use crate::domain::ids::OrderId;
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, Actor, Target};
use crate::db::{self, consents::ConsentRow, orders::OrderRecord};
use crate::domain::consent::{ConsentDecision, ConsentParty, DocumentType, Evidence, Grants};
use crate::domain::sample::{SampleKind, SampleStatus};
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;

/// Who signs and how they were identified.
#[derive(Debug, Clone)]
pub struct Signer {
    pub name: String,
    /// The account, when the customer signs logged in.
    pub user_id: Option<Uuid>,
    /// The invitation used, when a party signs through a link.
    pub invitation_id: Option<Uuid>,
    /// `account_session` or `invitation_link`.
    pub verification_method: &'static str,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub actor: Actor,
}

/// What is signed.
#[derive(Debug, Clone)]
pub struct Signature {
    pub party: ConsentParty,
    /// The party's relationship to the subject (`spouse`, … `self`, `actor`, `subject`).
    pub relationship: String,
    pub text_id: Uuid,
    pub decision: ConsentDecision,
    pub grants: Grants,
    pub evidence: Vec<Evidence>,
    /// Fresh consent for this follow-up iteration of a delivered order.
    pub iteration_id: Option<Uuid>,
}

const MAX_NAME_CHARS: usize = 200;

fn invalid(code: Code, detail: impl Into<String>) -> AppError {
    AppError::unprocessable(code, detail)
}

/// The evidence as hashed into the ledger: which verified file, of what type.
#[derive(Serialize)]
struct EvidenceRecord {
    sample_id: Uuid,
    document_type: DocumentType,
    sha256: String,
}

async fn check_evidence(
    state: &AppState,
    order: &OrderRecord,
    evidence: &[Evidence],
) -> AppResult<Vec<EvidenceRecord>> {
    let mut records = Vec::with_capacity(evidence.len());
    for item in evidence {
        if records
            .iter()
            .any(|r: &EvidenceRecord| r.sample_id == item.sample_id)
        {
            return Err(invalid(
                Code::InvalidEvidence,
                format!("sample {} is cited twice", item.sample_id),
            ));
        }
        let sample = db::samples::find_of(
            &state.db,
            crate::domain::sample::UploadPurpose::Sample,
            OrderId(order.id),
            item.sample_id,
        )
        .await?
        .filter(|s| s.kind == SampleKind::Document && s.status == SampleStatus::Verified)
        .ok_or_else(|| {
            invalid(
                Code::InvalidEvidence,
                format!(
                    "sample {} is not a verified document of this order",
                    item.sample_id
                ),
            )
        })?;
        records.push(EvidenceRecord {
            sample_id: sample.id,
            document_type: item.document_type,
            sha256: sample.declared_sha256,
        });
    }
    Ok(records)
}

/// Consents are signed before production — or, for a follow-up iteration waiting for fresh
/// consent, while that iteration has not started.
async fn check_open(
    state: &AppState,
    order: &OrderRecord,
    iteration: Option<Uuid>,
) -> AppResult<()> {
    let Some(iteration_id) = iteration else {
        if order.status.accepts_consents() {
            return Ok(());
        }
        return Err(AppError::conflict(
            Code::ConsentsClosed,
            format!(
                "consents are signed before production; this order is {}",
                order.status
            ),
        ));
    };
    let iteration = db::iterations::find(&state.db, OrderId(order.id), iteration_id)
        .await?
        .ok_or_else(|| AppError::not_found(Code::IterationNotFound, "no such iteration"))?;
    if iteration.status.takes_consent() && order.status.is_active() {
        Ok(())
    } else {
        Err(AppError::conflict(
            Code::ConsentsClosed,
            format!(
                "fresh consent is given before an iteration starts; this one is {}",
                iteration.status
            ),
        ))
    }
}

/// Check `signature` against the order, the consent texts and the evidence, then record it.
/// A signature through an invitation uses the invitation up in the same transaction.
pub async fn record_signature(
    state: &AppState,
    order: &OrderRecord,
    signer: Signer,
    signature: Signature,
    request_id: Option<&str>,
) -> AppResult<ConsentRow> {
    check_open(state, order, signature.iteration_id).await?;
    let name = signer.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            Code::InvalidSignerName,
            format!("signer_name must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    let text = db::consent_texts::find(&state.db, signature.text_id)
        .await?
        .ok_or_else(|| invalid(Code::UnknownConsentText, "no consent text has this id"))?;
    if text.party != signature.party || text.jurisdiction != order.jurisdiction {
        return Err(invalid(
            Code::WrongConsentText,
            format!(
                "this order needs a {} text for {}; text {} is a {} text for {}",
                signature.party, order.jurisdiction, text.id, text.party, text.jurisdiction
            ),
        ));
    }
    let current = db::consent_texts::current(&state.db, Some(&order.jurisdiction)).await?;
    if !current.iter().any(|t| t.id == text.id) {
        return Err(AppError::conflict(
            Code::ConsentTextOutdated,
            "a newer version of this consent text was published; read and sign that one",
        ));
    }
    let grants = signature.grants.normalized();
    if signature.decision == ConsentDecision::Given
        && signature.party != ConsentParty::SubjectWishes
        && (grants.modalities.is_empty() || grants.purposes.is_empty())
    {
        return Err(invalid(
            Code::EmptyGrant,
            "a consent grants at least one modality and one purpose",
        ));
    }
    if signature.party == ConsentParty::SubjectWishes
        && !signature
            .evidence
            .iter()
            .any(|e| e.document_type == DocumentType::WrittenWishes)
    {
        return Err(invalid(
            Code::EvidenceRequired,
            "the subject's wishes are recorded from a document: cite it as `written_wishes` evidence",
        ));
    }
    let evidence = check_evidence(state, order, &signature.evidence).await?;

    let consent_id = Uuid::now_v7();
    let now = db::now();
    let mut content = serde_json::json!({
        "consent_id": consent_id,
        "party": signature.party,
        "relationship": signature.relationship,
        "decision": signature.decision,
        "grants": grants,
        "evidence": evidence,
        "text": { "id": text.id, "version": text.version, "language": text.language, "sha256": text.sha256 },
        "verification_method": signer.verification_method,
        "invitation_id": signer.invitation_id,
    });
    if let Some(iteration_id) = signature.iteration_id {
        content["iteration_id"] = iteration_id.to_string().into();
    }
    let personal = serde_json::json!({
        "signer_name": name,
        "signer_user_id": signer.user_id,
        "ip": signer.ip,
        "user_agent": signer.user_agent,
    });
    let new = db::consents::NewConsent {
        id: consent_id,
        order_id: order.id,
        party: signature.party,
        relationship: signature.relationship,
        decision: signature.decision,
        text_id: text.id,
        text_hash: text.sha256.clone(),
        text_version: text.version,
        language: text.language.clone(),
        grants,
        evidence: signature.evidence,
        signer_name: name,
        signer_user_id: signer.user_id,
        invitation_id: signer.invitation_id,
        verification_method: signer.verification_method.to_owned(),
        signer_ip: signer.ip,
        signer_user_agent: signer.user_agent,
        signed_at: now,
        ledger_event_id: Uuid::nil(),
        iteration_id: signature.iteration_id,
    };
    let (order_id, actor, party, decision) =
        (order.id, signer.actor, signature.party, signature.decision);
    let invitation_id = signer.invitation_id;
    let request_id = request_id.map(str::to_owned);
    state
        .db
        .write_transaction::<_, ConsentRow, AppError>(|txn| {
            Box::pin(async move {
                if let Some(invitation) = invitation_id
                    && !db::consents::use_invitation(txn, invitation, consent_id, now).await?
                {
                    return Err(AppError::Gone {
                        code: Code::InvitationUsed,
                        detail: "this invitation link was already used or has expired".into(),
                    });
                }
                let event = db::ledger::append(
                    txn,
                    db::ledger::NewEvent {
                        order_id,
                        kind: "consent.signed",
                        content: &content,
                        personal: Some(&personal),
                        now,
                    },
                )
                .await?;
                let row = db::consents::insert(
                    txn,
                    db::consents::NewConsent {
                        ledger_event_id: event.id,
                        ..new
                    },
                )
                .await
                .map_err(|err| {
                    if db::is_unique_violation(&err) {
                        already_signed(party)
                    } else {
                        err.into()
                    }
                })?;
                let detail = serde_json::json!({
                    "consent_id": consent_id,
                    "party": party,
                    "decision": decision,
                    "ledger_event_id": event.id,
                });
                audit::record(
                    txn,
                    &actor,
                    "consent.signed",
                    Target::order(order_id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                Ok(row)
            })
        })
        .await
}

fn already_signed(party: ConsentParty) -> AppError {
    AppError::conflict(
        Code::AlreadySigned,
        format!("you already signed as {party} on this order; withdraw that consent to sign again"),
    )
}

/// The customer's own signature on their order, as typed at a door (the pages, the API).
pub struct OwnSignature {
    pub party: ConsentParty,
    pub signer_name: String,
    pub text_id: Uuid,
    pub decision: ConsentDecision,
    pub grants: Grants,
    pub evidence: Vec<Evidence>,
    /// Fresh consent for this follow-up iteration (the door checked it belongs to the order).
    pub iteration_id: Option<Uuid>,
    /// Where the signature came from (the client's address and user agent).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The order's customer signs in their account, for themselves (as the requester), for the
/// subject's documented wishes, or as the living subject of a living twin; everyone else
/// signs through an invitation link (422 `party_signs_by_invitation`). For an iteration only
/// the requester (or the living twin) signs (422 `party_not_for_iterations`).
pub async fn sign_own(
    state: &AppState,
    actor: &crate::actor::Actor,
    order_id: Uuid,
    own: OwnSignature,
) -> AppResult<ConsentRow> {
    let order = crate::orders::load_own(&state.db, actor, order_id).await?;
    let relationship = match (own.party, own.iteration_id) {
        (ConsentParty::Requester, _) => order.subject.requester_relationship.as_str(),
        (ConsentParty::LivingSubject, _) if order.subject.living_twin => "self",
        (ConsentParty::SubjectWishes, None) => "subject",
        (other, Some(_)) => {
            return Err(invalid(
                Code::PartyNotForIterations,
                format!("fresh consent for an iteration is given by the requester, not a {other}"),
            ));
        }
        (other, None) => {
            return Err(invalid(
                Code::PartySignsByInvitation,
                format!("a {other} signs through an invitation link the customer sends them"),
            ));
        }
    };
    let signer = Signer {
        name: own.signer_name,
        user_id: Some(actor.id),
        invitation_id: None,
        verification_method: "account_session",
        ip: own.ip,
        user_agent: own.user_agent,
        actor: actor.audit(),
    };
    let signature = Signature {
        party: own.party,
        relationship: relationship.to_owned(),
        text_id: own.text_id,
        decision: own.decision,
        grants: own.grants,
        evidence: own.evidence,
        iteration_id: own.iteration_id,
    };
    record_signature(state, &order, signer, signature, actor.request_id()).await
}

/// A signature (or a "no") given through an invitation link, as typed at a door.
pub struct LinkSignature {
    pub signer_name: String,
    pub text_id: Uuid,
    pub decision: ConsentDecision,
    pub grants: Grants,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// Sign through the link `token` of order `order_id` — no account: the token is the
/// credential (404 as if unknown for another order's link, 410 once used or expired). The
/// invitee signs as the invited party with the relationship the invitation recorded.
pub async fn sign_through_link(
    state: &AppState,
    order_id: Uuid,
    token: &str,
    signed: LinkSignature,
) -> AppResult<ConsentRow> {
    let (invitation, order) = super::by_token(&state.db, order_id, token).await?;
    super::check_signable(&invitation)?;
    let signer = Signer {
        name: signed.signer_name,
        user_id: None,
        invitation_id: Some(invitation.id),
        verification_method: "invitation_link",
        ip: signed.ip,
        user_agent: signed.user_agent,
        actor: Actor::invitee(invitation.id),
    };
    let signature = Signature {
        party: invitation.party,
        relationship: invitation.relationship.clone(),
        text_id: signed.text_id,
        decision: signed.decision,
        grants: signed.grants,
        evidence: Vec::new(),
        iteration_id: None,
    };
    record_signature(
        state,
        &order,
        signer,
        signature,
        signed.request_id.as_deref(),
    )
    .await
}
