//! Login throttling as a sliding window: at most `max_failures` failed logins within `window`;
//! past that, the next attempt waits until the oldest counted failure leaves the window. There
//! is never a permanent lockout — waiting always works.

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

#[cfg(test)]
mod tests {
    use super::*;

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
