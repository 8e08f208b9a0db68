//! The one Prometheus recorder of the process, installed on first use. Every metric is
//! described here, so the names a dashboard relies on are in one place.

use std::sync::OnceLock;

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Histogram buckets for every `*_duration_seconds`: 5 ms to 10 s.
const SECONDS_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

pub const HTTP_REQUESTS: &str = "keepsake_http_requests_total";
pub const HTTP_DURATION: &str = "keepsake_http_request_duration_seconds";
pub const POOL_CONNECTIONS: &str = "keepsake_db_pool_connections";
pub const POOL_MAX: &str = "keepsake_db_pool_max_connections";
pub const JOB_RUNS: &str = "keepsake_job_runs_total";
pub const JOB_FAILURES: &str = "keepsake_job_failures_total";
pub const JOB_DURATION: &str = "keepsake_job_duration_seconds";
pub const JOB_LAST_SUCCESS: &str = "keepsake_job_last_success_timestamp_seconds";
pub const OUTBOX_MESSAGES: &str = "keepsake_outbox_messages";
pub const OUTBOX_OLDEST_QUEUED: &str = "keepsake_outbox_oldest_queued_age_seconds";
pub const ORDERS: &str = "keepsake_orders";
pub const ORDERS_FLAGGED: &str = "keepsake_orders_flagged";
pub const UPLOAD_BYTES: &str = "keepsake_upload_bytes_total";
pub const VERIFICATIONS: &str = "keepsake_sample_verifications_total";
pub const LOGIN_FAILURES: &str = "keepsake_login_failures_total";
pub const LOGIN_THROTTLED: &str = "keepsake_login_throttled_total";
pub const READY: &str = "keepsake_ready";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The recorder's handle, installing it the first time. `None` when another recorder was
/// installed first (metrics are then not ours to render).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), SECONDS_BUCKETS);
    let recorder = match builder {
        Ok(builder) => builder.build_recorder(),
        Err(err) => {
            tracing::warn!(error = %err, "metrics are off: the histogram buckets were refused");
            return None;
        }
    };
    let handle = recorder.handle();
    if let Err(err) = metrics::set_global_recorder(recorder) {
        tracing::warn!(error = %err, "metrics are off: another recorder is installed");
        return None;
    }
    describe();
    Some(handle)
}

fn describe() {
    describe_counter!(HTTP_REQUESTS, "Requests answered, by method, route template and status.");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "Time to answer a request (until its headers), by method, route template and status.");
    describe_gauge!(POOL_CONNECTIONS, "Database pool connections, in use or idle.");
    describe_gauge!(POOL_MAX, "Most connections the database pool opens.");
    describe_counter!(JOB_RUNS, "Passes of a background job.");
    describe_counter!(JOB_FAILURES, "Passes of a background job that failed (tried again at the next tick).");
    describe_histogram!(JOB_DURATION, Unit::Seconds, "How long one pass of a background job took.");
    describe_gauge!(JOB_LAST_SUCCESS, Unit::Seconds, "When a background job last finished a pass without failing (Unix time).");
    describe_gauge!(OUTBOX_MESSAGES, "Outbox messages in each status.");
    describe_gauge!(OUTBOX_OLDEST_QUEUED, Unit::Seconds, "Age of the oldest message still waiting to be mailed (0 when none waits).");
    describe_gauge!(ORDERS, "Orders in each status.");
    describe_gauge!(ORDERS_FLAGGED, "Orders flagged at risk of missing their promise, or overdue.");
    describe_counter!(UPLOAD_BYTES, Unit::Bytes, "Bytes of uploads verified.");
    describe_counter!(VERIFICATIONS, "Uploads checked, by outcome: verified, or the rejection code.");
    describe_counter!(LOGIN_FAILURES, "Logins refused for a wrong email or password or a disabled account.");
    describe_counter!(LOGIN_THROTTLED, "Logins refused because the address or account is throttled.");
    describe_gauge!(READY, "1 when the database and the object store answered at the last scrape, else 0.");
}
