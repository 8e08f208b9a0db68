//! A form's errors, said in words next to the field they belong to and summed up at the top
//! (the summary links to each field). A service refusal becomes one of these through the
//! form's own list of which problem code belongs to which field.

use crate::error::AppError;
use crate::problem::Code;

use super::i18n::Lang;

pub struct FieldError {
    /// The input's `id`/`name`; empty for an error of the whole form.
    pub field: &'static str,
    pub message: String,
}

#[derive(Default)]
pub struct FormErrors {
    pub items: Vec<FieldError>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The message for `field`, if it has one.
    pub fn on(&self, field: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Whether `field` has an error (for `aria-invalid`).
    pub fn has(&self, field: &str) -> bool {
        self.on(field).is_some()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.items.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// One error of the whole form.
    pub fn whole(message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add("", message);
        errors
    }

    /// The form came without its token (stale, or from another site): send it again.
    pub fn expired(lang: Lang) -> Self {
        Self::whole(lang.t("form.expired"))
    }

    /// A service's refusal in words: the catalog's `problem.<code>` text, put next to the
    /// field `fields` names for its code (or at the top).
    pub fn from_refusal(lang: Lang, err: &AppError, fields: &[(Code, &'static str)]) -> Self {
        let code = err.code();
        let field = fields
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("", |(_, f)| *f);
        let message = match err {
            AppError::TooManyRequests { retry_after_secs } => lang.fill(
                "problem.too_many_attempts",
                &[("minutes", &retry_after_secs.div_ceil(60).max(1).to_string())],
            ),
            _ => lang.said(code),
        };
        Self::whole_or_field(field, message)
    }

    fn whole_or_field(field: &'static str, message: String) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }
}

impl Lang {
    /// A problem code in words: the catalog's `problem.<code>`, else a general sentence.
    pub fn said(self, code: Code) -> String {
        self.lookup(&format!("problem.{}", code.as_str()))
            .unwrap_or_else(|| self.t("problem.other"))
            .to_owned()
    }
}
