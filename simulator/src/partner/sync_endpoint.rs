//! The fake partner platform: a sync endpoint Cal.com pulls tokens from.
//!
//! By default it answers like Cal.com's example partner app
//! (`example-apps/credential-sync`, `shared/spec/credential-sync.md` §7): the secret
//! header is checked (403 `secret header not set` / `Invalid secret`), only
//! `google-calendar` and `zoom` are handled (500 `{"error":"Unhandled values"}`), and a
//! fresh token comes back as `{"_1":true,"access_token":"…"}`. Scripted [`Reply`]s
//! change that per call: other token styles, every expiry style, and faults (wrong
//! status, empty body, not JSON, no `access_token`, `invalid_grant`, delays), queued
//! through `POST /_calsim/partner/replies` and consumed in order.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

use crate::net::journal::{Arrival, Journal, Surface};
use crate::net::server::Server;
use crate::protocol::answer::Answer;
use crate::protocol::error::Error;
use crate::protocol::js_value::JsValue;
use crate::protocol::next;
use crate::protocol::profile::NextRouter;

/// The reference app's sync endpoint path.
pub const SYNC_PATH: &str = "/api/getToken";
/// The longest delay a scripted reply may ask for.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// How the access token in a reply is made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "camelCase")]
pub enum TokenStyle {
    /// The reference app: `{"_1":true,"access_token":"calsim-partner-token-<n>"}`.
    #[default]
    Reference,
    /// The same token every time (`token`).
    Static,
    /// `<token>-<n>`, a new one per call.
    Rotating,
}

/// A fault to inject instead of a good reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "camelCase")]
pub enum Fault {
    /// An empty body.
    Empty,
    /// A body that is not JSON.
    NotJson,
    /// JSON without `access_token`.
    NoAccessToken,
    /// `{"error":"invalid_grant"}` (status 400 unless set).
    InvalidGrant,
}

/// One scripted answer of the sync endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Reply {
    /// How the token is made.
    pub style: TokenStyle,
    /// The token (static) or its prefix (rotating); default `calsim-partner-token`.
    pub token: Option<String>,
    /// Adds `"expires_in": <seconds>`.
    pub expires_in: Option<i64>,
    /// Adds `"expiry_date": now + <ms>` (epoch ms).
    pub expiry_in_ms: Option<i64>,
    /// Adds `"refresh_token"`.
    pub refresh_token: Option<String>,
    /// The status (default 200; 400 for `invalidGrant`).
    pub status: Option<u16>,
    /// A fault instead of a token.
    pub fault: Option<Fault>,
    /// Wait this long before answering (at most [`MAX_DELAY`]).
    pub delay_ms: u64,
}

/// Which `appSlug`s the endpoint mints tokens for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slugs {
    /// Every slug.
    All,
    /// Only these (the reference app: `google-calendar`, `zoom`).
    Only(Vec<String>),
}

impl Default for Slugs {
    fn default() -> Self {
        Slugs::Only(vec!["google-calendar".to_owned(), "zoom".to_owned()])
    }
}

/// The fake partner's settings.
#[derive(Clone, Debug)]
pub struct PartnerConfig {
    /// The shared secret (`CALCOM_CREDENTIAL_SYNC_SECRET`).
    pub secret: String,
    /// The header it arrives in (`CALCOM_CREDENTIAL_SYNC_HEADER_NAME`; the reference app
    /// has no default, calsim uses `calcom-credential-sync-secret`).
    pub header_name: String,
    /// The answer when no scripted reply is queued.
    pub default_reply: Reply,
    /// Handled slugs.
    pub slugs: Slugs,
}

impl Default for PartnerConfig {
    fn default() -> Self {
        let calcom = crate::Config::default();
        PartnerConfig {
            secret: calcom.sync_secret,
            header_name: crate::config::API_V1_DEFAULT_HEADER_NAME.to_owned(),
            default_reply: Reply::default(),
            slugs: Slugs::default(),
        }
    }
}

/// The most scripted replies that wait at once.
pub const MAX_QUEUED: usize = 10_000;

/// Shared state of a running fake partner.
#[derive(Debug)]
pub struct PartnerState {
    config: PartnerConfig,
    queue: Mutex<VecDeque<Reply>>,
    minted: AtomicU64,
    /// Every request received.
    pub journal: Journal,
}

impl PartnerState {
    /// Queues scripted replies, answered in order before the default; how many were
    /// queued, or, when they would pass [`MAX_QUEUED`], why none were.
    pub fn enqueue(&self, replies: impl IntoIterator<Item = Reply>) -> Result<usize, String> {
        let replies: Vec<Reply> = replies.into_iter().collect();
        let mut queue = self.lock();
        if queue.len() + replies.len() > MAX_QUEUED {
            return Err(format!(
                "{} replies wait and {} more would pass the limit of {MAX_QUEUED}; let Cal.com pull some first, or POST /_calsim/partner/reset",
                queue.len(),
                replies.len()
            ));
        }
        let queued = replies.len();
        queue.extend(replies);
        Ok(queued)
    }

    fn next_reply(&self) -> Reply {
        self.lock()
            .pop_front()
            .unwrap_or_else(|| self.config.default_reply.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Reply>> {
        self.queue
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// The partner's routes: the sync endpoint and its `/_calsim/partner/` control API.
pub fn router(state: Arc<PartnerState>) -> Router {
    Router::new()
        .route(SYNC_PATH, any(sync_endpoint))
        .route("/_calsim/partner/replies", post(enqueue_replies))
        .route("/_calsim/partner/requests", get(list_requests))
        .route("/_calsim/partner/reset", post(reset))
        .with_state(state)
}

async fn sync_endpoint(State(state): State<Arc<PartnerState>>, request: Request) -> Response {
    let arrival = Arrival::now();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    let (answer, rule) = answer(&state, &parts.headers, &body).await;
    tracing::info!(
        status = answer.status.as_u16(),
        "partner sync endpoint: {rule}"
    );
    let secret_header = state.config.header_name.as_str();
    state.journal.answered(
        Surface::PartnerSyncEndpoint,
        arrival,
        (&parts, body),
        &[secret_header],
        answer,
        json!({ "rule": rule }),
    )
}

async fn answer(
    state: &PartnerState,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> (Answer, String) {
    let message = |status: StatusCode, key: &str, text: &str| {
        Answer::json(status, NextRouter::Pages, &json!({ key: text }))
    };
    let secret = next::pages_header_value(headers, &state.config.header_name);
    if secret.as_deref().is_none_or(str::is_empty) {
        return (
            message(StatusCode::FORBIDDEN, "message", "secret header not set"),
            format!("no `{}` header", state.config.header_name),
        );
    }
    if !crate::protocol::redact::secret_matches(secret.as_deref(), &state.config.secret) {
        return (
            message(StatusCode::FORBIDDEN, "message", "Invalid secret"),
            "wrong secret".to_owned(),
        );
    }
    let form = next::parse_pages_body(headers, body).unwrap_or(JsValue::Null);
    let field = |name: &str| match form.get(name) {
        Some(JsValue::String(value)) => Some(value.clone()),
        _ => None,
    };
    let (Some(user_id), Some(app_slug)) = (field("calcomUserId"), field("appSlug")) else {
        return (
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "error",
                "Unhandled values",
            ),
            "no calcomUserId or appSlug in the body".to_owned(),
        );
    };
    if let Slugs::Only(slugs) = &state.config.slugs {
        if !slugs.contains(&app_slug) {
            return (
                message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error",
                    "Unhandled values",
                ),
                format!("appSlug `{app_slug}` is not handled"),
            );
        }
    }
    let reply = state.next_reply();
    tokio::time::sleep(Duration::from_millis(reply.delay_ms).min(MAX_DELAY)).await;
    let minted = state.minted.fetch_add(1, Ordering::Relaxed) + 1;
    let answer = render(&reply, minted);
    let rule = format!(
        "user {user_id}, {app_slug}: {:?} reply",
        reply
            .fault
            .map_or("token".to_owned(), |fault| format!("{fault:?}"))
    );
    (answer, rule)
}

/// The bytes of a scripted reply; `minted` numbers the token.
fn render(reply: &Reply, minted: u64) -> Answer {
    let status = |default: u16| {
        StatusCode::from_u16(reply.status.unwrap_or(default)).unwrap_or(StatusCode::OK)
    };
    let raw = |status: StatusCode, body: &str| Answer {
        status,
        content_type: Some(crate::protocol::answer::PAGES_JSON),
        headers: Vec::new(),
        body: body.to_owned().into(),
    };
    let prefix = reply.token.as_deref().unwrap_or("calsim-partner-token");
    let token = match reply.style {
        TokenStyle::Static => prefix.to_owned(),
        TokenStyle::Reference | TokenStyle::Rotating => format!("{prefix}-{minted}"),
    };
    match reply.fault {
        Some(Fault::Empty) => return Answer::empty(status(200)),
        Some(Fault::NotJson) => {
            return Answer::next_text(
                status(200),
                "<html><body>calsim partner: not JSON</body></html>",
            )
        }
        Some(Fault::NoAccessToken) => {
            return raw(status(200), &json!({ "token": token }).to_string())
        }
        Some(Fault::InvalidGrant) => return raw(status(400), r#"{"error":"invalid_grant"}"#),
        None => {}
    }
    let mut body = Map::new();
    if reply.style == TokenStyle::Reference {
        body.insert("_1".to_owned(), json!(true));
    }
    body.insert("access_token".to_owned(), json!(token));
    if let Some(refresh_token) = &reply.refresh_token {
        body.insert("refresh_token".to_owned(), json!(refresh_token));
    }
    if let Some(expires_in) = reply.expires_in {
        body.insert("expires_in".to_owned(), json!(expires_in));
    }
    if let Some(in_ms) = reply.expiry_in_ms {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as i64);
        body.insert("expiry_date".to_owned(), json!(now + in_ms));
    }
    raw(status(200), &Value::Object(body).to_string())
}

async fn enqueue_replies(State(state): State<Arc<PartnerState>>, text: String) -> Response {
    let replies: Result<Vec<Reply>, _> =
        serde_json::from_str::<Value>(&text).and_then(|value| match value {
            Value::Array(_) => serde_json::from_value(value),
            single => serde_json::from_value(single).map(|reply| vec![reply]),
        });
    match replies {
        Ok(replies) => match state.enqueue(replies) {
            Ok(queued) => (StatusCode::CREATED, Json(json!({ "queued": queued }))).into_response(),
            Err(problem) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(json!({ "error": problem, "hint": "queue fewer replies at a time" })),
            )
                .into_response(),
        },
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "error": format!("bad reply script: {error}"),
                "hint": r#"send a reply or an array of them, e.g. [{"style":"static","token":"t","expiresIn":3600}, {"fault":"empty"}, {"status":500,"delayMs":200}]"#,
            })),
        )
            .into_response(),
    }
}

async fn list_requests(State(state): State<Arc<PartnerState>>) -> Response {
    Json(state.journal.entries(None)).into_response()
}

async fn reset(State(state): State<Arc<PartnerState>>) -> Response {
    state.lock().clear();
    state.journal.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// A running fake partner, stopped when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let partner = calsim::partner::Partner::builder().start().await.unwrap();
/// let answer = reqwest::Client::new()
///     .post(partner.sync_endpoint_url())
///     .header("calcom-credential-sync-secret", "calsim-dev-sync-secret")
///     .form(&[("calcomUserId", "1"), ("appSlug", "google-calendar")])
///     .send()
///     .await
///     .unwrap();
/// assert_eq!(answer.text().await.unwrap(), r#"{"_1":true,"access_token":"calsim-partner-token-1"}"#);
/// # }
/// ```
#[derive(Debug)]
pub struct Partner {
    state: Arc<PartnerState>,
    server: Server,
}

/// Configures a [`Partner`].
#[derive(Debug)]
pub struct PartnerBuilder {
    config: PartnerConfig,
    address: SocketAddr,
    listener: Option<TcpListener>,
}

impl Default for PartnerBuilder {
    fn default() -> Self {
        PartnerBuilder {
            config: PartnerConfig::default(),
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            listener: None,
        }
    }
}

impl PartnerBuilder {
    /// Uses these settings.
    pub fn config(mut self, config: PartnerConfig) -> Self {
        self.config = config;
        self
    }

    /// Binds this address (default `127.0.0.1:0`, a random loopback port).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Serves on this listener instead of binding.
    pub fn listener(mut self, listener: TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Starts serving.
    pub async fn start(self) -> Result<Partner, Error> {
        let state = Arc::new(PartnerState {
            config: self.config,
            queue: Mutex::new(VecDeque::new()),
            minted: AtomicU64::new(0),
            journal: Journal::default(),
        });
        let app = router(Arc::clone(&state));
        let server = Server::start(self.listener, self.address, app, || ()).await?;
        Ok(Partner { state, server })
    }
}

impl Partner {
    /// A builder with the defaults: the reference app's behaviour, calsim's dev secret.
    pub fn builder() -> PartnerBuilder {
        PartnerBuilder::default()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.address())
    }

    /// The value for `CALCOM_CREDENTIAL_SYNC_ENDPOINT`.
    pub fn sync_endpoint_url(&self) -> String {
        format!("{}{SYNC_PATH}", self.url())
    }

    /// State: queue replies, read the journal.
    pub fn state(&self) -> &Arc<PartnerState> {
        &self.state
    }

    /// Serves until Ctrl-C (used by `calsim partner`).
    pub async fn wait_for_ctrl_c(self) {
        self.server.wait_for_ctrl_c().await;
    }
}
