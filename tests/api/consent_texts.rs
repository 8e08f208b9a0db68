//! Consent texts: a fresh install has Keepsake's defaults (CN, every party, zh-CN and en);
//! admins publish immutable versions that supersede them; anyone reads the current ones.

use keepsake::domain::account::Role;
use keepsake::domain::consent::{ConsentParty, Modality, Purpose};
use keepsake::domain::consent_policy::{OrderFacts, Requirement, requirements};
use keepsake::domain::order::{DeliveryMode, Relationship};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, order_body, sha256_hex};

const V1: &str = "我同意工作室使用我母亲的照片与声音制作数字形象，仅供家人私下观看。";
const V2: &str = "我同意工作室使用我母亲的照片与声音制作数字形象，仅供家人私下观看，并可随时撤回。";

#[tokio::test]
async fn admins_publish_versions_and_anyone_reads_the_current_ones() {
    let app = TestApp::spawn().await;
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let publish = |body: &str, language: &str| {
        let (app, admin) = (&app, admin.clone());
        let payload = json!({ "jurisdiction": "CN", "party": "requester", "language": language, "body": body });
        async move {
            app.send(
                Method::POST,
                "/api/v1/consent-texts",
                &[("authorization", &admin)],
                Some(&payload),
            )
            .await
        }
    };
    let first = publish(V1, "zh-CN").await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["version"], 2, "the shipped default is version 1");
    assert_eq!(first.body["sha256"], sha256_hex(V1.as_bytes()));
    assert_eq!(first.body["default_text"], false);
    assert!(first.body["notes"].is_null());
    let second = publish(V2, "zh-CN").await;
    assert_eq!(second.body["version"], 3);
    let english = publish(
        "I agree to the studio building a likeness of my mother for private family viewing.",
        "en",
    )
    .await;
    assert_eq!(english.body["version"], 2);

    let current = app
        .send_anonymous(
            Method::GET,
            "/api/v1/consent-texts?jurisdiction=CN",
            &[],
            None,
        )
        .await;
    assert_eq!(current.status, StatusCode::OK);
    let items = current.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 10, "one current text per party and language");
    let requester: Vec<&Value> = items.iter().filter(|t| t["party"] == "requester").collect();
    let zh = requester.iter().find(|t| t["language"] == "zh-CN").unwrap();
    assert_eq!(
        (zh["version"].as_i64(), zh["body"].as_str()),
        (Some(3), Some(V2))
    );
    let en = requester.iter().find(|t| t["language"] == "en").unwrap();
    assert_eq!(
        en["version"], 2,
        "the admin's version supersedes the default"
    );
    let relative = items
        .iter()
        .find(|t| t["party"] == "relative" && t["language"] == "en")
        .unwrap();
    assert_eq!(
        relative["version"], 1,
        "defaults stay where nothing was published"
    );
    assert_eq!(relative["default_text"], true);

    let old = app
        .send_anonymous(
            Method::GET,
            &format!(
                "/api/v1/consent-texts/{}",
                first.body["id"].as_str().unwrap()
            ),
            &[],
            None,
        )
        .await;
    assert_eq!(
        old.body["body"], V1,
        "earlier versions stay readable and unchanged"
    );
    let none = app
        .send_anonymous(
            Method::GET,
            "/api/v1/consent-texts?jurisdiction=HK",
            &[],
            None,
        )
        .await;
    assert!(none.body["items"].as_array().unwrap().is_empty());

    let events = keepsake::audit::events_for(
        &app.state.db,
        second.body["id"].as_str().unwrap().parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(events[0].action, "consent_text.published");
}

#[tokio::test]
async fn only_admins_publish_and_bad_texts_are_refused() {
    let app = TestApp::spawn().await;
    let body =
        json!({ "jurisdiction": "CN", "party": "requester", "language": "zh-CN", "body": V1 });
    assert_eq!(
        app.post("/api/v1/consent-texts", &body).await.code(),
        "admins_only"
    );
    assert_eq!(
        app.send_anonymous(Method::POST, "/api/v1/consent-texts", &[], Some(&body))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    for bad in [
        json!({ "jurisdiction": "china", "party": "requester", "language": "zh-CN", "body": V1 }),
        json!({ "jurisdiction": "CN", "party": "requester", "language": "zh CN", "body": V1 }),
        json!({ "jurisdiction": "CN", "party": "requester", "language": "zh-CN", "body": "   " }),
    ] {
        let reply = app
            .send(
                Method::POST,
                "/api/v1/consent-texts",
                &[("authorization", &admin)],
                Some(&bad),
            )
            .await;
        assert_eq!(reply.code(), "invalid_consent_text", "{bad}");
    }
    let unknown_party =
        json!({ "jurisdiction": "CN", "party": "neighbour", "language": "zh-CN", "body": V1 });
    let reply = app
        .send(
            Method::POST,
            "/api/v1/consent-texts",
            &[("authorization", &admin)],
            Some(&unknown_party),
        )
        .await;
    assert_eq!(reply.code(), "invalid_body");
    let items = app.get("/api/v1/consent-texts").await.body["items"].clone();
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["default_text"] == true && t["version"] == 1),
        "nothing was published: {items}"
    );
}

/// Words each text must have for what the policy can ask of its party.
fn words(language: &str, modality: Option<Modality>, purpose: Option<Purpose>) -> &'static str {
    match (language, modality, purpose) {
        ("en", Some(Modality::Face), _) => "face",
        ("en", Some(Modality::Voice), _) => "voice",
        ("en", _, Some(Purpose::Training)) => "Training",
        ("en", _, Some(Purpose::Avatar)) => "avatar",
        ("en", _, Some(Purpose::LiveCall)) => "live call",
        ("en", _, Some(Purpose::FamilySharing)) => "within the family",
        ("en", _, Some(Purpose::Iterations)) => "Follow-ups",
        (_, Some(Modality::Face), _) => "面容",
        (_, Some(Modality::Voice), _) => "声音",
        (_, _, Some(Purpose::Training)) => "训练",
        (_, _, Some(Purpose::Avatar)) => "数字形象",
        (_, _, Some(Purpose::LiveCall)) => "实时视频通话",
        (_, _, Some(Purpose::FamilySharing)) => "家人间分享",
        (_, _, Some(Purpose::Iterations)) => "后续服务",
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_fresh_install_has_default_texts_for_everything_the_policy_asks() {
    let app = TestApp::spawn().await;
    let current = app
        .send_anonymous(
            Method::GET,
            "/api/v1/consent-texts?jurisdiction=CN",
            &[],
            None,
        )
        .await;
    let items = current.body["items"].as_array().unwrap().clone();
    let text = |party: ConsentParty, language: &str| {
        items
            .iter()
            .find(|t| t["party"] == party.as_str() && t["language"] == language)
            .unwrap_or_else(|| panic!("no {language} text for {party}"))
    };
    for party in ConsentParty::ALL.iter().copied() {
        for language in ["zh-CN", "en"] {
            let t = text(party, language);
            let body = t["body"].as_str().unwrap();
            assert_eq!(t["version"], 1);
            assert_eq!(
                t["sha256"],
                sha256_hex(body.as_bytes()),
                "hashed as published"
            );
            assert_eq!(t["default_text"], true);
            let note = t["notes"].as_str().unwrap();
            assert!(note.contains("lawyer") || note.contains("律师"), "{note}");
            // Scope and the rights every party has.
            let must = if language == "en" {
                ["commercial", "withdraw", "erased", "private"]
            } else {
                ["商业", "撤回", "删除", "私人"]
            };
            for word in must {
                assert!(body.contains(word), "{party} {language}: {word}");
            }
        }
    }
    // Every modality and purpose the policy can require of a party is in its texts.
    let mut facts = Vec::new();
    for mode in [DeliveryMode::MachineDriven, DeliveryMode::HumanDriven] {
        for relationship in Relationship::ALL.iter().copied() {
            for (living, twin) in [(false, false), (true, false), (true, true)] {
                facts.push(OrderFacts {
                    mode,
                    subject_living: living,
                    living_twin: twin,
                    requester_relationship: relationship,
                });
            }
        }
    }
    for fact in facts {
        for requirement in requirements(fact) {
            let Requirement::Consent {
                party,
                modalities,
                purposes,
                ..
            } = requirement
            else {
                continue;
            };
            for language in ["zh-CN", "en"] {
                let body = text(party, language)["body"].as_str().unwrap();
                for m in &modalities {
                    assert!(
                        body.contains(words(language, Some(*m), None)),
                        "{party} {language} {m}"
                    );
                }
                for p in &purposes {
                    assert!(
                        body.contains(words(language, None, Some(*p))),
                        "{party} {language} {p}"
                    );
                }
            }
        }
    }
    for language in ["zh-CN", "en"] {
        let requester = text(ConsentParty::Requester, language)["body"]
            .as_str()
            .unwrap();
        for p in Purpose::ALL {
            assert!(
                requester.contains(words(language, None, Some(*p))),
                "{language} {p}"
            );
        }
    }
    let trail = keepsake::audit::events_for(
        &app.state.db,
        text(ConsentParty::Actor, "en")["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(trail[0].action, "consent_text.published");
    assert_eq!(trail[0].actor, "system:migration");
}

#[tokio::test]
async fn a_fresh_install_takes_a_consent_without_an_admin() {
    let app = TestApp::spawn().await;
    let texts = app
        .send_anonymous(
            Method::GET,
            "/api/v1/consent-texts?jurisdiction=CN",
            &[],
            None,
        )
        .await;
    let default_text = texts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["party"] == "requester" && t["language"] == "zh-CN")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let signed = app
        .sign_requester(&order, &default_text, "machine_driven")
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);

    // Once the studio publishes its own, that one is current and the default is outdated.
    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let own = app
        .send(
            Method::POST,
            "/api/v1/consent-texts",
            &[("authorization", &admin)],
            Some(&json!({ "jurisdiction": "CN", "party": "requester", "language": "zh-CN", "body": V1 })),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
    let current = app.get("/api/v1/consent-texts?jurisdiction=CN").await;
    let requester_zh: Vec<&Value> = current.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["party"] == "requester" && t["language"] == "zh-CN")
        .collect();
    assert_eq!(requester_zh.len(), 1);
    assert_eq!(requester_zh[0]["id"], own.body["id"]);
    let second = app.create_order(&order_body("machine_driven")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outdated = app
        .sign_requester(&second, &default_text, "machine_driven")
        .await;
    assert_eq!(outdated.code(), "consent_text_outdated");
}
