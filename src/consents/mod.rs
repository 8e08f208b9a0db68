//! The consent desk: where an order's consents stand ([`status_of`]), recording a signature (by the customer or through an invitation link) and
//! a withdrawal, each as one transaction that writes the consent record, its ledger event and
//! its audit event — and, for a withdrawal, stops the order and schedules its erasure.
//!
//! Invitation links ([`invite`], [`by_token`]) let a party without an account sign and withdraw.
//! The HTTP handlers (`http::consents`, `http::consent_invitations`) decide who is signing;
//! this module decides whether the signature is acceptable and records it.

mod invite;
mod receipt;
mod sign;
mod status;
mod texts;
mod withdraw;

pub use invite::{
    InvitationState, Invite, Invited, Opened, by_token, check_signable, invitation_state,
    invitations, invite, open as open_invitation, signed_through,
};
pub use receipt::{ConsentReceipt, receipt};
pub use sign::{
    LinkSignature, OwnSignature, Signature, Signer, record_signature, sign_own, sign_through_link,
};
pub use status::{order_facts, records, status, status_of};
pub use texts::{
    NewText, current as current_texts, publish as publish_text, signatures, text, versions,
};
pub use withdraw::{Withdrawal, withdraw, withdraw_own};
