//! `calsim check webhook-consumer` passes a correct consumer (`calsim receive`) and
//! catches each deliberately broken one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use calsim::check::Report;
use calsim::receiver::{Receiver, ReceiverConfig};
use calsim::scenario::suites::{webhook_consumer as run, WebhookConsumerTarget};
use calsim::signing::{signature, verify, Verification};
use serde_json::Value;

const SECRET: &str = "consumer-secret";

/// One bug each.
#[derive(Clone, Copy, Debug)]
enum Bug {
    NoVerification,
    ChecksOnlyThatTheHeaderIsPresent,
    VerifiesReserialisedJson,
    RejectsUnknownFields,
    JsonOnly,
    HandlesOnlyBookingCreated,
    AcceptsNoSecretProvided,
    Slow,
    RejectsPing,
    FailsItsFirstBookingCreated,
    HangsOnARepeatedDelivery,
}

/// What a stateful broken consumer has seen.
#[derive(Default)]
struct Memory {
    bodies: std::sync::Mutex<Vec<Bytes>>,
}

async fn broken(
    State((bug, memory)): State<(Arc<Bug>, Arc<Memory>)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = headers
        .get("x-cal-signature-256")
        .and_then(|value| value.to_str().ok());
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let verified = match *bug {
        Bug::NoVerification => true,
        Bug::ChecksOnlyThatTheHeaderIsPresent => header.is_some(),
        Bug::VerifiesReserialisedJson => match &parsed {
            Some(value) => {
                header == Some(signature(Some(SECRET), value.to_string().as_bytes()).as_str())
            }
            None => verify(SECRET, &body, header) == Verification::Valid,
        },
        Bug::AcceptsNoSecretProvided => {
            header == Some("no-secret-provided")
                || verify(SECRET, &body, header) == Verification::Valid
        }
        _ => verify(SECRET, &body, header) == Verification::Valid,
    };
    if !verified {
        return StatusCode::UNAUTHORIZED;
    }
    let trigger = parsed.as_ref().map(|value| value["triggerEvent"].clone());
    let seen_before = {
        let mut bodies = memory.bodies.lock().unwrap();
        let seen = bodies.contains(&body);
        let first_of_its_trigger = !bodies.iter().any(|earlier| {
            serde_json::from_slice::<Value>(earlier)
                .ok()
                .map(|value| value["triggerEvent"].clone())
                == trigger
        });
        bodies.push(body.clone());
        (seen, first_of_its_trigger)
    };
    match *bug {
        Bug::RejectsPing if trigger.as_ref().is_some_and(|trigger| trigger == "PING") => {
            StatusCode::BAD_REQUEST
        }
        Bug::FailsItsFirstBookingCreated
            if seen_before.1
                && trigger
                    .as_ref()
                    .is_some_and(|trigger| trigger == "BOOKING_CREATED") =>
        {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        Bug::HangsOnARepeatedDelivery if seen_before.0 => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            StatusCode::OK
        }
        Bug::RejectsUnknownFields
            if parsed
                .as_ref()
                .is_some_and(|value| value["payload"].get("calsimFutureField").is_some()) =>
        {
            StatusCode::BAD_REQUEST
        }
        Bug::JsonOnly if parsed.is_none() => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Bug::HandlesOnlyBookingCreated
            if parsed.as_ref().is_some_and(|value| {
                value["triggerEvent"] != "BOOKING_CREATED" && value["triggerEvent"] != "PING"
            }) =>
        {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        Bug::Slow => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            StatusCode::OK
        }
        _ => StatusCode::OK,
    }
}

async fn serve_broken(bug: Bug) -> String {
    let app = Router::new()
        .route("/hook", post(broken))
        .with_state((Arc::new(bug), Arc::new(Memory::default())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn target(url: String) -> WebhookConsumerTarget {
    WebhookConsumerTarget {
        url,
        secret: SECRET.to_owned(),
        timeout: Duration::from_millis(500),
    }
}

async fn check_broken(bug: Bug) -> Report {
    run(&target(serve_broken(bug).await)).await.unwrap()
}

fn assert_fails_exactly(report: &Report, expected: &[&str]) {
    let expected: Vec<String> = expected
        .iter()
        .map(|id| format!("webhook-consumer/{id}"))
        .collect();
    assert_eq!(report.failed_ids(), expected, "\n{}", report.human());
    for check in report.checks.iter().filter(|check| check.failed()) {
        assert!(check.line().contains("; fix: "), "{}", check.line());
    }
}

const REFUSALS: &[&str] = &[
    "rejects-a-bad-signature",
    "rejects-a-missing-signature",
    "rejects-an-altered-body",
    "rejects-no-secret-provided",
];

/// Nango's route refuses a non-JSON body with a signature (500: no raw body to hash), so
/// a Nango-exact receiver fails exactly the form-template check, as Nango itself does.
#[tokio::test]
async fn calsim_receive_passes_every_check_but_the_one_nango_itself_fails() {
    let receiver = Receiver::start(
        ReceiverConfig {
            secret: Some(SECRET.to_owned()),
            ..ReceiverConfig::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();

    let report = run(&target(format!(
        "{}/webhook/env/cal-com-oauth?nangoConnectionId=conn-1",
        receiver.url()
    )))
    .await
    .unwrap();

    assert_eq!(report.checks.len(), 30, "PING, 21 triggers and 8 rules");
    assert_fails_exactly(&report, &["accepts-form-template-bodies"]);
}

#[tokio::test]
async fn catches_a_consumer_that_never_verifies() {
    assert_fails_exactly(&check_broken(Bug::NoVerification).await, REFUSALS);
}

#[tokio::test]
async fn catches_a_consumer_that_only_checks_the_header_is_present() {
    let report = check_broken(Bug::ChecksOnlyThatTheHeaderIsPresent).await;

    assert_fails_exactly(
        &report,
        &[
            "rejects-a-bad-signature",
            "rejects-an-altered-body",
            "rejects-no-secret-provided",
        ],
    );
}

#[tokio::test]
async fn catches_a_consumer_that_verifies_reserialised_json() {
    let report = check_broken(Bug::VerifiesReserialisedJson).await;

    assert_fails_exactly(&report, &["verifies-raw-bytes"]);
    assert!(report
        .human()
        .contains("fix: HMAC the body bytes exactly as received"));
}

#[tokio::test]
async fn catches_a_consumer_that_rejects_unknown_fields() {
    assert_fails_exactly(
        &check_broken(Bug::RejectsUnknownFields).await,
        &["tolerates-unknown-fields"],
    );
}

#[tokio::test]
async fn catches_a_consumer_that_only_reads_json() {
    assert_fails_exactly(
        &check_broken(Bug::JsonOnly).await,
        &["accepts-form-template-bodies"],
    );
}

#[tokio::test]
async fn catches_a_consumer_that_fails_triggers_it_does_not_handle() {
    let report = check_broken(Bug::HandlesOnlyBookingCreated).await;

    let others: Vec<String> = calsim::trigger::TriggerEvent::ALL
        .iter()
        .filter(|trigger| {
            !matches!(
                trigger,
                calsim::trigger::TriggerEvent::BookingCreated | calsim::trigger::TriggerEvent::Ping
            )
        })
        .map(|trigger| {
            format!(
                "accepts-{}",
                trigger.as_str().to_ascii_lowercase().replace('_', "-")
            )
        })
        .collect();
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    assert_fails_exactly(&report, &others);
}

#[tokio::test]
async fn catches_a_consumer_that_takes_no_secret_provided_as_a_signature() {
    assert_fails_exactly(
        &check_broken(Bug::AcceptsNoSecretProvided).await,
        &["rejects-no-secret-provided"],
    );
}

#[tokio::test]
async fn catches_a_consumer_too_slow_to_answer() {
    let mut target = target(serve_broken(Bug::Slow).await);
    target.timeout = Duration::from_millis(150);

    let report = run(&target).await.unwrap();

    let mut slow = vec!["accepts-ping".to_owned()];
    slow.extend(
        calsim::trigger::TriggerEvent::ALL
            .iter()
            .filter(|trigger| **trigger != calsim::trigger::TriggerEvent::Ping)
            .map(|trigger| {
                format!(
                    "accepts-{}",
                    trigger.as_str().to_ascii_lowercase().replace('_', "-")
                )
            }),
    );
    slow.extend(
        [
            "verifies-raw-bytes",
            "tolerates-unknown-fields",
            "accepts-form-template-bodies",
            "duplicate-delivery-policy",
        ]
        .map(str::to_owned),
    );
    let slow: Vec<&str> = slow.iter().map(String::as_str).collect();
    assert_fails_exactly(&report, &slow);
    assert!(report.human().contains("no answer"), "{}", report.human());
}

#[tokio::test]
async fn catches_a_consumer_that_refuses_the_ping_and_says_it_is_not_a_signature_problem() {
    let report = check_broken(Bug::RejectsPing).await;

    assert_fails_exactly(&report, &["accepts-ping"]);
    let line = report.checks[0].line();
    assert!(line.contains("fix: answer 2xx to PING"), "{line}");
    assert!(
        !line.contains("HMAC"),
        "a 400 is not reported as a signature failure: {line}"
    );
}

#[tokio::test]
async fn catches_a_consumer_that_fails_its_first_booking_created() {
    assert_fails_exactly(
        &check_broken(Bug::FailsItsFirstBookingCreated).await,
        &["accepts-booking-created"],
    );
}

#[tokio::test]
async fn catches_a_consumer_that_hangs_on_a_repeated_delivery() {
    assert_fails_exactly(
        &check_broken(Bug::HangsOnARepeatedDelivery).await,
        &["duplicate-delivery-policy"],
    );
}
