//! Money (PRODUCT.md, "Money"): the rules for an order's quotes, deposits, payments and refunds,
//! and the totals derived from them. Amounts are integers in minor units (fen for CNY) with an
//! ISO 4217 code; no float ever touches money.
//!
//! An order's ledger is a list of entries that are never edited; everything else is derived
//! from it when read ([`summarize`]), so there is no stored balance to drift from its entries.
//! [`check`] decides whether one more entry may join the ledger:
//! - the order's currency is its first quote's; an entry in another currency is refused;
//! - money is received (deposit, payment) only against a quote, and never beyond the quoted
//!   total (an overpayment is refused rather than shown as credit, so the balance due never goes
//!   below zero — a studio that was overpaid records the refund it gives back);
//! - a refund never exceeds what was paid (deposits + payments − earlier refunds);
//! - a stopped order (cancelled, declined, withdrawn) takes refunds only.

use crate::problem::Code;
use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::order::{OrderStatus, string_enum};

string_enum!(
    /// What a ledger entry records.
    EntryKind {
        Quote => "quote",
        Deposit => "deposit",
        Payment => "payment",
        Refund => "refund",
    }
);

impl EntryKind {
    /// Money received from the customer.
    pub fn receives(self) -> bool {
        matches!(self, Self::Deposit | Self::Payment)
    }
}

/// The largest single amount accepted: 10 million in major units (10⁹ minor units). Far above
/// any memorial order, and small enough that no sum of entries comes near `i64::MAX`.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000;

/// An ISO 4217 alphabetic code: three uppercase ASCII letters (`CNY`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(String);

impl Currency {
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()))
            .then(|| Self(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A positive amount no larger than [`MAX_AMOUNT_MINOR`].
pub fn valid_amount(amount_minor: i64) -> bool {
    (1..=MAX_AMOUNT_MINOR).contains(&amount_minor)
}

/// One ledger entry as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    pub amount_minor: i64,
    pub currency: Currency,
    pub iteration_id: Option<Uuid>,
}

/// Totals of one part of the ledger (the whole order, or one iteration).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Totals {
    /// Sum of the quotes.
    pub quoted: i64,
    /// Deposits + payments − refunds.
    pub paid: i64,
    /// Sum of the refunds.
    pub refunded: i64,
    /// quoted − paid.
    pub balance_due: i64,
}

impl Totals {
    fn add(&mut self, entry: &Entry) {
        let amount = entry.amount_minor;
        match entry.kind {
            EntryKind::Quote => self.quoted = self.quoted.saturating_add(amount),
            EntryKind::Deposit | EntryKind::Payment => self.paid = self.paid.saturating_add(amount),
            EntryKind::Refund => {
                self.paid = self.paid.saturating_sub(amount);
                self.refunded = self.refunded.saturating_add(amount);
            }
        }
        self.balance_due = self.quoted.saturating_sub(self.paid);
    }
}

/// What the ledger adds up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The first quote's currency; `None` before any quote.
    pub currency: Option<Currency>,
    pub totals: Totals,
    /// Per iteration named by an entry, in id order.
    pub iterations: BTreeMap<Uuid, Totals>,
}

pub fn summarize(entries: &[Entry]) -> Summary {
    let mut summary = Summary {
        currency: entries
            .iter()
            .find(|e| e.kind == EntryKind::Quote)
            .map(|e| e.currency.clone()),
        ..Summary::default()
    };
    for entry in entries {
        summary.totals.add(entry);
        if let Some(iteration) = entry.iteration_id {
            summary.iterations.entry(iteration).or_default().add(entry);
        }
    }
    summary
}

/// Why an entry was refused: a stable code, the HTTP status class it maps to, and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    /// `true`: the request itself is wrong (422); `false`: the ledger's state refuses it (409).
    pub invalid_input: bool,
    pub reason: String,
}

fn conflict(code: Code, reason: String) -> Refusal {
    Refusal {
        code,
        invalid_input: false,
        reason,
    }
}

/// Would `new` be a valid next entry of a ledger holding `entries`, on an order in `status`?
pub fn check(entries: &[Entry], new: &Entry, status: OrderStatus) -> Result<(), Refusal> {
    if !valid_amount(new.amount_minor) {
        return Err(Refusal {
            code: Code::InvalidAmount,
            invalid_input: true,
            reason: format!(
                "an amount is a whole number of minor units from 1 to {MAX_AMOUNT_MINOR}"
            ),
        });
    }
    let stopped = matches!(
        status,
        OrderStatus::Cancelled | OrderStatus::Declined | OrderStatus::Withdrawn
    );
    if stopped && new.kind != EntryKind::Refund {
        return Err(conflict(
            Code::OrderStopped,
            format!("the order is {status}: only refunds may be recorded"),
        ));
    }
    let summary = summarize(entries);
    if let Some(currency) = &summary.currency
        && *currency != new.currency
    {
        return Err(Refusal {
            code: Code::CurrencyMismatch,
            invalid_input: true,
            reason: format!(
                "this order is in {}; record every entry in {}",
                currency.as_str(),
                currency.as_str()
            ),
        });
    }
    let totals = summary.totals;
    match new.kind {
        EntryKind::Quote => Ok(()),
        kind if kind.receives() => {
            if summary.currency.is_none() {
                return Err(conflict(
                    Code::NoQuote,
                    "record a quote before taking money for the order".into(),
                ));
            }
            if totals.paid.saturating_add(new.amount_minor) > totals.quoted {
                return Err(conflict(
                    Code::Overpayment,
                    format!(
                        "this would pay more than was quoted: {} is due",
                        totals.balance_due
                    ),
                ));
            }
            Ok(())
        }
        _ => {
            if new.amount_minor > totals.paid {
                return Err(conflict(
                    Code::RefundExceedsPaid,
                    format!(
                        "at most {} can be refunded: that is what was paid",
                        totals.paid.max(0)
                    ),
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(kind: EntryKind, amount_minor: i64) -> Entry {
        Entry {
            kind,
            amount_minor,
            currency: Currency::parse("CNY").unwrap(),
            iteration_id: None,
        }
    }

    fn refused(entries: &[Entry], new: &Entry, status: OrderStatus) -> &'static str {
        check(entries, new, status).unwrap_err().code.as_str()
    }

    const OPEN: OrderStatus = OrderStatus::InProduction;

    #[test]
    fn currency_codes_are_three_uppercase_letters() {
        assert!(Currency::parse("CNY").is_some() && Currency::parse("USD").is_some());
        for bad in ["cny", "CN", "CNYY", "C1Y", "", "ＣＮＹ"] {
            assert!(Currency::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_balance_is_derived_from_the_entries() {
        use EntryKind::*;
        let ledger = [
            cny(Quote, 800_000),
            cny(Quote, 50_000),
            cny(Deposit, 300_000),
            cny(Payment, 400_000),
            cny(Refund, 20_000),
        ];
        let s = summarize(&ledger);
        assert_eq!(s.currency.as_ref().map(Currency::as_str), Some("CNY"));
        assert_eq!(
            s.totals,
            Totals {
                quoted: 850_000,
                paid: 680_000,
                refunded: 20_000,
                balance_due: 170_000
            }
        );
        assert_eq!(summarize(&[]), Summary::default());
    }

    #[test]
    fn iterations_get_their_own_subtotals() {
        let iteration = Uuid::from_u128(7);
        let mut quote = cny(EntryKind::Quote, 100_000);
        quote.iteration_id = Some(iteration);
        let mut paid = cny(EntryKind::Payment, 40_000);
        paid.iteration_id = Some(iteration);
        let s = summarize(&[cny(EntryKind::Quote, 500_000), quote, paid]);
        assert_eq!(s.totals.quoted, 600_000);
        assert_eq!(s.iterations.len(), 1);
        assert_eq!(
            s.iterations[&iteration],
            Totals {
                quoted: 100_000,
                paid: 40_000,
                refunded: 0,
                balance_due: 60_000
            }
        );
    }

    #[test]
    fn amounts_are_positive_and_bounded() {
        for amount in [0, -1, MAX_AMOUNT_MINOR + 1, i64::MAX] {
            let r = check(&[], &cny(EntryKind::Quote, amount), OPEN).unwrap_err();
            assert_eq!(
                (r.code.as_str(), r.invalid_input),
                ("invalid_amount", true),
                "{amount}"
            );
        }
        assert!(check(&[], &cny(EntryKind::Quote, MAX_AMOUNT_MINOR), OPEN).is_ok());
    }

    #[test]
    fn money_comes_in_only_against_a_quote_and_never_beyond_it() {
        use EntryKind::*;
        assert_eq!(refused(&[], &cny(Deposit, 1), OPEN), "no_quote");
        assert_eq!(refused(&[], &cny(Payment, 1), OPEN), "no_quote");
        let ledger = [cny(Quote, 1000), cny(Deposit, 400)];
        assert!(check(&ledger, &cny(Payment, 600), OPEN).is_ok());
        assert_eq!(refused(&ledger, &cny(Payment, 601), OPEN), "overpayment");
        let refunded = [cny(Quote, 1000), cny(Payment, 1000), cny(Refund, 300)];
        assert!(
            check(&refunded, &cny(Payment, 300), OPEN).is_ok(),
            "refunded money may be paid again"
        );
    }

    #[test]
    fn the_first_quote_sets_the_currency() {
        use EntryKind::*;
        let mut usd = cny(Quote, 10);
        usd.currency = Currency::parse("USD").unwrap();
        assert!(check(&[], &usd, OPEN).is_ok());
        let ledger = [cny(Quote, 1000)];
        let r = check(&ledger, &usd, OPEN).unwrap_err();
        assert_eq!(
            (r.code.as_str(), r.invalid_input),
            ("currency_mismatch", true)
        );
        usd.kind = Deposit;
        assert_eq!(refused(&ledger, &usd, OPEN), "currency_mismatch");
    }

    #[test]
    fn a_refund_never_exceeds_what_was_paid() {
        use EntryKind::*;
        assert_eq!(refused(&[], &cny(Refund, 1), OPEN), "refund_exceeds_paid");
        let ledger = [
            cny(Quote, 1000),
            cny(Deposit, 300),
            cny(Payment, 200),
            cny(Refund, 100),
        ];
        assert!(check(&ledger, &cny(Refund, 400), OPEN).is_ok());
        assert_eq!(
            refused(&ledger, &cny(Refund, 401), OPEN),
            "refund_exceeds_paid"
        );
    }

    #[test]
    fn a_stopped_order_takes_refunds_only() {
        use EntryKind::*;
        let ledger = [cny(Quote, 1000), cny(Deposit, 300)];
        for status in [
            OrderStatus::Cancelled,
            OrderStatus::Declined,
            OrderStatus::Withdrawn,
        ] {
            for kind in [Quote, Deposit, Payment] {
                assert_eq!(refused(&ledger, &cny(kind, 1), status), "order_stopped");
            }
            assert!(check(&ledger, &cny(Refund, 300), status).is_ok());
        }
    }
}
