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
pub mod idempotency;
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
pub mod users;

pub use connect::{connect, migrate};

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
