//! The landing page: what the studio makes (the two modes in plain words), what it costs and
//! how long it takes, how consent and privacy work, and the way in (register / sign in).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::state::AppState;
use crate::web::page::{self, Page, Privacy};
use crate::web::visitor::Visitor;

#[derive(Template)]
#[template(path = "portal/landing.html")]
struct Landing {
    page: Page,
    price_range: String,
    promise_days: String,
}

pub async fn show(State(state): State<AppState>, visitor: Visitor) -> Response {
    let studio = &state.settings.studio;
    let lang = visitor.lang;
    let template = Landing {
        price_range: lang.fill(
            "landing.price_range",
            &[
                ("from", &lang.money(studio.price_from_minor, "CNY")),
                ("to", &lang.money(studio.price_to_minor, "CNY")),
            ],
        ),
        promise_days: lang.fill("landing.promise", &[("from", "5"), ("to", "7")]),
        page: Page::new(&state, &visitor, "landing.title"),
    };
    page::render(&state, &visitor, StatusCode::OK, Privacy::Public, &template)
}
