//! A priced booking uses the organizer's payment app as Cal.com's Stripe
//! `PaymentService` does: a PaymentIntent at calsim's fake Stripe (form-encoded, the
//! platform key, `Stripe-Account` of the synced credential), BOOKING_PAYMENT_INITIATED
//! with the payment's id, BOOKING_CREATED and BOOKING_PAID once paid, a refund when a
//! paid booking is cancelled; a failing Stripe fails the booking request.

mod common;

use calsim::journal::Surface;
use calsim::receiver::Receiver;
use calsim::trigger::TriggerEvent;
use calsim::Simulator;
use common::consumer;
use serde_json::{json, Value};

/// Organizer 1 with a Stripe credential (connected account `acct_calsim1`) and Zoom;
/// event type 1 costs 25.00 EUR and meets on Zoom.
async fn priced_organizer(receiver: &Receiver) -> Simulator {
    let simulator = Simulator::builder()
        .credential(1, "stripe", json!({"stripe_user_id": "acct_calsim1", "stripe_publishable_key": "pk_test_calsim1", "default_currency": "eur"}))
        .credential(1, "zoom", json!({"access_token": "zoom-token", "refresh_token": "zoom-refresh", "expiry_date": 4_102_444_800_000_i64}))
        .subscription(receiver.url(), &[TriggerEvent::BookingPaymentInitiated, TriggerEvent::BookingCreated, TriggerEvent::BookingPaid, TriggerEvent::BookingCancelled], None)
        .start()
        .await
        .unwrap();
    let answer = reqwest::Client::new()
        .patch(format!("{}/_calsim/event-types/1", simulator.url()))
        .body(r#"{"price": 2500, "currency": "eur", "location": "integrations:zoom"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    simulator
}

fn payloads(receiver: &Receiver) -> Vec<(String, Value)> {
    receiver
        .state()
        .deliveries()
        .into_iter()
        .map(|delivery| {
            let body: Value = serde_json::from_str(delivery.body.as_deref().unwrap()).unwrap();
            (
                body["triggerEvent"].as_str().unwrap().to_owned(),
                body["payload"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_priced_booking_creates_a_payment_intent_and_the_apps_run_only_once_paid() {
    let receiver = consumer().await;
    let simulator = priced_organizer(&receiver).await;

    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let payment = booked.booking.payment.clone().expect("a payment row");
    assert!(payment.external_id.starts_with("pi_"), "{payment:?}");
    assert_eq!(
        (payment.amount, payment.currency.as_str(), payment.success),
        (2500, "eur", false)
    );
    assert_eq!(payment.data["stripeAccount"], "acct_calsim1");
    assert_eq!(payment.data["stripe_publishable_key"], "pk_test_calsim1");
    assert_eq!(payment.data["id"], json!(payment.external_id));
    let intents = simulator.calcom().providers.records();
    assert_eq!(
        intents.len(),
        1,
        "no Zoom meeting before payment: {intents:?}"
    );
    assert_eq!(intents[0]["operation"], "create-payment");
    assert_eq!(intents[0]["body"]["amount"], "2500");
    assert_eq!(intents[0]["body"]["currency"], "eur");
    assert_eq!(
        intents[0]["body"]["metadata"]["bookingId"],
        json!(booked.booking.id.to_string())
    );
    assert_eq!(intents[0]["body"]["metadata"]["identifier"], "cal.com");
    let call = &simulator.calcom().journal.entries(Some(Surface::Provider))[0];
    let header = |name: &str| {
        call.request
            .headers
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.to_str().unwrap().to_owned())
    };
    assert_eq!(header("stripe-account").as_deref(), Some("acct_calsim1"));
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );

    let paid = simulator.pay(&booked.booking.uid).await.unwrap();

    let received = payloads(&receiver);
    let triggers: Vec<&str> = received
        .iter()
        .map(|(trigger, _)| trigger.as_str())
        .collect();
    assert_eq!(
        triggers,
        [
            "BOOKING_PAYMENT_INITIATED",
            "BOOKING_CREATED",
            "BOOKING_PAID"
        ]
    );
    assert_eq!(received[0].1["paymentId"], json!(payment.id));
    // handleConfirmation sends the CalendarEvent its EventManager.create ran on: the
    // meeting is there, appsStatus is not (only handleNewBooking copies the results),
    // and requiresConfirmation is the event type's `requiresConfirmation || null`
    // (upstream packages/features/bookings/lib/handleConfirmation.ts).
    let created = &received[1].1;
    assert_eq!(created["videoCallData"]["type"], "zoom_video");
    assert!(created.get("appsStatus").is_none(), "{created}");
    assert_eq!(created["requiresConfirmation"], Value::Null);
    assert_eq!(
        created["metadata"],
        json!({ "videoCallUrl": created["videoCallData"]["url"] })
    );
    assert_eq!(
        paid.apps_status.as_ref().unwrap()[0]["type"],
        "zoom_video",
        "the step's answer still says what the apps did"
    );
    assert!(received[2].1.get("appsStatus").is_none());
    assert_eq!(received[2].1["paymentId"], json!(payment.id));
    assert_eq!(
        received[2].1["metadata"]["externalId"],
        json!(payment.external_id)
    );
    assert_eq!(
        received[2].1["videoCallData"], received[1].1["videoCallData"],
        "BOOKING_PAID carries the meeting BOOKING_CREATED announced"
    );
    assert!(paid.booking.paid);
    assert_eq!(paid.booking.references.len(), 1, "the Zoom meeting");

    let cancelled = simulator.cancel(&booked.booking.uid).await.unwrap();

    let refund = simulator
        .calcom()
        .providers
        .records()
        .into_iter()
        .find(|record| record["operation"] == "refund")
        .expect("a refund at Stripe");
    assert_eq!(refund["body"]["payment_intent"], json!(payment.external_id));
    let after = cancelled.booking.payment.unwrap();
    assert!(after.success && after.refunded, "{after:?}");
}

#[tokio::test]
async fn a_failing_stripe_fails_the_booking_request_and_sends_no_webhook() {
    let receiver = consumer().await;
    let simulator = priced_organizer(&receiver).await;
    let client = reqwest::Client::new();
    let fault = client
        .post(format!(
            "{}/_calsim/providers/stripe/fault",
            simulator.url()
        ))
        .body(r#"{"status": 500, "times": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status(), 200);

    let refused = client
        .post(format!("{}/_calsim/bookings", simulator.url()))
        .json(&json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z"}))
        .send()
        .await
        .unwrap();

    assert_eq!(refused.status(), 502);
    let error: Value = refused.json().await.unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .starts_with("payment_not_created_error: Stripe answered 500"),
        "{error}"
    );
    assert!(receiver.state().deliveries().is_empty());
    let booking = simulator.calcom().store.bookings().pop().unwrap();
    assert_eq!(
        (format!("{:?}", booking.status), booking.payment),
        ("Pending".to_owned(), None)
    );
}

#[tokio::test]
async fn stripe_refuses_an_account_no_credential_connects() {
    let simulator = Simulator::builder().start().await.unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/_providers/stripe/v1/payment_intents", simulator.url());

    let unknown = client
        .post(&url)
        .bearer_auth("sk_test_calsim")
        .header("stripe-account", "acct_nobody")
        .form(&[("amount", "100"), ("currency", "usd")])
        .send()
        .await
        .unwrap();
    let no_key = client
        .post(&url)
        .header("stripe-account", "acct_nobody")
        .form(&[("amount", "100")])
        .send()
        .await
        .unwrap();

    assert_eq!(unknown.status(), 403);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["code"], "account_invalid");
    assert_eq!(no_key.status(), 401);
    let body: Value = no_key.json().await.unwrap();
    assert_eq!(body["error"]["code"], "api_key_invalid");
}

#[tokio::test]
async fn without_a_stripe_credential_a_priced_booking_is_paid_locally() {
    let receiver = consumer().await;
    let simulator = Simulator::builder()
        .subscription(
            receiver.url(),
            &[
                TriggerEvent::BookingPaymentInitiated,
                TriggerEvent::BookingPaid,
            ],
            None,
        )
        .start()
        .await
        .unwrap();

    let booked = simulator
        .book_with(
            serde_json::from_value(
                json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z", "price": 700}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    simulator.pay(&booked.booking.uid).await.unwrap();

    assert!(simulator.calcom().providers.records().is_empty());
    let received = payloads(&receiver);
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].1["price"], 700);
    assert!(received[1].1["metadata"]["externalId"]
        .as_str()
        .unwrap()
        .starts_with("pi_calsim_local"));
}
