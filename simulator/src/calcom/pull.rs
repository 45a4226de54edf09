//! The pull: Cal.com asks the partner's sync endpoint for a fresh token.
//!
//! [`PullRequest::new`] builds the request exactly as Cal.com's `fetch` does
//! (`shared/spec/credential-sync.md` §5.2); [`judge`] reads the reply with the rules of
//! the configured generation and app (§5.3 OAuthManager, §5.4 legacy) and names every
//! deviation; [`pull`] does both, stores the result and journals it. The
//! `sync-endpoint` conformance check uses the same two functions.

use std::sync::Arc;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::calcom::state::Calcom;
use crate::calcom::store::Credential;
use crate::config::{Config, PullHeaders};
use crate::net::http_client;
use crate::net::journal::{Direction, NewEntry, RecordedRequest, RecordedResponse, Surface};
use crate::protocol::js_value::{parse_error_message, JsValue};
use crate::protocol::profile::LegacyTokenSchema;
use crate::protocol::zod;

/// Content type Node's `fetch` sets for a `URLSearchParams` body.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=UTF-8";
/// OAuthManager's message for a reply that is not a usable token.
pub const INVALID_TOKEN_RESPONSE: &str = "Invalid token response";
/// The legacy path's message for a reply that fails its schema.
pub const INVALID_REFRESHED_TOKENS: &str = "Invalid refreshed tokens were returned";
/// The placeholder the legacy path stores when the reply has no `refresh_token`.
pub const REFRESH_TOKEN_PLACEHOLDER: &str = "refresh_token";
/// One year, OAuthManager's expiry for a token that comes without one.
pub const ONE_YEAR_MS: i64 = 365 * 24 * 3600 * 1000;

/// The request Cal.com sends, fully determined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PullRequest {
    /// `CALCOM_CREDENTIAL_SYNC_ENDPOINT`, exactly.
    pub url: String,
    /// Headers in the order Node sends them (`host` and `content-length` are added by
    /// the HTTP layer).
    pub headers: Vec<(String, String)>,
    /// `calcomUserId=<id>&appSlug=<slug>`.
    pub body: String,
}

impl PullRequest {
    /// The request for a user and app slug.
    ///
    /// ```
    /// let config = calsim::Config { sync_endpoint: "http://127.0.0.1:5100/api/getToken".into(), ..Default::default() };
    /// let request = calsim::pull::PullRequest::new(&config, 1, "google-calendar");
    /// assert_eq!(request.body, "calcomUserId=1&appSlug=google-calendar");
    /// assert_eq!(request.headers[0], ("calcom-credential-sync-secret".into(), "calsim-dev-sync-secret".into()));
    /// ```
    pub fn new(config: &Config, calcom_user_id: i64, app_slug: &str) -> Self {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("calcomUserId", &calcom_user_id.to_string())
            .append_pair("appSlug", app_slug)
            .finish();
        let mut headers = Vec::new();
        if let Some(name) = config.pull_header_name() {
            headers.push((name.to_ascii_lowercase(), config.sync_secret.clone()));
        }
        headers.push(("content-type".to_owned(), FORM_CONTENT_TYPE.to_owned()));
        if config.pull_headers == PullHeaders::Undici {
            for (name, value) in http_client::NODE_FETCH_HEADERS {
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        PullRequest {
            url: config.sync_endpoint.clone(),
            headers,
            body,
        }
    }

    /// The request Cal.com sends for a stored credential, with its quirks (zoho-bigin
    /// sends the credential id as the user id).
    pub fn for_credential(config: &Config, credential: &Credential) -> Result<Self, String> {
        let app_slug = credential.app_id.as_deref().unwrap_or_default();
        let Some(user_id) = credential.user_id else {
            return Err(if credential.team_id.is_some() {
                "Teams are not supported".to_owned()
            } else {
                "resourceOwner should have id set".to_owned()
            });
        };
        let calcom_user_id = if app_slug == "zoho-bigin" {
            credential.id
        } else {
            user_id
        };
        Ok(PullRequest::new(config, calcom_user_id, app_slug))
    }

    fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                map.append(name, value);
            }
        }
        map
    }
}

/// Which of Cal.com's code paths reads the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PullPath {
    /// `OAuthManager` (Google Calendar, Zoom, MS Teams in the current generations).
    OauthManager,
    /// `refreshOAuthTokens` + `parseRefreshTokenResponse`.
    Legacy,
}

impl PullPath {
    /// The path an app's refresh takes under a config.
    pub fn for_app(config: &Config, app_slug: &str) -> Self {
        let listed = config.oauth_manager_apps.iter().any(|app| app == app_slug);
        if config.profile.has_oauth_manager() && listed {
            PullPath::OauthManager
        } else {
            PullPath::Legacy
        }
    }
}

/// What Cal.com makes of a reply.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Judgement {
    /// The code path that read the reply.
    pub path: PullPath,
    /// Whether Cal.com accepted a token.
    pub accepted: bool,
    /// The error Cal.com throws, when it does.
    pub error: Option<String>,
    /// The credential key after the pull (unchanged when not accepted).
    pub new_key: Value,
    /// Whether Cal.com marks the credential invalid.
    pub marks_invalid: bool,
    /// Ways the reply departs from what a careful partner sends, each with its effect.
    pub deviations: Vec<String>,
}

/// Judges a partner's reply as Cal.com would, at `now_ms`.
///
/// ```
/// use serde_json::json;
/// let config = calsim::Config::default();
/// let judgement = calsim::pull::judge(&config, "google-calendar", 500,
///     br#"{"access_token":"fresh"}"#, &json!({"access_token":"old","refresh_token":"r"}), 1_000);
/// assert!(judgement.accepted);
/// assert_eq!(judgement.new_key["refresh_token"], "r");
/// assert_eq!(judgement.new_key["expiry_date"], 1_000 + calsim::pull::ONE_YEAR_MS);
/// ```
pub fn judge(
    config: &Config,
    app_slug: &str,
    status: u16,
    body: &[u8],
    current_key: &Value,
    now_ms: i64,
) -> Judgement {
    let path = PullPath::for_app(config, app_slug);
    let mut judgement = Judgement {
        path,
        accepted: false,
        error: None,
        new_key: current_key.clone(),
        marks_invalid: false,
        deviations: Vec::new(),
    };
    if !(200..300).contains(&status) {
        judgement.deviations.push(format!(
            "HTTP status {status}: Cal.com ignores the status and reads the body anyway; answer 200 with a token, or an error body without `access_token`"
        ));
    }
    // undici's response.json(): UTF-8 decoding drops a leading BOM.
    let decoded = String::from_utf8_lossy(body);
    let text = decoded.strip_prefix('\u{feff}').unwrap_or(&decoded);
    if path == PullPath::OauthManager && !(200..300).contains(&status) {
        run_unusable_token_hooks(app_slug, text, now_ms, &mut judgement);
    }
    if text.trim().is_empty() {
        judgement.error = Some(match path {
            PullPath::OauthManager => INVALID_TOKEN_RESPONSE.to_owned(),
            PullPath::Legacy => "SyntaxError: Unexpected end of JSON input".to_owned(),
        });
        judgement
            .deviations
            .push("empty body: Cal.com cannot read a token; reply with JSON".to_owned());
        return judgement;
    }
    let reply = match JsValue::parse(text) {
        Ok(reply) => reply,
        Err(_) => {
            let message =
                parse_error_message(text).unwrap_or_else(|| "Unexpected token".to_owned());
            judgement.error = Some(format!("SyntaxError: {message}"));
            judgement.deviations.push(
                "body is not JSON: Cal.com's response.json() throws; reply with a JSON object"
                    .to_owned(),
            );
            return judgement;
        }
    };
    match path {
        PullPath::OauthManager => judge_oauth_manager(config, reply, now_ms, judgement),
        PullPath::Legacy => judge_legacy(config, reply, judgement),
    }
}

/// The apps' `isTokenObjectUnusable` / `isAccessTokenUnusable` hooks, which OAuthManager
/// runs on a non-2xx sync reply before reading it (they do not stop a valid token in the
/// same body from being stored): Zoom and Google's `invalid_grant` invalidate the
/// credential, Zoom's code 124 expires the access token.
fn run_unusable_token_hooks(app_slug: &str, text: &str, now_ms: i64, judgement: &mut Judgement) {
    let Ok(reply) = JsValue::parse(text) else {
        return;
    };
    let invalid_grant =
        matches!(reply.get("error"), Some(JsValue::String(error)) if error == "invalid_grant");
    if invalid_grant && matches!(app_slug, "zoom" | "google-calendar") {
        judgement.marks_invalid = true;
        judgement.deviations.push(format!(
            "non-2xx reply with error invalid_grant: {app_slug}'s hook marks the credential invalid (Credential.invalid = true), even in sync mode"
        ));
    }
    if app_slug == "zoom" && reply.get("code") == Some(&JsValue::Number(124.0)) {
        if let Value::Object(key) = &mut judgement.new_key {
            key.insert("expiry_date".to_owned(), json!(now_ms - 3_600_000));
        }
        judgement.deviations.push(
            "non-2xx reply with code 124: Zoom's hook expires the stored access token".to_owned(),
        );
    }
}

/// JavaScript's truthiness of a JSON value.
fn truthy(value: Option<&JsValue>) -> bool {
    match value {
        None | Some(JsValue::Null) => false,
        Some(JsValue::Bool(flag)) => *flag,
        Some(JsValue::Number(number)) => *number != 0.0 && !number.is_nan(),
        Some(JsValue::String(text)) => !text.is_empty(),
        Some(JsValue::Array(_) | JsValue::Object(_)) => true,
    }
}

/// `Math.round`: halves round up, toward +Infinity.
fn js_round(number: f64) -> f64 {
    if number.fract() == 0.0 || !number.is_finite() {
        number
    } else {
        (number + 0.5).floor()
    }
}

fn judge_oauth_manager(
    config: &Config,
    reply: JsValue,
    now_ms: i64,
    mut judgement: Judgement,
) -> Judgement {
    if truthy(reply.get("myFetchError")) {
        judgement.error = Some("myFetchError in the reply is thrown as an error".to_owned());
        return judgement;
    }
    if let Err(issues) =
        zod::check_object(&zod::OAUTH2_UNIVERSAL_WITH_EXPIRES_IN, &reply, config.zod)
    {
        judgement.error = Some(INVALID_TOKEN_RESPONSE.to_owned());
        judgement.deviations.push(format!(
            "the reply fails OAuth2UniversalSchema ({}); send at least {{\"access_token\": \"...\"}}",
            zod::format_issues_for_api_v1(&issues)
        ));
        return judgement;
    }
    let JsValue::Object(mut token) =
        zod::parsed_output(&zod::OAUTH2_UNIVERSAL_WITH_EXPIRES_IN, reply)
    else {
        judgement.error = Some(INVALID_TOKEN_RESPONSE.to_owned());
        return judgement;
    };
    let field = |token: &[(String, JsValue)], name: &str| {
        token
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let expiry_date = field(&token, "expiry_date");
    let expires_in = field(&token, "expires_in");
    if !truthy(expiry_date.as_ref()) && !truthy(expires_in.as_ref()) {
        judgement.deviations.push(
            "no expiry_date or expires_in: Cal.com treats the token as valid for one year; send expiry_date (epoch ms) or expires_in (seconds)".to_owned(),
        );
        set_field(
            &mut token,
            "expiry_date",
            JsValue::Number((now_ms + ONE_YEAR_MS) as f64),
        );
    } else if let (None, Some(JsValue::Number(seconds))) = (&expiry_date, &expires_in) {
        let expiry = js_round(now_ms as f64 + seconds * 1000.0);
        token.retain(|(key, _)| key != "expires_in");
        set_field(&mut token, "expiry_date", JsValue::Number(expiry));
    }
    let Value::Object(token) = Value::from(JsValue::Object(token)) else {
        unreachable!("an object converts to an object");
    };
    note_extra_fields(&token, &mut judgement.deviations);
    store(merged(&judgement.new_key, token), judgement)
}

fn set_field(fields: &mut Vec<(String, JsValue)>, name: &str, value: JsValue) {
    match fields.iter_mut().find(|(key, _)| key == name) {
        Some((_, slot)) => *slot = value,
        None => fields.push((name.to_owned(), value)),
    }
}

/// Takes a merged key if Postgres's `jsonb` column would store it.
fn store(key: Value, mut judgement: Judgement) -> Judgement {
    if let Err(refusal) = crate::calcom::store::storable_key(&key) {
        judgement.error = Some(refusal.to_owned());
        judgement.deviations.push(format!(
            "the merged key cannot be stored ({refusal}); Cal.com's credential.update throws and keeps the old key"
        ));
        return judgement;
    }
    judgement.new_key = key;
    judgement.accepted = true;
    judgement
}

fn judge_legacy(config: &Config, reply: JsValue, mut judgement: Judgement) -> Judgement {
    let token = match config.profile.legacy_token_schema() {
        LegacyTokenSchema::ComputedKeys => {
            let Some(JsValue::String(access_token)) = reply.get("access_token") else {
                judgement.error = Some(INVALID_REFRESHED_TOKENS.to_owned());
                judgement
                    .deviations
                    .push("no string access_token: the 2023-09 schema requires one".to_owned());
                return judgement;
            };
            judgement.deviations.push(
                "the 2023-09 schema keeps only access_token; every other field (expiry, refresh_token) is stripped".to_owned(),
            );
            let mut token = Map::new();
            token.insert("access_token".to_owned(), json!(access_token));
            token
        }
        LegacyTokenSchema::MinimumWithNumber => {
            if let Err(issues) = zod::check_minimum_token_response(&reply, config.zod) {
                judgement.error = Some(INVALID_REFRESHED_TOKENS.to_owned());
                judgement.deviations.push(format!(
                    "the reply fails minimumTokenResponseSchema ({}); send access_token and a numeric expiry such as expires_in",
                    zod::format_issues_for_api_v1(&issues)
                ));
                return judgement;
            }
            match Value::from(zod::parsed_output(&zod::MINIMUM_TOKEN_RESPONSE, reply)) {
                Value::Object(token) => token,
                _ => Map::new(),
            }
        }
    };
    let mut token = token;
    let falsy = match token.get("refresh_token") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::String(text)) => text.is_empty(),
        Some(Value::Number(number)) => number.as_f64() == Some(0.0),
        Some(_) => false,
    };
    if falsy {
        judgement.deviations.push(
            "no (or a falsy) refresh_token: Cal.com stores the literal placeholder \"refresh_token\"".to_owned(),
        );
        token.insert("refresh_token".to_owned(), json!(REFRESH_TOKEN_PLACEHOLDER));
    }
    note_extra_fields(&token, &mut judgement.deviations);
    store(merged(&judgement.new_key, token), judgement)
}

fn note_extra_fields(token: &Map<String, Value>, deviations: &mut Vec<String>) {
    const KNOWN: [&str; 6] = [
        "access_token",
        "token_type",
        "refresh_token",
        "scope",
        "expiry_date",
        "expires_in",
    ];
    let extra: Vec<&str> = token
        .keys()
        .map(String::as_str)
        .filter(|name| !KNOWN.contains(name))
        .collect();
    if !extra.is_empty() {
        deviations.push(format!(
            "non-standard fields {} are persisted into Credential.key as sent",
            extra.join(", ")
        ));
    }
}

/// `{...current, ...token}`.
fn merged(current: &Value, token: Map<String, Value>) -> Value {
    let mut key = match current {
        Value::Object(fields) => fields.clone(),
        _ => Map::new(),
    };
    key.extend(token);
    Value::Object(key)
}

/// The partner's reply as the journal keeps it: tokens masked.
fn masked_reply(body: &[u8]) -> Bytes {
    let text = String::from_utf8_lossy(body);
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => Bytes::from(crate::protocol::redact::mask_token_fields(&value).to_string()),
        Err(_) => Bytes::from(crate::protocol::redact::scrub_text(&text, &[])),
    }
}

/// The result of one pull, as the control API reports it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullVerdict {
    /// The credential pulled for.
    pub credential_id: i64,
    /// The request sent.
    pub request: PullRequest,
    /// The partner's status, if it answered.
    pub status: Option<u16>,
    /// Why no answer arrived.
    pub network_error: Option<String>,
    /// Cal.com's reading of the answer.
    pub judgement: Option<Judgement>,
    /// The stored credential afterwards.
    pub credential: Credential,
}

/// Why a pull could not start.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// No such credential.
    #[error("no credential with id {0}; list them with GET /_calsim/credentials")]
    UnknownCredential(i64),
    /// Cal.com would not pull with this configuration.
    #[error("Cal.com would not pull: {0}")]
    Disabled(String),
}

/// Pulls a fresh token for a credential now, stores it and journals the exchange.
pub async fn pull(calcom: &Arc<Calcom>, credential_id: i64) -> Result<PullVerdict, PullError> {
    let config = calcom.config();
    let credential = calcom
        .store
        .credential(credential_id)
        .ok_or(PullError::UnknownCredential(credential_id))?;
    if !config.pull_enabled() {
        return Err(PullError::Disabled(format!(
            "set {} (and keep sharing enabled: secret and encryption key)",
            crate::config::SYNC_ENDPOINT_ENV
        )));
    }
    let request = PullRequest::for_credential(&config, &credential).map_err(PullError::Disabled)?;
    let started_at = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    let headers = request.header_map();
    let sent = calcom
        .pull_http
        .post(&request.url)
        .headers(headers.clone())
        .body(request.body.clone())
        .send()
        .await;
    let answer = match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let redirected =
                (response.url().as_str() != request.url).then(|| response.url().to_string());
            let response_headers = response.headers().clone();
            match response.bytes().await {
                Ok(body) => Ok((status, response_headers, body, redirected)),
                Err(error) => Err(http_client::describe_error(&error, config.pull_timeout)),
            }
        }
        Err(error) => Err(http_client::describe_error(&error, config.pull_timeout)),
    };
    let app_slug = credential.app_id.clone().unwrap_or_default();
    let (status, network_error, judgement, recorded) = match answer {
        Ok((status, response_headers, body, redirected)) => {
            let mut judgement = judge(
                &config,
                &app_slug,
                status,
                &body,
                &credential.key,
                calcom.clock.now_ms(),
            );
            if let Some(location) = redirected {
                judgement.deviations.push(format!(
                    "the sync endpoint redirected to {location}: Cal.com's fetch follows it (a 307/308 re-sends the POST, a 301/302/303 turns it into a GET) and judges the final answer; point CALCOM_CREDENTIAL_SYNC_ENDPOINT at the final URL"
                ));
            }
            let recorded = RecordedResponse::new(status, &response_headers, masked_reply(&body));
            (Some(status), None, Some(judgement), Some(recorded))
        }
        Err(problem) => {
            let problem = match PullPath::for_app(&config, &app_slug) {
                PullPath::OauthManager => format!(
                    "Could not refresh the token due to connection issue with the endpoint: {} ({problem})",
                    request.url
                ),
                PullPath::Legacy => format!("fetch failed ({problem})"),
            };
            (None, Some(problem), None, None)
        }
    };
    let mut credential = credential;
    if let Some(judgement) = &judgement {
        if judgement.new_key != credential.key {
            let new_key = judgement.new_key.clone();
            if let Some(stored) = calcom.store.modify_key(credential_id, |_| new_key) {
                credential = stored;
            }
        }
        if judgement.marks_invalid {
            if let Some(stored) = calcom.store.set_invalid(credential_id, true) {
                credential = stored;
            }
        }
    }
    let verdict = PullVerdict {
        credential_id,
        request,
        status,
        network_error,
        judgement,
        credential,
    };
    tracing::info!(
        credential = credential_id,
        status = ?verdict.status,
        accepted = verdict.judgement.as_ref().is_some_and(|judgement| judgement.accepted),
        "pull to the partner's sync endpoint"
    );
    calcom.journal.record(NewEntry {
        direction: Direction::Sent,
        surface: Surface::Pull,
        started: started_at,
        request: RecordedRequest::new(
            "POST",
            &verdict.request.url,
            &headers,
            Bytes::from(verdict.request.body.clone()),
            &[config.pull_header_name().unwrap_or_default()],
        ),
        response: recorded,
        error: verdict.network_error.clone(),
        elapsed: started.elapsed(),
        verdict: serde_json::to_value(&verdict.judgement).ok(),
    });
    Ok(verdict)
}

/// Whether Cal.com would consider a stored token expiring at `now_ms` (§5.1): Google's
/// library refreshes 60 s early and ignores a missing expiry; OAuthManager's default
/// refreshes 5 s early and treats a missing expiry as expired.
pub fn is_expiring(app_slug: &str, key: &Value, now_ms: i64) -> bool {
    let number = |name: &str| {
        key.get(name)
            .and_then(Value::as_f64)
            .filter(|value| *value != 0.0)
    };
    if app_slug == "google-calendar" {
        return number("expiry_date").is_some_and(|expiry| expiry <= (now_ms + 60_000) as f64);
    }
    let expiry = number("expiry_date")
        .or_else(|| {
            number("expires_in")
                .filter(|value| *value > 1e9)
                .map(|value| value * 1000.0)
        })
        .unwrap_or(0.0);
    expiry - 5000.0 <= now_ms as f64
}

/// `markTokenAsExpired`: sets `expiry_date` an hour in the past.
pub fn expire(calcom: &Calcom, credential_id: i64) -> Option<Credential> {
    let expired_at = calcom.clock.now_ms() - 3_600_000;
    calcom.store.modify_key(credential_id, |key| {
        let mut key = key.clone();
        if let Value::Object(fields) = &mut key {
            fields.insert("expiry_date".to_owned(), json!(expired_at));
        }
        key
    })
}

/// Credentials whose last automatic pull failed, and when they may be tried again.
#[derive(Debug, Default)]
pub struct RefreshBackoff {
    retry_after: std::collections::HashMap<i64, i64>,
}

/// One pass of the automatic refresh at the clock's now: pulls every user credential
/// whose token is expiring, except those whose pull failed less than 30 s before, and
/// returns the ids pulled. [`spawn_auto_refresh`] runs it on a timer; tests call it.
pub async fn refresh_expiring(calcom: &Arc<Calcom>, backoff: &mut RefreshBackoff) -> Vec<i64> {
    let mut pulled = Vec::new();
    if !calcom.config().pull_enabled() {
        return pulled;
    }
    let now = calcom.clock.now_ms();
    for credential in calcom.store.credentials(None, None) {
        let app_slug = credential.app_id.as_deref().unwrap_or_default();
        let waiting = backoff
            .retry_after
            .get(&credential.id)
            .is_some_and(|until| *until > now);
        if credential.user_id.is_none() || waiting || !is_expiring(app_slug, &credential.key, now) {
            continue;
        }
        let accepted = pull(calcom, credential.id).await.is_ok_and(|verdict| {
            verdict
                .judgement
                .is_some_and(|judgement| judgement.accepted)
        });
        if accepted {
            backoff.retry_after.remove(&credential.id);
        } else {
            backoff.retry_after.insert(credential.id, now + 30_000);
        }
        pulled.push(credential.id);
    }
    pulled
}

/// Runs [`refresh_expiring`] every `Config::auto_refresh` of real time.
pub fn spawn_auto_refresh(calcom: Arc<Calcom>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = RefreshBackoff::default();
        loop {
            let Some(every) = calcom.config().auto_refresh else {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            };
            tokio::time::sleep(every).await;
            refresh_expiring(&calcom, &mut backoff).await;
        }
    })
}
