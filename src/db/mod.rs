//! Persistence: sea-orm entities and the query functions over them.
//!
//! Every query function takes `&impl ConnectionTrait` so it runs inside the caller's
//! transaction: a state change, its audit record and (later) its outbox message commit together.

pub mod board;
pub mod connect;
pub mod consent_texts;
pub mod consents;
pub mod data_requests;
pub mod deliverables;
pub mod entities;
pub mod erasure;
pub mod existing;
pub mod gauges;
pub mod idempotency;
pub mod inquiries;
pub mod iterations;
pub mod ledger;
pub mod live_sessions;
pub mod login_failures;
pub mod order_lock;
pub mod orders;
pub mod outbox;
pub mod payments;
pub mod production;
pub mod reports;
pub mod retention;
pub mod samples;
pub mod sessions;
pub mod sla;
pub mod stored_objects;
mod stored_enum;
pub mod users;
pub mod write_transaction;

pub use connect::{connect, migrate};
pub use write_transaction::{WriteTransaction, writer_turn};

/// Timestamps are stored with microsecond precision (PostgreSQL's), so a value read back equals
/// the value written on both backends.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    truncate_to_micros(chrono::Utc::now())
}

pub fn truncate_to_micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}

/// Is this error a unique-constraint violation (on either backend)?
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Did the database fail to answer at all — down, restarting, the connection lost or none to
/// be had within the pool's acquire timeout — rather than refuse a statement? Such a failure
/// is temporary: the request may be retried once the database is back.
pub fn is_unreachable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx_unreachable(e),
        DbErr::Conn(_) => true,
        _ => false,
    }
}

fn sqlx_unreachable(err: &sea_orm::SqlxError) -> bool {
    use sea_orm::SqlxError;
    match err {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        // PostgreSQL's connection exceptions (08…) and operator intervention (57P…: the server
        // shutting down, crashed, or not yet accepting connections).
        SqlxError::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
