//! Keepsake: the order desk of a digital-memorial studio.
//!
//! Read a request top-down: [`http`] parses, [`domain`] decides, [`db`] and [`storage`] persist,
//! [`audit`] records. [`uploads`] carries a sample from declaration to verdict, [`media`] reads
//! file headers, [`jobs`] run in the background. See `docs/` for operators and API users.

pub mod accounts;
pub mod actor;
pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod config;
pub mod consents;
pub mod cookies;
pub mod db;
pub mod delivery;
pub mod domain;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod inquiries;
pub mod iterations;
pub mod jobs;
pub mod labels;
pub mod ledger;
pub mod live_sessions;
pub mod media;
pub mod monitoring;
pub mod notifications;
pub mod orders;
pub mod outbox;
pub mod oversight;
pub mod payments;
pub mod privacy;
pub mod problem;
pub mod production;
pub mod review;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod uploads;
pub mod web;
