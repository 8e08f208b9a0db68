//! The customer's privacy controls on their order: keep the raw samples for follow-up
//! iterations (or let the retention policy purge them), and ask for erasure now.

use uuid::Uuid;

use super::certificate;
use super::erasure::{self, Outcome};
use crate::actor::Actor;
use crate::db::{self, orders::OrderRecord};
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::state::AppState;

/// Choose whether the raw samples outlive the retention period after delivery (the order's
/// customer, at version `expected`). Refused once they are purged or the order is erased.
pub async fn keep_samples(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    keep_for_iterations: bool,
) -> AppResult<OrderRecord> {
    let order = orders::load_own(&state.db, actor, id).await?;
    orders::check_version(&order, expected)?;
    if order.erased_at.is_some() {
        return Err(AppError::conflict(
            Code::OrderErased,
            "this order was erased",
        ));
    }
    if order.samples_purged_at.is_some() {
        return Err(AppError::conflict(
            Code::SamplesAlreadyPurged,
            "the raw samples were already purged under the retention policy",
        ));
    }
    let mut change = order.unchanged(db::now());
    change.keep_samples = keep_for_iterations;
    let detail = serde_json::json!({ "keep_for_iterations": keep_for_iterations });
    orders::apply(
        &state.db,
        actor,
        &order,
        expected,
        change,
        "order.sample_retention_changed",
        detail,
    )
    .await
}

/// Erase the order now (its customer, who types its reference again: erasure cannot be
/// undone): an active order stops, every object is deleted, personal data is scrubbed, and the
/// certificate of destruction is returned.
pub async fn erase_now(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    confirm_reference: &str,
) -> AppResult<String> {
    let order = orders::load_own(&state.db, actor, id).await?;
    if order.erased_at.is_some() {
        return Err(already_erased());
    }
    if confirm_reference.trim() != order.reference {
        return Err(AppError::unprocessable(
            Code::ConfirmationMismatch,
            "confirm_reference must be the order's reference",
        ));
    }
    let outcome = erasure::request(
        state,
        id,
        "customer_request",
        &actor.audit(),
        actor.request_id(),
    )
    .await?;
    if outcome == Outcome::AlreadyErased {
        return Err(already_erased());
    }
    certificate::issue(state, actor, id).await
}

/// The certificate of destruction of an erased order, for anyone who may see the order.
pub async fn certificate_of(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<String> {
    orders::load(&state.db, actor, id).await?;
    certificate::issue(state, actor, id).await
}

fn already_erased() -> AppError {
    AppError::conflict(Code::AlreadyErased, "this order was already erased")
}
