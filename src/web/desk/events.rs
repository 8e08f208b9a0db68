//! The order's timeline as the studio reads it, in the page's language: the catalog's
//! `desk.event.<kind>` sentence with the event's recorded facts filled in — which party's
//! consent, which stage, which decision, how much money, which follow-up — in the studio's
//! own terms (the family's page says "your own consent"; the studio's says whose). A kind the
//! catalog does not know (older history) keeps the service's English sentence.

use serde_json::Value;

use crate::orders::TimelineEntry;
use crate::web::i18n::Lang;

/// One entry in words for the studio.
pub fn in_words(lang: Lang, entry: &TimelineEntry) -> String {
    let Some(pattern) = lang.lookup(&format!("desk.event.{}", entry.kind)) else {
        return entry.message.clone();
    };
    if !pattern.contains('{') {
        return pattern.to_owned();
    }
    let d = &entry.detail;
    let party = text(d, "party")
        .and_then(|p| lang.lookup(&format!("desk.party.{p}")))
        .unwrap_or("—");
    let stage = text(d, "stage").map_or_else(String::new, |s| {
        lang.lookup(&format!("stage.{s}"))
            .map_or_else(|| s.replace('_', " "), str::to_owned)
    });
    let decision = text(d, "decision")
        .and_then(|x| lang.lookup(&format!("desk.event_decision.{x}")))
        .unwrap_or("—");
    let to = lang.t(match text(d, "audience") {
        Some("staff") => "desk.event_to.staff",
        _ => "desk.event_to.customer",
    });
    let entry_words = money_words(lang, d);
    let number = d["number"]
        .as_i64()
        .map_or_else(String::new, |n| n.to_string());
    let request = text(d, "kind")
        .and_then(|k| lang.lookup(&format!("requests.kind.{k}")))
        .unwrap_or("—");
    lang.fill(
        &format!("desk.event.{}", entry.kind),
        &[
            ("party", party),
            ("stage", &stage),
            ("decision", decision),
            ("to", to),
            ("entry", &entry_words),
            ("n", &number),
            ("request", request),
        ],
    )
}

fn text<'a>(detail: &'a Value, key: &str) -> Option<&'a str> {
    detail[key].as_str()
}

/// "Quote: ¥8,800.00" — the kind of entry with its amount, as the money panel says it.
fn money_words(lang: Lang, d: &Value) -> String {
    match (
        text(d, "kind"),
        d["amount_minor"].as_i64(),
        text(d, "currency"),
    ) {
        (Some(kind), Some(amount), Some(currency)) => lang.fill(
            &format!("money.{kind}"),
            &[("amount", &lang.money(amount, currency))],
        ),
        _ => "—".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::EventKind;
    use serde_json::json;

    fn entry(kind: &str, detail: Value) -> TimelineEntry {
        TimelineEntry {
            at: chrono::Utc::now(),
            kind: kind.to_owned(),
            status: None,
            message: "the service's sentence".to_owned(),
            actor: None,
            detail,
        }
    }

    #[test]
    fn every_event_the_studio_sees_has_words_in_both_languages() {
        for lang in Lang::ALL {
            for kind in EventKind::ALL {
                let said = in_words(lang, &entry(kind.as_str(), json!({})));
                assert_ne!(
                    said,
                    "the service's sentence",
                    "{} lacks {}",
                    lang.tag(),
                    kind.as_str()
                );
                assert!(!said.contains('{'), "{}: {said}", lang.tag());
            }
        }
    }

    #[test]
    fn the_facts_are_filled_in_in_the_studios_terms() {
        let signed = entry("consent.signed", json!({ "party": "actor" }));
        assert_eq!(
            in_words(Lang::En, &signed),
            format!("Consent recorded: {}.", Lang::En.t("desk.party.actor"))
        );
        let paid = entry(
            "payment.recorded",
            json!({ "kind": "quote", "amount_minor": 880_000, "currency": "CNY" }),
        );
        assert!(
            in_words(Lang::ZhCn, &paid).contains("8,800.00"),
            "{}",
            in_words(Lang::ZhCn, &paid)
        );
        let stage = entry(
            "production.stage_completed",
            json!({ "stage": "data_prep" }),
        );
        assert_eq!(
            in_words(Lang::ZhCn, &stage),
            format!("阶段完成：{}。", Lang::ZhCn.t("stage.data_prep"))
        );
        let unknown = entry("an.old_kind", json!({}));
        assert_eq!(in_words(Lang::ZhCn, &unknown), "the service's sentence");
    }
}
