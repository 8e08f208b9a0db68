//! The SLA sweeper: looks at every order whose next check has come, sets `at_risk` / `overdue`
//! from its stage and promise clocks (`domain::production::Clock`), and when a flag turns on
//! records it (audit) and alerts the studio (outbox) — in one transaction with the flag, so an
//! alert exists exactly when the flag changed.
//!
//! Orders are claimed with leases (`db::sla`), so any number of replicas sweep together without
//! processing an order twice; if a sweeper dies holding a claim, the lease lapses and the next
//! sweep does the work — once, because the flag update is conditional on the flags it read.

use std::time::Duration;

use crate::db::WriteTransaction;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use uuid::Uuid;

use super::every::{Pass, run_every};
use crate::audit::{self, Actor, Target};
use crate::db::{self, orders::OrderRecord, sla::Verdict};
use crate::domain::production::Clock;
use crate::error::{AppError, AppResult};
use crate::outbox::{self, Audience};
use crate::state::AppState;

const BATCH: u64 = 200;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub looked_at: usize,
    pub turned_at_risk: usize,
    pub turned_overdue: usize,
}

impl Pass for Swept {
    fn report(&self) {
        if self.turned_at_risk + self.turned_overdue > 0 {
            tracing::info!(
                at_risk = self.turned_at_risk,
                overdue = self.turned_overdue,
                "SLA sweep"
            );
        }
    }
}

/// This process's name as a lease owner.
pub fn worker_name() -> String {
    format!("sweeper:{}:{}", std::process::id(), Uuid::now_v7())
}

/// Claim and settle every order due for a look at `now`.
pub async fn sweep_once(state: &AppState, worker: &str, now: DateTime<Utc>) -> AppResult<Swept> {
    sweep_until(state, worker, now, || false).await
}

/// [`sweep_once`], stopping between orders once `stopping` says so: the orders claimed and
/// not yet looked at are handed back for another replica to take at once.
pub async fn sweep_until(
    state: &AppState,
    worker: &str,
    now: DateTime<Utc>,
    stopping: impl Fn() -> bool,
) -> AppResult<Swept> {
    let lease =
        chrono::Duration::seconds(i64::try_from(state.settings.sla.lease_secs).unwrap_or(300));
    let mut swept = Swept::default();
    loop {
        let claimed = db::sla::claim(&state.db, worker, now, now + lease, BATCH).await?;
        if claimed.is_empty() {
            return Ok(swept);
        }
        for id in claimed {
            if stopping() {
                db::sla::release_all(&state.db, worker).await?;
                return Ok(swept);
            }
            swept.looked_at += 1;
            let (risk, overdue) = settle_one(state, worker, id, now).await?;
            swept.turned_at_risk += usize::from(risk);
            swept.turned_overdue += usize::from(overdue);
        }
    }
}

/// The order's clocks at `now` (none when its promise is no longer watched).
async fn clock_of(state: &AppState, order: &OrderRecord) -> AppResult<Option<Clock>> {
    let Some(promised_at) = order.promised_at else {
        return Ok(None);
    };
    if !order.status.under_sla(order.resume_status) {
        return Ok(None);
    }
    let stages = db::production::stages_of(&state.db, order.id).await?;
    if stages.is_empty() {
        // Queued: no stage has started; all of the mode's current template is still ahead.
        let template = db::production::current_template(&state.db, order.delivery_mode).await?;
        let later_hours = template.map_or(0, |t| t.stages.iter().map(|s| s.target_hours).sum());
        return Ok(Some(Clock {
            stage_due: None,
            later_hours,
            promised_at,
            held_since: order.production.held_at,
        }));
    }
    let position = order.production.stage_index.unwrap_or(0);
    let open = stages
        .iter()
        .find(|s| s.position == position && s.completed_at.is_none());
    let later_hours = stages
        .iter()
        .filter(|s| s.position > position && s.completed_at.is_none())
        .map(|s| u32::try_from(s.target_hours).unwrap_or(0))
        .sum();
    Ok(Some(Clock {
        stage_due: open.and_then(|s| s.due_at),
        later_hours,
        promised_at,
        held_since: order.production.held_at,
    }))
}

/// Settle one claimed order; returns whether at_risk / overdue turned on.
async fn settle_one(
    state: &AppState,
    worker: &str,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<(bool, bool)> {
    let Some(order) = db::orders::find(&state.db, id).await? else {
        return Ok((false, false));
    };
    let (verdict, clock) = match clock_of(state, &order).await? {
        Some(clock) => {
            let flags = clock.flags(now);
            (
                Verdict {
                    at_risk: flags.at_risk,
                    overdue: flags.overdue,
                    next_check_at: clock.next_check(now),
                },
                Some(clock),
            )
        }
        None => (
            Verdict {
                at_risk: false,
                overdue: false,
                next_check_at: None,
            },
            None,
        ),
    };
    let (was_risk, was_overdue) = (order.production.at_risk, order.production.overdue);
    let turned_risk = verdict.at_risk && !was_risk;
    let turned_overdue = verdict.overdue && !was_overdue;
    let (worker, reference) = (worker.to_owned(), order.reference.clone());
    let stage_due = clock.and_then(|c| c.stage_due);
    let promised_at = order.promised_at;
    state
        .db
        .write_transaction::<_, (bool, bool), AppError>(|txn| {
            Box::pin(async move {
                if !db::sla::settle(txn, id, &worker, was_risk, was_overdue, verdict).await? {
                    return Ok((false, false));
                }
                let actor = Actor::system("sla-sweeper");
                for (turned, kind) in [(turned_risk, "sla.at_risk"), (turned_overdue, "sla.overdue")] {
                    if !turned {
                        continue;
                    }
                    let detail = serde_json::json!({ "stage_due_at": stage_due, "promised_at": promised_at, "checked_at": now });
                    audit::record(txn, &actor, kind, Target::order(id), None, detail.clone()).await?;
                    let payload = serde_json::json!({ "reference": reference, "stage_due_at": stage_due, "promised_at": promised_at });
                    outbox::enqueue(txn, kind, Some(id), Audience::Staff, payload).await?;
                }
                Ok((turned_risk, turned_overdue))
            })
        })
        .await
}

pub async fn run(state: AppState, stop: watch::Receiver<bool>) {
    let worker = worker_name();
    let every = Duration::from_secs(state.settings.sla.sweep_interval_secs.max(1));
    let stopping = stop.clone();
    run_every("sla_sweeper", every, stop, || {
        sweep_until(&state, &worker, db::now(), || *stopping.borrow())
    })
    .await;
    // A pass that failed mid-batch may have left claims: hand them back before the process goes.
    if let Err(err) = db::sla::release_all(&state.db, &worker).await {
        tracing::warn!(error = %err, "the SLA sweeper's claims could not be handed back; they lapse");
    }
}
