//! human_driven live sessions (PRODUCT.md, "Delivery"): the rules for scheduling one, logging
//! what happened and flagging it for review.
//!
//! - Only human_driven orders have live sessions, and only once production has started
//!   (`in_production`, `quality_check`) or after delivery (`delivered`: a family may book
//!   another call). An order that is on hold, stopped or closed gets none.
//! - The actor is named by their consent on the order: given, not withdrawn, granting the face
//!   modality for the live-call purpose. The actor's face is what the call processes.
//! - A session is logged once, after the fact: a duration and whether the on-screen AI label was
//!   shown. A session where it was not shown is flagged for a reviewer (deep-synthesis law
//!   requires the label); the flag stays until a reviewer records a review with a reason.
//! - A session of an order that was stopped (a consent withdrawn, cancelled, declined) is not
//!   logged as held: the work stopped with the order.

use crate::problem::Code;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::consent::{ConsentDecision, ConsentParty, Modality, Purpose};
use super::consent_policy::ConsentFacts;
use super::order::{DeliveryMode, OrderStatus, string_enum};

string_enum!(
    /// Where a live session stands.
    SessionStatus {
        Scheduled => "scheduled",
        Held => "held",
        Cancelled => "cancelled",
    }
);

pub const MAX_PARTICIPANTS: usize = 20;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_RELATIONSHIP_CHARS: usize = 60;
/// A session is booked at most this far ahead.
pub const MAX_DAYS_AHEAD: i64 = 366;
/// The longest session a log may record (8 hours).
pub const MAX_DURATION_MINUTES: i32 = 480;
pub const MAX_NOTES_CHARS: usize = 4000;

/// Someone who joins the call: a display name and, optionally, how they relate to the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    pub name: String,
    pub relationship: Option<String>,
}

/// Why a request is refused, with its stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub reason: String,
}

fn refusal(code: Code, reason: impl Into<String>) -> Refusal {
    Refusal {
        code,
        reason: reason.into(),
    }
}

/// May an order in `status` of `mode` get a session booked? (409 reasons.)
pub fn schedulable(mode: DeliveryMode, status: OrderStatus) -> Result<(), Refusal> {
    if mode != DeliveryMode::HumanDriven {
        return Err(refusal(
            Code::NotHumanDriven,
            "live sessions are for human_driven orders only",
        ));
    }
    if !matches!(
        status,
        OrderStatus::InProduction | OrderStatus::QualityCheck | OrderStatus::Delivered
    ) {
        return Err(refusal(
            Code::OrderNotInProduction,
            format!("live sessions are booked once production has started; the order is {status}"),
        ));
    }
    Ok(())
}

/// Does this consent name an actor who may appear in a live call?
pub fn actor_consent_usable(consent: &ConsentFacts) -> bool {
    consent.party == ConsentParty::Actor
        && consent.decision == ConsentDecision::Given
        && !consent.withdrawn
        && consent
            .grants
            .covers(&[Modality::Face], &[Purpose::LiveCall])
}

/// The time and participants of a booking, tidied (names trimmed), or why they are invalid.
pub fn validate_booking(
    scheduled_at: DateTime<Utc>,
    participants: Vec<Participant>,
    now: DateTime<Utc>,
) -> Result<Vec<Participant>, Refusal> {
    if scheduled_at <= now {
        return Err(refusal(
            Code::InvalidSchedule,
            "scheduled_at must be in the future",
        ));
    }
    if scheduled_at > now + Duration::days(MAX_DAYS_AHEAD) {
        return Err(refusal(
            Code::InvalidSchedule,
            format!("a session is booked at most {MAX_DAYS_AHEAD} days ahead"),
        ));
    }
    if participants.is_empty() || participants.len() > MAX_PARTICIPANTS {
        return Err(refusal(
            Code::InvalidParticipants,
            format!("a session has 1 to {MAX_PARTICIPANTS} participants"),
        ));
    }
    participants
        .into_iter()
        .map(|p| {
            let name = p.name.trim().to_owned();
            if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                return Err(refusal(
                    Code::InvalidParticipants,
                    format!("a participant's name is 1 to {MAX_NAME_CHARS} characters"),
                ));
            }
            let relationship = p
                .relationship
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
            if relationship
                .as_ref()
                .is_some_and(|r| r.chars().count() > MAX_RELATIONSHIP_CHARS)
            {
                return Err(refusal(
                    Code::InvalidParticipants,
                    format!("a relationship is at most {MAX_RELATIONSHIP_CHARS} characters"),
                ));
            }
            Ok(Participant { name, relationship })
        })
        .collect()
}

/// What a log records, checked: the duration, whether the label was shown, the notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLog {
    pub duration_minutes: i32,
    pub ai_label_shown: bool,
    pub notes: Option<String>,
}

impl SessionLog {
    /// Not showing the AI label is what a reviewer must look at.
    pub fn flagged(&self) -> bool {
        !self.ai_label_shown
    }
}

pub fn validate_log(
    duration_minutes: Option<i64>,
    ai_label_shown: Option<bool>,
    notes: Option<String>,
) -> Result<SessionLog, Refusal> {
    let duration_minutes = duration_minutes
        .and_then(|d| i32::try_from(d).ok())
        .filter(|d| (1..=MAX_DURATION_MINUTES).contains(d))
        .ok_or_else(|| {
            refusal(
                Code::InvalidDuration,
                format!("duration_minutes is a whole number from 1 to {MAX_DURATION_MINUTES}"),
            )
        })?;
    let ai_label_shown = ai_label_shown.ok_or_else(|| {
        refusal(
            Code::AiLabelShownRequired,
            "say whether the on-screen AI label was shown (ai_label_shown)",
        )
    })?;
    let notes = notes.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS)
    {
        return Err(refusal(
            Code::InvalidNotes,
            format!("notes are at most {MAX_NOTES_CHARS} characters"),
        ));
    }
    Ok(SessionLog {
        duration_minutes,
        ai_label_shown,
        notes,
    })
}

/// May a session be logged as held on an order in `status`? (A stopped order's may not.)
pub fn loggable(status: OrderStatus) -> Result<(), Refusal> {
    match status {
        OrderStatus::Withdrawn | OrderStatus::Cancelled | OrderStatus::Declined => Err(refusal(
            Code::OrderStopped,
            format!("the order is {status}: its sessions cannot be logged as held"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::Grants;

    fn actor(modalities: &[Modality], purposes: &[Purpose]) -> ConsentFacts {
        ConsentFacts {
            id: uuid::Uuid::from_u128(1),
            party: ConsentParty::Actor,
            relationship: None,
            decision: ConsentDecision::Given,
            grants: Grants {
                modalities: modalities.to_vec(),
                purposes: purposes.to_vec(),
                scope: vec![],
            },
            evidence: vec![],
            withdrawn: false,
        }
    }

    #[test]
    fn only_human_driven_orders_in_production_or_delivered_get_sessions() {
        for status in [
            OrderStatus::InProduction,
            OrderStatus::QualityCheck,
            OrderStatus::Delivered,
        ] {
            assert!(schedulable(DeliveryMode::HumanDriven, status).is_ok());
            assert_eq!(
                schedulable(DeliveryMode::MachineDriven, status)
                    .unwrap_err()
                    .code,
                Code::NotHumanDriven
            );
        }
        for status in [
            OrderStatus::Queued,
            OrderStatus::OnHold,
            OrderStatus::Withdrawn,
            OrderStatus::Closed,
        ] {
            assert_eq!(
                schedulable(DeliveryMode::HumanDriven, status)
                    .unwrap_err()
                    .code,
                Code::OrderNotInProduction
            );
        }
    }

    #[test]
    fn the_actor_must_have_given_face_for_the_live_call() {
        let good = actor(&[Modality::Face, Modality::Voice], &[Purpose::LiveCall]);
        assert!(actor_consent_usable(&good));
        assert!(!actor_consent_usable(&actor(
            &[Modality::Voice],
            &[Purpose::LiveCall]
        )));
        assert!(!actor_consent_usable(&actor(
            &[Modality::Face],
            &[Purpose::Training]
        )));
        let mut withdrawn = good.clone();
        withdrawn.withdrawn = true;
        assert!(!actor_consent_usable(&withdrawn));
        let mut refused = good.clone();
        refused.decision = ConsentDecision::Refused;
        assert!(!actor_consent_usable(&refused));
        let mut requester = good;
        requester.party = ConsentParty::Requester;
        assert!(!actor_consent_usable(&requester));
    }

    #[test]
    fn bookings_are_in_the_future_with_named_participants() {
        let now = Utc::now();
        let one = || {
            vec![Participant {
                name: "  Chen Jun ".into(),
                relationship: Some(" ".into()),
            }]
        };
        let ok = validate_booking(now + Duration::hours(2), one(), now).unwrap();
        assert_eq!(ok[0].name, "Chen Jun");
        assert_eq!(ok[0].relationship, None);
        let code = |at, p| validate_booking(at, p, now).unwrap_err().code;
        assert_eq!(code(now, one()), Code::InvalidSchedule);
        assert_eq!(
            code(now + Duration::days(400), one()),
            Code::InvalidSchedule
        );
        assert_eq!(
            code(now + Duration::hours(1), vec![]),
            Code::InvalidParticipants
        );
        let blank = vec![Participant {
            name: " ".into(),
            relationship: None,
        }];
        assert_eq!(
            code(now + Duration::hours(1), blank),
            Code::InvalidParticipants
        );
        let crowd = (0..=MAX_PARTICIPANTS)
            .map(|i| Participant {
                name: format!("p{i}"),
                relationship: None,
            })
            .collect();
        assert_eq!(
            code(now + Duration::hours(1), crowd),
            Code::InvalidParticipants
        );
    }

    #[test]
    fn a_log_needs_a_duration_and_the_label_answer() {
        let log = validate_log(Some(45), Some(false), Some(" fine ".into())).unwrap();
        assert!(log.flagged());
        assert_eq!(log.notes.as_deref(), Some("fine"));
        assert!(!validate_log(Some(45), Some(true), None).unwrap().flagged());
        for d in [None, Some(0), Some(-5), Some(481), Some(i64::MAX)] {
            assert_eq!(
                validate_log(d, Some(true), None).unwrap_err().code,
                Code::InvalidDuration
            );
        }
        assert_eq!(
            validate_log(Some(30), None, None).unwrap_err().code,
            Code::AiLabelShownRequired
        );
        assert_eq!(
            validate_log(Some(30), Some(true), Some("x".repeat(4001)))
                .unwrap_err()
                .code,
            Code::InvalidNotes
        );
    }

    #[test]
    fn stopped_orders_do_not_log_sessions() {
        assert_eq!(
            loggable(OrderStatus::Withdrawn).unwrap_err().code,
            Code::OrderStopped
        );
        assert!(loggable(OrderStatus::InProduction).is_ok());
        assert!(loggable(OrderStatus::Delivered).is_ok());
    }
}
