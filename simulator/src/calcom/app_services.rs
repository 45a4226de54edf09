//! Cal.com's app services, as `EventManager` runs them for a booking: the video app of
//! the event type's location (`createMeeting`), then the destination calendar
//! (`createEvent`), then the enabled CRM apps; on reschedule the same apps update what
//! they created, on cancel they delete it. Each call goes to calsim's fake provider
//! ([`crate::calcom::providers`]) with the stored access token, after the token
//! handling Cal.com does first: with credential sync on, an expiring token is pulled
//! from the partner's sync endpoint (OAuthManager), and a 401 marks it expired
//! (`markTokenAsExpired`), pulls again and retries once; with sync off, the app's own
//! refresh against the provider's token endpoint.
//!
//! An app failure never fails the booking: it shows in `appsStatus`
//! (`{appName, type, success, failures, errors, warnings}`, `handleAppsStatus`), and a
//! failed video app falls back to Cal Video, as `videoClient.createMeeting` does.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::calcom::providers::{access_token, provider_of};
use crate::calcom::pull;
use crate::calcom::state::Calcom;
use crate::calcom::store::{Booking, Credential, EventType, EventTypeApps, Reference, User};
use crate::config::AppsStatusNames;

/// What the apps did for one booking step, for the webhook body and the booking row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppsOutcome {
    /// `appsStatus`, in `EventManager`'s order.
    pub apps_status: Vec<Value>,
    /// `videoCallData`, when a video app (or the Cal Video fallback) made a meeting.
    pub video_call_data: Option<Value>,
    /// The location after the video step (`integrations:daily` after a fallback).
    pub location: Option<String>,
    /// The booking references the apps created.
    pub references: Vec<Reference>,
    /// The Google Meet link the calendar event got (`metadata.hangoutLink`).
    pub hangout_link: Option<String>,
}

impl AppsOutcome {
    /// Writes what the apps did into a webhook body built on the example, as
    /// `handleNewBooking` fills it: `appsStatus`; `videoCallData` when a video app made a
    /// meeting, none when the location is not a video app; `metadata.videoCallUrl` from
    /// the meeting (Cal Video's public page for Cal Video), the Google Meet link, or a
    /// link location, otherwise `metadata` is `{}`; and the location after the video step.
    pub fn apply(&self, data: &mut Map<String, Value>, booking: &Booking) {
        data.insert(
            "appsStatus".to_owned(),
            Value::Array(self.apps_status.clone()),
        );
        if let Some(video) = &self.video_call_data {
            data.insert("videoCallData".to_owned(), video.clone());
        } else if self.location.is_some() {
            data.remove("videoCallData");
        }
        if let Some(location) = &self.location {
            data.insert("location".to_owned(), json!(location));
        }
        let link_location = self
            .location
            .as_deref()
            .filter(|location| location.starts_with("http"));
        match self
            .meeting_url(booking)
            .or(link_location.map(str::to_owned))
        {
            Some(url) => {
                data.insert("metadata".to_owned(), json!({ "videoCallUrl": url }));
            }
            None if self.location.is_some() => {
                data.insert("metadata".to_owned(), json!({}));
            }
            None => {}
        }
    }

    /// `getVideoCallUrlFromCalEvent`, then the Google Meet link: the meeting's URL (Cal
    /// Video's public page for Cal Video), if the apps made a meeting.
    pub fn meeting_url(&self, booking: &Booking) -> Option<String> {
        match &self.video_call_data {
            Some(video) if video.get("type").and_then(Value::as_str) == Some("daily_video") => {
                Some(cal_video_url(&booking.uid))
            }
            Some(video) => video.get("url").and_then(Value::as_str).map(str::to_owned),
            None => self.hangout_link.clone(),
        }
    }
}

/// Why calsim cannot run an event type's app settings, if it cannot: an integration
/// location, destination calendar or CRM app it has no fake provider for.
pub fn settings_problem(settings: &EventTypeApps) -> Option<String> {
    if let Some(location) = settings.location.as_deref() {
        if location.starts_with("integrations:")
            && location != GOOGLE_MEET
            && location_app(location).is_none()
        {
            return Some(format!(
                "calsim simulates no app for location `{location}`; use integrations:zoom, integrations:office365_video, integrations:google:meet, integrations:daily, or a link or address"
            ));
        }
    }
    if let Some(calendar) = settings.destination_calendar.as_deref() {
        if !matches!(calendar, "google-calendar" | "office365-calendar") {
            return Some(format!(
                "calsim simulates no destination calendar `{calendar}`; use google-calendar or office365-calendar"
            ));
        }
    }
    settings
        .crm
        .iter()
        .find(|app| app.as_str() != "hubspot")
        .map(|app| format!("calsim simulates no CRM app `{app}`; use hubspot"))
}

/// The app of a location value (`integrations:zoom` → `zoom`).
fn location_app(location: &str) -> Option<&'static str> {
    match location {
        "integrations:zoom" => Some("zoom"),
        MS_TEAMS => Some("msteams"),
        "integrations:daily" => Some("daily-video"),
        _ => None,
    }
}

/// Google Meet's location: no video call of its own, the Google Calendar event carries
/// the meeting (`conferenceData`), and a result of its own follows the calendar's.
const GOOGLE_MEET: &str = "integrations:google:meet";

/// MS Teams' location.
const MS_TEAMS: &str = "integrations:office365_video";

/// Cal.com's English `google_meet_warning`.
const GOOGLE_MEET_WARNING: &str =
    "In order to use Google Meet you must set your destination calendar to a Google Calendar";

/// An app's `appsStatus` name: its name from the metadata, or its slug
/// (`apps_status_names`).
fn app_name(calcom: &Calcom, app: &str) -> String {
    if calcom.config().apps_status_names == AppsStatusNames::Slug {
        return app.to_owned();
    }
    calcom
        .store
        .app(app)
        .and_then(|row| calcom.store.metadata(&row.dir_name))
        .map_or_else(|| app.to_owned(), |metadata| metadata.name.clone())
}

fn credential_of(calcom: &Calcom, user_id: i64, app: &str) -> Option<Credential> {
    calcom
        .store
        .credentials(Some(user_id), Some(app))
        .into_iter()
        .filter(|credential| !credential.invalid)
        .max_by_key(|credential| credential.id)
}

fn status(app_name: &str, kind: &str, success: bool, warnings: Option<Vec<Value>>) -> Value {
    let mut entry = json!({
        "appName": app_name,
        "type": kind,
        "success": u8::from(success),
        "failures": u8::from(!success),
        "errors": [],
    });
    if let Some(warnings) = warnings {
        entry["warnings"] = Value::Array(warnings);
    }
    entry
}

/// Cal Video's public page for a booking's meeting (`getPublicVideoCallUrl`).
pub fn cal_video_url(booking_uid: &str) -> String {
    format!("https://app.example.com/video/{booking_uid}")
}

/// Cal Video's `appsStatus` entry: it needs no credential and never fails.
fn cal_video_status(calcom: &Calcom) -> Value {
    status(&app_name(calcom, "daily-video"), "daily_video", true, None)
}

/// Cal Video's meeting for a booking (no credential, no provider call).
fn cal_video(booking: &Booking) -> Value {
    json!({
        "type": "daily_video",
        "id": format!("calsim-{}", booking.uid),
        "password": "",
        "url": cal_video_url(&booking.uid),
    })
}

/// The apps of a new booking: video, calendar, CRM.
pub async fn create(
    calcom: &Arc<Calcom>,
    booking: &Booking,
    event_type: &EventType,
    organizer: &User,
) -> AppsOutcome {
    let settings = &event_type.apps;
    let mut outcome = AppsOutcome::default();
    let event = calendar_event(booking, event_type, organizer);
    let calendar = destination_calendar(calcom, booking, event_type);
    let meet = settings.location.as_deref() == Some(GOOGLE_MEET);
    let location = meeting_location(event_type, calendar.as_deref());
    outcome.location = Some(location.to_owned());
    // MS Teams with Outlook Calendar as the destination: no video call of its own, the
    // Outlook event carries the Teams meeting (`updateMSTeamsVideoCallData`).
    let teams_on_outlook =
        location == MS_TEAMS && calendar.as_deref() == Some("office365-calendar");
    let video_app = if teams_on_outlook {
        None
    } else {
        location_app(location)
    };
    match video_app {
        Some("daily-video") => {
            outcome.apps_status.push(cal_video_status(calcom));
            outcome.video_call_data = Some(cal_video(booking));
        }
        Some(app) => {
            let name = app_name(calcom, app);
            match credential_of(calcom, booking.user_id, app) {
                Some(credential) => {
                    let created = call(
                        calcom,
                        &credential,
                        "POST",
                        &create_path(app),
                        &create_body(app, &event),
                    )
                    .await;
                    match created.ok().and_then(|answer| video_data(app, &answer)) {
                        Some(video) => {
                            outcome
                                .apps_status
                                .push(status(&name, &credential.kind, true, None));
                            outcome.references.push(Reference {
                                kind: credential.kind.clone(),
                                uid: string(&video["id"]),
                                meeting_id: Some(string(&video["id"])),
                                meeting_password: video["password"].as_str().map(str::to_owned),
                                meeting_url: video["url"].as_str().map(str::to_owned),
                                credential_id: credential.id,
                            });
                            outcome.video_call_data = Some(video);
                        }
                        None => {
                            outcome
                                .apps_status
                                .push(status(&name, "daily_video", false, None));
                            outcome.video_call_data = Some(cal_video(booking));
                            outcome.location = Some("integrations:daily".to_owned());
                        }
                    }
                }
                None => {
                    outcome.apps_status.push(cal_video_status(calcom));
                    outcome.video_call_data = Some(cal_video(booking));
                    outcome.location = Some("integrations:daily".to_owned());
                }
            }
        }
        None => {}
    }
    let mut google_calendar: Option<(bool, Option<String>)> = None;
    if let Some(app) = calendar.filter(|app| provider_of(app).is_some()) {
        if let Some(credential) = credential_of(calcom, booking.user_id, &app) {
            let name = app_name(calcom, &app);
            let mut body = create_body(&app, &event);
            if let Some(video) = &outcome.video_call_data {
                body["location"] = video["url"].clone();
            }
            if meet && app == "google-calendar" {
                body["conferenceData"] = json!({"createRequest": {"requestId": booking.uid, "conferenceSolutionKey": {"type": "hangoutsMeet"}}});
            }
            if teams_on_outlook {
                body["isOnlineMeeting"] = json!(true);
            }
            let created = call(calcom, &credential, "POST", &create_path(&app), &body).await;
            let link = created
                .as_ref()
                .ok()
                .and_then(|answer| answer.get("hangoutLink")?.as_str().map(str::to_owned));
            let teams = created
                .as_ref()
                .ok()
                .filter(|_| teams_on_outlook)
                .and_then(|answer| video_data("msteams", answer));
            let success = match created.ok().and_then(|answer| answer.get("id").map(string)) {
                Some(id) => {
                    let mut row = reference(&credential, id);
                    row.meeting_url = link.clone().or_else(|| {
                        teams
                            .as_ref()
                            .and_then(|video| video["url"].as_str().map(str::to_owned))
                    });
                    outcome.references.push(row);
                    true
                }
                None => false,
            };
            if teams.is_some() {
                outcome.video_call_data = teams;
            }
            outcome
                .apps_status
                .push(status(&name, &credential.kind, success, Some(Vec::new())));
            if app == "google-calendar" {
                google_calendar = Some((success, link));
            }
        }
    }
    for app in &settings.crm {
        let Some(credential) = credential_of(calcom, booking.user_id, app) else {
            continue;
        };
        if provider_of(app).is_none() {
            continue;
        }
        let name = app_name(calcom, app);
        let meeting = crm_event(calcom, &credential, booking, &event).await;
        match meeting.ok().and_then(|answer| answer.get("id").map(string)) {
            Some(id) => {
                outcome
                    .apps_status
                    .push(status(&name, &credential.kind, true, None));
                outcome.references.push(reference(&credential, id));
            }
            None => outcome
                .apps_status
                .push(status(&name, &credential.kind, false, None)),
        }
    }
    if meet {
        google_meet(calcom, &mut outcome, google_calendar);
    }
    outcome
}

/// Where the meeting is, as `EventManager.create` settles it: the event type's location,
/// Cal Video without one, and Cal Video for Google Meet without Google Calendar as the
/// destination calendar (the Meet result then fails, last).
fn meeting_location<'a>(event_type: &'a EventType, calendar: Option<&str>) -> &'a str {
    match event_type.apps.location.as_deref() {
        Some(GOOGLE_MEET) if calendar != Some("google-calendar") => "integrations:daily",
        Some(location) => location,
        None => "integrations:daily",
    }
}

/// The app of the calendar a booking is written to: the event type's destination
/// calendar, or else the organizer's newest calendar credential.
fn destination_calendar(
    calcom: &Calcom,
    booking: &Booking,
    event_type: &EventType,
) -> Option<String> {
    event_type.apps.destination_calendar.clone().or_else(|| {
        calcom
            .store
            .credentials(Some(booking.user_id), None)
            .into_iter()
            .filter(|credential| {
                credential.kind.ends_with("_calendar")
                    && !credential.kind.contains("other_calendar")
            })
            .max_by_key(|credential| credential.id)
            .and_then(|credential| credential.app_id)
    })
}

/// The Google Meet result after the calendar step, as `EventManager` adds it: a success
/// when the Google Calendar event came back with a `hangoutLink` (a `google_meet_video`
/// reference with that link follows the calendar's), a failure with Cal.com's warning
/// when no Google Calendar was written.
fn google_meet(
    calcom: &Calcom,
    outcome: &mut AppsOutcome,
    google_calendar: Option<(bool, Option<String>)>,
) {
    let name = app_name(calcom, "google-meet");
    match google_calendar {
        None => outcome.apps_status.push(status(
            &name,
            "conferencing",
            false,
            Some(vec![json!(GOOGLE_MEET_WARNING)]),
        )),
        Some((_, Some(link))) => {
            outcome
                .apps_status
                .push(status(&name, "conferencing", true, None));
            if let Some(calendar) = outcome
                .references
                .iter()
                .find(|row| row.kind == "google_calendar")
                .cloned()
            {
                outcome.references.push(Reference {
                    kind: "google_meet_video".to_owned(),
                    meeting_url: Some(link.clone()),
                    ..calendar
                });
            }
            outcome.hangout_link = Some(link);
        }
        Some((_, None)) => outcome
            .apps_status
            .push(status(&name, "conferencing", false, None)),
    }
}

/// A CRM app's `createEvent` as `CrmManager` runs it: look the attendee up
/// (`getContacts`), create the contact only when it is missing, then the meeting.
async fn crm_event(
    calcom: &Arc<Calcom>,
    credential: &Credential,
    booking: &Booking,
    event: &Value,
) -> Result<Value, String> {
    let email = &booking.attendee.email;
    let found = call(
        calcom,
        credential,
        "POST",
        "/crm/v3/objects/contacts/search",
        &json!({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "IN", "values": [email]}]}], "properties": ["id", "email"]}),
    )
    .await?;
    if found["total"].as_u64().unwrap_or(0) == 0 {
        call(
            calcom,
            credential,
            "POST",
            "/crm/v3/objects/contacts",
            &json!({"properties": {"email": email, "firstname": booking.attendee.name}}),
        )
        .await?;
    }
    call(
        calcom,
        credential,
        "POST",
        "/crm/v3/objects/meetings",
        &create_body("hubspot", event),
    )
    .await
}

/// The organizer's busy times in `[from_ms, to_ms)` from each calendar app's
/// `getAvailability` (Google `freeBusy`, Graph `calendarView`), after the same token
/// handling as any service call; a calendar that fails adds nothing, as Cal.com logs
/// the error and goes on.
pub async fn busy_times(
    calcom: &Arc<Calcom>,
    user_id: i64,
    from_ms: i64,
    to_ms: i64,
) -> Vec<(i64, i64)> {
    let mut busy = Vec::new();
    for app in ["google-calendar", "office365-calendar"] {
        let Some(credential) = credential_of(calcom, user_id, app) else {
            continue;
        };
        let (from, to) = (iso(from_ms), iso(to_ms));
        let answer = if app == "google-calendar" {
            call(
                calcom,
                &credential,
                "POST",
                "/calendar/v3/freeBusy",
                &json!({"timeMin": from, "timeMax": to, "items": [{"id": "primary"}]}),
            )
            .await
            .map(|answer| answer["calendars"]["primary"]["busy"].clone())
        } else {
            call(
                calcom,
                &credential,
                "GET",
                &format!("/v1.0/me/calendarView?startDateTime={from}&endDateTime={to}"),
                &Value::Null,
            )
            .await
            .map(|answer| {
                Value::Array(
                    answer["value"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|event| json!({"start": event["start"]["dateTime"], "end": event["end"]["dateTime"]}))
                        .collect(),
                )
            })
        };
        let Ok(Value::Array(times)) = answer else {
            continue;
        };
        busy.extend(times.iter().filter_map(|time| {
            let at = |field: &str| {
                time[field]
                    .as_str()?
                    .parse::<jiff::Timestamp>()
                    .ok()
                    .map(jiff::Timestamp::as_millisecond)
            };
            Some((at("start")?, at("end")?))
        }));
    }
    busy
}

/// A rescheduled booking: each app updates what it created (references move to the new
/// booking, as Cal.com moves them); a Google Meet result follows the Google Calendar
/// update, a success when the updated event still has its `hangoutLink`.
pub async fn reschedule(
    calcom: &Arc<Calcom>,
    booking: &Booking,
    event_type: &EventType,
    organizer: &User,
    references: &[Reference],
) -> AppsOutcome {
    let event = calendar_event(booking, event_type, organizer);
    let mut outcome = AppsOutcome {
        references: references.to_vec(),
        ..AppsOutcome::default()
    };
    let mut google_link = None;
    for reference in references {
        if reference.kind == "google_meet_video" {
            let name = app_name(calcom, "google-meet");
            let link: Option<String> = google_link.take().flatten();
            outcome
                .apps_status
                .push(status(&name, "conferencing", link.is_some(), None));
            outcome.hangout_link = link;
            continue;
        }
        let Some(credential) = calcom.store.credential(reference.credential_id) else {
            continue;
        };
        let Some(app) = credential.app_id.clone() else {
            continue;
        };
        let name = app_name(calcom, &app);
        let teams = reference.kind == "office365_calendar" && reference.meeting_url.is_some();
        let mut body = create_body(&app, &event);
        if teams {
            body["isOnlineMeeting"] = json!(true);
        }
        let updated = call(
            calcom,
            &credential,
            update_method(&app),
            &item_path(&app, &reference.uid),
            &body,
        )
        .await;
        let warnings = reference.kind.ends_with("_calendar").then(Vec::new);
        outcome
            .apps_status
            .push(status(&name, &credential.kind, updated.is_ok(), warnings));
        if reference.kind == "google_calendar" {
            google_link = Some(
                updated
                    .as_ref()
                    .ok()
                    .and_then(|answer| answer.get("hangoutLink")?.as_str().map(str::to_owned)),
            );
        }
        if reference.kind.ends_with("_video") || reference.kind.ends_with("_conferencing") {
            outcome.video_call_data = Some(json!({
                "type": reference.kind, "id": reference.meeting_id, "password": reference.meeting_password.clone().unwrap_or_default(), "url": reference.meeting_url,
            }));
        } else if teams {
            outcome.video_call_data = Some(json!({
                "type": "office365_video", "id": reference.uid, "password": "", "url": reference.meeting_url,
            }));
        }
    }
    let calendar = destination_calendar(calcom, booking, event_type);
    let location = meeting_location(event_type, calendar.as_deref());
    if outcome.video_call_data.is_none() && location == "integrations:daily" {
        // Cal Video's room moves first (`updateVideoEvent`), before the calendars.
        outcome.apps_status.insert(0, cal_video_status(calcom));
        outcome.video_call_data = Some(cal_video(booking));
    }
    outcome.location = Some(location.to_owned());
    outcome
}

/// A cancelled booking: each app deletes what it created.
pub async fn cancel(calcom: &Arc<Calcom>, references: &[Reference]) {
    for reference in references
        .iter()
        .filter(|row| row.kind != "google_meet_video")
    {
        let Some(credential) = calcom.store.credential(reference.credential_id) else {
            continue;
        };
        let Some(app) = credential.app_id.clone() else {
            continue;
        };
        let _ = call(
            calcom,
            &credential,
            "DELETE",
            &item_path(&app, &reference.uid),
            &Value::Null,
        )
        .await;
    }
}

fn reference(credential: &Credential, uid: String) -> Reference {
    Reference {
        kind: credential.kind.clone(),
        uid,
        meeting_id: None,
        meeting_password: None,
        meeting_url: None,
        credential_id: credential.id,
    }
}

fn string(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn iso(ms: i64) -> String {
    crate::protocol::payload::iso_string(
        jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
    )
}

/// The calendar event the services send, in Google's shape (other providers' bodies
/// are derived from it).
fn calendar_event(booking: &Booking, event_type: &EventType, organizer: &User) -> Value {
    json!({
        "summary": format!("{} between {} and {}", event_type.title, organizer.name, booking.attendee.name),
        "start": {"dateTime": iso(booking.start_ms), "timeZone": "UTC"},
        "end": {"dateTime": iso(booking.end_ms), "timeZone": "UTC"},
        "attendees": [{"email": booking.attendee.email, "displayName": booking.attendee.name}],
        "iCalUID": format!("{}@Cal.com", booking.uid),
        "organizerEmail": organizer.email,
        "minutes": (booking.end_ms - booking.start_ms) / 60_000,
    })
}

fn create_path(app: &str) -> String {
    match app {
        "google-calendar" => {
            "/calendar/v3/calendars/primary/events?conferenceDataVersion=1&sendUpdates=none"
                .to_owned()
        }
        "zoom" => "/v2/users/me/meetings".to_owned(),
        "office365-calendar" | "msteams" => "/v1.0/me/calendar/events".to_owned(),
        _ => "/crm/v3/objects/meetings".to_owned(),
    }
}

fn item_path(app: &str, id: &str) -> String {
    match app {
        "google-calendar" => format!("/calendar/v3/calendars/primary/events/{id}"),
        "zoom" => format!("/v2/meetings/{id}"),
        "office365-calendar" | "msteams" => format!("/v1.0/me/calendar/events/{id}"),
        _ => format!("/crm/v3/objects/meetings/{id}"),
    }
}

fn update_method(app: &str) -> &'static str {
    if app == "google-calendar" {
        "PUT"
    } else {
        "PATCH"
    }
}

fn create_body(app: &str, event: &Value) -> Value {
    match app {
        "zoom" => json!({
            "topic": event["summary"], "type": 2, "start_time": event["start"]["dateTime"],
            "duration": event["minutes"], "timezone": "UTC", "agenda": "",
            "settings": {"join_before_host": true, "waiting_room": false},
        }),
        "office365-calendar" | "msteams" => json!({
            "subject": event["summary"],
            "start": {"dateTime": event["start"]["dateTime"], "timeZone": "UTC"},
            "end": {"dateTime": event["end"]["dateTime"], "timeZone": "UTC"},
            "attendees": [{"emailAddress": {"address": event["attendees"][0]["email"], "name": event["attendees"][0]["displayName"]}, "type": "required"}],
            "isOnlineMeeting": app == "msteams",
        }),
        "hubspot" => {
            json!({"properties": {"hs_meeting_title": event["summary"], "hs_meeting_start_time": event["start"]["dateTime"], "hs_meeting_end_time": event["end"]["dateTime"]}})
        }
        _ => event.clone(),
    }
}

/// The `VideoCallData` of a provider's answer.
fn video_data(app: &str, answer: &Value) -> Option<Value> {
    match app {
        "zoom" => Some(json!({
            "type": "zoom_video", "id": string(answer.get("id")?),
            "password": answer.get("password").and_then(Value::as_str).unwrap_or(""),
            "url": answer.get("join_url")?,
        })),
        "msteams" => Some(json!({
            "type": "office365_video", "id": string(answer.get("id")?), "password": "",
            "url": answer.pointer("/onlineMeeting/joinUrl")?,
        })),
        _ => None,
    }
}

/// Whether the app's service goes through OAuthManager (pull on expiry, 401 marks the
/// token expired) rather than the legacy `refreshOAuthTokens` (the `oauth_manager_apps`
/// setting).
fn oauth_manager(calcom: &Calcom, app: &str) -> bool {
    calcom
        .config()
        .oauth_manager_apps
        .iter()
        .any(|known| known == app)
}

/// One service call with the credential's token, after Cal.com's token handling; the
/// provider's JSON answer, or why the call failed.
async fn call(
    calcom: &Arc<Calcom>,
    credential: &Credential,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<Value, String> {
    let app = credential.app_id.clone().unwrap_or_default();
    let mut credential = fresh(calcom, credential, &app).await?;
    let mut retried = false;
    loop {
        let (status, answer) = send(calcom, &app, &credential, method, path, body).await?;
        if (200..300).contains(&status) {
            return Ok(answer);
        }
        let sync = calcom.config().pull_enabled();
        if status == 401 && oauth_manager(calcom, &app) && sync && !retried {
            retried = true;
            pull::expire(calcom, credential.id);
            let expired = calcom
                .store
                .credential(credential.id)
                .ok_or("the credential was deleted")?;
            credential = fresh(calcom, &expired, &app).await?;
            continue;
        }
        if status == 401 && oauth_manager(calcom, &app) && sync {
            pull::expire(calcom, credential.id);
        }
        return Err(format!("{status} {answer}"));
    }
}

/// The credential with a usable token: pulled from the partner (sync on) or refreshed at
/// the provider (sync off) when Cal.com finds it expiring.
async fn fresh(
    calcom: &Arc<Calcom>,
    credential: &Credential,
    app: &str,
) -> Result<Credential, String> {
    let now = calcom.clock.now_ms();
    if !expiring(app, &credential.key, now) {
        return Ok(credential.clone());
    }
    if calcom.config().pull_enabled() {
        let verdict = pull::pull(calcom, credential.id)
            .await
            .map_err(|error| error.to_string())?;
        return match verdict.judgement {
            Some(judgement) if judgement.accepted => Ok(verdict.credential),
            Some(judgement) => Err(judgement
                .error
                .unwrap_or_else(|| "Invalid token response".to_owned())),
            None => Err(verdict
                .network_error
                .unwrap_or_else(|| "the sync endpoint did not answer".to_owned())),
        };
    }
    refresh_at_provider(calcom, credential, app).await
}

/// HubSpot and the other legacy apps check their own camelCase expiry.
fn expiring(app: &str, key: &Value, now_ms: i64) -> bool {
    if app == "hubspot" {
        return key
            .get("expiryDate")
            .and_then(Value::as_f64)
            .is_none_or(|expiry| expiry <= now_ms as f64);
    }
    pull::is_expiring(app, key, now_ms)
}

async fn refresh_at_provider(
    calcom: &Arc<Calcom>,
    credential: &Credential,
    app: &str,
) -> Result<Credential, String> {
    let provider = provider_of(app).ok_or("no provider")?;
    let refresh = credential
        .key
        .get("refresh_token")
        .or_else(|| credential.key.get("refreshToken"))
        .and_then(Value::as_str)
        .ok_or("the token is expired and the credential has no refresh_token")?;
    let base = calcom
        .self_url
        .get()
        .ok_or("the simulator is not listening")?;
    let url = format!("{base}/_providers/{provider}/oauth/token");
    let response = calcom
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(json!({"grant_type": "refresh_token", "refresh_token": refresh}).to_string())
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let ok = response.status().is_success();
    let answer: Value = response.json().await.map_err(|error| error.to_string())?;
    if !ok {
        if answer.get("error").and_then(Value::as_str) == Some("invalid_grant") {
            calcom.store.set_invalid(credential.id, true);
        }
        return Err(format!("refresh failed: {answer}"));
    }
    let now = calcom.clock.now_ms();
    let expires_in = answer
        .get("expires_in")
        .and_then(Value::as_i64)
        .unwrap_or(3600);
    let token = answer.get("access_token").cloned().unwrap_or(Value::Null);
    calcom
        .store
        .modify_key(credential.id, |key| {
            let mut key = key.clone();
            if let Value::Object(fields) = &mut key {
                if app == "hubspot" {
                    fields.insert("accessToken".to_owned(), token.clone());
                    fields.insert("expiryDate".to_owned(), json!(now + expires_in * 1000));
                } else {
                    fields.insert("access_token".to_owned(), token.clone());
                    fields.insert("expiry_date".to_owned(), json!(now + expires_in * 1000));
                }
            }
            key
        })
        .ok_or_else(|| "the credential was deleted".to_owned())
}

async fn send(
    calcom: &Arc<Calcom>,
    app: &str,
    credential: &Credential,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<(u16, Value), String> {
    let provider =
        provider_of(app).ok_or_else(|| format!("calsim has no fake provider for {app}"))?;
    let base = calcom
        .self_url
        .get()
        .ok_or("the simulator is not listening")?;
    let token = access_token(&credential.key).unwrap_or_default();
    let method =
        reqwest::Method::from_bytes(method.as_bytes()).map_err(|error| error.to_string())?;
    let mut request = calcom
        .http
        .request(method, format!("{base}/_providers/{provider}{path}"))
        .header("authorization", format!("Bearer {token}"));
    if !body.is_null() {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}
