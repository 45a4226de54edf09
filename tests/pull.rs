//! The pull (Cal.com → partner): the exact request, and how each generation reads the
//! reply (`credential-sync.md` §5). The partner is a wiremock server.

mod common;

use std::time::Duration;

use calsim::pull::{self, is_expiring, ONE_YEAR_MS};
use calsim::{Config, Profile, Simulator};
use common::{config, start};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn partner_replying(template: ResponseTemplate) -> MockServer {
    let partner = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/getToken"))
        .respond_with(template)
        .mount(&partner)
        .await;
    partner
}

fn pulling_config(profile: Profile, partner: &MockServer) -> Config {
    let mut config = config(profile);
    config.sync_endpoint = format!("{}/api/getToken", partner.uri());
    config.pull_timeout = Duration::from_millis(500);
    config
}

async fn simulator_with_credential(config: Config, app: &str, key: Value) -> (Simulator, i64) {
    let simulator = start(config).await;
    let kind = format!("{}_test", app);
    let credential = simulator
        .calcom()
        .store
        .insert_credential(Some(1), app, &kind, key);
    (simulator, credential.id)
}

fn json_reply(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json")
}

#[tokio::test]
async fn the_pull_is_a_form_post_with_the_secret_header_exactly_as_calcom_sends_it() {
    let partner = partner_replying(json_reply(r#"{"access_token":"fresh"}"#)).await;
    let config = pulling_config(Profile::Current, &partner);
    let (simulator, id) =
        simulator_with_credential(config.clone(), "google-calendar", json!({})).await;

    pull::pull(simulator.calcom(), id).await.unwrap();

    let received = partner.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/api/getToken");
    assert_eq!(request.url.query(), None);
    assert_eq!(request.body, b"calcomUserId=1&appSlug=google-calendar");
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    assert_eq!(
        header("calcom-credential-sync-secret").as_deref(),
        Some(config.sync_secret.as_str())
    );
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded;charset=UTF-8")
    );
    assert_eq!(header("user-agent").as_deref(), Some("node"));
    assert_eq!(header("content-length").as_deref(), Some("38"));
}

#[tokio::test]
async fn generation_2023_09_pulls_without_a_secret_header_and_2024_02_uses_calcom_webhook_secret() {
    for (profile, header) in [
        (Profile::G1, None),
        (Profile::G2, Some("calcom-webhook-secret")),
    ] {
        let partner =
            partner_replying(json_reply(r#"{"access_token":"a","expires_in":3600}"#)).await;
        let (simulator, id) =
            simulator_with_credential(pulling_config(profile, &partner), "hubspot", json!({}))
                .await;

        pull::pull(simulator.calcom(), id).await.unwrap();

        let received = partner.received_requests().await.unwrap();
        let secret_headers: Vec<&str> = received[0]
            .headers
            .keys()
            .map(|name| name.as_str())
            .filter(|name| name.contains("secret"))
            .collect();
        assert_eq!(
            secret_headers,
            header.into_iter().collect::<Vec<_>>(),
            "profile {profile}"
        );
    }
}

#[tokio::test]
async fn reference_partner_reply_is_accepted_for_a_year_and_merged_into_the_stored_key() {
    let partner = partner_replying(json_reply(r#"{"_1":true,"access_token":"fresh"}"#)).await;
    let old = json!({"access_token": "old", "refresh_token": "keep-me", "expiry_date": 1});
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "google-calendar",
        old,
    )
    .await;
    let now = simulator.calcom().clock.now_ms();

    let verdict = pull::pull(simulator.calcom(), id).await.unwrap();

    let judgement = verdict.judgement.unwrap();
    assert!(judgement.accepted);
    let key = &verdict.credential.key;
    assert_eq!(key["access_token"], "fresh");
    assert_eq!(key["refresh_token"], "keep-me");
    assert_eq!(key["_1"], true, "the reference app's `_1` is persisted");
    let expiry = key["expiry_date"].as_i64().unwrap();
    assert!(
        (now + ONE_YEAR_MS..now + ONE_YEAR_MS + 5_000).contains(&expiry),
        "{expiry}"
    );
    assert!(judgement
        .deviations
        .iter()
        .any(|d| d.contains("valid for one year")));
    assert!(judgement.deviations.iter().any(|d| d.contains("_1")));
    assert_eq!(simulator.calcom().store.credential(id).unwrap().key, *key);
}

#[tokio::test]
async fn expires_in_becomes_expiry_date_and_is_deleted() {
    let partner = partner_replying(json_reply(r#"{"access_token":"a","expires_in":3600}"#)).await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({}),
    )
    .await;
    let now = simulator.calcom().clock.now_ms();

    let key = pull::pull(simulator.calcom(), id)
        .await
        .unwrap()
        .credential
        .key;

    assert!(key.get("expires_in").is_none());
    let expiry = key["expiry_date"].as_i64().unwrap();
    assert!(
        (now + 3_600_000..now + 3_605_000).contains(&expiry),
        "{expiry}"
    );
}

#[tokio::test]
async fn oauth_manager_ignores_the_status_but_reports_it() {
    let partner = partner_replying(ResponseTemplate::new(500).set_body_raw(
        r#"{"access_token":"a","expiry_date":99}"#,
        "application/json",
    ))
    .await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "google-calendar",
        json!({}),
    )
    .await;

    let verdict = pull::pull(simulator.calcom(), id).await.unwrap();

    assert_eq!(verdict.status, Some(500));
    let judgement = verdict.judgement.unwrap();
    assert!(judgement.accepted);
    assert!(
        judgement.deviations[0].contains("HTTP status 500"),
        "{:?}",
        judgement.deviations
    );
    assert_eq!(verdict.credential.key["expiry_date"], 99);
}

#[tokio::test]
async fn empty_body_is_invalid_token_response_and_keeps_the_key() {
    let partner = partner_replying(ResponseTemplate::new(200)).await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({"access_token": "old"}),
    )
    .await;

    let verdict = pull::pull(simulator.calcom(), id).await.unwrap();

    let judgement = verdict.judgement.unwrap();
    assert!(!judgement.accepted);
    assert_eq!(judgement.error.as_deref(), Some("Invalid token response"));
    assert_eq!(verdict.credential.key, json!({"access_token": "old"}));
}

#[tokio::test]
async fn reply_without_access_token_is_invalid_token_response() {
    let partner = partner_replying(json_reply(r#"{"token":"a"}"#)).await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({}),
    )
    .await;

    let judgement = pull::pull(simulator.calcom(), id)
        .await
        .unwrap()
        .judgement
        .unwrap();

    assert!(!judgement.accepted);
    assert_eq!(judgement.error.as_deref(), Some("Invalid token response"));
}

#[tokio::test]
async fn non_json_reply_is_a_syntax_error() {
    let partner =
        partner_replying(ResponseTemplate::new(200).set_body_string("<html>oops</html>")).await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({}),
    )
    .await;

    let judgement = pull::pull(simulator.calcom(), id)
        .await
        .unwrap()
        .judgement
        .unwrap();

    assert!(!judgement.accepted);
    assert!(judgement.error.unwrap().starts_with("SyntaxError"));
}

#[tokio::test]
async fn legacy_apps_need_a_numeric_field_and_get_the_refresh_token_placeholder() {
    let partner = partner_replying(json_reply(r#"{"_1":true,"access_token":"fresh"}"#)).await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "hubspot",
        json!({}),
    )
    .await;

    let refused = pull::pull(simulator.calcom(), id)
        .await
        .unwrap()
        .judgement
        .unwrap();

    assert!(!refused.accepted);
    assert_eq!(
        refused.error.as_deref(),
        Some("Invalid refreshed tokens were returned")
    );

    let partner = partner_replying(json_reply(r#"{"access_token":"fresh","expires_in":60}"#)).await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "hubspot",
        json!({}),
    )
    .await;

    let accepted = pull::pull(simulator.calcom(), id).await.unwrap();

    assert!(accepted.judgement.unwrap().accepted);
    assert_eq!(
        accepted.credential.key,
        json!({"access_token": "fresh", "expires_in": 60, "refresh_token": "refresh_token"})
    );
}

#[tokio::test]
async fn generation_2023_09_keeps_only_the_access_token() {
    let partner = partner_replying(json_reply(
        r#"{"access_token":"a","expiry_date":5,"refresh_token":"r"}"#,
    ))
    .await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::G1, &partner),
        "google-calendar",
        json!({}),
    )
    .await;

    let key = pull::pull(simulator.calcom(), id)
        .await
        .unwrap()
        .credential
        .key;

    assert_eq!(
        key,
        json!({"access_token": "a", "refresh_token": "refresh_token"})
    );
}

#[tokio::test]
async fn zoom_invalid_grant_marks_the_credential_invalid() {
    let partner = partner_replying(
        ResponseTemplate::new(400).set_body_raw(r#"{"error":"invalid_grant"}"#, "application/json"),
    )
    .await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({}),
    )
    .await;

    let verdict = pull::pull(simulator.calcom(), id).await.unwrap();

    assert!(verdict.credential.invalid);
    assert!(simulator.calcom().store.credential(id).unwrap().invalid);
}

#[tokio::test]
async fn zoho_bigin_sends_the_credential_id_as_the_user_id() {
    let partner = partner_replying(json_reply(r#"{"access_token":"a","expires_in":1}"#)).await;
    let simulator = start(pulling_config(Profile::Current, &partner)).await;
    let store = &simulator.calcom().store;
    store.insert_credential(Some(1), "zoom", "zoom_video", json!({}));
    let bigin = store.insert_credential(Some(1), "zoho-bigin", "zoho-bigin_crm", json!({}));

    pull::pull(simulator.calcom(), bigin.id).await.unwrap();

    let received = partner.received_requests().await.unwrap();
    assert_eq!(received[0].body, b"calcomUserId=2&appSlug=zoho-bigin");
}

#[tokio::test]
async fn a_slow_partner_times_out_with_oauth_managers_message() {
    let partner = partner_replying(json_reply("{}").set_delay(Duration::from_secs(3))).await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({"access_token": "old"}),
    )
    .await;
    let verdict = pull::pull(simulator.calcom(), id).await.unwrap();

    let error = verdict.network_error.unwrap();
    assert!(
        error.starts_with("Could not refresh the token due to connection issue with the endpoint:"),
        "{error}"
    );
    assert!(error.contains("no answer within 500 ms"), "{error}");
    assert_eq!(verdict.credential.key, json!({"access_token": "old"}));
}

/// A partner whose sync endpoint redirects with `status` to `/moved`, which answers
/// `moved_method` requests with a token.
async fn redirecting_partner(status: u16, moved_method: &str) -> MockServer {
    let partner = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/getToken"))
        .respond_with(ResponseTemplate::new(status).insert_header("location", "/moved"))
        .mount(&partner)
        .await;
    Mock::given(method(moved_method))
        .and(path("/moved"))
        .respond_with(json_reply(r#"{"access_token":"after-redirect"}"#))
        .mount(&partner)
        .await;
    partner
}

#[tokio::test]
async fn a_307_redirect_is_followed_with_the_post_and_its_body_as_nodes_fetch_does() {
    let partner = redirecting_partner(307, "POST").await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({}),
    )
    .await;

    let verdict = pull::pull(simulator.calcom(), id).await.unwrap();

    assert_eq!(verdict.status, Some(200));
    assert_eq!(verdict.credential.key["access_token"], "after-redirect");
    let requests = partner.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].method.as_str(), "POST");
    assert_eq!(requests[1].body, b"calcomUserId=1&appSlug=zoom");
    let judgement = verdict.judgement.unwrap();
    assert!(judgement
        .deviations
        .iter()
        .any(|deviation| deviation.contains("redirected")));
}

#[tokio::test]
async fn a_302_redirect_turns_the_pull_into_a_get_without_a_body() {
    let partner = redirecting_partner(302, "GET").await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({}),
    )
    .await;

    let verdict = pull::pull(simulator.calcom(), id).await.unwrap();

    assert_eq!(verdict.credential.key["access_token"], "after-redirect");
    let requests = partner.received_requests().await.unwrap();
    assert_eq!(requests[1].method.as_str(), "GET");
    assert!(requests[1].body.is_empty());
}

#[tokio::test]
async fn a_gzip_reply_is_decoded_and_a_utf8_bom_is_skipped() {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gzip,
        "\u{feff}{\"access_token\":\"zipped\"}".as_bytes(),
    )
    .unwrap();
    let compressed = gzip.finish().unwrap();
    let partner = partner_replying(
        ResponseTemplate::new(200)
            .insert_header("content-encoding", "gzip")
            .set_body_raw(compressed, "application/json"),
    )
    .await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({}),
    )
    .await;

    let verdict = pull::pull(simulator.calcom(), id).await.unwrap();

    assert!(verdict.judgement.unwrap().accepted);
    assert_eq!(verdict.credential.key["access_token"], "zipped");
}

#[tokio::test]
async fn a_dead_partner_is_a_connection_error() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = dead.local_addr().unwrap();
    drop(dead);
    let mut config = config(Profile::Current);
    config.sync_endpoint = format!("http://{address}/api/getToken");
    let (simulator, id) = simulator_with_credential(config, "zoom", json!({})).await;

    let verdict = pull::pull(simulator.calcom(), id).await.unwrap();

    assert!(verdict.network_error.unwrap().contains("connection failed"));
    assert_eq!(simulator.calcom().journal.entries(None).len(), 1);
}

#[tokio::test]
async fn control_api_refresh_answers_the_verdict_and_409_without_an_endpoint() {
    let partner =
        partner_replying(json_reply(r#"{"access_token":"fresh","expiry_date":42}"#)).await;
    let (simulator, id) = simulator_with_credential(
        pulling_config(Profile::Current, &partner),
        "zoom",
        json!({}),
    )
    .await;
    let (idle, idle_id) =
        simulator_with_credential(config(Profile::Current), "zoom", json!({})).await;
    let client = reqwest::Client::new();

    let verdict: Value = client
        .post(format!(
            "{}/_calsim/credentials/{id}/refresh",
            simulator.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused = client
        .post(format!(
            "{}/_calsim/credentials/{idle_id}/refresh",
            idle.url()
        ))
        .send()
        .await
        .unwrap();

    assert_eq!(verdict["judgement"]["accepted"], true);
    assert_eq!(
        verdict["credential"]["key"]["access_token"], "***",
        "the stored token, masked in the verdict"
    );
    assert_eq!(verdict["request"]["body"], "calcomUserId=1&appSlug=zoom");
    assert_eq!(refused.status(), 409);
    let refused: Value = refused.json().await.unwrap();
    assert!(refused["error"]
        .as_str()
        .unwrap()
        .contains("CALCOM_CREDENTIAL_SYNC_ENDPOINT"));
}

#[tokio::test]
async fn an_expired_credential_is_pulled_by_the_automatic_refresh() {
    let partner =
        partner_replying(json_reply(r#"{"access_token":"fresh","expires_in":3600}"#)).await;
    let config = pulling_config(Profile::Current, &partner);
    let now = calsim::Clock::default().now_ms();
    let (simulator, id) = simulator_with_credential(
        config,
        "zoom",
        json!({"access_token": "old", "expiry_date": now + 3_600_000}),
    )
    .await;
    let mut backoff = pull::RefreshBackoff::default();

    let while_valid = pull::refresh_expiring(simulator.calcom(), &mut backoff).await;
    pull::expire(simulator.calcom(), id).unwrap();
    let once_expired = pull::refresh_expiring(simulator.calcom(), &mut backoff).await;
    let after = pull::refresh_expiring(simulator.calcom(), &mut backoff).await;

    assert!(while_valid.is_empty(), "a valid token is not pulled");
    assert_eq!(once_expired, [id]);
    assert!(after.is_empty(), "the fresh token is valid for an hour");
    assert_eq!(
        simulator.calcom().store.credential(id).unwrap().key["access_token"],
        "fresh"
    );
    assert_eq!(partner.received_requests().await.unwrap().len(), 1);
}

#[test]
fn expiry_follows_oauth_manager_and_google_rules() {
    let now = 1_700_000_000_000;
    assert!(
        is_expiring("zoom", &json!({}), now),
        "no expiry counts as expired"
    );
    assert!(
        !is_expiring("google-calendar", &json!({}), now),
        "Google: no expiry is not expiring"
    );
    assert!(is_expiring(
        "zoom",
        &json!({"expiry_date": now + 4_999}),
        now
    ));
    assert!(!is_expiring(
        "zoom",
        &json!({"expiry_date": now + 5_001}),
        now
    ));
    assert!(is_expiring(
        "google-calendar",
        &json!({"expiry_date": now + 60_000}),
        now
    ));
    assert!(!is_expiring(
        "google-calendar",
        &json!({"expiry_date": now + 60_001}),
        now
    ));
    assert!(
        !is_expiring("zoom", &json!({"expires_in": (now + 10_000) / 1000}), now),
        "expires_in > 1e9 is epoch seconds"
    );
    assert!(
        is_expiring("zoom", &json!({"expires_in": 3600}), now),
        "a small expires_in is not an epoch"
    );
}
