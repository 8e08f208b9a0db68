//! What the rest of the code calls when something countable happens: one line at the call
//! site, the metric's name and labels kept here.

use std::time::Duration;

use metrics::{counter, gauge, histogram};

use super::recorder::{
    JOB_DURATION, JOB_FAILURES, JOB_LAST_SUCCESS, JOB_RUNS, LOGIN_FAILURES, LOGIN_THROTTLED,
    UPLOAD_BYTES, VERIFICATIONS,
};

/// Background job `job` is starting: its counters exist from now on, at zero, so an alert on
/// their increase sees the first failure too.
pub fn job_started(job: &'static str) {
    counter!(JOB_RUNS, "task" => job).increment(0);
    counter!(JOB_FAILURES, "task" => job).increment(0);
}

/// One pass of background job `job` (a metric label: `outbox_relay`, `sla_sweeper`, …).
pub fn job_pass(job: &'static str, took: Duration, succeeded: bool) {
    counter!(JOB_RUNS, "task" => job).increment(1);
    histogram!(JOB_DURATION, "task" => job).record(took.as_secs_f64());
    if succeeded {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        gauge!(JOB_LAST_SUCCESS, "task" => job).set(now.as_secs_f64());
    } else {
        counter!(JOB_FAILURES, "task" => job).increment(1);
    }
}

/// An upload of `bytes` was checked and verified.
pub fn upload_verified(bytes: u64) {
    counter!(VERIFICATIONS, "outcome" => "verified").increment(1);
    counter!(UPLOAD_BYTES).increment(bytes);
}

/// An upload was checked and refused with `code` (a stable problem code: a bounded set).
pub fn upload_rejected(code: &'static str) {
    counter!(VERIFICATIONS, "outcome" => code).increment(1);
}

pub fn login_failed() {
    counter!(LOGIN_FAILURES).increment(1);
}

pub fn login_throttled() {
    counter!(LOGIN_THROTTLED).increment(1);
}
