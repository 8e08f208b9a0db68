//! Data-rights requests (PRODUCT.md, "Data-rights requests"): what may be asked, by whom, and
//! how a request moves: submitted → identity_verified → approved → completed, or denied.
//!
//! Who may ask: the order's customer (`self` for a living twin) or a close relative of the
//! deceased — the requester states the relationship (the order vocabulary's close relatives,
//! PRC Civil Code art. 994) and the reviewer's identity check covers it.
//!
//! Identity comes first: a reviewer records how the requester was verified before anyone
//! decides. Signing in proves only the account, so it is enough only for the order's own
//! customer; a relative of the deceased is verified by document, video call or in person.

use super::order::string_enum;

string_enum!(
    /// What is asked for.
    RequestKind {
        Access => "access",
        Copy => "copy",
        Correction => "correction",
        Erasure => "erasure",
    }
);

string_enum!(
    /// Where a request stands.
    RequestStatus {
        Submitted => "submitted",
        IdentityVerified => "identity_verified",
        Approved => "approved",
        Denied => "denied",
        Completed => "completed",
    }
);

string_enum!(
    /// How the reviewer verified who the requester is.
    IdentityMethod {
        AccountSession => "account_session",
        IdDocument => "id_document",
        VideoCall => "video_call",
        InPerson => "in_person",
    }
);

string_enum!(
    /// A reviewer's answer.
    RequestDecision {
        Approve => "approve",
        Deny => "deny",
    }
);

/// Whether `method` proves the requester's identity: signing in is enough only for the order's
/// own customer.
pub fn method_suffices(method: IdentityMethod, requester_is_customer: bool) -> bool {
    method != IdentityMethod::AccountSession || requester_is_customer
}

/// The status a reviewer's step leads to, or why it is refused.
pub fn after_verification(from: RequestStatus) -> Result<RequestStatus, String> {
    match from {
        RequestStatus::Submitted => Ok(RequestStatus::IdentityVerified),
        other => Err(format!(
            "identity is verified on a submitted request; this one is {other}"
        )),
    }
}

pub fn after_decision(
    from: RequestStatus,
    decision: RequestDecision,
) -> Result<RequestStatus, String> {
    match (from, decision) {
        (RequestStatus::IdentityVerified, RequestDecision::Approve) => Ok(RequestStatus::Approved),
        (RequestStatus::Submitted | RequestStatus::IdentityVerified, RequestDecision::Deny) => {
            Ok(RequestStatus::Denied)
        }
        // Approved, but carrying it out failed: approving again retries it.
        (RequestStatus::Approved, RequestDecision::Approve) => Ok(RequestStatus::Approved),
        (RequestStatus::Submitted, RequestDecision::Approve) => {
            Err("the requester's identity must be verified before approval".into())
        }
        (other, _) => Err(format!("this request was already decided: it is {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_in_proves_identity_only_for_the_customer() {
        assert!(method_suffices(IdentityMethod::AccountSession, true));
        assert!(!method_suffices(IdentityMethod::AccountSession, false));
        assert!(method_suffices(IdentityMethod::IdDocument, false));
    }

    #[test]
    fn approval_needs_verified_identity_and_decisions_are_final() {
        use RequestDecision::*;
        use RequestStatus::*;
        assert!(after_decision(Submitted, Approve).is_err());
        assert_eq!(after_decision(Submitted, Deny), Ok(Denied));
        assert_eq!(after_decision(IdentityVerified, Approve), Ok(Approved));
        assert!(after_decision(Denied, Approve).is_err());
        assert_eq!(after_decision(Approved, Approve), Ok(Approved), "a retry");
        assert!(after_decision(Approved, Deny).is_err());
        assert!(after_decision(Completed, Deny).is_err());
        assert_eq!(after_verification(Submitted), Ok(IdentityVerified));
        assert!(after_verification(IdentityVerified).is_err());
    }
}
