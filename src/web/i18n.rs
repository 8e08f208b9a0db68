//! The two languages of the pages (zh-CN, en): one catalog file per language under `i18n/`,
//! compiled into the binary, flattened to `section.key` → text. Which language a visitor gets:
//! the one they chose with the switch (a cookie), else the first of their browser's
//! `Accept-Language` that we have, else Chinese (most families are in mainland China).
//!
//! Dates and times are written in the studio's zone, each language its own way; money is
//! written from minor units (`¥8,800.00` / `8,800.00 元`).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The BCP 47 tag (`<html lang>`, the cookie, the catalog's file name).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "zh" || tag.starts_with("zh-") {
            Some(Lang::ZhCn)
        } else if tag == "en" || tag.starts_with("en-") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language a visitor gets: `chosen` (the switch's cookie) if it names one of ours,
    /// else the highest-weighted of `accept_language` we have, else zh-CN.
    pub fn negotiate(chosen: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = chosen.and_then(Lang::from_tag) {
            return lang;
        }
        let mut offered: Vec<(f32, Lang)> = accept_language
            .unwrap_or_default()
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let lang = Lang::from_tag(parts.next()?)?;
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (weight > 0.0).then_some((weight, lang))
            })
            .collect();
        // Stable: among equal weights the browser's order stands.
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        offered.first().map_or(Lang::ZhCn, |(_, lang)| *lang)
    }

    /// The text under `key` in this language (the key itself if it is missing — the catalog
    /// tests keep that from shipping).
    pub fn t(self, key: &str) -> &str {
        match self.lookup(key) {
            Some(text) => text,
            None => {
                tracing::warn!(key, lang = self.tag(), "missing catalog key");
                key
            }
        }
    }

    /// The text under a key built at run time (`status.{}`), owned.
    pub fn text(self, key: &str) -> String {
        self.t(key).to_owned()
    }

    /// The text under `key`, if the catalog has it.
    pub fn lookup(self, key: &str) -> Option<&'static str> {
        let catalog = match self {
            Lang::ZhCn => &*ZH_CN,
            Lang::En => &*EN,
        };
        catalog.get(key).map(String::as_str)
    }

    /// `key`'s text with each `{name}` replaced by its value.
    pub fn fill(self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// A moment in the studio's zone: `2026年12月4日 14:30` / `4 December 2026, 14:30`.
    pub fn datetime(self, at: DateTime<Utc>, zone: FixedOffset) -> String {
        let local = at.with_timezone(&zone);
        let (h, m) = (local.hour(), local.minute());
        match self {
            Lang::ZhCn => format!("{} {h:02}:{m:02}", self.date(local.date_naive())),
            Lang::En => format!("{}, {h:02}:{m:02}", self.date(local.date_naive())),
        }
    }

    /// A calendar date: `2026年12月4日` / `4 December 2026`.
    pub fn date(self, date: NaiveDate) -> String {
        match self {
            Lang::ZhCn => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
            Lang::En => format!(
                "{} {} {}",
                date.day(),
                MONTHS[date.month0() as usize],
                date.year()
            ),
        }
    }

    /// Money from minor units: `¥8,800.00` (en) / `8,800.00 元` (zh-CN) for CNY; other
    /// currencies as `8,800.00 USD` in both.
    pub fn money(self, amount_minor: i64, currency: &str) -> String {
        let sign = if amount_minor < 0 { "-" } else { "" };
        let abs = amount_minor.unsigned_abs();
        let (major, minor) = (abs / 100, abs % 100);
        let digits = major.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let number = format!("{sign}{grouped}.{minor:02}");
        match (self, currency) {
            (Lang::En, "CNY") => format!("{sign}¥{grouped}.{minor:02}"),
            (Lang::ZhCn, "CNY") => format!("{number} 元"),
            _ => format!("{number} {currency}"),
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse_catalog(include_str!("../../i18n/en.toml")));
static ZH_CN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| parse_catalog(include_str!("../../i18n/zh-CN.toml")));

/// A catalog's `[section] key = "text"` entries as `section.key` → text. A catalog that does
/// not parse is empty (and the catalog test fails on it).
pub fn parse_catalog(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    if let Ok(table) = text.parse::<toml::Table>() {
        flatten("", &table, &mut out);
    }
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&full, inner, out),
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            other => {
                out.insert(full, other.to_string());
            }
        }
    }
}

/// The catalogs' raw text, for the test that compares them.
pub fn catalog_sources() -> [(Lang, &'static str); 2] {
    [
        (Lang::ZhCn, include_str!("../../i18n/zh-CN.toml")),
        (Lang::En, include_str!("../../i18n/en.toml")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_wins_then_the_browser_then_chinese() {
        assert_eq!(Lang::negotiate(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(
            Lang::negotiate(None, Some("fr;q=1, en-GB;q=0.8, zh;q=0.5")),
            Lang::En
        );
        assert_eq!(
            Lang::negotiate(None, Some("en;q=0.3, zh-TW;q=0.9")),
            Lang::ZhCn
        );
        assert_eq!(Lang::negotiate(Some("de"), Some("fr")), Lang::ZhCn);
        assert_eq!(Lang::negotiate(None, Some("en;q=0")), Lang::ZhCn);
        assert_eq!(Lang::negotiate(None, None), Lang::ZhCn);
    }

    #[test]
    fn money_and_dates_each_language_its_way() {
        assert_eq!(Lang::En.money(880_000, "CNY"), "¥8,800.00");
        assert_eq!(Lang::ZhCn.money(880_000, "CNY"), "8,800.00 元");
        assert_eq!(Lang::En.money(-5, "CNY"), "-¥0.05");
        assert_eq!(Lang::En.money(123_456_789, "USD"), "1,234,567.89 USD");
        let at = DateTime::parse_from_rfc3339("2026-12-03T22:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let zone = FixedOffset::east_opt(8 * 3600).unwrap();
        assert_eq!(Lang::ZhCn.datetime(at, zone), "2026年12月4日 06:30");
        assert_eq!(Lang::En.datetime(at, zone), "4 December 2026, 06:30");
    }

    #[test]
    fn every_key_is_in_both_catalogs() {
        let [(_, zh), (_, en)] = catalog_sources();
        assert!(
            zh.parse::<toml::Table>().is_ok(),
            "zh-CN.toml does not parse"
        );
        assert!(en.parse::<toml::Table>().is_ok(), "en.toml does not parse");
        let (zh, en) = (parse_catalog(zh), parse_catalog(en));
        assert!(en.len() > 20, "the English catalog is nearly empty");
        let missing_in_zh: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        let missing_in_en: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(
            missing_in_zh.is_empty(),
            "missing in zh-CN.toml: {missing_in_zh:?}"
        );
        assert!(
            missing_in_en.is_empty(),
            "missing in en.toml: {missing_in_en:?}"
        );
    }

    /// Keys the templates and page code name literally: `t("…")`, `fill("…")`, and the title
    /// given to `Page::new`.
    fn keys_used() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["templates", "src/web"] {
            collect(&root.join(dir), &mut files);
        }
        let mut used = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for opener in [".t(\"", ".fill(\"", "&visitor, \""] {
                for (at, _) in text.match_indices(opener) {
                    let rest = &text[at + opener.len()..];
                    let key = rest.split('"').next().unwrap();
                    if key.contains('.') && !key.contains(' ') && !key.contains('{') {
                        used.push((file.display().to_string(), key.to_owned()));
                    }
                }
            }
        }
        used
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_key_the_pages_use_is_in_the_catalogs() {
        let used = keys_used();
        assert!(
            used.len() > 30,
            "the key scan found almost nothing: {used:?}"
        );
        let catalog = parse_catalog(include_str!("../../i18n/en.toml"));
        let missing: Vec<_> = used
            .iter()
            .filter(|(_, k)| !catalog.contains_key(k))
            .collect();
        assert!(
            missing.is_empty(),
            "keys used but not in the catalogs: {missing:?}"
        );
    }

    #[test]
    fn every_status_relationship_and_mode_is_said_in_words() {
        use crate::domain::order::{DeliveryMode, OrderStatus, Relationship};
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            OrderStatus::ALL
                .iter()
                .map(|s| format!("status.{}", s.as_str())),
        );
        keys.extend(
            Relationship::ALL
                .iter()
                .map(|r| format!("relationship.{}", r.as_str())),
        );
        for mode in DeliveryMode::ALL {
            keys.push(format!("mode.{}", mode.as_str()));
            keys.push(format!("landing.{}", mode.as_str()));
        }
        for field in [
            "subject.death_date",
            "intake.purpose",
            "intake.family_awareness",
            "intake.support_network",
        ] {
            keys.push(format!("missing.{field}"));
        }
        for lang in Lang::ALL {
            for key in &keys {
                assert!(lang.lookup(key).is_some(), "{} lacks {key}", lang.tag());
            }
        }
    }

    #[test]
    fn every_event_a_family_may_see_has_chinese_words() {
        use crate::domain::events::EventKind;
        use crate::domain::timeline::{Audience, sees};
        // `sees` decides data-rights events by who filed them: ask as for the customer's own.
        let detail = serde_json::json!({ "by_customer": true });
        for kind in EventKind::ALL {
            if !sees(*kind, Audience::Customer, &detail) {
                continue;
            }
            let k = kind.as_str();
            let said = Lang::ZhCn.lookup(&format!("timeline.{k}")).is_some()
                || Lang::ZhCn.lookup(&format!("timeline_short.{k}")).is_some();
            assert!(said, "zh-CN.toml has no words for the customer's event {k}");
        }
    }
}
