//! Mail from the outbox: what each message says (`templates`), how it reaches the SMTP server
//! (`mailer`), and when a failed one is tried again (`retry`). The relay that claims messages
//! and records their fate is `jobs::outbox_relay`; the queries are `db::outbox`.

pub mod address;
pub mod mailer;
pub mod retry;
pub mod templates;
