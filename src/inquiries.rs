//! Inquiries from the landing page: someone not ready to register leaves a name, a way to
//! reach them and a few words. The inquiry is stored with its audit event and a mail to the
//! studio's address in one transaction (the mail carries the words: it is how the studio
//! answers), is counted at the top of the funnel report, and its personal words are blanked
//! after `delivery.inquiry_retention_days` by the retention job.
//!
//! Anyone can send one, so the form is throttled per client address (kept only as a
//! SHA-256 digest): a script cannot use it to flood the studio's mailbox.

use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Target};
use crate::db::{self, WriteTransaction, inquiries::InquiryRow};
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::outbox::{self, Audience};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_CONTACT_CHARS: usize = 200;
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// At most this many inquiries from one client address per [`THROTTLE_WINDOW_MINUTES`].
const MAX_PER_CLIENT: u64 = 5;
const THROTTLE_WINDOW_MINUTES: i64 = 60;

/// What the form sends.
#[derive(Debug, Clone, Default)]
pub struct Inquiry {
    pub name: String,
    /// An email address, a phone number or a WeChat ID: whatever the sender wants to be
    /// answered on.
    pub contact: String,
    pub message: String,
    /// The page's language (`zh-CN` or `en`): the language to answer in.
    pub language: String,
}

/// The fields an inquiry gets wrong, each with its code, in the form's order (empty when it
/// is fine). The page shows all of them at once; [`leave`] refuses with the first.
pub fn problems(inquiry: &Inquiry) -> Vec<(&'static str, Code)> {
    let one_line = |text: &str, max: usize| {
        let text = text.trim();
        !text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
    };
    let mut found = Vec::new();
    if !one_line(&inquiry.name, MAX_NAME_CHARS) {
        found.push(("name", Code::InquiryNameInvalid));
    }
    if !one_line(&inquiry.contact, MAX_CONTACT_CHARS) || inquiry.contact.trim().chars().count() < 3
    {
        found.push(("contact", Code::InquiryContactInvalid));
    }
    let message = inquiry.message.trim();
    if message.is_empty() || message.chars().count() > MAX_MESSAGE_CHARS {
        found.push(("message", Code::InquiryMessageInvalid));
    }
    found
}

/// Store the inquiry, audit it and queue the studio's mail, all or nothing. `client` is the
/// sender's address (only its digest is kept). 422 with the first problem's code; 429 when
/// this address sent too many lately.
pub async fn leave(
    db: &DatabaseConnection,
    who: &audit::Actor,
    request_id: Option<&str>,
    client: &str,
    inquiry: Inquiry,
    now: DateTime<Utc>,
) -> AppResult<InquiryRow> {
    if let Some((field, code)) = problems(&inquiry).first() {
        return Err(AppError::Unprocessable {
            code: *code,
            detail: format!("{field}: {}", code.description()),
            extra: Some(serde_json::Map::from_iter([(
                "field".to_owned(),
                (*field).into(),
            )])),
        });
    }
    let language = if inquiry.language == "en" {
        "en"
    } else {
        "zh-CN"
    };
    let new = db::inquiries::NewInquiry {
        name: inquiry.name.trim().to_owned(),
        contact: inquiry.contact.trim().to_owned(),
        message: inquiry.message.trim().to_owned(),
        language: language.to_owned(),
        client_digest: crate::auth::token::digest(client),
        now,
    };
    let who = who.clone();
    let request_id = request_id.map(str::to_owned);
    db.write_transaction::<_, InquiryRow, AppError>(|txn| {
        Box::pin(async move {
            // The insert first (the write lock before the count), so two sent at once from
            // one address both see each other.
            let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
            let digest = new.client_digest.clone();
            let row = db::inquiries::insert(txn, new).await?;
            if db::inquiries::count_from(txn, &digest, since).await? > MAX_PER_CLIENT {
                return Err(AppError::TooManyRequests {
                    retry_after_secs: (THROTTLE_WINDOW_MINUTES * 60).unsigned_abs(),
                });
            }
            audit::record(
                txn,
                &who,
                "inquiry.received",
                Target::inquiry(row.id),
                request_id.as_deref(),
                serde_json::json!({ "language": row.language }),
            )
            .await?;
            outbox::enqueue(
                txn,
                "inquiry.received",
                None,
                Audience::Staff,
                serde_json::json!({ "inquiry_id": row.id }),
            )
            .await?;
            Ok(row)
        })
    })
    .await
}

/// One page of inquiries, newest first (the studio only).
pub async fn page(
    db: &DatabaseConnection,
    actor: &Actor,
    before: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<InquiryRow>> {
    orders::require_studio(
        db,
        actor,
        Target::user(actor.id),
        "inquiries are the studio's to read",
    )
    .await?;
    Ok(db::inquiries::page(db, before, limit).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inquiry(name: &str, contact: &str, message: &str) -> Inquiry {
        Inquiry {
            name: name.into(),
            contact: contact.into(),
            message: message.into(),
            language: "en".into(),
        }
    }

    #[test]
    fn a_name_a_way_to_reach_and_a_few_words_are_enough() {
        assert!(problems(&inquiry("李华", "wechat: lihua_88", "我想了解一下。")).is_empty());
        assert!(problems(&inquiry(" Ann ", "+86 138 0000 0000", "Hello\nthere")).is_empty());
    }

    #[test]
    fn every_wrong_field_is_named_in_the_forms_order() {
        let fields: Vec<_> = problems(&inquiry(" ", "ab", "  "))
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["name", "contact", "message"]);
        let long = "字".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            problems(&inquiry(&long, "a@b.cn", "hi")),
            [("name", Code::InquiryNameInvalid)]
        );
        assert_eq!(
            problems(&inquiry("Ann", "a@b.cn\r\nBcc: x@y.z", "hi")),
            [("contact", Code::InquiryContactInvalid)]
        );
        let words = "x".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            problems(&inquiry("Ann", "a@b.cn", &words)),
            [("message", Code::InquiryMessageInvalid)]
        );
    }
}
