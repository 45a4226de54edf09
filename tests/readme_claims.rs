//! The README's smaller promises, one test each: what it says the control API, API v1,
//! the v2 API and the settings do.

mod common;

use std::time::Duration;

use calsim::pull::{self, PullPath};
use calsim::store::User;
use calsim::{Config, Profile};
use common::{config, start};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn options_on_the_push_route_is_204_with_allow() {
    let simulator = start(config(Profile::Current)).await;

    let answer = client()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/webhook/app-credential", simulator.url()),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(answer.status(), 204);
    assert_eq!(answer.headers()["allow"], "OPTIONS, POST");
}

#[tokio::test]
async fn api_v1_refuses_a_locked_users_key_with_403() {
    let simulator = start(config(Profile::Current)).await;
    let store = &simulator.calcom().store;
    let admin = store.user(1).unwrap();
    store.put_user(User {
        locked: true,
        ..admin
    });

    let answer = client()
        .get(format!(
            "{}/api/v1/credential-sync?apiKey=cal_calsim_admin_key&userId=1",
            simulator.url()
        ))
        .send()
        .await
        .unwrap();

    assert_eq!(answer.status(), 403);
    assert_eq!(
        answer.text().await.unwrap(),
        r#"{"error":"You are not authorized to perform this request."}"#
    );
}

#[tokio::test]
async fn v2_answers_carry_an_x_request_id_and_take_is_bounded_1_to_250() {
    let simulator = start(config(Profile::Current)).await;
    let list = |take: &str| {
        client()
            .get(format!("{}/v2/webhooks?take={take}", simulator.url()))
            .bearer_auth("cal_calsim_admin_key")
            .send()
    };

    let within = list("250").await.unwrap();
    let above = list("251").await.unwrap();
    let below = list("0").await.unwrap();

    assert_eq!(within.status(), 200);
    assert!(within.headers().contains_key("x-request-id"));
    assert_eq!(above.status(), 400);
    assert_eq!(below.status(), 400);
    assert!(above.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn credentials_can_be_added_shown_and_deleted_through_the_control_api() {
    let simulator = start(config(Profile::Current)).await;
    let base = format!("{}/_calsim/credentials", simulator.url());

    let added = client()
        .post(&base)
        .json(&json!({"userId": 2, "appId": "zoom", "key": {"access_token": "tok"}}))
        .send()
        .await
        .unwrap();
    let added_status = added.status();
    let added: Value = added.json().await.unwrap();
    let id = added["id"].as_i64().unwrap();
    let shown: Value = client()
        .get(format!("{base}/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let deleted = client()
        .delete(format!("{base}/{id}"))
        .send()
        .await
        .unwrap();
    let gone = client().get(format!("{base}/{id}")).send().await.unwrap();

    assert_eq!(added_status, 201);
    assert_eq!(
        added["type"], "zoom_video",
        "the type defaults to the app's metadata"
    );
    assert_eq!(shown["userId"], 2);
    assert_eq!(deleted.status(), 200);
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn subscriptions_are_listed_by_the_control_api() {
    let simulator = start(config(Profile::Current)).await;
    client()
        .post(format!("{}/v2/webhooks", simulator.url()))
        .bearer_auth("cal_calsim_admin_key")
        .json(&json!({"subscriberUrl": "http://127.0.0.1:9/hook", "triggers": ["BOOKING_CREATED"], "active": true}))
        .send()
        .await
        .unwrap();

    let listed: Value = client()
        .get(format!("{}/_calsim/subscriptions", simulator.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["subscriberUrl"], "http://127.0.0.1:9/hook");
}

#[tokio::test]
async fn minimal_pull_headers_send_only_calcoms_own() {
    let partner = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"access_token":"t"}"#))
        .mount(&partner)
        .await;
    let mut config = config(Profile::Current);
    config.sync_endpoint = format!("{}/api/getToken", partner.uri());
    config.pull_headers = calsim::config::PullHeaders::Minimal;
    let simulator = start(config).await;
    let credential =
        simulator
            .calcom()
            .store
            .insert_credential(Some(1), "zoom", "zoom_video", json!({}));

    pull::pull(simulator.calcom(), credential.id).await.unwrap();

    let received = &partner.received_requests().await.unwrap()[0];
    assert!(!received.headers.contains_key("user-agent"));
    assert!(!received.headers.contains_key("sec-fetch-mode"));
    assert!(received
        .headers
        .contains_key("calcom-credential-sync-secret"));
}

#[test]
fn oauth_manager_apps_decides_which_apps_pull_through_oauth_manager() {
    let mut config = Config::default();
    config.set_profile(Profile::Current);
    assert_eq!(
        PullPath::for_app(&config, "google-calendar"),
        PullPath::OauthManager
    );

    config.oauth_manager_apps = vec!["zoom".to_owned()];

    assert_eq!(
        PullPath::for_app(&config, "google-calendar"),
        PullPath::Legacy
    );
    assert_eq!(PullPath::for_app(&config, "zoom"), PullPath::OauthManager);
}

#[tokio::test]
async fn next_error_body_is_the_pages_router_500() {
    let mut config = config(Profile::G2);
    config.next_error_body = "custom crash page".to_owned();
    let header = config.push_header_name().to_owned();
    let secret = config.sync_secret.clone();
    let simulator = start(config).await;

    let answer = client()
        .post(format!("{}/api/webhook/app-credential", simulator.url()))
        .header(header, secret)
        .header("content-type", "application/json")
        .body(r#"{"userId":"not a number"}"#)
        .send()
        .await
        .unwrap();

    assert_eq!(answer.status(), 500);
    assert_eq!(answer.text().await.unwrap(), "custom crash page");
}
