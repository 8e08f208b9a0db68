//! The customer's consent receipt, in the field names of the Kantara Initiative Consent
//! Receipt Specification v1.1 (jurisdiction, timestamp, collection method, controller,
//! purposes, sensitive categories, termination), extended with each party's record and the
//! ledger chain heads the receipt was issued against — so a later `ledger verify` can show that
//! nothing behind the receipt changed. Each issue is audited.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, consents::ConsentRow};
use crate::domain::consent::{ConsentDecision, Grants, Purpose};
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PiiController {
    pub pii_controller: String,
    pub on_behalf: bool,
    pub contact: String,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptPurpose {
    pub purpose: String,
    pub purpose_category: Vec<String>,
    pub consent_type: String,
    pub pii_category: Vec<String>,
    pub primary_purpose: bool,
    pub termination: String,
    pub third_party_disclosure: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptService {
    pub service: String,
    pub purposes: Vec<ReceiptPurpose>,
}

/// One party's consent as the receipt lists it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptParty {
    pub consent_id: Uuid,
    pub party: String,
    pub relationship: String,
    pub decision: String,
    pub collection_method: String,
    pub consent_timestamp: i64,
    pub withdrawn_timestamp: Option<i64>,
    pub text_version: i32,
    pub text_language: String,
    pub text_sha256: String,
    #[schema(value_type = Object)]
    pub grants: serde_json::Value,
    pub ledger_event_id: Uuid,
    pub ledger_event_hash: String,
}

/// The ledger heads the receipt was issued against.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptChain {
    pub order_event_count: i32,
    pub order_head_hash: String,
    pub global_head_seq: i64,
    pub global_head_hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentReceipt {
    pub version: String,
    pub jurisdiction: String,
    /// When the receipt was issued (seconds since the epoch).
    pub consent_timestamp: i64,
    pub collection_method: String,
    #[serde(rename = "consentReceiptID")]
    pub consent_receipt_id: Uuid,
    pub language: String,
    pub pii_principal_id: String,
    pub pii_controllers: Vec<PiiController>,
    pub policy_url: String,
    pub services: Vec<ReceiptService>,
    pub sensitive: bool,
    pub spi_cat: Vec<String>,
    /// Uses the live consents allow (private viewing, interactive chat, …).
    pub scope: Vec<String>,
    pub termination: String,
    pub order_reference: String,
    pub parties: Vec<ReceiptParty>,
    pub chain: ReceiptChain,
    pub issued_at: DateTime<Utc>,
}

fn purpose_text(p: Purpose) -> &'static str {
    match p {
        Purpose::Training => "Training a model of the person's face and voice",
        Purpose::Avatar => "Building a talking avatar",
        Purpose::LiveCall => "A live video call with an actor wearing the likeness",
        Purpose::FamilySharing => "Sharing the likeness within the family",
        Purpose::Iterations => "Follow-up iterations of the likeness",
    }
}

/// The receipt for order `id`'s consents (its customer and the studio; 409 `no_consents`
/// before the first signature).
pub async fn receipt(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<ConsentReceipt> {
    let order = orders::load(&state.db, actor, id).await?;
    let consents = db::consents::for_order(&state.db, order.id).await?;
    if consents.is_empty() {
        return Err(AppError::conflict(
            Code::NoConsents,
            "no consent has been signed on this order yet",
        ));
    }
    let events = db::ledger::for_order(&state.db, order.id).await?;
    let (global_seq, global_hash) = db::ledger::global_head(&state.db).await?;
    let hash_of = |event_id: Uuid| {
        events
            .iter()
            .find(|e| e.id == event_id)
            .map(|e| e.hash.clone())
            .unwrap_or_default()
    };
    let live: Vec<&ConsentRow> = consents
        .iter()
        .filter(|c| c.withdrawn_at.is_none() && c.decision == ConsentDecision::Given)
        .collect();
    let mut purposes = BTreeSet::new();
    let mut scope = BTreeSet::new();
    for c in &live {
        let grants: Grants =
            serde_json::from_value(c.grants.clone()).map_err(AppError::internal)?;
        purposes.extend(grants.purposes);
        scope.extend(grants.scope.iter().map(|s| s.as_str().to_owned()));
    }
    let settings = &state.settings.studio;
    let now = db::now();
    let receipt = ConsentReceipt {
        version: "KI-CR-v1.1.0".into(),
        jurisdiction: order.jurisdiction.clone(),
        consent_timestamp: now.timestamp(),
        collection_method: "Signed online: the customer in their account, other parties through single-use invitation links".into(),
        consent_receipt_id: Uuid::now_v7(),
        language: consents.first().map_or_else(|| "en".into(), |c| c.language.clone()),
        pii_principal_id: order.customer_id.map_or_else(String::new, |c| c.to_string()),
        pii_controllers: vec![PiiController {
            pii_controller: settings.name.clone(),
            on_behalf: false,
            contact: settings.name.clone(),
            email: settings.contact_email.clone(),
        }],
        policy_url: settings.privacy_policy_url.clone(),
        services: vec![ReceiptService {
            service: format!("Digital memorial likeness ({})", order.delivery_mode),
            purposes: purposes
                .iter()
                .map(|p| ReceiptPurpose {
                    purpose: purpose_text(*p).into(),
                    purpose_category: vec![p.as_str().into()],
                    consent_type: "EXPLICIT".into(),
                    pii_category: vec!["face images".into(), "voice recordings".into()],
                    primary_purpose: matches!(p, Purpose::Training | Purpose::Avatar | Purpose::LiveCall),
                    termination: "On withdrawal by any consenting party, or on erasure".into(),
                    third_party_disclosure: false,
                })
                .collect(),
        }],
        sensitive: true,
        spi_cat: vec!["biometric data (face, voice)".into(), "data about a deceased person".into()],
        scope: scope.into_iter().collect(),
        termination: "Any consenting party may withdraw at any time; the order stops at once and its data is erased".into(),
        order_reference: order.reference.clone(),
        parties: consents
            .iter()
            .map(|c| ReceiptParty {
                consent_id: c.id,
                party: c.party.as_str().to_owned(),
                relationship: c.relationship.clone(),
                decision: c.decision.as_str().to_owned(),
                collection_method: c.verification_method.clone(),
                consent_timestamp: c.signed_at.timestamp(),
                withdrawn_timestamp: c.withdrawn_at.map(|t| t.timestamp()),
                text_version: c.text_version,
                text_language: c.language.clone(),
                text_sha256: c.text_hash.clone(),
                grants: c.grants.clone(),
                ledger_event_id: c.ledger_event_id,
                ledger_event_hash: hash_of(c.ledger_event_id),
            })
            .collect(),
        chain: ReceiptChain {
            order_event_count: events.last().map_or(0, |e| e.order_seq),
            order_head_hash: events.last().map_or_else(String::new, |e| e.hash.clone()),
            global_head_seq: global_seq,
            global_head_hash: global_hash,
        },
        issued_at: now,
    };
    let detail = serde_json::json!({
        "receipt_id": receipt.consent_receipt_id,
        "order_head_hash": receipt.chain.order_head_hash,
        "global_head_seq": receipt.chain.global_head_seq,
    });
    audit::record(
        &state.db,
        &actor.audit(),
        "consent.receipt_issued",
        Target::order(order.id),
        actor.request_id(),
        detail,
    )
    .await?;
    Ok(receipt)
}
