//! Privacy: what happens to personal data after delivery and on request (PRODUCT.md,
//! "Delivery, retention, erasure").
//!
//! [`erasure`] destroys an order's data and keeps the proof; [`retention`] purges raw samples
//! a policy number of days after delivery. Both are idempotent and safe to run on several
//! replicas at once: object deletes repeat harmlessly, and the database side is claimed with
//! conditional updates so exactly one run records it.

pub mod certificate;
pub mod controls;
pub mod erasure;
pub mod export;
pub mod requests;
pub mod retention;
