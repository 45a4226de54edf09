//! Webhook bodies as Cal.com builds them, before signing.
//!
//! `sendPayload` first rewrites the event data in place —
//! `data.description = data.description || data.additionalNotes`, then `utcOffset`
//! (minutes, at `startTime`) on the organizer (when it has a `timeZone`) and on every
//! attendee — and then sends `JSON.stringify({triggerEvent, createdAt, payload: data})`
//! (`shared/spec/webhooks.md` §1.3). [`prepare`] is the rewrite, [`default_body`] the
//! wrapper; key order and every other value are kept as given.

use serde_json::{json, Map, Value};

use crate::protocol::js_value::stringify;
use crate::protocol::template::{self, Rendered, TemplateError, JSON};
use crate::protocol::trigger::TriggerEvent;

/// Applies Cal.com's own changes to event data, in place and in Cal.com's order.
///
/// ```
/// use serde_json::json;
/// let mut data = json!({"title":"t","description":"","startTime":"2024-07-01T10:00:00Z",
///     "organizer":{"name":"O","timeZone":"Europe/London"},"attendees":[{"name":"A","timeZone":"UTC"}],
///     "additionalNotes":"notes"});
/// calsim::payload::prepare(data.as_object_mut().unwrap());
/// assert_eq!(data["description"], "notes");
/// assert_eq!(data["organizer"]["utcOffset"], 60);
/// assert_eq!(data["attendees"][0]["utcOffset"], 0);
/// ```
pub fn prepare(data: &mut Map<String, Value>) {
    if !data.get("description").is_some_and(truthy) {
        match data.get("additionalNotes").cloned() {
            // An existing key keeps its place; a new one goes last, as in JavaScript.
            Some(notes) => {
                data.insert("description".to_owned(), notes);
            }
            // `undefined`: JSON.stringify leaves the key out.
            None => {
                data.shift_remove("description");
            }
        }
    }
    let start = data
        .get("startTime")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(Value::Object(organizer)) = data.get_mut("organizer") {
        let zone = organizer
            .get("timeZone")
            .and_then(Value::as_str)
            .filter(|zone| !zone.is_empty())
            .map(str::to_owned);
        if let Some(zone) = zone {
            organizer.insert("utcOffset".to_owned(), utc_offset(&zone, start.as_deref()));
        }
    }
    if let Some(Value::Array(attendees)) = data.get_mut("attendees") {
        for attendee in attendees.iter_mut().filter_map(Value::as_object_mut) {
            let zone = attendee
                .get("timeZone")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            attendee.insert("utcOffset".to_owned(), utc_offset(&zone, start.as_deref()));
        }
    }
}

/// JavaScript truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|number| number != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `getUTCOffsetByTimezone(zone, startTime)`: minutes east of UTC at that instant.
/// An unknown zone or an unreadable time gives `null` ([?] dayjs's exact failure value).
pub fn utc_offset(zone: &str, at: Option<&str>) -> Value {
    let instant = match at {
        Some(text) => text.parse::<jiff::Timestamp>().ok(),
        None => Some(jiff::Timestamp::now()),
    };
    let (Some(instant), Ok(zone)) = (instant, jiff::tz::TimeZone::get(zone)) else {
        return Value::Null;
    };
    json!(zone.to_offset(instant).seconds() / 60)
}

/// `new Date().toISOString()` for an instant: `YYYY-MM-DDTHH:mm:ss.sssZ`.
///
/// ```
/// let at: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
/// assert_eq!(calsim::payload::iso_string(at), "2025-06-01T12:00:00.000Z");
/// ```
pub fn iso_string(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The default body: compact `{"triggerEvent":…,"createdAt":…,"payload":…}`.
///
/// ```
/// use calsim::trigger::TriggerEvent;
/// let body = calsim::payload::default_body(TriggerEvent::BookingCancelled, "2024-01-01T00:00:00.000Z",
///     &serde_json::json!({"uid":"abc123","status":"CANCELLED"}));
/// assert_eq!(body, r#"{"triggerEvent":"BOOKING_CANCELLED","createdAt":"2024-01-01T00:00:00.000Z","payload":{"uid":"abc123","status":"CANCELLED"}}"#);
/// ```
pub fn default_body(trigger: TriggerEvent, created_at: &str, payload: &Value) -> String {
    stringify(
        &json!({ "triggerEvent": trigger.as_str(), "createdAt": created_at, "payload": payload }),
    )
}

/// Which of Cal.com's builders sends a trigger, which decides the body's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyShape {
    /// `sendPayload`: [`prepare`], then `{triggerEvent, createdAt, payload}`.
    Booking,
    /// `sendGenericWebhookPayload`: `{...rootData, triggerEvent, createdAt, payload}`,
    /// data as given (FORM_SUBMITTED copies its response values to the top level).
    Generic,
    /// The scheduled MEETING_STARTED/ENDED path: `{triggerEvent, ...booking}`, flat
    /// ([?] newer builders wrap it; the docs and the scheduled path send it flat).
    FlatMeeting,
}

impl BodyShape {
    /// The shape Cal.com uses for a trigger (`shared/spec/webhooks.md` §1.3, §1.4, §2.3).
    pub fn of(trigger: TriggerEvent) -> Self {
        use TriggerEvent::*;
        match trigger {
            MeetingStarted | MeetingEnded => BodyShape::FlatMeeting,
            FormSubmitted
            | FormSubmittedNoEvent
            | RoutingFormFallbackHit
            | InstantMeeting
            | AfterHostsCalVideoNoShow
            | AfterGuestsCalVideoNoShow
            | WrongAssignmentReport => BodyShape::Generic,
            _ => BodyShape::Booking,
        }
    }
}

/// The body Cal.com sends for event data, in the trigger's [`BodyShape`].
pub fn build_body(trigger: TriggerEvent, created_at: &str, mut data: Map<String, Value>) -> String {
    match BodyShape::of(trigger) {
        BodyShape::Booking => {
            prepare(&mut data);
            default_body(trigger, created_at, &Value::Object(data))
        }
        BodyShape::Generic => stringify(&Value::Object(generic_body(trigger, created_at, data))),
        BodyShape::FlatMeeting => {
            let mut body = Map::new();
            body.insert("triggerEvent".to_owned(), json!(trigger.as_str()));
            body.extend(data);
            stringify(&Value::Object(body))
        }
    }
}

/// `{...rootData, triggerEvent, createdAt, payload}`: the root copies come first and
/// cannot override the three known keys (an existing key keeps its place).
fn generic_body(
    trigger: TriggerEvent,
    created_at: &str,
    data: Map<String, Value>,
) -> Map<String, Value> {
    let mut body = Map::new();
    if trigger == TriggerEvent::FormSubmitted {
        if let Some(Value::Object(responses)) = data.get("responses") {
            for (field, response) in responses {
                body.insert(
                    field.clone(),
                    response.get("value").cloned().unwrap_or(Value::Null),
                );
            }
        }
    }
    body.insert("triggerEvent".to_owned(), json!(trigger.as_str()));
    body.insert("createdAt".to_owned(), json!(created_at));
    body.insert("payload".to_owned(), Value::Object(data));
    body
}

/// A templated body. Booking-style triggers render `{...data, triggerEvent, createdAt}`
/// after [`prepare`]; generic ones render with the whole default body as context (PR
/// #25719; older Cal.com ignored templates there); MEETING_STARTED/ENDED ignore templates.
/// An empty template is falsy in JavaScript: the default body goes out.
pub fn build_templated_body(
    template: &str,
    trigger: TriggerEvent,
    created_at: &str,
    mut data: Map<String, Value>,
) -> Result<Rendered, TemplateError> {
    let context = match BodyShape::of(trigger) {
        shape if shape == BodyShape::FlatMeeting || template.is_empty() => {
            return Ok(Rendered {
                content_type: JSON,
                body: build_body(trigger, created_at, data),
            })
        }
        BodyShape::Generic => generic_body(trigger, created_at, data),
        BodyShape::Booking | BodyShape::FlatMeeting => {
            prepare(&mut data);
            data.insert("triggerEvent".to_owned(), json!(trigger.as_str()));
            data.insert("createdAt".to_owned(), json!(created_at));
            data
        }
    };
    template::render(template, &Value::Object(context))
}

/// The flat body Cal.com sends to Zapier subscriptions (`getZapierPayload`) for a
/// booking-style trigger: no wrapper, the template ignored, `undefined` fields left out.
/// [?] Two field sets exist upstream; this is the newer one (`uid`, `usernameInOrg`,
/// `utcOffset`, `metadata`). `location` is made human-readable for app locations.
pub fn zapier_body(created_at: &str, mut data: Map<String, Value>) -> String {
    prepare(&mut data);
    let field = |name: &str| data.get(name).cloned();
    let organizer = data.get("organizer").cloned().unwrap_or(Value::Null);
    let mut user = Map::new();
    for (key, value) in [
        ("username", organizer.get("username")),
        ("usernameInOrg", organizer.get("usernameInOrg")),
        ("name", organizer.get("name")),
        ("email", organizer.get("email")),
        ("timeZone", organizer.get("timeZone")),
        ("utcOffset", organizer.get("utcOffset")),
        ("locale", organizer.get("locale")),
    ] {
        if let Some(value) = value {
            user.insert(key.to_owned(), value.clone());
        }
    }
    let attendees: Vec<Value> = data
        .get("attendees")
        .and_then(Value::as_array)
        .map(|attendees| {
            attendees
                .iter()
                .map(|attendee| {
                    let mut fields = Map::new();
                    for key in ["name", "email", "timeZone", "utcOffset"] {
                        if let Some(value) = attendee.get(key) {
                            fields.insert(key.to_owned(), value.clone());
                        }
                    }
                    Value::Object(fields)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut event_type = Map::new();
    for (key, source) in [
        ("title", "eventTitle"),
        ("description", "eventDescription"),
        ("requiresConfirmation", "requiresConfirmation"),
        ("price", "price"),
        ("currency", "currency"),
        ("length", "length"),
    ] {
        if let Some(value) = field(source) {
            event_type.insert(key.to_owned(), value);
        }
    }
    let mut body = Map::new();
    for key in [
        "uid",
        "title",
        "description",
        "customInputs",
        "responses",
        "userFieldsResponses",
        "startTime",
        "endTime",
    ] {
        if let Some(value) = field(key) {
            body.insert(key.to_owned(), value);
        }
    }
    let location = field("location")
        .and_then(|location| location.as_str().map(str::to_owned))
        .unwrap_or_default();
    body.insert(
        "location".to_owned(),
        json!(human_readable_location(&location)),
    );
    for key in ["status", "cancellationReason"] {
        if let Some(value) = field(key) {
            body.insert(key.to_owned(), value);
        }
    }
    body.insert("user".to_owned(), Value::Object(user));
    body.insert("eventType".to_owned(), Value::Object(event_type));
    body.insert("attendees".to_owned(), Value::Array(attendees));
    body.insert("createdAt".to_owned(), json!(created_at));
    if let Some(url) = data
        .get("metadata")
        .and_then(|metadata| metadata.get("videoCallUrl"))
    {
        body.insert("metadata".to_owned(), json!({ "videoCallUrl": url }));
    }
    stringify(&Value::Object(body))
}

/// `getHumanReadableLocationValue`: an app location type becomes its app's label; any
/// other location (an address, a link, a phone number) is kept. [?] Labels of the
/// common apps only.
pub fn human_readable_location(location: &str) -> String {
    const LABELS: [(&str, &str); 6] = [
        ("integrations:daily", "Cal Video"),
        ("integrations:zoom", "Zoom Video"),
        ("integrations:google:meet", "Google Meet"),
        ("integrations:office365_video", "MS Teams"),
        ("integrations:webex", "Webex"),
        ("integrations:jitsi", "Jitsi Video"),
    ];
    LABELS
        .iter()
        .find(|(kind, _)| *kind == location)
        .map_or_else(|| location.to_owned(), |(_, label)| (*label).to_owned())
}

/// The built-in example data for a trigger (`fixtures/payloads/`); `None` for PING, whose
/// data is [`ping_data`].
pub fn built_in(trigger: TriggerEvent) -> Option<&'static str> {
    macro_rules! fixtures {
        ($($variant:ident => $file:literal,)*) => {
            match trigger {
                $(TriggerEvent::$variant => Some(include_str!(concat!("../../../fixtures/payloads/", $file, ".json"))),)*
                TriggerEvent::Ping => None,
            }
        };
    }
    fixtures! {
        BookingCreated => "BOOKING_CREATED",
        BookingPaymentInitiated => "BOOKING_PAYMENT_INITIATED",
        BookingPaid => "BOOKING_PAID",
        BookingRescheduled => "BOOKING_RESCHEDULED",
        BookingRequested => "BOOKING_REQUESTED",
        BookingCancelled => "BOOKING_CANCELLED",
        BookingRejected => "BOOKING_REJECTED",
        BookingNoShowUpdated => "BOOKING_NO_SHOW_UPDATED",
        FormSubmitted => "FORM_SUBMITTED",
        MeetingEnded => "MEETING_ENDED",
        MeetingStarted => "MEETING_STARTED",
        RecordingReady => "RECORDING_READY",
        InstantMeeting => "INSTANT_MEETING",
        RecordingTranscriptionGenerated => "RECORDING_TRANSCRIPTION_GENERATED",
        OooCreated => "OOO_CREATED",
        AfterHostsCalVideoNoShow => "AFTER_HOSTS_CAL_VIDEO_NO_SHOW",
        AfterGuestsCalVideoNoShow => "AFTER_GUESTS_CAL_VIDEO_NO_SHOW",
        FormSubmittedNoEvent => "FORM_SUBMITTED_NO_EVENT",
        RoutingFormFallbackHit => "ROUTING_FORM_FALLBACK_HIT",
        DelegationCredentialError => "DELEGATION_CREDENTIAL_ERROR",
        WrongAssignmentReport => "WRONG_ASSIGNMENT_REPORT",
    }
}

/// The test ("ping") delivery's data at `now`, before [`prepare`]: Cal.com's
/// `testTrigger` sends `description: ""`, which `prepare` turns into no key.
pub fn ping_data(now: jiff::Timestamp) -> Map<String, Value> {
    let now = iso_string(now);
    let data = json!({
        "type": "Test",
        "title": "Test trigger event",
        "description": "",
        "startTime": now,
        "endTime": now,
        "attendees": [{ "email": "jdoe@example.com", "name": "John Doe", "timeZone": "Europe/London", "language": { "locale": "en" } }],
        "organizer": { "name": "Cal", "email": "no-reply@cal.com", "timeZone": "Europe/London", "language": { "locale": "en" } },
    });
    match data {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

/// A UUID v4 made of these random bytes (version and variant bits set), as Prisma's
/// `@default(uuid())` writes it.
///
/// ```
/// let id = calsim::payload::uuid_v4_from([0xff; 16]);
/// assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
/// ```
pub fn uuid_v4_from(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
