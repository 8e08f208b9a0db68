//! "My orders": the family's orders, newest first — reference, whose likeness, where it
//! stands in words, and the promised date in the studio's zone.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::orders;
use crate::state::AppState;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Member;

/// One row of the list, already in words.
struct Row {
    id: uuid::Uuid,
    reference: String,
    subject: String,
    status: String,
    promised: String,
}

#[derive(Template)]
#[template(path = "portal/orders.html")]
struct MyOrders {
    page: Page,
    rows: Vec<Row>,
}

/// How many orders the page shows (a family has a handful; the studio's board is elsewhere).
const SHOWN: u64 = 100;

pub async fn mine(State(state): State<AppState>, Member { visitor, actor }: Member) -> Response {
    let query = orders::OrderQuery {
        customer_id: Some(actor.id),
        ..Default::default()
    };
    let found = match orders::list(&state.db, &actor, query, SHOWN).await {
        Ok(found) => found,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let rows = found
        .into_iter()
        .map(|order| Row {
            id: order.id,
            reference: order.reference,
            subject: order.subject.name,
            status: lang.text(&format!("status.{}", order.status.as_str())),
            promised: order.promised_at.map_or_else(
                || lang.t("orders.not_yet").to_owned(),
                |at| lang.datetime(at, zone),
            ),
        })
        .collect();
    let template = MyOrders {
        page: Page::new(&state, &visitor, "orders.title"),
        rows,
    };
    page::render(
        &state,
        &visitor,
        StatusCode::OK,
        Privacy::Personal,
        &template,
    )
}
