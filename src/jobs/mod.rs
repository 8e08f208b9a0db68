//! Background work that runs beside the HTTP server in every replica. Each job is a
//! `sweep_once(state, now)` that is safe to run concurrently on several replicas (it claims
//! rows with conditional updates), plus a loop that calls it on an interval until shutdown.

pub mod outbox_relay;
pub mod sla_sweeper;

/// The retention job lives with the rules it applies.
pub use crate::privacy::retention;
pub mod upload_sweeper;
