//! `calsim check sync-endpoint` passes a correct partner and catches each deliberately
//! broken one, naming the rule broken and the fix.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use calsim::check::Report;
use calsim::partner::{Fault, Partner, PartnerConfig, Reply, Slugs};
use calsim::scenario::suites::{sync_endpoint as run, SyncEndpointTarget};
use calsim::Config;
use serde_json::{json, Value};

const SECRET: &str = "calsim-dev-sync-secret";

fn target(url: String) -> SyncEndpointTarget {
    SyncEndpointTarget {
        url,
        config: Config::default(),
        user_id: 1,
        app_slug: "google-calendar".to_owned(),
        legacy_app_slug: Some("hubspot".to_owned()),
        timeout: Duration::from_millis(500),
    }
}

/// A correct partner: checks the secret, answers a token with an expiry for any app.
async fn good_partner(reply: Reply, queued: Vec<Reply>) -> Partner {
    let partner = Partner::builder()
        .config(PartnerConfig {
            default_reply: reply,
            slugs: Slugs::All,
            ..PartnerConfig::default()
        })
        .start()
        .await
        .unwrap();
    partner.state().enqueue(queued).unwrap();
    partner
}

fn expiring() -> Reply {
    Reply {
        expires_in: Some(3600),
        style: calsim::partner::TokenStyle::Rotating,
        ..Reply::default()
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/getToken", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn assert_fails_exactly(report: &Report, expected: &[&str]) {
    let expected: Vec<String> = expected
        .iter()
        .map(|id| format!("sync-endpoint/{id}"))
        .collect();
    assert_eq!(report.failed_ids(), expected, "\n{}", report.human());
    for check in report.checks.iter().filter(|check| check.failed()) {
        assert!(check.line().contains("; fix: "), "{}", check.line());
    }
}

#[tokio::test]
async fn a_correct_partner_passes_every_check() {
    let partner = good_partner(expiring(), vec![]).await;

    let report = run(&target(partner.sync_endpoint_url())).await.unwrap();

    assert_eq!(report.failed(), 0, "{}", report.human());
    assert_eq!(report.checks.len(), 6);
    assert!(report.human().ends_with("6 passed, 0 failed\n"));
}

#[tokio::test]
async fn the_reference_apps_reply_passes_with_warnings_but_fails_legacy_apps() {
    let partner = good_partner(Reply::default(), vec![]).await;

    let report = run(&target(partner.sync_endpoint_url())).await.unwrap();

    assert_fails_exactly(&report, &["legacy-app-reply"]);
    let human = report.human();
    assert!(
        human.contains("WARN sync-endpoint/answers-a-valid-pull"),
        "{human}"
    );
    assert!(human.contains("valid for one year"), "{human}");
    assert!(
        human.contains("Invalid refreshed tokens were returned"),
        "{human}"
    );
}

#[tokio::test]
async fn catches_a_reply_without_access_token() {
    let partner = good_partner(
        Reply {
            fault: Some(Fault::NoAccessToken),
            ..expiring()
        },
        vec![],
    )
    .await;

    let report = run(&target(partner.sync_endpoint_url())).await.unwrap();

    assert_fails_exactly(
        &report,
        &["answers-a-valid-pull", "answers-again", "legacy-app-reply"],
    );
    assert!(report.human().contains("Invalid token response"));
}

#[tokio::test]
async fn catches_a_reply_that_is_not_json() {
    let partner = good_partner(
        Reply {
            fault: Some(Fault::NotJson),
            ..expiring()
        },
        vec![],
    )
    .await;

    let report = run(&target(partner.sync_endpoint_url())).await.unwrap();

    assert_fails_exactly(
        &report,
        &[
            "answers-a-valid-pull",
            "replies-with-json",
            "answers-again",
            "legacy-app-reply",
        ],
    );
}

#[tokio::test]
async fn catches_a_partner_that_answers_only_once() {
    let broken = Reply {
        status: Some(500),
        fault: Some(Fault::Empty),
        ..Reply::default()
    };
    let partner = good_partner(broken, vec![expiring()]).await;

    let report = run(&target(partner.sync_endpoint_url())).await.unwrap();

    assert_fails_exactly(&report, &["answers-again", "legacy-app-reply"]);
}

/// Mints a token whatever the headers say.
async fn no_secret_check() -> Json<Value> {
    Json(json!({"access_token": "leaked", "expires_in": 3600}))
}

#[tokio::test]
async fn catches_a_partner_that_never_checks_the_secret() {
    let url = serve(Router::new().route("/api/getToken", post(no_secret_check))).await;

    let report = run(&target(url)).await.unwrap();

    assert_fails_exactly(&report, &["rejects-missing-secret", "rejects-wrong-secret"]);
    assert!(report.human().contains("fix: compare the `calcom-credential-sync-secret` header with CALCOM_CREDENTIAL_SYNC_SECRET"));
}

/// Checks only that the header is present.
async fn presence_only(headers: HeaderMap) -> (StatusCode, Json<Value>) {
    if headers.contains_key("calcom-credential-sync-secret") {
        (
            StatusCode::OK,
            Json(json!({"access_token": "t", "expires_in": 60})),
        )
    } else {
        (
            StatusCode::FORBIDDEN,
            Json(json!({"message": "secret header not set"})),
        )
    }
}

#[tokio::test]
async fn catches_a_partner_that_accepts_any_secret_value() {
    let url = serve(Router::new().route("/api/getToken", post(presence_only))).await;

    let report = run(&target(url)).await.unwrap();

    assert_fails_exactly(&report, &["rejects-wrong-secret"]);
}

/// Reads `calcomUserId` from a JSON body, which Cal.com never sends.
async fn json_body_only(headers: HeaderMap, body: String) -> (StatusCode, Json<Value>) {
    let secret_ok = headers
        .get("calcom-credential-sync-secret")
        .is_some_and(|value| value == SECRET);
    if !secret_ok {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"message": "Invalid secret"})),
        );
    }
    match serde_json::from_str::<Value>(&body) {
        Ok(body) if body.get("calcomUserId").is_some() => (
            StatusCode::OK,
            Json(json!({"access_token": "t", "expires_in": 60})),
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "Unhandled values"})),
        ),
    }
}

#[tokio::test]
async fn catches_a_partner_that_expects_json_instead_of_the_form_body() {
    let url = serve(Router::new().route("/api/getToken", post(json_body_only))).await;

    let report = run(&target(url)).await.unwrap();

    assert_fails_exactly(
        &report,
        &["answers-a-valid-pull", "answers-again", "legacy-app-reply"],
    );
    assert!(
        report
            .human()
            .contains(r#"found 500 {"error":"Unhandled values"}"#),
        "{}",
        report.human()
    );
}

#[tokio::test]
async fn catches_a_slow_partner_without_waiting_for_it() {
    let partner = good_partner(
        Reply {
            delay_ms: 2_000,
            ..expiring()
        },
        vec![],
    )
    .await;
    let report = run(&target(partner.sync_endpoint_url())).await.unwrap();

    assert!(
        report.human().contains("no answer within 500 ms"),
        "the check gives up at its timeout:\n{}",
        report.human()
    );
    assert!(
        report
            .failed_ids()
            .contains(&"sync-endpoint/answers-a-valid-pull"),
        "{}",
        report.human()
    );
    assert!(
        report.human().contains("no answer within 500 ms"),
        "{}",
        report.human()
    );
}

#[tokio::test]
async fn a_refused_connection_is_an_error_not_a_report() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/getToken", dead.local_addr().unwrap());
    drop(dead);

    let error = run(&target(url)).await.unwrap_err();

    assert!(error.to_string().contains("connection failed"), "{error}");
}
