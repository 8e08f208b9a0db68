//! What admins watch over: the outbox (`/desk/outbox`: mail owed or sent, counts per status,
//! the newest messages, and "try again" on one that failed — the place where an admin learns
//! that a family was never told) and the consent ledger (`/desk/ledger`: verify it now and see
//! the result; reviewers may verify too).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::Studio;
use crate::db::outbox::DeliveryStatus;
use crate::ledger;
use crate::oversight;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::page::{self, Page, Privacy};

/// How many messages the outbox page lists (newest first).
const LISTED: u64 = 100;

struct Message {
    id: Uuid,
    at: String,
    kind: String,
    audience: String,
    status: String,
    failed: bool,
    reference: String,
    attempts: i32,
    error: String,
}

#[derive(Template)]
#[template(path = "desk/outbox.html")]
struct OutboxPage {
    page: Page,
    counts: Vec<(String, i64)>,
    messages: Vec<Message>,
    only: String,
    statuses: Vec<(&'static str, String)>,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OutboxFilter {
    status: String,
}

/// `GET /desk/outbox`.
pub async fn outbox(
    State(state): State<AppState>,
    studio: Studio,
    Query(filter): Query<OutboxFilter>,
) -> Response {
    render_outbox(
        &state,
        &studio,
        filter.status,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn render_outbox(
    state: &AppState,
    Studio { visitor, actor }: &Studio,
    only: String,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let wanted = DeliveryStatus::parse(&only);
    let (counts, rows) = match oversight::outbox_page(&state.db, actor, wanted, None, LISTED).await
    {
        Ok(found) => found,
        Err(err) => return page::failure(state, visitor, err),
    };
    let words = |s: &str| lang.text(&format!("desk.mail.{s}"));
    let template = OutboxPage {
        page: Page::new(state, visitor, "desk.outbox_title"),
        counts: DeliveryStatus::ALL
            .iter()
            .map(|s| {
                let n = counts
                    .iter()
                    .find(|(k, _)| k == s.as_str())
                    .map_or(0, |(_, n)| *n);
                (words(s.as_str()), n)
            })
            .collect(),
        messages: rows
            .into_iter()
            .map(|r| Message {
                id: r.id,
                at: lang.datetime(r.created_at, zone),
                reference: r.payload["reference"].as_str().unwrap_or("—").to_owned(),
                kind: r.kind,
                audience: r.audience,
                failed: r.status == DeliveryStatus::Failed,
                status: words(r.status.as_str()),
                attempts: r.attempts,
                error: r.last_error.or(r.skip_reason).unwrap_or_default(),
            })
            .collect(),
        statuses: DeliveryStatus::ALL
            .iter()
            .map(|s| (s.as_str(), words(s.as_str())))
            .collect(),
        only,
        errors,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetryForm {
    csrf: String,
}

/// `POST /desk/outbox/{id}/retry`: try a failed message again.
pub async fn retry(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<RetryForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return render_outbox(
            &state,
            &studio,
            String::new(),
            errors,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    match oversight::retry_message(&state.db, &studio.actor, id).await {
        Ok(_) => page::see_other("/desk/outbox"),
        Err(err) if err.status().is_client_error() && err.status() != StatusCode::FORBIDDEN => {
            let errors = FormErrors::whole(lang.said(err.code()));
            render_outbox(&state, &studio, String::new(), errors, err.status()).await
        }
        Err(err) => page::failure(&state, &studio.visitor, err),
    }
}

#[derive(Template)]
#[template(path = "desk/ledger.html")]
struct LedgerPage {
    page: Page,
    /// Set once verified: (ok, the result in words).
    result: Option<(bool, Vec<String>)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LedgerRun {
    run: String,
}

/// `GET /desk/ledger` (and `?run=1` to verify now).
pub async fn ledger(
    State(state): State<AppState>,
    Studio { visitor, actor }: Studio,
    Query(run): Query<LedgerRun>,
) -> Response {
    let lang = visitor.lang;
    let result = if run.run == "1" {
        match ledger::verify_for(&state.db, &actor).await {
            Ok(report) => {
                let mut lines = vec![lang.fill(
                    "desk.ledger.checked",
                    &[
                        ("n", &report.events_checked.to_string()),
                        ("seq", &report.head_seq.to_string()),
                    ],
                )];
                lines.push(lang.fill("desk.ledger.head", &[("hash", &report.head_hash)]));
                if let Some(broken) = &report.first_broken {
                    lines.push(lang.fill(
                        "desk.ledger.broken",
                        &[
                            ("seq", &broken.seq.to_string()),
                            ("fault", &format!("{:?}", broken.fault)),
                        ],
                    ));
                }
                Some((report.ok, lines))
            }
            Err(err) => return page::failure(&state, &visitor, err),
        }
    } else {
        None
    };
    let template = LedgerPage {
        page: Page::new(&state, &visitor, "desk.ledger_title"),
        result,
    };
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}
