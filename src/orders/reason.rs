//! Free-text reasons (a hold, a withdrawal, a reviewer's decision): present, not blank, and
//! not longer than a reason needs to be.

use crate::error::{AppError, AppResult, Code};

const MAX_REASON_CHARS: usize = 2000;

/// A reason text: present, not blank, not too long (422 `reason_required` naming the field,
/// 422 `reason_too_long`).
pub fn required_text(value: Option<&str>, field: &'static str, what: &str) -> AppResult<String> {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(AppError::Unprocessable {
            code: Code::ReasonRequired,
            detail: format!("{what} needs `{field}`"),
            extra: Some(serde_json::Map::from_iter([(
                "field".to_owned(),
                field.into(),
            )])),
        });
    }
    if text.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::unprocessable(
            Code::ReasonTooLong,
            format!("`{field}` is longer than {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A reviewer decision's reason: optional for the decision that lets the order go on,
/// required (and checked like any reason) for the others.
pub fn decision_reason(
    reason: Option<&str>,
    required: bool,
    decision: &str,
) -> AppResult<Option<String>> {
    match (reason, required) {
        (None, false) => Ok(None),
        (given, true) => required_text(given, "reason", &format!("`{decision}`")).map(Some),
        (Some(r), false) => required_text(Some(r), "reason", "a decision").map(Some),
    }
}
