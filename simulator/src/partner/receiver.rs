//! A webhook receiver that answers exactly as Nango does ([`crate::partner::nango`],
//! `shared/spec/webhooks.md` §4.2): invalid JSON 400, a missing signature 401, a wrong one
//! 401 (Node's lenient hex: upper case and trailing junk pass), a non-JSON body with a
//! signature 500, no connection id 400, else 200 `{"status":"success"}`. Two deviations
//! are options, named as such: [`ReceiverConfig::strict_signatures`] and
//! [`ReceiverConfig::accept_missing_connection_id`]. Each delivery is kept in memory (the
//! newest [`MAX_KEPT`]) and, if asked, appended to a JSON-lines file with its raw body and
//! what a strict verifier would have said; accepted ones can be forwarded in Nango's
//! envelope.

use std::collections::VecDeque;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

use crate::net::journal::{Arrival, Journal, Surface};
use crate::net::server::Server;
use crate::partner::nango::{self, SignatureVerdict};
use crate::protocol::error::Error;

/// How many deliveries a receiver keeps in memory (the oldest go first).
pub const MAX_KEPT: usize = 10_000;

/// How the receiver behaves.
#[derive(Clone, Debug, Default)]
pub struct ReceiverConfig {
    /// The integration's webhook secret; `None` accepts unsigned deliveries.
    pub secret: Option<String>,
    /// Append one JSON line per delivery here.
    pub record: Option<PathBuf>,
    /// Forward accepted deliveries here, in Nango's envelope.
    pub forward: Option<String>,
    /// Deviation from Nango's code: accept a delivery without a connection id (200), as
    /// Nango's guide describes it. Nango's code answers 400.
    pub accept_missing_connection_id: bool,
    /// Deviation from Nango's code: refuse signatures that Node's lenient hex decoding
    /// accepts (upper case, junk after the 64 digits); only Cal.com's exact header passes.
    pub strict_signatures: bool,
}

/// One delivery as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// When it arrived (RFC 3339).
    pub received_at: String,
    /// The method.
    pub method: String,
    /// Path and query.
    pub url: String,
    /// Headers, in wire order.
    pub headers: Vec<(String, String)>,
    /// The raw body, when it is UTF-8.
    pub body: Option<String>,
    /// The raw body in base64, when it is not UTF-8.
    pub body_base64: Option<String>,
    /// What the signature check concluded, as Nango did it (`unverified` without a secret).
    pub signature: SignatureVerdict,
    /// What a strict verifier concludes (only Cal.com's exact lower-case hex passes), when
    /// a secret is set; it differs from `signature` where Nango's leniency let one through.
    pub strict_signature: Option<SignatureVerdict>,
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
    deliveries: Mutex<VecDeque<Delivery>>,
    record: Option<Mutex<std::fs::File>>,
    client: reqwest::Client,
    /// Every request received.
    pub journal: Journal,
}

impl ReceiverState {
    /// The deliveries kept (the newest [`MAX_KEPT`]), oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

/// The receiver's routes: every path accepts deliveries.
pub fn router(state: Arc<ReceiverState>) -> Router {
    Router::new()
        .route(
            "/_calsim/ui",
            axum::routing::get(crate::net::inspector::page),
        )
        .route(
            "/_calsim/ui/info",
            axum::routing::get(|| async { crate::net::inspector::info("receiver") }),
        )
        .route("/_calsim/journal", axum::routing::get(journal))
        .route("/_calsim/journal/live", axum::routing::get(journal_live))
        .fallback(receive)
        .with_state(state)
}

/// The receiver's journal (deliveries received), as the inspector reads it.
async fn journal(State(state): State<Arc<ReceiverState>>) -> Response {
    let entries: Vec<Value> = state
        .journal
        .entries(None)
        .iter()
        .map(|entry| shown(&state, entry))
        .collect();
    axum::Json(entries).into_response()
}

async fn journal_live(State(state): State<Arc<ReceiverState>>) -> Response {
    let masked = Arc::clone(&state);
    crate::net::inspector::live(&state.journal, move |entry| shown(&masked, entry)).into_response()
}

/// An entry with the receiver's secret and secret-named fields masked.
fn shown(state: &ReceiverState, entry: &crate::net::journal::Entry) -> Value {
    let value = serde_json::to_value(entry).unwrap_or_default();
    let secret = state.config.secret.as_deref().unwrap_or_default();
    let secrets: Vec<&str> = [secret]
        .into_iter()
        .filter(|secret| !secret.is_empty())
        .collect();
    crate::protocol::redact::scrub_value(&value, &secrets)
}

async fn receive(State(state): State<Arc<ReceiverState>>, request: Request) -> Response {
    let arrival = Arrival::now();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let header = |name: &str| {
        let values: Vec<&str> = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    };
    let signature_header = header("x-cal-signature-256");
    let content_type = header("content-type");
    let config = &state.config;
    let verdict = nango::answer(
        config.secret.as_deref(),
        &nango::Request {
            content_type: content_type.as_deref(),
            body: &body,
            signature: signature_header.as_deref(),
            query: parts.uri.query(),
        },
    );
    let mut answer = verdict.answer;
    let refused_strictly = config.strict_signatures
        && verdict.signature == SignatureVerdict::Valid
        && verdict.strict_signature != Some(SignatureVerdict::Valid);
    if refused_strictly {
        answer = nango::express_json(
            StatusCode::UNAUTHORIZED,
            json!({ "error": nango::INVALID_SIGNATURE }),
        );
    } else if config.accept_missing_connection_id
        && answer.status == StatusCode::BAD_REQUEST
        && answer.body_text().contains(nango::MISSING_CONNECTION_ID)
    {
        answer = nango::express_json(StatusCode::OK, json!({ "status": "success" }));
    }
    let signature = verdict.signature.as_str();
    let connection_id = verdict.connection_id;
    let parsed: Option<Value> = verdict.body.map(Value::from);
    let text = std::str::from_utf8(&body).ok();
    let delivery = Delivery {
        received_at: jiff::Timestamp::now().to_string(),
        method: parts.method.to_string(),
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
        signature: verdict.signature,
        strict_signature: verdict.strict_signature,
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
    {
        let mut deliveries = state
            .deliveries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if deliveries.len() == MAX_KEPT {
            deliveries.pop_front();
        }
        deliveries.push_back(delivery);
    }
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
        let record = config
            .record
            .as_deref()
            .map(|path| crate::net::files::append(path, "the record file"))
            .transpose()?;
        let state = Arc::new(ReceiverState {
            config,
            deliveries: Mutex::new(VecDeque::new()),
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
