//! `/desk/admin/consent-texts/{id}`: one version of a consent text — its exact words, its
//! fingerprint, when it was published — and which orders signed it: how many consents name
//! this version, and the newest of them with the order (a link to its workbench), the party,
//! when, and whether it was withdrawn since. What an admin needs when a text is found wanting
//! and the families who signed it must be asked again.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::Studio;
use crate::consents;
use crate::state::AppState;
use crate::web::page::{self, Page, Privacy};

/// How many of the newest signatures the page lists (the count covers them all).
const LISTED: u64 = 200;

struct Signed {
    order_id: Uuid,
    reference: String,
    party: String,
    at: String,
    /// "Withdrawn 3 December 2026, 10:00", or empty.
    withdrawn: String,
}

#[derive(Template)]
#[template(path = "desk/text.html")]
struct TextPage {
    page: Page,
    title: String,
    published: String,
    sha256: String,
    body: String,
    /// "12 consents were signed with this version." (and "the newest 200 are listed").
    count: String,
    signed: Vec<Signed>,
}

/// `GET /desk/admin/consent-texts/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Studio { visitor, actor }: Studio,
    Path(id): Path<Uuid>,
) -> Response {
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let (text, count, signed) = match consents::signatures(&state.db, &actor, id, LISTED).await {
        Ok(found) => found,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let party =
        |p: crate::domain::consent::ConsentParty| lang.text(&format!("desk.party.{}", p.as_str()));
    let mut count_words = lang.fill("desk.text_signed_count", &[("n", &count.to_string())]);
    if count > LISTED {
        count_words.push(' ');
        count_words.push_str(&lang.fill("desk.text_newest", &[("n", &LISTED.to_string())]));
    }
    let template = TextPage {
        page: Page::new(&state, &visitor, "desk.text_title"),
        title: lang.fill(
            "desk.text_heading",
            &[
                ("party", &party(text.party)),
                ("jurisdiction", &text.jurisdiction),
                ("language", &text.language),
                ("version", &text.version.to_string()),
            ],
        ),
        published: lang.fill(
            "desk.text_published",
            &[("at", &lang.datetime(text.published_at, zone))],
        ),
        sha256: text.sha256,
        body: text.body,
        count: count_words,
        signed: signed
            .into_iter()
            .map(|s| Signed {
                order_id: s.consent.order_id,
                reference: s.reference,
                party: party(s.consent.party),
                at: lang.datetime(s.consent.signed_at, zone),
                withdrawn: s.consent.withdrawn_at.map_or_else(String::new, |at| {
                    lang.fill("desk.text_withdrawn", &[("at", &lang.datetime(at, zone))])
                }),
            })
            .collect(),
    };
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}
