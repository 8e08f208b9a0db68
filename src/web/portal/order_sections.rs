//! The parts of the order page that appear as the order goes on, each in words: what the
//! studio asked for (needs information), the money (quoted, paid, balance), the delivered
//! files with their AI-generated label and a download, the live sessions of a human-driven
//! order, and follow-up iterations. Plus the download itself: an audited, short-lived link
//! the browser is sent on to.

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::FixedOffset;
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::orders::OrderRecord;
use crate::domain::ids::OrderId;
use crate::domain::iteration::IterationStatus;
use crate::domain::order::{DeliveryMode, OrderStatus};
use crate::error::AppResult;
use crate::orders::TimelineEntry;
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::web::page;
use crate::web::visitor::Member;
use crate::{iterations, live_sessions, payments, uploads};

/// A delivered file as the family sees it.
pub struct Delivered {
    pub id: Uuid,
    pub name: String,
    pub label: String,
}

/// A line of words with its date.
pub struct Dated {
    pub at: String,
    pub text: String,
}

pub struct Money {
    pub quoted: String,
    pub paid: String,
    pub balance: String,
    pub entries: Vec<Dated>,
}

/// Everything the order page shows beyond the draft.
#[derive(Default)]
pub struct Sections {
    /// The studio's latest request, when the order waits on the family.
    pub request: Option<String>,
    pub money: Option<Money>,
    pub delivered: Vec<Delivered>,
    pub sessions: Vec<Dated>,
    pub iterations: Vec<FollowUp>,
}

/// A follow-up iteration in words, with the way to its consent while it waits for one.
pub struct FollowUp {
    pub at: String,
    pub text: String,
    pub consent_link: Option<String>,
}

pub async fn load(
    state: &AppState,
    actor: &Actor,
    order: &OrderRecord,
    timeline: &[TimelineEntry],
    lang: Lang,
) -> AppResult<Sections> {
    let zone = state.settings.studio.zone();
    let id = order.id;
    let (ledger, files, sessions, follow_ups) = tokio::try_join!(
        payments::ledger(&state.db, actor, id),
        uploads::files::deliverables(&state.db, actor, id),
        live_sessions::for_order(&state.db, actor, id),
        iterations::list(&state.db, actor, id),
    )?;
    let request = (order.status == OrderStatus::NeedsInfo)
        .then(|| {
            timeline
                .iter()
                .rev()
                .find(|e| e.status.as_deref() == Some("needs_info"))
                .map(|e| e.message.clone())
        })
        .flatten();
    let money = ledger.summary.currency.as_ref().map(|currency| {
        let code = currency.as_str();
        let t = &ledger.summary.totals;
        Money {
            quoted: lang.money(t.quoted, code),
            paid: lang.money(t.paid, code),
            balance: lang.money(t.balance_due, code),
            entries: ledger
                .entries
                .iter()
                .map(|e| Dated {
                    at: lang.datetime(e.recorded_at, zone),
                    text: lang.fill(
                        &format!("money.{}", e.kind.as_str()),
                        &[("amount", &lang.money(e.amount_minor, &e.currency))],
                    ),
                })
                .collect(),
        }
    });
    let delivered = files
        .into_iter()
        .map(|d| Delivered {
            id: d.file.id,
            name: d.file.file_name.clone(),
            label: d.label.label_text.clone(),
        })
        .collect();
    let sessions = if order.delivery_mode == DeliveryMode::HumanDriven {
        sessions
            .iter()
            .map(|s| {
                dated(
                    lang,
                    zone,
                    s.scheduled_at,
                    &format!("session.{}", s.status.as_str()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let iterations = follow_ups
        .iter()
        .map(|i| FollowUp {
            at: lang.fill("iteration.number", &[("n", &i.number.to_string())]),
            text: format!("{} — {}", i.description, follow_up_status(lang, i)),
            consent_link: (i.status == IterationStatus::AwaitingConsent && !i.consent.covered)
                .then(|| format!("/orders/{id}/iterations/{}/consent", i.id)),
        })
        .collect();
    Ok(Sections {
        request,
        money,
        delivered,
        sessions,
        iterations,
    })
}

/// Where a follow-up stands, in words: one waiting for consent that the consents now cover is
/// ready to start, whatever its stored status says until staff start it.
pub(in crate::web) fn follow_up_status(lang: Lang, view: &iterations::IterationView) -> String {
    let key = match view.status {
        IterationStatus::AwaitingConsent if view.consent.covered => "ready",
        status => status.as_str(),
    };
    lang.text(&format!("iteration.{key}"))
}

fn dated(lang: Lang, zone: FixedOffset, at: chrono::DateTime<chrono::Utc>, key: &str) -> Dated {
    Dated {
        at: lang.datetime(at, zone),
        text: lang.text(key),
    }
}

/// `GET /orders/{id}/files/{file}`: an audited, short-lived link to a delivered file; the
/// browser is sent straight on to it.
pub async fn download(
    State(state): State<AppState>,
    Member { visitor, actor }: Member,
    Path((id, file)): Path<(Uuid, Uuid)>,
) -> Response {
    match uploads::download::deliverable(&state, &actor, OrderId::from(id), file).await {
        Ok(link) => page::see_other(&link.request.url),
        Err(err) => page::failure(&state, &visitor, err),
    }
}
