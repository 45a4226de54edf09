//! Pushing credentials as a partner: against the fake Cal.com, and byte-checked against
//! a wiremock server; slow, dead and redirecting peers.

mod common;

use std::time::Duration;

use calsim::crypto::{symmetric_decrypt, EncryptionKey};
use calsim::push::{push_credential, PushOptions, Via};
use calsim::{Config, Error, Journal, Profile};
use common::{config, start};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn options(base_url: &str, via: Via) -> PushOptions {
    let defaults = Config::default();
    PushOptions {
        base_url: base_url.to_owned(),
        user_id: 1,
        app_slug: "google-calendar".to_owned(),
        token_json: r#"{"access_token":"abc","expiry_date":1700000000000}"#.to_owned(),
        encryption_key: defaults.encryption_key,
        secret: defaults.sync_secret,
        header_name: "calcom-credential-sync-secret".to_owned(),
        via,
        api_key: defaults.admin_api_key,
        timeout: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn a_webhook_push_creates_then_updates() {
    let simulator = start(config(Profile::Current)).await;
    let options = options(&simulator.url(), Via::Webhook);

    let first = push_credential(&options, None).await.unwrap();
    let second = push_credential(&options, None).await.unwrap();

    assert_eq!(
        (first.status, first.body.as_str()),
        (200, r#"{"message":"Credentials created for userId: 1"}"#)
    );
    assert_eq!(
        second.body,
        r#"{"message":"Credentials updated for userId: 1"}"#
    );
    let stored = simulator.calcom().store.credentials(Some(1), None);
    assert_eq!(
        stored[0].key.to_string(),
        r#"{"access_token":"abc","expiry_date":1700000000000}"#
    );
}

#[tokio::test]
async fn an_api_v1_push_inserts() {
    let simulator = start(config(Profile::Current)).await;

    let outcome = push_credential(&options(&simulator.url(), Via::ApiV1), None)
        .await
        .unwrap();

    assert_eq!(
        outcome.body,
        r#"{"credential":{"id":1,"type":"google_calendar"}}"#
    );
    assert!(outcome.accepted());
}

#[tokio::test]
async fn a_refused_push_is_an_outcome_not_an_error() {
    let simulator = start(config(Profile::Current)).await;
    let mut options = options(&simulator.url(), Via::Webhook);
    options.secret = "wrong".to_owned();

    let outcome = push_credential(&options, None).await.unwrap();

    assert_eq!((outcome.status, outcome.accepted()), (403, false));
}

#[tokio::test]
async fn the_api_v1_request_is_exactly_what_calcoms_reference_partner_sends() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/credential-sync"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    let options = options(&server.uri(), Via::ApiV1);

    push_credential(&options, None).await.unwrap();

    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        received.url.query(),
        Some("apiKey=cal_calsim_admin_key&userId=1")
    );
    assert_eq!(
        received.headers["calcom-credential-sync-secret"],
        "calsim-dev-sync-secret"
    );
    assert_eq!(received.headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&received.body).unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["appSlug", "encryptedKey"]);
    let key = EncryptionKey::from_env_string(&options.encryption_key).unwrap();
    let plaintext = symmetric_decrypt(body["encryptedKey"].as_str().unwrap(), &key).unwrap();
    assert_eq!(plaintext, options.token_json);
}

#[tokio::test]
async fn the_webhook_body_has_userid_appslug_keys_in_that_order() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/webhook/app-credential"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let journal = Journal::default();

    push_credential(&options(&server.uri(), Via::Webhook), Some(&journal))
        .await
        .unwrap();

    let body =
        String::from_utf8(server.received_requests().await.unwrap()[0].body.clone()).unwrap();
    assert!(
        body.starts_with(r#"{"userId":1,"appSlug":"google-calendar","keys":""#),
        "{body}"
    );
    let recorded = serde_json::to_string(&*journal.entries(None)[0]).unwrap();
    assert!(!recorded.contains("calsim-dev-sync-secret"), "{recorded}");
}

#[tokio::test]
async fn a_slow_calcom_times_out_quickly_with_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let mut options = options(&server.uri(), Via::Webhook);
    options.timeout = Duration::from_millis(300);
    let error = push_credential(&options, None).await.unwrap_err();

    assert!(matches!(&error, Error::Peer { .. }), "{error:?}");
    assert!(
        error.to_string().contains("no answer within 300 ms"),
        "{error}"
    );
}

#[tokio::test]
async fn a_redirect_is_reported_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", "http://127.0.0.1:9/elsewhere"),
        )
        .mount(&server)
        .await;

    let outcome = push_credential(&options(&server.uri(), Via::Webhook), None)
        .await
        .unwrap();

    assert_eq!(outcome.status, 307);
    assert!(!outcome.accepted());
}

#[tokio::test]
async fn a_dead_calcom_is_a_connection_error_naming_the_url() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);

    let error = push_credential(&options(&url, Via::ApiV1), None)
        .await
        .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("connection failed"), "{message}");
    assert!(message.contains(&url), "{message}");
    assert!(
        !message.contains("cal_calsim_admin_key"),
        "the API key is masked: {message}"
    );
}

#[tokio::test]
async fn a_key_of_the_wrong_length_fails_before_sending() {
    let mut options = options("http://127.0.0.1:9", Via::Webhook);
    options.encryption_key = "short".to_owned();

    let error = push_credential(&options, None).await.unwrap_err();

    assert!(
        error
            .to_string()
            .contains("encryption key has 5 characters"),
        "{error}"
    );
}
