//! Report arithmetic (PRODUCT.md, "Reports"): on-time delivery rate, turnaround percentiles,
//! and the funnel from inquiry to delivery. Pure functions over facts the database hands over.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// One delivered order: when it was approved (queued), promised and delivered.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub queued_at: DateTime<Utc>,
    pub promised_at: DateTime<Utc>,
    pub delivered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SlaSummary {
    pub delivered: usize,
    pub on_time: usize,
    /// on_time / delivered (none when nothing was delivered).
    pub on_time_rate: Option<f64>,
    /// Approval → delivery, hours.
    pub median_turnaround_hours: Option<f64>,
    pub p90_turnaround_hours: Option<f64>,
}

/// The value at quantile `q` (nearest rank: the smallest value with at least `q` of the values
/// at or below it).
pub fn nearest_rank(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

pub fn summarize(deliveries: &[Delivery]) -> SlaSummary {
    let on_time = deliveries
        .iter()
        .filter(|d| d.delivered_at <= d.promised_at)
        .count();
    let mut hours: Vec<f64> = deliveries
        .iter()
        .map(|d| (d.delivered_at - d.queued_at).num_seconds() as f64 / 3600.0)
        .collect();
    hours.sort_by(f64::total_cmp);
    SlaSummary {
        delivered: deliveries.len(),
        on_time,
        on_time_rate: (!deliveries.is_empty()).then(|| on_time as f64 / deliveries.len() as f64),
        median_turnaround_hours: nearest_rank(&hours, 0.5),
        p90_turnaround_hours: nearest_rank(&hours, 0.9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn delivery(turnaround_h: i64, late: bool) -> Delivery {
        let queued_at = DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let delivered_at = queued_at + Duration::hours(turnaround_h);
        let promised_at = if late {
            delivered_at - Duration::hours(1)
        } else {
            delivered_at
        };
        Delivery {
            queued_at,
            promised_at,
            delivered_at,
        }
    }

    #[test]
    fn rate_and_percentiles() {
        let ds: Vec<Delivery> = (1..=10).map(|i| delivery(i * 10, i == 10)).collect();
        let s = summarize(&ds);
        assert_eq!((s.delivered, s.on_time), (10, 9));
        assert_eq!(s.on_time_rate, Some(0.9));
        assert_eq!(s.median_turnaround_hours, Some(50.0));
        assert_eq!(s.p90_turnaround_hours, Some(90.0));
        assert_eq!(summarize(&[]).on_time_rate, None, "no deliveries, no rate");
        assert_eq!(nearest_rank(&[7.0], 0.9), Some(7.0));
    }
}
