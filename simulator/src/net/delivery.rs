//! Sending one webhook as Cal.com does: POST the exact bytes, signed, to the subscriber
//! URL as stored; redirects are not followed; 2xx is success; one attempt.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;
use serde::Serialize;
use serde_json::json;

use crate::net::journal::{
    Direction, Journal, NewEntry, RecordedRequest, RecordedResponse, Surface,
};
use crate::net::{http1, http_client};
use crate::protocol::signing::{self, PAYLOAD_VERSION};

/// The two content types Cal.com sends webhooks with.
pub use crate::protocol::template::{FORM, JSON};

/// A signed webhook request, ready to send.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// The subscriber URL, exactly as stored (its query is kept).
    pub url: String,
    /// The request headers, in Cal.com's order, then Node's defaults.
    pub headers: HeaderMap,
    /// The body bytes that were signed.
    pub body: Bytes,
}

impl Outgoing {
    /// Signs `body` and lays out Cal.com's headers: `Content-Type`,
    /// `X-Cal-Signature-256`, and (current Cal.com) `X-Cal-Webhook-Version`.
    ///
    /// ```
    /// let outgoing = calsim::delivery::Outgoing::signed("http://127.0.0.1:9/hook?a=1", "{}".into(), calsim::delivery::JSON, None, true);
    /// assert_eq!(outgoing.headers["x-cal-signature-256"], "no-secret-provided");
    /// assert_eq!(outgoing.headers["x-cal-webhook-version"], "2021-10-20");
    /// ```
    pub fn signed(
        url: &str,
        body: String,
        content_type: &'static str,
        secret: Option<&str>,
        version_header: bool,
    ) -> Self {
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        let signature = signing::signature(secret, body.as_bytes());
        headers.insert(
            SIGNATURE,
            HeaderValue::from_str(&signature).unwrap_or(HeaderValue::from_static("")),
        );
        if version_header {
            headers.insert(VERSION, HeaderValue::from_static(PAYLOAD_VERSION));
        }
        for (name, value) in http_client::NODE_FETCH_HEADERS {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        Outgoing {
            url: url.to_owned(),
            headers,
            body: Bytes::from(body),
        }
    }

    /// Replaces the signature header (`None` removes it), for tampered test deliveries.
    pub fn with_signature(mut self, signature: Option<&str>) -> Self {
        match signature.and_then(|value| HeaderValue::from_str(value).ok()) {
            Some(value) => {
                self.headers.insert(SIGNATURE, value);
            }
            None => {
                self.headers.remove(SIGNATURE);
            }
        }
        self
    }
}

const CONTENT_TYPE: HeaderName = axum::http::header::CONTENT_TYPE;
const SIGNATURE: HeaderName = HeaderName::from_static("x-cal-signature-256");
const VERSION: HeaderName = HeaderName::from_static("x-cal-webhook-version");

/// What happened to one delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// The subscriber's status, if it answered.
    pub status: Option<u16>,
    /// Cal.com's rule: a 2xx status (3xx is not followed and counts as failure).
    pub success: bool,
    /// The start of the subscriber's answer.
    pub response_excerpt: String,
    /// Why no answer arrived.
    pub error: Option<String>,
    /// Time to the answer.
    pub elapsed_ms: u64,
}

/// The client webhooks go out with: plain `http://` subscriber URLs through the
/// HTTP/1.1 pool of [`http1`] (one write per request, the answer read in the sending
/// task), anything else (https, user info...) through reqwest. Clones share the pool.
#[derive(Clone, Debug)]
pub struct WebhookClient {
    general: reqwest::Client,
    pool: Arc<http1::Pool>,
}

impl WebhookClient {
    /// A client whose connections give up after `timeout` (each delivery also has its own).
    pub fn new(timeout: Duration) -> Self {
        WebhookClient {
            general: http_client::build(timeout),
            pool: Arc::default(),
        }
    }

    /// How many idle keep-alive connections the pool holds.
    pub fn idle_connections(&self) -> usize {
        self.pool.idle()
    }

    /// POSTs the request within `timeout`: the answer's status, headers and body, or
    /// why there is none.
    async fn send(
        &self,
        outgoing: &Outgoing,
        timeout: Duration,
    ) -> Result<(u16, HeaderMap, Bytes), String> {
        let Some(target) = http1::Target::parse(&outgoing.url) else {
            return self.send_general(outgoing, timeout).await;
        };
        let exchange = self.pool.post(&target, &outgoing.headers, &outgoing.body);
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok(answer)) => Ok((answer.status, answer.headers, answer.body)),
            Ok(Err(http1::Failure::Connect(_))) => Err(http_client::unreachable()),
            Ok(Err(failure)) => Err(failure.to_string()),
            Err(_) => Err(http_client::timed_out(timeout)),
        }
    }

    async fn send_general(
        &self,
        outgoing: &Outgoing,
        timeout: Duration,
    ) -> Result<(u16, HeaderMap, Bytes), String> {
        let response = self
            .general
            .post(&outgoing.url)
            .headers(outgoing.headers.clone())
            .body(outgoing.body.clone())
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| http_client::describe_error(&error, timeout))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|error| http_client::describe_error(&error, timeout))?;
        Ok((status, headers, body))
    }
}

/// Sends one attempt and journals it (request bytes, status, excerpt, timing, verdict).
pub async fn deliver(
    client: &WebhookClient,
    outgoing: &Outgoing,
    timeout: Duration,
    journal: Option<&Journal>,
) -> Attempt {
    let started_at = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    let answer = client.send(outgoing, timeout).await;
    let elapsed = started.elapsed();
    let (attempt, recorded) = match answer {
        Ok((status, response_headers, body)) => {
            let excerpt: String = String::from_utf8_lossy(&body).chars().take(500).collect();
            let attempt = Attempt {
                status: Some(status),
                success: (200..300).contains(&status),
                response_excerpt: excerpt,
                error: None,
                elapsed_ms: elapsed.as_millis() as u64,
            };
            (
                attempt,
                Some(RecordedResponse::new(status, &response_headers, body)),
            )
        }
        Err(problem) => {
            let attempt = Attempt {
                status: None,
                success: false,
                response_excerpt: String::new(),
                error: Some(problem),
                elapsed_ms: elapsed.as_millis() as u64,
            };
            (attempt, None)
        }
    };
    match (attempt.status, &attempt.error) {
        (Some(status), _) => tracing::info!(
            status,
            success = attempt.success,
            "webhook delivered to {}",
            crate::protocol::redact::mask_query(&outgoing.url)
        ),
        (None, error) => tracing::warn!(
            "webhook to {} failed: {}",
            crate::protocol::redact::mask_query(&outgoing.url),
            error.as_deref().unwrap_or_default()
        ),
    }
    if let Some(journal) = journal {
        journal.record(NewEntry {
            direction: Direction::Sent,
            surface: Surface::Webhook,
            started: started_at,
            request: RecordedRequest::new(
                "POST",
                &outgoing.url,
                &outgoing.headers,
                outgoing.body.clone(),
                &[],
            ),
            response: recorded,
            error: attempt.error.clone(),
            elapsed,
            verdict: Some(json!({ "success": attempt.success })),
        });
    }
    attempt
}
