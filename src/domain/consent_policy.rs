//! Which consents and evidence an order needs, per jurisdiction (PRODUCT.md, "Consent"), and
//! how far an order's consent records meet them.
//!
//! The CN policy (the default) follows the PRC Civil Code on the portraits and voices of the
//! deceased (art. 994: the spouse, children and parents act for the deceased; other close
//! relatives only when none of them remain) and the deep-synthesis rules (separate consent of
//! every person whose face or voice is processed):
//! - the requester consents to the face and voice processing the mode needs;
//! - a deceased subject needs a death certificate, and a requester other than the subject
//!   needs proof of the relationship (evidence documents cited by a live consent);
//! - a requester who is a sibling, grandparent or grandchild also needs the consent of a
//!   spouse, child or parent of the deceased;
//! - a living subject (a living twin included) consents themself;
//! - a human_driven order needs the actor's consent for the live call;
//! - the subject's documented "no" blocks the order whatever anyone else says.
//!
//! Jurisdictions without a policy of their own use CN's, and the status says so.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::consent::{
    ConsentDecision, ConsentParty, DocumentType, Evidence, Grants, Modality, Purpose,
};
use super::order::{DeliveryMode, Relationship};

/// The facts about an order that decide what it needs.
#[derive(Debug, Clone, Copy)]
pub struct OrderFacts {
    pub mode: DeliveryMode,
    pub subject_living: bool,
    pub living_twin: bool,
    pub requester_relationship: Relationship,
}

/// A consent record as the policy sees it.
#[derive(Debug, Clone)]
pub struct ConsentFacts {
    pub id: Uuid,
    pub party: ConsentParty,
    pub relationship: Option<Relationship>,
    pub decision: ConsentDecision,
    pub grants: Grants,
    pub evidence: Vec<Evidence>,
    pub withdrawn: bool,
}

impl ConsentFacts {
    fn live_given(&self) -> bool {
        !self.withdrawn && self.decision == ConsentDecision::Given
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Requirement {
    /// A live consent of `party` granting at least these modalities and purposes (from one of
    /// `relationships`, when listed).
    Consent {
        party: ConsentParty,
        relationships: Vec<Relationship>,
        modalities: Vec<Modality>,
        purposes: Vec<Purpose>,
    },
    /// A verified document of this type cited as evidence by a live consent.
    Evidence { document_type: DocumentType },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RequirementStatus {
    pub requirement: Requirement,
    pub satisfied: bool,
    /// The consent records that meet it.
    pub satisfied_by: Vec<Uuid>,
    /// What is missing, in words the customer understands (absent when satisfied).
    pub missing: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConsentStatus {
    pub jurisdiction: String,
    /// The policy applied (`CN` unless the jurisdiction has its own).
    pub policy: String,
    /// The jurisdiction has no policy of its own; the default was applied.
    pub policy_is_fallback: bool,
    pub requirements: Vec<RequirementStatus>,
    /// Every requirement is met and nothing blocks the order.
    pub complete: bool,
    /// Why the order cannot go on whatever else is signed (a documented refusal).
    pub blocked: Option<String>,
}

/// The policy that governs `jurisdiction`: its name and whether it is a fallback.
pub fn policy_for(jurisdiction: &str) -> (&'static str, bool) {
    match jurisdiction {
        "CN" => ("CN", false),
        _ => ("CN", true),
    }
}

/// The purposes a mode's processing needs.
fn mode_purposes(mode: DeliveryMode) -> Vec<Purpose> {
    match mode {
        DeliveryMode::MachineDriven => vec![Purpose::Training, Purpose::Avatar],
        DeliveryMode::HumanDriven => vec![Purpose::Training, Purpose::LiveCall],
    }
}

const BOTH: [Modality; 2] = [Modality::Face, Modality::Voice];

/// What the CN policy requires of an order with these facts.
pub fn requirements(facts: OrderFacts) -> Vec<Requirement> {
    use Relationship::*;
    let mut needed = vec![Requirement::Consent {
        party: ConsentParty::Requester,
        relationships: vec![],
        modalities: BOTH.to_vec(),
        purposes: mode_purposes(facts.mode),
    }];
    if !facts.subject_living {
        needed.push(Requirement::Evidence {
            document_type: DocumentType::DeathCertificate,
        });
    }
    if !facts.living_twin {
        needed.push(Requirement::Evidence {
            document_type: DocumentType::ProofOfRelationship,
        });
    }
    if !facts.subject_living
        && matches!(
            facts.requester_relationship,
            Sibling | Grandparent | Grandchild
        )
    {
        needed.push(Requirement::Consent {
            party: ConsentParty::Relative,
            relationships: vec![Spouse, Child, Parent],
            modalities: BOTH.to_vec(),
            purposes: mode_purposes(facts.mode),
        });
    }
    if facts.subject_living {
        needed.push(Requirement::Consent {
            party: ConsentParty::LivingSubject,
            relationships: vec![],
            modalities: BOTH.to_vec(),
            purposes: mode_purposes(facts.mode),
        });
    }
    if facts.mode == DeliveryMode::HumanDriven {
        needed.push(Requirement::Consent {
            party: ConsentParty::Actor,
            relationships: vec![],
            modalities: BOTH.to_vec(),
            purposes: vec![Purpose::LiveCall],
        });
    }
    needed
}

fn describe_missing(requirement: &Requirement, refused: bool) -> String {
    match requirement {
        Requirement::Consent { party, .. } => {
            let who = match party {
                ConsentParty::Requester => "your own consent",
                ConsentParty::Relative => "the consent of the deceased's spouse, child or parent",
                ConsentParty::LivingSubject => "the consent of the person the likeness is of",
                ConsentParty::Actor => "the actor's consent for the live call",
                ConsentParty::SubjectWishes => "the subject's documented wishes",
            };
            if refused {
                format!("{who} (the person asked has refused)")
            } else {
                format!("{who}, covering face and voice for what this order does")
            }
        }
        Requirement::Evidence { document_type } => match document_type {
            DocumentType::DeathCertificate => "a death certificate".into(),
            DocumentType::ProofOfRelationship => "proof of your relationship to the subject".into(),
            DocumentType::Identity => "an identity document".into(),
            DocumentType::WrittenWishes => "the subject's written wishes".into(),
        },
    }
}

fn meets(requirement: &Requirement, consent: &ConsentFacts) -> bool {
    if !consent.live_given() {
        return false;
    }
    match requirement {
        Requirement::Consent {
            party,
            relationships,
            modalities,
            purposes,
        } => {
            consent.party == *party
                && (relationships.is_empty()
                    || consent
                        .relationship
                        .is_some_and(|r| relationships.contains(&r)))
                && consent.grants.covers(modalities, purposes)
        }
        Requirement::Evidence { document_type } => consent
            .evidence
            .iter()
            .any(|e| e.document_type == *document_type),
    }
}

/// How far `consents` meet the policy for an order with `facts` in `jurisdiction`.
pub fn status(jurisdiction: &str, facts: OrderFacts, consents: &[ConsentFacts]) -> ConsentStatus {
    let (policy, policy_is_fallback) = policy_for(jurisdiction);
    let requirements: Vec<RequirementStatus> = requirements(facts)
        .into_iter()
        .map(|requirement| {
            let satisfied_by: Vec<Uuid> = consents
                .iter()
                .filter(|c| meets(&requirement, c))
                .map(|c| c.id)
                .collect();
            let refused = matches!(&requirement, Requirement::Consent { party, .. }
                if consents.iter().any(|c| c.party == *party && !c.withdrawn && c.decision == ConsentDecision::Refused));
            let satisfied = !satisfied_by.is_empty();
            RequirementStatus {
                missing: (!satisfied).then(|| describe_missing(&requirement, refused)),
                requirement,
                satisfied,
                satisfied_by,
            }
        })
        .collect();
    let blocked = consents
        .iter()
        .any(|c| {
            c.party == ConsentParty::SubjectWishes
                && !c.withdrawn
                && c.decision == ConsentDecision::Refused
        })
        .then(|| "the subject's documented wishes refuse a likeness".to_owned());
    ConsentStatus {
        jurisdiction: jurisdiction.to_owned(),
        policy: policy.to_owned(),
        policy_is_fallback,
        complete: blocked.is_none() && requirements.iter().all(|r| r.satisfied),
        requirements,
        blocked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(mode: DeliveryMode, relationship: Relationship) -> OrderFacts {
        OrderFacts {
            mode,
            subject_living: false,
            living_twin: false,
            requester_relationship: relationship,
        }
    }

    fn consent(
        party: ConsentParty,
        purposes: &[Purpose],
        evidence: &[DocumentType],
    ) -> ConsentFacts {
        ConsentFacts {
            id: Uuid::now_v7(),
            party,
            relationship: None,
            decision: ConsentDecision::Given,
            grants: Grants {
                modalities: BOTH.to_vec(),
                purposes: purposes.to_vec(),
                scope: vec![],
            },
            evidence: evidence
                .iter()
                .map(|d| Evidence {
                    sample_id: Uuid::now_v7(),
                    document_type: *d,
                })
                .collect(),
            withdrawn: false,
        }
    }

    fn requester_with_evidence(mode: DeliveryMode) -> ConsentFacts {
        consent(
            ConsentParty::Requester,
            &mode_purposes(mode),
            &[
                DocumentType::DeathCertificate,
                DocumentType::ProofOfRelationship,
            ],
        )
    }

    fn missing(status: &ConsentStatus) -> Vec<&Requirement> {
        status
            .requirements
            .iter()
            .filter(|r| !r.satisfied)
            .map(|r| &r.requirement)
            .collect()
    }

    #[test]
    fn a_child_ordering_a_machine_driven_likeness_needs_own_consent_and_evidence() {
        let f = facts(DeliveryMode::MachineDriven, Relationship::Child);
        let none = status("CN", f, &[]);
        assert!(!none.complete);
        assert_eq!(missing(&none).len(), 3);
        let done = status(
            "CN",
            f,
            &[requester_with_evidence(DeliveryMode::MachineDriven)],
        );
        assert!(done.complete, "{done:?}");
        assert!(!done.policy_is_fallback);
    }

    #[test]
    fn consent_must_cover_what_the_mode_does() {
        let f = facts(DeliveryMode::MachineDriven, Relationship::Spouse);
        let mut narrow = requester_with_evidence(DeliveryMode::MachineDriven);
        narrow.grants.modalities = vec![Modality::Face];
        assert!(
            !status("CN", f, &[narrow]).complete,
            "voice was not granted"
        );
    }

    #[test]
    fn live_calls_need_the_actor() {
        let f = facts(DeliveryMode::HumanDriven, Relationship::Spouse);
        let requester = requester_with_evidence(DeliveryMode::HumanDriven);
        let without = status("CN", f, std::slice::from_ref(&requester));
        assert!(matches!(
            missing(&without)[..],
            [Requirement::Consent {
                party: ConsentParty::Actor,
                ..
            }]
        ));
        let actor = consent(ConsentParty::Actor, &[Purpose::LiveCall], &[]);
        assert!(status("CN", f, &[requester, actor]).complete);
    }

    #[test]
    fn a_sibling_needs_a_closer_relative() {
        let f = facts(DeliveryMode::MachineDriven, Relationship::Sibling);
        let requester = requester_with_evidence(DeliveryMode::MachineDriven);
        assert!(!status("CN", f, std::slice::from_ref(&requester)).complete);
        let mut cousin_like = consent(ConsentParty::Relative, &mode_purposes(f.mode), &[]);
        cousin_like.relationship = Some(Relationship::Grandchild);
        assert!(
            !status("CN", f, &[requester.clone(), cousin_like.clone()]).complete,
            "a grandchild is not closer than a sibling"
        );
        cousin_like.relationship = Some(Relationship::Parent);
        assert!(status("CN", f, &[requester, cousin_like]).complete);
    }

    #[test]
    fn a_living_twin_consents_as_the_subject_and_needs_no_death_evidence() {
        let f = OrderFacts {
            mode: DeliveryMode::MachineDriven,
            subject_living: true,
            living_twin: true,
            requester_relationship: Relationship::OneSelf,
        };
        let requester = consent(ConsentParty::Requester, &mode_purposes(f.mode), &[]);
        let subject = consent(ConsentParty::LivingSubject, &mode_purposes(f.mode), &[]);
        assert!(!status("CN", f, std::slice::from_ref(&requester)).complete);
        assert!(status("CN", f, &[requester, subject]).complete);
    }

    #[test]
    fn a_documented_refusal_blocks_and_withdrawal_unmeets() {
        let f = facts(DeliveryMode::MachineDriven, Relationship::Child);
        let requester = requester_with_evidence(DeliveryMode::MachineDriven);
        let mut wishes = consent(
            ConsentParty::SubjectWishes,
            &[],
            &[DocumentType::WrittenWishes],
        );
        wishes.decision = ConsentDecision::Refused;
        let blocked = status("CN", f, &[requester.clone(), wishes]);
        assert!(!blocked.complete && blocked.blocked.is_some());

        let mut withdrawn = requester;
        withdrawn.withdrawn = true;
        assert!(!status("CN", f, &[withdrawn]).complete);
    }

    #[test]
    fn other_jurisdictions_fall_back_to_cn() {
        let f = facts(DeliveryMode::MachineDriven, Relationship::Child);
        let s = status("HK", f, &[]);
        assert_eq!((s.policy.as_str(), s.policy_is_fallback), ("CN", true));
    }
}
