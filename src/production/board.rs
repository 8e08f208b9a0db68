//! What the studio reads about production: the board (counts per status and stage, the
//! at-risk and overdue lists, and one page of open orders by delivery promise) and one order's
//! stages. The studio only; a refusal is audited.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::Target;
use crate::db::{self, board::BoardFilter, board::Counts, orders::OrderRecord};
use crate::error::AppResult;
use crate::orders;

/// How many orders the at-risk and overdue lists show.
const FLAG_LIST: u64 = 20;

/// The board at one moment.
pub struct BoardSnapshot {
    pub counts: Counts,
    pub at_risk: Vec<OrderRecord>,
    pub overdue: Vec<OrderRecord>,
    /// The page `filter` asks for, at most `fetch` orders.
    pub page: Vec<OrderRecord>,
}

pub async fn board(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &BoardFilter,
    fetch: u64,
) -> AppResult<BoardSnapshot> {
    orders::require_studio(
        db,
        actor,
        Target::user(actor.id),
        "the board is the studio's",
    )
    .await?;
    let page = db::board::page(db, filter, fetch).await?;
    let flagged = |at_risk: Option<bool>, overdue: Option<bool>| BoardFilter {
        at_risk,
        overdue,
        ..BoardFilter::default()
    };
    let at_risk = db::board::page(db, &flagged(Some(true), None), FLAG_LIST).await?;
    let overdue = db::board::page(db, &flagged(None, Some(true)), FLAG_LIST).await?;
    let counts = db::board::counts(db).await?;
    Ok(BoardSnapshot {
        counts,
        at_risk,
        overdue,
        page,
    })
}

/// Order `id` with its production stages (the studio).
pub async fn stages(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(OrderRecord, Vec<db::production::StageRow>)> {
    let order = orders::load(db, actor, id).await?;
    let why = "the production view is the studio's";
    orders::require_studio(db, actor, Target::order(id), why).await?;
    let stages = db::production::stages_of(db, order.id).await?;
    Ok((order, stages))
}
