//! An order's timeline, oldest first. The customer sees what happened to their order in words
//! (and what the studio asks of them); the studio also sees who acted and its internal events,
//! in words too (`domain::timeline` words every kind). Built from the audit trail, with the
//! reviewer's request text read from the ledger's personal part (so erasure removes it here
//! too).

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit;
use crate::db;
use crate::domain::access;
use crate::domain::timeline::{self, Audience, EventFacts};
use crate::error::AppResult;

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    /// The recorded action, e.g. `screening.decided` (for programs; `message` is for people).
    pub kind: String,
    /// The order's status after the event, when it changed it.
    pub status: Option<String>,
    pub message: String,
    /// Studio only: who acted (`user:{id}`, `invitation:{id}`, `system:…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Studio only, never sent: the event's recorded facts (which party, stage, decision,
    /// amount), for pages that word the entry in their own language.
    #[serde(skip)]
    pub detail: serde_json::Value,
}

/// Decisions whose reason the customer is meant to read (what they are asked for).
fn customer_reads_reason(action: &str, decision: Option<&str>) -> bool {
    decision == Some("needs_info")
        && matches!(action, "screening.decided" | "consent_review.decided")
}

/// Order `id`'s timeline as the actor may read it (404 unless they may see the order).
pub async fn timeline(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Vec<TimelineEntry>> {
    let order = super::load(db, actor, id).await?;
    let audience = if access::sees_only_own_orders(actor.who()) {
        Audience::Customer
    } else {
        Audience::Studio
    };
    let events = audit::events_for(db, order.id).await?;
    let ledger = db::ledger::for_order(db, order.id).await?;
    let request_text = |ledger_id: Option<Uuid>| -> Option<String> {
        let event = ledger.iter().find(|e| Some(e.id) == ledger_id)?;
        let personal: serde_json::Value = serde_json::from_str(event.personal.as_deref()?).ok()?;
        personal["reason"].as_str().map(str::to_owned)
    };
    let entries = events
        .iter()
        .filter(|e| e.outcome == "success")
        .filter_map(|e| {
            let detail = &e.detail;
            let decision = detail["decision"].as_str();
            let ledger_id = detail["ledger_event_id"]
                .as_str()
                .and_then(|s| s.parse().ok());
            let request = customer_reads_reason(&e.action, decision)
                .then(|| request_text(ledger_id))
                .flatten();
            let facts = EventFacts {
                action: &e.action,
                detail,
                request: request.as_deref(),
            };
            let message = timeline::describe(&facts, audience)?;
            Some(TimelineEntry {
                at: e.occurred_at,
                kind: e.action.clone(),
                status: detail["to"].as_str().map(str::to_owned),
                message,
                actor: (audience == Audience::Studio).then(|| e.actor.clone()),
                detail: if audience == Audience::Studio {
                    detail.clone()
                } else {
                    serde_json::Value::Null
                },
            })
        })
        .collect();
    Ok(entries)
}
