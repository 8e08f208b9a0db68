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
//!
//! Until then a requester who is not the order's customer learns nothing about the order —
//! not even whether the reference they typed exists: their request is stored and answered the
//! same either way, and a correction is checked only for what it says by itself, never
//! against the order's stored details (which would tell a right birth date from a wrong one).

use chrono::NaiveDate;

use super::intake::MAX_NAME_CHARS;
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

/// An order reference as people type it: without surrounding blanks (spaces, tabs, line
/// breaks), upper case (`ks-2026-000123` is `KS-2026-000123`), 1 to 40 letters, digits and
/// hyphens: exactly what the OpenAPI document's pattern for `order_reference` admits.
pub fn normalize_reference(typed: &str) -> Option<String> {
    let reference = typed
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_ascii_uppercase();
    let well_formed = (1..=40).contains(&reference.len())
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    well_formed.then_some(reference)
}

/// What a correction says checked by itself (never against the order): a name of 1 to 200
/// characters, no date in the future, no death before birth. The field and what is wrong.
pub fn check_correction_alone(
    name: Option<&str>,
    birth_date: Option<NaiveDate>,
    death_date: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), (&'static str, String)> {
    let name_len = name.map(|n| n.trim().chars().count());
    if name_len.is_some_and(|len| len == 0 || len > MAX_NAME_CHARS) {
        return Err((
            "subject.name",
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    for (field, date) in [
        ("subject.birth_date", birth_date),
        ("subject.death_date", death_date),
    ] {
        if date.is_some_and(|d| d > today) {
            return Err((field, "cannot be in the future".into()));
        }
    }
    if let (Some(birth), Some(death)) = (birth_date, death_date)
        && death < birth
    {
        return Err(("subject.death_date", "is before the date of birth".into()));
    }
    Ok(())
}

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
    fn references_are_normalised_and_bounded() {
        assert_eq!(
            normalize_reference(" ks-2026-000123 ").as_deref(),
            Some("KS-2026-000123")
        );
        assert_eq!(normalize_reference(""), None);
        assert_eq!(normalize_reference("\t KS-1\r\n").as_deref(), Some("KS-1"));
        assert_eq!(
            normalize_reference("\u{a0}KS-1"),
            None,
            "only the blanks the pattern names"
        );
        assert_eq!(normalize_reference("KS 2026"), None);
        assert_eq!(normalize_reference(&"K".repeat(41)), None);
    }

    #[test]
    fn a_correction_alone_is_checked_only_against_itself() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = day("2026-12-03");
        assert!(check_correction_alone(Some("Li Hua"), None, None, today).is_ok());
        assert!(check_correction_alone(None, Some(day("1950-01-01")), None, today).is_ok());
        assert_eq!(
            check_correction_alone(Some("  "), None, None, today)
                .unwrap_err()
                .0,
            "subject.name"
        );
        assert!(check_correction_alone(None, Some(day("2027-01-01")), None, today).is_err());
        assert!(
            check_correction_alone(
                None,
                Some(day("1960-01-01")),
                Some(day("1950-01-01")),
                today
            )
            .is_err()
        );
    }

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
