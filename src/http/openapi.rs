//! The parts of the OpenAPI document that hold for every operation, written once here rather
//! than in a hundred annotations (where they drifted from the wire before):
//!
//! - every error is RFC 9457 `application/problem+json` with the `Problem` schema;
//! - the answers any operation can give by its shape are documented on it: 401 (and 403 for a
//!   cookie without its CSRF token) where a session is needed, 404 for a path id, 400 for a query
//!   string, 400/413/415/422 for a JSON body, 500 for a fault;
//! - the ways to authenticate (`securitySchemes`) and, per operation, which it needs. Operations
//!   anyone may call say so in their annotation with `security(())`.
//!
//! It also documents the `If-Match` and `Idempotency-Key` headers (as the extractors read them)
//! and serves the document itself at `/api/openapi.json`.

use std::sync::Arc;

use axum::{Extension, Json};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{IdempotencyKey, IfMatch};
use super::session::{CSRF_COOKIE, SESSION_COOKIE};
use crate::state::AppState;

/// What `extract::IfMatch` accepts: `"v"` and 1 to 9 digits.
pub const IF_MATCH_PATTERN: &str = r#"^"v[0-9]{1,9}"$"#;
pub const PROBLEM_JSON: &str = "application/problem+json";
pub const BEARER: &str = "bearer";
pub const SESSION: &str = "session_cookie";
pub const CSRF: &str = "csrf_token";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// This document (OpenAPI 3.1).
#[utoipa::path(
    get, path = "/api/openapi.json", tag = "health", security(()),
    responses((status = 200, description = "The OpenAPI document of this API", content_type = "application/json", body = Object)),
)]
async fn openapi_json(Extension(doc): Extension<Arc<OpenApi>>) -> Json<Arc<OpenApi>> {
    Json(doc)
}

/// `If-Match: "v{n}"`: the version the client read (required by the handlers that take it).
impl utoipa::IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![header_param(
            "If-Match",
            "The ETag of the version read, e.g. `\"v3\"`: 428 `if_match_required` without it, \
             400 `invalid_if_match` when malformed, 412 `stale_version` when it is no longer current.",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(IF_MATCH_PATTERN)),
        )]
    }
}

/// `Idempotency-Key`: a retried create with the same key answers the first outcome.
impl utoipa::IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![header_param(
            "Idempotency-Key",
            "1 to 255 visible ASCII characters naming this attempt; a retry with the same key \
             and body answers the first outcome. 400 `idempotency_key_required` without it, \
             400 `invalid_idempotency_key` when malformed.",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$")),
        )]
    }
}

fn header_param(name: &str, description: &str, schema: ObjectBuilder) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// Add what every operation shares; called on the whole document once the routes are merged.
pub fn finish(doc: &mut OpenApi) {
    add_security_schemes(doc);
    for item in doc.paths.paths.values_mut() {
        let ops = [
            (false, &mut item.get),
            (false, &mut item.head),
            (false, &mut item.options),
            (true, &mut item.post),
            (true, &mut item.put),
            (true, &mut item.patch),
            (true, &mut item.delete),
            (true, &mut item.trace),
        ];
        for (changes, op) in ops {
            if let Some(op) = op.as_mut() {
                finish_operation(op, changes);
            }
        }
    }
}

fn add_security_schemes(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "The session token from `POST /api/v1/auth/login`, as `Authorization: Bearer …`.",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE.to_owned(),
            format!(
                "The same token in the `{SESSION_COOKIE}` cookie set at login (pages). A request \
                 that changes something (any method but GET, HEAD, OPTIONS) must also send the \
                 session's CSRF token (cookie `{CSRF_COOKIE}`) in `X-CSRF-Token`."
            ),
        ))),
    );
    components.add_security_scheme(
        CSRF,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-CSRF-Token",
            "The session's CSRF token (login answer `csrf_token`, cookie `keepsake_csrf`); \
             needed with the session cookie on every change, never with a bearer token.",
        ))),
    );
}

/// `changes`: the method changes something, so a cookie session also needs its CSRF token.
fn finish_operation(op: &mut Operation, changes: bool) {
    let public = op
        .security
        .as_ref()
        .is_some_and(|reqs| reqs.iter().all(is_empty_requirement));
    if public {
        op.security = Some(Vec::new());
    } else {
        let cookie = if changes {
            SecurityRequirement::new(SESSION, Vec::<String>::new()).add(CSRF, Vec::<String>::new())
        } else {
            SecurityRequirement::new(SESSION, Vec::<String>::new())
        };
        op.security = Some(vec![
            SecurityRequirement::new(BEARER, Vec::<String>::new()),
            cookie,
        ]);
        add_response(
            op,
            "401",
            "Not logged in, or the session ended (`unauthenticated`)",
        );
        if changes {
            add_response(
                op,
                "403",
                "Not allowed; with the session cookie, also a missing or wrong `X-CSRF-Token` (`csrf_token_missing`)",
            );
        }
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let (path, query) = (has(ParameterIn::Path), has(ParameterIn::Query));
    let limit = params
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Query && p.name == "limit");
    let header = |name: &str| {
        params
            .iter()
            .any(|p| p.parameter_in == ParameterIn::Header && p.name == name)
    };
    let (if_match, idempotency) = (header("If-Match"), header("Idempotency-Key"));
    if path {
        add_response(
            op,
            "404",
            "No such resource (also for a malformed id) (`not_found`)",
        );
    }
    if query {
        add_response(
            op,
            "400",
            "A query parameter this operation does not take, or a malformed value (`invalid_query`)",
        );
    }
    if limit {
        add_response(op, "422", "`limit` outside its bounds (`invalid_limit`)");
    }
    if if_match {
        add_response(op, "400", "Malformed `If-Match` (`invalid_if_match`)");
        add_response(
            op,
            "412",
            "The resource changed since it was read (`stale_version`, with `current_etag`)",
        );
        add_response(op, "428", "No `If-Match` header (`if_match_required`)");
    }
    if idempotency {
        add_response(
            op,
            "400",
            "No or malformed `Idempotency-Key` (`idempotency_key_required`, `invalid_idempotency_key`)",
        );
        add_response(
            op,
            "409",
            "The key is in use by a request still running, or was used with another body",
        );
    }
    if let Some(body) = op.request_body.as_mut() {
        optional_body_is_not_null(body);
    }
    if op.request_body.is_some() {
        add_response(
            op,
            "400",
            "The body is not JSON (`malformed_json`, `unreadable_body`)",
        );
        add_response(
            op,
            "413",
            "The body is larger than this endpoint accepts (`body_too_large`)",
        );
        add_response(
            op,
            "415",
            "The body is not sent as `application/json` (`unsupported_media_type`)",
        );
        add_response(
            op,
            "422",
            "The JSON does not have the documented shape (`invalid_body`)",
        );
    }
    add_response(
        op,
        "500",
        "A fault on our side; it has been logged (`internal_error`)",
    );
    for (status, response) in op.responses.responses.iter_mut() {
        if let (true, RefOr::T(response)) = (is_error(status), response) {
            response.content.clear();
            response
                .content
                .insert(PROBLEM_JSON.to_owned(), Content::new(Some(problem_ref())));
        }
    }
}

/// An optional body (`OptionalJson`) is absent or a JSON value of its type; utoipa writes
/// `Option<T>` as "null or T", but `null` is not a `T`, so keep only the `T`.
fn optional_body_is_not_null(body: &mut utoipa::openapi::request_body::RequestBody) {
    for content in body.content.values_mut() {
        let Some(schema) = content.schema.as_ref() else {
            continue;
        };
        let Ok(value) = serde_json::to_value(schema) else {
            continue;
        };
        let Some(options) = value["oneOf"].as_array() else {
            continue;
        };
        let mut not_null = options.iter().filter(|s| s["type"] != "null");
        if let (Some(only), None) = (not_null.next(), not_null.next())
            && let Ok(schema) = serde_json::from_value(only.clone())
        {
            content.schema = Some(schema);
        }
    }
}

fn is_empty_requirement(req: &SecurityRequirement) -> bool {
    serde_json::to_value(req).is_ok_and(|v| v.as_object().is_some_and(|m| m.is_empty()))
}

fn is_error(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
}

fn problem_ref() -> RefOr<utoipa::openapi::schema::Schema> {
    RefOr::Ref(Ref::from_schema_name("Problem"))
}

/// Document `status` unless the operation already does (its own words are more precise).
fn add_response(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::T(Response::new(description)));
}
