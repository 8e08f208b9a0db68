//! Consent vocabulary (PRODUCT.md, "Consent"): who consents, and the texts they agree to.

use sha2::{Digest, Sha256};

use super::order::string_enum;

string_enum!(
    /// Whose consent a text is for.
    ConsentParty {
        Requester => "requester",
        Relative => "relative",
        SubjectWishes => "subject_wishes",
        LivingSubject => "living_subject",
        Actor => "actor",
    }
);

/// The hash a consent record cites: SHA-256 of the text's exact UTF-8 bytes, hex.
pub fn text_hash(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

pub const MAX_TEXT_CHARS: usize = 20_000;

/// A BCP 47-ish language tag such as `zh-CN` or `en`: letters, digits and hyphens, 2–35 long.
pub fn valid_language(tag: &str) -> bool {
    (2..=35).contains(&tag.len())
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && tag.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_of_the_exact_bytes() {
        assert_eq!(text_hash("同意"), text_hash("同意"));
        assert_ne!(text_hash("同意"), text_hash("同意 "));
        assert_eq!(text_hash("").len(), 64);
    }

    #[test]
    fn language_tags() {
        assert!(valid_language("zh-CN") && valid_language("en"));
        assert!(!valid_language("") && !valid_language("-en") && !valid_language("zh CN"));
    }
}
