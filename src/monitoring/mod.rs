//! Prometheus metrics. What happens in a process (requests answered, jobs run, uploads
//! verified, logins refused) is counted as it happens through the `metrics` facade into one
//! process-wide recorder ([`recorder`]); what the data looks like (orders by status, the
//! outbox, the pool, readiness) is read when `/metrics` is scraped ([`scrape`]).
//!
//! `/metrics` is never public by default (`[metrics]` settings): it has its own listener, or it
//! answers on the main one only to a scraper with the token, or it does not exist.

pub mod record;
pub mod recorder;
pub mod requests;
pub mod scrape;
