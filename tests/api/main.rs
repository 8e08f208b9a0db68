//! Integration tests: the real router over a real socket, the real embedded S3 store, and a
//! fresh database per test (SQLite by default; PostgreSQL when `TEST_DATABASE_URL` is set).

mod helpers;

mod access;
mod accounts;
mod audit_log;
mod bench_smoke;
mod board;
mod consent_receipt;
mod consent_review;
mod consent_texts;
mod consents;
mod data_requests;
mod delivery;
mod erasure;
mod external_s3;
mod health_and_docs;
mod idempotency;
mod iterations;
mod ledger;
mod live_sessions;
mod notifications;
mod orders;
mod part_checksums;
mod payments;
mod production;
mod reports;
mod role_matrix;
mod sample_rejections;
mod sample_uploads;
mod screening;
mod screening_decisions;
mod sla;
mod smtp_listener;
mod spec_round_trip;
mod submit;
mod sufficiency;
mod sweeper;
mod upload_integrity;
mod users;
mod withdrawal;
mod workflow;
