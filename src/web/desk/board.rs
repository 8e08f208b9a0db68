//! `GET /desk`: the board. One column per step (screening, consent review, queued, each
//! production stage, quality check) with how many orders are in it and the first cards — the
//! reference, the mode, who has it, the promised time in the studio's zone and an SLA badge
//! in words and a shape (never colour alone). Filters live in the address (so a reload, a
//! shared link and the self-refresh keep them); a filter that cannot be read is said next to
//! its field and not applied. One column can be paged through on its own ("more").

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::Studio;
use crate::db::orders::OrderRecord;
use crate::domain::order::{DeliveryMode, OrderStatus};
use crate::production::desk::{self, ColumnKey, Cursor, DeskColumn, DeskQuery};
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};

/// Cards per column on the whole board; a column shown alone pages by this many too.
const PER_COLUMN: u64 = 25;

/// The filters as they stand in the address (text, so nothing typed is lost).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct Filters {
    mode: String,
    /// A staff member's id, or `mine`.
    assignee: String,
    /// A day (`2026-12-24`) in the studio's zone: promised before its start.
    due_before: String,
    at_risk: String,
    overdue: String,
    column: String,
    after: String,
}

/// A card in words.
struct Card {
    id: Uuid,
    reference: String,
    mode: String,
    assignee: String,
    /// "Promised 6 Dec, 14:00" or "Waiting since …".
    when: String,
    /// (css class, shape, words): on track / at risk / overdue; none before approval.
    badge: Option<(&'static str, &'static str, String)>,
    /// Paused: on hold, or waiting for the family.
    paused: Option<String>,
}

struct Column {
    title: String,
    count: i64,
    cards: Vec<Card>,
    /// The address of this column alone (its heading links there).
    alone: String,
    /// The address of its next page, when more follow.
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "desk/board.html")]
struct BoardPage {
    page: Page,
    filters: Filters,
    errors: FormErrors,
    modes: Vec<(&'static str, String)>,
    staff: Vec<(String, String)>,
    columns: Vec<Column>,
    /// Set when one column is shown alone: the way back to the whole board.
    whole_board: Option<String>,
    /// "Updated 4 December 2026, 17:07".
    updated: String,
}

pub async fn show(
    State(state): State<AppState>,
    Studio { visitor, actor }: Studio,
    Query(filters): Query<Filters>,
) -> Response {
    let lang = visitor.lang;
    let zone = state.settings.studio.zone();
    let (query, errors) = read(&filters, actor.id, zone, lang);
    let found = tokio::try_join!(
        desk::desk(&state.db, &actor, &query, PER_COLUMN),
        desk::staff(&state.db, &actor),
    );
    let (columns, staff) = match found {
        Ok(found) => found,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let names: HashMap<Uuid, String> = staff.iter().cloned().collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let template = BoardPage {
        page: Page::new(&state, &visitor, "desk.board_title"),
        modes: DeliveryMode::ALL
            .iter()
            .map(|m| (m.as_str(), lang.text(&format!("mode.{}", m.as_str()))))
            .collect(),
        staff: staff
            .iter()
            .map(|(id, email)| (id.to_string(), email.clone()))
            .collect(),
        columns: columns
            .into_iter()
            .map(|c| column(c, &filters, &names, lang, zone))
            .collect(),
        whole_board: query.column.is_some().then(|| {
            address(&Filters {
                column: String::new(),
                after: String::new(),
                ..filters.clone()
            })
        }),
        updated: lang.fill("desk.updated", &[("at", &lang.datetime(Utc::now(), zone))]),
        filters,
        errors,
    };
    page::render(&state, &visitor, status, Privacy::Personal, &template)
}

/// The query the filters ask for, and the ones that could not be read (not applied).
fn read(
    filters: &Filters,
    me: Uuid,
    zone: chrono::FixedOffset,
    lang: Lang,
) -> (DeskQuery, FormErrors) {
    let mut errors = FormErrors::default();
    let mut query = DeskQuery {
        at_risk: filters.at_risk == "1",
        overdue: filters.overdue == "1",
        ..DeskQuery::default()
    };
    if !filters.mode.is_empty() {
        query.mode = DeliveryMode::parse(&filters.mode);
        if query.mode.is_none() {
            errors.add("mode", lang.t("desk.error.mode"));
        }
    }
    match filters.assignee.as_str() {
        "" => {}
        "mine" => query.assignee = Some(me),
        id => match Uuid::parse_str(id) {
            Ok(id) => query.assignee = Some(id),
            Err(_) => errors.add("assignee", lang.t("desk.error.assignee")),
        },
    }
    if !filters.due_before.is_empty() {
        let day = NaiveDate::parse_from_str(filters.due_before.trim(), "%Y-%m-%d").ok();
        query.due_before = day
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| zone.from_local_datetime(&t).single())
            .map(|t| t.with_timezone(&Utc));
        if query.due_before.is_none() {
            errors.add("due_before", lang.t("desk.error.due_before"));
        }
    }
    if !filters.column.is_empty() {
        query.column = ColumnKey::parse(&filters.column);
        if query.column.is_none() {
            errors.add("", lang.t("desk.error.column"));
        }
    }
    if query.column.is_some() && !filters.after.is_empty() {
        query.after = parse_cursor(&filters.after);
        if query.after.is_none() {
            errors.add("", lang.t("desk.error.column"));
        }
    }
    (query, errors)
}

/// `i.<id>` (before approval) or `p.<promise in µs>.<id>`.
fn parse_cursor(text: &str) -> Option<Cursor> {
    let mut parts = text.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("i"), Some(id), None, None) => Uuid::parse_str(id).ok().map(Cursor::Id),
        (Some("p"), Some(micros), Some(id), None) => {
            let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
            Some(Cursor::Promise(at, Uuid::parse_str(id).ok()?))
        }
        _ => None,
    }
}

fn cursor_text(cursor: Cursor) -> String {
    match cursor {
        Cursor::Id(id) => format!("i.{id}"),
        Cursor::Promise(at, id) => format!("p.{}.{id}", at.timestamp_micros()),
    }
}

/// `/desk?…` with the filters that are set.
fn address(filters: &Filters) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("mode", &filters.mode),
        ("assignee", &filters.assignee),
        ("due_before", &filters.due_before),
        ("at_risk", &filters.at_risk),
        ("overdue", &filters.overdue),
        ("column", &filters.column),
        ("after", &filters.after),
    ] {
        if !value.is_empty() {
            query.append_pair(key, value);
        }
    }
    let query = query.finish();
    if query.is_empty() {
        "/desk".into()
    } else {
        format!("/desk?{query}")
    }
}

fn column(
    c: DeskColumn,
    filters: &Filters,
    names: &HashMap<Uuid, String>,
    lang: Lang,
    zone: chrono::FixedOffset,
) -> Column {
    let key = c.key.param();
    let title = match &c.key {
        ColumnKey::Stage(name) => lang
            .lookup(&format!("stage.{name}"))
            .map_or_else(|| name.replace('_', " "), str::to_owned),
        _ => lang.text(&format!("desk.column.{key}")),
    };
    let alone = Filters {
        column: key.clone(),
        after: String::new(),
        ..filters.clone()
    };
    Column {
        title,
        count: c.count,
        cards: c.cards.iter().map(|o| card(o, names, lang, zone)).collect(),
        more: c.next.map(|next| {
            address(&Filters {
                after: cursor_text(next),
                ..alone.clone()
            })
        }),
        alone: address(&alone),
    }
}

fn card(
    order: &OrderRecord,
    names: &HashMap<Uuid, String>,
    lang: Lang,
    zone: chrono::FixedOffset,
) -> Card {
    let p = &order.production;
    let badge = badge(order, lang);
    let when = match (order.promised_at, order.submitted_at) {
        (Some(at), _) => lang.fill("desk.promised", &[("at", &lang.datetime(at, zone))]),
        (None, Some(at)) => lang.fill("desk.waiting_since", &[("at", &lang.datetime(at, zone))]),
        (None, None) => String::new(),
    };
    let paused = match order.status {
        OrderStatus::OnHold => Some(lang.text("desk.paused.on_hold")),
        OrderStatus::NeedsInfo => Some(lang.text("desk.paused.needs_info")),
        _ => None,
    };
    Card {
        id: order.id,
        reference: order.reference.clone(),
        mode: lang.text(&format!("mode.{}", order.delivery_mode.as_str())),
        assignee: p.assignee_id.map_or_else(
            || lang.text("desk.unassigned"),
            |id| {
                names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| lang.text("desk.someone"))
            },
        ),
        when,
        badge,
        paused,
    }
}

/// The SLA badge of an approved order: (css class, shape, words) — on track, at risk or
/// overdue, told by the words and the shape as much as by the colour.
pub(super) fn badge(
    order: &OrderRecord,
    lang: Lang,
) -> Option<(&'static str, &'static str, String)> {
    let p = &order.production;
    order.promised_at.map(|_| {
        if p.overdue {
            ("overdue", "■", lang.text("desk.sla.overdue"))
        } else if p.at_risk {
            ("at-risk", "▲", lang.text("desk.sla.at_risk"))
        } else {
            ("on-track", "●", lang.text("desk.sla.on_track"))
        }
    })
}
