//! The sample sufficiency report (PRODUCT.md, "Samples"): does the order have enough usable
//! photos, voice and video for its delivery mode, and if not, what should the customer add —
//! said in words a grieving customer understands, not in field names.

use serde::Serialize;
use utoipa::ToSchema;

use super::order::DeliveryMode;
use super::sample::SampleKind;

/// What one delivery mode needs at the least (the studio's `[sufficiency]` settings).
#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ModeThresholds {
    pub min_photos: u32,
    pub min_photo_short_side_px: u32,
    pub min_voice_secs: u32,
    pub min_video_secs: u32,
}

/// What the report needs to know about one verified sample.
#[derive(Debug, Clone)]
pub struct SampleFacts {
    /// The file's SHA-256: the same file uploaded twice counts once.
    pub sha256: String,
    pub kind: SampleKind,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Criterion {
    /// `photos`, `voice_seconds` or `video_seconds`.
    pub name: &'static str,
    pub required: u64,
    pub actual: u64,
    pub met: bool,
    /// Plain-language description of the criterion.
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SufficiencyReport {
    pub delivery_mode: DeliveryMode,
    pub passed: bool,
    pub criteria: Vec<Criterion>,
    /// One sentence: what to add, or that nothing is missing.
    pub summary: String,
}

pub fn assess(
    mode: DeliveryMode,
    thresholds: &ModeThresholds,
    samples: &[SampleFacts],
) -> SufficiencyReport {
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<&SampleFacts> = samples
        .iter()
        .filter(|s| seen.insert(s.sha256.as_str()))
        .collect();
    let short_side = thresholds.min_photo_short_side_px;
    let usable_photos = distinct
        .iter()
        .filter(|s| s.kind == SampleKind::Photo)
        .filter(|s| matches!((s.width, s.height), (Some(w), Some(h)) if w.min(h) >= short_side))
        .count() as u64;
    let seconds_of = |kind: SampleKind| -> u64 {
        let total_ms = distinct
            .iter()
            .filter(|s| s.kind == kind)
            .filter_map(|s| s.duration_ms)
            .fold(0u64, u64::saturating_add);
        total_ms / 1000
    };

    let mut criteria = vec![Criterion {
        name: "photos",
        required: u64::from(thresholds.min_photos),
        actual: usable_photos,
        met: usable_photos >= u64::from(thresholds.min_photos),
        description: format!("photos whose shorter side is at least {short_side} pixels"),
    }];
    for (name, kind, required, description) in [
        (
            "voice_seconds",
            SampleKind::Voice,
            thresholds.min_voice_secs,
            "seconds of voice recordings",
        ),
        (
            "video_seconds",
            SampleKind::Video,
            thresholds.min_video_secs,
            "seconds of video",
        ),
    ] {
        if required > 0 {
            let actual = seconds_of(kind);
            criteria.push(Criterion {
                name,
                required: u64::from(required),
                actual,
                met: actual >= u64::from(required),
                description: description.to_owned(),
            });
        }
    }

    let passed = criteria.iter().all(|c| c.met);
    let summary = summarize(mode, short_side, &criteria);
    SufficiencyReport {
        delivery_mode: mode,
        passed,
        criteria,
        summary,
    }
}

fn summarize(mode: DeliveryMode, short_side: u32, criteria: &[Criterion]) -> String {
    let wants: Vec<String> = criteria
        .iter()
        .filter(|c| !c.met)
        .map(|c| {
            let gap = c.required - c.actual;
            match c.name {
                "photos" => format!(
                    "{} more {} (at least {short_side} pixels on the shorter side)",
                    gap,
                    plural(gap, "photo", "photos")
                ),
                "voice_seconds" => format!("{} of voice recordings", duration_words(gap)),
                _ => format!("{} of video", duration_words(gap)),
            }
        })
        .collect();
    let mode_words = match mode {
        DeliveryMode::MachineDriven => "a machine-driven likeness",
        DeliveryMode::HumanDriven => "a human-driven live likeness",
    };
    match wants.split_last() {
        None => format!("The samples are enough for {mode_words}."),
        Some((last, [])) => format!("Please add {last}."),
        Some((last, rest)) => format!("Please add {} and {last}.", rest.join(", ")),
    }
}

/// "2 more minutes" for whole-minute gaps and above, "45 more seconds" below a minute.
fn duration_words(seconds: u64) -> String {
    if seconds >= 60 {
        let minutes = seconds.div_ceil(60);
        format!("{minutes} more {}", plural(minutes, "minute", "minutes"))
    } else {
        format!("{seconds} more {}", plural(seconds, "second", "seconds"))
    }
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SufficiencySettings;

    fn unique() -> String {
        uuid::Uuid::new_v4().to_string()
    }

    fn photo(w: u32, h: u32) -> SampleFacts {
        SampleFacts {
            sha256: unique(),
            kind: SampleKind::Photo,
            width: Some(w),
            height: Some(h),
            duration_ms: None,
        }
    }
    fn clip(kind: SampleKind, secs: u64) -> SampleFacts {
        SampleFacts {
            sha256: unique(),
            kind,
            width: None,
            height: None,
            duration_ms: Some(secs * 1000),
        }
    }

    #[test]
    fn empty_order_lists_everything_machine_driven_needs() {
        let t = SufficiencySettings::default().machine_driven;
        let report = assess(DeliveryMode::MachineDriven, &t, &[]);
        assert!(!report.passed);
        assert_eq!(
            report.summary,
            "Please add 10 more photos (at least 512 pixels on the shorter side), \
             3 more minutes of voice recordings and 30 more seconds of video."
        );
    }

    #[test]
    fn small_photos_do_not_count_and_gaps_round_up() {
        let t = SufficiencySettings::default().machine_driven;
        let mut samples: Vec<SampleFacts> = (0..9).map(|_| photo(800, 600)).collect();
        samples.push(photo(1024, 400));
        samples.push(clip(SampleKind::Voice, 61));
        samples.push(clip(SampleKind::Video, 30));
        let report = assess(DeliveryMode::MachineDriven, &t, &samples);
        assert_eq!(report.criteria[0].actual, 9);
        assert_eq!(
            report.summary,
            "Please add 1 more photo (at least 512 pixels on the shorter side) and 2 more minutes of voice recordings."
        );
    }

    #[test]
    fn enough_samples_pass() {
        let t = SufficiencySettings::default().human_driven;
        let mut samples: Vec<SampleFacts> = (0..20).map(|_| photo(512, 512)).collect();
        samples.push(clip(SampleKind::Video, 45));
        samples.push(clip(SampleKind::Video, 15));
        let report = assess(DeliveryMode::HumanDriven, &t, &samples);
        assert!(report.passed, "{report:?}");
        assert_eq!(
            report.criteria.len(),
            2,
            "human_driven needs no voice by default"
        );
        assert_eq!(
            report.summary,
            "The samples are enough for a human-driven live likeness."
        );
    }

    #[test]
    fn under_a_minute_is_said_in_seconds() {
        let t = SufficiencySettings::default().machine_driven;
        let mut samples: Vec<SampleFacts> = (0..10).map(|_| photo(600, 600)).collect();
        samples.push(clip(SampleKind::Voice, 180));
        samples.push(clip(SampleKind::Video, 29));
        let report = assess(DeliveryMode::MachineDriven, &t, &samples);
        assert_eq!(report.summary, "Please add 1 more second of video.");
    }

    #[test]
    fn the_same_file_twice_counts_once_and_huge_durations_do_not_overflow() {
        let t = SufficiencySettings::default().machine_driven;
        let one = photo(800, 800);
        let samples: Vec<SampleFacts> = (0..10).map(|_| one.clone()).collect();
        let report = assess(DeliveryMode::MachineDriven, &t, &samples);
        assert_eq!(report.criteria[0].actual, 1);

        let huge = |_| SampleFacts {
            duration_ms: Some(u64::MAX / 2),
            ..clip(SampleKind::Voice, 0)
        };
        let report = assess(
            DeliveryMode::MachineDriven,
            &t,
            &(0..3).map(huge).collect::<Vec<_>>(),
        );
        assert_eq!(report.criteria[1].actual, u64::MAX / 1000);
    }
}
