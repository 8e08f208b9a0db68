//! Idempotency keys (`Idempotency-Key` on creating writes).
//!
//! The first request with a key *claims* it (a row with a short lease and no response yet),
//! does its work, and in the work's own transaction stores the response. A repeat then gets:
//! the stored response (same body), a refusal (different body: 422), or — while the first is
//! still running — 409. A claim whose holder died expires with its lease and can be taken over,
//! so a crash never wedges a key.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::idempotency_key::{self, Entity as Keys};

/// How long a claim holds before another request may take the key over. Longer than any
/// request can take (database acquire and busy timeouts are 30 s each), so a live request is
/// never overtaken; a takeover that happens anyway is caught by [`store_response`].
pub const CLAIM_LEASE: Duration = Duration::minutes(5);

/// Proof of a claim: the `locked_until` this request wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease(DateTime<Utc>);

#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key is ours until the lease ends: do the work, then [`store_response`] with the
    /// lease in the same transaction.
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

pub async fn claim(
    conn: &impl ConnectionTrait,
    owner: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim, DbErr> {
    use idempotency_key::Column as C;
    let locked_until = now + CLAIM_LEASE;
    let insert = Query::insert()
        .into_table(Keys)
        .columns([
            C::Owner,
            C::Key,
            C::RequestHash,
            C::LockedUntil,
            C::CreatedAt,
        ])
        .values_panic([
            owner.into(),
            key.into(),
            request_hash.into(),
            locked_until.into(),
            now.into(),
        ])
        .on_conflict(
            OnConflict::columns([C::Owner, C::Key])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    if conn.execute(&insert).await?.rows_affected() == 1 {
        return Ok(Claim::Fresh(Lease(locked_until)));
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
    let taken = Keys::update_many()
        .col_expr(C::LockedUntil, Expr::value(locked_until))
        .filter(C::Owner.eq(owner))
        .filter(C::Key.eq(key))
        .filter(C::ResponseStatus.is_null())
        .filter(C::LockedUntil.eq(existing.locked_until))
        .exec(conn)
        .await?;
    Ok(if taken.rows_affected == 1 {
        Claim::Fresh(Lease(locked_until))
    } else {
        Claim::InProgress
    })
}

/// Record the response of a claimed key; call inside the transaction that did the work.
/// `false`: the lease was lost to another request, which owns the key now — roll back.
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
        .filter(C::LockedUntil.eq(lease.0))
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
        .filter(C::LockedUntil.eq(lease.0))
        .exec(conn)
        .await?;
    Ok(())
}
