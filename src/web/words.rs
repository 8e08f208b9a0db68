//! What the family's pages and the studio's desk both say in words: the sufficiency report
//! ("3 more photos"), a consent requirement, and a timeline entry in the page's language.

use crate::domain::consent_policy::Requirement;
use crate::domain::sufficiency::SufficiencyReport;
use crate::orders::TimelineEntry;
use crate::web::i18n::Lang;

/// The sufficiency report's criteria in words ("3 more photos", "2 more minutes of voice").
pub fn samples_in_words(lang: Lang, report: &SufficiencyReport) -> Vec<String> {
    report
        .criteria
        .iter()
        .map(|c| {
            let (count, unit) = match c.name {
                "photos" => (c.required.saturating_sub(c.actual), "photos"),
                "voice_seconds" => (c.required.saturating_sub(c.actual).div_ceil(60), "voice"),
                _ => (c.required.saturating_sub(c.actual).div_ceil(60), "video"),
            };
            let have = match c.name {
                "photos" => c.actual.to_string(),
                _ if c.actual < 60 => {
                    lang.fill("sufficiency.seconds", &[("n", &c.actual.to_string())])
                }
                _ => lang.fill(
                    "sufficiency.minutes",
                    &[("n", &(c.actual / 60).to_string())],
                ),
            };
            if c.met {
                lang.fill(&format!("sufficiency.{unit}_met"), &[("have", &have)])
            } else {
                lang.fill(
                    &format!("sufficiency.{unit}_more"),
                    &[("more", &count.max(1).to_string()), ("have", &have)],
                )
            }
        })
        .collect()
}

/// A timeline entry in the visitor's language: the catalog's words for its kind (and the
/// status it led to) when it has them; else, in English, the service's own sentence (which
/// carries details such as which consent or which payment); else the catalog's shorter
/// sentence for the kind, without those details (`timeline_short`).
pub fn event_in_words(lang: Lang, entry: &TimelineEntry) -> String {
    let key = format!("timeline.{}", entry.kind);
    let exact = entry
        .status
        .as_deref()
        .and_then(|s| lang.lookup(&format!("{key}.{s}")))
        .or_else(|| lang.lookup(&key));
    if let Some(text) = exact {
        return text.to_owned();
    }
    match lang {
        Lang::En => entry.message.clone(),
        _ => lang
            .lookup(&format!("timeline_short.{}", entry.kind))
            .map_or_else(|| entry.message.clone(), str::to_owned),
    }
}

/// A consent requirement of the policy in words, as the family reads it ("your own consent").
pub fn need_in_words(lang: Lang, requirement: &Requirement) -> String {
    need_words(lang, "consent.need", requirement)
}

/// The same requirement as the studio reads it ("the consent of the family member who
/// ordered").
pub fn studio_need_in_words(lang: Lang, requirement: &Requirement) -> String {
    need_words(lang, "desk.need", requirement)
}

fn need_words(lang: Lang, table: &str, requirement: &Requirement) -> String {
    let name = match requirement {
        Requirement::Consent { party, .. } => party.as_str(),
        Requirement::Evidence { document_type } => document_type.as_str(),
    };
    lang.text(&format!("{table}.{name}"))
}
