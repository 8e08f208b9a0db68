//! What each outbox message says, decided from the message and a few facts read at send time —
//! pure, so every template is tested without a database or a mail server.
//!
//! Mails carry as little personal data as the purpose allows: the order reference, the status
//! in words, the promised time in the studio's zone, and a link path. Never the subject's name,
//! never the reviewer's words (the customer signs in to read those), never who did what.
//!
//! Which messages are mailed is decided here, deliberately:
//! - to the customer: received (submitted from a draft), needs information, approved (with the
//!   promised time), delivered, declined, withdrawn (work stopped, erasure follows), an
//!   erasure asked for (by the customer or through an approved data-rights request: what will
//!   be destroyed, whether work stopped, and that a delivered order stays delivered), and
//!   erasure done (with the certificate's path);
//! - to the customer also: a follow-up iteration that needs fresh consent, has started (with its
//!   due time), is delivered or cancelled; a live session booked or cancelled; a money entry
//!   recorded (amounts in major units: two decimals, none for currencies without minor units);
//! - to the studio: SLA at risk and overdue, a live session held without the AI label, and a
//!   landing-page inquiry — the one mail that carries a person's words, because the studio
//!   must answer them (read from the inquiry at send time, so once retention blanked it the
//!   message is skipped; the queued message itself holds only the inquiry's id);
//! - to an account's owner: failed sign-ins that tripped the login throttle (once per trip);
//! - not mailed (`Plan::Skip`, the reason kept on the message): the studio's internal steps
//!   (screening, consent review, production, quality check, holds, resumptions), stage
//!   progress (`order.progress`: the order's page shows it; a mail per stage is noise to
//!   someone grieving), assignments (`order.assigned`: the board shows them, and a shared staff
//!   address is not the assignee), and any kind this version has no template for.

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::order::OrderStatus;

/// What the relay knows when it renders a message.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub kind: &'a str,
    pub payload: &'a Value,
    pub order_id: Option<Uuid>,
    /// The order's delivery promise as it stands now (the approval mail names it).
    pub promised_at: Option<DateTime<Utc>>,
    /// The studio's zone: times are written in it.
    pub zone: FixedOffset,
    /// Put before link paths (empty: the path alone).
    pub base_url: &'a str,
    pub studio_name: &'a str,
}

/// A mail to send: its subject and its plain-text body (the message's audience says to whom).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Send(Rendered),
    /// Deliberately not mailed, and why.
    Skip(String),
}

fn skip(reason: &str) -> Plan {
    Plan::Skip(reason.to_owned())
}

/// `2026-12-05 14:30 (UTC+08:00)`
pub fn local_time(t: DateTime<Utc>, zone: FixedOffset) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M (UTC%:z)")
        .to_string()
}

fn payload_time(payload: &Value, key: &str) -> Option<DateTime<Utc>> {
    payload[key].as_str()?.parse().ok()
}

pub fn render(facts: &Facts<'_>) -> Plan {
    if facts.kind == "account.login_throttled" {
        return login_throttled_mail(facts);
    }
    let Some(reference) = facts.payload["reference"].as_str() else {
        return skip("the message names no order reference");
    };
    let link = |path: &str| format!("{}{path}", facts.base_url.trim_end_matches('/'));
    // The family's links lead to their order's page (which shows the timeline, follow-ups,
    // live sessions and payments); `part` is the section's anchor.
    let order_path = |part: &str| {
        facts
            .order_id
            .map(|id| link(&format!("/orders/{id}{part}")))
    };
    let customer = |subject: String, lines: Vec<String>| {
        Plan::Send(Rendered {
            subject,
            body: body(lines, facts.studio_name),
        })
    };
    match facts.kind {
        "order.status_changed" => {
            let status = |key: &str| facts.payload[key].as_str().and_then(OrderStatus::parse);
            let (Some(from), Some(to)) = (status("from"), status("to")) else {
                return skip("the message names no known status change");
            };
            let Some(page) = order_path("") else {
                return skip("the message names no order");
            };
            status_mail(reference, from, to, &page, facts, customer)
        }
        "order.erased" => {
            // The certificate's page; messages queued before the pages named the API's path.
            let page = facts.order_id.map(|id| format!("/orders/{id}/certificate"));
            let Some(certificate) = page
                .as_deref()
                .or_else(|| facts.payload["certificate_url"].as_str())
            else {
                return skip("the message names no certificate");
            };
            customer(
                format!("Order {reference}: its data has been destroyed"),
                vec![
                    format!(
                        "As asked, every photo, recording, video and document of order {reference}, \
                         and the personal details it held, have been destroyed."
                    ),
                    format!(
                        "Your certificate of destruction lists what was deleted and when (sign in to \
                         read it): {}",
                        link(certificate)
                    ),
                ],
            )
        }
        "order.erasure_requested" => erasure_requested_mail(reference, facts, customer),
        "sla.at_risk" | "sla.overdue" => {
            let promised = payload_time(facts.payload, "promised_at")
                .map(|t| local_time(t, facts.zone))
                .unwrap_or_else(|| "not set".into());
            let stage_due = payload_time(facts.payload, "stage_due_at")
                .map(|t| local_time(t, facts.zone))
                .unwrap_or_else(|| "no stage open".into());
            let overdue = facts.kind == "sla.overdue";
            let (subject, what, filter) = if overdue {
                (
                    format!("[SLA] Order {reference} is overdue"),
                    format!("Order {reference} has passed its delivery promise."),
                    "overdue=true",
                )
            } else {
                (
                    format!("[SLA] Order {reference} is at risk"),
                    format!(
                        "Order {reference} is at risk: a stage is late or the remaining stages no \
                         longer fit before the promise."
                    ),
                    "at_risk=true",
                )
            };
            Plan::Send(Rendered {
                subject,
                body: body(
                    vec![
                        what,
                        format!(
                            "Current stage due: {stage_due}\nPromised to the customer: {promised}"
                        ),
                        format!("The board: {}", link(&format!("/api/v1/board?{filter}"))),
                    ],
                    facts.studio_name,
                ),
            })
        }
        "iteration.consent_needed" | "iteration.status_changed" => {
            let Some(page) = order_path("#iterations-heading") else {
                return skip("the message names no order");
            };
            iteration_mail(reference, &page, facts, customer)
        }
        "live_session.scheduled" | "live_session.cancelled" => {
            let Some(at) = payload_time(facts.payload, "scheduled_at") else {
                return skip("the message names no session time");
            };
            let when = local_time(at, facts.zone);
            if facts.kind == "live_session.scheduled" {
                customer(
                    format!("Order {reference}: your live session is booked"),
                    vec![format!(
                        "Your live session for order {reference} is booked for {when}. The studio \
                         will contact you with how to join."
                    )],
                )
            } else {
                customer(
                    format!("Order {reference}: your live session is cancelled"),
                    vec![format!(
                        "The live session for order {reference} booked for {when} is cancelled. \
                         Sign in to read why: {}",
                        order_path("#sessions-heading").unwrap_or_default()
                    )],
                )
            }
        }
        "live_session.flagged" => Plan::Send(Rendered {
            subject: format!("[Review] Order {reference}: live session held without the AI label"),
            body: body(
                vec![
                    format!(
                        "A live session of order {reference} was logged without the on-screen \
                         AI-generated label. A reviewer must look at it."
                    ),
                    format!(
                        "The review queue: {}",
                        link("/api/v1/live-sessions?flagged=true")
                    ),
                ],
                facts.studio_name,
            ),
        }),
        "payment.recorded" => {
            let kind = facts.payload["kind"].as_str().unwrap_or_default();
            let (Some(amount), Some(currency)) = (
                facts.payload["amount_minor"].as_i64(),
                facts.payload["currency"].as_str(),
            ) else {
                return skip("the message names no amount");
            };
            let what = match kind {
                "quote" => "A quote",
                "deposit" => "Your deposit",
                "payment" => "Your payment",
                "refund" => "A refund",
                _ => return skip("the message names no known entry kind"),
            };
            customer(
                format!("Order {reference}: {} recorded", what.to_lowercase()),
                vec![
                    format!(
                        "{what} of {} for order {reference} is recorded.",
                        money(amount, currency)
                    ),
                    format!(
                        "Your balance: {}",
                        order_path("#money-heading").unwrap_or_default()
                    ),
                ],
            )
        }
        "order.progress" => {
            skip("stage progress is shown on the order's page; a mail per stage is not sent")
        }
        "order.assigned" => {
            skip("assignments are shown on the board; the staff address is not the assignee")
        }
        _ => skip("this version has no mail template for this kind"),
    }
}

/// To the account's owner, once per trip of the login throttle: someone is guessing, the
/// password held, and the owner's own devices still get in. No address, no count: the owner
/// needs to know it happened and what to do, not who tried.
fn login_throttled_mail(facts: &Facts<'_>) -> Plan {
    let Some(at) = payload_time(facts.payload, "tripped_at") else {
        return skip("the message names no time");
    };
    Plan::Send(Rendered {
        subject: "Failed sign-in attempts on your account".into(),
        body: body(
            vec![
                format!(
                    "Several attempts to sign in to your {} account with a wrong password were \
                     made, the last around {}.",
                    facts.studio_name,
                    local_time(at, facts.zone)
                ),
                "For a while, sign-ins are slowed down from where those attempts came from and \
                 from places you have not signed in from before. You can still sign in as usual \
                 from a device you have used recently."
                    .into(),
                "If it was you, nothing more is needed. If it was not, the password held; \
                 consider changing it to a long passphrase you use nowhere else."
                    .into(),
            ],
            facts.studio_name,
        ),
    })
}

fn status_mail(
    reference: &str,
    from: OrderStatus,
    to: OrderStatus,
    page: &str,
    facts: &Facts<'_>,
    customer: impl Fn(String, Vec<String>) -> Plan,
) -> Plan {
    use OrderStatus::*;
    let sign_in = format!("Sign in to see your order: {page}");
    match (from, to) {
        (Draft, Submitted) => customer(
            format!("We have received order {reference}"),
            vec![
                format!(
                    "Thank you. We have received order {reference}; a reviewer will now look at \
                     what you sent us."
                ),
                "We will write again when there is news, or if we need anything more from you."
                    .into(),
                sign_in,
            ],
        ),
        (_, NeedsInfo) => customer(
            format!("Order {reference}: we need a little more from you"),
            vec![
                format!(
                    "To go on with order {reference}, the studio needs something more from you."
                ),
                format!("Sign in to see what is needed: {}", timeline(page)),
            ],
        ),
        (ConsentReview, Queued) => {
            let promise = facts
                .promised_at
                .map(|t| format!("We promise to deliver it by {}.", local_time(t, facts.zone)))
                .unwrap_or_else(|| "We will tell you when to expect it.".into());
            customer(
                format!("Order {reference} is approved"),
                vec![
                    format!("Order {reference} is approved and waiting for production."),
                    promise,
                    sign_in,
                ],
            )
        }
        (_, Delivered) => customer(
            format!("Order {reference} has been delivered"),
            vec![
                format!("Order {reference} is ready."),
                format!(
                    "Sign in to download it (the links are short-lived, so please use them from \
                     the order's page): {page}/deliverables"
                ),
                "Each file is marked as made with AI, and the mark is also written inside the \
                 file — the GB 45438 label and the studio's signed Content Credentials (C2PA) — \
                 so it stays with the file when you share it."
                    .to_owned(),
                format!(
                    "Anyone can check a file the studio made, without sending it anywhere: {}",
                    facts.base_url.trim_end_matches('/').to_owned() + "/check"
                ),
            ],
        ),
        (_, Declined) => customer(
            format!("Order {reference}: the studio's decision"),
            vec![
                format!("The studio has decided not to go ahead with order {reference}."),
                format!("Sign in to see your order's history: {}", timeline(page)),
            ],
        ),
        (_, Withdrawn) => customer(
            format!("Order {reference}: work has stopped"),
            vec![
                format!(
                    "A consent for order {reference} was withdrawn, so work on it has stopped. Its \
                     data will be destroyed, and you will receive a certificate when that is done."
                ),
                sign_in,
            ],
        ),
        _ => Plan::Skip(format!(
            "{from} → {to} is a step inside the studio's process; the order's timeline shows it"
        )),
    }
}

/// An erasure was asked for: said as what it is (never as a withdrawn consent), whether it
/// stopped work, and that an order which reached its outcome keeps it.
fn erasure_requested_mail(
    reference: &str,
    facts: &Facts<'_>,
    customer: impl Fn(String, Vec<String>) -> Plan,
) -> Plan {
    let why = match facts.payload["reason"].as_str() {
        Some("customer_request") => "As you asked, the studio",
        Some("data_rights_request") => {
            "Following a data-rights request that the studio checked and approved, the studio"
        }
        _ => return skip("the message names no known erasure reason"),
    };
    let after = if facts.payload["work_stopped"].as_bool() == Some(true) {
        "Work on the order has stopped."
    } else {
        "The order keeps its place in your account as it ended, without its files or personal \
         details."
    };
    customer(
        format!("Order {reference}: its data is being erased"),
        vec![
            format!(
                "{why} is destroying every photo, recording, video and document of order \
                 {reference}, and the personal details it holds. This cannot be undone."
            ),
            after.to_owned(),
            "When it is done you will receive a certificate of destruction listing what was \
             deleted and when."
                .to_owned(),
        ],
    )
}

/// A follow-up iteration: fresh consent needed, started (with its due time), delivered.
fn iteration_mail(
    reference: &str,
    page: &str,
    facts: &Facts<'_>,
    customer: impl Fn(String, Vec<String>) -> Plan,
) -> Plan {
    let number = facts.payload["iteration"].as_i64().unwrap_or_default();
    if facts.kind == "iteration.consent_needed" {
        return customer(
            format!("Order {reference}: follow-up {number} needs your consent"),
            vec![
                format!(
                    "The follow-up you asked for on order {reference} needs more than you have \
                     consented to so far. Nothing is done until you give fresh consent for it."
                ),
                format!("Sign in to read what it needs and to consent: {page}"),
            ],
        );
    }
    match facts.payload["to"].as_str() {
        Some("in_production") => {
            let due = payload_time(facts.payload, "due_at")
                .map(|t| format!(" It is due by {}.", local_time(t, facts.zone)))
                .unwrap_or_default();
            customer(
                format!("Order {reference}: follow-up {number} has started"),
                vec![format!(
                    "Work on follow-up {number} of order {reference} has started.{due}"
                )],
            )
        }
        Some("delivered") => customer(
            format!("Order {reference}: follow-up {number} is ready"),
            vec![
                format!("Follow-up {number} of order {reference} is delivered."),
                format!("Sign in to see it: {page}"),
            ],
        ),
        Some("cancelled") => customer(
            format!("Order {reference}: follow-up {number} is cancelled"),
            vec![format!(
                "Follow-up {number} of order {reference} is cancelled. Sign in to read why: {page}"
            )],
        ),
        _ => Plan::Skip("an iteration's internal step (quality check) is not mailed".into()),
    }
}

/// A landing-page inquiry, to the studio's address: who, how to reach them, in which
/// language to answer, and their words.
pub fn inquiry_mail(
    inquiry: &crate::db::inquiries::InquiryRow,
    zone: FixedOffset,
    studio_name: &str,
) -> Plan {
    if inquiry.forgotten_at.is_some() {
        return skip("the inquiry's words were blanked by retention before it was mailed");
    }
    let language = if inquiry.language == "en" {
        "English"
    } else {
        "Chinese (中文)"
    };
    Plan::Send(Rendered {
        subject: "[Inquiry] A new inquiry from the website".into(),
        body: format!(
            "Someone left an inquiry on the landing page at {}.\n\nName: {}\nReach them at: {}\n\
             Answer in: {language}\n\nTheir words:\n{}\n\n{studio_name}\n",
            local_time(inquiry.created_at, zone),
            inquiry.name,
            inquiry.contact,
            inquiry.message,
        ),
    })
}

/// `880.00 CNY` from minor units (two decimals; zero for the currencies that have none).
fn money(amount_minor: i64, currency: &str) -> String {
    if matches!(currency, "JPY" | "KRW" | "VND" | "CLP" | "ISK") {
        return format!("{amount_minor} {currency}");
    }
    format!(
        "{}.{:02} {currency}",
        amount_minor / 100,
        amount_minor % 100
    )
}

/// Where the customer reads what the studio asked or decided.
fn timeline(page: &str) -> String {
    format!("{page}#timeline")
}

fn body(paragraphs: Vec<String>, studio: &str) -> String {
    let mut text = paragraphs.join("\n\n");
    text.push_str(&format!(
        "\n\n{studio}\n\nThis message was sent automatically; replies are not read.\n"
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts<'a>(kind: &'a str, payload: &'a Value) -> Facts<'a> {
        Facts {
            kind,
            payload,
            order_id: Some(Uuid::nil()),
            promised_at: "2026-12-05T06:30:00Z".parse().ok(),
            zone: FixedOffset::east_opt(8 * 3600).unwrap(),
            base_url: "https://desk.example/",
            studio_name: "Keepsake Studio",
        }
    }

    fn sent(plan: Plan) -> Rendered {
        match plan {
            Plan::Send(r) => r,
            Plan::Skip(why) => panic!("skipped: {why}"),
        }
    }

    fn change(from: &str, to: &str) -> Value {
        json!({ "reference": "KS-2026-000007", "from": from, "to": to })
    }

    #[test]
    fn the_approval_names_the_promise_in_the_studios_zone() {
        let payload = change("consent_review", "queued");
        let mail = sent(render(&facts("order.status_changed", &payload)));
        assert_eq!(mail.subject, "Order KS-2026-000007 is approved");
        assert!(
            mail.body.contains("2026-12-05 14:30 (UTC+08:00)"),
            "{}",
            mail.body
        );
        assert!(
            mail.body
                .contains("https://desk.example/orders/00000000-0000-0000-0000-000000000000")
        );
    }

    #[test]
    fn needs_info_asks_to_sign_in_and_never_carries_the_request() {
        let payload = json!({ "reference": "KS-2026-000007", "from": "screening", "to": "needs_info", "note": "the death certificate of Chen Mei" });
        let mail = sent(render(&facts("order.status_changed", &payload)));
        assert!(mail.body.contains("Sign in to see what is needed"));
        assert!(!mail.body.contains("Chen"), "{}", mail.body);
    }

    #[test]
    fn internal_steps_progress_and_assignments_are_not_mailed() {
        for (from, to) in [
            ("submitted", "screening"),
            ("queued", "in_production"),
            ("on_hold", "queued"),
            ("in_production", "quality_check"),
        ] {
            let payload = change(from, to);
            assert!(
                matches!(
                    render(&facts("order.status_changed", &payload)),
                    Plan::Skip(_)
                ),
                "{from} → {to}"
            );
        }
        let payload = json!({ "reference": "KS-2026-000007", "stage_completed": "training" });
        assert!(matches!(
            render(&facts("order.progress", &payload)),
            Plan::Skip(_)
        ));
        assert!(matches!(
            render(&facts("order.assigned", &payload)),
            Plan::Skip(_)
        ));
        assert!(matches!(
            render(&facts("order.unheard_of", &payload)),
            Plan::Skip(_)
        ));
    }

    #[test]
    fn an_inquiry_reaches_the_studio_with_its_words_until_retention_blanks_them() {
        let now = Utc::now();
        let mut row = crate::db::inquiries::InquiryRow {
            id: Uuid::now_v7(),
            name: "李华".into(),
            contact: "wechat lihua_88".into(),
            message: "我母亲上个月去世了，想了解一下。".into(),
            language: "zh-CN".into(),
            client_digest: String::new(),
            created_at: now,
            forgotten_at: None,
        };
        let zone = FixedOffset::east_opt(8 * 3600).unwrap();
        let Plan::Send(mail) = inquiry_mail(&row, zone, "Keepsake") else {
            panic!("an inquiry is mailed");
        };
        assert!(mail.body.contains("李华") && mail.body.contains("wechat lihua_88"));
        assert!(mail.body.contains("我母亲上个月去世了") && mail.body.contains("Chinese"));
        assert!(
            !mail.subject.contains("李华"),
            "no name in the subject: {}",
            mail.subject
        );
        row.forgotten_at = Some(now);
        assert!(matches!(
            inquiry_mail(&row, zone, "Keepsake"),
            Plan::Skip(_)
        ));
    }

    #[test]
    fn sla_alerts_go_to_staff_with_local_times() {
        let payload = json!({ "reference": "KS-2026-000007", "stage_due_at": "2026-12-01T00:00:00Z", "promised_at": "2026-12-05T06:30:00Z" });
        let mail = sent(render(&facts("sla.at_risk", &payload)));
        assert!(
            mail.body.contains("2026-12-01 08:00 (UTC+08:00)"),
            "{}",
            mail.body
        );
        assert!(mail.body.contains("/api/v1/board?at_risk=true"));
    }

    #[test]
    fn follow_ups_sessions_and_money_are_mailed_in_words() {
        let consent = json!({ "reference": "KS-2026-000007", "iteration": 2 });
        let mail = sent(render(&facts("iteration.consent_needed", &consent)));
        assert_eq!(
            mail.subject,
            "Order KS-2026-000007: follow-up 2 needs your consent"
        );
        assert!(
            mail.body
                .contains("/orders/00000000-0000-0000-0000-000000000000#iterations-heading"),
            "{}",
            mail.body
        );
        let started = json!({ "reference": "KS-2026-000007", "iteration": 2, "to": "in_production", "due_at": "2026-12-01T00:00:00Z" });
        let mail = sent(render(&facts("iteration.status_changed", &started)));
        assert!(
            mail.body.contains("2026-12-01 08:00 (UTC+08:00)"),
            "{}",
            mail.body
        );
        let checking =
            json!({ "reference": "KS-2026-000007", "iteration": 2, "to": "quality_check" });
        assert!(matches!(
            render(&facts("iteration.status_changed", &checking)),
            Plan::Skip(_)
        ));
        let booked =
            json!({ "reference": "KS-2026-000007", "scheduled_at": "2026-12-01T02:00:00Z" });
        let mail = sent(render(&facts("live_session.scheduled", &booked)));
        assert!(
            mail.body.contains("2026-12-01 10:00 (UTC+08:00)"),
            "{}",
            mail.body
        );
        let flagged = json!({ "reference": "KS-2026-000007" });
        let mail = sent(render(&facts("live_session.flagged", &flagged)));
        assert!(mail.body.contains("/api/v1/live-sessions?flagged=true"));
        let paid = json!({ "reference": "KS-2026-000007", "kind": "deposit", "amount_minor": 88_005, "currency": "CNY" });
        let mail = sent(render(&facts("payment.recorded", &paid)));
        assert!(
            mail.body.contains("Your deposit of 880.05 CNY"),
            "{}",
            mail.body
        );
        let yen = json!({ "reference": "KS-2026-000007", "kind": "refund", "amount_minor": 5000, "currency": "JPY" });
        assert!(
            sent(render(&facts("payment.recorded", &yen)))
                .body
                .contains("5000 JPY")
        );
    }

    #[test]
    fn a_tripped_login_throttle_tells_the_owner_without_the_attackers_address() {
        let payload = json!({ "user_id": Uuid::nil(), "tripped_at": "2026-12-05T06:30:00Z" });
        let mut facts = facts("account.login_throttled", &payload);
        facts.order_id = None;
        let mail = sent(render(&facts));
        assert_eq!(mail.subject, "Failed sign-in attempts on your account");
        assert!(
            mail.body.contains("2026-12-05 14:30 (UTC+08:00)"),
            "{}",
            mail.body
        );
        assert!(
            mail.body.contains("Keepsake Studio account"),
            "{}",
            mail.body
        );
        let no_time = json!({ "user_id": Uuid::nil() });
        assert!(matches!(
            render(&super::tests::facts("account.login_throttled", &no_time)),
            Plan::Skip(_)
        ));
    }

    #[test]
    fn an_erasure_request_is_mailed_as_an_erasure_not_a_withdrawal() {
        let delivered = json!({ "reference": "KS-2026-000007", "reason": "customer_request", "work_stopped": false });
        let mail = sent(render(&facts("order.erasure_requested", &delivered)));
        assert_eq!(
            mail.subject,
            "Order KS-2026-000007: its data is being erased"
        );
        assert!(mail.body.starts_with("As you asked"), "{}", mail.body);
        assert!(mail.body.contains("keeps its place"), "{}", mail.body);
        assert!(!mail.body.contains("withdrawn"), "{}", mail.body);
        let stopped = json!({ "reference": "KS-2026-000007", "reason": "data_rights_request", "work_stopped": true });
        let mail = sent(render(&facts("order.erasure_requested", &stopped)));
        assert!(mail.body.contains("data-rights request"), "{}", mail.body);
        assert!(mail.body.contains("Work on the order has stopped."));
        let unknown = json!({ "reference": "KS-2026-000007", "reason": "whim" });
        assert!(matches!(
            render(&facts("order.erasure_requested", &unknown)),
            Plan::Skip(_)
        ));
    }

    #[test]
    fn erasure_links_the_certificate_page() {
        let payload = json!({ "reference": "KS-2026-000007", "certificate_url": "/api/v1/orders/x/destruction-certificate" });
        let mail = sent(render(&facts("order.erased", &payload)));
        assert!(
            mail.body.contains(
                "https://desk.example/orders/00000000-0000-0000-0000-000000000000/certificate"
            ),
            "{}",
            mail.body
        );
        // A message queued before the pages (no order id) still links what it named.
        let mut older = facts("order.erased", &payload);
        older.order_id = None;
        let mail = sent(render(&older));
        assert!(
            mail.body
                .contains("https://desk.example/api/v1/orders/x/destruction-certificate")
        );
    }
}
