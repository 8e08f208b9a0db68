//! End-to-end tests of the pages in a real headless Chromium, driven over WebDriver
//! (Debian's `chromium` + `chromium-driver`). Without a chromedriver the tests say why they
//! were skipped; with `CI=true` a missing browser fails them instead.
//!
//! Screenshots of every page (1280 px and 390 px wide, both languages): run the `tour` test
//! with `KEEPSAKE_SCREENSHOTS=<dir>` (see README).

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod casework;
mod consent;
mod harness;
mod journey;
mod measure;
mod new_order;
mod portal;
mod privacy;
mod samples;
mod tour;

#[allow(dead_code)]
#[path = "../api/workflow.rs"]
mod workflow;

mod delivery;
mod desk;
