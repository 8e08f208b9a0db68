//! What every reviewer decision shares: who may decide and from which version ([`open`]), and
//! the one transaction that records it ([`commit`]): the order's conditional update, its status
//! mail, its ledger event and its audit event commit together or not at all.

use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{
    self, WriteTransaction, ledger::LedgerEventRow, orders::OrderChange, orders::OrderRecord,
};
use crate::domain::order::{Move, OrderStatus, Refusal};
use crate::error::{AppError, AppResult};
use crate::orders;

/// What a decision writes besides the order change.
pub struct Decision {
    /// Ledger kind and audit action, e.g. `screening.decided`.
    pub kind: &'static str,
    /// Hashed as is: decisions, ids, flags — no names or free text.
    pub content: Value,
    /// Free text and anything personal: kept erasable beside the hash.
    pub personal: Option<Value>,
}

/// A decision under way: the order as read, where the decision takes it, and the reason.
pub(super) struct Opened {
    pub order: OrderRecord,
    pub step: Move,
    pub reason: Option<String>,
    /// The order change so far: status and resume status set, stamped now.
    pub change: OrderChange,
}

/// What the reviewer asks for: the decision's name, whether it lets the order go on (only then
/// may the reason be left out), and the reason given.
pub(super) struct Asked<'a> {
    pub name: &'a str,
    pub lets_it_go_on: bool,
    pub reason: Option<&'a str>,
}

/// Load order `id` for review (403 unless this reviewer may decide), check the version, ask the
/// lifecycle where the decision takes it (409 otherwise) and check its reason.
pub(super) async fn open(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    asked: Asked<'_>,
    step: impl FnOnce(OrderStatus) -> Result<Move, Refusal>,
) -> AppResult<Opened> {
    let order = orders::load_for_review(db, actor, id).await?;
    orders::check_version(&order, expected)?;
    let step = step(order.status).map_err(|r| AppError::conflict(r.code, r.reason))?;
    let reason = orders::decision_reason(asked.reason, !asked.lets_it_go_on, asked.name)?;
    let mut change = order.unchanged(db::now());
    change.status = step.to;
    change.resume_status = step.resume_status;
    Ok(Opened {
        order,
        step,
        reason,
        change,
    })
}

/// Record the decision: the order (if still at `expected`), the ledger and the audit trail.
pub(super) async fn commit(
    db: &DatabaseConnection,
    actor: &Actor,
    order: &OrderRecord,
    expected: i32,
    change: OrderChange,
    decision: Decision,
) -> AppResult<(OrderRecord, LedgerEventRow)> {
    let (id, now, from) = (order.id, change.now, order.status);
    let (audit_actor, request_id) = (actor.audit(), actor.request_id.clone());
    db.write_transaction::<_, (OrderRecord, LedgerEventRow), AppError>(|txn| {
        Box::pin(async move {
            let Some(updated) = db::orders::update_if_version(txn, id, expected, change).await?
            else {
                return Err(orders::lost_race(txn, id, expected).await);
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
            let target = Target::order(id);
            audit::record(
                txn,
                &audit_actor,
                decision.kind,
                target,
                request_id.as_deref(),
                detail,
            )
            .await?;
            Ok((updated, event))
        })
    })
    .await
}
