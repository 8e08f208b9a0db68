//! The one transaction behind every recorded decision (screening, consent review): the order's
//! conditional update, its ledger event and its audit event commit together or not at all.

use crate::db::WriteTransaction;
use serde_json::Value;

use super::session::Caller;
use crate::audit::{self, Target};
use crate::db::{self, ledger::LedgerEventRow, orders::OrderChange, orders::OrderRecord};
use crate::error::{AppError, AppResult};
use crate::orders;
use crate::state::AppState;

/// What a decision writes besides the order change.
pub struct Decision {
    /// Ledger kind and audit action, e.g. `screening.decided`.
    pub kind: &'static str,
    /// Hashed as is: decisions, ids, flags — no names or free text.
    pub content: Value,
    /// Free text and anything personal: kept erasable beside the hash.
    pub personal: Option<Value>,
}

pub async fn commit(
    state: &AppState,
    caller: &Caller,
    order: &OrderRecord,
    expected_version: i32,
    change: OrderChange,
    decision: Decision,
    request_id: Option<&str>,
) -> AppResult<(OrderRecord, LedgerEventRow)> {
    let (id, actor, now) = (order.id, caller.actor(), change.now);
    let from = order.status;
    let request_id = request_id.map(str::to_owned);
    state
        .db
        .write_transaction::<_, (OrderRecord, LedgerEventRow), AppError>(|txn| {
            Box::pin(async move {
                let Some(updated) =
                    db::orders::update_if_version(txn, id, expected_version, change).await?
                else {
                    return Err(orders::lost_race(txn, id, expected_version).await);
                };
                crate::outbox::status_changed(txn, id, &updated.reference, from, updated.status)
                    .await?;
                let event = db::ledger::append(
                    txn,
                    db::ledger::NewEvent {
                        order_id: id,
                        kind: decision.kind,
                        content: &decision.content,
                        personal: decision.personal.as_ref(),
                        now,
                    },
                )
                .await?;
                let detail = serde_json::json!({
                    "from": from,
                    "to": updated.status,
                    "decision": decision.content.get("decision"),
                    "ledger_event_id": event.id,
                });
                audit::record(
                    txn,
                    &actor,
                    decision.kind,
                    Target::order(id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                Ok((updated, event))
            })
        })
        .await
        .map_err(Into::into)
}
