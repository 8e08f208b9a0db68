//! Production and its clock (PRODUCT.md, "Production and SLA"): stage templates, stage due
//! times, and when an order is at risk or overdue.
//!
//! The SLA clock policy for holds: a hold pauses the *stage* clock — when the order resumes,
//! the current stage's due time moves later by the time it was held — but never the delivery
//! *promise*, which was made to the customer at approval. A long hold therefore makes an order
//! at risk (the remaining stages no longer fit) and finally overdue, which is what the studio
//! needs to see.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::order::DeliveryMode;

/// One stage of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// snake_case, distinct within the template.
    #[schema(pattern = "^[a-z0-9_]{1,40}$")]
    pub name: String,
    /// 1 hour to 30 days.
    #[schema(minimum = 1, maximum = 720)]
    pub target_hours: u32,
}

/// The stages PRODUCT.md names for each mode (the seeded version 1 uses them).
pub fn default_stages(mode: DeliveryMode) -> &'static [&'static str] {
    match mode {
        DeliveryMode::MachineDriven => &["data_prep", "training", "avatar_build", "qa"],
        DeliveryMode::HumanDriven => &[
            "data_prep",
            "face_model_training",
            "actor_rehearsal",
            "live_session",
        ],
    }
}

pub const MAX_STAGES: usize = 12;
const MAX_STAGE_HOURS: u32 = 24 * 30;

/// Why a template cannot be published; stage numbers count from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateFault {
    /// None, or more than [`MAX_STAGES`].
    StageCount,
    /// The name is not 1–40 characters of a-z, 0-9 and _.
    Name(usize),
    /// The name was used by an earlier stage.
    Repeated(usize),
    /// The target is not 1 hour to 30 days.
    Hours(usize),
}

impl std::fmt::Display for TemplateFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::StageCount => write!(f, "a template has 1 to {MAX_STAGES} stages"),
            Self::Name(n) => write!(f, "stage {n}: names are 1–40 characters of a-z, 0-9 and _"),
            Self::Repeated(n) => write!(f, "stage {n} repeats an earlier stage's name"),
            Self::Hours(n) => write!(f, "stage {n}: target_hours must be 1 to {MAX_STAGE_HOURS}"),
        }
    }
}

/// A template an admin may publish: 1–12 stages with distinct snake_case names and targets of
/// 1 hour to 30 days.
pub fn validate_template(stages: &[StageSpec]) -> Result<(), TemplateFault> {
    if stages.is_empty() || stages.len() > MAX_STAGES {
        return Err(TemplateFault::StageCount);
    }
    for (i, stage) in stages.iter().enumerate() {
        let n = i + 1;
        let well_named = (1..=40).contains(&stage.name.len())
            && stage
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_named {
            return Err(TemplateFault::Name(n));
        }
        if stages[..i].iter().any(|s| s.name == stage.name) {
            return Err(TemplateFault::Repeated(n));
        }
        if !(1..=MAX_STAGE_HOURS).contains(&stage.target_hours) {
            return Err(TemplateFault::Hours(n));
        }
    }
    Ok(())
}

pub fn hours(h: u32) -> Duration {
    Duration::hours(i64::from(h))
}

/// Where the clock stands for an order in production (or queued for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// The current stage's due time (none while queued: no stage has started).
    pub stage_due: Option<DateTime<Utc>>,
    /// Target hours of the stages after the current one (all stages while queued).
    pub later_hours: u32,
    pub promised_at: DateTime<Utc>,
    /// The order is on hold since then: the stage clock is paused.
    pub held_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlaFlags {
    pub at_risk: bool,
    pub overdue: bool,
}

impl Clock {
    /// The stage due time as it stands at `now` (a hold pushes it later while it lasts).
    fn effective_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let paused = self.held_since.map_or(Duration::zero(), |since| {
            (now - since).max(Duration::zero())
        });
        self.stage_due.map(|due| due + paused)
    }

    /// `overdue` once the promise has passed; `at_risk` once the current stage is past its due
    /// time or the remaining targets no longer fit before the promise (and whenever overdue).
    pub fn flags(&self, now: DateTime<Utc>) -> SlaFlags {
        let overdue = now > self.promised_at;
        let due = self.effective_due(now);
        let stage_late = due.is_some_and(|d| now > d);
        let current_ends = due.map_or(now, |d| d.max(now));
        let no_longer_fits = current_ends + hours(self.later_hours) > self.promised_at;
        SlaFlags {
            at_risk: overdue || stage_late || no_longer_fits,
            overdue,
        }
    }

    /// The next moment the flags can change: just after an edge (flags turn on when `now` is
    /// *past* a due time), none once overdue. The sweeper looks again then.
    pub fn next_check(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut edges = vec![self.promised_at];
        if self.held_since.is_none() {
            if let Some(due) = self.stage_due {
                edges.push(due);
            }
            edges.push(self.promised_at - hours(self.later_hours));
        } else {
            // While held, the fit edge is reached when the paused stage's remaining time plus
            // the later stages no longer fit: re-check hourly (holds are rare and short-lived).
            edges.push(now + Duration::hours(1));
        }
        edges
            .into_iter()
            .map(|edge| edge + Duration::microseconds(1))
            .filter(|t| *t > now)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::hours(h)
    }

    /// Approved at 0 with a 7-day promise; stage 1 (24 h) started at 0; 96 h of stages after it.
    fn clock() -> Clock {
        Clock {
            stage_due: Some(at(24)),
            later_hours: 96,
            promised_at: at(168),
            held_since: None,
        }
    }

    #[test]
    fn on_time_until_the_stage_is_late() {
        let c = clock();
        assert_eq!(
            c.flags(at(24)),
            SlaFlags::default(),
            "exactly at due is still on time"
        );
        assert_eq!(
            c.flags(at(24) + Duration::seconds(1)),
            SlaFlags {
                at_risk: true,
                overdue: false
            }
        );
        assert_eq!(
            c.next_check(at(0)),
            Some(at(24) + Duration::microseconds(1))
        );
    }

    #[test]
    fn at_risk_when_the_rest_no_longer_fits() {
        let tight = Clock {
            later_hours: 150,
            ..clock()
        };
        assert!(
            tight.flags(at(0)).at_risk,
            "24 + 150 h do not fit into 168 h"
        );
        let fits = Clock {
            later_hours: 144,
            ..clock()
        };
        assert!(!fits.flags(at(0)).at_risk, "24 + 144 h fit exactly");
    }

    #[test]
    fn overdue_when_the_promise_passes() {
        let c = clock();
        let flags = c.flags(at(168) + Duration::seconds(1));
        assert_eq!(
            flags,
            SlaFlags {
                at_risk: true,
                overdue: true
            }
        );
        assert_eq!(c.next_check(at(169)), None, "nothing left to watch");
    }

    #[test]
    fn a_hold_pauses_the_stage_but_not_the_promise() {
        let held = Clock {
            held_since: Some(at(10)),
            ..clock()
        };
        assert!(
            !held.flags(at(30)).at_risk,
            "the stage is paused: due moved to 44 h"
        );
        let long = held.flags(at(60));
        assert!(long.at_risk, "paused stage ends at 74 h, + 96 h > 168 h");
        assert!(!long.overdue);
        assert!(held.flags(at(170)).overdue, "the promise never moves");
    }

    #[test]
    fn queued_orders_count_all_stages() {
        let queued = Clock {
            stage_due: None,
            later_hours: 120,
            promised_at: at(168),
            held_since: None,
        };
        assert!(!queued.flags(at(48)).at_risk);
        assert!(queued.flags(at(49)).at_risk, "49 + 120 > 168");
        assert_eq!(
            queued.next_check(at(0)),
            Some(at(48) + Duration::microseconds(1))
        );
        assert_eq!(
            queued.next_check(at(48)),
            Some(at(48) + Duration::microseconds(1)),
            "a check exactly at an edge comes back just after it"
        );
    }

    #[test]
    fn templates_are_checked() {
        let ok: Vec<StageSpec> = default_stages(DeliveryMode::MachineDriven)
            .iter()
            .map(|n| StageSpec {
                name: (*n).into(),
                target_hours: 24,
            })
            .collect();
        assert!(validate_template(&ok).is_ok());
        assert_eq!(validate_template(&[]), Err(TemplateFault::StageCount));
        let mut repeated = ok.clone();
        repeated[1].name = "data_prep".into();
        assert_eq!(
            validate_template(&repeated),
            Err(TemplateFault::Repeated(2))
        );
        let mut shouting = ok.clone();
        shouting[2].name = "Avatar".into();
        assert_eq!(validate_template(&shouting), Err(TemplateFault::Name(3)));
        let mut zero = ok;
        zero[0].target_hours = 0;
        assert_eq!(validate_template(&zero), Err(TemplateFault::Hours(1)));
    }
}
