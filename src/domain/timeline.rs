//! The order timeline in words (PRODUCT.md: the customer follows progress; a `needs_info`
//! request reaches them here). Each recorded event of an order becomes one entry; events that
//! are the studio's own business (access refusals, receipts issued, the public-figure mark) are
//! shown to the studio only.

/// Who reads the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Customer,
    Studio,
}

/// The facts of one event the wording needs.
#[derive(Debug, Clone, Default)]
pub struct EventFacts<'a> {
    pub action: &'a str,
    pub decision: Option<&'a str>,
    pub party: Option<&'a str>,
    /// The reviewer's request or reason, where the customer is meant to read it.
    pub request: Option<&'a str>,
    /// The production stage an event is about.
    pub stage: Option<&'a str>,
}

/// The entry for one event, or `None` when this audience does not see it.
pub fn describe(event: &EventFacts<'_>, audience: Audience) -> Option<String> {
    let party = event.party.unwrap_or("a party").replace('_', " ");
    let asked = || {
        event.request.map_or_else(
            || "The studio needs more from you.".to_owned(),
            |r| format!("The studio asks: {r}"),
        )
    };
    let text = match (event.action, event.decision) {
        ("order.created", _) => "Order created.".to_owned(),
        ("order.updated", _) => "Intake updated.".to_owned(),
        ("order.submitted", _) => "Order submitted for screening.".to_owned(),
        ("order.resubmitted", _) => "You answered the studio's request; the order is back with the reviewer.".to_owned(),
        ("order.cancelled", _) => "Order cancelled.".to_owned(),
        ("order.held", _) => "The studio paused the order.".to_owned(),
        ("order.resumed", _) => "The studio resumed the order.".to_owned(),
        ("order.withdrawn", _) => "A consent was withdrawn: work stopped and the order's data will be erased.".to_owned(),
        ("screening.started", _) => "A reviewer is screening the request.".to_owned(),
        ("screening.decided", Some("proceed")) => "Screening passed; consents are reviewed next.".to_owned(),
        ("screening.decided", Some("decline")) => "After screening, the studio declined the order.".to_owned(),
        ("screening.decided", Some("refer")) => {
            "The studio suggests talking with a grief counsellor before going on; the order is paused until then.".to_owned()
        }
        ("screening.decided", Some("needs_info")) => asked(),
        ("consent.signed", _) => format!("Consent recorded ({party})."),
        ("consent.withdrawn", _) => format!("Consent withdrawn ({party})."),
        ("consent.invitation_created", _) => format!("Invitation to sign created ({party})."),
        ("consent_review.decided", Some("approve")) => "Consents approved; the order is queued for production.".to_owned(),
        ("consent_review.decided", Some("reject")) => "The studio could not accept the consents; the order is declined.".to_owned(),
        ("consent_review.decided", Some("needs_info")) => asked(),
        ("production.started", _) => "Work on the likeness has started.".to_owned(),
        ("production.stage_completed", _) => {
            format!("A production step is finished ({}).", event.stage.unwrap_or("a stage").replace('_', " "))
        }
        ("quality.signed_off", _) => "The likeness passed its quality check; delivery is being prepared.".to_owned(),
        (other, _) if audience == Audience::Studio => other.to_owned(),
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_for_information_reaches_the_customer_in_words() {
        let event = EventFacts {
            action: "screening.decided",
            decision: Some("needs_info"),
            request: Some("a clearer scan of the death certificate"),
            ..Default::default()
        };
        assert_eq!(
            describe(&event, Audience::Customer).as_deref(),
            Some("The studio asks: a clearer scan of the death certificate")
        );
    }

    #[test]
    fn studio_business_stays_with_the_studio() {
        let event = EventFacts {
            action: "access.denied",
            ..Default::default()
        };
        assert_eq!(describe(&event, Audience::Customer), None);
        assert_eq!(
            describe(&event, Audience::Studio).as_deref(),
            Some("access.denied")
        );
    }
}
