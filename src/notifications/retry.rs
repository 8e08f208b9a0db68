//! When a message that failed is tried again: exponential backoff (`base · 2^(failures−1)`),
//! capped, shortened by up to a fifth by a jitter drawn from the message's id — so messages
//! that failed together (the server was down) do not all come back in the same second, yet the
//! schedule of one message is reproducible (and testable on an injected clock).

use uuid::Uuid;

/// The wait after the `failures`-th failed try (`failures` ≥ 1).
pub fn backoff(base_secs: u64, cap_secs: u64, failures: u32, id: Uuid) -> chrono::Duration {
    let doublings = failures.saturating_sub(1).min(62);
    let full = base_secs
        .saturating_mul(1u64 << doublings)
        .min(cap_secs)
        .saturating_mul(1000);
    let spread = u64::try_from(id.as_u128() % 1000).unwrap_or(0);
    let jitter = full / 5 * spread / 1000;
    chrono::Duration::milliseconds(i64::try_from(full - jitter).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_within_a_fifth() {
        let id = Uuid::now_v7();
        let secs = |n| backoff(60, 3600, n, id).num_milliseconds() as f64 / 1000.0;
        for (failures, full) in [(1, 60.0), (2, 120.0), (3, 240.0), (7, 3600.0), (40, 3600.0)] {
            let got = secs(failures);
            assert!(got <= full && got >= full * 0.8, "{failures}: {got}");
        }
        assert_eq!(backoff(60, 3600, 3, id), backoff(60, 3600, 3, id));
        assert!(backoff(60, 3600, u32::MAX, id) <= chrono::Duration::seconds(3600));
    }
}
