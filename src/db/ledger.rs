//! Appending to and reading the consent ledger (the hashing lives in `domain::ledger`).
//!
//! An append first bumps the global head (`UPDATE … RETURNING`): that row lock (PostgreSQL) or
//! the write lock it takes (SQLite) serializes appenders for the rest of the caller's
//! transaction, so each event sees the true previous event of both chains. The caller's
//! transaction also holds the change the event records: both commit or neither does.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::entities::ledger_event::{self, Entity as Events};
use crate::domain::ledger::{self, GENESIS, Link, StoredEvent};

pub use ledger_event::Model as LedgerEventRow;

/// An event to append: `content` is hashed as is; `personal` (names, addresses, free text) only
/// through its salted digest, so it can be erased later.
pub struct NewEvent<'a, C: Serialize, P: Serialize> {
    pub order_id: Uuid,
    pub kind: &'a str,
    pub content: &'a C,
    pub personal: Option<&'a P>,
    pub now: DateTime<Utc>,
}

fn json_text(value: &impl Serialize) -> Result<String, DbErr> {
    serde_json::to_string(value).map_err(|e| DbErr::Custom(format!("ledger content: {e}")))
}

/// Bump the global head; returns the new sequence number and the previous head hash.
async fn claim_next_seq(conn: &impl ConnectionTrait) -> Result<(i64, String), DbErr> {
    let heads = Alias::new("ledger_heads");
    let stmt = Query::update()
        .table(heads)
        .value(Alias::new("seq"), Expr::col(Alias::new("seq")).add(1))
        .and_where(Expr::col(Alias::new("name")).eq("global"))
        .returning(Query::returning().columns([Alias::new("seq"), Alias::new("hash")]))
        .to_owned();
    let row = conn
        .query_one(&stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("the ledger head row is missing".into()))?;
    Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
}

async fn set_head_hash(conn: &impl ConnectionTrait, seq: i64, hash: &str) -> Result<(), DbErr> {
    let stmt = Query::update()
        .table(Alias::new("ledger_heads"))
        .value(Alias::new("hash"), hash)
        .and_where(Expr::col(Alias::new("name")).eq("global"))
        .and_where(Expr::col(Alias::new("seq")).eq(seq))
        .to_owned();
    let result = conn.execute(&stmt).await?;
    if result.rows_affected() == 1 {
        Ok(())
    } else {
        Err(DbErr::Custom(
            "the ledger head moved during an append".into(),
        ))
    }
}

/// The order's last event (its chain head), if any.
pub async fn order_head(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Option<LedgerEventRow>, DbErr> {
    Events::find()
        .filter(ledger_event::Column::OrderId.eq(order_id))
        .order_by_desc(ledger_event::Column::OrderSeq)
        .one(conn)
        .await
}

pub async fn append<C: Serialize, P: Serialize>(
    conn: &impl ConnectionTrait,
    new: NewEvent<'_, C, P>,
) -> Result<LedgerEventRow, DbErr> {
    let (seq, global_prev_hash) = claim_next_seq(conn).await?;
    let (order_seq, prev_hash) = order_head(conn, new.order_id)
        .await?
        .map_or((1, GENESIS.to_owned()), |e| (e.order_seq + 1, e.hash));
    let content = json_text(new.content)?;
    let (personal, salt, personal_digest) = match new.personal {
        Some(p) => {
            let personal = json_text(p)?;
            let mut bytes = [0u8; 16];
            rand::rng().fill_bytes(&mut bytes);
            let salt = hex::encode(bytes);
            let digest = ledger::personal_digest(&salt, &personal);
            (Some(personal), Some(salt), digest)
        }
        None => (None, None, String::new()),
    };
    let hash = ledger::hash(&Link {
        seq,
        order_id: new.order_id,
        order_seq,
        kind: new.kind,
        occurred_at: new.now,
        content: &content,
        personal_digest: &personal_digest,
        prev_hash: &prev_hash,
        global_prev_hash: &global_prev_hash,
    });
    let row = ledger_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        seq: Set(seq),
        order_id: Set(new.order_id),
        order_seq: Set(order_seq),
        kind: Set(new.kind.to_owned()),
        occurred_at: Set(new.now),
        content: Set(content),
        personal: Set(personal),
        personal_salt: Set(salt),
        personal_digest: Set(personal_digest),
        prev_hash: Set(prev_hash),
        global_prev_hash: Set(global_prev_hash),
        hash: Set(hash.clone()),
    }
    .insert(conn)
    .await?;
    set_head_hash(conn, seq, &hash).await?;
    Ok(row)
}

/// The global head: how many events the ledger holds and the last one's hash.
pub async fn global_head(conn: &impl ConnectionTrait) -> Result<(i64, String), DbErr> {
    let stmt = Query::select()
        .columns([Alias::new("seq"), Alias::new("hash")])
        .from(Alias::new("ledger_heads"))
        .and_where(Expr::col(Alias::new("name")).eq("global"))
        .to_owned();
    let row = conn
        .query_one(&stmt)
        .await?
        .ok_or_else(|| DbErr::Custom("the ledger head row is missing".into()))?;
    Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
}

/// One order's events, oldest first.
pub async fn for_order(
    conn: &impl ConnectionTrait,
    order_id: Uuid,
) -> Result<Vec<LedgerEventRow>, DbErr> {
    Events::find()
        .filter(ledger_event::Column::OrderId.eq(order_id))
        .order_by_asc(ledger_event::Column::OrderSeq)
        .all(conn)
        .await
}

/// Events with `after < seq <= up_to`, in `seq` order, at most `limit`.
pub async fn page(
    conn: &impl ConnectionTrait,
    after: i64,
    up_to: i64,
    limit: u64,
) -> Result<Vec<StoredEvent>, DbErr> {
    let rows = Events::find()
        .filter(ledger_event::Column::Seq.gt(after))
        .filter(ledger_event::Column::Seq.lte(up_to))
        .order_by_asc(ledger_event::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(stored).collect())
}

fn stored(m: LedgerEventRow) -> StoredEvent {
    StoredEvent {
        id: m.id,
        seq: m.seq,
        order_id: m.order_id,
        order_seq: m.order_seq,
        kind: m.kind,
        occurred_at: m.occurred_at,
        content: m.content,
        personal: m.personal,
        personal_salt: m.personal_salt,
        personal_digest: m.personal_digest,
        prev_hash: m.prev_hash,
        global_prev_hash: m.global_prev_hash,
        hash: m.hash,
    }
}
