//! Webhook bodies and delivery: the exact bytes Cal.com sends, signed, once.

use std::time::Duration;

use calsim::delivery::{deliver, Outgoing, WebhookClient, JSON};
use calsim::payload::{build_body, iso_string, ping_data, prepare, utc_offset};
use calsim::signing::signature;
use calsim::trigger::TriggerEvent;
use calsim::Journal;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const H1_BODY: &str = r#"{"triggerEvent":"PING","createdAt":"2025-06-01T12:00:00.000Z","payload":{"type":"Test","title":"Test trigger event","startTime":"2025-06-01T12:00:00.000Z","endTime":"2025-06-01T12:00:00.000Z","attendees":[{"email":"jdoe@example.com","name":"John Doe","timeZone":"Europe/London","language":{"locale":"en"},"utcOffset":60}],"organizer":{"name":"Cal","email":"no-reply@cal.com","timeZone":"Europe/London","language":{"locale":"en"},"utcOffset":60}}}"#;

#[test]
fn the_ping_body_is_vector_h1_byte_for_byte() {
    let at: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();

    let body = build_body(TriggerEvent::Ping, &iso_string(at), ping_data(at));

    assert_eq!(body, H1_BODY);
    assert_eq!(body.len(), 446);
    assert_eq!(
        signature(Some("secret"), body.as_bytes()),
        "7020099d68a9897dc059c5be1e03cebe519f63b129e180babc074e366c84070e"
    );
}

#[test]
fn in_winter_london_is_utc_plus_zero() {
    let at: jiff::Timestamp = "2025-01-15T12:00:00Z".parse().unwrap();

    let body = build_body(TriggerEvent::Ping, &iso_string(at), ping_data(at));

    assert!(body.contains(r#""utcOffset":0}"#), "{body}");
}

fn data(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("tests pass objects"),
    }
}

#[test]
fn description_falls_back_to_additional_notes_as_in_javascript() {
    let cases = [
        (
            json!({"description": "kept", "additionalNotes": "n"}),
            r#"{"description":"kept","additionalNotes":"n"}"#,
        ),
        (
            json!({"description": "", "x": 1, "additionalNotes": "n"}),
            r#"{"description":"n","x":1,"additionalNotes":"n"}"#,
        ),
        (
            json!({"x": 1, "additionalNotes": "n"}),
            r#"{"x":1,"additionalNotes":"n","description":"n"}"#,
        ),
        (json!({"description": "", "x": 1}), r#"{"x":1}"#),
        (
            json!({"description": null, "additionalNotes": null}),
            r#"{"description":null,"additionalNotes":null}"#,
        ),
    ];
    for (input, expected) in cases {
        let mut map = data(input.clone());

        prepare(&mut map);

        assert_eq!(Value::Object(map).to_string(), expected, "{input}");
    }
}

#[test]
fn utc_offsets_come_from_the_time_zone_at_the_start_time() {
    assert_eq!(
        utc_offset("America/New_York", Some("2024-07-01T10:00:00Z")),
        json!(-240)
    );
    assert_eq!(
        utc_offset("America/New_York", Some("2024-01-01T10:00:00Z")),
        json!(-300)
    );
    assert_eq!(
        utc_offset("Asia/Kolkata", Some("2024-01-01T10:00:00Z")),
        json!(330)
    );
    assert_eq!(
        utc_offset("Not/AZone", Some("2024-01-01T10:00:00Z")),
        Value::Null
    );
}

#[test]
fn the_organizer_gets_a_utc_offset_only_with_a_time_zone_and_every_attendee_gets_one() {
    let mut map = data(
        json!({"startTime": "2024-07-01T10:00:00Z", "organizer": {"name": "O"}, "attendees": [{"name": "A"}, {"name": "B", "timeZone": "Europe/Paris"}]}),
    );

    prepare(&mut map);

    assert_eq!(map["organizer"], json!({"name": "O"}));
    assert_eq!(
        map["attendees"],
        json!([{"name": "A", "utcOffset": null}, {"name": "B", "timeZone": "Europe/Paris", "utcOffset": 120}])
    );
}

fn example(trigger: TriggerEvent) -> serde_json::Map<String, Value> {
    data(Value::from(
        calsim::js_value::JsValue::parse(calsim::payload::built_in(trigger).unwrap()).unwrap(),
    ))
}

#[test]
fn every_triggers_default_body_is_reviewed() {
    for trigger in TriggerEvent::ALL
        .iter()
        .copied()
        .filter(|trigger| *trigger != TriggerEvent::Ping)
    {
        let body = build_body(trigger, "2024-01-01T00:00:00.000Z", example(trigger));

        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["triggerEvent"], trigger.as_str());
        insta::assert_snapshot!(trigger.as_str(), body);
    }
}

#[test]
fn form_submitted_copies_response_values_to_the_top_level_first() {
    let body = build_body(
        TriggerEvent::FormSubmitted,
        "2024-01-01T00:00:00.000Z",
        example(TriggerEvent::FormSubmitted),
    );

    assert!(body.starts_with(r#"{"Name":"Guest User","Email":"guest@example.com","Company size":"11-50","triggerEvent":"FORM_SUBMITTED","createdAt":"#), "{body}");
}

#[test]
fn a_root_copy_cannot_override_the_known_keys() {
    let data = data(
        json!({"responses": {"triggerEvent": {"value": "spoofed"}, "createdAt": {"value": "then"}}}),
    );

    let body = build_body(
        TriggerEvent::FormSubmitted,
        "2024-01-01T00:00:00.000Z",
        data,
    );

    assert!(
        body.starts_with(
            r#"{"triggerEvent":"FORM_SUBMITTED","createdAt":"2024-01-01T00:00:00.000Z","payload":"#
        ),
        "{body}"
    );
}

#[test]
fn meeting_bodies_are_flat_and_generic_ones_are_not_prepared() {
    let meeting = build_body(
        TriggerEvent::MeetingEnded,
        "2024-01-01T00:00:00.000Z",
        example(TriggerEvent::MeetingEnded),
    );
    let no_show = build_body(
        TriggerEvent::AfterGuestsCalVideoNoShow,
        "2024-01-01T00:00:00.000Z",
        example(TriggerEvent::AfterGuestsCalVideoNoShow),
    );

    assert!(
        meeting.starts_with(
            r#"{"triggerEvent":"MEETING_ENDED","id":100,"uid":"calsim-booking-uid-1","#
        ),
        "{meeting}"
    );
    assert!(!meeting.contains(r#""payload":"#));
    assert!(
        !no_show.contains("utcOffset"),
        "sendGenericWebhookPayload adds no utcOffset: {no_show}"
    );
}

#[test]
fn meeting_triggers_ignore_templates() {
    let rendered = calsim::payload::build_templated_body(
        r#"{"x":"{{uid}}"}"#,
        TriggerEvent::MeetingStarted,
        "2024-01-01T00:00:00.000Z",
        example(TriggerEvent::MeetingStarted),
    )
    .unwrap();

    assert!(rendered
        .body
        .starts_with(r#"{"triggerEvent":"MEETING_STARTED","id":100"#));
}

async fn subscriber(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status).set_body_string("ok"))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_delivery_posts_the_signed_bytes_with_calcoms_headers_to_the_url_as_stored() {
    let server = subscriber(200).await;
    let url = format!("{}/webhooks/cal?nangoConnectionId=conn-1", server.uri());
    let outgoing = Outgoing::signed(&url, H1_BODY.to_owned(), JSON, Some("secret"), true);
    let journal = Journal::default();

    let attempt = deliver(
        &WebhookClient::new(Duration::from_secs(2)),
        &outgoing,
        Duration::from_secs(2),
        Some(&journal),
    )
    .await;

    assert!(attempt.success);
    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(received.url.query(), Some("nangoConnectionId=conn-1"));
    assert_eq!(received.body, H1_BODY.as_bytes());
    let header = |name: &str| received.headers[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(
        header("x-cal-signature-256"),
        "7020099d68a9897dc059c5be1e03cebe519f63b129e180babc074e366c84070e"
    );
    assert_eq!(header("x-cal-webhook-version"), "2021-10-20");
    assert_eq!(header("user-agent"), "node");
    let entry = &journal.entries(None)[0];
    assert_eq!(entry.request.body, H1_BODY.as_bytes());
    assert_eq!(entry.response.as_ref().unwrap().status, 200);
}

#[tokio::test]
async fn a_non_2xx_answer_is_a_failure_and_is_not_retried() {
    let server = subscriber(500).await;
    let outgoing = Outgoing::signed(&server.uri(), "{}".to_owned(), JSON, None, true);

    let attempt = deliver(
        &WebhookClient::new(Duration::from_secs(2)),
        &outgoing,
        Duration::from_secs(2),
        None,
    )
    .await;

    assert_eq!((attempt.status, attempt.success), (Some(500), false));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_counts_as_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/elsewhere", "http://127.0.0.1:9")),
        )
        .mount(&server)
        .await;
    let client = WebhookClient::new(Duration::from_secs(2));

    let attempt = deliver(
        &client,
        &Outgoing::signed(&server.uri(), "{}".to_owned(), JSON, None, true),
        Duration::from_secs(2),
        None,
    )
    .await;

    assert_eq!((attempt.status, attempt.success), (Some(307), false));
}

#[tokio::test]
async fn a_slow_subscriber_times_out_quickly() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let attempt = deliver(
        &WebhookClient::new(Duration::from_secs(2)),
        &Outgoing::signed(&server.uri(), "{}".to_owned(), JSON, None, true),
        Duration::from_millis(300),
        None,
    )
    .await;

    assert!(!attempt.success);
    assert!(attempt.error.unwrap().contains("no answer within 300 ms"));
}

#[test]
fn without_a_secret_the_header_is_no_secret_provided_and_older_calcom_sends_no_version() {
    let outgoing = Outgoing::signed(
        "http://127.0.0.1:9/",
        "{}".to_owned(),
        JSON,
        Some(""),
        false,
    );

    assert_eq!(
        outgoing.headers["x-cal-signature-256"],
        "no-secret-provided"
    );
    assert!(!outgoing.headers.contains_key("x-cal-webhook-version"));
    let names: Vec<&str> = outgoing.headers.keys().map(|name| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "content-type",
            "x-cal-signature-256",
            "accept",
            "accept-language",
            "sec-fetch-mode",
            "user-agent",
            "accept-encoding"
        ]
    );
}
