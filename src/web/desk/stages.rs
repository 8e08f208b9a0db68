//! `/desk/admin/stages`: the stage templates — for each kind of order, the stages production
//! goes through and the target hours of each (what the stage due times and the at-risk flag
//! are measured against). An admin publishes the next version from the current one: rename,
//! retime, add a stage in the spare rows, or drop one by clearing its name. Orders already in
//! production keep the version they started with; the page says so.
//!
//! The same service as `POST /api/v1/stage-templates`. The page checks the rows with the
//! domain's own rule first, so a fault is said in the page's language next to its row.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::Studio;
use crate::accounts;
use crate::db::production::Template as StageTemplate;
use crate::domain::order::DeliveryMode;
use crate::domain::production::{self, MAX_STAGES, StageSpec, TemplateFault};
use crate::problem::Code;
use crate::production as service;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page::{self, Page, Privacy};

/// Blank rows offered after a template's stages, for adding one.
const SPARE_ROWS: usize = 2;

/// One row of a template's form: the stage's name and its target hours, as shown or posted.
struct Row {
    name: String,
    hours: String,
    /// The stage in words, when the catalog knows the name.
    words: String,
}

/// One kind of order's current template and the form for its next version.
struct ModeTemplate {
    mode: &'static str,
    title: String,
    /// "Version 2, published …" (or "not published yet").
    current: String,
    /// "120 hours (5 days); the promise to the family is 7 days".
    total: String,
    rows: Vec<Row>,
    /// "Publish version 3".
    publish: String,
}

#[derive(Template)]
#[template(path = "desk/stages.html")]
struct StagesPage {
    page: Page,
    modes: Vec<ModeTemplate>,
    errors: FormErrors,
}

/// `GET /desk/admin/stages`.
pub async fn show(State(state): State<AppState>, studio: Studio) -> Response {
    render(&state, &studio, None, FormErrors::default(), StatusCode::OK).await
}

/// A form as posted: the mode, then `name`/`hours` pairs in the order of the rows.
#[derive(Default)]
struct Posted {
    csrf: String,
    mode: String,
    names: Vec<String>,
    hours: Vec<String>,
}

impl Posted {
    fn parse(body: &[u8]) -> Self {
        let mut posted = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf" => posted.csrf = value,
                "mode" => posted.mode = value,
                "name" => posted.names.push(value),
                "hours" => posted.hours.push(value),
                _ => {}
            }
        }
        posted
    }

    /// The rows as typed (for showing again), and the stages they make: a row with neither a
    /// name nor hours is a spare one left blank; an hours figure that is not a whole number
    /// is a fault of that row.
    fn stages(&self) -> Result<Vec<StageSpec>, TemplateFault> {
        let mut stages = Vec::new();
        for (i, name) in self.names.iter().enumerate() {
            let hours = self.hours.get(i).map_or("", |h| h.trim());
            let name = name.trim();
            if name.is_empty() && hours.is_empty() {
                continue;
            }
            let target_hours = hours
                .parse::<u32>()
                .map_err(|_| TemplateFault::Hours(stages.len() + 1))?;
            stages.push(StageSpec {
                name: name.to_owned(),
                target_hours,
            });
        }
        Ok(stages)
    }
}

/// `POST /desk/admin/stages`: publish the next version of one mode's template.
pub async fn publish(
    State(state): State<AppState>,
    studio: Studio,
    body: axum::body::Bytes,
) -> Response {
    let posted = Posted::parse(&body);
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&posted.csrf) {
        let errors = FormErrors::expired(lang);
        return render(
            &state,
            &studio,
            Some(&posted),
            errors,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let Some(mode) = DeliveryMode::parse(&posted.mode) else {
        let errors = FormErrors::whole(lang.t("desk.error.template_mode"));
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, &studio, Some(&posted), errors, status).await;
    };
    let checked = posted
        .stages()
        .and_then(|stages| production::validate_template(&stages).map(|()| stages));
    let stages = match checked {
        Ok(stages) => stages,
        Err(fault) => {
            let mut errors = FormErrors::default();
            errors.add(mode.as_str(), fault_words(lang, fault));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&state, &studio, Some(&posted), errors, status).await;
        }
    };
    match service::publish_template(&state.db, &studio.actor, mode, stages).await {
        Ok(_) => page::see_other(&format!("/desk/admin/stages#{}", mode.as_str())),
        Err(err) if err.status().is_client_error() => {
            let fields = [
                (Code::InvalidTemplate, mode.as_str()),
                (Code::VersionTaken, mode.as_str()),
            ];
            let errors = FormErrors::from_refusal(lang, &err, &fields);
            render(&state, &studio, Some(&posted), errors, err.status()).await
        }
        Err(err) => page::failure(&state, &studio.visitor, err),
    }
}

async fn render(
    state: &AppState,
    Studio { visitor, actor }: &Studio,
    posted: Option<&Posted>,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let loaded = async {
        accounts::require_admin(&state.db, actor).await?;
        service::templates(&state.db, actor).await
    };
    let templates = match loaded.await {
        Ok(templates) => templates,
        Err(err) => return page::failure(state, visitor, err),
    };
    let modes = DeliveryMode::ALL
        .iter()
        .map(|mode| {
            let current = templates.iter().find(|t| t.delivery_mode == *mode);
            let typed = posted.filter(|p| p.mode == mode.as_str());
            mode_template(state, visitor.lang, *mode, current, typed)
        })
        .collect();
    let template = StagesPage {
        page: Page::new(state, visitor, "desk.stages_title"),
        modes,
        errors,
    };
    page::render(state, visitor, status, Privacy::Personal, &template)
}

/// One mode's section: its newest version (templates come newest first per mode), and the
/// form's rows — as posted when this form was just refused, else the current stages.
fn mode_template(
    state: &AppState,
    lang: Lang,
    mode: DeliveryMode,
    current: Option<&StageTemplate>,
    typed: Option<&Posted>,
) -> ModeTemplate {
    let zone = state.settings.studio.zone();
    let sla = match mode {
        DeliveryMode::MachineDriven => state.settings.sla.machine_driven,
        DeliveryMode::HumanDriven => state.settings.sla.human_driven,
    };
    let stages: &[StageSpec] = current.map_or(&[], |t| &t.stages);
    let hours: u32 = stages.iter().map(|s| s.target_hours).sum();
    let mut rows: Vec<Row> = match typed {
        Some(posted) => posted
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| row(lang, name, posted.hours.get(i).map_or("", String::as_str)))
            .collect(),
        None => stages
            .iter()
            .map(|s| row(lang, &s.name, &s.target_hours.to_string()))
            .collect(),
    };
    let blanks = rows.iter().filter(|r| r.name.trim().is_empty()).count();
    let room = MAX_STAGES.saturating_sub(rows.len());
    rows.extend((0..SPARE_ROWS.saturating_sub(blanks).min(room)).map(|_| row(lang, "", "")));
    ModeTemplate {
        mode: mode.as_str(),
        title: lang.text(&format!("mode.{}", mode.as_str())),
        current: match current {
            Some(t) => lang.fill(
                "desk.template_version",
                &[
                    ("version", &t.version.to_string()),
                    ("at", &lang.datetime(t.published_at, zone)),
                ],
            ),
            None => lang.text("desk.template_none"),
        },
        total: lang.fill(
            "desk.template_total",
            &[
                ("hours", &hours.to_string()),
                ("days", &format!("{:.1}", f64::from(hours) / 24.0)),
                ("target", &sla.target_days.to_string()),
                ("promise", &sla.promise_days.to_string()),
            ],
        ),
        rows,
        publish: lang.fill(
            "desk.publish_version",
            &[("version", &current.map_or(1, |t| t.version + 1).to_string())],
        ),
    }
}

fn row(lang: Lang, name: &str, hours: &str) -> Row {
    Row {
        words: lang
            .lookup(&format!("stage.{}", name.trim()))
            .unwrap_or_default()
            .to_owned(),
        name: name.to_owned(),
        hours: hours.to_owned(),
    }
}

fn fault_words(lang: Lang, fault: TemplateFault) -> String {
    let (key, n) = match fault {
        TemplateFault::StageCount => {
            return lang.fill(
                "desk.template_fault.count",
                &[("max", &MAX_STAGES.to_string())],
            );
        }
        TemplateFault::Name(n) => ("desk.template_fault.name", n),
        TemplateFault::Repeated(n) => ("desk.template_fault.repeated", n),
        TemplateFault::Hours(n) => ("desk.template_fault.hours", n),
    };
    lang.fill(key, &[("n", &n.to_string())])
}
