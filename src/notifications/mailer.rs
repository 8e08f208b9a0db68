//! The SMTP side of the relay (lettre over tokio, rustls for TLS): a transport built from the
//! `[smtp]` settings, and one call that hands a rendered mail to the server.
//!
//! Every mail's `Message-ID` is derived from its outbox id (`<outbox.{id}@{sender's domain}>`)
//! and its `Date` is the message's creation time, so a mail sent twice — the server accepted it,
//! then the relay died before recording that — is the same mail twice, which the receiving
//! side recognises and drops (exactly once in effect).
//!
//! A connection is opened per mail (no pool): notifications are few, and a fresh connection
//! never fails on a socket the server closed while idle.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use uuid::Uuid;

use super::address::mailbox;
use super::templates::Rendered;
use crate::config::{SmtpSettings, SmtpTls};

/// The `Message-ID` of the mail for outbox message `id` when sent from `from`: the same on every
/// try, by every relay.
pub fn message_id_for(from: &str, id: Uuid) -> Option<String> {
    mailbox(from).map(|m| format!("<outbox.{id}@{}>", m.email.domain()))
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("smtp: {0}")]
    Setting(String),
}

/// Why a mail did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// The server refused for good (5xx) or the mail cannot be built: retrying cannot help.
    pub permanent: bool,
    /// What went wrong, with mail addresses blanked out.
    pub reason: String,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The mailer the settings describe; `None` when SMTP is not configured.
    pub fn from_settings(smtp: &SmtpSettings) -> Result<Option<Self>, MailerError> {
        let Some(host) = smtp.host.as_deref() else {
            return Ok(None);
        };
        let from = smtp
            .from
            .as_deref()
            .and_then(mailbox)
            .ok_or_else(|| MailerError::Setting("from must be a mail address".into()))?;
        let builder = match smtp.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| MailerError::Setting(format!("STARTTLS to {host}: {e}")))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| MailerError::Setting(format!("TLS to {host}: {e}")))?,
        };
        let mut builder = builder
            .port(smtp.effective_port())
            .timeout(Some(Duration::from_secs(smtp.effective_timeout_secs())));
        if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(Some(Self {
            transport: builder.build(),
            from,
        }))
    }

    /// The `Message-ID` of the mail for outbox message `id` (the same on every try).
    pub fn message_id(&self, id: Uuid) -> String {
        format!("<outbox.{id}@{}>", self.from.email.domain())
    }

    /// Hand one mail to the server; `Ok` once it accepted it.
    pub async fn send(
        &self,
        id: Uuid,
        created_at: DateTime<Utc>,
        to: Mailbox,
        mail: &Rendered,
    ) -> Result<(), SendFailure> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(self.message_id(id)))
            .date(created_at.into())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| SendFailure {
                permanent: true,
                reason: scrub(&format!("cannot build the mail: {e}")),
            })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendFailure {
                permanent: e.is_permanent(),
                reason: scrub(&e.to_string()),
            })
    }
}

/// The error text without anything that looks like a mail address (servers quote the
/// recipient), cut to a length an admin view can show.
fn scrub(text: &str) -> String {
    let words: Vec<&str> = text
        .split(' ')
        .map(|w| if w.contains('@') { "[address]" } else { w })
        .collect();
    words.join(" ").chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_lose_addresses() {
        assert_eq!(
            scrub("550 5.1.1 <chen@example.com>: unknown user"),
            "550 5.1.1 [address] unknown user"
        );
    }

    #[test]
    fn the_message_id_is_derived_from_the_outbox_id() {
        let smtp = SmtpSettings {
            host: Some("127.0.0.1".into()),
            tls: SmtpTls::None,
            from: Some("Keepsake <noreply@studio.example>".into()),
            ..SmtpSettings::default()
        };
        let mailer = Mailer::from_settings(&smtp).unwrap().unwrap();
        let id = Uuid::now_v7();
        assert_eq!(
            mailer.message_id(id),
            format!("<outbox.{id}@studio.example>")
        );
        assert_eq!(mailer.message_id(id), mailer.message_id(id));
        assert!(
            Mailer::from_settings(&SmtpSettings::default())
                .unwrap()
                .is_none()
        );
    }
}
