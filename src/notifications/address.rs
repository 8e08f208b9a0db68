//! Mail addresses as the settings and the outbox give them. Apart from the mailer so that the
//! settings can check theirs without importing the mailer (which reads the settings).

use lettre::message::Mailbox;

/// `Name <address>` or a bare address, if it is one.
pub fn mailbox(text: &str) -> Option<Mailbox> {
    text.trim().parse().ok()
}
