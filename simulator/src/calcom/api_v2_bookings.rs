//! The API v2 endpoints an integration calls back after a webhook: `GET /v2/me`,
//! bookings (`GET /v2/bookings` with filters and pagination, `GET /v2/bookings/{uid}`,
//! `POST /v2/bookings`, `POST /v2/bookings/{uid}/cancel|reschedule`), event types
//! (`GET /v2/event-types[/{id}]`) and slots (`GET /v2/slots`), answering from the
//! simulated state with API v2's envelope, errors and authentication
//! ([`crate::calcom::api_v2`]). Bookings made here run the same lifecycle as
//! `/_calsim/bookings`, so they fire the same webhooks.
//!
//! The shapes follow the `2024-08-13` bookings, `2024-06-14` event types and `2024-09-04`
//! slots versions; calsim answers that version whatever `cal-api-version` says [?].

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::calcom::api_v2::{authenticate, respond, Caller, Outcome, V2Error};
use crate::calcom::booking::{self, LifecycleError, NewBooking};
use crate::calcom::state::Calcom;
use crate::calcom::store::{Attendee, Booking, EventType, Status, User};

/// The routes (merged into the API v2 router).
pub fn router() -> Router<Arc<Calcom>> {
    Router::new()
        .route("/v2/me", get(me))
        .route("/v2/bookings", get(list_bookings).post(create_booking))
        .route("/v2/bookings/{uid}", get(show_booking))
        .route("/v2/bookings/{uid}/cancel", post(cancel_booking))
        .route("/v2/bookings/{uid}/reschedule", post(reschedule_booking))
        .route("/v2/event-types", get(list_event_types))
        .route("/v2/event-types/{id}", get(show_event_type))
        .route("/v2/slots", get(slots))
}

fn user_of(calcom: &Calcom, headers: &HeaderMap) -> Result<User, V2Error> {
    match authenticate(&calcom.store, headers, None)? {
        Caller::User(user) => Ok(user),
        Caller::Client(_) => Err(V2Error::new(
            StatusCode::FORBIDDEN,
            "calsim answers this endpoint for API-key callers (Bearer cal_...)",
        )),
    }
}

fn iso(ms: i64) -> String {
    crate::protocol::payload::iso_string(
        jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
    )
}

/// `GET /v2/me`.
async fn me(State(calcom): State<Arc<Calcom>>, headers: HeaderMap) -> Response {
    let outcome = user_of(&calcom, &headers).map(|user| {
        (
            StatusCode::OK,
            json!({
                "id": user.id, "username": format!("user{}", user.id), "email": user.email,
                "name": user.name, "avatarUrl": null, "bio": null, "timeFormat": 12,
                "defaultScheduleId": null, "weekStart": "Sunday", "timeZone": "UTC",
                "locale": "en", "organizationId": null,
            }),
        )
    });
    respond("/v2/me", outcome)
}

/// The length of a seeded event type (`30min` → 30).
fn length(event_type: &EventType) -> i64 {
    event_type
        .slug
        .trim_end_matches("min")
        .parse()
        .unwrap_or(30)
}

fn booking_output(calcom: &Calcom, booking: &Booking) -> Value {
    let event_type = calcom.store.event_type(booking.event_type_id);
    let organizer = calcom.store.user(booking.user_id);
    let title = match (&event_type, &organizer) {
        (Some(event_type), Some(organizer)) => format!(
            "{} between {} and {}",
            event_type.title, organizer.name, booking.attendee.name
        ),
        _ => String::new(),
    };
    let rescheduled_to = calcom
        .store
        .bookings()
        .into_iter()
        .find(|other| other.rescheduled_from.as_deref() == Some(booking.uid.as_str()));
    let location = booking
        .references
        .iter()
        .find_map(|reference| reference.meeting_url.clone())
        .unwrap_or_else(|| crate::calcom::app_services::cal_video_url(&booking.uid));
    let mut data = Map::new();
    let mut set = |key: &str, value: Value| {
        data.insert(key.to_owned(), value);
    };
    set("id", json!(booking.id));
    set("uid", json!(booking.uid));
    set("title", json!(title));
    set("description", json!(""));
    set(
        "hosts",
        json!([organizer.map_or_else(
            || json!({"id": "unknown", "name": "unknown", "email": "unknown", "username": "unknown"}),
            |user| json!({"id": user.id, "name": user.name, "email": user.email, "username": format!("user{}", user.id)})
        )]),
    );
    let status = match booking.status {
        Status::Accepted => "accepted",
        Status::Pending => "pending",
        Status::Cancelled => "cancelled",
        Status::Rejected => "rejected",
    };
    set("status", json!(status));
    if booking.status == Status::Cancelled && rescheduled_to.is_none() {
        set("cancelledByEmail", json!(booking.attendee.email));
    }
    if let Some(from) = &booking.rescheduled_from {
        set("rescheduledFromUid", json!(from));
    }
    set("start", json!(iso(booking.start_ms)));
    set("end", json!(iso(booking.end_ms)));
    set(
        "duration",
        json!((booking.end_ms - booking.start_ms) / 60_000),
    );
    set(
        "eventType",
        event_type.as_ref().map_or(
            Value::Null,
            |event_type| json!({"id": event_type.id, "slug": event_type.slug}),
        ),
    );
    set("eventTypeId", json!(booking.event_type_id));
    set(
        "attendees",
        json!([{"name": booking.attendee.name, "email": booking.attendee.email, "timeZone": booking.attendee.time_zone, "language": "en", "absent": false}]),
    );
    set("guests", json!([]));
    set("location", json!(location));
    set("meetingUrl", json!(location));
    set("absentHost", json!(false));
    set("createdAt", json!(iso(booking.created_ms)));
    set("updatedAt", json!(iso(booking.created_ms)));
    set("rating", Value::Null);
    set("icsUid", json!(format!("{}@Cal.com", booking.uid)));
    if let Some(next) = &rescheduled_to {
        set("rescheduledToUid", json!(next.uid));
        set("rescheduledByEmail", json!(booking.attendee.email));
    }
    set(
        "bookingFieldsResponses",
        json!({"email": booking.attendee.email, "name": booking.attendee.name, "guests": []}),
    );
    set("metadata", json!({}));
    Value::Object(data)
}

/// `GET /v2/bookings` filters and pagination.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BookingFilters {
    status: Option<String>,
    attendee_email: Option<String>,
    event_type_id: Option<i64>,
    after_start: Option<String>,
    before_end: Option<String>,
    take: Option<usize>,
    skip: Option<usize>,
}

async fn list_bookings(
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Query(filters): Query<BookingFilters>,
) -> Response {
    let user = match user_of(&calcom, &headers) {
        Ok(user) => user,
        Err(error) => return error.into_response("/v2/bookings"),
    };
    let now = calcom.clock.now_ms();
    let instant = |text: &Option<String>| {
        text.as_deref()
            .and_then(|text| text.parse::<jiff::Timestamp>().ok())
            .map(jiff::Timestamp::as_millisecond)
    };
    let (after, before) = (instant(&filters.after_start), instant(&filters.before_end));
    let statuses: Vec<String> = filters
        .status
        .as_deref()
        .map(|text| text.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let mut matching: Vec<Booking> = calcom
        .store
        .bookings()
        .into_iter()
        .filter(|booking| booking.user_id == user.id)
        .filter(|booking| {
            statuses.is_empty()
                || statuses.iter().any(|status| match status.as_str() {
                    "upcoming" => {
                        booking.end_ms >= now
                            && matches!(booking.status, Status::Accepted | Status::Pending)
                    }
                    "past" => booking.end_ms < now && booking.status != Status::Cancelled,
                    "cancelled" => matches!(booking.status, Status::Cancelled | Status::Rejected),
                    "unconfirmed" => booking.status == Status::Pending && booking.end_ms >= now,
                    _ => false,
                })
        })
        .filter(|booking| {
            filters
                .attendee_email
                .as_ref()
                .is_none_or(|email| booking.attendee.email.eq_ignore_ascii_case(email))
        })
        .filter(|booking| {
            filters
                .event_type_id
                .is_none_or(|id| booking.event_type_id == id)
        })
        .filter(|booking| after.is_none_or(|after| booking.start_ms >= after))
        .filter(|booking| before.is_none_or(|before| booking.end_ms <= before))
        .collect();
    matching.sort_by_key(|booking| booking.start_ms);
    let total = matching.len();
    let take = filters.take.unwrap_or(100).clamp(1, 250);
    let skip = filters.skip.unwrap_or(0);
    let page: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(take)
        .map(|booking| booking_output(&calcom, booking))
        .collect();
    let returned = page.len();
    let current_page = skip / take + 1;
    let total_pages = total.div_ceil(take).max(1);
    let body = json!({
        "status": "success",
        "data": page,
        "pagination": {
            "totalItems": total, "remainingItems": total.saturating_sub(skip + returned),
            "returnedItems": returned, "itemsPerPage": take, "currentPage": current_page,
            "totalPages": total_pages, "hasNextPage": skip + returned < total, "hasPreviousPage": skip > 0,
        },
    });
    (StatusCode::OK, axum::Json(body)).into_response_with_request_id()
}

trait WithRequestId {
    fn into_response_with_request_id(self) -> Response;
}

impl WithRequestId for (StatusCode, axum::Json<Value>) {
    fn into_response_with_request_id(self) -> Response {
        use axum::response::IntoResponse;
        (
            self.0,
            [("x-request-id", crate::calcom::subscription::uuid_v4())],
            self.1,
        )
            .into_response()
    }
}

fn not_found(uid: &str) -> V2Error {
    V2Error::new(
        StatusCode::NOT_FOUND,
        format!("Booking with uid={uid} was not found in the database"),
    )
}

fn owned_booking(calcom: &Calcom, headers: &HeaderMap, uid: &str) -> Result<Booking, V2Error> {
    let user = user_of(calcom, headers)?;
    let booking = calcom.store.booking(uid).ok_or_else(|| not_found(uid))?;
    if booking.user_id != user.id {
        return Err(not_found(uid));
    }
    Ok(booking)
}

async fn show_booking(
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(uid): Path<String>,
) -> Response {
    let outcome = owned_booking(&calcom, &headers, &uid)
        .map(|booking| (StatusCode::OK, booking_output(&calcom, &booking)));
    respond(&format!("/v2/bookings/{uid}"), outcome)
}

fn lifecycle_error(error: LifecycleError) -> V2Error {
    let status = match error {
        LifecycleError::PaymentNotCreated(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    V2Error::new(status, error.to_string())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewAttendee {
    name: String,
    email: String,
    time_zone: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBookingInput {
    start: String,
    event_type_id: i64,
    attendee: NewAttendee,
    #[serde(default)]
    length_in_minutes: Option<i64>,
}

fn bad_body(error: impl std::fmt::Display) -> V2Error {
    V2Error::new(
        StatusCode::BAD_REQUEST,
        format!("Invalid request body: {error}"),
    )
}

/// `POST /v2/bookings`: a guest books; BOOKING_CREATED (or REQUESTED) fires as for
/// `/_calsim/bookings`.
async fn create_booking(
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let outcome: Outcome = async {
        authenticate(&calcom.store, &headers, None)?;
        let input: CreateBookingInput = serde_json::from_str(&body).map_err(bad_body)?;
        let event_type = calcom
            .store
            .event_type(input.event_type_id)
            .ok_or_else(|| {
                V2Error::new(
                    StatusCode::NOT_FOUND,
                    format!("Event type with id={} not found", input.event_type_id),
                )
            })?;
        let step = booking::create(
            &calcom,
            NewBooking {
                event_type_id: input.event_type_id,
                start: input.start,
                length_minutes: Some(
                    input
                        .length_in_minutes
                        .unwrap_or_else(|| length(&event_type)),
                ),
                attendee: Some(Attendee {
                    name: input.attendee.name,
                    email: input.attendee.email,
                    time_zone: input.attendee.time_zone,
                }),
                requires_confirmation: false,
                price: 0,
            },
        )
        .await
        .map_err(lifecycle_error)?;
        Ok((StatusCode::CREATED, booking_output(&calcom, &step.booking)))
    }
    .await;
    respond("/v2/bookings", outcome)
}

async fn cancel_booking(
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(uid): Path<String>,
    body: String,
) -> Response {
    let outcome: Outcome = async {
        owned_booking(&calcom, &headers, &uid)?;
        let reason = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|input| input.get("cancellationReason")?.as_str().map(str::to_owned));
        let step = booking::cancel(&calcom, &uid, reason.clone())
            .await
            .map_err(lifecycle_error)?;
        let mut output = booking_output(&calcom, &step.booking);
        if let (Some(reason), Value::Object(fields)) = (reason, &mut output) {
            let mut ordered = Map::new();
            for (key, value) in std::mem::take(fields) {
                if key == "cancelledByEmail" {
                    ordered.insert("cancellationReason".to_owned(), json!(reason));
                }
                ordered.insert(key, value);
            }
            *fields = ordered;
        }
        Ok((StatusCode::OK, output))
    }
    .await;
    respond(&format!("/v2/bookings/{uid}/cancel"), outcome)
}

async fn reschedule_booking(
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(uid): Path<String>,
    body: String,
) -> Response {
    let outcome: Outcome = async {
        owned_booking(&calcom, &headers, &uid)?;
        let input: Value = serde_json::from_str(&body).map_err(bad_body)?;
        let start = input
            .get("start")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_body("`start` (ISO 8601) is required"))?;
        let step = booking::reschedule(&calcom, &uid, start)
            .await
            .map_err(lifecycle_error)?;
        Ok((StatusCode::CREATED, booking_output(&calcom, &step.booking)))
    }
    .await;
    respond(&format!("/v2/bookings/{uid}/reschedule"), outcome)
}

fn event_type_output(event_type: &EventType) -> Value {
    let location = event_type
        .apps
        .location
        .clone()
        .unwrap_or_else(|| "integrations:daily".to_owned());
    json!({
        "id": event_type.id, "lengthInMinutes": length(event_type), "title": event_type.title,
        "slug": event_type.slug, "description": "",
        "locations": [{"type": "integration", "integration": location.trim_start_matches("integrations:")}],
        "bookingFields": [], "disableGuests": false, "slotInterval": null, "minimumBookingNotice": 0,
        "beforeEventBuffer": 0, "afterEventBuffer": 0, "recurrence": null, "metadata": {},
        "price": 0, "currency": "usd", "lockTimeZoneToggleOnBookingPage": false,
        "seatsPerTimeSlot": null, "forwardParamsSuccessRedirect": null, "successRedirectUrl": null,
        "isInstantEvent": false, "scheduleId": null, "ownerId": event_type.user_id,
    })
}

async fn list_event_types(State(calcom): State<Arc<Calcom>>, headers: HeaderMap) -> Response {
    let outcome = user_of(&calcom, &headers).map(|user| {
        let owned: Vec<Value> = calcom
            .store
            .event_types()
            .iter()
            .filter(|event_type| event_type.user_id == user.id)
            .map(event_type_output)
            .collect();
        (StatusCode::OK, Value::Array(owned))
    });
    respond("/v2/event-types", outcome)
}

async fn show_event_type(
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let outcome = user_of(&calcom, &headers).and_then(|user| {
        calcom
            .store
            .event_type(id)
            .filter(|event_type| event_type.user_id == user.id)
            .map(|event_type| (StatusCode::OK, event_type_output(&event_type)))
            .ok_or_else(|| {
                V2Error::new(
                    StatusCode::NOT_FOUND,
                    format!("Event type with id={id} not found"),
                )
            })
    });
    respond(&format!("/v2/event-types/{id}"), outcome)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SlotsQuery {
    event_type_id: Option<i64>,
    start: Option<String>,
    end: Option<String>,
}

/// `GET /v2/slots`: the seeded schedule (Monday to Friday, 09:00 to 17:00 UTC) cut into
/// the event type's length, without the organizer's accepted or pending bookings and
/// the busy times of the organizer's connected calendars (each calendar app's
/// `getAvailability` against its fake provider, with the token handling of any service
/// call: an expiring synced token is pulled first), by day.
async fn slots(State(calcom): State<Arc<Calcom>>, Query(query): Query<SlotsQuery>) -> Response {
    let asked: Result<_, V2Error> = (|| {
        let id = query
            .event_type_id
            .ok_or_else(|| bad_body("`eventTypeId` is required"))?;
        let event_type = calcom.store.event_type(id).ok_or_else(|| {
            V2Error::new(
                StatusCode::NOT_FOUND,
                format!("Event type with id={id} not found"),
            )
        })?;
        let parse = |text: &Option<String>, name: &str| -> Result<jiff::civil::Date, V2Error> {
            let text = text.as_deref().ok_or_else(|| {
                bad_body(format!("`{name}` is required (YYYY-MM-DD or ISO 8601)"))
            })?;
            text.get(..10)
                .and_then(|day| day.parse().ok())
                .ok_or_else(|| bad_body(format!("`{name}` {text} is not a date")))
        };
        let (first, last) = (parse(&query.start, "start")?, parse(&query.end, "end")?);
        if last < first
            || first
                .until(last)
                .map(|span| span.get_days() > 62)
                .unwrap_or(true)
        {
            return Err(bad_body(
                "`end` must be after `start`, at most 62 days later",
            ));
        }
        Ok((event_type, first, last))
    })();
    let (event_type, first, last) = match asked {
        Ok(asked) => asked,
        Err(error) => return respond("/v2/slots", Err(error)),
    };
    let midnight = |day: jiff::civil::Date| {
        jiff::tz::Offset::UTC
            .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
            .map(jiff::Timestamp::as_millisecond)
            .unwrap_or_default()
    };
    let calendars_busy = crate::calcom::app_services::busy_times(
        &calcom,
        event_type.user_id,
        midnight(first),
        midnight(last) + 86_400_000,
    )
    .await;
    let days = {
        let minutes = length(&event_type);
        let mut busy: Vec<(i64, i64)> = calcom
            .store
            .bookings()
            .into_iter()
            .filter(|booking| {
                booking.user_id == event_type.user_id
                    && matches!(booking.status, Status::Accepted | Status::Pending)
            })
            .map(|booking| (booking.start_ms, booking.end_ms))
            .collect();
        busy.extend(calendars_busy);
        let now = calcom.clock.now_ms();
        let mut days = Map::new();
        let mut day = first;
        while day <= last {
            let weekday = day.weekday().to_monday_one_offset();
            if weekday <= 5 {
                let mut starts = Vec::new();
                let mut minute = 9 * 60;
                while minute + minutes <= 17 * 60 {
                    let start = day.to_datetime(jiff::civil::time(
                        (minute / 60) as i8,
                        (minute % 60) as i8,
                        0,
                        0,
                    ));
                    let start = jiff::tz::Offset::UTC
                        .to_timestamp(start)
                        .map(jiff::Timestamp::as_millisecond)
                        .unwrap_or_default();
                    let end = start + minutes * 60_000;
                    let free =
                        start > now && !busy.iter().any(|(from, to)| start < *to && end > *from);
                    if free {
                        starts.push(json!({ "start": iso(start) }));
                    }
                    minute += minutes;
                }
                if !starts.is_empty() {
                    days.insert(day.to_string(), Value::Array(starts));
                }
            }
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        days
    };
    respond("/v2/slots", Ok((StatusCode::OK, Value::Object(days))))
}
