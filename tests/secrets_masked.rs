//! A planted secret, encryption key and token never show in full: not in check reports
//! (human, JSON, JUnit), refresh verdicts, credential views or the journal, even when the
//! implementation under test echoes them back.

mod common;

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use axum::Router;
use calsim::check::Report;
use calsim::scenario::suites::{self, AppCredentialTarget, SyncEndpointTarget};
use calsim::{Config, Profile};
use common::{config, start};
use serde_json::json;

const SECRET: &str = "planted-sync-secret-7f3a9c";
const KEY: &str = "planted-key-0123456789abcdefghij";
const TOKEN: &str = "ya29.planted-access-token-5e1d";

fn planted_config() -> Config {
    let mut config = config(Profile::Current);
    config.sync_secret = SECRET.to_owned();
    config.encryption_key = KEY.to_owned();
    config
}

/// Every way a report is rendered.
fn renderings(report: &Report) -> Vec<String> {
    vec![report.human(), report.json().to_string(), report.junit()]
}

fn assert_hidden(outputs: &[String], planted: &[&str]) {
    for output in outputs {
        for secret in planted {
            assert!(
                !output.contains(secret),
                "{secret} shows in full in:\n{output}"
            );
        }
    }
}

/// An endpoint that echoes every header and the planted token back in its body.
async fn echoing_server() -> String {
    async fn echo(headers: HeaderMap) -> (StatusCode, String) {
        let headers: Vec<String> = headers
            .iter()
            .map(|(name, value)| format!("{name}={}", value.to_str().unwrap_or_default()))
            .collect();
        (
            StatusCode::IM_A_TEAPOT,
            json!({"echo": headers, "access_token": TOKEN, "note": format!("my secret is {SECRET}")})
                .to_string(),
        )
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, Router::new().fallback(any(echo))).await });
    url
}

#[tokio::test]
async fn check_reports_mask_what_a_broken_implementation_echoes() {
    let url = echoing_server().await;

    let app_credential = suites::app_credential(&AppCredentialTarget {
        base_url: url.clone(),
        config: planted_config(),
        user_id: 1,
        app_slug: "google-calendar".to_owned(),
        missing_user_id: 2_147_483_000,
        timeout: Duration::from_secs(2),
    })
    .await
    .unwrap();
    let sync_endpoint = suites::sync_endpoint(&SyncEndpointTarget {
        url: format!("{url}/api/getToken"),
        config: planted_config(),
        user_id: 1,
        app_slug: "google-calendar".to_owned(),
        legacy_app_slug: None,
        timeout: Duration::from_secs(2),
    })
    .await
    .unwrap();

    for report in [app_credential, sync_endpoint] {
        assert!(report.failed() > 0, "the echoing endpoint fails checks");
        assert_hidden(&renderings(&report), &[SECRET, KEY, TOKEN]);
    }
}

#[tokio::test]
async fn credential_views_refresh_verdicts_and_the_journal_mask_tokens() {
    let partner = echoing_server().await;
    let mut config = planted_config();
    config.sync_endpoint = format!("{partner}/api/getToken");
    let simulator = start(config).await;
    let credential = simulator.calcom().store.insert_credential(
        Some(1),
        "zoom",
        "zoom_video",
        json!({"access_token": TOKEN, "refresh_token": "1//planted-refresh-token"}),
    );
    let client = reqwest::Client::new();
    let base = format!("{}/_calsim", simulator.url());

    let text = |method: reqwest::Method, path: String| {
        let request = client.request(method, format!("{base}{path}"));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };

    let outputs = vec![
        text(reqwest::Method::GET, "/credentials".to_owned()).await,
        text(
            reqwest::Method::GET,
            format!("/credentials/{}", credential.id),
        )
        .await,
        text(
            reqwest::Method::POST,
            format!("/credentials/{}/refresh", credential.id),
        )
        .await,
        text(reqwest::Method::GET, "/journal".to_owned()).await,
        text(reqwest::Method::GET, "/config".to_owned()).await,
    ];

    assert!(outputs[0].contains("ya29***"), "{}", outputs[0]);
    assert_hidden(&outputs, &[SECRET, KEY, TOKEN, "1//planted-refresh-token"]);
}
