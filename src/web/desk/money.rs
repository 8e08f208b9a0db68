//! The workbench's money panel: the order's ledger (every quote, deposit, payment and refund
//! with who recorded it and their note) and its totals, and the money desk's form to record
//! one more entry. Amounts are typed as the family would say them — `8800` or `8800.50` — and
//! kept in minor units. The same service as `POST /api/v1/payments` (its rules: a refund
//! never exceeds what was paid, one currency per order); a form carries a one-time key, so a
//! double click records once.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::FixedOffset;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Studio;
use crate::domain::money::EntryKind;
use crate::idempotency::{self, Once};
use crate::payments::{self, Ledger, RecordPayment};
use crate::problem::Code;
use crate::state::AppState;
use crate::web::forms::FormErrors;
use crate::web::i18n::Lang;
use crate::web::page;

/// One ledger entry in words.
pub struct Entry {
    pub at: String,
    pub text: String,
}

/// The workbench's money panel.
pub struct MoneyPanel {
    /// (label, amount): quoted, received, refunded, still due — once anything is recorded.
    pub totals: Vec<(String, String)>,
    pub entries: Vec<Entry>,
    /// The kinds of entry the form offers: (value, words).
    pub kinds: Vec<(&'static str, String)>,
    /// The order's currency once it has one (the form's default otherwise: CNY).
    pub currency: String,
    /// The record form's one-time key.
    pub once: Uuid,
}

/// The panel for one order's ledger.
pub fn panel(
    ledger: &Ledger,
    names: &HashMap<Uuid, String>,
    lang: Lang,
    zone: FixedOffset,
) -> MoneyPanel {
    let totals = match &ledger.summary.currency {
        Some(currency) => {
            let (code, t) = (currency.as_str(), &ledger.summary.totals);
            vec![
                (lang.text("order.quoted"), lang.money(t.quoted, code)),
                (lang.text("order.paid"), lang.money(t.paid, code)),
                (
                    lang.text("desk.money.refunded"),
                    lang.money(t.refunded, code),
                ),
                (lang.text("order.balance"), lang.money(t.balance_due, code)),
            ]
        }
        None => Vec::new(),
    };
    let entries = ledger
        .entries
        .iter()
        .map(|e| {
            let by = names
                .get(&e.recorded_by)
                .cloned()
                .unwrap_or_else(|| lang.text("desk.someone"));
            let mut text = lang.fill(
                &format!("money.{}", e.kind.as_str()),
                &[("amount", &lang.money(e.amount_minor, &e.currency))],
            );
            if let Some(note) = e.note.as_ref().filter(|n| !n.trim().is_empty()) {
                text.push_str(" — ");
                text.push_str(note);
            }
            Entry {
                at: format!("{} · {by}", lang.datetime(e.recorded_at, zone)),
                text,
            }
        })
        .collect();
    MoneyPanel {
        totals,
        entries,
        kinds: EntryKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    lang.text(&format!("desk.money.kind.{}", k.as_str())),
                )
            })
            .collect(),
        currency: ledger
            .summary
            .currency
            .as_ref()
            .map_or_else(|| "CNY".to_owned(), |c| c.as_str().to_owned()),
        once: Uuid::new_v4(),
    }
}

/// The record form as posted.
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct RecordForm {
    #[serde(skip_serializing)]
    csrf: String,
    once: String,
    kind: String,
    amount: String,
    currency: String,
    note: String,
}

/// `POST /desk/orders/{id}/payments`: record a quote, deposit, payment or refund.
pub async fn record(
    State(state): State<AppState>,
    studio: Studio,
    Path(id): Path<Uuid>,
    Form(form): Form<RecordForm>,
) -> Response {
    let lang = studio.visitor.lang;
    if !studio.visitor.form_token_matches(&form.csrf) {
        let errors = FormErrors::expired(lang);
        return super::workbench::again(&state, &studio, id, errors, StatusCode::FORBIDDEN).await;
    }
    let mut errors = FormErrors::default();
    let kind = EntryKind::parse(&form.kind);
    if kind.is_none() {
        errors.add("payment_kind", lang.t("desk.error.payment_kind"));
    }
    let amount = minor_units(&form.amount);
    if amount.is_none() {
        errors.add("payment_amount", lang.t("desk.error.payment_amount"));
    }
    let (Some(kind), Some(amount_minor), true) = (kind, amount, errors.is_empty()) else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return super::workbench::again(&state, &studio, id, errors, status).await;
    };
    let command = RecordPayment {
        order_id: id,
        kind,
        amount_minor,
        currency: form.currency.trim().to_uppercase(),
        note: Some(form.note.trim().to_owned()).filter(|n| !n.is_empty()),
        iteration_id: None,
    };
    let fields = [
        (Code::InvalidAmount, "payment_amount"),
        (Code::InvalidCurrency, "payment_currency"),
        (Code::InvalidNote, "payment_note"),
    ];
    let prepared = match payments::prepare(&state.db, &studio.actor, command).await {
        Ok(prepared) => prepared,
        Err(err) => return super::workbench::refused(&state, &studio, id, err, &fields).await,
    };
    let owner = studio.actor.id.to_string();
    let key = format!("page:payment:{}", form.once);
    let actor = studio.actor.clone();
    let recorded = idempotency::create_once(&state, &owner, &key, &(id, &form), move |txn| {
        Box::pin(async move {
            let row = payments::store(txn, &actor, prepared).await?;
            Ok((row.id, serde_json::json!({ "id": row.id })))
        })
    })
    .await;
    match recorded {
        Ok(Once::Created(_) | Once::Replayed { .. }) => {
            page::see_other(&format!("/desk/orders/{id}#money-heading"))
        }
        Err(err) => super::workbench::refused(&state, &studio, id, err, &fields).await,
    }
}

/// `8800`, `8,800`, `8800.5` or `8800.50` as minor units (fen); `None` for anything else,
/// zero or a negative amount included.
fn minor_units(text: &str) -> Option<i64> {
    let text: String = text.trim().chars().filter(|c| *c != ',').collect();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(fraction.is_empty() || digits(fraction) && fraction.len() <= 2) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    let amount = whole.checked_mul(100)?.checked_add(cents)?;
    (amount > 0).then_some(amount)
}

#[cfg(test)]
mod tests {
    use super::minor_units;

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(minor_units("8800"), Some(880_000));
        assert_eq!(minor_units(" 8,800.5 "), Some(880_050));
        assert_eq!(minor_units("0.01"), Some(1));
        assert_eq!(minor_units("0"), None);
        assert_eq!(minor_units("-5"), None);
        assert_eq!(minor_units("1.234"), None);
        assert_eq!(minor_units("12."), Some(1200));
        assert_eq!(minor_units(".5"), None);
        assert_eq!(minor_units("abc"), None);
        assert_eq!(minor_units("99999999999999999999"), None);
    }
}
