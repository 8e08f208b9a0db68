//! Process-level tests: the real `keepsake` binary, started as a child process the way an
//! operator starts it, killed with SIGKILL in the middle of its work, restarted on the same
//! data directory and database, and checked through its API and its database.
//!
//! The in-process tests (`tests/api`) cannot show what a crash leaves behind: a test that
//! drops its `Application` lets every task finish or unwind. Here the kernel takes the process
//! away between two instructions, as a power cut, an OOM kill or a `kubectl delete --force`
//! does. The tests also put network-boundary doubles between the process and what it depends
//! on (a TCP proxy in front of the object store, a private PostgreSQL cluster that is stopped
//! and started, an SMTP listener that takes a mail and never answers) and run two processes on
//! one database and one store.
//!
//! Tests that need something outside the repository (PostgreSQL binaries, moto) are
//! `#[ignore]`d and run by `.ci/run`'s fourth step; with `CI=true` a missing prerequisite fails
//! the test instead of skipping it (`harness::prerequisite`).

mod harness;
mod private_pg;
mod proxy;
#[allow(dead_code)]
#[path = "../api/smtp_listener.rs"]
mod smtp_listener;

mod drain;
mod kill_during_relay;
mod kill_during_transitions;
mod kill_during_upload;
mod logs;
mod postgres_restart;
mod store_outage;
mod traces;
mod two_replicas;
