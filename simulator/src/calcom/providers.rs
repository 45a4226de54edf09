//! Fake providers: the third-party APIs Cal.com's app services call with a synced
//! credential's access token, served by calsim under `/_providers/` with paths shaped
//! like the real ones: Google Calendar (`/_providers/google/calendar/v3/...`), Zoom
//! (`/_providers/zoom/v2/...`), Microsoft Graph (`/_providers/graph/v1.0/...`),
//! HubSpot (`/_providers/hubspot/crm/v3/...`) and Stripe (`/_providers/stripe/v1/...`,
//! form-encoded as stripe-node sends it), plus each provider's token endpoint
//! (`/_providers/{provider}/oauth/token`, the refresh token in a JSON body so journal
//! views mask it) for refreshes when credential sync is off.
//!
//! A provider takes `Authorization: Bearer <token>` only when the token is the stored
//! `access_token` of a credential of its app that has not expired on the simulator's
//! clock; anything else is a 401, as a real provider answers a stale or revoked token.
//! Stripe is called with the platform's secret key and `Stripe-Account: <the
//! credential's stripe_user_id>`, so it judges the account instead (unknown: 403
//! `account_invalid`).
//! Faults set per app (`POST /_calsim/providers/{app}/fault`) come first: a status
//! (401, 403, 429, 5xx), a delay, once or always. Every call is journaled on the
//! `provider` surface, the token masked.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{OriginalUri, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Value};

pub use crate::calcom::provider_data::{Fault, Providers};
use crate::calcom::state::Calcom;
use crate::calcom::store::Credential;
use crate::net::journal::{Arrival, Surface};
use crate::protocol::answer::Answer;
use crate::protocol::profile::NextRouter;

/// The provider an app's service calls, and the path prefix it lives at.
pub fn provider_of(app: &str) -> Option<&'static str> {
    PROVIDERS
        .iter()
        .find(|(_, apps)| apps.contains(&app))
        .map(|(provider, _)| *provider)
}

/// Each fake provider and the apps whose credentials it takes (a fault set for any of
/// them applies to the provider; the first names it in verdicts).
const PROVIDERS: [(&str, &[&str]); 5] = [
    ("google", &["google-calendar", "google-meet"]),
    ("zoom", &["zoom"]),
    ("graph", &["office365-calendar", "msteams"]),
    ("hubspot", &["hubspot"]),
    ("stripe", &["stripe"]),
];

/// The routes, nested at `/_providers`.
pub fn router() -> Router<Arc<Calcom>> {
    Router::new()
        .route("/{provider}/oauth/token", any(token))
        .route("/{provider}/{*rest}", any(api))
}

/// The access token a credential's key holds (HubSpot's key is camelCase).
pub fn access_token(key: &Value) -> Option<&str> {
    key.get("access_token")
        .or_else(|| key.get("accessToken"))
        .and_then(Value::as_str)
}

/// When a provider considers a token expired (epoch ms): Google and Zoom keep
/// `expiry_date` in ms, Office 365 in seconds, HubSpot `expiryDate` in ms.
fn expiry_ms(key: &Value) -> Option<f64> {
    let expiry = key
        .get("expiry_date")
        .or_else(|| key.get("expiryDate"))
        .and_then(Value::as_f64)?;
    Some(if expiry < 1e11 {
        expiry * 1000.0
    } else {
        expiry
    })
}

fn bearer(parts: &axum::http::request::Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn credential_for(calcom: &Calcom, apps: &[&str], token: &str) -> Option<Credential> {
    calcom
        .store
        .credentials(None, None)
        .into_iter()
        .find(|credential| {
            credential
                .app_id
                .as_deref()
                .is_some_and(|app| apps.contains(&app))
                && access_token(&credential.key) == Some(token)
        })
}

fn provider_json(status: StatusCode, value: &Value) -> Answer {
    Answer::json(status, NextRouter::App, value)
}

fn unauthorized(provider: &str, why: &str) -> Answer {
    let body = match provider {
        "google" => {
            json!({"error": {"code": 401, "message": format!("Request had invalid authentication credentials ({why})."), "status": "UNAUTHENTICATED"}})
        }
        "zoom" => json!({"code": 124, "message": format!("Invalid access token ({why}).")}),
        "graph" => {
            json!({"error": {"code": "InvalidAuthenticationToken", "message": format!("Access token is empty or invalid ({why}).")}})
        }
        _ => {
            json!({"status": "error", "message": format!("Authentication credentials not found ({why})."), "category": "INVALID_AUTHENTICATION"})
        }
    };
    provider_json(StatusCode::UNAUTHORIZED, &body)
}

/// The request's parts with the URI as the client sent it (nesting strips the prefix).
fn original(request: Request) -> (axum::http::request::Parts, axum::body::Body) {
    let (mut parts, body) = request.into_parts();
    if let Some(OriginalUri(uri)) = parts.extensions.get::<OriginalUri>().cloned() {
        parts.uri = uri;
    }
    (parts, body)
}

async fn api(State(calcom): State<Arc<Calcom>>, request: Request) -> Response {
    let arrival = Arrival::now();
    let (parts, body) = original(request);
    let body = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    let path = parts
        .uri
        .path()
        .trim_start_matches("/_providers/")
        .to_owned();
    let (provider, rest) = path.split_once('/').unwrap_or((path.as_str(), ""));
    let Some((app, apps)) = PROVIDERS
        .iter()
        .find(|(known, _)| *known == provider)
        .map(|(_, apps)| (apps[0], *apps))
    else {
        let answer = provider_json(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("calsim serves no provider `{provider}`; known: google, zoom, graph, hubspot, stripe")}),
        );
        return calcom.journal.answered(
            Surface::Provider,
            arrival,
            (&parts, body),
            &[],
            answer,
            json!({"provider": provider}),
        );
    };
    let fault = apps.iter().find_map(|app| calcom.providers.take_fault(app));
    let (answer, verdict) = match fault {
        Some(fault) => {
            if let Some(delay) = fault.delay_ms {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            match fault.status {
                Some(401) => (
                    unauthorized(provider, "revoked"),
                    json!({"app": app, "fault": fault}),
                ),
                Some(status) => (
                    provider_json(
                        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                        &json!({"error": format!("calsim fault: {status}")}),
                    ),
                    json!({"app": app, "fault": fault}),
                ),
                None => serve(&calcom, provider, app, apps, &parts, &body, rest),
            }
        }
        None => serve(&calcom, provider, app, apps, &parts, &body, rest),
    };
    calcom.journal.answered(
        Surface::Provider,
        arrival,
        (&parts, body),
        &[],
        answer,
        verdict,
    )
}

/// The credential a call authenticates as, or the provider's refusal: the bearer
/// token of a stored, unexpired credential; for Stripe, a secret key and the
/// connected account (`Stripe-Account`) of a stored credential.
fn judge(
    calcom: &Calcom,
    provider: &str,
    app: &str,
    apps: &[&str],
    parts: &axum::http::request::Parts,
) -> Result<Credential, Box<(Answer, Value)>> {
    if provider == "stripe" {
        return judge_stripe(calcom, parts);
    }
    let Some(token) = bearer(parts) else {
        return Err(Box::new((
            unauthorized(provider, "no bearer token"),
            json!({"app": app, "token": "missing"}),
        )));
    };
    let Some(credential) = credential_for(calcom, apps, token) else {
        return Err(Box::new((
            unauthorized(provider, "unknown token"),
            json!({"app": app, "token": "unknown"}),
        )));
    };
    let now = calcom.clock.now_ms() as f64;
    if expiry_ms(&credential.key).is_some_and(|expiry| expiry <= now) {
        return Err(Box::new((
            unauthorized(provider, "expired"),
            json!({"app": app, "token": "expired", "credentialId": credential.id}),
        )));
    }
    Ok(credential)
}

fn stripe_error(status: StatusCode, code: &str, message: String) -> Answer {
    provider_json(
        status,
        &json!({"error": {"code": code, "message": message, "type": "invalid_request_error"}}),
    )
}

fn judge_stripe(
    calcom: &Calcom,
    parts: &axum::http::request::Parts,
) -> Result<Credential, Box<(Answer, Value)>> {
    if !bearer(parts).is_some_and(|key| key.starts_with("sk_")) {
        return Err(Box::new((
            stripe_error(
                StatusCode::UNAUTHORIZED,
                "api_key_invalid",
                "Invalid API Key provided: a secret key (sk_...) is required.".to_owned(),
            ),
            json!({"app": "stripe", "token": "missing"}),
        )));
    }
    let account = parts
        .headers
        .get("stripe-account")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    calcom
        .store
        .credentials(None, Some("stripe"))
        .into_iter()
        .find(|credential| {
            !account.is_empty() && credential.key["stripe_user_id"].as_str() == Some(account)
        })
        .ok_or_else(|| {
            Box::new((
                stripe_error(
                    StatusCode::FORBIDDEN,
                    "account_invalid",
                    format!("The provided key does not have access to account '{account}' (or that account does not exist). Application access may have been revoked."),
                ),
                json!({"app": "stripe", "account": "unknown"}),
            ))
        })
}

/// A form body as stripe-node sends it (`metadata[bookingId]=1`), as a JSON object
/// (`{"metadata": {"bookingId": "1"}}`); `payment_method_types[0]` keys stay flat.
fn form_fields(body: &[u8]) -> Value {
    let mut fields = serde_json::Map::new();
    for (name, value) in form_urlencoded::parse(body) {
        match name.split_once('[') {
            Some((outer, inner))
                if inner.ends_with(']') && !inner.starts_with(char::is_numeric) =>
            {
                let entry = fields.entry(outer.to_owned()).or_insert_with(|| json!({}));
                if let Value::Object(nested) = entry {
                    nested.insert(inner.trim_end_matches(']').to_owned(), json!(value));
                }
            }
            _ => {
                fields.insert(name.into_owned(), json!(value));
            }
        }
    }
    Value::Object(fields)
}

fn serve(
    calcom: &Calcom,
    provider: &str,
    app: &str,
    apps: &[&str],
    parts: &axum::http::request::Parts,
    body: &Bytes,
    rest: &str,
) -> (Answer, Value) {
    let credential = match judge(calcom, provider, app, apps, parts) {
        Ok(credential) => credential,
        Err(refused) => return *refused,
    };
    let sent: Value = if provider == "stripe" {
        form_fields(body)
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    };
    let providers = &calcom.providers;
    let id = providers.next();
    let verdict = json!({"app": app, "token": "valid", "credentialId": credential.id});
    let method = &parts.method;
    let segments: Vec<&str> = rest.split('/').collect();
    let answer = match (provider, method, segments.as_slice()) {
        ("google", &Method::POST, ["calendar", "v3", "calendars", calendar, "events"]) => {
            let event_id = format!("calsim{id:08}gcal");
            providers.record(app, "create", &event_id, &sent);
            let mut event = json!({
                "kind": "calendar#event", "id": event_id, "status": "confirmed",
                "htmlLink": format!("https://www.google.com/calendar/event?eid={event_id}"),
                "iCalUID": format!("{event_id}@google.com"), "organizer": {"email": calendar, "self": true},
                "summary": sent.get("summary"), "start": sent.get("start"), "end": sent.get("end"),
            });
            if sent.pointer("/conferenceData/createRequest").is_some() {
                add_meet(&mut event, id);
            }
            provider_json(StatusCode::OK, &event)
        }
        ("google", &Method::POST, ["calendar", "v3", "freeBusy"]) => {
            let (from, to) = (time_ms(&sent["timeMin"]), time_ms(&sent["timeMax"]));
            let busy: Vec<Value> = providers
                .busy(apps, from, to)
                .into_iter()
                .map(|(start, end)| json!({"start": iso(start), "end": iso(end)}))
                .collect();
            provider_json(
                StatusCode::OK,
                &json!({"kind": "calendar#freeBusy", "timeMin": sent["timeMin"], "timeMax": sent["timeMax"], "calendars": {"primary": {"busy": busy}}}),
            )
        }
        (
            "google",
            &Method::PATCH | &Method::PUT,
            ["calendar", "v3", "calendars", _, "events", event_id],
        ) => {
            providers.record(app, "update", event_id, &sent);
            let mut event = json!({"kind": "calendar#event", "id": event_id, "status": "confirmed", "summary": sent.get("summary"), "start": sent.get("start"), "end": sent.get("end")});
            if providers.created_with_meet(app, event_id) {
                let created = event_id
                    .trim_start_matches("calsim")
                    .trim_end_matches("gcal")
                    .parse()
                    .unwrap_or_default();
                add_meet(&mut event, created);
            }
            provider_json(StatusCode::OK, &event)
        }
        ("google", &Method::DELETE, ["calendar", "v3", "calendars", _, "events", event_id]) => {
            providers.record(app, "delete", event_id, &Value::Null);
            Answer::empty(StatusCode::NO_CONTENT)
        }
        ("zoom", &Method::POST, ["v2", "users", "me", "meetings"]) => {
            let meeting = 80_000_000_000 + id;
            providers.record(app, "create", &meeting.to_string(), &sent);
            provider_json(
                StatusCode::CREATED,
                &json!({
                    "id": meeting, "topic": sent.get("topic"), "start_time": sent.get("start_time"),
                    "duration": sent.get("duration"), "password": "calsim",
                    "join_url": format!("https://zoom.example/j/{meeting}?pwd=calsim"),
                    "start_url": format!("https://zoom.example/s/{meeting}"),
                }),
            )
        }
        ("zoom", &Method::PATCH, ["v2", "meetings", meeting]) => {
            providers.record(app, "update", meeting, &sent);
            Answer::empty(StatusCode::NO_CONTENT)
        }
        ("zoom", &Method::DELETE, ["v2", "meetings", meeting]) => {
            providers.record(app, "delete", meeting, &Value::Null);
            Answer::empty(StatusCode::NO_CONTENT)
        }
        ("graph", &Method::POST, ["v1.0", "me", "calendar", "events"]) => {
            let event_id = format!("AAMkAGcalsim{id:08}");
            providers.record(app, "create", &event_id, &sent);
            provider_json(
                StatusCode::CREATED,
                &json!({
                    "id": event_id, "iCalUId": format!("040000008200E00074C5B7101A82E008{id:08}"),
                    "subject": sent.get("subject"), "start": sent.get("start"), "end": sent.get("end"),
                    "webLink": format!("https://outlook.example/owa/?itemid={event_id}"),
                    "onlineMeeting": if sent.get("isOnlineMeeting") == Some(&Value::Bool(true)) { json!({"joinUrl": format!("https://teams.example/l/meetup-join/{event_id}")}) } else { Value::Null },
                }),
            )
        }
        ("graph", &Method::GET, ["v1.0", "me", "calendarView"]) => {
            let query: std::collections::HashMap<String, String> =
                form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                    .into_owned()
                    .collect();
            let at = |name: &str| time_ms(&json!(query.get(name)));
            let events: Vec<Value> = providers
                .busy(apps, at("startDateTime"), at("endDateTime"))
                .into_iter()
                .map(|(start, end)| json!({"showAs": "busy", "start": {"dateTime": iso(start), "timeZone": "UTC"}, "end": {"dateTime": iso(end), "timeZone": "UTC"}}))
                .collect();
            provider_json(StatusCode::OK, &json!({"value": events}))
        }
        ("graph", &Method::PATCH, ["v1.0", "me", "calendar", "events", event_id]) => {
            providers.record(app, "update", event_id, &sent);
            provider_json(
                StatusCode::OK,
                &json!({"id": event_id, "subject": sent.get("subject")}),
            )
        }
        ("graph", &Method::DELETE, ["v1.0", "me", "calendar", "events", event_id]) => {
            providers.record(app, "delete", event_id, &Value::Null);
            Answer::empty(StatusCode::NO_CONTENT)
        }
        ("hubspot", &Method::POST, ["crm", "v3", "objects", "contacts", "search"]) => {
            let emails: Vec<&str> = sent
                .pointer("/filterGroups/0/filters/0/values")
                .and_then(Value::as_array)
                .map(|values| values.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let results: Vec<Value> = providers
                .contacts(app, &emails)
                .into_iter()
                .map(|record| json!({"id": record["id"], "properties": record["body"]["properties"], "archived": false}))
                .collect();
            provider_json(
                StatusCode::OK,
                &json!({"total": results.len(), "results": results}),
            )
        }
        ("hubspot", &Method::POST, ["crm", "v3", "objects", kind @ ("contacts" | "meetings")]) => {
            let object = format!("{}", 5_000 + id);
            providers.record(
                app,
                &format!("create-{}", kind.trim_end_matches('s')),
                &object,
                &sent,
            );
            provider_json(
                StatusCode::CREATED,
                &json!({"id": object, "properties": sent.get("properties"), "archived": false}),
            )
        }
        ("hubspot", &Method::PATCH, ["crm", "v3", "objects", "meetings", object]) => {
            providers.record(app, "update", object, &sent);
            provider_json(
                StatusCode::OK,
                &json!({"id": object, "properties": sent.get("properties")}),
            )
        }
        ("hubspot", &Method::DELETE, ["crm", "v3", "objects", "meetings", object]) => {
            providers.record(app, "delete", object, &Value::Null);
            Answer::empty(StatusCode::NO_CONTENT)
        }
        ("stripe", &Method::POST, ["v1", "payment_intents"]) => {
            let intent = format!("pi_calsim{id:010}");
            providers.record(app, "create-payment", &intent, &sent);
            provider_json(
                StatusCode::OK,
                &json!({
                    "id": intent, "object": "payment_intent",
                    "amount": sent["amount"].as_str().and_then(|amount| amount.parse::<i64>().ok()),
                    "currency": sent["currency"], "status": "requires_payment_method",
                    "client_secret": format!("{intent}_secret_calsim"), "livemode": false,
                    "metadata": sent.get("metadata").cloned().unwrap_or_else(|| json!({})),
                }),
            )
        }
        ("stripe", &Method::POST, ["v1", "refunds"]) => {
            let refund = format!("re_calsim{id:010}");
            providers.record(app, "refund", &refund, &sent);
            provider_json(
                StatusCode::OK,
                &json!({"id": refund, "object": "refund", "payment_intent": sent["payment_intent"], "status": "succeeded"}),
            )
        }
        _ => provider_json(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("calsim's fake {provider} serves no {method} /{rest}")}),
        ),
    };
    (answer, verdict)
}

/// The Meet conference Google attaches to the event it created as call `id`: the same
/// link whenever the event is read or updated again.
fn add_meet(event: &mut Value, id: u64) {
    let code = format!("cal-{:04}-sim", id % 10_000);
    let link = format!("https://meet.google.com/{code}");
    event["hangoutLink"] = json!(link);
    event["conferenceData"] = json!({
        "conferenceId": code,
        "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
        "entryPoints": [{"entryPointType": "video", "uri": link, "label": link.trim_start_matches("https://")}],
    });
}

fn time_ms(value: &Value) -> i64 {
    value
        .as_str()
        .and_then(|text| text.parse::<jiff::Timestamp>().ok())
        .map_or(0, jiff::Timestamp::as_millisecond)
}

fn iso(ms: i64) -> String {
    crate::protocol::payload::iso_string(
        jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
    )
}

/// A provider's token endpoint: `grant_type=refresh_token&refresh_token=...` for a
/// stored refresh token gets a new access token valid for an hour; anything else is
/// `invalid_grant`.
async fn token(State(calcom): State<Arc<Calcom>>, request: Request) -> Response {
    let arrival = Arrival::now();
    let (parts, body) = original(request);
    let body = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let refresh = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|json| json.get("refresh_token")?.as_str().map(str::to_owned))
        .or_else(|| {
            form_urlencoded::parse(&body)
                .find(|(name, _)| name == "refresh_token")
                .map(|(_, value)| value.into_owned())
        });
    let found = refresh.as_deref().and_then(|refresh| {
        calcom
            .store
            .credentials(None, None)
            .into_iter()
            .find(|credential| {
                let stored = credential
                    .key
                    .get("refresh_token")
                    .or_else(|| credential.key.get("refreshToken"))
                    .and_then(Value::as_str);
                stored == Some(refresh)
            })
    });
    let (answer, verdict) = match found {
        Some(credential) => {
            let id = calcom.providers.next();
            (
                provider_json(
                    StatusCode::OK,
                    &json!({"access_token": format!("calsim-refreshed-{id}"), "token_type": "Bearer", "expires_in": 3600, "refresh_token": refresh}),
                ),
                json!({"credentialId": credential.id, "grant": "refresh_token"}),
            )
        }
        None => (
            provider_json(
                StatusCode::BAD_REQUEST,
                &json!({"error": "invalid_grant", "error_description": "Bad Request"}),
            ),
            json!({"grant": "unknown refresh token"}),
        ),
    };
    calcom.journal.answered(
        Surface::Provider,
        arrival,
        (&parts, body),
        &["refresh_token"],
        answer,
        verdict,
    )
}
