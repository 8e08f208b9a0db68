//! Risk flags the system raises on its own for the screening reviewer (PRODUCT.md,
//! "Screening"): facts that call for a closer look, not decisions.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::intake::Subject;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RiskFlag {
    /// The subject is alive and is not the customer: someone orders a living person's likeness.
    LivingSubjectNotCustomer,
    /// The subject was (or is) under 18.
    MinorSubject,
    /// The studio marked the subject as a public figure.
    PublicFigure,
    /// No verified document (death certificate, proof of relationship) for a deceased subject.
    EvidenceMissing,
}

/// Whole years between two dates.
fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut years = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

pub fn flags(
    subject: &Subject,
    public_figure: bool,
    today: NaiveDate,
    verified_documents: u64,
) -> Vec<RiskFlag> {
    let mut flags = Vec::new();
    if subject.living && !subject.living_twin {
        flags.push(RiskFlag::LivingSubjectNotCustomer);
    }
    let last_day = subject.death_date.unwrap_or(today);
    if subject
        .birth_date
        .is_some_and(|birth| age_on(birth, last_day) < 18)
    {
        flags.push(RiskFlag::MinorSubject);
    }
    if public_figure {
        flags.push(RiskFlag::PublicFigure);
    }
    if !subject.living && verified_documents == 0 {
        flags.push(RiskFlag::EvidenceMissing);
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::Relationship;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn deceased(birth: NaiveDate, death: NaiveDate) -> Subject {
        Subject {
            name: "Li".into(),
            requester_relationship: Relationship::Parent,
            birth_date: Some(birth),
            death_date: Some(death),
            living: false,
            living_twin: false,
        }
    }

    #[test]
    fn a_child_who_died_at_seventeen_is_a_minor_and_one_day_past_eighteen_is_not() {
        let today = d(2026, 11, 28);
        let minor = deceased(d(2008, 6, 2), d(2026, 6, 1));
        assert_eq!(flags(&minor, false, today, 1), vec![RiskFlag::MinorSubject]);
        let adult = deceased(d(2008, 6, 2), d(2026, 6, 2));
        assert_eq!(flags(&adult, false, today, 1), vec![]);
    }

    #[test]
    fn evidence_and_living_subjects() {
        let today = d(2026, 11, 28);
        let parent = deceased(d(1950, 1, 1), d(2026, 1, 1));
        assert_eq!(
            flags(&parent, false, today, 0),
            vec![RiskFlag::EvidenceMissing]
        );
        let living_other = Subject {
            living: true,
            death_date: None,
            ..parent.clone()
        };
        assert_eq!(
            flags(&living_other, false, today, 0),
            vec![RiskFlag::LivingSubjectNotCustomer]
        );
        let twin = Subject {
            living: true,
            living_twin: true,
            death_date: None,
            requester_relationship: Relationship::OneSelf,
            ..parent
        };
        assert_eq!(
            flags(&twin, true, today, 0),
            vec![RiskFlag::PublicFigure],
            "a living twin needs no death evidence"
        );
    }
}
