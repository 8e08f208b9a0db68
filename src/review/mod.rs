//! The reviewers' desk: screening (is this request one the studio should take?) and consent
//! review (has everyone who must agree agreed?). Both are reviewer decisions with the same
//! shape — only a reviewer who did not place the order and never worked on it as staff decides,
//! from the version they read, with a reason unless the decision lets the order go on — and
//! both commit the same way ([`decision`]): the order change, a hash-chained ledger event and
//! the audit event in one transaction.

mod consent;
mod decision;
mod screening;

pub use consent::{ConsentReview, decide_consents};
pub use decision::Decision;
pub use screening::{
    ScreeningDecisionCommand, ScreeningReport, decide_screening, mark_public_figure, report,
    screening_of,
};
