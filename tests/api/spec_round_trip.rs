//! The OpenAPI document against the wire, so it cannot drift again: a client generated from it
//! must be able to talk to the server.
//!
//! - Every enum schema lists exactly the strings the server's enum type reads and writes, and
//!   every enum in a path or query is sent to the server and accepted (orders, roles and
//!   relationships in bodies too).
//! - Every operation is called: its path parameters are parsed as documented (a valid value
//!   reaches the handler, an invalid one is refused), each documented query parameter is one the
//!   handler knows (the query structs refuse unknown fields, so a documented parameter the
//!   handler does not take answers `400 invalid_query`), and an operation that documents no query
//!   string takes none. A method a path does not document answers 405.
//! - The documented security holds: without a session an operation answers 401 exactly when the
//!   document says it needs one.
//! - Every error the server gives here is `application/problem+json` and its status is documented
//!   for that operation.
//! - No route is added outside the documented `routes!` (a source check).

use std::collections::{BTreeMap, BTreeSet};

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Reply, TestApp, order_body};

/// The strings each enum schema of the document must list: the server's own types.
fn server_enums() -> BTreeMap<&'static str, Vec<String>> {
    use keepsake::domain::{
        account, consent, data_rights, iteration, live_session, money, order, sample,
    };
    macro_rules! texts {
        ($t:ty) => {
            <$t>::ALL
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect::<Vec<_>>()
        };
    }
    let mut all = BTreeMap::new();
    all.insert("OrderStatus", texts!(order::OrderStatus));
    all.insert("DeliveryMode", texts!(order::DeliveryMode));
    all.insert("Relationship", texts!(order::Relationship));
    all.insert("OrderAction", texts!(order::OrderAction));
    all.insert("ScreeningDecision", texts!(order::ScreeningDecision));
    all.insert("ReviewDecision", texts!(order::ReviewDecision));
    all.insert("Role", texts!(account::Role));
    all.insert("RequestKind", texts!(data_rights::RequestKind));
    all.insert("RequestStatus", texts!(data_rights::RequestStatus));
    all.insert("IdentityMethod", texts!(data_rights::IdentityMethod));
    all.insert("RequestDecision", texts!(data_rights::RequestDecision));
    all.insert("ConsentParty", texts!(consent::ConsentParty));
    all.insert("Modality", texts!(consent::Modality));
    all.insert("Purpose", texts!(consent::Purpose));
    all.insert("UseScope", texts!(consent::UseScope));
    all.insert("ConsentDecision", texts!(consent::ConsentDecision));
    all.insert("DocumentType", texts!(consent::DocumentType));
    all.insert("EntryKind", texts!(money::EntryKind));
    all.insert("SampleKind", texts!(sample::SampleKind));
    all.insert("DeliverableKind", texts!(sample::DeliverableKind));
    all.insert("SampleStatus", texts!(sample::SampleStatus));
    all.insert("UploadMode", texts!(sample::UploadMode));
    all.insert("IterationStatus", texts!(iteration::IterationStatus));
    all.insert("IterationAction", texts!(iteration::IterationAction));
    all.insert("SessionStatus", texts!(live_session::SessionStatus));
    all.insert(
        "DeliveryStatus",
        texts!(keepsake::db::outbox::DeliveryStatus),
    );
    all.insert("RiskFlag", serialized(&risk_flags()));
    all.insert("Fault", serialized(&ledger_faults()));
    all.insert("InvitationState", serialized(&invitation_states()));
    all
}

fn serialized<T: serde::Serialize>(values: &[T]) -> Vec<String> {
    values
        .iter()
        .map(|v| {
            serde_json::to_value(v)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

// The enums that only answer (serde `rename_all`, no `ALL`): each list is checked complete by
// an exhaustive match, so a new variant does not compile until it is listed here.
fn risk_flags() -> Vec<keepsake::domain::risk::RiskFlag> {
    use keepsake::domain::risk::RiskFlag::*;
    let all = vec![
        LivingSubjectNotCustomer,
        MinorSubject,
        PublicFigure,
        EvidenceMissing,
        SubjectRefused,
    ];
    for flag in &all {
        match flag {
            LivingSubjectNotCustomer
            | MinorSubject
            | PublicFigure
            | EvidenceMissing
            | SubjectRefused => {}
        }
    }
    all
}

fn ledger_faults() -> Vec<keepsake::domain::ledger::Fault> {
    use keepsake::domain::ledger::Fault::*;
    let all = vec![
        HashMismatch,
        PersonalDataAltered,
        GlobalLinkBroken,
        OrderLinkBroken,
        HeadMismatch,
    ];
    for fault in &all {
        match fault {
            HashMismatch | PersonalDataAltered | GlobalLinkBroken | OrderLinkBroken
            | HeadMismatch => {}
        }
    }
    all
}

fn invitation_states() -> Vec<keepsake::consents::InvitationState> {
    use keepsake::consents::InvitationState::*;
    let all = vec![Pending, Used, Expired];
    for state in &all {
        match state {
            Pending | Used | Expired => {}
        }
    }
    all
}

async fn document(app: &TestApp) -> Value {
    let reply = app
        .send_anonymous(Method::GET, "/api/openapi.json", &[], None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body
}

/// Every `$ref` anywhere in the document.
fn refs_in<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target);
            }
            map.values().for_each(|v| refs_in(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn every_schema_reference_resolves() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let mut found = Vec::new();
    refs_in(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("a reference outside the schemas: {target}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{target} names no schema"
        );
    }
}

/// Every `enum` anywhere in the document, with where it is.
fn enums_in(value: &Value, at: &str, found: &mut Vec<(String, Vec<String>)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get("enum") {
                let texts = values
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .unwrap_or_else(|| panic!("{at}: non-string enum value {v}"))
                            .to_owned()
                    })
                    .collect();
                found.push((at.to_owned(), texts));
            }
            for (k, v) in map {
                enums_in(v, &format!("{at}/{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                enums_in(v, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_enum_schema_is_the_set_of_strings_the_server_uses() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let server = server_enums();
    let mut found = Vec::new();
    enums_in(&doc, "", &mut found);
    let mut documented = BTreeMap::new();
    for (at, values) in found {
        // A tagged union's variants each carry their serde tag as a one-value enum (written by
        // utoipa's derive from serde's own `tag`, not from a macro): not a string enum schema.
        let tag = at.contains("/oneOf/") && at.contains("/properties/") && values.len() == 1;
        if tag {
            continue;
        }
        let name = at
            .strip_prefix("/components/schemas/")
            .filter(|name| !name.contains('/'))
            .unwrap_or_else(|| {
                panic!("an inline enum at {at}: enums are named schemas the test can check")
            });
        documented.insert(name.to_owned(), values);
    }
    let names: BTreeSet<&str> = documented.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = server.keys().copied().collect();
    assert_eq!(
        names, expected,
        "the document's enums and the server's enum types differ (a new enum needs a line in server_enums)"
    );
    for (name, values) in &documented {
        let mut doc_values = values.clone();
        let mut server_values = server[name.as_str()].clone();
        doc_values.sort();
        server_values.sort();
        assert_eq!(doc_values, server_values, "enum {name}");
    }
    // serde reads and writes exactly those strings.
    for text in &documented["Relationship"] {
        let parsed: keepsake::domain::order::Relationship =
            serde_json::from_value(json!(text)).unwrap();
        assert_eq!(serde_json::to_value(parsed).unwrap(), json!(text));
    }
    for text in &documented["Role"] {
        let parsed: Role = serde_json::from_value(json!(text)).unwrap();
        assert_eq!(serde_json::to_value(parsed).unwrap(), json!(text));
    }
}

#[tokio::test]
async fn body_enums_are_accepted_by_the_server() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let values = |name: &str| -> Vec<String> {
        doc["components"]["schemas"][name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an enum schema"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    for mode in values("DeliveryMode") {
        for relationship in values("Relationship") {
            let mut body = order_body(&mode);
            body["subject"]["requester_relationship"] = json!(relationship);
            if relationship == "self" {
                body["subject"]["living"] = json!(true);
                body["subject"]["living_twin"] = json!(true);
                body["subject"]["death_date"] = Value::Null;
            }
            let order = app.create_order(&body).await;
            assert_eq!(order["delivery_mode"], json!(mode));
            assert_eq!(
                order["subject"]["requester_relationship"],
                json!(relationship)
            );
        }
    }
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    for role in values("Role") {
        let created = app
            .send(
                Method::POST,
                "/api/v1/users",
                &[("authorization", &admin)],
                Some(&json!({
                    "email": format!("{role}-account@studio.example"),
                    "password": crate::helpers::TEST_PASSWORD,
                    "roles": [role],
                })),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "{role}: {:?}",
            created.body
        );
        assert_eq!(created.body["roles"], json!([role]));
    }
}

/// One documented operation.
struct Operation {
    method: Method,
    path: String,
    op: Value,
}

impl Operation {
    fn params(&self, place: &str) -> Vec<&Value> {
        self.op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter(|p| p["in"] == place).collect())
            .unwrap_or_default()
    }
    fn public(&self) -> bool {
        self.op["security"] == json!([])
    }
    fn documents(&self, status: StatusCode) -> bool {
        self.op["responses"]
            .as_object()
            .is_some_and(|r| r.contains_key(status.as_str()))
    }
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes())
                .unwrap_or_else(|_| panic!("{path}: {method} is not a method"));
            ops.push(Operation {
                method,
                path: path.clone(),
                op: op.clone(),
            });
        }
    }
    ops
}

/// Resolve a `$ref` and the `oneOf`/`anyOf` of a nullable; the schema a value must fit.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return resolve(doc, &doc["components"]["schemas"][name]);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array()
            && let Some(non_null) = options.iter().find(|s| s["type"] != "null")
        {
            return resolve(doc, non_null);
        }
    }
    schema
}

/// Values the schema says are valid (every one of an enum), as text for a path or query.
fn valid_values(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(doc, schema);
    if let Some(values) = schema["enum"].as_array() {
        return values
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let value = match (types.first().copied(), schema["format"].as_str()) {
        (_, Some("uuid")) => Uuid::new_v4().to_string(),
        (_, Some("date-time")) => chrono::Utc::now().to_rfc3339(),
        (_, Some("date")) => "2026-01-01".to_owned(),
        (Some("boolean"), _) => "true".to_owned(),
        (Some("integer"), _) => schema["minimum"].as_u64().unwrap_or(1).to_string(),
        _ => "x".to_owned(),
    };
    vec![value]
}

/// A value the schema refuses, when the schema refuses any text at all.
fn invalid_value(doc: &Value, schema: &Value) -> Option<String> {
    let schema = resolve(doc, schema);
    if schema.get("enum").is_some() {
        return Some("not_one_of_them".into());
    }
    match schema["format"].as_str() {
        Some("uuid") => Some("not-a-uuid".into()),
        Some("date-time") => Some("yesterday".into()),
        _ if schema["type"] == "integer" || schema["type"] == json!(["integer", "null"]) => {
            Some("many".into())
        }
        _ if schema["type"] == "boolean" => Some("perhaps".into()),
        _ => None,
    }
}

struct Caller<'a> {
    app: &'a TestApp,
    admin: String,
}

impl Caller<'_> {
    /// Call `op` with path values `path` and query `query`, with the headers it documents
    /// (valid values), as the admin unless `anonymous`; checks the answer is a documented one.
    async fn call(
        &self,
        op: &Operation,
        path: &BTreeMap<String, String>,
        query: &[(String, String)],
        anonymous: bool,
    ) -> Reply {
        let mut url = op.path.clone();
        for (name, value) in path {
            url = url.replace(&format!("{{{name}}}"), value);
        }
        if !query.is_empty() {
            let pairs: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencoding(v)))
                .collect();
            url = format!("{url}?{}", pairs.join("&"));
        }
        let key = Uuid::new_v4().to_string();
        let mut headers: Vec<(&str, &str)> = Vec::new();
        for header in op.params("header") {
            match header["name"].as_str().unwrap() {
                "If-Match" => headers.push(("if-match", "\"v1\"")),
                "Idempotency-Key" => headers.push(("idempotency-key", &key)),
                other => panic!("{}: a header the test does not know: {other}", op.name()),
            }
        }
        // Logging out ends the session it is sent with: give it one of its own.
        let own_session;
        let auth = if op.path == "/api/v1/auth/logout" {
            own_session = self.app.login("admin@studio.example").await;
            &own_session
        } else {
            &self.admin
        };
        if !anonymous {
            headers.push(("authorization", auth));
        }
        let body = op.op.get("requestBody").map(|_| json!({}));
        let reply = self
            .app
            .send_anonymous(op.method.clone(), &url, &headers, body.as_ref())
            .await;
        assert_ne!(
            reply.code(),
            "route_not_found",
            "{} ({url}) has no route",
            op.name()
        );
        assert!(
            op.documents(reply.status),
            "{} ({url}) answered {} {:?}, which it does not document",
            op.name(),
            reply.status,
            reply.body
        );
        if !reply.status.is_success() {
            assert_eq!(
                reply.headers["content-type"],
                "application/problem+json",
                "{} ({url}) answered {} as {:?}",
                op.name(),
                reply.status,
                reply.headers["content-type"]
            );
            let content = &op.op["responses"][reply.status.as_str()]["content"];
            assert_eq!(
                content["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{}: {} is not documented as a problem",
                op.name(),
                reply.status
            );
        }
        reply
    }
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Valid values for every path parameter of `op` (the first of an enum's).
fn valid_path(doc: &Value, op: &Operation) -> BTreeMap<String, String> {
    op.params("path")
        .into_iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_owned();
            let value = valid_values(doc, &p["schema"]).remove(0);
            (name, value)
        })
        .collect()
}

/// Values for the query parameters `op` requires.
fn required_query(doc: &Value, op: &Operation) -> Vec<(String, String)> {
    op.params("query")
        .into_iter()
        .filter(|p| p["required"] == true)
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_owned();
            let value = match name.as_str() {
                // A range must end after it starts.
                "from" => (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339(),
                _ => valid_values(doc, &p["schema"]).remove(0),
            };
            (name, value)
        })
        .collect()
}

#[tokio::test]
async fn every_operation_and_parameter_is_the_one_the_server_takes() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let admin = app
        .studio_member(
            "admin@studio.example",
            &[Role::Admin, Role::Staff, Role::Reviewer],
        )
        .await;
    let caller = Caller { app: &app, admin };
    let ops = operations(&doc);
    assert!(ops.len() > 50, "only {} operations documented", ops.len());
    for op in &ops {
        let name = op.name();
        // The path's `{names}` are exactly its documented path parameters.
        let in_template: BTreeSet<String> = op
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect();
        let documented: BTreeSet<String> = op
            .params("path")
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(in_template, documented, "{name}: path parameters");
        for p in op.op["parameters"].as_array().into_iter().flatten() {
            assert!(
                ["path", "query", "header"].contains(&p["in"].as_str().unwrap()),
                "{name}: parameter {p}"
            );
        }

        let path = valid_path(&doc, op);
        let required = required_query(&doc, op);

        // Security: anonymous callers get 401 exactly where a session is documented as needed.
        let anonymous = caller.call(op, &path, &required, true).await;
        assert_eq!(
            anonymous.status == StatusCode::UNAUTHORIZED,
            !op.public(),
            "{name}: documented security {} but answered {} without a session",
            op.op["security"],
            anonymous.status
        );

        // Valid path values reach the handler and invalid ones do not: a value the schema
        // refuses answers 404, and every value it allows (each of an enum's) answers otherwise
        // (the path extractor's `not_found`; handlers name what they did not find).
        for p in op.params("path") {
            let pname = p["name"].as_str().unwrap();
            let refused = match invalid_value(&doc, &p["schema"]) {
                Some(bad) => {
                    let mut values = path.clone();
                    values.insert(pname.to_owned(), bad.clone());
                    let reply = caller.call(op, &values, &required, false).await;
                    assert_eq!(
                        reply.status,
                        StatusCode::NOT_FOUND,
                        "{name}: {pname}={bad} is documented invalid but the route took it"
                    );
                    reply.code().to_owned()
                }
                None => "not_found".to_owned(),
            };
            for value in valid_values(&doc, &p["schema"]) {
                let mut values = path.clone();
                values.insert(pname.to_owned(), value.clone());
                let reply = caller.call(op, &values, &required, false).await;
                assert!(
                    reply.code() != refused && reply.code() != "not_found",
                    "{name}: {pname}={value} is documented valid but the route refused it: {:?}",
                    reply.body
                );
            }
        }

        // Each documented query parameter is one the handler knows, with each valid value;
        // an invalid value is refused.
        let query = op.params("query");
        for p in &query {
            let qname = p["name"].as_str().unwrap();
            for value in valid_values(&doc, &p["schema"]) {
                let mut pairs: Vec<(String, String)> = required
                    .iter()
                    .filter(|(k, _)| k != qname)
                    .cloned()
                    .collect();
                pairs.push((qname.to_owned(), value.clone()));
                let reply = caller.call(op, &path, &pairs, false).await;
                assert_ne!(
                    reply.code(),
                    "invalid_query",
                    "{name}: documented query parameter {qname}={value} refused: {:?}",
                    reply.body
                );
                if p["schema"].get("$ref").is_some()
                    || resolve(&doc, &p["schema"]).get("enum").is_some()
                {
                    assert_eq!(
                        reply.status,
                        StatusCode::OK,
                        "{name}: {qname}={value}: {:?}",
                        reply.body
                    );
                }
            }
            if let Some(bad) = invalid_value(&doc, &p["schema"]) {
                let mut pairs: Vec<(String, String)> = required
                    .iter()
                    .filter(|(k, _)| k != qname)
                    .cloned()
                    .collect();
                pairs.push((qname.to_owned(), bad.clone()));
                let reply = caller.call(op, &path, &pairs, false).await;
                assert_eq!(
                    reply.status,
                    StatusCode::BAD_REQUEST,
                    "{name}: {qname}={bad} is documented invalid but was taken"
                );
            }
            if let (Some(min), Some(max)) = (
                p["schema"]["minimum"].as_u64(),
                p["schema"]["maximum"].as_u64(),
            ) {
                for (value, ok) in [
                    (min, true),
                    (max, true),
                    (min.saturating_sub(1), false),
                    (max + 1, false),
                ] {
                    let mut pairs = required.clone();
                    pairs.push((qname.to_owned(), value.to_string()));
                    let reply = caller.call(op, &path, &pairs, false).await;
                    assert_eq!(
                        reply.status.is_success(),
                        ok,
                        "{name}: {qname}={value}: {:?}",
                        reply.body
                    );
                }
            }
        }
        // A parameter the document does not list: refused where the operation reads a query
        // string (so the document lists them all), never read where it documents none.
        let mut pairs = required.clone();
        pairs.push(("undocumented_probe".into(), "1".into()));
        let reply = caller.call(op, &path, &pairs, false).await;
        assert_eq!(
            reply.code() == "invalid_query",
            !query.is_empty(),
            "{name}: an undocumented query parameter answered {} {:?}",
            reply.status,
            reply.body
        );

        // Each documented header is read: a malformed one is refused.
        for header in op.params("header") {
            let hname = header["name"].as_str().unwrap();
            let long_key = "k".repeat(256);
            let key = Uuid::new_v4().to_string();
            let (if_match, idempotency_key) = match hname {
                "If-Match" => ("\"v1x\"", key.as_str()),
                _ => ("\"v1\"", long_key.as_str()),
            };
            let reply = caller
                .app
                .send(
                    op.method.clone(),
                    &fill(&op.path, &path),
                    &[
                        ("authorization", &caller.admin),
                        ("if-match", if_match),
                        ("idempotency-key", idempotency_key),
                    ],
                    op.op.get("requestBody").map(|_| json!({})).as_ref(),
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{name}: malformed {hname}: {:?}",
                reply.body
            );
        }
    }

    // A method a documented path does not list answers 405.
    let mut by_path: BTreeMap<&str, BTreeSet<Method>> = BTreeMap::new();
    for op in &ops {
        by_path
            .entry(&op.path)
            .or_default()
            .insert(op.method.clone());
    }
    for (path, methods) in by_path {
        let probe = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    Uuid::new_v4().to_string()
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if methods.contains(&method) {
                continue;
            }
            let reply = app.send(method.clone(), &probe, &[], None).await;
            assert_eq!(
                (reply.status, reply.code()),
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
                "{method} {path} is not documented but answered otherwise"
            );
        }
    }
}

fn fill(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut url = template.to_owned();
    for (name, value) in values {
        url = url.replace(&format!("{{{name}}}"), value);
    }
    url
}

/// Routes exist only through utoipa-axum's `routes!`, which takes only handlers with a
/// `#[utoipa::path]`: a route added any other way would be missing from the document.
#[test]
fn no_route_is_added_outside_the_document() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for needle in [
            ".route(",
            ".nest(",
            ".route_service(",
            ".nest_service(",
            "Router::new()",
        ] {
            let allowed = needle == "Router::new()"
                && text.contains("OpenApiRouter::new()")
                && !text
                    .replace("OpenApiRouter::new()", "")
                    .contains("Router::new()");
            assert!(
                allowed || !text.contains(needle),
                "{} adds a route with `{needle}`: add it with `routes!` and a #[utoipa::path]",
                path.display()
            );
        }
    }
}
