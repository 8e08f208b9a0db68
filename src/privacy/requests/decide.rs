//! A reviewer's steps on a request: recording how the requester's identity was verified, then
//! approving or denying with a mandatory reason. Approval carries the request out at once (an
//! export, a correction, the order's erasure) and marks it completed; if carrying it out fails
//! the request stays approved, and approving it again retries. Each step is a conditional
//! update of the request with its audit event, in one transaction.

use uuid::Uuid;

use super::file::corrected;
use super::{Corrections, load_for_reviewer, target};
use crate::actor::Actor;
use crate::audit;
use crate::db::{self, WriteTransaction, data_requests::DataRequestRow, orders::OrderRecord};
use crate::domain::data_rights::{
    self, IdentityMethod, RequestDecision, RequestKind, RequestStatus,
};
use crate::domain::ids::UserId;
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::privacy::{erasure, export};
use crate::state::AppState;

/// How a reviewer verified who the requester is.
#[derive(Debug, Clone)]
pub struct IdentityCheck {
    pub method: IdentityMethod,
    /// What was checked (e.g. which document).
    pub note: Option<String>,
}

/// Record the identity check on request `id`; returns the request as it now stands.
pub async fn verify_identity(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    check: IdentityCheck,
) -> AppResult<DataRequestRow> {
    let (row, order) = load_for_reviewer(&state.db, actor, id).await?;
    let order = matched(order)?;
    let is_customer = order.customer_id == Some(row.requester_id);
    if !data_rights::method_suffices(check.method, is_customer) {
        return Err(AppError::unprocessable(
            Code::MethodInsufficient,
            "signing in proves only the account: verify a relative by document, video call or in person",
        ));
    }
    let from = row.status;
    let to = data_rights::after_verification(from)
        .map_err(|reason| AppError::conflict(Code::InvalidTransition, reason))?;
    let note = match check.note.as_deref() {
        Some(n) => Some(orders::required_text(Some(n), "note", "an identity note")?),
        None => None,
    };
    let step = db::data_requests::Step {
        identity: Some((check.method.as_str().to_owned(), note, actor.id)),
        ..Default::default()
    };
    let detail = serde_json::json!({ "request_id": id, "method": check.method });
    let change = Change {
        from,
        to,
        step,
        event: "data_request.identity_verified",
        detail,
    };
    step_with_audit(state, actor, &row, change).await?;
    reload(state, id).await
}

/// Approve or deny request `id` with `reason`; returns the request as it now stands.
pub async fn decide(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    decision: RequestDecision,
    reason: Option<&str>,
) -> AppResult<DataRequestRow> {
    let (row, order) = load_for_reviewer(&state.db, actor, id).await?;
    let reason = orders::required_text(reason, "reason", "a decision on a data-rights request")?;
    let from = row.status;
    if decision == RequestDecision::Approve {
        let order = matched(order)?;
        if order.erased_at.is_some() && row.kind != RequestKind::Erasure {
            return Err(AppError::conflict(
                Code::OrderErased,
                "the order was erased since this request was filed: there is nothing left to \
                 export or correct; deny it with that reason",
            ));
        }
        if from == RequestStatus::Approved {
            // Approved before, but carrying it out failed: try again.
            carry_out(state, actor, &row).await?;
            return reload(state, id).await;
        }
    }
    let to = data_rights::after_decision(from, decision)
        .map_err(|reason| AppError::conflict(Code::InvalidTransition, reason))?;
    let change = Change {
        from,
        to,
        step: db::data_requests::Step {
            decision: Some((actor.id, reason)),
            ..Default::default()
        },
        event: match decision {
            RequestDecision::Approve => "data_request.approved",
            RequestDecision::Deny => "data_request.denied",
        },
        detail: serde_json::json!({ "request_id": id, "decision": decision }),
    };
    step_with_audit(state, actor, &row, change).await?;
    if decision == RequestDecision::Approve {
        carry_out(state, actor, &row).await?;
    }
    reload(state, id).await
}

/// The order a request names, for a step that needs one: a request whose reference matched
/// no order can only be denied.
fn matched(order: Option<OrderRecord>) -> AppResult<OrderRecord> {
    order.ok_or_else(|| {
        AppError::conflict(
            Code::NoMatchingOrder,
            "the reference matches no order: deny the request, telling the requester why",
        )
    })
}

/// Do what an approved request asks, then mark it completed (with its audit event). The order
/// is read afresh: it may have changed since the request was read.
async fn carry_out(state: &AppState, actor: &Actor, row: &DataRequestRow) -> AppResult<()> {
    let order_id = row
        .order_id
        .ok_or_else(|| AppError::internal("an approved data request names no order"))?;
    let order = db::orders::find(&state.db, order_id)
        .await?
        .ok_or_else(|| AppError::internal("a data request's order is missing"))?;
    let order = &order;
    let mut step = db::data_requests::Step {
        completed: true,
        ..Default::default()
    };
    match row.kind {
        RequestKind::Access | RequestKind::Copy => {
            if order.erased_at.is_some() {
                return Err(AppError::conflict(
                    Code::OrderErased,
                    "the order was erased",
                ));
            }
            let for_customer = order.customer_id == Some(row.requester_id);
            let now = db::now();
            step.export_key = Some(export::write(state, order, row.id, for_customer, now).await?);
        }
        RequestKind::Correction => {
            let corrections: Corrections = row
                .corrections
                .clone()
                .map(serde_json::from_value)
                .transpose()
                .map_err(AppError::internal)?
                .unwrap_or_default();
            let change = corrected(order, &corrections);
            orders::validate(&change.subject, &change.intake, &change.jurisdiction)?;
            let fields: Vec<&str> = [
                corrections.name.as_ref().map(|_| "name"),
                corrections.birth_date.map(|_| "birth_date"),
                corrections.death_date.map(|_| "death_date"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let detail = serde_json::json!({ "request_id": row.id, "fields": fields });
            orders::apply(
                &state.db,
                actor,
                order,
                order.version,
                change,
                "order.corrected",
                detail,
            )
            .await?;
        }
        RequestKind::Erasure => {
            erasure::request(
                state,
                order.id,
                "data_rights_request",
                &actor.audit(),
                actor.request_id(),
            )
            .await?;
        }
    }
    let change = Change {
        from: RequestStatus::Approved,
        to: RequestStatus::Completed,
        step,
        event: "data_request.completed",
        detail: serde_json::json!({ "request_id": row.id, "kind": row.kind }),
    };
    step_with_audit(state, actor, row, change).await
}

/// One step of a request: its move, what it records, and its audit event.
struct Change {
    from: RequestStatus,
    to: RequestStatus,
    step: db::data_requests::Step,
    event: &'static str,
    detail: serde_json::Value,
}

async fn step_with_audit(
    state: &AppState,
    actor: &Actor,
    row: &DataRequestRow,
    change: Change,
) -> AppResult<()> {
    let (id, target, actor, now) = (row.id, target(row), actor.clone(), db::now());
    let (requester, order_id) = (row.requester_id, row.order_id);
    let Change {
        from,
        to,
        step,
        event,
        mut detail,
    } = change;
    state
        .db
        .write_transaction::<_, (), AppError>(|txn| {
            Box::pin(async move {
                // Whether the order's own customer asked: their timeline shows their requests.
                let named: Vec<Uuid> = order_id.into_iter().collect();
                let owned = db::data_requests::orders_of(txn, UserId(requester), &named).await?;
                detail["by_customer"] = (!owned.is_empty()).into();
                if !db::data_requests::advance(txn, id, from, to, step, now).await? {
                    return Err(AppError::conflict(
                        Code::InvalidTransition,
                        "the request changed meanwhile; read it again",
                    ));
                }
                audit::record(
                    txn,
                    &actor.audit(),
                    event,
                    target,
                    actor.request_id(),
                    detail,
                )
                .await?;
                Ok(())
            })
        })
        .await
}

/// The request after a reviewer's step.
async fn reload(state: &AppState, id: Uuid) -> AppResult<DataRequestRow> {
    db::data_requests::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::internal("a data request vanished"))
}
