//! The order's intake: who the likeness is of, how the requester is related, and the screening
//! questionnaire (PRODUCT.md, "Screening"). Two questions are asked of it: is it *consistent*
//! (refused at the edge with 422 when not) and is it *complete* (the submit guard).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::order::{DeliveryMode, Relationship};

/// The person the likeness is of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub name: String,
    /// The requester's relationship to the subject (`self` for a living twin).
    pub requester_relationship: Relationship,
    pub birth_date: Option<NaiveDate>,
    pub death_date: Option<NaiveDate>,
    /// The subject is alive.
    pub living: bool,
    /// The customer orders a likeness of themself.
    #[serde(default)]
    pub living_twin: bool,
}

/// Answers to the screening questionnaire; every field is needed before submission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeAnswers {
    /// What the customer hopes the likeness will do for them.
    pub purpose: Option<String>,
    /// Who else in the family knows about the order.
    pub family_awareness: Option<String>,
    /// The support around the customer (people, counselling).
    pub support_network: Option<String>,
    /// Anything else the customer wants the studio to know.
    pub notes: Option<String>,
}

pub const MAX_NAME_CHARS: usize = 200;
const MAX_ANSWER_CHARS: usize = 4000;

/// A field that is inconsistent or malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

/// Check that the subject's facts agree with each other and with `today`.
pub fn validate_subject(subject: &Subject, today: NaiveDate) -> Result<(), Invalid> {
    let name_len = subject.name.trim().chars().count();
    if name_len == 0 || name_len > MAX_NAME_CHARS {
        return Err(invalid(
            "subject.name",
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    if subject.living && subject.death_date.is_some() {
        return Err(invalid(
            "subject.death_date",
            "a living subject has no date of death",
        ));
    }
    let is_self = subject.requester_relationship == Relationship::OneSelf;
    if subject.living_twin && !(subject.living && is_self) {
        return Err(invalid(
            "subject.living_twin",
            "a living twin is ordered by the living subject themself (relationship `self`)",
        ));
    }
    if is_self && !subject.living_twin {
        return Err(invalid(
            "subject.requester_relationship",
            "`self` is only for a living twin",
        ));
    }
    for (field, date) in [
        ("subject.birth_date", subject.birth_date),
        ("subject.death_date", subject.death_date),
    ] {
        if date.is_some_and(|d| d > today) {
            return Err(invalid(field, "cannot be in the future"));
        }
    }
    if let (Some(birth), Some(death)) = (subject.birth_date, subject.death_date)
        && death < birth
    {
        return Err(invalid("subject.death_date", "is before the date of birth"));
    }
    Ok(())
}

pub fn validate_answers(answers: &IntakeAnswers) -> Result<(), Invalid> {
    for (field, value) in answer_fields(answers) {
        if value.is_some_and(|v| v.chars().count() > MAX_ANSWER_CHARS) {
            return Err(invalid(
                field,
                format!("is longer than {MAX_ANSWER_CHARS} characters"),
            ));
        }
    }
    Ok(())
}

/// ISO 3166-1 alpha-2, upper case (`CN`).
pub fn validate_jurisdiction(code: &str) -> Result<(), Invalid> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(invalid(
            "jurisdiction",
            "must be a two-letter country code such as CN",
        ))
    }
}

fn answer_fields(answers: &IntakeAnswers) -> [(&'static str, Option<&str>); 4] {
    [
        ("intake.purpose", answers.purpose.as_deref()),
        (
            "intake.family_awareness",
            answers.family_awareness.as_deref(),
        ),
        ("intake.support_network", answers.support_network.as_deref()),
        ("intake.notes", answers.notes.as_deref()),
    ]
}

/// What is still missing before the order can be submitted, as field names.
pub fn missing_for_submit(
    subject: &Subject,
    answers: &IntakeAnswers,
    _mode: DeliveryMode,
) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !subject.living && subject.death_date.is_none() {
        missing.push("subject.death_date");
    }
    for (field, value) in answer_fields(answers) {
        if field != "intake.notes" && value.is_none_or(|v| v.trim().is_empty()) {
            missing.push(field);
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn deceased_parent() -> Subject {
        Subject {
            name: "Li Wei".into(),
            requester_relationship: Relationship::Child,
            birth_date: NaiveDate::from_ymd_opt(1950, 3, 1),
            death_date: NaiveDate::from_ymd_opt(2026, 9, 1),
            living: false,
            living_twin: false,
        }
    }

    #[test]
    fn consistent_subject_passes() {
        assert_eq!(validate_subject(&deceased_parent(), today()), Ok(()));
    }

    #[test]
    fn inconsistent_subjects_are_named() {
        let cases: Vec<(Subject, &str)> = vec![
            (
                Subject {
                    living: true,
                    ..deceased_parent()
                },
                "subject.death_date",
            ),
            (
                Subject {
                    living_twin: true,
                    ..deceased_parent()
                },
                "subject.living_twin",
            ),
            (
                Subject {
                    requester_relationship: Relationship::OneSelf,
                    ..deceased_parent()
                },
                "subject.requester_relationship",
            ),
            (
                Subject {
                    death_date: NaiveDate::from_ymd_opt(2027, 1, 1),
                    ..deceased_parent()
                },
                "subject.death_date",
            ),
            (
                Subject {
                    death_date: NaiveDate::from_ymd_opt(1940, 1, 1),
                    ..deceased_parent()
                },
                "subject.death_date",
            ),
            (
                Subject {
                    name: "  ".into(),
                    ..deceased_parent()
                },
                "subject.name",
            ),
        ];
        for (subject, field) in cases {
            assert_eq!(
                validate_subject(&subject, today()).map_err(|e| e.field),
                Err(field),
                "{subject:?}"
            );
        }
    }

    #[test]
    fn living_twin_is_self_and_living() {
        let twin = Subject {
            requester_relationship: Relationship::OneSelf,
            death_date: None,
            living: true,
            living_twin: true,
            ..deceased_parent()
        };
        assert_eq!(validate_subject(&twin, today()), Ok(()));
        assert_eq!(
            missing_for_submit(
                &twin,
                &IntakeAnswers::default(),
                DeliveryMode::MachineDriven
            )
            .len(),
            3
        );
    }

    #[test]
    fn completeness_lists_each_gap() {
        let subject = Subject {
            death_date: None,
            ..deceased_parent()
        };
        let answers = IntakeAnswers {
            purpose: Some("to say goodbye".into()),
            support_network: Some(" ".into()),
            ..Default::default()
        };
        assert_eq!(
            missing_for_submit(&subject, &answers, DeliveryMode::MachineDriven),
            vec![
                "subject.death_date",
                "intake.family_awareness",
                "intake.support_network"
            ]
        );
    }

    #[test]
    fn jurisdiction_shape() {
        assert!(validate_jurisdiction("CN").is_ok());
        assert!(validate_jurisdiction("cn").is_err());
        assert!(validate_jurisdiction("CHN").is_err());
    }
}
