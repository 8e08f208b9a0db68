//! Loading an order for someone: the four doors every service goes through before it touches
//! an order. Someone who may not see it gets 404 exactly as if it did not exist; someone who may
//! see it but not do this gets 403 with a code naming why. Every refusal of an existing order
//! is audited (`access.denied`).

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, orders::OrderRecord};
use crate::domain::access::{self, STAFF_WORK, StaffPart};
use crate::domain::account::Role;
use crate::error::{AppError, AppResult, Code};

/// The order, if `actor` may see it; otherwise 404 `order_not_found`.
pub async fn load(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<OrderRecord> {
    let not_found = || AppError::not_found(Code::OrderNotFound, "no such order");
    let order = db::orders::find(db, id).await?.ok_or_else(not_found)?;
    if access::can_see_order(actor.who(), order.customer_id) {
        Ok(order)
    } else {
        Err(crate::actor::refuse(db, actor, Target::order(id), not_found()).await)
    }
}

/// The order, if `actor` is its customer (403 `not_the_customer` for studio roles, 404 for
/// anyone else).
pub async fn load_own(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<OrderRecord> {
    let order = load(db, actor, id).await?;
    if access::can_act_as_customer(actor.who(), order.customer_id) {
        Ok(order)
    } else {
        let refusal = AppError::Forbidden {
            code: Code::NotTheCustomer,
            detail: "only the order's customer may do this".into(),
        };
        Err(crate::actor::refuse(db, actor, Target::order(id), refusal).await)
    }
}

/// The order, if `actor` is studio staff or an admin (403 `staff_only`, saying `detail`, for
/// anyone else who may see it).
pub async fn load_staff(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    detail: &str,
) -> AppResult<OrderRecord> {
    let order = load(db, actor, id).await?;
    if actor.has(Role::Staff) || actor.has(Role::Admin) {
        return Ok(order);
    }
    let refusal = AppError::Forbidden {
        code: Code::StaffOnly,
        detail: detail.into(),
    };
    Err(crate::actor::refuse(db, actor, Target::order(id), refusal).await)
}

/// The order as it is under its row lock, taken in the caller's transaction: every writer that
/// must see a withdrawal landing meanwhile (money, iterations, live sessions) reads it this way.
/// 404 `order_not_found` when there is no such order.
pub async fn locked(txn: &impl ConnectionTrait, id: Uuid) -> AppResult<OrderRecord> {
    let not_found = || AppError::not_found(Code::OrderNotFound, "no such order");
    if !db::order_lock::lock(txn, id).await? {
        return Err(not_found());
    }
    db::orders::find(txn, id).await?.ok_or_else(not_found)
}

/// Go on only if `allowed`; otherwise refuse with 403 `code` (audited against `target`).
pub async fn require(
    db: &DatabaseConnection,
    actor: &Actor,
    target: Target,
    allowed: bool,
    code: Code,
    detail: &str,
) -> AppResult<()> {
    if allowed {
        return Ok(());
    }
    let refusal = AppError::Forbidden {
        code,
        detail: detail.into(),
    };
    Err(crate::actor::refuse(db, actor, target, refusal).await)
}

/// Go on only if the actor is an admin; otherwise 403 `admins_only` saying `why`, audited
/// against the actor's own account.
pub async fn require_admin(db: &DatabaseConnection, actor: &Actor, why: &str) -> AppResult<()> {
    let admin = actor.has(Role::Admin);
    require(
        db,
        actor,
        Target::user(actor.id),
        admin,
        Code::AdminsOnly,
        why,
    )
    .await
}

/// Go on only if the actor is the studio (staff, reviewers, admins); otherwise 403
/// `studio_only` saying `why`, audited against `target`.
pub async fn require_studio(
    db: &DatabaseConnection,
    actor: &Actor,
    target: Target,
    why: &str,
) -> AppResult<()> {
    let studio = actor.who().is_studio();
    require(db, actor, target, studio, Code::StudioOnly, why).await
}

/// Whether `actor` worked on the order as staff (see [`access::worked_on_as_staff`]).
pub async fn worked_on(
    db: &DatabaseConnection,
    actor: &Actor,
    order: &OrderRecord,
) -> AppResult<bool> {
    let part = StaffPart {
        assigned: order.production.assignee_id == Some(actor.id),
        recorded_staff_action: audit::acted_on(db, &actor.audit(), order.id, STAFF_WORK).await?,
        uploaded_deliverable: db::deliverables::uploaded_by(db, order.id, actor.id).await?,
    };
    Ok(access::worked_on_as_staff(part))
}

/// The order, if `actor` may make reviewer decisions on it: a reviewer who did not place it and
/// never worked on it as staff (403 `reviewers_only` / `separation_of_duties` otherwise).
pub async fn load_for_review(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<OrderRecord> {
    let order = load(db, actor, id).await?;
    let worked_on = worked_on(db, actor, &order).await?;
    if access::may_review(actor.who(), order.customer_id, worked_on) {
        return Ok(order);
    }
    let reviewer = actor.has(Role::Reviewer);
    let detail = if !reviewer {
        "only reviewers decide on screening and consent"
    } else if worked_on {
        "you worked on this order as staff, so another reviewer must decide"
    } else {
        "you cannot review your own order"
    };
    let refusal = AppError::Forbidden {
        code: if reviewer {
            Code::SeparationOfDuties
        } else {
            Code::ReviewersOnly
        },
        detail: detail.into(),
    };
    Err(crate::actor::refuse(db, actor, Target::order(id), refusal).await)
}
