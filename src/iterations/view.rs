//! An iteration as its customer and the studio read it: the stored row with what the consents
//! on file still lack and its price, both derived on every read.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{self, iterations::IterationRow};
use crate::domain::ids::OrderId;
use crate::domain::iteration::{self, IterationStatus, Needs};
use crate::domain::money::EntryKind;
use crate::error::AppResult;

/// Whether the consents on file cover what the iteration needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentCover {
    pub covered: bool,
    /// What is still missing, in words.
    pub missing: Vec<String>,
}

/// An amount in minor units (fen) with its ISO 4217 currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub amount_minor: i64,
    pub currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IterationView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub number: i32,
    pub description: String,
    pub needs: Needs,
    pub status: IterationStatus,
    pub consent: ConsentCover,
    pub due_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// `If-Match: "v{version}"` changes it.
    pub version: i32,
    /// The quotes recorded for this iteration (its price), read from the money ledger.
    pub price: Option<Price>,
}

/// What the consents on file (the order's, and those given for this iteration) still lack.
pub async fn cover(conn: &impl ConnectionTrait, row: &IterationRow) -> AppResult<ConsentCover> {
    let granted = db::iterations::granted(conn, OrderId(row.order_id), row.id).await?;
    let missing = iteration::missing(&row.needs()?, &granted);
    Ok(ConsentCover {
        covered: missing.is_empty(),
        missing,
    })
}

/// The sum of the quotes that name this iteration.
async fn price(conn: &impl ConnectionTrait, row: &IterationRow) -> AppResult<Option<Price>> {
    let quotes: Vec<_> = db::payments::for_order(conn, row.order_id)
        .await?
        .into_iter()
        .filter(|p| p.iteration_id == Some(row.id) && p.kind == EntryKind::Quote)
        .collect();
    Ok(quotes.first().map(|first| Price {
        amount_minor: quotes.iter().map(|q| q.amount_minor).sum(),
        currency: first.currency.clone(),
    }))
}

pub async fn view(conn: &impl ConnectionTrait, row: &IterationRow) -> AppResult<IterationView> {
    Ok(IterationView {
        price: price(conn, row).await?,
        id: row.id,
        order_id: row.order_id,
        number: row.number,
        description: row.description.clone(),
        needs: row.needs()?,
        status: row.status,
        consent: cover(conn, row).await?,
        due_at: row.due_at,
        started_at: row.started_at,
        delivered_at: row.delivered_at,
        cancelled_at: row.cancelled_at,
        created_at: row.created_at,
        version: row.version,
    })
}
