//! A withdrawal: the consent is marked withdrawn, the order stops at once (`withdrawn`, from
//! any active status, whatever its version) and its erasure is scheduled — or, for an order
//! that had already stopped, only the erasure is scheduled.

use crate::db::WriteTransaction;
use uuid::Uuid;

use crate::audit::{self, Actor, Target};
use crate::db::{self, consents::ConsentRow, orders::OrderRecord};
use crate::domain::consent::ConsentDecision;
use crate::domain::order::OrderStatus;
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::state::AppState;

/// What a withdrawal did.
#[derive(Debug, Clone)]
pub struct Withdrawal {
    pub consent_id: Uuid,
    pub ledger_event_id: Uuid,
    /// The order after the withdrawal.
    pub order: OrderRecord,
    /// The order was active and is now `withdrawn`.
    pub stopped_order: bool,
}

/// Withdraw consent `consent_id` on order `order_id`, signed by the actor themself (404
/// `consent_not_found` for another order's; 403 `not_the_signer` for someone else's: they use
/// their invitation link).
pub async fn withdraw_own(
    state: &AppState,
    actor: &crate::actor::Actor,
    order_id: Uuid,
    consent_id: Uuid,
    reason: Option<String>,
) -> AppResult<Withdrawal> {
    let order = orders::load(&state.db, actor, order_id).await?;
    let consent = db::consents::find(&state.db, consent_id)
        .await?
        .filter(|c| c.order_id == order.id)
        .ok_or_else(|| {
            AppError::not_found(Code::ConsentNotFound, "no such consent on this order")
        })?;
    if consent.signer_user_id != Some(actor.id) {
        let refusal = AppError::Forbidden {
            code: Code::NotTheSigner,
            detail: "only the person who signed a consent withdraws it (others use their invitation link)".into(),
        };
        return Err(crate::actor::refuse(&state.db, actor, Target::order(order_id), refusal).await);
    }
    withdraw(state, &consent, actor.audit(), reason, actor.request_id()).await
}

/// Withdraw `consent` for `actor` (its signer, or an invitee through their link).
pub async fn withdraw(
    state: &AppState,
    consent: &ConsentRow,
    actor: Actor,
    reason: Option<String>,
    request_id: Option<&str>,
) -> AppResult<Withdrawal> {
    if consent.withdrawn_at.is_some() {
        return Err(already_withdrawn());
    }
    if consent.decision != ConsentDecision::Given {
        return Err(AppError::conflict(
            Code::NothingToWithdraw,
            "this record is a refusal; there is no consent to withdraw",
        ));
    }
    let now = db::now();
    let erasure_due_at =
        now + chrono::Duration::days(i64::from(state.settings.consent.erasure_after_days));
    let (consent_id, order_id, signed_event) =
        (consent.id, consent.order_id, consent.ledger_event_id);
    let party = consent.party;
    let request_id = request_id.map(str::to_owned);
    // For the customer's notification only; the update below decides on the status it finds.
    let from_status = db::orders::find(&state.db, order_id)
        .await?
        .map_or(OrderStatus::Withdrawn, |o| o.status);
    state
        .db
        .write_transaction::<_, Withdrawal, AppError>(|txn| {
            Box::pin(async move {
                let stopped = db::orders::withdraw(
                    txn,
                    order_id,
                    &OrderStatus::active(),
                    erasure_due_at,
                    "withdrawal",
                    now,
                )
                .await?;
                let stopped_order = stopped.is_some();
                if !stopped_order {
                    db::orders::schedule_erasure(txn, order_id, erasure_due_at, "withdrawal", now)
                        .await?;
                }
                let order = db::orders::find(txn, order_id)
                    .await?
                    .ok_or_else(|| AppError::internal("the consent's order is missing"))?;
                let content = serde_json::json!({
                    "consent_id": consent_id,
                    "party": party,
                    "signed_event_id": signed_event,
                    "order_stopped": stopped_order,
                    "order_status": order.status,
                    "erasure_due_at": order.erasure_due_at,
                });
                let personal = reason.as_ref().map(|r| serde_json::json!({ "reason": r }));
                let event = db::ledger::append(
                    txn,
                    db::ledger::NewEvent {
                        order_id,
                        kind: "consent.withdrawn",
                        content: &content,
                        personal: personal.as_ref(),
                        now,
                    },
                )
                .await?;
                if !db::consents::mark_withdrawn(txn, consent_id, event.id, now).await? {
                    return Err(already_withdrawn());
                }
                let detail = serde_json::json!({
                    "consent_id": consent_id,
                    "party": party,
                    "ledger_event_id": event.id,
                    "order_stopped": stopped_order,
                });
                audit::record(
                    txn,
                    &actor,
                    "consent.withdrawn",
                    Target::order(order_id),
                    request_id.as_deref(),
                    detail,
                )
                .await?;
                if stopped_order {
                    crate::outbox::status_changed(
                        txn,
                        order_id,
                        &order.reference,
                        from_status,
                        OrderStatus::Withdrawn,
                    )
                    .await?;
                    let detail = serde_json::json!({
                        "to": OrderStatus::Withdrawn,
                        "consent_id": consent_id,
                        "erasure_due_at": order.erasure_due_at,
                    });
                    audit::record(
                        txn,
                        &actor,
                        "order.withdrawn",
                        Target::order(order_id),
                        request_id.as_deref(),
                        detail,
                    )
                    .await?;
                }
                Ok(Withdrawal {
                    consent_id,
                    ledger_event_id: event.id,
                    order,
                    stopped_order,
                })
            })
        })
        .await
}

fn already_withdrawn() -> AppError {
    AppError::conflict(Code::AlreadyWithdrawn, "this consent was already withdrawn")
}
