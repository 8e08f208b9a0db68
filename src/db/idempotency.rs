//! Idempotency keys (`Idempotency-Key` on creating writes).
//!
//! The first request with a key *claims* it (a row naming a random holder, with a short lease
//! and no response yet), does its work, and in the work's own transaction stores the response.
//! A repeat then gets: the stored response (same body), a refusal (different body: 422), or —
//! while the first is still running — 409. The holder renews its lease while it works (see
//! `http::idempotent`), so a live request keeps its key however long it takes; a holder that
//! died stops renewing, and once its lease has run out a retry takes the key over — a crash
//! wedges a key for one lease, not for minutes. Only the current holder can store the answer
//! (or give the key back), so two requests never both do the work: a holder whose lease was
//! taken over finds its answer refused and rolls back.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entities::idempotency_key::{self, Entity as Keys};

/// Proof of a claim: the holder id this request wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease(Uuid);

#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key is ours: do the work (renewing the lease meanwhile), then [`store_response`]
    /// with the lease in the same transaction.
    Fresh(Lease),
    /// The key was used for this very request before: answer with this.
    Replay {
        status: u16,
        body: serde_json::Value,
    },
    /// The key was used for a different request.
    Mismatch,
    /// Another request with this key is still running.
    InProgress,
}

/// Claim `key` for `owner`; a new claim's lease lasts `lease` from `now`.
pub async fn claim(
    conn: &impl ConnectionTrait,
    owner: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Claim, DbErr> {
    let holder = Uuid::new_v4();
    let locked_until = now + lease;
    if insert_claim(conn, owner, key, request_hash, holder, locked_until, now).await? {
        return Ok(Claim::Fresh(Lease(holder)));
    }

    let Some(existing) = Keys::find_by_id((owner.to_owned(), key.to_owned()))
        .one(conn)
        .await?
    else {
        // Released between our insert and this read: the caller may simply retry.
        return Ok(Claim::InProgress);
    };
    if existing.request_hash != request_hash {
        return Ok(Claim::Mismatch);
    }
    if let (Some(status), Some(body)) = (existing.response_status, existing.response_body) {
        let status = u16::try_from(status).map_err(|e| DbErr::Custom(e.to_string()))?;
        return Ok(Claim::Replay { status, body });
    }
    if existing.locked_until > now {
        return Ok(Claim::InProgress);
    }
    // The holder stopped renewing: take the key over, unless it renewed (or someone else took
    // it) since we read it.
    use idempotency_key::Column as C;
    let taken = Keys::update_many()
        .col_expr(C::LockedUntil, Expr::value(locked_until))
        .col_expr(C::Holder, Expr::value(holder))
        .filter(C::Owner.eq(owner))
        .filter(C::Key.eq(key))
        .filter(C::ResponseStatus.is_null())
        .filter(C::LockedUntil.eq(existing.locked_until))
        .exec(conn)
        .await?;
    Ok(if taken.rows_affected == 1 {
        Claim::Fresh(Lease(holder))
    } else {
        Claim::InProgress
    })
}

/// `true`: the row is new and ours.
async fn insert_claim(
    conn: &impl ConnectionTrait,
    owner: &str,
    key: &str,
    request_hash: &str,
    holder: Uuid,
    locked_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use idempotency_key::Column as C;
    let insert = Query::insert()
        .into_table(Keys)
        .columns([
            C::Owner,
            C::Key,
            C::RequestHash,
            C::LockedUntil,
            C::Holder,
            C::CreatedAt,
        ])
        .values_panic([
            owner.into(),
            key.into(),
            request_hash.into(),
            locked_until.into(),
            holder.into(),
            now.into(),
        ])
        .on_conflict(
            OnConflict::columns([C::Owner, C::Key])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    Ok(conn.execute(&insert).await?.rows_affected() == 1)
}

/// Extend a claim's lease to `lease` from `now` while its holder works. `false`: the claim is
/// no longer this holder's to renew (answered, given back, or taken over) — stop renewing.
pub async fn renew(
    conn: &impl ConnectionTrait,
    owner: &str,
    key: &str,
    held: Lease,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<bool, DbErr> {
    use idempotency_key::Column as C;
    let renewed = Keys::update_many()
        .col_expr(C::LockedUntil, Expr::value(now + lease))
        .filter(C::Owner.eq(owner))
        .filter(C::Key.eq(key))
        .filter(C::ResponseStatus.is_null())
        .filter(C::Holder.eq(held.0))
        .exec(conn)
        .await?;
    Ok(renewed.rows_affected == 1)
}

/// Record the response of a claimed key; call inside the transaction that did the work.
/// `false`: the key was taken over by another request, which owns it now — roll back.
pub async fn store_response(
    conn: &impl ConnectionTrait,
    owner: &str,
    key: &str,
    lease: Lease,
    status: u16,
    body: &serde_json::Value,
) -> Result<bool, DbErr> {
    use idempotency_key::Column as C;
    let stored = Keys::update_many()
        .col_expr(C::ResponseStatus, Expr::value(i32::from(status)))
        .col_expr(C::ResponseBody, Expr::value(body.clone()))
        .filter(C::Owner.eq(owner))
        .filter(C::Key.eq(key))
        .filter(C::ResponseStatus.is_null())
        .filter(C::Holder.eq(lease.0))
        .exec(conn)
        .await?;
    Ok(stored.rows_affected == 1)
}

/// Give a claimed key back after the work failed, so the client can retry with it.
pub async fn release(
    conn: &impl ConnectionTrait,
    owner: &str,
    key: &str,
    lease: Lease,
) -> Result<(), DbErr> {
    use idempotency_key::Column as C;
    Keys::delete_many()
        .filter(C::Owner.eq(owner))
        .filter(C::Key.eq(key))
        .filter(C::ResponseStatus.is_null())
        .filter(C::Holder.eq(lease.0))
        .exec(conn)
        .await?;
    Ok(())
}
