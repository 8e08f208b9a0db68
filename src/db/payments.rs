//! The money ledger: entries are inserted and read, never updated or deleted (a correction is a
//! new entry). Recording is serialised per order by [`super::order_lock::lock`], so the rules checked against
//! the entries read in a transaction still hold when its insert commits.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::payment::{self, Entity as Payments};
use crate::domain::money::{Currency, Entry, EntryKind};

pub use payment::Model as PaymentRow;

pub struct NewPayment {
    pub order_id: Uuid,
    pub iteration_id: Option<Uuid>,
    pub kind: EntryKind,
    pub amount_minor: i64,
    pub currency: Currency,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert(conn: &impl ConnectionTrait, new: NewPayment) -> Result<PaymentRow, DbErr> {
    payment::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(new.order_id),
        iteration_id: Set(new.iteration_id),
        kind: Set(new.kind),
        amount_minor: Set(new.amount_minor),
        currency: Set(new.currency.as_str().to_owned()),
        note: Set(new.note),
        recorded_by: Set(new.recorded_by),
        recorded_at: Set(new.recorded_at),
    }
    .insert(conn)
    .await
}

/// The order's entries, oldest first.
pub async fn for_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<PaymentRow>, DbErr> {
    Payments::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .order_by_asc(payment::Column::RecordedAt)
        .order_by_asc(payment::Column::Id)
        .all(conn)
        .await
}

/// A stored row as the rules read it.
pub fn entry(row: &PaymentRow) -> Result<Entry, DbErr> {
    let corrupt =
        |what: &str| DbErr::Custom(format!("payment {} has an unreadable {what}", row.id));
    Ok(Entry {
        kind: row.kind,
        amount_minor: row.amount_minor,
        currency: Currency::parse(&row.currency).ok_or_else(|| corrupt("currency"))?,
        iteration_id: row.iteration_id,
    })
}
