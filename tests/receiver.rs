//! `calsim receive`: verifies like Nango, records raw bodies, forwards.

use std::net::SocketAddr;
use std::time::Duration;

use calsim::delivery::{deliver, Outgoing, WebhookClient, JSON};
use calsim::receiver::{Receiver, ReceiverConfig};
use calsim::signing::signature;
use calsim::SignatureVerdict;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "nango-integration-secret";
const BODY: &str = r#"{"triggerEvent":"BOOKING_CREATED","createdAt":"2024-01-01T00:00:00.000Z","payload":{"title":"Réunion Zoë ✓","n":1.50,"z":1,"a":2}}"#;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn receiver(config: ReceiverConfig) -> Receiver {
    Receiver::start(config, loopback()).await.unwrap()
}

fn with_secret() -> ReceiverConfig {
    ReceiverConfig {
        secret: Some(SECRET.to_owned()),
        ..ReceiverConfig::default()
    }
}

async fn post(url: &str, signature: Option<&str>, body: &str) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("x-cal-signature-256", signature);
    }
    let response = request
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_delivery_signed_by_calsim_is_accepted_and_kept_raw() {
    let receiver = receiver(with_secret()).await;
    let outgoing = Outgoing::signed(
        &format!(
            "{}/webhook/env/cal-com-oauth?nangoConnectionId=conn-1",
            receiver.url()
        ),
        BODY.to_owned(),
        JSON,
        Some(SECRET),
        true,
    );

    let attempt = deliver(
        &WebhookClient::new(Duration::from_secs(2)),
        &outgoing,
        Duration::from_secs(2),
        None,
    )
    .await;

    assert_eq!(attempt.status, Some(200));
    assert_eq!(attempt.response_excerpt, r#"{"status":"success"}"#);
    let delivery = &receiver.state().deliveries()[0];
    assert_eq!(
        delivery.body.as_deref(),
        Some(BODY),
        "the raw body, not a re-serialisation"
    );
    assert_eq!(delivery.signature, SignatureVerdict::Valid);
    assert_eq!(delivery.connection_id.as_deref(), Some("conn-1"));
    assert_eq!(delivery.trigger_event.as_deref(), Some("BOOKING_CREATED"));
}

#[tokio::test]
async fn bad_missing_and_unsigned_signatures_are_401_with_nangos_bodies() {
    let receiver = receiver(with_secret()).await;
    let url = format!("{}/?nangoConnectionId=c", receiver.url());
    let good = signature(Some(SECRET), BODY.as_bytes());
    let altered = BODY.replace("Zoë", "Zoe");

    let missing = post(&url, None, BODY).await;
    let empty = post(&url, Some(""), BODY).await;
    let unsigned = post(&url, Some("no-secret-provided"), BODY).await;
    let tampered = post(&url, Some(&good), &altered).await;
    let other_secret = post(&url, Some(&signature(Some("other"), BODY.as_bytes())), BODY).await;

    for refused in [missing, empty] {
        assert_eq!(
            refused,
            (401, r#"{"error":"Missing webhook signature"}"#.to_owned())
        );
    }
    for refused in [unsigned, tampered, other_secret] {
        assert_eq!(
            refused,
            (401, r#"{"error":"Invalid webhook signature"}"#.to_owned())
        );
    }
    let signatures: Vec<SignatureVerdict> = receiver
        .state()
        .deliveries()
        .into_iter()
        .map(|delivery| delivery.signature)
        .collect();
    use SignatureVerdict::{Invalid, Missing};
    assert_eq!(signatures, [Missing, Missing, Invalid, Invalid, Invalid]);
}

#[tokio::test]
async fn node_lenient_hex_lets_upper_case_and_trailing_junk_through_and_the_record_says_so() {
    let receiver = receiver(with_secret()).await;
    let url = format!("{}/?nangoConnectionId=c", receiver.url());
    let good = signature(Some(SECRET), BODY.as_bytes());

    let upper = post(&url, Some(&good.to_uppercase()), BODY).await;
    let junk = post(&url, Some(&format!("{good}zz")), BODY).await;
    let extra_digit = post(&url, Some(&format!("{good}a")), BODY).await;
    let prefixed = post(&url, Some(&format!("sha256={good}")), BODY).await;

    for accepted in [upper, junk, extra_digit] {
        assert_eq!(accepted, (200, r#"{"status":"success"}"#.to_owned()));
    }
    assert_eq!(prefixed.0, 401);
    let strict: Vec<Option<SignatureVerdict>> = receiver
        .state()
        .deliveries()
        .into_iter()
        .map(|delivery| delivery.strict_signature)
        .collect();
    assert_eq!(strict, vec![Some(SignatureVerdict::Invalid); 4]);
}

#[tokio::test]
async fn strict_signatures_is_an_option_that_refuses_what_node_lets_through() {
    let receiver = receiver(ReceiverConfig {
        strict_signatures: true,
        ..with_secret()
    })
    .await;
    let url = format!("{}/?nangoConnectionId=c", receiver.url());
    let good = signature(Some(SECRET), BODY.as_bytes());

    let upper = post(&url, Some(&good.to_uppercase()), BODY).await;
    let exact = post(&url, Some(&good), BODY).await;

    assert_eq!(
        upper,
        (401, r#"{"error":"Invalid webhook signature"}"#.to_owned())
    );
    assert_eq!(exact.0, 200);
}

#[tokio::test]
async fn without_a_secret_deliveries_are_accepted_unverified() {
    let receiver = receiver(ReceiverConfig::default()).await;

    let answer = post(
        &format!("{}/?nangoConnectionId=c", receiver.url()),
        Some("no-secret-provided"),
        BODY,
    )
    .await;

    assert_eq!(answer.0, 200);
    assert_eq!(
        receiver.state().deliveries()[0].signature,
        SignatureVerdict::Unverified
    );
}

#[tokio::test]
async fn the_connection_id_comes_from_the_query_first_then_the_body() {
    let receiver = receiver(ReceiverConfig::default()).await;
    let body = r#"{"triggerEvent":"PING","nangoConnectionId":"from-body"}"#;

    let from_query = post(
        &format!("{}/?nangoConnectionId=from-query", receiver.url()),
        None,
        body,
    )
    .await;
    let from_body = post(&receiver.url(), None, body).await;
    let empty_query = post(
        &format!("{}/?nangoConnectionId=", receiver.url()),
        None,
        body,
    )
    .await;
    let none = post(&receiver.url(), None, "{}").await;

    assert_eq!(from_query.0, 200);
    assert_eq!(from_body.0, 200);
    let missing = (
        400,
        r#"{"error":"Webhook payload is missing nangoConnectionId"}"#.to_owned(),
    );
    assert_eq!(
        empty_query, missing,
        "?? keeps an empty query value: the body is not read"
    );
    assert_eq!(none, missing);
    let ids: Vec<Option<String>> = receiver
        .state()
        .deliveries()
        .into_iter()
        .map(|delivery| delivery.connection_id)
        .collect();
    assert_eq!(
        ids,
        [
            Some("from-query".to_owned()),
            Some("from-body".to_owned()),
            None,
            None
        ]
    );
}

#[tokio::test]
async fn a_missing_connection_id_is_accepted_only_as_the_named_deviation() {
    let receiver = receiver(ReceiverConfig {
        accept_missing_connection_id: true,
        ..ReceiverConfig::default()
    })
    .await;

    let answer = post(&receiver.url(), None, "{}").await;

    assert_eq!(answer, (200, r#"{"status":"success"}"#.to_owned()));
}

#[tokio::test]
async fn invalid_json_is_400_with_the_parsers_message_before_any_signature_check() {
    let receiver = receiver(with_secret()).await;

    let broken = post(&receiver.url(), None, r#"{"a":1,}"#).await;
    let not_an_object = post(&receiver.url(), None, r#""text""#).await;

    assert_eq!(broken, (400, r#"{"error":{"code":"invalid_json","message":"Expected double-quoted property name in JSON at position 7"}}"#.to_owned()));
    assert_eq!(not_an_object, (400, r#"{"error":{"code":"invalid_json","message":"Unexpected token '\"', \"\"text\"\" is not valid JSON"}}"#.to_owned()));
}

#[tokio::test]
async fn every_delivery_is_appended_as_a_json_line_with_its_raw_body() {
    let path = std::env::temp_dir().join(format!("calsim-record-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let receiver = receiver(ReceiverConfig {
        record: Some(path.clone()),
        ..with_secret()
    })
    .await;

    post(
        &receiver.url(),
        Some(&signature(Some(SECRET), BODY.as_bytes())),
        BODY,
    )
    .await;
    post(&receiver.url(), None, r#"{"a":1,}"#).await;

    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["body"], BODY);
    assert_eq!(lines[0]["signature"], "valid");
    assert_eq!(lines[1]["body"], r#"{"a":1,}"#);
    assert_eq!(lines[1]["status"], 400);
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn accepted_deliveries_are_forwarded_in_nangos_envelope() {
    let app = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&app)
        .await;
    let receiver = receiver(ReceiverConfig {
        forward: Some(app.uri()),
        ..with_secret()
    })
    .await;

    post(
        &format!("{}/?nangoConnectionId=c-9", receiver.url()),
        Some(&signature(Some(SECRET), BODY.as_bytes())),
        BODY,
    )
    .await;
    post(&receiver.url(), None, BODY).await;

    let forwarded = app.received_requests().await.unwrap();
    assert_eq!(forwarded.len(), 1, "refused deliveries are not forwarded");
    let envelope: Value = serde_json::from_slice(&forwarded[0].body).unwrap();
    assert_eq!(
        envelope,
        json!({"from": "cal-com-oauth", "providerConfigKey": "cal-com-oauth", "type": "forward", "connectionId": "c-9", "payload": serde_json::from_str::<Value>(BODY).unwrap()})
    );
}
