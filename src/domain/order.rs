//! The order lifecycle (PRODUCT.md, "Order lifecycle"): statuses, delivery modes, and which
//! action moves an order from which status to which. Guards that need facts from storage
//! (intake complete, a verified sample) are checked by the caller before asking for the move.

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

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
    /// What a customer or staff member asks an order to do.
    OrderAction {
        Submit => "submit",
        Cancel => "cancel",
    }
);

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
}

/// Why a transition was refused: answered as 409 with this text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
}

/// The status `action` leads to from `from`, or why it may not happen.
pub fn next_status(from: OrderStatus, action: OrderAction) -> Result<OrderStatus, Refusal> {
    use OrderStatus::*;
    match (action, from) {
        (OrderAction::Submit, Draft) => Ok(Submitted),
        (
            OrderAction::Cancel,
            Draft | Submitted | Screening | ConsentReview | NeedsInfo | Queued,
        ) => Ok(Cancelled),
        (OrderAction::Cancel, _) => Err(Refusal {
            code: "invalid_transition",
            reason: format!("an order that is {from} can no longer be cancelled"),
        }),
        (OrderAction::Submit, _) => Err(Refusal {
            code: "invalid_transition",
            reason: format!("only a draft can be submitted; this order is {from}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submit_only_from_draft() {
        for &status in OrderStatus::ALL {
            let result = next_status(status, OrderAction::Submit);
            if status == OrderStatus::Draft {
                assert_eq!(result, Ok(OrderStatus::Submitted));
            } else {
                assert_eq!(
                    result.map_err(|r| r.code),
                    Err("invalid_transition"),
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
            let result = next_status(status, OrderAction::Cancel);
            assert_eq!(result.is_ok(), allowed.contains(&status), "{status}");
        }
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
