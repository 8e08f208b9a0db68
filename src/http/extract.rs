//! Request extractors that turn every malformed input into a problem+json error with a stable
//! code: JSON bodies (objects only, unknown fields refused, size-limited), path ids, query
//! strings, and the `If-Match`, `Idempotency-Key` and `X-Request-Id` headers.
//!
//! Every body is a JSON object. serde would happily map an array onto a struct field by field
//! (`[null, true]` as `{ "roles": null, "disabled": true }`), so anything else — array,
//! string, number, boolean, `null` — is refused before it is read (`body_not_object`).
//!
//! Bodies and query strings are read through `serde_path_to_error`, so a refusal says where the
//! input went wrong (`roles[0]`) and what is wrong in plain words; the place is also given
//! apart, as the problem document's `field` member, so a page can show the error beside its
//! field. Parser positions (`at line 1 column 25`) are kept only for JSON that does not parse.

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::{AppError, Code};

/// `Json<T>` whose failures are problem documents.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !declares_json(req.headers()).unwrap_or(false) {
            return Err(not_json());
        }
        let bytes = body_bytes(req, state).await?;
        parse_object(&bytes).map(Self)
    }
}

/// An optional JSON body: an empty body is `None`; anything else must be a JSON object of `T`.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        // With no Content-Type at all a body is still read as JSON (the body is optional, and
        // clients sending none often send no type either).
        let declared_json = declares_json(req.headers()).unwrap_or(true);
        let bytes = body_bytes(req, state).await?;
        if bytes.is_empty() {
            return Ok(Self(None));
        }
        if !declared_json {
            return Err(not_json());
        }
        parse_object(&bytes).map(|v| Self(Some(v)))
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/…+json`);
/// `None` when it names no type.
fn declares_json(headers: &HeaderMap) -> Option<bool> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let essence = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    Some(
        essence == "application/json"
            || essence
                .strip_prefix("application/")
                .is_some_and(|subtype| subtype.ends_with("+json")),
    )
}

fn not_json() -> AppError {
    AppError::UnsupportedMediaType("send the body as application/json".into())
}

async fn body_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, AppError> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::bad_request(Code::UnreadableBody, "the request body could not be read")
            }
        })
}

/// `bytes` as a `T`, provided they are one JSON object.
fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first.is_some_and(|b| *b != b'{') {
        // Never handed to serde, which would read an array as a struct.
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => AppError::unprocessable(
                    Code::BodyNotObject,
                    "the body must be a JSON object ({ … }), not an array, a string, a number, a \
                 boolean or null",
                ),
                Err(err) => malformed(&err),
            },
        );
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => {
            deserializer.end().map_err(|err| malformed(&err))?;
            Ok(value)
        }
        Err(err) if err.inner().to_string().starts_with(FRACTION_REFUSED) => {
            parse_with_whole_fractions(bytes)
        }
        Err(err) => Err(body_error(err)),
    }
}

/// serde's refusal of a number written with a fraction where a whole number is wanted.
const FRACTION_REFUSED: &str = "invalid type: floating point `";

/// The second reading of a body holding a number like `5.0` where a whole number is wanted:
/// JSON has one number type, and JSON Schema (the OpenAPI document) counts `5.0` as the integer
/// 5, so it is taken as 5. Every number with a zero fraction that fits an `i64` is read as that
/// whole number; `5.5` is still refused. Only bodies the first reading refused take this path.
fn parse_with_whole_fractions<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| malformed(&err))?;
    whole_fractions_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(body_error)
}

fn whole_fractions_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            let whole = number
                .as_f64()
                .filter(|f| number.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15);
            if let Some(whole) = whole {
                // Exact: |whole| < 2^53, so the f64 holds this integer exactly.
                *number = serde_json::Number::from(whole as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_fractions_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_fractions_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// A body that is JSON but not the `T` wanted: 422 naming the field; otherwise 400 malformed.
fn body_error(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let message = without_position(&inner);
            invalid_input(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::InvalidBody,
                &path,
                &message,
            )
        }
        _ => malformed(&inner),
    }
}

/// JSON that does not parse, said in plain words with where it went wrong (serde's own
/// message, "expected `,` or `}`", is for parser writers).
fn malformed(err: &serde_json::Error) -> AppError {
    let (line, column) = (err.line(), err.column());
    let detail = match err.classify() {
        serde_json::error::Category::Eof => {
            "the body is not valid JSON: it ends before the JSON is complete".to_owned()
        }
        _ => format!(
            "the body is not valid JSON: something unexpected at line {line}, column {column}"
        ),
    };
    AppError::bad_request(Code::MalformedJson, detail)
}

/// serde_json's message without its ` at line 1 column 25` (useless once the field is named).
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// A refusal naming the field at fault (`path` as `serde_path_to_error` writes it, `.` for the
/// whole input) in the detail and in the problem's `field` member.
fn invalid_input(status: StatusCode, code: Code, path: &str, message: &str) -> AppError {
    let field = field_at_fault(path, message);
    let words = plain_words(message);
    let detail = match &field {
        Some(field) => format!("`{field}`: {words}"),
        None => words,
    };
    let extra = field.map(|field| {
        let mut map = serde_json::Map::new();
        map.insert("field".into(), field.into());
        map
    });
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        AppError::Unprocessable {
            code,
            detail,
            extra,
        }
    } else {
        AppError::BadRequest {
            code,
            detail,
            extra,
        }
    }
}

/// The field a message is about: for a missing, unknown or repeated field serde reports the
/// enclosing object's path and names the field in the message, so the two are joined.
fn field_at_fault(path: &str, message: &str) -> Option<String> {
    let parent = (path != ".").then_some(path);
    let named = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (parent, named) {
        (Some(parent), Some(name)) if parent == name || parent.ends_with(&format!(".{name}")) => {
            Some(parent.to_owned())
        }
        (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
        (None, Some(name)) => Some(name.to_owned()),
        (parent, None) => parent.map(str::to_owned),
    }
}

/// serde's wording rephrased for people, so its parser vocabulary never reaches a client:
/// "missing field `email`" becomes "this field is required", "unknown field `colour`, expected
/// one of `email`, `roles`" becomes "this request has no such field; its fields are email,
/// roles", "unknown variant `boss`, expected one of `customer`, `staff`" becomes "unknown value
/// `boss`; expected one of customer, staff", "invalid type: integer `5`, expected a string"
/// becomes "got integer `5`; expected a string". (The field itself is named by the caller.)
fn plain_words(message: &str) -> String {
    if let Some(text) = parse_int_error(message) {
        return text.to_owned();
    }
    if message.starts_with("missing field `") {
        return "this field is required".to_owned();
    }
    if message.starts_with("duplicate field `") {
        return "this field is given twice".to_owned();
    }
    if message.starts_with("unknown field `") {
        return match message.split_once(", expected ") {
            Some((_, fields)) => {
                let fields = fields.trim_start_matches("one of ").replace('`', "");
                format!("this request has no such field; its fields are {fields}")
            }
            None => "this request takes no fields".to_owned(),
        };
    }
    let Some((what, expected)) = message.split_once(", expected ") else {
        return message.to_owned();
    };
    let expected = expected.replace('`', "");
    let what = if let Some(value) = what.strip_prefix("unknown variant ") {
        format!("unknown value {value}")
    } else if let Some(got) = what
        .strip_prefix("invalid type: ")
        .or_else(|| what.strip_prefix("invalid value: "))
    {
        format!("got {got}")
    } else if let Some(length) = what.strip_prefix("invalid length ") {
        format!("got {length} items")
    } else {
        what.to_owned()
    };
    format!("{what}; expected {expected}")
}

/// Query parameters are parsed with `str::parse`, whose errors say nothing about what was wanted.
fn parse_int_error(message: &str) -> Option<&'static str> {
    match message {
        "invalid digit found in string" | "cannot parse integer from empty string" => {
            Some("expected a whole number")
        }
        "number too large to fit in target type" | "number too small to fit in target type" => {
            Some("the number is out of range")
        }
        "invalid float literal" => Some("expected a number"),
        "provided string was not `true` or `false`" => Some("expected true or false"),
        _ => None,
    }
}

/// `Path<T>` whose failures are problem documents (a malformed id is a 404: no such thing).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => {
                Err(AppError::not_found(Code::NotFound, "no such resource"))
            }
            Err(other) => Err(AppError::internal(other.body_text())),
        }
    }
}

/// `Query<T>` whose failures are problem documents naming the parameter at fault.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Self)
            .map_err(|err| {
                let path = err.path().to_string();
                let message = err.into_inner().to_string();
                invalid_input(StatusCode::BAD_REQUEST, Code::InvalidQuery, &path, &message)
            })
    }
}

/// The version a client read, from `If-Match: "v{n}"`; `None` when the header is absent.
pub struct IfMatch(pub Option<i32>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let Some(value) = parts.headers.get(axum::http::header::IF_MATCH) else {
            return Ok(Self(None));
        };
        value
            .to_str()
            .ok()
            .and_then(parse_etag)
            .map(|v| Self(Some(v)))
            .ok_or_else(|| {
                AppError::bad_request(Code::InvalidIfMatch, "If-Match must be an ETag like \"v3\"")
            })
    }
}

impl IfMatch {
    /// The version, or 428 when the client did not say which version it changes.
    pub fn required(self) -> Result<i32, AppError> {
        self.0.ok_or(AppError::PreconditionRequired)
    }
}

pub use crate::error::etag;

/// Exactly `"v"` and 1 to 9 digits (the pattern the OpenAPI document gives for `If-Match`).
fn parse_etag(text: &str) -> Option<i32> {
    let digits = text.strip_prefix("\"v")?.strip_suffix('"')?;
    let plain = (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| digits.parse().ok()).flatten()
}

/// The `Idempotency-Key` header, required on creating writes.
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let value = parts.headers.get("idempotency-key").ok_or_else(|| {
            AppError::bad_request(
                Code::IdempotencyKeyRequired,
                "send an Idempotency-Key header with this request",
            )
        })?;
        let key = value.to_str().unwrap_or_default();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AppError::bad_request(
                Code::InvalidIdempotencyKey,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(Self(key.to_owned()))
    }
}

/// The request id set by the request-id layer (echoed as `X-Request-Id`).
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ))
    }
}

impl RequestId {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn etags_round_trip() {
        assert_eq!(super::parse_etag(&super::etag(12)), Some(12));
        assert_eq!(super::parse_etag("W/\"v1\""), None);
        assert_eq!(super::parse_etag("\"1\""), None);
        assert_eq!(super::parse_etag("\"v+1\""), None);
        assert_eq!(super::parse_etag("\"v1234567890\""), None);
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Account {
        email: String,
        roles: Vec<crate::domain::account::Role>,
        disabled: Option<bool>,
    }

    fn refusal(body: &str) -> crate::error::Problem {
        super::parse_object::<Account>(body.as_bytes())
            .unwrap_err()
            .to_problem()
    }

    #[test]
    fn only_objects_are_bodies() {
        for body in [
            "[null, true]",
            "[]",
            "\"text\"",
            "12",
            "true",
            "null",
            " \n [1]",
        ] {
            let problem = refusal(body);
            assert_eq!(problem.code, "body_not_object", "{body}");
            assert_eq!(problem.status, 422, "{body}");
        }
        assert_eq!(refusal("[1,").code, "malformed_json");
        assert_eq!(refusal("").code, "malformed_json");
        assert_eq!(
            refusal(r#"{"email":"a@b.c","roles":[]} {}"#).code,
            "malformed_json",
            "one object only"
        );
        let cut_short = refusal(r#"{"email":"a@b"#);
        assert_eq!(
            cut_short.detail,
            "the body is not valid JSON: it ends before the JSON is complete"
        );
        let broken = refusal("{\n  \"email\" \"a@b.c\"}");
        assert_eq!(
            broken.detail,
            "the body is not valid JSON: something unexpected at line 2, column 11"
        );
    }

    #[test]
    fn refusals_name_the_field_in_plain_words() {
        let cases = [
            (
                r#"{"email":"a@b.c","roles":["boss"]}"#,
                "roles[0]",
                "`roles[0]`: unknown value `boss`; expected one of customer, staff, reviewer, admin",
            ),
            (
                r#"{"roles":[]}"#,
                "email",
                "`email`: this field is required",
            ),
            (
                r#"{"email":"a@b.c","roles":[],"colour":"red"}"#,
                "colour",
                "`colour`: this request has no such field; its fields are email, roles, disabled",
            ),
            (
                r#"{"email":5,"roles":[]}"#,
                "email",
                "`email`: got integer `5`; expected a string",
            ),
        ];
        for (body, field, detail) in cases {
            let problem = refusal(body);
            assert_eq!(problem.code, "invalid_body", "{body}");
            assert_eq!(problem.detail, detail, "{body}");
            let extra = problem.extra.expect("a field member");
            assert_eq!(extra["field"], field, "{body}");
            assert!(!problem.detail.contains("line 1"), "{body}");
        }
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sizes {
        bytes: u64,
        parts: Vec<u32>,
        ratio: Option<f64>,
    }

    #[test]
    fn a_whole_number_may_be_written_with_a_zero_fraction() {
        let read = |body: &str| super::parse_object::<Sizes>(body.as_bytes());
        let sizes = read(r#"{"bytes":5.0,"parts":[1,2.0],"ratio":0.5}"#).expect("5.0 is 5");
        assert_eq!(
            sizes,
            Sizes {
                bytes: 5,
                parts: vec![1, 2],
                ratio: Some(0.5)
            }
        );
        let problem = read(r#"{"bytes":5.5,"parts":[]}"#)
            .unwrap_err()
            .to_problem();
        assert_eq!(problem.code, "invalid_body");
        assert_eq!(problem.extra.expect("a field member")["field"], "bytes");
        let problem = read(r#"{"bytes":-1.0,"parts":[]}"#)
            .unwrap_err()
            .to_problem();
        assert_eq!(problem.code, "invalid_body", "still not a u64");
        let problem = read(r#"{"bytes":1.0,"parts":[],"colour":1}"#)
            .unwrap_err()
            .to_problem();
        assert_eq!(problem.extra.expect("a field member")["field"], "colour");
    }
}
