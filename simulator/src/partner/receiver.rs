//! A webhook receiver that verifies like Nango (`shared/spec/webhooks.md` §4.2).
//!
//! With a secret: a missing `x-cal-signature-256` is 401 `webhook_missing_signature`; a
//! signature that is not the hex HMAC-SHA256 of the raw body (compared in constant time;
//! `no-secret-provided` is not hex) is 401 `webhook_invalid_signature`. Without a secret,
//! deliveries are accepted and marked unverified. The connection id comes from
//! `?nangoConnectionId=` first, then the body's top-level `nangoConnectionId`. Accepted
//! deliveries get 200 `{"status":"success"}` and can be forwarded in Nango's envelope.
//! Every delivery is kept in memory and, if asked, appended to a JSON-lines file with
//! its raw body.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Router;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

use crate::net::journal::{Arrival, Journal, Surface};
use crate::net::server::Server;
use crate::protocol::answer::Answer;
use crate::protocol::error::Error;
use crate::protocol::profile::NextRouter;
use crate::protocol::signing::{self, Verification};

/// How the receiver behaves.
#[derive(Clone, Debug, Default)]
pub struct ReceiverConfig {
    /// The integration's webhook secret; `None` accepts unsigned deliveries.
    pub secret: Option<String>,
    /// Append one JSON line per delivery here.
    pub record: Option<PathBuf>,
    /// Forward accepted deliveries here, in Nango's envelope.
    pub forward: Option<String>,
    /// Refuse deliveries without a connection id, as Nango's code does ([?] its guide says
    /// they are forwarded without one, which is the default here).
    pub require_connection_id: bool,
}

/// One delivery as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// When it arrived (RFC 3339).
    pub received_at: String,
    /// Path and query.
    pub url: String,
    /// Headers, in wire order.
    pub headers: Vec<(String, String)>,
    /// The raw body, when it is UTF-8.
    pub body: Option<String>,
    /// The raw body in base64, when it is not UTF-8.
    pub body_base64: Option<String>,
    /// What the signature check concluded (`unverified` without a secret).
    pub signature: String,
    /// `nangoConnectionId` from the query or the body.
    pub connection_id: Option<String>,
    /// The body's `triggerEvent`, when it is JSON.
    pub trigger_event: Option<String>,
    /// The status answered.
    pub status: u16,
}

/// Shared state of a running receiver.
#[derive(Debug)]
pub struct ReceiverState {
    config: ReceiverConfig,
    deliveries: Mutex<Vec<Delivery>>,
    record: Option<Mutex<std::fs::File>>,
    client: reqwest::Client,
    /// Every request received.
    pub journal: Journal,
}

impl ReceiverState {
    /// Every delivery so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }
}

/// The receiver's routes: every path accepts deliveries.
pub fn router(state: Arc<ReceiverState>) -> Router {
    Router::new().fallback(receive).with_state(state)
}

fn nango_error(status: StatusCode, code: &str, message: &str) -> Answer {
    Answer::json(
        status,
        NextRouter::App,
        &json!({ "error": { "code": code, "message": message } }),
    )
}

async fn receive(State(state): State<Arc<ReceiverState>>, request: Request) -> Response {
    let arrival = Arrival::now();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let header = parts
        .headers
        .get("x-cal-signature-256")
        .and_then(|value| value.to_str().ok());
    let verification = state
        .config
        .secret
        .as_deref()
        .map(|secret| signing::verify(secret, &body, header));
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let from_query = parts.uri.query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "nangoConnectionId")
            .map(|(_, value)| value.into_owned())
    });
    let connection_id = from_query.or_else(|| {
        parsed
            .as_ref()
            .and_then(|body| body.get("nangoConnectionId"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let answer = match verification {
        Some(Verification::Missing) => nango_error(
            StatusCode::UNAUTHORIZED,
            "webhook_missing_signature",
            "Missing webhook signature",
        ),
        Some(Verification::Mismatch | Verification::Malformed) => nango_error(
            StatusCode::UNAUTHORIZED,
            "webhook_invalid_signature",
            "Invalid webhook signature",
        ),
        _ if connection_id.is_none() && state.config.require_connection_id => nango_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unhandled_webhook_missing_connection_id",
            "No nangoConnectionId in the query or the body",
        ),
        _ => Answer::json(
            StatusCode::OK,
            NextRouter::App,
            &json!({ "status": "success" }),
        ),
    };
    let signature = match verification {
        None => "unverified",
        Some(Verification::Valid) => "valid",
        Some(Verification::Mismatch) => "invalid",
        Some(Verification::Malformed) => "malformed",
        Some(Verification::Missing) => "missing",
    };
    let text = std::str::from_utf8(&body).ok();
    let delivery = Delivery {
        received_at: jiff::Timestamp::now().to_string(),
        url: parts.uri.to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: text.map(str::to_owned),
        body_base64: text
            .is_none()
            .then(|| base64::engine::general_purpose::STANDARD.encode(&body)),
        signature: signature.to_owned(),
        connection_id: connection_id.clone(),
        trigger_event: parsed
            .as_ref()
            .and_then(|body| body.get("triggerEvent"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        status: answer.status.as_u16(),
    };
    tracing::info!(
        status = delivery.status,
        signature,
        trigger = delivery.trigger_event.as_deref().unwrap_or("?"),
        "webhook received"
    );
    if let Some(file) = &state.record {
        if let Ok(line) = serde_json::to_string(&delivery) {
            let mut file = file.lock().unwrap_or_else(|poison| poison.into_inner());
            if let Err(error) = writeln!(file, "{line}").and_then(|()| file.flush()) {
                tracing::error!("cannot append to the record file: {error}");
            }
        }
    }
    let accepted = answer.status.is_success();
    state
        .deliveries
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .push(delivery);
    if let (true, Some(url)) = (accepted, &state.config.forward) {
        let envelope = json!({
            "from": "cal-com-oauth",
            "providerConfigKey": "cal-com-oauth",
            "type": "forward",
            "connectionId": connection_id,
            "payload": parsed.unwrap_or_else(|| Value::String(String::from_utf8_lossy(&body).into_owned())),
        });
        if let Err(error) = state.client.post(url).json(&envelope).send().await {
            tracing::warn!("forwarding to {url} failed: {error}");
        }
    }
    state.journal.answered(
        Surface::WebhookReceived,
        arrival,
        (&parts, body),
        &[],
        answer,
        json!({ "signature": signature }),
    )
}

/// A running receiver, stopped when dropped.
#[derive(Debug)]
pub struct Receiver {
    state: Arc<ReceiverState>,
    server: Server,
}

impl Receiver {
    /// Starts on `address` (`127.0.0.1:0` for a random port).
    pub async fn start(config: ReceiverConfig, address: SocketAddr) -> Result<Receiver, Error> {
        let record = match &config.record {
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| Error::Io {
                        what: format!("cannot open the record file {}", path.display()),
                        source,
                    })?,
            )),
            None => None,
        };
        let state = Arc::new(ReceiverState {
            config,
            deliveries: Mutex::new(Vec::new()),
            record,
            client: crate::net::http_client::build(Duration::from_secs(10)),
            journal: Journal::default(),
        });
        let server = Server::start(None, address, router(Arc::clone(&state)), || ()).await?;
        Ok(Receiver { state, server })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.address())
    }

    /// Deliveries and journal.
    pub fn state(&self) -> &Arc<ReceiverState> {
        &self.state
    }

    /// Serves until Ctrl-C (used by `calsim receive`).
    pub async fn wait_for_ctrl_c(self) {
        self.server.wait_for_ctrl_c().await;
    }
}
