//! `calsim proxy`: a transparent recording proxy. Every request is forwarded unchanged
//! (method, path and query, headers in order, raw body) to the upstream URL, the answer
//! comes back unchanged, and each exchange is appended to the recording as one JSON line
//! that `calsim replay` reads.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::Serialize;

use crate::net::http_client;
use crate::protocol::error::Error;
use crate::replay::recording::RecordedBody;

/// The largest body the proxy forwards (Cal.com's own limit is far lower).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// How the proxy runs.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    /// Where requests go: its origin and path prefix, then the request's path and query.
    pub upstream: String,
    /// Append every exchange here (JSON lines).
    pub record: Option<PathBuf>,
    /// Give up on the upstream after this long (answered 504).
    pub timeout: Duration,
}

/// A running proxy's state.
#[derive(Debug)]
pub struct ProxyState {
    config: ProxyConfig,
    client: reqwest::Client,
    record: Option<Mutex<std::fs::File>>,
}

impl ProxyState {
    /// Opens the recording (appending) and builds the client (no redirects followed, no
    /// decompression: the client sees what the upstream sent).
    pub fn new(config: ProxyConfig) -> Result<Arc<Self>, Error> {
        reqwest::Url::parse(&config.upstream).map_err(|error| Error::Config {
            origin: "--to".to_owned(),
            problem: format!("`{}` is not a URL: {error}", config.upstream),
        })?;
        let record = config
            .record
            .as_deref()
            .map(|path| crate::net::files::append(path, "the recording"))
            .transpose()?;
        Ok(Arc::new(ProxyState {
            client: http_client::build(config.timeout),
            config,
            record,
        }))
    }
}

/// The proxy's routes: every method and path is forwarded.
pub fn router(state: Arc<ProxyState>) -> Router {
    Router::new().fallback(forward).with_state(state)
}

/// One recorded exchange (a line of the recording).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Exchange {
    received_at: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    #[serde(flatten)]
    body: RecordedBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    trigger_event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<RecordedResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    duration_ms: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordedResponse {
    status: u16,
    headers: Vec<(String, String)>,
    #[serde(flatten)]
    body: RecordedBody,
}

const NOT_FORWARDED: [&str; 7] = [
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "proxy-connection",
];

fn pairs(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let started = Instant::now();
    let received_at = jiff::Timestamp::now().to_string();
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("calsim proxy: bodies over {MAX_BODY} bytes are not forwarded\n"),
            )
                .into_response()
        }
    };
    let url = format!("{}{path}", state.config.upstream.trim_end_matches('/'));
    let mut upstream = state
        .client
        .request(parts.method.clone(), &url)
        .body(body.clone());
    for (name, value) in &parts.headers {
        if !NOT_FORWARDED.contains(&name.as_str()) {
            upstream = upstream.header(name, value);
        }
    }
    let mut exchange = Exchange {
        received_at,
        method: parts.method.to_string(),
        url: path,
        headers: pairs(&parts.headers),
        body: RecordedBody::of(&body),
        trigger_event: serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|value| value.get("triggerEvent")?.as_str().map(str::to_owned)),
        response: None,
        error: None,
        duration_ms: 0.0,
    };
    let answer = match upstream.send().await {
        Ok(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            match response.bytes().await {
                Ok(bytes) => Ok((status, headers, bytes)),
                Err(error) => Err(http_client::describe_error(&error, state.config.timeout)),
            }
        }
        Err(error) => Err(http_client::describe_error(&error, state.config.timeout)),
    };
    exchange.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let response = match answer {
        Ok((status, headers, bytes)) => {
            exchange.response = Some(RecordedResponse {
                status: status.as_u16(),
                headers: pairs(&headers),
                body: RecordedBody::of(&bytes),
            });
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            for (name, value) in &headers {
                if !NOT_FORWARDED.contains(&name.as_str()) && name != "content-length" {
                    response.headers_mut().append(name.clone(), value.clone());
                }
            }
            response
        }
        Err(problem) => {
            let status = if problem.starts_with("no answer within") {
                StatusCode::GATEWAY_TIMEOUT
            } else {
                StatusCode::BAD_GATEWAY
            };
            tracing::warn!(%url, "upstream failed: {problem}");
            let text = format!("calsim proxy: {url}: {problem}\n");
            exchange.error = Some(problem);
            let mut response = (status, text).into_response();
            response.headers_mut().insert(
                HeaderName::from_static("x-calsim-proxy-error"),
                HeaderValue::from_static("upstream"),
            );
            response
        }
    };
    tracing::info!(
        method = %exchange.method,
        path = %exchange.url,
        status = response.status().as_u16(),
        trigger = exchange.trigger_event.as_deref().unwrap_or("-"),
        "proxied"
    );
    if let Some(file) = &state.record {
        if let Ok(line) = serde_json::to_string(&exchange) {
            let mut file = file.lock().unwrap_or_else(|poison| poison.into_inner());
            if let Err(error) = writeln!(file, "{line}").and_then(|()| file.flush()) {
                tracing::error!("cannot append to the recording: {error}");
            }
        }
    }
    response
}

/// A running proxy; dropping it stops it.
#[derive(Debug)]
pub struct Proxy {
    server: crate::net::server::Server,
}

impl Proxy {
    /// Starts forwarding on `listener` (or binds `address`).
    pub async fn start(
        config: ProxyConfig,
        address: std::net::SocketAddr,
        listener: Option<tokio::net::TcpListener>,
    ) -> Result<Proxy, Error> {
        let state = ProxyState::new(config)?;
        let server =
            crate::net::server::Server::start(listener, address, router(state), || ()).await?;
        Ok(Proxy { server })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.address())
    }

    /// Serves until Ctrl-C (used by `calsim proxy`).
    pub async fn wait_for_ctrl_c(self) {
        self.server.wait_for_ctrl_c().await;
    }
}
