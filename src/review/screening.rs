//! Screening: what a reviewer screens (the intake, the time since death, the sample
//! sufficiency report and the risk flags the system raises itself), the one fact the studio
//! records by hand (a public figure), and the screening decision: `proceed` → consent review,
//! `decline` → declined, `refer` → on hold (counselling suggested; staff resume it to
//! screening), `needs_info` → needs info (back to screening when the customer resubmits).

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::decision::{self, Decision};
use crate::actor::Actor;
use crate::audit::Target;
use crate::db::{self, orders::OrderRecord};
use crate::domain::order::{ScreeningDecision, after_screening};
use crate::domain::risk::{self, RiskFlag};
use crate::domain::sample::SampleKind;
use crate::domain::sufficiency::SufficiencyReport;
use crate::error::{AppError, AppResult, Code};
use crate::orders;
use crate::state::AppState;

/// The screening view of an order.
pub struct ScreeningReport {
    /// Days between the death and today (none for a living subject).
    pub days_since_death: Option<i64>,
    pub risk_flags: Vec<RiskFlag>,
    pub sufficiency: SufficiencyReport,
}

/// The screening is the studio's assessment, not a customer view.
const STUDIO_ONLY: &str = "the screening report is for the studio";

/// Order `id` with its screening report (staff, reviewers, admins).
pub async fn screening_of(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(OrderRecord, ScreeningReport)> {
    let order = orders::load(&state.db, actor, id).await?;
    orders::require_studio(&state.db, actor, Target::order(id), STUDIO_ONLY).await?;
    let report = report(state, &order).await?;
    Ok((order, report))
}

/// The screening report of `order` (the caller has already checked who may see it).
pub async fn report(state: &AppState, order: &OrderRecord) -> AppResult<ScreeningReport> {
    let today = chrono::Utc::now().date_naive();
    let documents =
        db::samples::count_verified_of_kind(&state.db, order.id, SampleKind::Document).await?;
    let sufficiency = orders::sufficiency(state, order).await?;
    let consents = crate::consents::status_of(&state.db, order).await?;
    let findings = risk::Findings {
        public_figure: order.public_figure,
        verified_documents: documents,
        subject_refused: consents.blocked.is_some(),
    };
    Ok(ScreeningReport {
        days_since_death: order
            .subject
            .death_date
            .map(|death| (today - death).num_days()),
        risk_flags: risk::flags(&order.subject, findings, today),
        sufficiency,
    })
}

/// Record whether the subject is a public figure (the studio; from version `expected`).
pub async fn mark_public_figure(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    public_figure: bool,
) -> AppResult<OrderRecord> {
    let order = orders::load(db, actor, id).await?;
    orders::require_studio(db, actor, Target::order(id), STUDIO_ONLY).await?;
    orders::check_version(&order, expected)?;
    let mut change = order.unchanged(db::now());
    change.public_figure = public_figure;
    let detail = serde_json::json!({ "public_figure": public_figure });
    orders::apply(
        db,
        actor,
        &order,
        expected,
        change,
        "order.public_figure_set",
        detail,
    )
    .await
}

/// A reviewer's screening decision.
pub struct ScreeningDecisionCommand {
    pub decision: ScreeningDecision,
    /// Required for `decline`, `refer` and `needs_info`.
    pub reason: Option<String>,
    /// Required to `proceed` when the sufficiency report fails: why the samples suffice anyway.
    pub sufficiency_override_reason: Option<String>,
}

/// Decide order `id`'s screening, from version `expected` (a documented refusal by the
/// subject never proceeds; failing samples proceed only with an override reason).
pub async fn decide_screening(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    command: ScreeningDecisionCommand,
) -> AppResult<OrderRecord> {
    let proceed = command.decision == ScreeningDecision::Proceed;
    let name = command.decision.as_str();
    let reason = command.reason.as_deref();
    let opened = decision::open(
        &state.db,
        actor,
        id,
        expected,
        decision::Asked {
            name,
            lets_it_go_on: proceed,
            reason,
        },
        |from| after_screening(from, command.decision),
    )
    .await?;
    let (order, mut change) = (opened.order, opened.change);
    let screened = report(state, &order).await?;
    if proceed && screened.risk_flags.contains(&RiskFlag::SubjectRefused) {
        return Err(AppError::conflict(
            Code::SubjectRefused,
            "the subject's documented wishes refuse a likeness: the order cannot proceed",
        ));
    }
    let override_reason = if proceed && !screened.sufficiency.passed {
        let given = command.sufficiency_override_reason.as_deref();
        Some(override_reason(given, &screened.sufficiency)?)
    } else {
        None
    };
    change.hold_reason = (command.decision == ScreeningDecision::Refer)
        .then(|| "referred: counselling suggested".to_owned());
    let decision = Decision {
        kind: "screening.decided",
        content: serde_json::json!({
            "decision": command.decision,
            "reviewer_id": actor.id,
            "from": order.status,
            "to": opened.step.to,
            "sufficiency_passed": screened.sufficiency.passed,
            "sufficiency_overridden": override_reason.is_some(),
            "risk_flags": screened.risk_flags,
        }),
        personal: (opened.reason.is_some() || override_reason.is_some()).then(|| {
            serde_json::json!({
                "reason": opened.reason,
                "sufficiency_override_reason": override_reason,
            })
        }),
    };
    let (updated, _) =
        decision::commit(&state.db, actor, &order, expected, change, decision).await?;
    Ok(updated)
}

/// Proceeding past a failed sufficiency report needs a reason (409 `sufficiency_not_met`).
fn override_reason(given: Option<&str>, sufficiency: &SufficiencyReport) -> AppResult<String> {
    orders::required_text(
        given,
        "sufficiency_override_reason",
        "proceeding with samples that fail the sufficiency report",
    )
    .map_err(|_| {
        AppError::conflict(
            Code::SufficiencyNotMet,
            format!(
                "the samples do not pass the sufficiency report ({}); give \
                 `sufficiency_override_reason` to proceed anyway",
                sufficiency.summary
            ),
        )
    })
}
