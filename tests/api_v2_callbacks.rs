//! The API v2 endpoints integrations call back: `/v2/me`, bookings, event types and
//! slots, answered from the simulated state with API v2's envelope and errors; a booking
//! made through `POST /v2/bookings` fires the same webhooks as any other.

use calsim::trigger::TriggerEvent;
use calsim::{Expectation, Simulator};
use serde_json::{json, Value};

const ADMIN: &str = "Bearer cal_calsim_admin_key";

async fn call(
    simulator: &Simulator,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client
        .request(
            method.parse().unwrap(),
            format!("{}{path}", simulator.url()),
        )
        .header("authorization", ADMIN)
        .header("cal-api-version", "2024-08-13");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn me_and_event_types_answer_for_the_api_keys_user() {
    let simulator = Simulator::start().await.unwrap();

    let (status, me) = call(&simulator, "GET", "/v2/me", None).await;
    let (_, types) = call(&simulator, "GET", "/v2/event-types", None).await;
    let (missing, error) = call(&simulator, "GET", "/v2/event-types/3", None).await;
    let anonymous = reqwest::get(format!("{}/v2/me", simulator.url()))
        .await
        .unwrap();

    assert_eq!(status, 200);
    assert_eq!(me["status"], "success");
    assert_eq!(me["data"]["id"], 1);
    assert_eq!(me["data"]["email"], "user1@example.com");
    let ids: Vec<&Value> = types["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|each| &each["id"])
        .collect();
    assert_eq!(
        ids,
        [&json!(1), &json!(2)],
        "user 1 owns event types 1 and 2"
    );
    assert_eq!(types["data"][0]["lengthInMinutes"], 30);
    assert_eq!(missing, 404);
    assert_eq!(error["error"]["message"], "Event type with id=3 not found");
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_booking_made_through_v2_fires_its_webhook_and_reads_back() {
    let simulator = Simulator::start().await.unwrap();
    simulator.subscribe(
        "http://127.0.0.1:9/hook",
        &[TriggerEvent::BookingCreated],
        Some("s3cret"),
    );
    simulator.expect(
        Expectation::delivery(TriggerEvent::BookingCreated)
            .to("http://127.0.0.1:9/hook")
            .times(1),
    );

    let (status, created) = call(
        &simulator,
        "POST",
        "/v2/bookings",
        Some(json!({"start": "2030-01-07T10:00:00Z", "eventTypeId": 1, "attendee": {"name": "Ada Lovelace", "email": "ada@example.com", "timeZone": "Europe/London"}})),
    )
    .await;
    let uid = created["data"]["uid"].as_str().unwrap().to_owned();
    let (_, shown) = call(&simulator, "GET", &format!("/v2/bookings/{uid}"), None).await;
    let (_, listed) = call(
        &simulator,
        "GET",
        "/v2/bookings?status=upcoming&attendeeEmail=ada@example.com&take=1",
        None,
    )
    .await;
    let (missing, error) = call(&simulator, "GET", "/v2/bookings/nope", None).await;

    assert_eq!(status, 201, "{created}");
    assert_eq!(created["data"]["status"], "accepted");
    assert_eq!(created["data"]["start"], "2030-01-07T10:00:00.000Z");
    assert_eq!(created["data"]["end"], "2030-01-07T10:30:00.000Z");
    assert_eq!(created["data"]["duration"], 30);
    assert_eq!(
        created["data"]["eventType"],
        json!({"id": 1, "slug": "30min"})
    );
    assert_eq!(created["data"]["attendees"][0]["email"], "ada@example.com");
    assert_eq!(shown["data"], created["data"]);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["pagination"]["totalItems"], 1);
    assert_eq!(listed["pagination"]["hasNextPage"], false);
    assert_eq!(missing, 404);
    assert_eq!(error["status"], "error");
    assert_eq!(
        error["error"]["message"],
        "Booking with uid=nope was not found in the database"
    );
}

#[tokio::test]
async fn cancel_and_reschedule_through_v2_keep_the_chain_of_uids() {
    let simulator = Simulator::start().await.unwrap();
    let first = simulator
        .book(1, "2030-01-07T10:00:00Z")
        .await
        .unwrap()
        .booking
        .uid;
    let second = simulator
        .book(1, "2030-01-08T10:00:00Z")
        .await
        .unwrap()
        .booking
        .uid;

    let (moved_status, moved) = call(
        &simulator,
        "POST",
        &format!("/v2/bookings/{first}/reschedule"),
        Some(json!({"start": "2030-01-09T10:00:00Z"})),
    )
    .await;
    let (cancel_status, cancelled) = call(
        &simulator,
        "POST",
        &format!("/v2/bookings/{second}/cancel"),
        Some(json!({"cancellationReason": "changed plans"})),
    )
    .await;
    let (_, old) = call(&simulator, "GET", &format!("/v2/bookings/{first}"), None).await;
    let (_, page) = call(&simulator, "GET", "/v2/bookings?take=1&skip=1", None).await;

    assert_eq!(moved_status, 201, "{moved}");
    assert_eq!(moved["data"]["rescheduledFromUid"], json!(first));
    assert_eq!(old["data"]["rescheduledToUid"], moved["data"]["uid"]);
    assert_eq!(cancel_status, 200, "{cancelled}");
    assert_eq!(cancelled["data"]["status"], "cancelled");
    assert_eq!(cancelled["data"]["cancellationReason"], "changed plans");
    assert_eq!(
        page["pagination"],
        json!({"totalItems": 3, "remainingItems": 1, "returnedItems": 1, "itemsPerPage": 1, "currentPage": 2, "totalPages": 3, "hasNextPage": true, "hasPreviousPage": true})
    );
}

#[tokio::test]
async fn slots_follow_the_schedule_and_leave_out_booked_times() {
    let simulator = Simulator::start().await.unwrap();
    simulator.book(1, "2030-01-07T10:00:00Z").await.unwrap();

    let (status, slots) = call(
        &simulator,
        "GET",
        "/v2/slots?eventTypeId=1&start=2030-01-05&end=2030-01-07",
        None,
    )
    .await;

    assert_eq!(status, 200, "{slots}");
    let days = slots["data"].as_object().unwrap();
    assert_eq!(
        days.keys().collect::<Vec<_>>(),
        ["2030-01-07"],
        "the 5th and 6th are a weekend"
    );
    let starts: Vec<&str> = days["2030-01-07"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts.len(),
        15,
        "16 half hours from 09:00 to 17:00, less the booked one"
    );
    assert_eq!(starts[0], "2030-01-07T09:00:00.000Z");
    assert!(!starts.contains(&"2030-01-07T10:00:00.000Z"));
}
