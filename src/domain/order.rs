//! The order lifecycle (PRODUCT.md, "Order lifecycle"): statuses, delivery modes, and which
//! action moves an order from which status to which. Guards that need facts from storage
//! (intake complete, a verified sample) are checked by the caller before asking for the move.

use crate::problem::Code;

/// A closed set of snake_case strings as a Rust enum. Its OpenAPI schema is written here from
/// the same texts serde uses: utoipa's derive cannot see a `#[serde(rename = $text)]` whose
/// literal comes from a macro and would document the Rust variant names instead.
macro_rules! string_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                let doc: &[&str] = &[$($doc),*];
                let description = doc.iter().map(|line| line.trim()).collect::<Vec<_>>().join(" ");
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .description((!description.is_empty()).then_some(description))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// Where an order stands.
    OrderStatus {
        Draft => "draft",
        Submitted => "submitted",
        Screening => "screening",
        ConsentReview => "consent_review",
        Queued => "queued",
        InProduction => "in_production",
        QualityCheck => "quality_check",
        Delivered => "delivered",
        Closed => "closed",
        NeedsInfo => "needs_info",
        OnHold => "on_hold",
        Declined => "declined",
        Cancelled => "cancelled",
        Withdrawn => "withdrawn",
    }
);

string_enum!(
    /// How the likeness is delivered.
    DeliveryMode {
        MachineDriven => "machine_driven",
        HumanDriven => "human_driven",
    }
);

string_enum!(
    /// The requester's relationship to the subject; `self` only for a living twin.
    Relationship {
        Spouse => "spouse",
        Child => "child",
        Parent => "parent",
        Sibling => "sibling",
        Grandparent => "grandparent",
        Grandchild => "grandchild",
        OneSelf => "self",
    }
);

string_enum!(
    /// What a customer, staff member or reviewer asks an order to do.
    OrderAction {
        Submit => "submit",
        Cancel => "cancel",
        Hold => "hold",
        Resume => "resume",
        StartScreening => "start_screening",
        StartProduction => "start_production",
        Advance => "advance",
        SignOffQuality => "sign_off_quality",
        Deliver => "deliver",
        Close => "close",
    }
);

string_enum!(
    /// A reviewer's screening decision (PRODUCT.md, "Screening").
    ScreeningDecision {
        Proceed => "proceed",
        Decline => "decline",
        Refer => "refer",
        NeedsInfo => "needs_info",
    }
);

string_enum!(
    /// A reviewer's decision on an order's consents.
    ReviewDecision {
        Approve => "approve",
        Reject => "reject",
        NeedsInfo => "needs_info",
    }
);

/// Who may ask for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionBy {
    Customer,
    Staff,
    Reviewer,
}

impl OrderAction {
    pub fn by(self) -> ActionBy {
        match self {
            Self::Submit | Self::Cancel => ActionBy::Customer,
            Self::Hold
            | Self::Resume
            | Self::StartProduction
            | Self::Advance
            | Self::Deliver
            | Self::Close => ActionBy::Staff,
            Self::StartScreening | Self::SignOffQuality => ActionBy::Reviewer,
        }
    }
}

impl OrderStatus {
    /// The customer may still change the intake.
    pub fn intake_editable(self) -> bool {
        matches!(self, Self::Draft | Self::NeedsInfo)
    }

    /// Samples may still be added (anything before production starts).
    pub fn accepts_samples(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::NeedsInfo | Self::Submitted | Self::Screening | Self::ConsentReview
        )
    }

    /// Still going somewhere: a withdrawal stops it (PRODUCT.md, "withdrawn").
    pub fn is_active(self) -> bool {
        !matches!(
            self,
            Self::Closed | Self::Declined | Self::Cancelled | Self::Withdrawn
        )
    }

    pub fn active() -> Vec<Self> {
        Self::ALL
            .iter()
            .copied()
            .filter(|s| s.is_active())
            .collect()
    }

    /// Whether an erasure stops the order (it becomes `withdrawn`): work still in progress
    /// cannot go on without the order's data. An order that reached an outcome keeps it — a
    /// delivered order stays delivered, and the reports keep counting it so.
    pub fn stops_on_erasure(self) -> bool {
        self.is_active() && self != Self::Delivered
    }

    pub fn stopped_by_erasure() -> Vec<Self> {
        Self::ALL
            .iter()
            .copied()
            .filter(|s| s.stops_on_erasure())
            .collect()
    }

    /// Consents may be signed or invited while the order has not reached production.
    pub fn accepts_consents(self) -> bool {
        matches!(
            self,
            Self::Draft
                | Self::Submitted
                | Self::Screening
                | Self::ConsentReview
                | Self::NeedsInfo
                | Self::OnHold
        )
    }
}

/// Why a transition was refused: answered as 409 with this text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub reason: String,
}

fn refused(reason: String) -> Refusal {
    Refusal {
        code: Code::InvalidTransition,
        reason,
    }
}

/// Where a move leads: the new status and, for `needs_info`/`on_hold`, the status to return to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub to: OrderStatus,
    pub resume_status: Option<OrderStatus>,
}

impl Move {
    fn to(to: OrderStatus) -> Self {
        Self {
            to,
            resume_status: None,
        }
    }
    fn pause(to: OrderStatus, resume: OrderStatus) -> Self {
        Self {
            to,
            resume_status: Some(resume),
        }
    }
}

/// Statuses that are paused for someone and return to `resume_status`.
const BEFORE_PRODUCTION: [OrderStatus; 4] = [
    OrderStatus::Submitted,
    OrderStatus::Screening,
    OrderStatus::ConsentReview,
    OrderStatus::Queued,
];

/// The move `action` makes from `from` (with the status a paused order returns to).
pub fn next_status(
    from: OrderStatus,
    resume: Option<OrderStatus>,
    action: OrderAction,
) -> Result<Move, Refusal> {
    use OrderStatus::*;
    match (action, from) {
        (OrderAction::Submit, Draft) => Ok(Move::to(Submitted)),
        (OrderAction::Submit, NeedsInfo) => Ok(Move::to(resume.unwrap_or(Submitted))),
        (OrderAction::Submit, _) => Err(refused(format!(
            "only a draft (or an order waiting on information) can be submitted; this order is {from}"
        ))),
        (
            OrderAction::Cancel,
            Draft | Submitted | Screening | ConsentReview | NeedsInfo | Queued,
        ) => Ok(Move::to(Cancelled)),
        (OrderAction::Cancel, OnHold) if resume.is_some_and(|r| BEFORE_PRODUCTION.contains(&r)) => {
            Ok(Move::to(Cancelled))
        }
        (OrderAction::Cancel, _) => Err(refused(format!(
            "an order that is {from} can no longer be cancelled"
        ))),
        (
            OrderAction::Hold,
            Submitted | Screening | ConsentReview | Queued | InProduction | QualityCheck,
        ) => Ok(Move::pause(OnHold, from)),
        (OrderAction::Hold, _) => Err(refused(format!(
            "an order that is {from} cannot be put on hold"
        ))),
        (OrderAction::Resume, OnHold) => resume
            .map(Move::to)
            .ok_or_else(|| refused("this hold does not say where to return to".into())),
        (OrderAction::Resume, _) => Err(refused(format!(
            "only an order on hold can resume; this one is {from}"
        ))),
        (OrderAction::StartScreening, Submitted) => Ok(Move::to(Screening)),
        (OrderAction::StartScreening, _) => Err(refused(format!(
            "only a submitted order can go to screening; this one is {from}"
        ))),
        (OrderAction::StartProduction, Queued) => Ok(Move::to(InProduction)),
        (OrderAction::StartProduction, _) => Err(refused(format!(
            "only a queued order goes into production; this one is {from}"
        ))),
        // Which stage comes next (or quality check) is `advance_stage`'s to say.
        (OrderAction::Advance, InProduction) => Ok(Move::to(InProduction)),
        (OrderAction::Advance, _) => Err(refused(format!(
            "only an order in production advances through stages; this one is {from}"
        ))),
        (OrderAction::SignOffQuality, QualityCheck) => Ok(Move::to(QualityCheck)),
        (OrderAction::SignOffQuality, _) => Err(refused(format!(
            "quality is signed off in quality check; this order is {from}"
        ))),
        // The delivery gate (signed-off quality, labeled deliverables) is `delivery`'s to check.
        (OrderAction::Deliver, QualityCheck) => Ok(Move::to(Delivered)),
        (OrderAction::Deliver, _) => Err(refused(format!(
            "only an order in quality check can be delivered; this one is {from}"
        ))),
        (OrderAction::Close, Delivered) => Ok(Move::to(Closed)),
        (OrderAction::Close, _) => Err(refused(format!(
            "only a delivered order can be closed; this one is {from}"
        ))),
    }
}

/// After the stage at `position` of `count` is done: the next stage's position, or `None`
/// when it was the last (the order goes to quality check).
pub fn advance_stage(position: i32, count: usize) -> Option<i32> {
    let next = position + 1;
    (usize::try_from(next).is_ok_and(|n| n < count)).then_some(next)
}

impl OrderStatus {
    /// The delivery promise is watched (queued until delivered, and while such an order is held).
    pub fn under_sla(self, resume: Option<OrderStatus>) -> bool {
        match self {
            Self::Queued | Self::InProduction | Self::QualityCheck => true,
            Self::OnHold => resume.is_some_and(|r| r.under_sla(None)),
            _ => false,
        }
    }
}

/// The move a screening decision makes (only while the order is in `screening`). `refer` pauses
/// the order (on hold, counselling suggested) and returns it to screening when resumed.
pub fn after_screening(from: OrderStatus, decision: ScreeningDecision) -> Result<Move, Refusal> {
    use OrderStatus::*;
    if from != Screening {
        return Err(refused(format!(
            "screening decisions are made while the order is in screening; this one is {from}"
        )));
    }
    Ok(match decision {
        ScreeningDecision::Proceed => Move::to(ConsentReview),
        ScreeningDecision::Decline => Move::to(Declined),
        ScreeningDecision::Refer => Move::pause(OnHold, Screening),
        ScreeningDecision::NeedsInfo => Move::pause(NeedsInfo, Screening),
    })
}

/// The move a consent review decision makes (only in `consent_review`).
pub fn after_review(from: OrderStatus, decision: ReviewDecision) -> Result<Move, Refusal> {
    use OrderStatus::*;
    if from != ConsentReview {
        return Err(refused(format!(
            "consent decisions are made while the order is in consent review; this one is {from}"
        )));
    }
    Ok(match decision {
        ReviewDecision::Approve => Move::to(Queued),
        ReviewDecision::Reject => Move::to(Declined),
        ReviewDecision::NeedsInfo => Move::pause(NeedsInfo, ConsentReview),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submit_only_from_draft() {
        for &status in OrderStatus::ALL {
            let result = next_status(status, None, OrderAction::Submit).map(|m| m.to);
            if status == OrderStatus::Draft || status == OrderStatus::NeedsInfo {
                assert_eq!(result, Ok(OrderStatus::Submitted));
            } else {
                assert_eq!(
                    result.map_err(|r| r.code),
                    Err(Code::InvalidTransition),
                    "{status}"
                );
            }
        }
    }

    #[test]
    fn cancel_only_before_production() {
        let allowed = [
            OrderStatus::Draft,
            OrderStatus::Submitted,
            OrderStatus::Screening,
            OrderStatus::ConsentReview,
            OrderStatus::NeedsInfo,
            OrderStatus::Queued,
        ];
        for &status in OrderStatus::ALL {
            let result = next_status(status, None, OrderAction::Cancel);
            assert_eq!(result.is_ok(), allowed.contains(&status), "{status}");
        }
    }

    #[test]
    fn needs_info_returns_to_the_state_that_asked() {
        for asked in [OrderStatus::Screening, OrderStatus::ConsentReview] {
            let back = next_status(OrderStatus::NeedsInfo, Some(asked), OrderAction::Submit);
            assert_eq!(back.map(|m| m.to), Ok(asked));
        }
    }

    #[test]
    fn hold_and_resume_round_trip() {
        let held = next_status(OrderStatus::InProduction, None, OrderAction::Hold).unwrap();
        assert_eq!(
            held,
            Move::pause(OrderStatus::OnHold, OrderStatus::InProduction)
        );
        let resumed = next_status(OrderStatus::OnHold, held.resume_status, OrderAction::Resume);
        assert_eq!(resumed.map(|m| m.to), Ok(OrderStatus::InProduction));
        assert!(next_status(OrderStatus::Draft, None, OrderAction::Hold).is_err());
        assert!(
            next_status(
                OrderStatus::OnHold,
                Some(OrderStatus::InProduction),
                OrderAction::Cancel
            )
            .is_err(),
            "a hold during production is not a way around the cancel rule"
        );
        assert!(
            next_status(
                OrderStatus::OnHold,
                Some(OrderStatus::Screening),
                OrderAction::Cancel
            )
            .is_ok()
        );
    }

    #[test]
    fn screening_decisions_lead_where_product_says() {
        use ScreeningDecision::*;
        let cases = [
            (Proceed, Move::to(OrderStatus::ConsentReview)),
            (Decline, Move::to(OrderStatus::Declined)),
            (
                Refer,
                Move::pause(OrderStatus::OnHold, OrderStatus::Screening),
            ),
            (
                NeedsInfo,
                Move::pause(OrderStatus::NeedsInfo, OrderStatus::Screening),
            ),
        ];
        for (decision, expected) in cases {
            assert_eq!(
                after_screening(OrderStatus::Screening, decision),
                Ok(expected)
            );
            assert!(after_screening(OrderStatus::Submitted, decision).is_err());
        }
    }

    #[test]
    fn review_decisions_lead_where_product_says() {
        use ReviewDecision::*;
        assert_eq!(
            after_review(OrderStatus::ConsentReview, Approve),
            Ok(Move::to(OrderStatus::Queued))
        );
        assert_eq!(
            after_review(OrderStatus::ConsentReview, Reject),
            Ok(Move::to(OrderStatus::Declined))
        );
        assert_eq!(
            after_review(OrderStatus::ConsentReview, NeedsInfo),
            Ok(Move::pause(
                OrderStatus::NeedsInfo,
                OrderStatus::ConsentReview
            ))
        );
        assert!(after_review(OrderStatus::Screening, Approve).is_err());
    }

    #[test]
    fn stages_advance_in_order_then_to_quality_check() {
        assert_eq!(advance_stage(0, 4), Some(1));
        assert_eq!(advance_stage(2, 4), Some(3));
        assert_eq!(advance_stage(3, 4), None);
        assert_eq!(
            next_status(OrderStatus::Queued, None, OrderAction::Advance).map_err(|r| r.code),
            Err(Code::InvalidTransition),
            "no stage can be skipped: production starts first"
        );
        assert_eq!(
            next_status(OrderStatus::Queued, None, OrderAction::StartProduction).map(|m| m.to),
            Ok(OrderStatus::InProduction)
        );
        assert!(OrderStatus::OnHold.under_sla(Some(OrderStatus::InProduction)));
        assert!(!OrderStatus::OnHold.under_sla(Some(OrderStatus::Screening)));
    }

    #[test]
    fn text_round_trips() {
        for &status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(Relationship::parse("self"), Some(Relationship::OneSelf));
        assert_eq!(DeliveryMode::parse("robot"), None);
    }
}
