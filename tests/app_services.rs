//! Bookings use the synced credentials: the organizer's video, calendar and CRM apps
//! are called on calsim's fake providers with the stored token, after Cal.com's token
//! handling (a pull when it is expiring, a pull and one retry after a 401), and the
//! results fill the webhook's `appsStatus` and `videoCallData`.

mod common;

use common::consumer;
use std::time::Duration;

use axum::routing::post;
use axum::Router;
use calsim::journal::Surface;
use calsim::partner::Partner;
use calsim::receiver::Receiver;
use calsim::trigger::TriggerEvent;
use calsim::{Expectation, Simulator};
use serde_json::{json, Value};

const FAR: i64 = 4_102_444_800_000; // 2100-01-01

/// Organizer 1 with Zoom, Google Calendar and HubSpot credentials; event type 1 uses
/// all three; BOOKING_CREATED and BOOKING_RESCHEDULED go to `receiver`.
async fn organizer(sync_endpoint: &str, zoom_expiry: i64, receiver: &Receiver) -> Simulator {
    let simulator = Simulator::builder()
        .sync_endpoint(sync_endpoint)
        .credential(1, "zoom", json!({"access_token": "zoom-token", "refresh_token": "zoom-refresh", "expiry_date": zoom_expiry}))
        .credential(1, "google-calendar", json!({"access_token": "google-token", "refresh_token": "google-refresh", "expiry_date": FAR}))
        .credential(1, "hubspot", json!({"accessToken": "hubspot-token", "refreshToken": "hubspot-refresh", "expiryDate": FAR}))
        .subscription(receiver.url(), &[TriggerEvent::BookingCreated, TriggerEvent::BookingRescheduled, TriggerEvent::BookingCancelled], None)
        .start()
        .await
        .unwrap();
    let answer = reqwest::Client::new()
        .patch(format!("{}/_calsim/event-types/1", simulator.url()))
        .body(r#"{"location":"integrations:zoom","destinationCalendar":"google-calendar","crm":["hubspot"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    simulator
}

fn payload(receiver: &Receiver, trigger: &str) -> Value {
    let delivery = receiver
        .state()
        .deliveries()
        .into_iter()
        .find(|delivery| delivery.trigger_event.as_deref() == Some(trigger))
        .unwrap_or_else(|| panic!("no {trigger} delivery"));
    let body: Value = serde_json::from_str(delivery.body.as_deref().unwrap()).unwrap();
    body["payload"].clone()
}

/// The journal as `surface method path -> status`, providers and pulls only.
fn chain(simulator: &Simulator) -> Vec<String> {
    simulator
        .calcom()
        .journal
        .entries(None)
        .iter()
        .filter(|entry| {
            matches!(
                entry.surface,
                Surface::Provider | Surface::Pull | Surface::Webhook
            )
        })
        .map(|entry| {
            let path = entry.request.url.split('?').next().unwrap_or_default();
            let path = path
                .rsplit_once("/_providers")
                .map_or(path, |(_, rest)| rest);
            let status = entry
                .response
                .as_ref()
                .map_or(0, |response| response.status);
            format!(
                "{:?} {} {} -> {status}",
                entry.surface, entry.request.method, path
            )
        })
        .collect()
}

fn zoom_video(meeting: &Value) -> Value {
    json!({"type": "zoom_video", "id": meeting["id"], "password": "calsim", "url": meeting["url"]})
}

#[tokio::test]
async fn a_booking_with_fresh_tokens_calls_each_app_once_and_reports_them_without_a_pull() {
    let receiver = consumer().await;
    let partner = Partner::builder().start().await.unwrap();
    let simulator = organizer(&partner.sync_endpoint_url(), FAR, &receiver).await;
    simulator.expect(Expectation::pull().never());

    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let payload = payload(&receiver, "BOOKING_CREATED");
    insta::assert_json_snapshot!(
        json!({"appsStatus": payload["appsStatus"], "videoCallData": payload["videoCallData"], "location": payload["location"], "metadata": payload["metadata"]}),
        @r#"
    {
      "appsStatus": [
        {
          "appName": "Zoom Video",
          "type": "zoom_video",
          "success": 1,
          "failures": 0,
          "errors": []
        },
        {
          "appName": "Google Calendar",
          "type": "google_calendar",
          "success": 1,
          "failures": 0,
          "errors": [],
          "warnings": []
        },
        {
          "appName": "HubSpot",
          "type": "hubspot_crm",
          "success": 1,
          "failures": 0,
          "errors": []
        }
      ],
      "videoCallData": {
        "type": "zoom_video",
        "id": "80000000001",
        "password": "calsim",
        "url": "https://zoom.example/j/80000000001?pwd=calsim"
      },
      "location": "integrations:zoom",
      "metadata": {
        "videoCallUrl": "https://zoom.example/j/80000000001?pwd=calsim"
      }
    }
    "#
    );
    assert_eq!(
        chain(&simulator),
        [
            "Provider POST /zoom/v2/users/me/meetings -> 201".to_owned(),
            "Provider POST /google/calendar/v3/calendars/primary/events -> 200".to_owned(),
            "Provider POST /hubspot/crm/v3/objects/contacts/search -> 200".to_owned(),
            "Provider POST /hubspot/crm/v3/objects/contacts -> 201".to_owned(),
            "Provider POST /hubspot/crm/v3/objects/meetings -> 201".to_owned(),
            format!("Webhook POST {} -> 200", receiver.url()),
        ]
    );
    let references = simulator
        .calcom()
        .store
        .booking(&booked.booking.uid)
        .unwrap()
        .references;
    assert_eq!(references.len(), 3);
    let provider_calls = simulator.calcom().journal.entries(Some(Surface::Provider));
    assert!(
        provider_calls.iter().all(|entry| {
            entry.request.headers.iter().any(|(name, value)| {
                name == "authorization"
                    && !value.to_str().unwrap().contains("zoom-token")
                    && !value.to_str().unwrap().contains("google-token")
            })
        }),
        "tokens are masked in the journal"
    );
}

#[tokio::test]
async fn an_expired_token_is_pulled_exactly_once_and_the_call_uses_the_new_one() {
    let receiver = consumer().await;
    let partner = Partner::builder().start().await.unwrap();
    let simulator = organizer(&partner.sync_endpoint_url(), 1, &receiver).await;
    simulator.expect(
        Expectation::pull()
            .user(1)
            .app("zoom")
            .answered(200)
            .times(1),
    );

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let lines = chain(&simulator);
    assert!(
        lines[0].starts_with("Pull POST ") && lines[0].ends_with("-> 200"),
        "{lines:?}"
    );
    assert_eq!(lines[1], "Provider POST /zoom/v2/users/me/meetings -> 201");
    let zoom = &simulator.calcom().store.credentials(Some(1), Some("zoom"))[0];
    assert_ne!(
        zoom.key["access_token"], "zoom-token",
        "the pulled token is stored"
    );
    assert_eq!(
        zoom.key["refresh_token"], "zoom-refresh",
        "merged over the stored key"
    );
    let payload = payload(&receiver, "BOOKING_CREATED");
    assert_eq!(payload["appsStatus"][0]["success"], 1);
    assert_eq!(
        payload["videoCallData"],
        zoom_video(&payload["videoCallData"])
    );
}

#[tokio::test]
async fn a_revoked_token_gets_a_401_then_a_pull_then_one_retry() {
    let receiver = consumer().await;
    let partner = Partner::builder().start().await.unwrap();
    let simulator = organizer(&partner.sync_endpoint_url(), FAR, &receiver).await;
    let fault = reqwest::Client::new()
        .post(format!("{}/_calsim/providers/zoom/fault", simulator.url()))
        .body(r#"{"status":401,"times":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status(), 200);

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let lines = chain(&simulator);
    assert_eq!(lines[0], "Provider POST /zoom/v2/users/me/meetings -> 401");
    assert!(
        lines[1].starts_with("Pull POST ") && lines[1].ends_with("-> 200"),
        "{lines:?}"
    );
    assert_eq!(lines[2], "Provider POST /zoom/v2/users/me/meetings -> 201");
    assert_eq!(
        payload(&receiver, "BOOKING_CREATED")["appsStatus"][0]["success"],
        1
    );
}

#[tokio::test]
async fn a_partner_that_answers_garbage_leaves_the_credential_and_falls_back_to_cal_video() {
    let receiver = consumer().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let garbage = format!("http://{}/api/getToken", listener.local_addr().unwrap());
    let app = Router::new().route(
        "/api/getToken",
        post(|| async { r#"{"token":"not what Cal.com reads"}"# }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let simulator = organizer(&garbage, 1, &receiver).await;

    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let payload = payload(&receiver, "BOOKING_CREATED");
    assert_eq!(
        payload["appsStatus"][0],
        json!({"appName": "Zoom Video", "type": "daily_video", "success": 0, "failures": 1, "errors": []})
    );
    assert_eq!(
        payload["appsStatus"][1]["success"], 1,
        "the other apps still run"
    );
    assert_eq!(payload["location"], "integrations:daily");
    assert_eq!(payload["videoCallData"]["type"], "daily_video");
    assert_eq!(
        payload["videoCallData"]["url"],
        format!("https://app.example.com/video/{}", booked.booking.uid)
    );
    let zoom = &simulator.calcom().store.credentials(Some(1), Some("zoom"))[0];
    assert_eq!(
        zoom.key["access_token"], "zoom-token",
        "an unusable reply stores nothing"
    );
    assert!(!zoom.invalid);
    assert!(
        !chain(&simulator).iter().any(|line| line.contains("/zoom/")),
        "no provider call without a usable token"
    );
}

#[tokio::test]
async fn with_sync_off_an_expired_token_is_refreshed_at_the_provider() {
    let receiver = consumer().await;
    let simulator = organizer("", 1, &receiver).await;

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let lines = chain(&simulator);
    assert_eq!(lines[0], "Provider POST /zoom/oauth/token -> 200");
    assert_eq!(lines[1], "Provider POST /zoom/v2/users/me/meetings -> 201");
    assert!(!lines.iter().any(|line| line.starts_with("Pull")));
}

#[tokio::test]
async fn reschedule_updates_and_cancel_deletes_what_the_apps_created() {
    let receiver = consumer().await;
    let partner = Partner::builder().start().await.unwrap();
    let simulator = organizer(&partner.sync_endpoint_url(), FAR, &receiver).await;
    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let moved = simulator
        .reschedule(&booked.booking.uid, "2030-01-02T10:00:00Z")
        .await
        .unwrap();
    simulator.cancel(&moved.booking.uid).await.unwrap();

    let operations: Vec<String> = simulator
        .calcom()
        .providers
        .records()
        .iter()
        .map(|record| {
            format!(
                "{} {}",
                record["app"].as_str().unwrap(),
                record["operation"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        operations,
        [
            "zoom create",
            "google-calendar create",
            "hubspot create-contact",
            "hubspot create-meeting",
            "zoom update",
            "google-calendar update",
            "hubspot update",
            "zoom delete",
            "google-calendar delete",
            "hubspot delete",
        ]
    );
    let rescheduled = payload(&receiver, "BOOKING_RESCHEDULED");
    assert_eq!(rescheduled["appsStatus"].as_array().unwrap().len(), 3);
    assert_eq!(rescheduled["videoCallData"]["type"], "zoom_video");
    let stored = simulator
        .calcom()
        .store
        .booking(&moved.booking.uid)
        .unwrap();
    assert_eq!(
        stored.references.len(),
        3,
        "references move to the new booking"
    );
    simulator
        .wait_for_delivery(TriggerEvent::BookingCancelled, Duration::from_secs(2))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_event_type_without_app_settings_keeps_cal_videos_example_status() {
    let receiver = consumer().await;
    let simulator = Simulator::builder()
        .credential(
            1,
            "zoom",
            json!({"access_token": "zoom-token", "expiry_date": FAR}),
        )
        .subscription(receiver.url(), &[TriggerEvent::BookingCreated], None)
        .start()
        .await
        .unwrap();

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    assert_eq!(
        payload(&receiver, "BOOKING_CREATED")["appsStatus"],
        json!([{"appName": "Cal Video", "type": "daily_video", "success": 1, "failures": 0, "errors": []}])
    );
    assert!(simulator
        .calcom()
        .journal
        .entries(Some(Surface::Provider))
        .is_empty());
}

#[tokio::test]
async fn a_provider_outage_fails_that_app_every_time_but_never_the_booking() {
    let receiver = consumer().await;
    let partner = Partner::builder().start().await.unwrap();
    let simulator = organizer(&partner.sync_endpoint_url(), FAR, &receiver).await;
    let client = reqwest::Client::new();
    let fault = client
        .post(format!(
            "{}/_calsim/providers/google-calendar/fault",
            simulator.url()
        ))
        .body(r#"{"status":503}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status(), 200);

    let first = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();
    let second = simulator.book(1, "2030-01-03T10:00:00Z").await.unwrap();

    for step in [&first, &second] {
        assert_eq!(
            step.dispatched.len(),
            1,
            "the booking and its webhook happen"
        );
    }
    let statuses: Vec<Value> = receiver
        .state()
        .deliveries()
        .iter()
        .map(|delivery| {
            serde_json::from_str::<Value>(delivery.body.as_deref().unwrap()).unwrap()["payload"]
                ["appsStatus"][1]
                .clone()
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            json!({"appName": "Google Calendar", "type": "google_calendar", "success": 0, "failures": 1, "errors": [], "warnings": []});
            2
        ]
    );
    assert!(
        !chain(&simulator)
            .iter()
            .any(|line| line.starts_with("Pull")),
        "a 503 is not a token problem: no pull"
    );
    let cleared = client
        .delete(format!(
            "{}/_calsim/providers/google-calendar/fault",
            simulator.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    simulator.book(1, "2030-01-05T10:00:00Z").await.unwrap();
    assert_eq!(payload_of_last(&receiver)["appsStatus"][1]["success"], 1);
}

fn payload_of_last(receiver: &Receiver) -> Value {
    let deliveries = receiver.state().deliveries();
    let body: Value =
        serde_json::from_str(deliveries.last().unwrap().body.as_deref().unwrap()).unwrap();
    body["payload"].clone()
}

/// Organizer 1 with the given credentials and event type 1 set to `apps`;
/// BOOKING_CREATED goes to `receiver`.
async fn organizer_with(
    sync_endpoint: &str,
    credentials: &[(&str, Value)],
    apps: Value,
    receiver: &Receiver,
) -> Simulator {
    let mut builder = Simulator::builder()
        .sync_endpoint(sync_endpoint)
        .subscription(
            receiver.url(),
            &[
                TriggerEvent::BookingCreated,
                TriggerEvent::BookingRescheduled,
            ],
            None,
        );
    for (app, key) in credentials {
        builder = builder.credential(1, *app, key.clone());
    }
    let simulator = builder.start().await.unwrap();
    let answer = reqwest::Client::new()
        .patch(format!("{}/_calsim/event-types/1", simulator.url()))
        .body(apps.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    simulator
}

/// The `appName`s of a webhook body's `appsStatus`, in order.
fn app_names(body: &Value) -> Vec<String> {
    body["appsStatus"]
        .as_array()
        .unwrap_or_else(|| panic!("no appsStatus in {body}"))
        .iter()
        .map(|status| status["appName"].as_str().unwrap().to_owned())
        .collect()
}

fn hubspot() -> (&'static str, Value) {
    (
        "hubspot",
        json!({"accessToken": "hubspot-token", "refreshToken": "hubspot-refresh", "expiryDate": FAR}),
    )
}

fn outlook() -> (&'static str, Value) {
    (
        "office365-calendar",
        json!({"access_token": "graph-token", "refresh_token": "graph-refresh", "expiry_date": FAR}),
    )
}

fn google() -> (&'static str, Value) {
    (
        "google-calendar",
        json!({"access_token": "google-token", "refresh_token": "google-refresh", "expiry_date": FAR}),
    )
}

/// Organizer 1 with Google Calendar as destination calendar and `location` (none: Cal
/// Video).
async fn google_calendar_organizer(location: Option<&str>, receiver: &Receiver) -> Simulator {
    organizer_with(
        "http://127.0.0.1:9/unused",
        &[google()],
        json!({"location": location, "destinationCalendar": "google-calendar"}),
        receiver,
    )
    .await
}

#[tokio::test]
async fn google_meet_rides_on_the_google_calendar_event_and_its_link_is_the_meeting_url() {
    let receiver = consumer().await;
    let simulator = google_calendar_organizer(Some("integrations:google:meet"), &receiver).await;

    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let created = payload(&receiver, "BOOKING_CREATED");
    let link = created["metadata"]["videoCallUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(link.starts_with("https://meet.google.com/"), "{created}");
    assert_eq!(
        created["appsStatus"],
        json!([
            {"appName": "Google Calendar", "type": "google_calendar", "success": 1, "failures": 0, "errors": [], "warnings": []},
            {"appName": "Google Meet", "type": "conferencing", "success": 1, "failures": 0, "errors": []},
        ])
    );
    assert_eq!(created["location"], "integrations:google:meet");
    assert!(
        created.get("videoCallData").is_none(),
        "Google Meet has no video adapter: the meeting is the calendar event's: {created}"
    );
    let records = simulator.calcom().providers.records();
    assert_eq!(
        records[0]["body"]["conferenceData"]["createRequest"]["conferenceSolutionKey"]["type"],
        "hangoutsMeet",
        "the calendar event asks Google for a Meet conference: {records:?}"
    );
    let references = simulator
        .calcom()
        .store
        .booking(&booked.booking.uid)
        .unwrap()
        .references;
    let kinds: Vec<(&str, Option<&str>)> = references
        .iter()
        .map(|row| (row.kind.as_str(), row.meeting_url.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("google_calendar", Some(link.as_str())),
            ("google_meet_video", Some(link.as_str()))
        ]
    );
    assert_eq!(references[0].uid, references[1].uid);

    let moved = simulator
        .reschedule(&booked.booking.uid, "2030-01-02T10:00:00Z")
        .await
        .unwrap();
    let rescheduled = payload(&receiver, "BOOKING_RESCHEDULED");
    assert_eq!(
        rescheduled["appsStatus"],
        json!([
            {"appName": "Google Calendar", "type": "google_calendar", "success": 1, "failures": 0, "errors": [], "warnings": []},
            {"appName": "Google Meet", "type": "conferencing", "success": 1, "failures": 0, "errors": []},
        ])
    );
    assert_eq!(
        rescheduled["metadata"]["videoCallUrl"],
        json!(link),
        "the moved event keeps its Meet"
    );

    simulator.cancel(&moved.booking.uid).await.unwrap();
    let deletes: Vec<Value> = simulator
        .calcom()
        .providers
        .records()
        .into_iter()
        .filter(|record| record["operation"] == "delete")
        .collect();
    assert_eq!(
        deletes.len(),
        1,
        "one event to delete, not two: {deletes:?}"
    );
}

#[tokio::test]
async fn google_meet_without_a_google_calendar_falls_back_to_cal_video_with_cal_coms_warning() {
    let receiver = consumer().await;
    let simulator = organizer_with(
        "http://127.0.0.1:9/unused",
        &[],
        json!({"location": "integrations:google:meet"}),
        &receiver,
    )
    .await;

    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    // EventManager.create: Google Meet without Google Calendar as the destination
    // calendar sets `evt.location = "integrations:daily"`; handleNewBooking then adds the
    // Meet failure with `google_meet_warning` after every other result.
    let created = payload(&receiver, "BOOKING_CREATED");
    assert_eq!(
        created["appsStatus"],
        json!([
            {"appName": "Cal Video", "type": "daily_video", "success": 1, "failures": 0, "errors": []},
            {"appName": "Google Meet", "type": "conferencing", "success": 0, "failures": 1, "errors": [],
             "warnings": ["In order to use Google Meet you must set your destination calendar to a Google Calendar"]},
        ])
    );
    assert_eq!(created["location"], "integrations:daily");
    assert_eq!(created["videoCallData"]["type"], "daily_video");
    assert_eq!(
        created["metadata"],
        json!({"videoCallUrl": format!("https://app.example.com/video/{}", booked.booking.uid)})
    );
}

#[tokio::test]
async fn the_google_meet_result_comes_after_the_crm_results() {
    let receiver = consumer().await;
    let simulator = organizer_with(
        "http://127.0.0.1:9/unused",
        &[
            google(),
            hubspot(),
        ],
        json!({"location": "integrations:google:meet", "destinationCalendar": "google-calendar", "crm": ["hubspot"]}),
        &receiver,
    )
    .await;

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    // EventManager.create returns video, calendar, then CRM results; handleNewBooking
    // pushes the Meet result onto the end of them.
    let names = app_names(&payload(&receiver, "BOOKING_CREATED"));
    assert_eq!(names, ["Google Calendar", "HubSpot", "Google Meet"]);
}

#[tokio::test]
async fn a_fault_set_for_google_meet_fails_the_google_calendar_event_and_the_meeting() {
    let receiver = consumer().await;
    let simulator = google_calendar_organizer(Some("integrations:google:meet"), &receiver).await;
    let fault = reqwest::Client::new()
        .post(format!(
            "{}/_calsim/providers/google-meet/fault",
            simulator.url()
        ))
        .body(r#"{"status":429,"times":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status(), 200);

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let statuses: Vec<(Value, Value)> = payload(&receiver, "BOOKING_CREATED")["appsStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|status| (status["appName"].clone(), status["success"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (json!("Google Calendar"), json!(0)),
            (json!("Google Meet"), json!(0))
        ]
    );
    assert_eq!(
        chain(&simulator)[0],
        "Provider POST /google/calendar/v3/calendars/primary/events -> 429"
    );
}

#[tokio::test]
async fn hubspot_looks_the_attendee_up_and_creates_the_contact_only_once() {
    let receiver = consumer().await;
    let simulator = organizer_with(
        "http://127.0.0.1:9/unused",
        &[hubspot()],
        json!({"crm": ["hubspot"]}),
        &receiver,
    )
    .await;

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();
    simulator.book(1, "2030-01-02T10:00:00Z").await.unwrap();

    let operations: Vec<String> = simulator
        .calcom()
        .providers
        .records()
        .iter()
        .map(|record| record["operation"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        operations,
        ["create-contact", "create-meeting", "create-meeting"],
        "the second booking finds guest@example.com and only adds a meeting"
    );
    let searches = chain(&simulator)
        .iter()
        .filter(|line| line.contains("/contacts/search -> 200"))
        .count();
    assert_eq!(searches, 2);
}

#[tokio::test]
async fn slots_leave_out_the_organizers_calendar_busy_times_after_pulling_an_expired_token() {
    let receiver = consumer().await;
    let partner = Partner::builder().start().await.unwrap();
    let simulator = organizer_with(
        &partner.sync_endpoint_url(),
        &[google()],
        json!({"destinationCalendar": "google-calendar"}),
        &receiver,
    )
    .await;
    let client = reqwest::Client::new();
    let elsewhere = client
        .post(format!(
            "{}/_providers/google/calendar/v3/calendars/primary/events",
            simulator.url()
        ))
        .bearer_auth("google-token")
        .json(&json!({"summary": "dentist", "start": {"dateTime": "2030-01-01T10:00:00Z"}, "end": {"dateTime": "2030-01-01T11:00:00Z"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 200);
    let credential = simulator.credentials(Some(1))[0].id;
    let expired = client
        .post(format!(
            "{}/_calsim/credentials/{credential}/expire",
            simulator.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 200);
    simulator.calcom().journal.clear();

    let starts = slot_starts(&simulator, "2030-01-01").await;

    let has = |start: &str| starts.iter().any(|known| known == start);
    assert!(has("2030-01-01T09:30:00.000Z"), "{starts:?}");
    assert!(!has("2030-01-01T10:00:00.000Z"), "{starts:?}");
    assert!(!has("2030-01-01T10:30:00.000Z"), "{starts:?}");
    assert!(has("2030-01-01T11:00:00.000Z"), "{starts:?}");
    let chain = chain(&simulator);
    assert!(chain[0].starts_with("Pull POST"), "{chain:?}");
    assert_eq!(
        chain[1],
        "Provider POST /google/calendar/v3/freeBusy -> 200"
    );
}

#[tokio::test]
async fn slots_leave_out_office_365_busy_times_read_from_graphs_calendar_view() {
    let receiver = consumer().await;
    let simulator = organizer_with(
        "http://127.0.0.1:9/unused",
        &[outlook()],
        json!({"destinationCalendar": "office365-calendar"}),
        &receiver,
    )
    .await;
    simulator.book(1, "2030-01-01T14:00:00Z").await.unwrap();

    let with_the_booking = slot_starts(&simulator, "2030-01-01").await;
    simulator.calcom().store.update_booking(
        &simulator.calcom().store.bookings()[0].uid,
        |booking| {
            booking.status = calsim::store::Status::Cancelled;
        },
    );
    let calendar_only = slot_starts(&simulator, "2030-01-01").await;

    for starts in [&with_the_booking, &calendar_only] {
        let has = |start: &str| starts.iter().any(|known| known == start);
        assert!(!has("2030-01-01T14:00:00.000Z"), "{starts:?}");
        assert!(has("2030-01-01T14:30:00.000Z"), "{starts:?}");
    }
    assert!(
        chain(&simulator).contains(&"Provider GET /graph/v1.0/me/calendarView -> 200".to_owned()),
        "{:?}",
        chain(&simulator)
    );
}

/// The slot starts `GET /v2/slots` offers for event type 1 on `day`.
async fn slot_starts(simulator: &Simulator, day: &str) -> Vec<String> {
    let slots: Value = reqwest::Client::new()
        .get(format!(
            "{}/v2/slots?eventTypeId=1&start={day}&end={day}",
            simulator.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    slots["data"][day]
        .as_array()
        .unwrap_or_else(|| panic!("{slots}"))
        .iter()
        .map(|slot| slot["start"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_link_location_is_the_meeting_url_and_no_video_call_is_reported() {
    let receiver = consumer().await;
    let link = "https://meet.example.com/room-1";
    let simulator = google_calendar_organizer(Some(link), &receiver).await;

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    // handleNewBooking: `if (booking.location?.startsWith("http")) videoCallUrl =
    // booking.location`, and no video app ran, so the CalendarEvent has no videoCallData.
    let created = payload(&receiver, "BOOKING_CREATED");
    assert!(created.get("videoCallData").is_none(), "{created}");
    assert_eq!(created["metadata"], json!({ "videoCallUrl": link }));
    assert_eq!(created["location"], link);
    assert_eq!(
        created["appsStatus"],
        json!([{"appName": "Google Calendar", "type": "google_calendar", "success": 1, "failures": 0, "errors": [], "warnings": []}])
    );
}

#[tokio::test]
async fn a_confirmed_booking_sends_what_handle_confirmation_sends() {
    let receiver = consumer().await;
    let link = "https://meet.example.com/room-2";
    let simulator = google_calendar_organizer(Some(link), &receiver).await;
    let requested = simulator
        .book_with(calsim::booking::NewBooking {
            event_type_id: 1,
            start: "2030-01-01T10:00:00Z".to_owned(),
            length_minutes: None,
            attendee: None,
            requires_confirmation: true,
            price: 0,
        })
        .await
        .unwrap();
    assert!(
        simulator.calcom().providers.records().is_empty(),
        "no app runs before the organizer confirms"
    );

    let confirmed = reqwest::Client::new()
        .post(format!(
            "{}/_calsim/bookings/{}/confirm",
            simulator.url(),
            requested.booking.uid
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    let answer: Value = confirmed.json().await.unwrap();

    // handleConfirmation (upstream packages/features/bookings/lib/handleConfirmation.ts):
    // `...evt` without appsStatus, `requiresConfirmation: eventType.requiresConfirmation
    // || null`, and `metadata: meetingUrl ? { videoCallUrl } : undefined`, where a link
    // location is no meeting URL.
    let created = payload(&receiver, "BOOKING_CREATED");
    assert!(created.get("appsStatus").is_none(), "{created}");
    assert!(created.get("metadata").is_none(), "{created}");
    assert!(created.get("videoCallData").is_none(), "{created}");
    assert_eq!(created["requiresConfirmation"], true);
    assert_eq!(created["status"], "ACCEPTED");
    assert_eq!(
        answer["appsStatus"][0]["type"], "google_calendar",
        "the step's answer says what the apps did: {answer}"
    );
    assert_eq!(simulator.calcom().providers.records().len(), 1);
}

#[tokio::test]
async fn ms_teams_with_outlook_as_destination_rides_on_the_outlook_event() {
    let receiver = consumer().await;
    let simulator = organizer_with(
        "http://127.0.0.1:9/unused",
        &[outlook()],
        json!({"location": "integrations:office365_video", "destinationCalendar": "office365-calendar"}),
        &receiver,
    )
    .await;

    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    // EventManager.create: "If the event is a Microsoft Teams meeting with Outlook
    // Calendar, do not create a MSTeams video event, create calendar event will take
    // care", then updateMSTeamsVideoCallData takes the meeting from the Outlook event.
    let created = payload(&receiver, "BOOKING_CREATED");
    let records = simulator.calcom().providers.records();
    assert_eq!(
        records.len(),
        1,
        "one Outlook event, no Teams call: {records:?}"
    );
    assert_eq!(records[0]["body"]["isOnlineMeeting"], true, "{records:?}");
    let url = created["videoCallData"]["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("https://teams.example/"), "{created}");
    assert_eq!(created["videoCallData"]["type"], "office365_video");
    assert_eq!(created["videoCallData"]["password"], "");
    assert_eq!(
        created["appsStatus"],
        json!([{"appName": "Outlook Calendar", "type": "office365_calendar", "success": 1, "failures": 0, "errors": [], "warnings": []}])
    );
    assert_eq!(created["location"], "integrations:office365_video");
    assert_eq!(created["metadata"], json!({ "videoCallUrl": url }));

    simulator
        .reschedule(&booked.booking.uid, "2030-01-02T10:00:00Z")
        .await
        .unwrap();

    let rescheduled = payload(&receiver, "BOOKING_RESCHEDULED");
    let records = simulator.calcom().providers.records();
    assert_eq!(
        records[1]["body"]["isOnlineMeeting"], true,
        "the moved event keeps its Teams meeting: {records:?}"
    );
    assert_eq!(rescheduled["videoCallData"]["url"], json!(url));
    assert_eq!(rescheduled["metadata"], json!({ "videoCallUrl": url }));
}

#[tokio::test]
async fn a_rescheduled_google_meet_booking_reports_no_video_call_of_its_own() {
    let receiver = consumer().await;
    let simulator = google_calendar_organizer(Some("integrations:google:meet"), &receiver).await;
    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    simulator
        .reschedule(&booked.booking.uid, "2030-01-02T10:00:00Z")
        .await
        .unwrap();

    let rescheduled = payload(&receiver, "BOOKING_RESCHEDULED");
    assert!(
        rescheduled.get("videoCallData").is_none(),
        "Meet has no video adapter, so the CalendarEvent has no videoCallData: {rescheduled}"
    );
    assert_eq!(rescheduled["location"], "integrations:google:meet");
}

#[tokio::test]
async fn a_rescheduled_cal_video_booking_moves_the_room_before_the_calendar_event() {
    let receiver = consumer().await;
    let simulator = google_calendar_organizer(None, &receiver).await;
    let booked = simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    let moved = simulator
        .reschedule(&booked.booking.uid, "2030-01-02T10:00:00Z")
        .await
        .unwrap();

    // EventManager.reschedule updates the dedicated video meeting (Cal Video is one)
    // before the calendar events.
    let rescheduled = payload(&receiver, "BOOKING_RESCHEDULED");
    let names = app_names(&rescheduled);
    assert_eq!(names, ["Cal Video", "Google Calendar"]);
    assert_eq!(rescheduled["videoCallData"]["type"], "daily_video");
    assert_eq!(
        rescheduled["metadata"],
        json!({"videoCallUrl": format!("https://app.example.com/video/{}", moved.booking.uid)})
    );
}

#[tokio::test]
async fn apps_status_can_name_apps_by_slug_as_newer_cal_com_does() {
    let receiver = consumer().await;
    let simulator = google_calendar_organizer(None, &receiver).await;
    let changed = reqwest::Client::new()
        .patch(format!("{}/_calsim/config", simulator.url()))
        .body(r#"{"appsStatusNames": "slug"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "{}", changed.text().await.unwrap());

    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();

    // Newer CalendarManager.createEvent and videoClient.createMeeting answer
    // `appName: credential.appId`; Cal Video's credential is `daily-video`.
    let names = app_names(&payload(&receiver, "BOOKING_CREATED"));
    assert_eq!(names, ["daily-video", "google-calendar"]);
}
