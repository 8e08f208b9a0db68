//! The browser cookies Keepsake sets, in one place, so the JSON API's login and the pages'
//! sign-in hand out the same session and neither door imports the other.
//!
//! - `keepsake_session`: the session token, HttpOnly — JavaScript never sees it.
//! - `keepsake_csrf`: the session's CSRF token, readable by our own pages (they put it in
//!   forms and the `X-CSRF-Token` header); other sites can read neither (SameSite=Strict).
//! - `keepsake_form`: a random token for the forms used before signing in (sign-in, register,
//!   inquiry), checked against the form's hidden field (double submit).
//! - `keepsake_lang`: the language chosen with the switch, remembered for a year.

use axum::http::{HeaderMap, HeaderValue, header};

pub const SESSION_COOKIE: &str = "keepsake_session";
pub const CSRF_COOKIE: &str = "keepsake_csrf";
pub const FORM_COOKIE: &str = "keepsake_form";
pub const LANG_COOKIE: &str = "keepsake_lang";

/// The value of cookie `name` in the request headers.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` values for a new session (its token HttpOnly, its CSRF token readable).
pub fn session(token: &str, csrf_token: &str, max_age_secs: i64, secure: bool) -> [String; 2] {
    let secure = if secure { "; Secure" } else { "" };
    [
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
        ),
        format!(
            "{CSRF_COOKIE}={csrf_token}; Path=/; SameSite=Strict; Max-Age={max_age_secs}{secure}"
        ),
    ]
}

/// `Set-Cookie` values that end the session in the browser.
pub fn session_ended() -> [String; 2] {
    [
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        format!("{CSRF_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0"),
    ]
}

/// `Set-Cookie` for the pre-sign-in form token.
pub fn form_token(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{FORM_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// `Set-Cookie` remembering the chosen language for a year.
pub fn language(code: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{LANG_COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000{secure}")
}

/// Append `Set-Cookie: value` to `headers` (a value that is not a valid header is dropped:
/// every value here is built from tokens and fixed text).
pub fn set(headers: &mut HeaderMap, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.append(header::SET_COOKIE, value);
    }
}
