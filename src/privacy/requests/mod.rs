//! Data-rights requests (PRODUCT.md, "Data-rights requests"): anyone signed in files one about
//! an order they name by reference ([`file`]); a reviewer records how the requester's identity
//! was verified, then approves or denies with a reason, and approval carries the request out at
//! once — an export, a correction, or the order's erasure ([`verify_identity`], [`decide`]).
//!
//! References are sequential, so they can be guessed: a requester who is not the order's
//! customer learns nothing about the order — not even whether the reference exists — until a
//! reviewer has verified who they are ([`Seen::reveals_order`]).

mod decide;
mod export;
mod file;

pub use decide::{IdentityCheck, decide, verify_identity};
pub use export::{ExportDownload, ExportFile, export_links};
pub use file::{Corrections, FileCommand, Filed, file};

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::Target;
use crate::db::{self, data_requests::DataRequestRow, orders::OrderRecord};
use crate::domain::account::Role;
use crate::domain::data_rights::RequestStatus;
use crate::domain::ids::UserId;
use crate::error::{AppError, AppResult, Code};
use crate::orders;

/// A request as one reader sees it: whether they may learn which order it names — the studio's
/// reviewers and admins always; the requester once their identity is verified, or at once when
/// they are the order's customer.
pub struct Seen {
    pub row: DataRequestRow,
    pub reveals_order: bool,
}

/// One page of the queue, oldest first: every request for reviewers and admins, one's own
/// for anyone else.
pub async fn page(
    db: &DatabaseConnection,
    actor: &Actor,
    status: Option<RequestStatus>,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<Seen>> {
    let requester = (!reviewer_or_admin(actor)).then_some(actor.id);
    let rows = db::data_requests::page(db, status, requester, after, limit).await?;
    let named: Vec<Uuid> = rows.iter().filter_map(|r| r.order_id).collect();
    let owned = db::data_requests::orders_of(db, UserId(actor.id), &named).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let owns = row.order_id.is_some_and(|id| owned.contains(&id));
            seen(actor, row, owns)
        })
        .collect())
}

/// The request `id` as the actor may see it (404 `request_not_found` unless it is theirs or
/// they are a reviewer or an admin).
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<Seen> {
    let row = load_visible(db, actor, id).await?;
    let named: Vec<Uuid> = row.order_id.into_iter().collect();
    let owns = !db::data_requests::orders_of(db, UserId(actor.id), &named)
        .await?
        .is_empty();
    Ok(seen(actor, row, owns))
}

/// The request `id` with its order, for its requester only (404 `request_not_found` for
/// anyone else, reviewers included: an export is the requester's).
pub async fn own_with_order(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(DataRequestRow, Option<OrderRecord>)> {
    let row = load_visible(db, actor, id).await?;
    if row.requester_id != actor.id {
        return Err(not_found());
    }
    let order = order_of(db, &row).await?;
    Ok((row, order))
}

fn seen(actor: &Actor, row: DataRequestRow, owns_order: bool) -> Seen {
    let reveals_order =
        reviewer_or_admin(actor) || row.identity_verified_at.is_some() || owns_order;
    Seen { row, reveals_order }
}

fn reviewer_or_admin(actor: &Actor) -> bool {
    actor.has(Role::Reviewer) || actor.has(Role::Admin)
}

fn not_found() -> AppError {
    AppError::not_found(Code::RequestNotFound, "no such request")
}

/// A request the actor may see: their own, or any for reviewers and admins (404 otherwise,
/// and the attempt audited).
async fn load_visible(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<DataRequestRow> {
    let row = db::data_requests::find(db, id)
        .await?
        .ok_or_else(not_found)?;
    if row.requester_id == actor.id || reviewer_or_admin(actor) {
        Ok(row)
    } else {
        Err(crate::actor::refuse(db, actor, target(&row), not_found()).await)
    }
}

/// The order a request names, if its reference matched one.
async fn order_of(db: &DatabaseConnection, row: &DataRequestRow) -> AppResult<Option<OrderRecord>> {
    match row.order_id {
        Some(order_id) => {
            Ok(Some(db::orders::find(db, order_id).await?.ok_or_else(
                || AppError::internal("a data request's order is missing"),
            )?))
        }
        None => Ok(None),
    }
}

/// Why a reviewer may not act on a request (separation of duties), shown before they try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    NotReviewer,
    /// They filed it, or the order is theirs.
    OwnRequest,
    /// They worked on the order as staff.
    WorkedOn,
}

impl Bar {
    fn refusal(self) -> AppError {
        let (code, detail) = match self {
            Self::NotReviewer => (Code::ReviewersOnly, "reviewers handle data-rights requests"),
            Self::OwnRequest => (
                Code::SeparationOfDuties,
                "another reviewer must handle your own request or order",
            ),
            Self::WorkedOn => (
                Code::SeparationOfDuties,
                "you worked on this order as staff; another reviewer must decide",
            ),
        };
        AppError::Forbidden {
            code,
            detail: detail.into(),
        }
    }
}

/// A request as its reviewer's page shows it: the request, the order its reference matched,
/// and what bars this reviewer from acting on it, if anything.
pub struct ForReview {
    pub row: DataRequestRow,
    pub order: Option<OrderRecord>,
    pub bar: Option<Bar>,
}

/// Request `id` for the studio's page (reviewers and admins; 404 for anyone else).
pub async fn for_review(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<ForReview> {
    let row = load_visible(db, actor, id).await?;
    if !reviewer_or_admin(actor) {
        return Err(crate::actor::refuse(db, actor, target(&row), not_found()).await);
    }
    let order = order_of(db, &row).await?;
    let bar = bar(db, actor, &row, order.as_ref()).await?;
    Ok(ForReview { row, order, bar })
}

/// What bars `actor` from acting on `row` as its reviewer: not being a reviewer, having filed
/// it or owning its order, having worked on its order as staff.
async fn bar(
    db: &DatabaseConnection,
    actor: &Actor,
    row: &DataRequestRow,
    order: Option<&OrderRecord>,
) -> AppResult<Option<Bar>> {
    let own = order.is_some_and(|o| o.customer_id == Some(actor.id));
    Ok(if !actor.has(Role::Reviewer) {
        Some(Bar::NotReviewer)
    } else if row.requester_id == actor.id || own {
        Some(Bar::OwnRequest)
    } else if let Some(order) = order
        && orders::worked_on(db, actor, order).await?
    {
        Some(Bar::WorkedOn)
    } else {
        None
    })
}

/// The request, if the actor may act on it as its reviewer: a reviewer who did not file it,
/// is not the order's customer and never worked on the order as staff. The order is absent
/// when the reference matched none.
async fn load_for_reviewer(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(DataRequestRow, Option<OrderRecord>)> {
    let row = load_visible(db, actor, id).await?;
    let order = order_of(db, &row).await?;
    match bar(db, actor, &row, order.as_ref()).await? {
        None => Ok((row, order)),
        Some(bar) => Err(crate::actor::refuse(db, actor, target(&row), bar.refusal()).await),
    }
}

/// What a request's audit events are about: its order when the reference matched one, the
/// request itself otherwise.
fn target(row: &DataRequestRow) -> Target {
    row.order_id.map_or(
        Target {
            kind: "data_request",
            id: row.id,
        },
        Target::order,
    )
}
