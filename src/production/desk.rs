//! The board as the studio's desk page shows it: one column per step an order waits in —
//! screening (submitted or being screened), consent review, queued, each production stage of
//! the current templates, quality check — each with how many orders are in it and the first
//! cards, filtered the same way for every column; one column can be paged through on its own
//! (keyset: by id before approval, by promise after).
//!
//! Orders before approval have no promise, assignee or SLA flags, so filters on those leave
//! the two review columns out rather than showing them wrongly empty.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::Target;
use crate::db::{self, board::BoardFilter, orders::OrderRecord};
use crate::domain::order::{DeliveryMode, OrderStatus};
use crate::error::AppResult;
use crate::orders;

const SCREENING: [OrderStatus; 2] = [OrderStatus::Submitted, OrderStatus::Screening];
const CONSENT_REVIEW: [OrderStatus; 1] = [OrderStatus::ConsentReview];

/// A column of the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKey {
    Screening,
    ConsentReview,
    Queued,
    /// A production stage, by its template name (held orders stay in their stage).
    Stage(String),
    QualityCheck,
}

impl ColumnKey {
    /// Its name in a URL and in the catalogs (`stage:<name>` for a stage).
    pub fn param(&self) -> String {
        match self {
            Self::Screening => "screening".into(),
            Self::ConsentReview => "consent_review".into(),
            Self::Queued => "queued".into(),
            Self::Stage(name) => format!("stage:{name}"),
            Self::QualityCheck => "quality_check".into(),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "screening" => Self::Screening,
            "consent_review" => Self::ConsentReview,
            "queued" => Self::Queued,
            "quality_check" => Self::QualityCheck,
            other => {
                let name = other.strip_prefix("stage:")?;
                let well_formed = (1..=40).contains(&name.len())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !well_formed {
                    return None;
                }
                Self::Stage(name.to_owned())
            }
        })
    }

    /// Whether its orders were approved (have a promise, and can be filtered by SLA).
    fn approved(&self) -> bool {
        !matches!(self, Self::Screening | Self::ConsentReview)
    }
}

/// Where a column's next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// Before approval: the last card's id.
    Id(Uuid),
    /// After approval: the last card's promise and id.
    Promise(DateTime<Utc>, Uuid),
}

/// What the desk is asked for: filters for every column, or one column from a cursor.
#[derive(Debug, Clone, Default)]
pub struct DeskQuery {
    pub mode: Option<DeliveryMode>,
    pub assignee: Option<Uuid>,
    pub due_before: Option<DateTime<Utc>>,
    pub at_risk: bool,
    pub overdue: bool,
    /// Only this column (paged).
    pub column: Option<ColumnKey>,
    pub after: Option<Cursor>,
}

impl DeskQuery {
    /// Whether a filter only approved orders can meet is set.
    fn filters_approved_only(&self) -> bool {
        self.assignee.is_some() || self.due_before.is_some() || self.at_risk || self.overdue
    }
}

pub struct DeskColumn {
    pub key: ColumnKey,
    /// Every order in this step (not only those the filters let through).
    pub count: i64,
    pub cards: Vec<OrderRecord>,
    /// Set when more cards follow.
    pub next: Option<Cursor>,
}

/// The desk's columns, each with at most `per_column` cards (the studio only).
pub async fn desk(
    db: &DatabaseConnection,
    actor: &Actor,
    query: &DeskQuery,
    per_column: u64,
) -> AppResult<Vec<DeskColumn>> {
    orders::require_studio(
        db,
        actor,
        Target::user(actor.id),
        "the board is the studio's",
    )
    .await?;
    let keys = match &query.column {
        Some(key) => vec![key.clone()],
        None => columns(db, query.mode).await?,
    };
    let counts = counts(db).await?;
    let mut out = Vec::new();
    for key in keys {
        if !key.approved() && query.filters_approved_only() {
            continue;
        }
        let mut cards = cards(db, &key, query, per_column + 1).await?;
        let next = if cards.len() as u64 > per_column {
            cards.truncate(per_column as usize);
            cards.last().map(|last| cursor(&key, last))
        } else {
            None
        };
        let count = counts
            .iter()
            .find(|(k, _)| *k == key.param())
            .map_or(0, |(_, n)| *n);
        out.push(DeskColumn {
            key,
            count,
            cards,
            next,
        });
    }
    Ok(out)
}

/// Every column in order: the review steps, queued, the stages of the current templates
/// (one mode's, or both modes' with shared names once), quality check.
async fn columns(db: &DatabaseConnection, mode: Option<DeliveryMode>) -> AppResult<Vec<ColumnKey>> {
    let mut keys = vec![
        ColumnKey::Screening,
        ColumnKey::ConsentReview,
        ColumnKey::Queued,
    ];
    let modes: Vec<DeliveryMode> = match mode {
        Some(mode) => vec![mode],
        None => DeliveryMode::ALL.to_vec(),
    };
    for mode in modes {
        let Some(template) = db::production::current_template(db, mode).await? else {
            continue;
        };
        for stage in template.stages {
            let key = ColumnKey::Stage(stage.name);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys.push(ColumnKey::QualityCheck);
    Ok(keys)
}

/// How many orders each column holds, by its URL name (paused orders counted where they
/// will return; a held production order stays in its stage).
async fn counts(db: &DatabaseConnection) -> AppResult<Vec<(String, i64)>> {
    let steps = [
        OrderStatus::Submitted,
        OrderStatus::Screening,
        OrderStatus::ConsentReview,
        OrderStatus::Queued,
        OrderStatus::QualityCheck,
    ];
    let mut at = db::board::count_statuses(db, &steps).await?;
    at.extend(db::board::count_paused(db).await?);
    let n = |s: OrderStatus| {
        at.iter()
            .filter(|(k, _)| k == s.as_str())
            .map(|(_, n)| n)
            .sum::<i64>()
    };
    let mut out = vec![
        (
            ColumnKey::Screening.param(),
            n(OrderStatus::Submitted) + n(OrderStatus::Screening),
        ),
        (
            ColumnKey::ConsentReview.param(),
            n(OrderStatus::ConsentReview),
        ),
        (ColumnKey::Queued.param(), n(OrderStatus::Queued)),
        (
            ColumnKey::QualityCheck.param(),
            n(OrderStatus::QualityCheck),
        ),
    ];
    out.extend(
        db::board::counts(db)
            .await?
            .by_stage
            .into_iter()
            .map(|(stage, n)| (ColumnKey::Stage(stage).param(), n)),
    );
    Ok(out)
}

async fn cards(
    db: &DatabaseConnection,
    key: &ColumnKey,
    query: &DeskQuery,
    fetch: u64,
) -> AppResult<Vec<OrderRecord>> {
    let after_id = match query.after {
        Some(Cursor::Id(id)) if query.column.as_ref() == Some(key) => Some(id),
        _ => None,
    };
    let waiting = |statuses: &'static [OrderStatus]| {
        db::board::waiting(db, statuses, query.mode, after_id, fetch)
    };
    let filter = |step: Option<OrderStatus>, stage: Option<String>| BoardFilter {
        step,
        mode: query.mode,
        stage,
        assignee: query.assignee,
        due_before: query.due_before,
        at_risk: query.at_risk.then_some(true),
        overdue: query.overdue.then_some(true),
        after: match query.after {
            Some(Cursor::Promise(at, id)) if query.column.as_ref() == Some(key) => Some((at, id)),
            _ => None,
        },
    };
    Ok(match key {
        ColumnKey::Screening => waiting(&SCREENING).await?,
        ColumnKey::ConsentReview => waiting(&CONSENT_REVIEW).await?,
        ColumnKey::Queued => {
            db::board::page(db, &filter(Some(OrderStatus::Queued), None), fetch).await?
        }
        ColumnKey::Stage(name) => {
            db::board::page(db, &filter(None, Some(name.clone())), fetch).await?
        }
        ColumnKey::QualityCheck => {
            db::board::page(db, &filter(Some(OrderStatus::QualityCheck), None), fetch).await?
        }
    })
}

fn cursor(key: &ColumnKey, last: &OrderRecord) -> Cursor {
    match (key.approved(), last.promised_at) {
        (true, Some(at)) => Cursor::Promise(at, last.id),
        _ => Cursor::Id(last.id),
    }
}

/// The staff the board can be filtered by, and cards name (id and email; the studio only).
pub async fn staff(db: &DatabaseConnection, actor: &Actor) -> AppResult<Vec<(Uuid, String)>> {
    orders::require_studio(
        db,
        actor,
        Target::user(actor.id),
        "the board is the studio's",
    )
    .await?;
    Ok(db::users::holding(db, crate::domain::account::Role::Staff, 500).await?)
}

/// Everyone at the studio (staff, reviewers, admins; id and email), to name who did what.
pub async fn studio_people(
    db: &DatabaseConnection,
    actor: &Actor,
) -> AppResult<Vec<(Uuid, String)>> {
    use crate::domain::account::Role;
    orders::require_studio(
        db,
        actor,
        Target::user(actor.id),
        "the board is the studio's",
    )
    .await?;
    let mut people = Vec::new();
    for role in [Role::Staff, Role::Reviewer, Role::Admin] {
        for person in db::users::holding(db, role, 500).await? {
            if !people.contains(&person) {
                people.push(person);
            }
        }
    }
    Ok(people)
}
