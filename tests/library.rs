//! calsim as a Rust test library: a builder with seeded state, typed helpers, and
//! expectations verified when the simulator drops, in wiremock-rs's manner.

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use calsim::partner::Partner;
use calsim::receiver::{Receiver, ReceiverConfig};
use calsim::trigger::TriggerEvent;
use calsim::{Error, Expectation, SignatureVerdict, Simulator};
use serde_json::json;

async fn consumer() -> Receiver {
    Receiver::start(
        ReceiverConfig {
            secret: Some("s3cret".to_owned()),
            accept_missing_connection_id: true,
            ..ReceiverConfig::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap()
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn met_expectations_pass_on_drop_and_the_consumer_saw_signed_deliveries() {
    let receiver = consumer().await;
    let hook = format!("{}/hook", receiver.url());
    let simulator = Simulator::start().await.unwrap();
    simulator.subscribe(
        &hook,
        &[TriggerEvent::BookingCreated, TriggerEvent::BookingCancelled],
        Some("s3cret"),
    );
    simulator.expect(
        Expectation::delivery(TriggerEvent::BookingCreated)
            .to(&hook)
            .signed()
            .answered(200)
            .times(1),
    );
    simulator.expect(Expectation::delivery(TriggerEvent::BookingCancelled).times(1));
    simulator.expect(Expectation::delivery(TriggerEvent::BookingRescheduled).never());

    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();
    simulator.cancel(&booked.booking.uid).await.unwrap();

    assert_eq!(simulator.verify(), Ok(()));
    let deliveries = receiver.state().deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries
        .iter()
        .all(|delivery| delivery.signature == SignatureVerdict::Valid));
}

#[tokio::test]
async fn an_unmet_expectation_panics_on_drop_with_what_was_expected_and_the_journal() {
    let receiver = consumer().await;
    let hook = format!("{}/hook", receiver.url());
    let simulator = Simulator::start().await.unwrap();
    simulator.subscribe(&hook, &[TriggerEvent::BookingCreated], None);
    simulator.expect(
        Expectation::delivery(TriggerEvent::BookingCreated)
            .to(&hook)
            .signed()
            .times(1),
    );
    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let verdict = simulator.verify();
    let dropped = std::panic::catch_unwind(AssertUnwindSafe(|| drop(simulator)));

    let message = verdict.unwrap_err();
    assert!(
        message.contains(&format!(
            "expected a BOOKING_CREATED delivery to {hook}, signed, exactly once; matched 0"
        )),
        "{message}"
    );
    assert!(message.contains("the journal holds 1 entries"), "{message}");
    assert!(
        message.contains(&format!("Webhook POST {hook} -> 401 [BOOKING_CREATED]")),
        "{message}"
    );
    assert_eq!(panic_text(dropped.unwrap_err()), message);
}

#[tokio::test]
async fn exactly_once_fails_when_the_delivery_comes_twice() {
    let receiver = consumer().await;
    let simulator = Simulator::builder()
        .subscription(
            format!("{}/hook", receiver.url()),
            &[TriggerEvent::BookingCreated],
            Some("s3cret"),
        )
        .start()
        .await
        .unwrap();
    simulator.expect(Expectation::delivery(TriggerEvent::BookingCreated).times(1));

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();
    simulator.book(1, "2030-01-02T10:00:00Z").await.unwrap();

    let message = simulator.verify().unwrap_err();
    assert!(message.contains("exactly once; matched 2"), "{message}");
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| drop(simulator)));
}

#[tokio::test]
async fn waiting_for_a_delivery_that_never_comes_ends_at_the_timeout_with_the_journal() {
    let simulator = Simulator::start().await.unwrap();

    let waited = simulator
        .wait_for_delivery(TriggerEvent::BookingCreated, Duration::from_millis(50))
        .await;

    let Err(error @ Error::Waited { .. }) = waited else {
        panic!("expected a timeout, got {waited:?}");
    };
    let text = error.to_string();
    assert!(
        text.starts_with("waited 50 ms for a BOOKING_CREATED delivery, at least once"),
        "{text}"
    );
    assert!(text.contains("the journal is empty"), "{text}");
}

#[tokio::test]
async fn waiting_returns_the_delivery_once_it_is_in_the_journal() {
    let receiver = consumer().await;
    let simulator = Simulator::start().await.unwrap();
    simulator.subscribe(
        &format!("{}/hook", receiver.url()),
        &[TriggerEvent::MeetingStarted],
        Some("s3cret"),
    );
    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let now = simulator.calcom().clock.now_ms();
    let until_start = 1_893_492_000_000 - now;
    simulator
        .advance(Duration::from_millis(until_start as u64 + 1_000))
        .await;
    let entry = simulator
        .wait_for_delivery(TriggerEvent::MeetingStarted, Duration::from_secs(2))
        .await
        .unwrap();

    assert_eq!(entry.response.as_ref().unwrap().status, 200);
}

#[tokio::test]
async fn pushes_and_pulls_are_expected_like_deliveries() {
    let partner = Partner::builder().start().await.unwrap();
    let simulator = Simulator::builder()
        .sync_endpoint(partner.sync_endpoint_url())
        .user(42, "ada@example.com")
        .credential(42, "zoom", json!({"access_token": "old", "expiry_date": 1}))
        .start()
        .await
        .unwrap();
    simulator.expect(
        Expectation::push()
            .user(42)
            .app("google-calendar")
            .answered(200)
            .times(1),
    );
    simulator.expect(
        Expectation::pull()
            .user(42)
            .app("zoom")
            .answered(200)
            .times(1),
    );
    simulator.expect(Expectation::push().answered(403).never());

    let (status, body) = simulator
        .push_credential(42, "google-calendar", &json!({"access_token": "fresh"}))
        .await
        .unwrap();
    let zoom = simulator.calcom().store.credentials(Some(42), Some("zoom"))[0].id;
    let verdict = simulator.pull(zoom).await.unwrap();

    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"message":"Credentials created for userId: 42"}"#)
    );
    assert_eq!(verdict.status, Some(200));
    assert_eq!(simulator.verify(), Ok(()));
}
