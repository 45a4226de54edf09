//! Booking lifecycles: each step fires its trigger to the subscriptions in scope, with
//! consistent uids and times; meeting triggers follow the simulator's clock.

mod common;

use std::net::SocketAddr;

use calsim::receiver::{Receiver, ReceiverConfig};
use calsim::Profile;
use calsim::SignatureVerdict;
use common::{config, send, start};
use serde_json::{json, Value};

async fn call(
    simulator: &calsim::Simulator,
    method: &str,
    path: &str,
    auth: &[(&str, &str)],
    body: Value,
) -> (u16, Value) {
    let mut headers = auth.to_vec();
    headers.push(("content-type", "application/json"));
    let reply = send(
        method,
        &format!("{}{path}", simulator.url()),
        &headers,
        body.to_string(),
    )
    .await;
    (
        reply.status,
        serde_json::from_str(&reply.body).unwrap_or(Value::String(reply.body)),
    )
}

/// A simulator with one all-trigger subscription for user 1 pointing at a receiver.
async fn subscribed() -> (calsim::Simulator, Receiver) {
    let simulator = start(config(Profile::Current)).await;
    let receiver = Receiver::start(
        ReceiverConfig {
            secret: Some("s".to_owned()),
            ..ReceiverConfig::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let triggers: Vec<&str> = calsim::trigger::TriggerEvent::ALL
        .iter()
        .filter(|trigger| {
            !matches!(
                trigger,
                calsim::trigger::TriggerEvent::Ping
                    | calsim::trigger::TriggerEvent::DelegationCredentialError
            )
        })
        .map(|trigger| trigger.as_str())
        .collect();
    let (status, _) = call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &[("authorization", "Bearer cal_calsim_admin_key")],
        json!({"subscriberUrl": format!("{}/hook", receiver.url()), "triggers": triggers, "active": true, "secret": "s"}),
    )
    .await;
    assert_eq!(status, 201);
    (simulator, receiver)
}

fn received(receiver: &Receiver) -> Vec<Value> {
    receiver
        .state()
        .deliveries()
        .iter()
        .map(|delivery| serde_json::from_str(delivery.body.as_deref().unwrap()).unwrap())
        .collect()
}

fn triggers(bodies: &[Value]) -> Vec<String> {
    bodies
        .iter()
        .map(|body| body["triggerEvent"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_booking_lifecycle_fires_the_triggers_in_order_with_consistent_uids() {
    let (simulator, receiver) = subscribed().await;

    let (created, step) = call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z", "requiresConfirmation": true}),
    )
    .await;
    let uid = step["booking"]["uid"].as_str().unwrap().to_owned();
    call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/confirm"),
        &[],
        json!({}),
    )
    .await;
    let (_, moved) = call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/reschedule"),
        &[],
        json!({"start": "2030-01-02T10:00:00Z"}),
    )
    .await;
    let new_uid = moved["booking"]["uid"].as_str().unwrap().to_owned();
    call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{new_uid}/no-show"),
        &[],
        json!({"noShow": true}),
    )
    .await;
    call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{new_uid}/cancel"),
        &[],
        json!({"reason": "changed plans"}),
    )
    .await;

    assert_eq!(created, 201);
    let bodies = received(&receiver);
    assert_eq!(
        triggers(&bodies),
        [
            "BOOKING_REQUESTED",
            "BOOKING_CREATED",
            "BOOKING_RESCHEDULED",
            "BOOKING_NO_SHOW_UPDATED",
            "BOOKING_CANCELLED"
        ]
    );
    assert!(receiver
        .state()
        .deliveries()
        .iter()
        .all(|delivery| delivery.signature == SignatureVerdict::Valid));
    assert_eq!(bodies[0]["payload"]["status"], "PENDING");
    assert_eq!(bodies[0]["payload"]["uid"], uid.as_str());
    assert_eq!(bodies[1]["payload"]["uid"], uid.as_str());
    let rescheduled = &bodies[2]["payload"];
    assert_ne!(new_uid, uid);
    assert_eq!(rescheduled["uid"], new_uid.as_str());
    assert_eq!(rescheduled["rescheduleUid"], uid.as_str());
    assert_eq!(
        rescheduled["rescheduleStartTime"],
        "2030-01-01T10:00:00.000Z"
    );
    assert_eq!(rescheduled["startTime"], "2030-01-02T10:00:00.000Z");
    assert_eq!(bodies[3]["payload"]["bookingUid"], new_uid.as_str());
    assert_eq!(bodies[4]["payload"]["status"], "CANCELLED");
    assert_eq!(bodies[4]["payload"]["cancellationReason"], "changed plans");
}

#[tokio::test]
async fn meeting_triggers_fire_when_the_clock_passes_start_and_end() {
    let (simulator, receiver) = subscribed().await;
    let now = simulator.calcom().clock.now_ms();
    let start =
        calsim::payload::iso_string(jiff::Timestamp::from_millisecond(now + 3_600_000).unwrap());
    let (_, step) = call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": start, "lengthMinutes": 30}),
    )
    .await;
    let uid = step["booking"]["uid"].as_str().unwrap().to_owned();
    let (_, scheduled) = call(&simulator, "GET", "/_calsim/scheduled", &[], json!(null)).await;

    let (_, at_start) = call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        &[],
        json!({"ms": 3_600_000}),
    )
    .await;
    let (_, at_end) = call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        &[],
        json!({"ms": 30 * 60_000}),
    )
    .await;

    assert_eq!(scheduled.as_array().map(Vec::len), Some(2), "{scheduled}");
    assert!(at_start["dispatched"].is_array(), "{at_start}");
    assert_eq!(at_start["dispatched"].as_array().unwrap().len(), 1);
    assert_eq!(at_end["dispatched"].as_array().unwrap().len(), 1);
    let bodies = received(&receiver);
    assert_eq!(
        triggers(&bodies),
        ["BOOKING_CREATED", "MEETING_STARTED", "MEETING_ENDED"]
    );
    assert_eq!(
        bodies[1]["uid"],
        uid.as_str(),
        "meeting bodies are flat booking rows"
    );
    assert!(bodies[1].get("payload").is_none());
}

#[tokio::test]
async fn cancelling_drops_the_meeting_triggers() {
    let (simulator, receiver) = subscribed().await;
    let (_, step) = call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 2, "start": "2031-05-05T09:00:00Z"}),
    )
    .await;
    let uid = step["booking"]["uid"].as_str().unwrap().to_owned();

    call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/cancel"),
        &[],
        json!({}),
    )
    .await;
    let (_, scheduled) = call(&simulator, "GET", "/_calsim/scheduled", &[], json!(null)).await;
    call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        &[],
        json!({"ms": 10_i64 * 365 * 24 * 3_600_000}),
    )
    .await;

    assert_eq!(scheduled, json!([]));
    assert_eq!(
        triggers(&received(&receiver)),
        ["BOOKING_CREATED", "BOOKING_CANCELLED"]
    );
}

#[tokio::test]
async fn a_priced_booking_waits_for_payment_then_is_created_and_paid_as_handle_confirmation_sends_them(
) {
    let (simulator, receiver) = subscribed().await;
    let (_, step) = call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": "2030-03-03T10:00:00Z", "price": 1000}),
    )
    .await;
    let uid = step["booking"]["uid"].as_str().unwrap().to_owned();
    assert_eq!(step["booking"]["status"], "PENDING", "{step}");
    let payment_id = step["booking"]["payment"]["id"].clone();
    let external_id = step["booking"]["payment"]["externalId"].clone();
    assert!(payment_id.is_i64(), "{step}");

    let (status, refused) = call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/confirm"),
        &[],
        json!({}),
    )
    .await;
    assert_eq!(
        status, 409,
        "an unpaid booking cannot be confirmed: {refused}"
    );

    let (_, paid) = call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/pay"),
        &[],
        json!({}),
    )
    .await;
    assert_eq!(paid["booking"]["status"], "ACCEPTED");
    assert_eq!(paid["booking"]["paid"], true);
    assert_eq!(paid["booking"]["payment"]["success"], true);

    let bodies = received(&receiver);
    assert_eq!(
        triggers(&bodies),
        [
            "BOOKING_PAYMENT_INITIATED",
            "BOOKING_CREATED",
            "BOOKING_PAID"
        ]
    );
    let (initiated, created, paid) = (
        &bodies[0]["payload"],
        &bodies[1]["payload"],
        &bodies[2]["payload"],
    );
    assert_eq!(initiated["paymentId"], payment_id);
    assert_eq!(initiated["status"], "ACCEPTED");
    assert_eq!(initiated["requiresConfirmation"], false);
    assert!(created.get("paymentId").is_none(), "{created}");
    assert_eq!(paid["price"], 1000);
    assert_eq!(paid["paymentId"], payment_id);
    assert_eq!(
        paid["metadata"],
        json!({"identifier": "cal.com", "bookingId": paid["bookingId"], "eventTypeId": 1,
               "bookerEmail": "guest@example.com", "eventTitle": paid["eventTitle"], "externalId": external_id})
    );
    let keys: Vec<&String> = paid.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.last().map(|key| key.as_str()),
        Some("paymentId"),
        "paymentId is added last, after the payload was built: {keys:?}"
    );
    let created_keys: Vec<&String> = created.as_object().unwrap().keys().collect();
    assert_eq!(
        keys[..keys.len() - 1],
        created_keys[..],
        "BOOKING_PAID is BOOKING_CREATED's payload with paymentId added"
    );

    let (status, again) = call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/pay"),
        &[],
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "a paid booking cannot be paid again: {again}");
}

#[tokio::test]
async fn a_step_that_does_not_apply_is_409_with_the_state() {
    let (simulator, _receiver) = subscribed().await;
    let (_, step) = call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z"}),
    )
    .await;
    let uid = step["booking"]["uid"].as_str().unwrap().to_owned();

    let (status, error) = call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/confirm"),
        &[],
        json!({}),
    )
    .await;
    let (missing, _) = call(
        &simulator,
        "POST",
        "/_calsim/bookings/nope/cancel",
        &[],
        json!({}),
    )
    .await;

    assert_eq!(status, 409);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("is Accepted; confirm needs PENDING"),
        "{error}"
    );
    assert_eq!(missing, 404);
}

#[tokio::test]
async fn bookings_fire_event_type_and_organization_subscriptions_too() {
    let (simulator, receiver) = subscribed().await;
    let admin = [("authorization", "Bearer cal_calsim_admin_key")];
    for path in ["/v2/event-types/1/webhooks", "/v2/organizations/1/webhooks"] {
        call(&simulator, "POST", path, &admin, json!({"subscriberUrl": format!("{}{path}", receiver.url()), "triggers": ["BOOKING_CREATED"], "active": true, "secret": "s"})).await;
    }

    call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z"}),
    )
    .await;

    let mut urls: Vec<String> = receiver
        .state()
        .deliveries()
        .into_iter()
        .map(|delivery| delivery.url)
        .collect();
    urls.sort();
    assert_eq!(
        urls,
        [
            "/hook",
            "/v2/event-types/1/webhooks",
            "/v2/organizations/1/webhooks"
        ]
    );
}

#[tokio::test]
async fn out_of_office_and_form_submissions_fire_their_triggers() {
    let (simulator, receiver) = subscribed().await;

    call(&simulator, "POST", "/_calsim/out-of-office", &[], json!({"userId": 1, "start": "2030-02-01T00:00:00.000Z", "end": "2030-02-05T23:59:59.999Z", "toUserId": 2})).await;
    call(
        &simulator,
        "POST",
        "/_calsim/forms/form-7/submit",
        &[],
        json!({"userId": 1, "responses": {"Email": "guest@example.com"}}),
    )
    .await;

    let bodies = received(&receiver);
    assert_eq!(triggers(&bodies), ["OOO_CREATED", "FORM_SUBMITTED"]);
    assert_eq!(bodies[0]["payload"]["oooEntry"]["toUser"]["id"], 2);
    assert_eq!(
        bodies[1]["Email"], "guest@example.com",
        "FORM_SUBMITTED copies responses to the top level"
    );
    assert_eq!(bodies[1]["payload"]["formId"], "form-7");
}

#[tokio::test]
async fn a_meeting_can_be_started_and_ended_by_hand() {
    let (simulator, receiver) = subscribed().await;
    let (_, step) = call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z"}),
    )
    .await;
    let uid = step["booking"]["uid"].as_str().unwrap().to_owned();

    call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/start"),
        &[],
        json!({}),
    )
    .await;
    call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/end"),
        &[],
        json!({}),
    )
    .await;
    let (_, scheduled) = call(&simulator, "GET", "/_calsim/scheduled", &[], json!(null)).await;

    assert_eq!(
        triggers(&received(&receiver)),
        ["BOOKING_CREATED", "MEETING_STARTED", "MEETING_ENDED"]
    );
    assert_eq!(
        scheduled,
        json!([]),
        "the hand-fired meetings are not sent again at their time"
    );
}

#[tokio::test]
async fn zapier_subscriptions_get_the_flat_zapier_body_unsigned() {
    let simulator = start(config(Profile::Current)).await;
    let receiver = Receiver::start(
        ReceiverConfig::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let add = |app: &str| {
        format!("/api/integrations/{app}/subscriptions/addSubscription?apiKey=cal_calsim_admin_key")
    };
    let (zapier, created) = call(&simulator, "POST", &add("zapier"), &[], json!({"subscriberUrl": format!("{}/zapier", receiver.url()), "triggerEvent": "BOOKING_CREATED"})).await;
    call(&simulator, "POST", &add("make"), &[], json!({"subscriberUrl": format!("{}/make", receiver.url()), "triggerEvent": "BOOKING_CREATED"})).await;

    call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z"}),
    )
    .await;

    assert_eq!((zapier, &created["appId"]), (200, &json!("zapier")));
    let deliveries = receiver.state().deliveries();
    let by_url = |url: &str| {
        deliveries
            .iter()
            .find(|delivery| delivery.url == url)
            .unwrap()
    };
    let zapier_body: Value =
        serde_json::from_str(by_url("/zapier").body.as_deref().unwrap()).unwrap();
    let make_body: Value = serde_json::from_str(by_url("/make").body.as_deref().unwrap()).unwrap();
    let keys: Vec<&String> = zapier_body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "uid",
            "title",
            "description",
            "customInputs",
            "responses",
            "userFieldsResponses",
            "startTime",
            "endTime",
            "location",
            "status",
            "user",
            "eventType",
            "attendees",
            "createdAt",
            "metadata"
        ]
    );
    assert_eq!(zapier_body["location"], "Cal Video");
    assert!(
        zapier_body["user"].get("locale").is_none(),
        "organizer.locale is undefined in Cal.com, so it is left out"
    );
    let signature = by_url("/zapier")
        .headers
        .iter()
        .find(|(name, _)| name == "x-cal-signature-256")
        .unwrap()
        .1
        .clone();
    assert_eq!(signature, "no-secret-provided");
    assert_eq!(
        make_body["triggerEvent"], "BOOKING_CREATED",
        "make gets the default body"
    );
}

#[tokio::test]
async fn an_app_subscription_is_deleted_by_id_and_bad_keys_are_refused() {
    let simulator = start(config(Profile::Current)).await;
    let base = "/api/integrations/make/subscriptions";
    let (_, created) = call(&simulator, "POST", &format!("{base}/addSubscription?apiKey=cal_calsim_admin_key"), &[], json!({"subscriberUrl": "https://hook.make.example/1", "triggerEvent": "BOOKING_CANCELLED"})).await;
    let id = created["id"].as_str().unwrap();

    let (bad_key, _) = call(
        &simulator,
        "POST",
        &format!("{base}/addSubscription?apiKey=cal_nope"),
        &[],
        json!({"subscriberUrl": "x", "triggerEvent": "BOOKING_CREATED"}),
    )
    .await;
    let (deleted, _) = call(
        &simulator,
        "DELETE",
        &format!("{base}/deleteSubscription?id={id}&apiKey=cal_calsim_admin_key"),
        &[],
        json!(null),
    )
    .await;

    assert_eq!((bad_key, deleted), (401, 204));
    assert!(simulator.calcom().store.subscriptions(None).is_empty());
}

#[tokio::test]
async fn meeting_bodies_can_be_wrapped_like_the_newer_builder() {
    let mut config = config(Profile::Current);
    config.wrapped_meeting_bodies = true;
    let simulator = start(config).await;
    let receiver = Receiver::start(
        ReceiverConfig::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &[("authorization", "Bearer cal_calsim_admin_key")],
        json!({"subscriberUrl": receiver.url(), "triggers": ["MEETING_ENDED"], "active": true}),
    )
    .await;
    let (_, step) = call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z"}),
    )
    .await;
    let uid = step["booking"]["uid"].as_str().unwrap().to_owned();

    call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/end"),
        &[],
        json!({}),
    )
    .await;

    let body = &received(&receiver)[0];
    assert_eq!(body["triggerEvent"], "MEETING_ENDED");
    assert_eq!(body["payload"]["uid"], uid.as_str());
}

#[tokio::test]
async fn a_start_that_is_not_iso_8601_is_a_400_with_an_example() {
    let (simulator, receiver) = subscribed().await;

    let (status, error) = call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": "tomorrow at ten"}),
    )
    .await;

    assert_eq!(status, 400);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("write it like 2030-01-01T10:00:00Z"),
        "{error}"
    );
    assert!(
        simulator.calcom().store.bookings().is_empty(),
        "nothing is stored"
    );
    assert!(receiver.state().deliveries().is_empty());
}

#[tokio::test]
async fn a_form_submission_without_a_booking_fires_no_event_15_minutes_later() {
    let (simulator, receiver) = subscribed().await;
    call(
        &simulator,
        "POST",
        "/_calsim/forms/form-1/submit",
        &[],
        json!({"userId": 1, "responses": {"Email": "lead@example.com"}}),
    )
    .await;
    call(
        &simulator,
        "POST",
        "/_calsim/forms/form-2/submit",
        &[],
        json!({"userId": 1, "responses": {"Email": "booker@example.com"}}),
    )
    .await;
    call(&simulator, "POST", "/_calsim/bookings", &[], json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z", "attendee": {"name": "Booker", "email": "booker@example.com", "timeZone": "UTC"}})).await;

    let (_, early) = call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        &[],
        json!({"ms": 14 * 60_000}),
    )
    .await;
    let (_, due) = call(
        &simulator,
        "POST",
        "/_calsim/clock/advance",
        &[],
        json!({"ms": 60_000}),
    )
    .await;

    assert_eq!(early["dispatched"], json!([]));
    assert_eq!(
        due["dispatched"].as_array().unwrap().len(),
        1,
        "only the submitter who did not book: {due}"
    );
    let bodies = received(&receiver);
    let last = bodies.last().unwrap();
    assert_eq!(last["triggerEvent"], "FORM_SUBMITTED_NO_EVENT");
    assert_eq!(last["payload"]["formId"], "form-1");
    assert!(
        last.get("Email").is_none(),
        "no root copies for FORM_SUBMITTED_NO_EVENT"
    );
}

#[tokio::test]
async fn rejecting_a_pending_booking_fires_booking_rejected_with_the_reason() {
    let (simulator, receiver) = subscribed().await;
    let (_, step) = call(
        &simulator,
        "POST",
        "/_calsim/bookings",
        &[],
        json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z", "requiresConfirmation": true}),
    )
    .await;
    let uid = step["booking"]["uid"].as_str().unwrap().to_owned();

    let (status, rejected) = call(
        &simulator,
        "POST",
        &format!("/_calsim/bookings/{uid}/reject"),
        &[],
        json!({"reason": "double booked"}),
    )
    .await;

    assert_eq!(status, 200);
    assert_eq!(rejected["booking"]["status"], "REJECTED");
    let deliveries = receiver.state().deliveries();
    let last = deliveries.last().unwrap();
    assert_eq!(last.trigger_event.as_deref(), Some("BOOKING_REJECTED"));
    let body: Value = serde_json::from_str(last.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["payload"]["uid"], uid.as_str());
    assert_eq!(body["payload"]["rejectionReason"], "double booked");
}
