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
    /// The subject's documented wishes refuse a likeness (it blocks the order).
    SubjectRefused,
}

/// Facts besides the subject that raise flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct Findings {
    pub public_figure: bool,
    pub verified_documents: u64,
    pub subject_refused: bool,
}

/// Whole years between two dates.
fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut years = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

pub fn flags(subject: &Subject, findings: Findings, today: NaiveDate) -> Vec<RiskFlag> {
    let Findings {
        public_figure,
        verified_documents,
        subject_refused,
    } = findings;
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
    if subject_refused {
        flags.push(RiskFlag::SubjectRefused);
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
        assert_eq!(
            flags(
                &minor,
                Findings {
                    public_figure: false,
                    verified_documents: 1,
                    subject_refused: false
                },
                today
            ),
            vec![RiskFlag::MinorSubject]
        );
        let adult = deceased(d(2008, 6, 2), d(2026, 6, 2));
        assert_eq!(
            flags(
                &adult,
                Findings {
                    public_figure: false,
                    verified_documents: 1,
                    subject_refused: false
                },
                today
            ),
            vec![]
        );
    }

    #[test]
    fn evidence_and_living_subjects() {
        let today = d(2026, 11, 28);
        let parent = deceased(d(1950, 1, 1), d(2026, 1, 1));
        assert_eq!(
            flags(
                &parent,
                Findings {
                    public_figure: false,
                    verified_documents: 0,
                    subject_refused: false
                },
                today
            ),
            vec![RiskFlag::EvidenceMissing]
        );
        let living_other = Subject {
            living: true,
            death_date: None,
            ..parent.clone()
        };
        assert_eq!(
            flags(
                &living_other,
                Findings {
                    public_figure: false,
                    verified_documents: 0,
                    subject_refused: false
                },
                today
            ),
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
            flags(
                &twin,
                Findings {
                    public_figure: true,
                    verified_documents: 0,
                    subject_refused: false
                },
                today
            ),
            vec![RiskFlag::PublicFigure],
            "a living twin needs no death evidence"
        );
        let refused = Findings {
            verified_documents: 1,
            subject_refused: true,
            ..Findings::default()
        };
        assert_eq!(flags(&twin, refused, today), vec![RiskFlag::SubjectRefused]);
    }
}
