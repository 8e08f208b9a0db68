//! `GET /desk/reports`: on-time delivery and turnaround per kind of order (orders delivered in
//! the range), and the funnel (everyone who asked in the range, how far their orders got, and
//! where the others stopped) — each drawn server-side as an SVG of plain bars with the numbers
//! beside it in a table (no chart library, nothing to download; the table is the accessible
//! version). The range is two days in the studio's zone, the last 30 days by default; one
//! that cannot be read is said at its field.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::Studio;
use crate::domain::reports::SlaSummary;
use crate::production;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::page::{self, Page, Privacy};

/// The default range: the last 30 days.
const DEFAULT_DAYS: u64 = 30;
/// The bars' drawing width (the SVG scales to the page).
const BAR_WIDTH: f64 = 400.0;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RangeForm {
    from: String,
    to: String,
}

/// One bar: its words, its value in words, and its length in the drawing.
struct Bar {
    label: String,
    value: String,
    /// Its length in the drawing, as the SVG attribute.
    width: String,
    /// Its top in the drawing.
    y: u32,
}

/// A chart: its title, its bars, and the drawing's height.
struct Chart {
    id: &'static str,
    title: String,
    summary: String,
    bars: Vec<Bar>,
    height: u32,
}

#[derive(Template)]
#[template(path = "desk/reports.html")]
struct ReportsPage {
    page: Page,
    from: String,
    to: String,
    errors: FormErrors,
    charts: Vec<Chart>,
    /// (what, how many) of the orders that stopped.
    stopped: Vec<(String, i64)>,
}

const ROW: u32 = 34;

fn chart(
    id: &'static str,
    title: String,
    summary: String,
    rows: Vec<(String, f64, String)>,
) -> Chart {
    let top = rows.iter().map(|(_, v, _)| *v).fold(0.0_f64, f64::max);
    let bars: Vec<Bar> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, words))| Bar {
            label,
            value: words,
            width: format!(
                "{:.1}",
                if top > 0.0 {
                    (value / top * BAR_WIDTH).max(2.0)
                } else {
                    2.0
                }
            ),
            y: u32::try_from(i).unwrap_or(0) * ROW,
        })
        .collect();
    Chart {
        id,
        title,
        summary,
        height: u32::try_from(bars.len()).unwrap_or(0) * ROW,
        bars,
    }
}

pub async fn show(
    State(state): State<AppState>,
    Studio { visitor, actor }: Studio,
    Query(form): Query<RangeForm>,
) -> Response {
    let (lang, zone) = (visitor.lang, state.settings.studio.zone());
    let today = Utc::now().with_timezone(&zone).date_naive();
    let mut errors = FormErrors::default();
    let mut day = |field: &'static str, text: &str, default: NaiveDate| {
        if text.trim().is_empty() {
            return default;
        }
        match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(day) => day,
            Err(_) => {
                errors.add(field, lang.t("desk.error.due_before"));
                default
            }
        }
    };
    let from_day = day("from", &form.from, today - Days::new(DEFAULT_DAYS));
    let to_day = day("to", &form.to, today);
    // Whole days in the studio's zone: from the start of `from` to the end of `to`.
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| zone.from_local_datetime(&t).single())
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(from), Some(to)) = (start(from_day), start(to_day + Days::new(1))) else {
        return page::failure(
            &state,
            &visitor,
            crate::error::AppError::internal("no such day"),
        );
    };
    let (from, to, from_day, to_day) = if to <= from {
        errors.add("to", lang.t("desk.error.range"));
        let from_day = today - Days::new(DEFAULT_DAYS);
        match (start(from_day), start(today + Days::new(1))) {
            (Some(f), Some(t)) => (f, t, from_day, today),
            _ => {
                return page::failure(
                    &state,
                    &visitor,
                    crate::error::AppError::internal("no such day"),
                );
            }
        }
    } else {
        (from, to, from_day, to_day)
    };
    let found = tokio::try_join!(
        production::reports::sla(&state.db, &actor, from, to),
        production::reports::funnel(&state.db, &actor, from, to),
    );
    let ((machine, human), funnel) = match found {
        Ok(found) => found,
        Err(err) => return page::failure(&state, &visitor, err),
    };
    let mode = |key: &str| lang.text(&format!("mode.{key}"));
    let rate = |s: &SlaSummary| s.on_time_rate.unwrap_or(0.0) * 100.0;
    let rate_words = |s: &SlaSummary| match s.on_time_rate {
        Some(r) => lang.fill(
            "desk.report.rate",
            &[
                ("rate", &format!("{:.0}", r * 100.0)),
                ("on_time", &s.on_time.to_string()),
                ("delivered", &s.delivered.to_string()),
            ],
        ),
        None => lang.text("desk.report.none_delivered"),
    };
    let hours = |h: Option<f64>| {
        h.map_or_else(
            || "—".to_owned(),
            |h| lang.fill("desk.report.hours", &[("n", &format!("{h:.0}"))]),
        )
    };
    let turnaround = |s: &SlaSummary| {
        lang.fill(
            "desk.report.turnaround_words",
            &[
                ("median", &hours(s.median_turnaround_hours)),
                ("p90", &hours(s.p90_turnaround_hours)),
            ],
        )
    };
    let on_time = chart(
        "on-time",
        lang.text("desk.report.on_time"),
        lang.text("desk.report.on_time_summary"),
        vec![
            (mode("machine_driven"), rate(&machine), rate_words(&machine)),
            (mode("human_driven"), rate(&human), rate_words(&human)),
        ],
    );
    let turn = chart(
        "turnaround",
        lang.text("desk.report.turnaround"),
        lang.text("desk.report.turnaround_summary"),
        vec![
            (
                mode("machine_driven"),
                machine.median_turnaround_hours.unwrap_or(0.0),
                turnaround(&machine),
            ),
            (
                mode("human_driven"),
                human.median_turnaround_hours.unwrap_or(0.0),
                turnaround(&human),
            ),
        ],
    );
    let step = |key: &str, n: i64| {
        (
            lang.text(&format!("desk.report.{key}")),
            n as f64,
            n.to_string(),
        )
    };
    let funnel_chart = chart(
        "funnel",
        lang.text("desk.report.funnel"),
        lang.text("desk.report.funnel_summary"),
        vec![
            step("inquiries", funnel.inquiries),
            step("submitted", funnel.submitted),
            step("screened_in", funnel.screened_in),
            step("consent_approved", funnel.consent_approved),
            step("delivered", funnel.delivered),
        ],
    );
    let stopped = [
        ("declined_at_screening", funnel.declined_at_screening),
        ("referred_at_screening", funnel.referred_at_screening),
        (
            "rejected_at_consent_review",
            funnel.rejected_at_consent_review,
        ),
        ("cancelled", funnel.cancelled),
        ("withdrawn", funnel.withdrawn),
    ]
    .into_iter()
    .map(|(key, n)| (lang.text(&format!("desk.report.{key}")), n))
    .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let template = ReportsPage {
        page: Page::new(&state, &visitor, "desk.reports_title"),
        from: from_day.format("%Y-%m-%d").to_string(),
        to: to_day.format("%Y-%m-%d").to_string(),
        errors,
        charts: vec![on_time, turn, funnel_chart],
        stopped,
    };
    page::render(&state, &visitor, status, Privacy::Personal, &template)
}
