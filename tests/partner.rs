//! The fake partner: the reference app's answers, scripted replies and faults, and a
//! full pull from the fake Cal.com to it.

mod common;

use std::time::Duration;

use calsim::partner::{Fault, Partner, PartnerConfig, Reply, Slugs, TokenStyle};
use calsim::{pull, Profile};
use common::{config, send, start};
use serde_json::json;

const SECRET: &str = "calsim-dev-sync-secret";

async fn partner(default_reply: Reply) -> Partner {
    Partner::builder()
        .config(PartnerConfig {
            default_reply,
            ..PartnerConfig::default()
        })
        .start()
        .await
        .unwrap()
}

async fn ask(partner: &Partner, headers: &[(&str, &str)], body: &str) -> common::Reply {
    let mut headers = headers.to_vec();
    headers.push(("content-type", "application/x-www-form-urlencoded"));
    send(
        "POST",
        &partner.sync_endpoint_url(),
        &headers,
        body.to_owned(),
    )
    .await
}

const GOOD: &str = "calcomUserId=1&appSlug=google-calendar";

#[tokio::test]
async fn answers_like_the_reference_partner_app() {
    let partner = partner(Reply::default()).await;
    let secret = [("calcom-credential-sync-secret", SECRET)];

    let missing = ask(&partner, &[], GOOD).await;
    let wrong = ask(&partner, &[("calcom-credential-sync-secret", "nope")], GOOD).await;
    let first = ask(&partner, &secret, GOOD).await;
    let second = ask(&partner, &secret, "calcomUserId=2&appSlug=zoom").await;
    let unhandled = ask(&partner, &secret, "calcomUserId=1&appSlug=hubspot").await;

    assert_eq!(
        (missing.status, missing.body.as_str()),
        (403, r#"{"message":"secret header not set"}"#)
    );
    assert_eq!(
        (wrong.status, wrong.body.as_str()),
        (403, r#"{"message":"Invalid secret"}"#)
    );
    assert_eq!(
        (first.status, first.body.as_str()),
        (
            200,
            r#"{"_1":true,"access_token":"calsim-partner-token-1"}"#
        )
    );
    assert_eq!(
        second.body,
        r#"{"_1":true,"access_token":"calsim-partner-token-2"}"#
    );
    assert_eq!(
        (unhandled.status, unhandled.body.as_str()),
        (500, r#"{"error":"Unhandled values"}"#)
    );
}

#[tokio::test]
async fn scripted_replies_are_answered_in_order_then_the_default() {
    let partner = partner(Reply::default()).await;
    let secret = [("calcom-credential-sync-secret", SECRET)];
    let script = json!([
        {"style": "static", "token": "fixed", "expiresIn": 3600, "refreshToken": "r"},
        {"fault": "empty", "status": 204},
        {"fault": "notJson"},
        {"fault": "noAccessToken"},
        {"fault": "invalidGrant"},
        {"style": "rotating", "token": "rot", "status": 500}
    ]);
    let queued = send(
        "POST",
        &format!("{}/_calsim/partner/replies", partner.url()),
        &[("content-type", "application/json")],
        script.to_string(),
    )
    .await;
    assert_eq!(queued.body, r#"{"queued":6}"#);

    let mut answers = Vec::new();
    for _ in 0..7 {
        let reply = ask(&partner, &secret, GOOD).await;
        answers.push((reply.status, reply.body));
    }

    assert_eq!(
        answers[0],
        (
            200,
            r#"{"access_token":"fixed","refresh_token":"r","expires_in":3600}"#.to_owned()
        )
    );
    assert_eq!(answers[1], (204, String::new()));
    assert_eq!(answers[2].0, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&answers[2].1).is_err());
    assert_eq!(
        answers[3],
        (200, r#"{"token":"calsim-partner-token-4"}"#.to_owned())
    );
    assert_eq!(answers[4], (400, r#"{"error":"invalid_grant"}"#.to_owned()));
    assert_eq!(answers[5], (500, r#"{"access_token":"rot-6"}"#.to_owned()));
    assert_eq!(
        answers[6],
        (
            200,
            r#"{"_1":true,"access_token":"calsim-partner-token-7"}"#.to_owned()
        )
    );
}

#[tokio::test]
async fn replies_past_the_queue_limit_are_refused_and_none_of_them_queued() {
    let partner = partner(Reply::default()).await;
    let url = format!("{}/_calsim/partner/replies", partner.url());
    let replies = |count: usize| {
        serde_json::Value::Array(vec![json!({"style": "static", "token": "t"}); count]).to_string()
    };

    let filled = send("POST", &url, &[], replies(calsim::partner::MAX_QUEUED - 1)).await;
    let over = send("POST", &url, &[], replies(2)).await;
    let last = send("POST", &url, &[], replies(1)).await;

    assert_eq!(filled.status, 201);
    assert_eq!(over.status, 413, "{over}");
    assert!(
        over.body
            .contains("9999 replies wait and 2 more would pass the limit of 10000"),
        "{over}"
    );
    assert_eq!((last.status, last.body.as_str()), (201, r#"{"queued":1}"#));
}

#[tokio::test]
async fn a_bad_script_is_refused_with_an_example() {
    let partner = partner(Reply::default()).await;

    let refused = send(
        "POST",
        &format!("{}/_calsim/partner/replies", partner.url()),
        &[],
        r#"{"fault":"explode"}"#,
    )
    .await;

    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("bad reply script"), "{refused}");
    assert!(refused.body.contains("hint"), "{refused}");
}

#[tokio::test]
async fn every_request_is_journaled_with_the_secret_masked() {
    let partner = partner(Reply::default()).await;

    ask(&partner, &[("calcom-credential-sync-secret", SECRET)], GOOD).await;
    let listed = send(
        "GET",
        &format!("{}/_calsim/partner/requests", partner.url()),
        &[],
        "",
    )
    .await;

    assert!(!listed.body.contains(SECRET), "{listed}");
    let entries: serde_json::Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(entries[0]["request"]["body"], GOOD);
    assert_eq!(entries[0]["response"]["status"], 200);
}

#[tokio::test]
async fn a_delay_holds_the_answer() {
    let partner = partner(Reply {
        delay_ms: 300,
        ..Reply::default()
    })
    .await;
    let impatient = reqwest::Client::new()
        .post(partner.sync_endpoint_url())
        .header("calcom-credential-sync-secret", SECRET)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(GOOD)
        .timeout(Duration::from_millis(100))
        .send()
        .await;

    let patient = ask(&partner, &[("calcom-credential-sync-secret", SECRET)], GOOD).await;

    assert!(
        impatient.is_err_and(|error| error.is_timeout()),
        "an answer held 300 ms cannot arrive within 100 ms"
    );
    assert_eq!(patient.status, 200);
}

async fn pull_once(partner: &Partner, app: &str, profile: Profile) -> pull::PullVerdict {
    let mut config = config(profile);
    config.sync_endpoint = partner.sync_endpoint_url();
    let simulator = start(config).await;
    let credential = simulator.calcom().store.insert_credential(
        Some(1),
        app,
        "test",
        json!({"access_token": "old", "refresh_token": "keep"}),
    );
    pull::pull(simulator.calcom(), credential.id).await.unwrap()
}

#[tokio::test]
async fn calsim_pulls_from_calsim_the_reference_reply_for_google_calendar() {
    let partner = partner(Reply::default()).await;

    let verdict = pull_once(&partner, "google-calendar", Profile::Current).await;

    let judgement = verdict.judgement.unwrap();
    assert!(judgement.accepted);
    assert_eq!(
        verdict.credential.key["access_token"],
        "calsim-partner-token-1"
    );
    assert_eq!(verdict.credential.key["refresh_token"], "keep");
    assert_eq!(verdict.credential.key["_1"], true);
    let received = partner.state().journal.entries(None);
    assert_eq!(
        received[0].request.body,
        "calcomUserId=1&appSlug=google-calendar"
    );
}

#[tokio::test]
async fn the_reference_reply_fails_the_legacy_path_of_other_apps() {
    let partner = Partner::builder()
        .config(PartnerConfig {
            slugs: Slugs::All,
            ..PartnerConfig::default()
        })
        .start()
        .await
        .unwrap();

    let verdict = pull_once(&partner, "hubspot", Profile::Current).await;

    let judgement = verdict.judgement.unwrap();
    assert!(!judgement.accepted);
    assert_eq!(
        judgement.error.as_deref(),
        Some("Invalid refreshed tokens were returned")
    );
    assert_eq!(verdict.credential.key["access_token"], "old");
}

#[tokio::test]
async fn rotating_tokens_change_on_every_pull() {
    let partner = partner(Reply {
        style: TokenStyle::Rotating,
        token: Some("rot".into()),
        expires_in: Some(60),
        ..Reply::default()
    })
    .await;
    let mut config = config(Profile::Current);
    config.sync_endpoint = partner.sync_endpoint_url();
    let simulator = start(config).await;
    let id = simulator
        .calcom()
        .store
        .insert_credential(Some(1), "zoom", "zoom_video", json!({}))
        .id;

    let first = pull::pull(simulator.calcom(), id).await.unwrap();
    let second = pull::pull(simulator.calcom(), id).await.unwrap();

    assert_eq!(first.credential.key["access_token"], "rot-1");
    assert_eq!(second.credential.key["access_token"], "rot-2");
}

#[tokio::test]
async fn an_invalid_grant_from_the_partner_invalidates_a_zoom_credential() {
    let partner = partner(Reply {
        fault: Some(Fault::InvalidGrant),
        ..Reply::default()
    })
    .await;

    let verdict = pull_once(&partner, "zoom", Profile::Current).await;

    assert!(verdict.credential.invalid);
}
