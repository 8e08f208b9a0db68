//! Background work that runs beside the HTTP server in every replica. Each job is a
//! `sweep_once(state, now)` that is safe to run concurrently on several replicas (it claims
//! rows with conditional updates), run on an interval until shutdown by the one loop in
//! [`every`].

pub mod every;
pub mod outbox_relay;
pub mod retention;
pub mod sla_sweeper;
pub mod upload_sweeper;
