//! Follow-up iterations (PRODUCT.md, "Follow-up iterations"): paid child jobs on a delivered
//! order — more training, a new clip — each with its own stage, due time and price.
//!
//! An iteration names what it needs: the modalities it processes, the purposes it serves and
//! the uses it is for. Every iteration serves the `iterations` purpose. If what it needs goes
//! beyond the consents on file it waits for fresh consent (PRODUCT.md: "An iteration that
//! adds a modality or a use needs fresh consent"); [`missing`] says what is not covered.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::consent::{Grants, Modality, Purpose, UseScope};
use super::order::{OrderStatus, string_enum};

string_enum!(
    /// Where an iteration stands.
    IterationStatus {
        AwaitingConsent => "awaiting_consent",
        Ready => "ready",
        InProduction => "in_production",
        QualityCheck => "quality_check",
        Delivered => "delivered",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// What staff ask an iteration to do.
    IterationAction {
        Start => "start",
        Advance => "advance",
        Deliver => "deliver",
        Cancel => "cancel",
    }
);

impl IterationStatus {
    /// Fresh consent may be given until the iteration starts.
    pub fn takes_consent(self) -> bool {
        matches!(self, Self::AwaitingConsent | Self::Ready)
    }
}

/// What an iteration processes and is for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Needs {
    pub modalities: Vec<Modality>,
    /// Besides `iterations`, which every iteration needs.
    #[serde(default)]
    pub purposes: Vec<Purpose>,
    #[serde(default)]
    pub scope: Vec<UseScope>,
}

impl Needs {
    /// With `iterations` added, sorted, without repeats.
    pub fn normalized(self) -> Self {
        let mut purposes = self.purposes;
        purposes.push(Purpose::Iterations);
        let grants = Grants {
            modalities: self.modalities,
            purposes,
            scope: self.scope,
        }
        .normalized();
        Self {
            modalities: grants.modalities,
            purposes: grants.purposes,
            scope: grants.scope,
        }
    }
}

/// What `needs` asks for that none of `granted` (the live consents that count) gives, in words;
/// empty when covered.
pub fn missing(needs: &Needs, granted: &[Grants]) -> Vec<String> {
    let has_modality = |m: &Modality| granted.iter().any(|g| g.modalities.contains(m));
    let has_purpose = |p: &Purpose| granted.iter().any(|g| g.purposes.contains(p));
    let has_use = |u: &UseScope| granted.iter().any(|g| g.scope.contains(u));
    let mut out = Vec::new();
    out.extend(
        needs
            .modalities
            .iter()
            .filter(|m| !has_modality(m))
            .map(|m| format!("consent to process the {m}")),
    );
    out.extend(
        needs
            .purposes
            .iter()
            .filter(|p| !has_purpose(p))
            .map(|p| format!("consent to the purpose {p}")),
    );
    out.extend(
        needs
            .scope
            .iter()
            .filter(|u| !has_use(u))
            .map(|u| format!("consent to the use {u}")),
    );
    out
}

/// Iterations are requested on a delivered (or closed) order only.
pub fn order_takes_iterations(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Delivered | OrderStatus::Closed)
}

/// The move an action makes, or why it is refused. `covered`: the consents cover the needs.
pub fn next(
    from: IterationStatus,
    action: IterationAction,
    covered: bool,
) -> Result<IterationStatus, String> {
    use IterationAction as A;
    use IterationStatus as S;
    match (action, from) {
        (A::Start, S::Ready | S::AwaitingConsent) if covered => Ok(S::InProduction),
        (A::Start, S::Ready | S::AwaitingConsent) => {
            Err("the consents on file do not cover this iteration yet".into())
        }
        (A::Advance, S::InProduction) => Ok(S::QualityCheck),
        (A::Deliver, S::QualityCheck) => Ok(S::Delivered),
        (A::Cancel, S::AwaitingConsent | S::Ready | S::InProduction | S::QualityCheck) => {
            Ok(S::Cancelled)
        }
        (action, from) => Err(format!("an iteration that is {from} cannot {action}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(modalities: &[Modality], purposes: &[Purpose], scope: &[UseScope]) -> Grants {
        Grants {
            modalities: modalities.to_vec(),
            purposes: purposes.to_vec(),
            scope: scope.to_vec(),
        }
    }

    #[test]
    fn every_iteration_needs_the_iterations_purpose() {
        let needs = Needs {
            modalities: vec![Modality::Voice],
            ..Needs::default()
        }
        .normalized();
        assert_eq!(needs.purposes, vec![Purpose::Iterations]);
        let without = grants(&[Modality::Voice], &[Purpose::Training], &[]);
        assert_eq!(
            missing(&needs, &[without]),
            vec!["consent to the purpose iterations"]
        );
        let with = grants(&[Modality::Voice], &[Purpose::Iterations], &[]);
        assert!(missing(&needs, &[with]).is_empty());
    }

    #[test]
    fn a_new_modality_or_use_is_missing_until_some_consent_grants_it() {
        let needs = Needs {
            modalities: vec![Modality::Face, Modality::Voice],
            purposes: vec![Purpose::Avatar],
            scope: vec![UseScope::FamilySharing],
        }
        .normalized();
        let on_file = grants(
            &[Modality::Voice],
            &[Purpose::Avatar, Purpose::Iterations],
            &[UseScope::PrivateViewing],
        );
        assert_eq!(
            missing(&needs, std::slice::from_ref(&on_file)),
            vec![
                "consent to process the face",
                "consent to the use family_sharing"
            ]
        );
        let fresh = grants(
            &[Modality::Face],
            &[Purpose::Iterations],
            &[UseScope::FamilySharing],
        );
        assert!(missing(&needs, &[on_file, fresh]).is_empty());
    }

    #[test]
    fn start_needs_cover_and_the_stages_go_in_order() {
        use IterationAction as A;
        use IterationStatus as S;
        assert!(next(S::AwaitingConsent, A::Start, false).is_err());
        assert_eq!(
            next(S::AwaitingConsent, A::Start, true),
            Ok(S::InProduction)
        );
        assert_eq!(next(S::InProduction, A::Advance, true), Ok(S::QualityCheck));
        assert!(next(S::InProduction, A::Deliver, true).is_err());
        assert_eq!(next(S::QualityCheck, A::Deliver, true), Ok(S::Delivered));
        assert!(next(S::Delivered, A::Cancel, true).is_err());
        assert_eq!(next(S::Ready, A::Cancel, true), Ok(S::Cancelled));
    }
}
