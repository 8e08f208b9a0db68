//! Login throttling as a sliding window: at most `max_failures` failed logins within `window`;
//! past that, the next attempt waits until the oldest counted failure leaves the window. There
//! is never a permanent lockout — waiting always works.
//!
//! Three windows are kept (`http::auth` applies them): one account from one address (tight —
//! this is what stops a guesser), one address over all accounts, and one account over all
//! addresses (looser, to slow a guesser spread over many addresses). The last does not apply
//! to an address the account recently logged in from, so knowing an admin's email is not
//! enough to keep the admin out.
//!
//! A *trip* — a failure that brings an account to one of its limits — tells the owner by mail.
//! It lasts as long as failures keep coming: one that follows the last (or the alert) within
//! the window belongs to the same trip, so a long attack is one mail, not one per window.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max_failures: usize,
    pub window: Duration,
}

/// How long to wait before the next attempt, given the failures (any order) and `now`.
pub fn wait(failures: &[DateTime<Utc>], now: DateTime<Utc>, limit: Limit) -> Option<Duration> {
    if limit.max_failures == 0 {
        return None;
    }
    let mut recent: Vec<DateTime<Utc>> = failures
        .iter()
        .copied()
        .filter(|t| *t > now - limit.window && *t <= now)
        .collect();
    if recent.len() < limit.max_failures {
        return None;
    }
    recent.sort();
    // The attempt is allowed once only max_failures - 1 of these remain in the window.
    let frees_at = recent[recent.len() - limit.max_failures] + limit.window;
    Some((frees_at - now).max(Duration::seconds(1)))
}

/// Is the account still in the trip it was alerted about at `alerted_at`? Yes while no gap of
/// more than `window` separates the alert, the failures since and `now`.
pub fn same_trip(
    alerted_at: DateTime<Utc>,
    failures: &[DateTime<Utc>],
    now: DateTime<Utc>,
    window: Duration,
) -> bool {
    let mut since: Vec<DateTime<Utc>> = failures
        .iter()
        .copied()
        .filter(|t| *t > alerted_at && *t <= now)
        .collect();
    since.sort();
    since.push(now);
    let mut previous = alerted_at;
    for t in since {
        if t - previous > window {
            return false;
        }
        previous = t;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trip_lasts_while_failures_keep_coming() {
        let now = Utc::now();
        let window = Duration::minutes(15);
        assert!(
            same_trip(at(10, now), &[], now, window),
            "alerted 10 minutes ago"
        );
        assert!(
            !same_trip(at(16, now), &[], now, window),
            "quiet for a window"
        );
        assert!(
            same_trip(
                at(40, now),
                &[at(30, now), at(18, now), at(5, now)],
                now,
                window
            ),
            "a failure every quarter of an hour is one attack"
        );
        assert!(
            !same_trip(at(40, now), &[at(30, now), at(5, now)], now, window),
            "25 quiet minutes end it"
        );
        assert!(
            !same_trip(at(20, now), &[at(30, now)], now, window),
            "failures before the alert do not extend it"
        );
    }

    fn at(minutes_ago: i64, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::minutes(minutes_ago)
    }

    #[test]
    fn the_window_slides_and_always_frees_up() {
        let now = Utc::now();
        let limit = Limit {
            max_failures: 3,
            window: Duration::minutes(15),
        };
        assert_eq!(wait(&[at(1, now), at(2, now)], now, limit), None);
        let three = [at(10, now), at(5, now), at(1, now)];
        assert_eq!(
            wait(&three, now, limit),
            Some(Duration::minutes(5)),
            "until the one 10 minutes old leaves"
        );
        let old = [at(20, now), at(16, now), at(1, now)];
        assert_eq!(
            wait(&old, now, limit),
            None,
            "failures outside the window do not count"
        );
        let many = [at(14, now), at(13, now), at(3, now), at(2, now)];
        assert_eq!(
            wait(&many, now, limit),
            Some(Duration::minutes(2)),
            "the 13-minute one must leave"
        );
    }
}
