//! The consent receipt: Kantara fields, every party, and the chain heads it was issued against.

use keepsake::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_receipt_lists_parties_purposes_and_the_chain_head_it_was_issued_against() {
    let app = TestApp::spawn().await;
    let texts = app.publish_consent_texts().await;
    let reviewer = app.reviewer("reviewer@studio.example").await;
    let order = app.screened_order("human_driven", &reviewer).await;
    let none = app
        .get(&format!("/api/v1/orders/{order}/consent-receipt"))
        .await;
    assert_eq!(none.code(), "no_consents");

    app.sign_requester(&order, &texts["requester"], "human_driven")
        .await;
    let invitation = app
        .invite(
            &order,
            &json!({ "party": "actor", "invitee_name": "Actor Wang" }),
        )
        .await;
    app.sign_invitation(
        invitation.body["path"].as_str().unwrap(),
        &json!({ "text_id": texts["actor"], "signer_name": "Wang Lei", "grants": { "modalities": ["face", "voice"], "purposes": ["live_call"] } }),
    )
    .await;
    let receipt = app
        .get(&format!("/api/v1/orders/{order}/consent-receipt"))
        .await;
    assert_eq!(receipt.status, StatusCode::OK, "{:?}", receipt.body);
    let r = &receipt.body;
    assert_eq!(r["version"], "KI-CR-v1.1.0");
    assert_eq!(r["jurisdiction"], "CN");
    assert!(r["consentReceiptID"].is_string());
    assert!(r["consentTimestamp"].is_i64());
    assert_eq!(r["sensitive"], true);
    assert_eq!(r["piiControllers"][0]["piiController"], "Keepsake Studio");
    let purposes: Vec<&str> = r["services"][0]["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purposeCategory"][0].as_str().unwrap())
        .collect();
    assert_eq!(purposes, ["training", "live_call"]);
    assert_eq!(r["scope"], json!(["interactive_chat", "private_viewing"]));
    let parties: Vec<&str> = r["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["party"].as_str().unwrap())
        .collect();
    assert_eq!(parties, ["requester", "actor"]);
    assert_eq!(r["parties"][1]["collectionMethod"], "invitation_link");
    assert_eq!(r["parties"][0]["textSha256"].as_str().unwrap().len(), 64);

    let admin = app
        .studio_member("admin@studio.example", &[Role::Admin])
        .await;
    let verified = app.verify_ledger(&admin).await;
    assert_eq!(r["chain"]["globalHeadHash"], verified["head_hash"]);
    assert_eq!(r["chain"]["globalHeadSeq"], verified["head_seq"]);
    assert_eq!(
        r["chain"]["orderEventCount"], 3,
        "screening + two signatures"
    );
    assert_eq!(
        r["parties"][1]["ledgerEventHash"],
        r["chain"]["orderHeadHash"]
    );

    let audit = app
        .send(
            Method::GET,
            &format!("/api/v1/audit?target_id={order}"),
            &[("authorization", &admin)],
            None,
        )
        .await;
    assert!(
        audit.body.to_string().contains("consent.receipt_issued"),
        "{}",
        audit.body
    );
}
