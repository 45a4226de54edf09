//! The control and inspection API under `/_calsim/` (in the spirit of WireMock's
//! `/__admin/`): seed users, apps and credentials, trigger pulls, read the journal,
//! move the clock, reset. Every answer is JSON; every error says what to send instead.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::calcom::pull::{self, PullError};
use crate::calcom::state::Calcom;
use crate::calcom::store::{Role, User};
use crate::net::journal::Surface;
use crate::protocol::catalog::{self, App, AppMetadata};

/// The `/_calsim` routes (nested by [`crate::calcom::router`]).
pub fn router() -> Router<Arc<Calcom>> {
    Router::new()
        .route("/", get(index))
        .route("/config", get(show_config).patch(change_config))
        .route("/users", get(list_users).post(put_user))
        .route("/apps", get(list_apps).post(add_app))
        .route("/credentials", get(list_credentials).post(add_credential))
        .route(
            "/credentials/{id}",
            get(show_credential).delete(delete_credential),
        )
        .route("/credentials/{id}/refresh", post(refresh_credential))
        .route("/credentials/{id}/expire", post(expire_credential))
        .route("/journal", get(list_journal).delete(clear_journal))
        .route("/journal.har", get(journal_har))
        .route("/journal/live", get(journal_live))
        .route("/journal/{id}/resend", post(resend))
        .route("/ui", get(crate::net::inspector::page))
        .route(
            "/ui/info",
            get(|| async { crate::net::inspector::info("calcom") }),
        )
        .route("/clock", get(show_clock))
        .route("/clock/advance", post(advance_clock))
        .route("/reset", post(reset))
        .route("/subscriptions", get(list_subscriptions))
        .route("/bookings", get(list_bookings).post(create_booking))
        .route("/bookings/{uid}/{step}", post(booking_step))
        .route("/scheduled", get(list_scheduled))
        .route("/out-of-office", post(out_of_office))
        .route("/forms/{form}/submit", post(submit_form))
        .route("/events", post(fire_event))
        .route("/event-types", get(list_event_types))
        .route(
            "/event-types/{id}",
            get(show_event_type).patch(set_event_type_apps),
        )
        .route("/providers/records", get(provider_records))
        .route(
            "/providers/{app}/fault",
            post(set_provider_fault).delete(clear_provider_fault),
        )
}

/// A control-API error: `{"error": ..., "hint": ...}`.
struct ControlError {
    status: StatusCode,
    error: String,
    hint: &'static str,
}

impl ControlError {
    fn bad_request(error: impl Into<String>, hint: &'static str) -> Self {
        ControlError {
            status: StatusCode::BAD_REQUEST,
            error: error.into(),
            hint,
        }
    }

    fn not_found(error: impl Into<String>, hint: &'static str) -> Self {
        ControlError {
            status: StatusCode::NOT_FOUND,
            error: error.into(),
            hint,
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "hint": self.hint });
        (self.status, Json(body)).into_response()
    }
}

type Answer = Result<Response, ControlError>;

fn ok(value: impl serde::Serialize) -> Answer {
    Ok(Json(value).into_response())
}

/// [`ok`] for anything holding credential keys or requests: token values, and the
/// configured secret and key wherever they appear, are masked.
fn ok_masked(calcom: &Calcom, value: impl serde::Serialize) -> Answer {
    ok(shown(calcom, value))
}

fn shown(calcom: &Calcom, value: impl serde::Serialize) -> Value {
    let config = calcom.config();
    let value = serde_json::to_value(value).unwrap_or_default();
    crate::protocol::redact::scrub_value(
        &value,
        &[
            &config.sync_secret,
            &config.encryption_key,
            &config.admin_api_key,
        ],
    )
}

/// Parses a JSON body, turning axum's rejection into a hint-bearing error.
fn body<T: serde::de::DeserializeOwned>(text: &str, hint: &'static str) -> Result<T, ControlError> {
    serde_json::from_str(text)
        .map_err(|error| ControlError::bad_request(format!("bad JSON body: {error}"), hint))
}

/// The index, also at `/_calsim/` (with the slash), where nesting does not reach.
pub(crate) async fn index_page() -> Response {
    index().await.into_response()
}

async fn index() -> Answer {
    ok(json!({
        "endpoints": [
            "GET /_calsim/ui (the web inspector)",
            "GET /_calsim/config",
            "GET|POST /_calsim/users",
            "GET|POST /_calsim/apps",
            "GET|POST /_calsim/credentials[?userId=N&appId=SLUG]",
            "GET|DELETE /_calsim/credentials/{id}",
            "POST /_calsim/credentials/{id}/refresh",
            "POST /_calsim/credentials/{id}/expire",
            "GET|DELETE /_calsim/journal[?surface=app-credential|api-v1-credential-sync|pull]",
            "GET /_calsim/clock",
            "POST /_calsim/clock/advance",
            "POST /_calsim/reset",
            "GET /_calsim/subscriptions",
            "GET|POST /_calsim/bookings",
            "POST /_calsim/bookings/{uid}/confirm|reject|cancel|reschedule|pay|no-show|start|end",
            "GET /_calsim/scheduled",
            "POST /_calsim/out-of-office",
            "POST /_calsim/forms/{formId}/submit",
            "POST /_calsim/events"
        ]
    }))
}

async fn show_config(State(calcom): State<Arc<Calcom>>) -> Answer {
    let config = calcom.config();
    ok(json!({
        "profile": config.profile,
        "sharingEnabled": config.sharing_enabled(),
        "headerName": config.push_header_name(),
        "apiV1HeaderName": config.api_v1_header_name(),
        "pullHeaderName": config.pull_header_name(),
        "syncEndpoint": config.sync_endpoint,
        "pullEnabled": config.pull_enabled(),
        "zod": config.zod,
        "apiV1": config.api_v1,
        "bodyLimit": config.body_limit,
        "appsStatusNames": config.apps_status_names,
        "syncSecret": crate::protocol::redact::mask(&config.sync_secret),
        "encryptionKey": crate::protocol::redact::mask(&config.encryption_key),
    }))
}

/// Run-time settings a running simulator can change without losing its state.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigChange {
    #[serde(default)]
    profile: Option<crate::protocol::profile::Profile>,
    #[serde(default)]
    sync_endpoint: Option<String>,
    #[serde(default)]
    sync_secret: Option<String>,
    #[serde(default)]
    header_name: Option<String>,
    #[serde(default)]
    encryption_key: Option<String>,
    #[serde(default)]
    zod: Option<crate::protocol::zod::ZodVersion>,
    #[serde(default)]
    api_v1: Option<bool>,
    #[serde(default)]
    webhook_attempts: Option<u32>,
    #[serde(default)]
    wrapped_meeting_bodies: Option<bool>,
    #[serde(default)]
    apps_status_names: Option<crate::config::AppsStatusNames>,
}

const CONFIG_HINT: &str = r#"send any of {"profile": "current", "syncEndpoint": "http://...", "syncSecret": "...", "headerName": "...", "encryptionKey": "<32 characters>", "zod": "v3", "apiV1": true, "webhookAttempts": 3, "wrappedMeetingBodies": false, "appsStatusNames": "name" | "slug"}"#;

/// Changes run-time settings; users, credentials, subscriptions, bookings and the
/// journal stay. The change is journaled (secrets masked).
async fn change_config(State(calcom): State<Arc<Calcom>>, text: String) -> Answer {
    let change: ConfigChange = body(&text, CONFIG_HINT)?;
    let mut config = (*calcom.config()).clone();
    if let Some(profile) = change.profile {
        config.set_profile(profile);
    }
    if let Some(key) = &change.encryption_key {
        crate::protocol::crypto::EncryptionKey::from_env_string(key).map_err(|error| {
            ControlError::bad_request(format!("encryptionKey: {error}"), CONFIG_HINT)
        })?;
    }
    let mut changed = Vec::new();
    let mut set = |name: &str, apply: &mut dyn FnMut(&mut crate::config::Config)| {
        apply(&mut config);
        changed.push(name.to_owned());
    };
    if let Some(value) = change.sync_endpoint {
        set("syncEndpoint", &mut |config| {
            config.sync_endpoint = value.clone()
        });
    }
    if let Some(value) = change.sync_secret {
        set("syncSecret", &mut |config| {
            config.sync_secret = value.clone()
        });
    }
    if let Some(value) = change.header_name {
        set("headerName", &mut |config| {
            config.header_name = value.clone()
        });
    }
    if let Some(value) = change.encryption_key {
        set("encryptionKey", &mut |config| {
            config.encryption_key = value.clone()
        });
    }
    if let Some(value) = change.zod {
        set("zod", &mut |config| config.zod = value);
    }
    if let Some(value) = change.api_v1 {
        set("apiV1", &mut |config| config.api_v1 = value);
    }
    if let Some(value) = change.webhook_attempts {
        set("webhookAttempts", &mut |config| {
            config.webhook_max_attempts = value.max(1)
        });
    }
    if let Some(value) = change.wrapped_meeting_bodies {
        set("wrappedMeetingBodies", &mut |config| {
            config.wrapped_meeting_bodies = value
        });
    }
    if let Some(value) = change.apps_status_names {
        set("appsStatusNames", &mut |config| {
            config.apps_status_names = value
        });
    }
    if change.profile.is_some() {
        changed.push("profile".to_owned());
    }
    let before = calcom.config();
    let secrets = [
        before.sync_secret.clone(),
        before.encryption_key.clone(),
        config.sync_secret.clone(),
        config.encryption_key.clone(),
    ];
    calcom.set_config(config);
    tracing::info!("configuration changed at run time: {}", changed.join(", "));
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    calcom.journal.record(crate::net::journal::NewEntry {
        direction: crate::net::journal::Direction::Received,
        surface: Surface::Control,
        started: time::OffsetDateTime::now_utc(),
        request: crate::net::journal::RecordedRequest::new(
            "PATCH",
            "/_calsim/config",
            &axum::http::HeaderMap::new(),
            bytes::Bytes::from(crate::protocol::redact::scrub_text(&text, &secrets)),
            &[],
        ),
        response: Some(crate::net::journal::RecordedResponse::new(
            200,
            &axum::http::HeaderMap::new(),
            bytes::Bytes::new(),
        )),
        error: None,
        elapsed: std::time::Duration::ZERO,
        verdict: Some(json!({ "changed": changed })),
    });
    show_config(State(calcom)).await
}

async fn list_users(State(calcom): State<Arc<Calcom>>) -> Answer {
    ok(calcom.store.users())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewUser {
    id: i64,
    email: Option<String>,
    name: Option<String>,
    #[serde(default)]
    role: Role,
    #[serde(default)]
    locked: bool,
}

const USER_HINT: &str = r#"send {"id": 7, "email": "a@example.com", "name": "A", "role": "USER"|"ADMIN", "locked": false}; only id is required"#;

async fn put_user(State(calcom): State<Arc<Calcom>>, text: String) -> Answer {
    let new: NewUser = body(&text, USER_HINT)?;
    let user = User {
        id: new.id,
        email: new
            .email
            .unwrap_or_else(|| format!("user{}@example.com", new.id)),
        name: new
            .name
            .unwrap_or_else(|| format!("Calsim User {}", new.id)),
        role: new.role,
        locked: new.locked,
    };
    calcom.store.put_user(user.clone());
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

async fn list_apps(State(calcom): State<Arc<Calcom>>) -> Answer {
    ok(calcom.store.apps())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewAppRow {
    app: App,
    metadata: Option<AppMetadata>,
}

const APP_HINT: &str = "send an app's config.json (validated like Cal.com's app-store build), or {\"app\": {slug, dirName, categories, enabled}, \"metadata\": null} for an App row without build metadata";

async fn add_app(State(calcom): State<Arc<Calcom>>, text: String) -> Answer {
    let value: Value = body(&text, APP_HINT)?;
    let (app, metadata) = if value.get("app").is_some() {
        let row: NewAppRow = body(&text, APP_HINT)?;
        (row.app, row.metadata)
    } else {
        let (app, metadata) = catalog::app_from_config_json(&text, "POST /_calsim/apps")
            .map_err(|error| ControlError::bad_request(error.to_string(), APP_HINT))?;
        (app, Some(metadata))
    };
    calcom.store.put_app(app.clone(), metadata.clone());
    Ok((
        StatusCode::CREATED,
        Json(json!({ "app": app, "metadata": metadata })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialFilter {
    user_id: Option<i64>,
    app_id: Option<String>,
}

async fn list_credentials(
    State(calcom): State<Arc<Calcom>>,
    filter: Result<Query<CredentialFilter>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let Query(filter) = filter.map_err(|error| {
        ControlError::bad_request(error.body_text(), "use ?userId=<integer>&appId=<app slug>")
    })?;
    ok_masked(
        &calcom,
        calcom
            .store
            .credentials(filter.user_id, filter.app_id.as_deref()),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewCredential {
    user_id: i64,
    app_id: String,
    key: Value,
    #[serde(rename = "type")]
    kind: Option<String>,
}

const CREDENTIAL_HINT: &str = r#"send {"userId": 1, "appId": "google-calendar", "key": {"access_token": "..."}}; "type" defaults to the app's metadata type"#;

async fn add_credential(State(calcom): State<Arc<Calcom>>, text: String) -> Answer {
    let new: NewCredential = body(&text, CREDENTIAL_HINT)?;
    let kind = match new.kind {
        Some(kind) => kind,
        None => calcom
            .store
            .app(&new.app_id)
            .and_then(|app| calcom.store.metadata(&app.dir_name))
            .map(|metadata| metadata.kind.clone())
            .ok_or_else(|| {
                ControlError::bad_request(
                    format!("unknown app `{}` and no \"type\" given", new.app_id),
                    "add the app first (POST /_calsim/apps) or pass \"type\"",
                )
            })?,
    };
    let credential = calcom
        .store
        .insert_credential(Some(new.user_id), &new.app_id, &kind, new.key);
    Ok((StatusCode::CREATED, Json(shown(&calcom, credential))).into_response())
}

const CREDENTIAL_ID_HINT: &str = "list credentials with GET /_calsim/credentials";

async fn show_credential(State(calcom): State<Arc<Calcom>>, Path(id): Path<i64>) -> Answer {
    let credential = calcom.store.credential(id).ok_or_else(|| {
        ControlError::not_found(format!("no credential with id {id}"), CREDENTIAL_ID_HINT)
    })?;
    ok_masked(&calcom, credential)
}

async fn delete_credential(State(calcom): State<Arc<Calcom>>, Path(id): Path<i64>) -> Answer {
    let credential = calcom.store.delete_credential(id, None).ok_or_else(|| {
        ControlError::not_found(format!("no credential with id {id}"), CREDENTIAL_ID_HINT)
    })?;
    ok_masked(&calcom, credential)
}

async fn refresh_credential(State(calcom): State<Arc<Calcom>>, Path(id): Path<i64>) -> Answer {
    match pull::pull(&calcom, id).await {
        Ok(verdict) => ok_masked(&calcom, verdict),
        Err(error @ PullError::UnknownCredential(_)) => Err(ControlError::not_found(
            error.to_string(),
            CREDENTIAL_ID_HINT,
        )),
        Err(error @ PullError::Disabled(_)) => Err(ControlError {
            status: StatusCode::CONFLICT,
            error: error.to_string(),
            hint: "start calsim serve with --sync-endpoint URL (CALCOM_CREDENTIAL_SYNC_ENDPOINT)",
        }),
    }
}

async fn expire_credential(State(calcom): State<Arc<Calcom>>, Path(id): Path<i64>) -> Answer {
    let credential = pull::expire(&calcom, id).ok_or_else(|| {
        ControlError::not_found(format!("no credential with id {id}"), CREDENTIAL_ID_HINT)
    })?;
    ok_masked(&calcom, credential)
}

#[derive(Deserialize)]
struct JournalFilter {
    surface: Option<String>,
}

async fn list_journal(
    State(calcom): State<Arc<Calcom>>,
    Query(filter): Query<JournalFilter>,
) -> Answer {
    let surface = journal_surface(filter.surface.as_deref())?;
    ok_masked(&calcom, calcom.journal.entries(surface))
}

fn journal_surface(name: Option<&str>) -> Result<Option<Surface>, ControlError> {
    let Some(name) = name else {
        return Ok(None);
    };
    serde_json::from_value::<Surface>(json!(name))
        .map(Some)
        .map_err(|_| {
            ControlError::bad_request(
                format!("unknown surface `{name}`"),
                "use app-credential, api-v1-credential-sync, pull, partner-sync-endpoint, push, check, webhook or webhook-received",
            )
        })
}

/// The journal (or one surface of it) as HAR 1.2.
async fn journal_har(
    State(calcom): State<Arc<Calcom>>,
    Query(filter): Query<JournalFilter>,
    headers: axum::http::HeaderMap,
) -> Answer {
    let surface = journal_surface(filter.surface.as_deref())?;
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    let har = crate::net::har::document(&calcom.journal.entries(surface), &base);
    ok(shown(&calcom, har))
}

/// New journal entries as server-sent events, masked as the journal view is.
async fn journal_live(State(calcom): State<Arc<Calcom>>) -> Response {
    let masked = Arc::clone(&calcom);
    crate::net::inspector::live(&calcom.journal, move |entry| shown(&masked, entry)).into_response()
}

/// Sends a recorded webhook delivery again, byte for byte with its recorded headers;
/// the attempt is journaled as a new delivery.
async fn resend(State(calcom): State<Arc<Calcom>>, Path(id): Path<u64>) -> Answer {
    let entry = calcom
        .journal
        .entries(Some(Surface::Webhook))
        .into_iter()
        .find(|entry| entry.id == id)
        .ok_or_else(|| {
            ControlError::not_found(
                format!("no webhook delivery with journal id {id}"),
                "list deliveries with GET /_calsim/journal?surface=webhook",
            )
        })?;
    let mut headers = axum::http::HeaderMap::new();
    for (name, value) in &entry.request.headers {
        headers.append(name.clone(), value.clone());
    }
    let outgoing = crate::net::delivery::Outgoing {
        url: entry.request.url.clone(),
        headers,
        body: entry.request.body.clone(),
    };
    let attempt = crate::net::delivery::deliver(
        &calcom.webhooks,
        &outgoing,
        calcom.config().pull_timeout,
        Some(&calcom.journal),
    )
    .await;
    ok(attempt)
}

async fn clear_journal(State(calcom): State<Arc<Calcom>>) -> Answer {
    calcom.journal.clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn show_clock(State(calcom): State<Arc<Calcom>>) -> Answer {
    ok(json!({ "nowMs": calcom.clock.now_ms(), "offsetMs": calcom.clock.offset_ms() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    ms: Option<i64>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    next: bool,
}

const ADVANCE_HINT: &str = r#"send {"ms": 3600000} (an hour forward), {"to": "2030-01-01T10:00:00Z"} or {"next": true} (to the next scheduled job)"#;

async fn advance_clock(State(calcom): State<Arc<Calcom>>, text: String) -> Answer {
    let advance: Advance = body(&text, ADVANCE_HINT)?;
    let now = calcom.clock.now_ms();
    let ms = match (advance.ms, advance.to, advance.next) {
        (Some(ms), None, false) => ms,
        (None, Some(to), false) => {
            let target: jiff::Timestamp = to.parse().map_err(|error| {
                ControlError::bad_request(
                    format!("`to`: {to} is not an RFC 3339 time ({error})"),
                    ADVANCE_HINT,
                )
            })?;
            target.as_millisecond() - now
        }
        (None, None, true) => {
            let next = calcom.scheduler.pending().first().map(|job| job.due_ms).ok_or_else(|| {
                ControlError::bad_request("nothing is scheduled", "book a meeting first: MEETING_STARTED/ENDED are scheduled at its start and end")
            })?;
            (next - now).max(0)
        }
        _ => {
            return Err(ControlError::bad_request(
                "give exactly one of `ms`, `to`, `next`",
                ADVANCE_HINT,
            ))
        }
    };
    if ms < 0 {
        return Err(ControlError::bad_request(
            format!(
                "that is {} ms in the past; the clock only moves forward",
                -ms
            ),
            ADVANCE_HINT,
        ));
    }
    let dispatched = crate::calcom::due_work::advance(&calcom, ms).await;
    ok(
        json!({ "nowMs": calcom.clock.now_ms(), "offsetMs": calcom.clock.offset_ms(), "dispatched": dispatched }),
    )
}

async fn reset(State(calcom): State<Arc<Calcom>>) -> Answer {
    calcom.reset();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_subscriptions(State(calcom): State<Arc<Calcom>>) -> Answer {
    ok(calcom.store.subscriptions(None))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewEvent {
    trigger: crate::protocol::trigger::TriggerEvent,
    user_id: Option<i64>,
    event_type_id: Option<i64>,
    organization_id: Option<i64>,
    oauth_client_id: Option<String>,
    data: Option<serde_json::Map<String, Value>>,
    created_at: Option<String>,
}

const EVENT_HINT: &str = r#"send {"trigger": "BOOKING_CREATED", "userId": 1, "eventTypeId": 1, "organizationId": 1, "data": {...}}; without "data" calsim's example data for the trigger is used"#;

async fn fire_event(State(calcom): State<Arc<Calcom>>, text: String) -> Answer {
    let new: NewEvent = body(&text, EVENT_HINT)?;
    let data = match new.data {
        Some(data) => data,
        None => crate::protocol::payload::built_in(new.trigger)
            .and_then(|example| {
                match crate::protocol::js_value::JsValue::parse(example).map(Value::from) {
                    Ok(Value::Object(data)) => Some(data),
                    _ => None,
                }
            })
            .ok_or_else(|| {
                ControlError::bad_request(
                    format!("no example data for {}", new.trigger),
                    EVENT_HINT,
                )
            })?,
    };
    let scopes: Vec<crate::calcom::subscription::Scope> = [
        new.user_id.map(crate::calcom::subscription::Scope::User),
        new.event_type_id
            .map(crate::calcom::subscription::Scope::EventType),
        new.organization_id
            .map(crate::calcom::subscription::Scope::Organization),
        new.oauth_client_id
            .map(crate::calcom::subscription::Scope::OAuthClient),
    ]
    .into_iter()
    .flatten()
    .collect();
    let event = crate::calcom::dispatch::Event {
        trigger: new.trigger,
        scopes,
        data,
        created_at: new.created_at,
    };
    ok(crate::calcom::dispatch::dispatch(&calcom, event).await)
}

async fn list_event_types(State(calcom): State<Arc<Calcom>>) -> Answer {
    ok(calcom.store.event_types())
}

const EVENT_TYPE_HINT: &str = "list event types with GET /_calsim/event-types";

async fn show_event_type(State(calcom): State<Arc<Calcom>>, Path(id): Path<i64>) -> Answer {
    let event_type = calcom.store.event_type(id).ok_or_else(|| {
        ControlError::not_found(format!("no event type with id {id}"), EVENT_TYPE_HINT)
    })?;
    ok(event_type)
}

const APPS_HINT: &str = r#"send {"location": "integrations:zoom" | "integrations:office365_video" | "integrations:google:meet" | "integrations:daily" | null, "destinationCalendar": "google-calendar" | "office365-calendar" | null, "crm": ["hubspot"], "price": 1000 | null, "currency": "usd"}; absent keys stay as they are"#;

/// Sets which apps bookings of an event type use; absent keys keep their value.
async fn set_event_type_apps(
    State(calcom): State<Arc<Calcom>>,
    Path(id): Path<i64>,
    text: String,
) -> Answer {
    let mut event_type = calcom.store.event_type(id).ok_or_else(|| {
        ControlError::not_found(format!("no event type with id {id}"), EVENT_TYPE_HINT)
    })?;
    let change: Value = body(&text, APPS_HINT)?;
    let Value::Object(change) = change else {
        return Err(ControlError::bad_request("send a JSON object", APPS_HINT));
    };
    let mut apps = serde_json::to_value(&event_type.apps).unwrap_or_default();
    for (name, value) in change {
        if ![
            "location",
            "destinationCalendar",
            "crm",
            "price",
            "currency",
        ]
        .contains(&name.as_str())
        {
            return Err(ControlError::bad_request(
                format!("unknown key `{name}`"),
                APPS_HINT,
            ));
        }
        apps[name] = value;
    }
    event_type.apps = serde_json::from_value(apps).map_err(|error| {
        ControlError::bad_request(format!("bad app settings: {error}"), APPS_HINT)
    })?;
    if let Some(problem) = crate::calcom::app_services::settings_problem(&event_type.apps) {
        return Err(ControlError::bad_request(problem, APPS_HINT));
    }
    calcom.store.put_event_type(event_type.clone());
    ok(event_type)
}

async fn provider_records(State(calcom): State<Arc<Calcom>>) -> Answer {
    ok_masked(&calcom, calcom.providers.records())
}

const FAULT_HINT: &str = r#"send {"status": 401 | 403 | 429 | 500 | 503, "delayMs": 30000, "times": 1}; without "times" the fault stays until DELETE"#;

async fn set_provider_fault(
    State(calcom): State<Arc<Calcom>>,
    Path(app): Path<String>,
    text: String,
) -> Answer {
    if crate::calcom::providers::provider_of(&app).is_none() {
        return Err(ControlError::not_found(
            format!("calsim has no fake provider for `{app}`"),
            "faults apply to google-calendar, google-meet, zoom, office365-calendar, msteams, hubspot and stripe",
        ));
    }
    let fault: crate::calcom::providers::Fault = body(&text, FAULT_HINT)?;
    if let Some(problem) = fault.problem() {
        return Err(ControlError::bad_request(problem, FAULT_HINT));
    }
    calcom.providers.set_fault(&app, fault.clone());
    ok(json!({ "app": app, "fault": fault }))
}

async fn clear_provider_fault(
    State(calcom): State<Arc<Calcom>>,
    Path(app): Path<String>,
) -> Answer {
    calcom.providers.clear_fault(&app);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_bookings(State(calcom): State<Arc<Calcom>>) -> Answer {
    ok(calcom.store.bookings())
}

const BOOKING_HINT: &str = r#"send {"eventTypeId": 1, "start": "2030-01-01T10:00:00Z", "lengthMinutes": 30, "requiresConfirmation": false, "price": 0, "attendee": {"name": "A", "email": "a@example.com", "timeZone": "Europe/London"}}"#;

fn lifecycle_error(error: crate::calcom::booking::LifecycleError) -> ControlError {
    use crate::calcom::booking::LifecycleError;
    match error {
        LifecycleError::BadTime(_) => ControlError::bad_request(error.to_string(), BOOKING_HINT),
        LifecycleError::WrongState { .. } => ControlError {
            status: StatusCode::CONFLICT,
            error: error.to_string(),
            hint: "GET /_calsim/bookings shows each booking's status",
        },
        LifecycleError::PaymentNotCreated(_) => ControlError {
            status: StatusCode::BAD_GATEWAY,
            error: error.to_string(),
            hint: "the organizer's stripe credential needs a stripe_user_id; clear a fault with DELETE /_calsim/providers/stripe/fault",
        },
        _ => ControlError::not_found(error.to_string(), BOOKING_HINT),
    }
}

async fn create_booking(State(calcom): State<Arc<Calcom>>, text: String) -> Answer {
    let new: crate::calcom::booking::NewBooking = body(&text, BOOKING_HINT)?;
    let step = crate::calcom::booking::create(&calcom, new)
        .await
        .map_err(lifecycle_error)?;
    Ok((StatusCode::CREATED, Json(step)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StepInput {
    reason: Option<String>,
    start: Option<String>,
    no_show: Option<bool>,
}

const STEP_HINT: &str = r#"steps: confirm, reject {"reason"}, cancel {"reason"}, reschedule {"start": ISO}, pay, no-show {"noShow": true}, start, end"#;

async fn booking_step(
    State(calcom): State<Arc<Calcom>>,
    Path((uid, step)): Path<(String, String)>,
    text: String,
) -> Answer {
    let input: StepInput = if text.trim().is_empty() {
        StepInput::default()
    } else {
        body(&text, STEP_HINT)?
    };
    let done = match step.as_str() {
        "confirm" => crate::calcom::booking::confirm(&calcom, &uid).await,
        "reject" => crate::calcom::booking::reject(&calcom, &uid, input.reason).await,
        "cancel" => crate::calcom::booking::cancel(&calcom, &uid, input.reason).await,
        "reschedule" => {
            let start = input.start.ok_or_else(|| {
                ControlError::bad_request("reschedule needs \"start\"", STEP_HINT)
            })?;
            crate::calcom::booking::reschedule(&calcom, &uid, &start).await
        }
        "pay" => crate::calcom::booking::pay(&calcom, &uid).await,
        "no-show" => {
            crate::calcom::booking::no_show(&calcom, &uid, input.no_show.unwrap_or(true)).await
        }
        "start" => {
            crate::calcom::booking::meeting_now(
                &calcom,
                &uid,
                crate::protocol::trigger::TriggerEvent::MeetingStarted,
            )
            .await
        }
        "end" => {
            crate::calcom::booking::meeting_now(
                &calcom,
                &uid,
                crate::protocol::trigger::TriggerEvent::MeetingEnded,
            )
            .await
        }
        other => {
            return Err(ControlError::not_found(
                format!("no booking step `{other}`"),
                STEP_HINT,
            ))
        }
    };
    ok(done.map_err(lifecycle_error)?)
}

async fn list_scheduled(State(calcom): State<Arc<Calcom>>) -> Answer {
    ok(calcom.scheduler.pending())
}

async fn out_of_office(State(calcom): State<Arc<Calcom>>, text: String) -> Answer {
    let new: crate::calcom::booking::NewOutOfOffice = body(
        &text,
        r#"send {"userId": 1, "start": "2030-02-01T00:00:00.000Z", "end": "2030-02-05T23:59:59.999Z", "notes": "holiday", "toUserId": 2}"#,
    )?;
    ok(crate::calcom::booking::out_of_office(&calcom, new)
        .await
        .map_err(lifecycle_error)?)
}

async fn submit_form(
    State(calcom): State<Arc<Calcom>>,
    Path(form): Path<String>,
    text: String,
) -> Answer {
    let submission: crate::calcom::booking::FormSubmission = body(
        &text,
        r#"send {"userId": 1, "formName": "Sales routing", "responses": {"Email": "guest@example.com", "Company size": "11-50"}}"#,
    )?;
    ok(
        crate::calcom::booking::submit_form(&calcom, &form, submission)
            .await
            .map_err(lifecycle_error)?,
    )
}
