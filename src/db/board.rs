//! The production board's queries: open orders (queued, in production, in quality check, or
//! held from one of those) sorted by their delivery promise, and the counts over them. Every
//! filter has an index ending in (promised_at, id), the keyset order, so a page costs the same
//! however many orders the studio has ever had.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::order::{self, Entity as Orders};
use super::orders::OrderRecord;
use crate::domain::order::{DeliveryMode, OrderStatus};

const OPEN: [OrderStatus; 4] = [
    OrderStatus::Queued,
    OrderStatus::InProduction,
    OrderStatus::QualityCheck,
    OrderStatus::OnHold,
];

#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    /// Only orders at this step: in this status, or paused (on hold) to return to it — the
    /// desk's queued and quality-check columns.
    pub step: Option<OrderStatus>,
    pub mode: Option<DeliveryMode>,
    pub stage: Option<String>,
    pub assignee: Option<Uuid>,
    pub due_before: Option<DateTime<Utc>>,
    pub at_risk: Option<bool>,
    pub overdue: Option<bool>,
    /// Keyset cursor: the last row of the previous page.
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

fn open_orders() -> Condition {
    // A hold before approval has no promise yet: it is not on the board.
    Condition::all()
        .add(order::Column::Status.is_in(OPEN.iter().map(|s| s.as_str())))
        .add(order::Column::PromisedAt.is_not_null())
}

pub async fn page(
    conn: &impl ConnectionTrait,
    filter: &BoardFilter,
    limit: u64,
) -> Result<Vec<OrderRecord>, DbErr> {
    let mut query = Orders::find().filter(open_orders());
    if let Some(step) = filter.step {
        query = query.filter(at_step(&[step]));
    }
    if let Some(mode) = filter.mode {
        query = query.filter(order::Column::DeliveryMode.eq(mode.as_str()));
    }
    if let Some(stage) = &filter.stage {
        query = query.filter(order::Column::CurrentStage.eq(stage.as_str()));
    }
    if let Some(assignee) = filter.assignee {
        query = query.filter(order::Column::AssigneeId.eq(assignee));
    }
    if let Some(before) = filter.due_before {
        query = query.filter(order::Column::PromisedAt.lt(before));
    }
    if let Some(at_risk) = filter.at_risk {
        query = query.filter(order::Column::AtRisk.eq(at_risk));
    }
    if let Some(overdue) = filter.overdue {
        query = query.filter(order::Column::Overdue.eq(overdue));
    }
    if let Some((promised, id)) = filter.after {
        query = query.filter(
            Condition::any()
                .add(order::Column::PromisedAt.gt(promised))
                .add(
                    Condition::all()
                        .add(order::Column::PromisedAt.eq(promised))
                        .add(order::Column::Id.gt(id)),
                ),
        );
    }
    query
        .order_by_asc(order::Column::PromisedAt)
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// Counts over the open orders.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub by_status: Vec<(String, i64)>,
    pub by_stage: Vec<(String, i64)>,
    pub at_risk: i64,
    pub overdue: i64,
}

pub async fn counts(conn: &impl ConnectionTrait) -> Result<Counts, DbErr> {
    let grouped = |column: order::Column| {
        Orders::find()
            .select_only()
            .column(column)
            .column_as(Expr::col(order::Column::Id).count(), "n")
            .filter(open_orders())
            .filter(column.is_not_null())
            .group_by(column)
            .order_by_asc(column)
            .into_tuple::<(String, i64)>()
    };
    let flagged = |column: order::Column| {
        Orders::find()
            .select_only()
            .column_as(Expr::col(order::Column::Id).count(), "n")
            .filter(open_orders())
            .filter(column.eq(true))
            .into_tuple::<i64>()
    };
    Ok(Counts {
        by_status: grouped(order::Column::Status).all(conn).await?,
        by_stage: grouped(order::Column::CurrentStage).all(conn).await?,
        at_risk: flagged(order::Column::AtRisk).one(conn).await?.unwrap_or(0),
        overdue: flagged(order::Column::Overdue)
            .one(conn)
            .await?
            .unwrap_or(0),
    })
}

/// Orders at one of `steps`: in that status, or paused (on hold, or waiting for the family's
/// information) to return to it — so a paused order stays in the column it will come back to.
fn at_step(steps: &[OrderStatus]) -> Condition {
    let names = || steps.iter().map(|s| s.as_str());
    Condition::any()
        .add(order::Column::Status.is_in(names()))
        .add(
            Condition::all()
                .add(order::Column::Status.is_in([
                    OrderStatus::OnHold.as_str(),
                    OrderStatus::NeedsInfo.as_str(),
                ]))
                .add(order::Column::ResumeStatus.is_in(names())),
        )
}

/// How many paused orders (on hold, or waiting for the family) return to each status.
pub async fn count_paused(conn: &impl ConnectionTrait) -> Result<Vec<(String, i64)>, DbErr> {
    Orders::find()
        .select_only()
        .column(order::Column::ResumeStatus)
        .column_as(Expr::col(order::Column::Id).count(), "n")
        .filter(order::Column::Status.is_in([
            OrderStatus::OnHold.as_str(),
            OrderStatus::NeedsInfo.as_str(),
        ]))
        .filter(order::Column::ResumeStatus.is_not_null())
        .group_by(order::Column::ResumeStatus)
        .into_tuple::<(String, i64)>()
        .all(conn)
        .await
}

/// Orders waiting on a reviewer before approval (no promise yet): at `statuses` (in one, or
/// paused to return to one), optionally of one mode, oldest first (ids are time-ordered),
/// after the cursor. Two queries merged here rather than one with an OR: each is served by
/// the (status, id) index, where the OR made SQLite walk every order by id when few matched
/// (a 680 ms p95 at a million orders).
pub async fn waiting(
    conn: &impl ConnectionTrait,
    statuses: &[OrderStatus],
    mode: Option<DeliveryMode>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<OrderRecord>, DbErr> {
    let names = || statuses.iter().map(|s| s.as_str());
    let paused = [
        OrderStatus::OnHold.as_str(),
        OrderStatus::NeedsInfo.as_str(),
    ];
    let mut rows = Vec::new();
    for condition in [
        Condition::all().add(order::Column::Status.is_in(names())),
        Condition::all()
            .add(order::Column::Status.is_in(paused))
            .add(order::Column::ResumeStatus.is_in(names())),
    ] {
        let mut query = Orders::find().filter(condition);
        if let Some(mode) = mode {
            query = query.filter(order::Column::DeliveryMode.eq(mode.as_str()));
        }
        if let Some(after) = after {
            query = query.filter(order::Column::Id.gt(after));
        }
        rows.extend(
            query
                .order_by_asc(order::Column::Id)
                .limit(limit)
                .all(conn)
                .await?,
        );
    }
    rows.sort_by_key(|o| o.id);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    rows.into_iter().map(TryInto::try_into).collect()
}

/// How many orders are in each of `statuses` (those with none are left out).
pub async fn count_statuses(
    conn: &impl ConnectionTrait,
    statuses: &[OrderStatus],
) -> Result<Vec<(String, i64)>, DbErr> {
    Orders::find()
        .select_only()
        .column(order::Column::Status)
        .column_as(Expr::col(order::Column::Id).count(), "n")
        .filter(order::Column::Status.is_in(statuses.iter().map(|s| s.as_str())))
        .group_by(order::Column::Status)
        .into_tuple::<(String, i64)>()
        .all(conn)
        .await
}
