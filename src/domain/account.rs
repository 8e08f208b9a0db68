//! Accounts (PRODUCT.md, roles): who may exist and what a credential must look like.
//!
//! Password rules follow current guidance (NIST SP 800-63B): 8 to 128 characters, no
//! composition rules, and none of the passwords attackers try first (the zxcvbn crate's list
//! of ~30,000 common passwords).

use super::order::string_enum;

string_enum!(
    /// What a person may do. One person may hold several roles.
    Role {
        Customer => "customer",
        Staff => "staff",
        Reviewer => "reviewer",
        Admin => "admin",
    }
);

pub const MAX_EMAIL_CHARS: usize = 254;

/// An email address, trimmed and lower-cased so one person has one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        // Counted as sent, blanks included: the OpenAPI document's `maxLength`, which a client
        // checks before it sends, so the two never disagree about an address.
        if text.chars().count() > MAX_EMAIL_CHARS {
            return Err("an email address has at most 254 characters");
        }
        let email = text.trim().to_lowercase();
        let Some((local, domain)) = email.split_once('@') else {
            return Err("an email address needs an @");
        };
        let plausible = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(Self(email))
        } else {
            Err("that is not an email address")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Longer than any entry of the common-password list.
const COMMON_MAX_CHARS: usize = 40;

/// Is the whole password one of the ~30,000 most common passwords (the zxcvbn crate's list
/// from public breach dumps; case, l33t substitutions and reversal included)?
fn is_common(password: &str) -> bool {
    use zxcvbn::matching::patterns::MatchPattern;
    let chars = password.chars().count();
    // No listed password is this long, and zxcvbn's matching grows fast with length: a long
    // passphrase is never "common", and is not worth the CPU to check.
    if chars > COMMON_MAX_CHARS {
        return false;
    }
    zxcvbn::zxcvbn(password, &[]).sequence().iter().any(|m| {
        m.i == 0
            && m.j + 1 == chars
            // zxcvbn does not export its dictionary enum; its Debug name is the stable handle
            // (the tests below fail if that ever changes).
            && matches!(&m.pattern, MatchPattern::Dictionary(d) if format!("{:?}", d.dictionary_name) == "Passwords")
    })
}

/// Why a password is refused, in words for the person choosing it.
pub fn check_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!("use at least {MIN_PASSWORD_CHARS} characters"));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("use at most {MAX_PASSWORD_CHARS} characters"));
    }
    let lower = password.to_lowercase();
    if is_common(password) || lower.chars().all(|c| lower.starts_with(c)) {
        return Err("that password is among the first ones attackers try; choose another".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Li.Wei@Example.COM ").unwrap().as_str(),
            "li.wei@example.com"
        );
        for bad in [
            "",
            "no-at",
            "@example.com",
            "a@b",
            "a@.com",
            "a b@example.com",
            "a@example.com.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let longest = format!("{}@example.com", "é".repeat(254 - 12));
        assert!(Email::parse(&longest).is_ok(), "254 characters, more bytes");
        assert!(Email::parse(&format!(" {longest}")).is_err(), "255 as sent");
    }

    #[test]
    fn passwords_need_length_and_must_not_be_common() {
        assert!(check_password("seven77").is_err());
        assert!(check_password(&"x".repeat(129)).is_err());
        assert!(check_password("Password123").is_err(), "case-insensitive");
        assert!(
            check_password("aaaaaaaaaa").is_err(),
            "one repeated character"
        );
        assert!(check_password("grandma's garden in spring").is_ok());
        assert!(check_password("ünïcødé!").is_ok(), "characters, not bytes");
        for common in [
            "iloveyou",
            "Sunshine",
            "qwertyuiop",
            "trustno1",
            "p@ssw0rd",
            "football",
        ] {
            assert!(check_password(common).is_err(), "{common}");
        }
    }
}
