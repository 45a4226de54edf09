//! Webhook delivery attempts: one by default; the opt-in policy retries network errors
//! only, on the simulator's clock.

mod common;

use calsim::Profile;
use common::{config, send, start};
use serde_json::{json, Value};

async fn call(simulator: &calsim::Simulator, method: &str, path: &str, body: Value) -> Value {
    let headers = [
        ("content-type", "application/json"),
        ("authorization", "Bearer cal_calsim_admin_key"),
    ];
    let reply = send(
        method,
        &format!("{}{path}", simulator.url()),
        &headers,
        body.to_string(),
    )
    .await;
    serde_json::from_str(&reply.body).unwrap_or(Value::String(reply.body))
}

async fn subscribe(simulator: &calsim::Simulator, url: &str) {
    call(
        simulator,
        "POST",
        "/v2/webhooks",
        json!({"subscriberUrl": url, "triggers": ["BOOKING_CREATED"], "active": true}),
    )
    .await;
}

fn dead_url() -> String {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", dead.local_addr().unwrap());
    drop(dead);
    url
}

fn attempts(simulator: &calsim::Simulator) -> usize {
    simulator
        .calcom()
        .journal
        .entries(Some(calsim::journal::Surface::Webhook))
        .len()
}

#[tokio::test]
async fn a_network_error_is_retried_on_the_clock_up_to_the_limit() {
    let mut config = config(Profile::Current);
    config.webhook_max_attempts = 3;
    let simulator = start(config).await;
    subscribe(&simulator, &dead_url()).await;

    call(
        &simulator,
        "POST",
        "/_calsim/events",
        json!({"trigger": "BOOKING_CREATED", "userId": 1}),
    )
    .await;
    let scheduled = call(&simulator, "GET", "/_calsim/scheduled", json!(null)).await;
    let early = call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        json!({"ms": 9_000}),
    )
    .await;
    let second = call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        json!({"ms": 1_000}),
    )
    .await;
    let third = call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        json!({"ms": 15_000}),
    )
    .await;
    let after = call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        json!({"ms": 3_600_000}),
    )
    .await;

    assert_eq!(scheduled[0]["kind"], "retry");
    assert_eq!(scheduled[0]["attempt"], 2);
    assert_eq!(early["dispatched"], json!([]), "the first retry waits 10 s");
    assert_eq!(second["dispatched"].as_array().unwrap().len(), 1);
    assert_eq!(
        third["dispatched"].as_array().unwrap().len(),
        1,
        "the second retry waits 15 s"
    );
    assert_eq!(after["dispatched"], json!([]), "three attempts at most");
    assert_eq!(attempts(&simulator), 3);
}

#[tokio::test]
async fn by_default_a_failed_delivery_is_not_retried() {
    let simulator = start(config(Profile::Current)).await;
    subscribe(&simulator, &dead_url()).await;

    call(
        &simulator,
        "POST",
        "/_calsim/events",
        json!({"trigger": "BOOKING_CREATED", "userId": 1}),
    )
    .await;
    call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        json!({"ms": 3_600_000}),
    )
    .await;

    assert_eq!(attempts(&simulator), 1);
}

#[tokio::test]
async fn an_error_status_is_never_retried() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let mut config = config(Profile::Current);
    config.webhook_max_attempts = 3;
    let simulator = start(config).await;
    subscribe(&simulator, &server.uri()).await;

    call(
        &simulator,
        "POST",
        "/_calsim/events",
        json!({"trigger": "BOOKING_CREATED", "userId": 1}),
    )
    .await;
    call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        json!({"ms": 3_600_000}),
    )
    .await;

    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
