//! The journal: one timeline of every request calsim received or sent.
//!
//! Every surface (push webhook, API v1, pull, partner endpoint, checks) records here,
//! so the control API, reports and (later) the web inspector read one source. Secrets
//! are masked when an entry is made, never later. The journal keeps the newest entries
//! within two limits, whichever is reached first: a number of entries
//! ([`Journal::DEFAULT_CAPACITY`]) and a number of recorded bytes
//! ([`Journal::DEFAULT_MAX_BYTES`]: bodies, headers, URLs, plus a fixed cost per entry);
//! the oldest go first. Recorded headers and bodies are copied out of the connection's
//! buffers, so an entry never keeps a whole read buffer alive.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::protocol::answer::Answer;
use crate::protocol::redact;

/// Whether calsim received the request or sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A peer called calsim.
    Received,
    /// calsim called a peer.
    Sent,
}

/// Which protocol surface an entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Surface {
    /// `POST /api/webhook/app-credential`.
    AppCredential,
    /// API v1 `/credential-sync`.
    ApiV1CredentialSync,
    /// Cal.com's pull to the partner's sync endpoint.
    Pull,
    /// The fake partner's sync endpoint.
    PartnerSyncEndpoint,
    /// A credential push sent by calsim as the partner.
    Push,
    /// A request sent by a conformance check.
    Check,
    /// A webhook delivery Cal.com sends to a subscriber.
    Webhook,
    /// A webhook received by `calsim receive`.
    WebhookReceived,
    /// A call of Cal.com's app services to a fake provider (Google Calendar, Zoom,
    /// Microsoft Graph, HubSpot), or the provider's token endpoint.
    Provider,
    /// A run-time change made through the control API (`PATCH /_calsim/config`).
    Control,
}

/// One recorded exchange.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Position in the journal, from 1.
    pub id: u64,
    /// When the request started (RFC 3339, UTC, formatted when serialised).
    #[serde(serialize_with = "rfc3339")]
    pub at: time::OffsetDateTime,
    /// Received or sent.
    pub direction: Direction,
    /// The protocol surface.
    pub surface: Surface,
    /// The request.
    pub request: RecordedRequest,
    /// The answer, when one arrived.
    pub response: Option<RecordedResponse>,
    /// Why no answer arrived (timeout, refused...).
    pub error: Option<String>,
    /// Time from request to answer.
    pub duration_ms: f64,
    /// calsim's judgement of the exchange, where it makes one.
    pub verdict: Option<Value>,
}

/// A request as recorded: secrets masked, body as sent.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query (received) or full URL (sent), `apiKey` masked.
    pub url: String,
    /// Headers in wire order, secrets masked.
    #[serde(serialize_with = "header_pairs")]
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body bytes (shown as UTF-8, invalid bytes replaced).
    #[serde(serialize_with = "lossy_utf8")]
    pub body: Bytes,
}

/// An answer as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedResponse {
    /// Status code.
    pub status: u16,
    /// Headers, secrets masked.
    #[serde(serialize_with = "header_pairs")]
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body bytes (shown as UTF-8, invalid bytes replaced).
    #[serde(serialize_with = "lossy_utf8")]
    pub body: Bytes,
}

fn lossy_utf8<S: Serializer>(body: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(body))
}

fn rfc3339<S: Serializer>(at: &time::OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    let text = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serializer.serialize_str(&text)
}

fn header_pairs<S: Serializer>(
    headers: &[(HeaderName, HeaderValue)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(
        headers
            .iter()
            .map(|(name, value)| (name.as_str(), String::from_utf8_lossy(value.as_bytes()))),
    )
}

impl RecordedRequest {
    /// Records a request; headers named in `secret_headers` (and the always-sensitive
    /// ones) are masked.
    pub fn new(
        method: &str,
        url: &str,
        headers: &HeaderMap,
        body: Bytes,
        secret_headers: &[&str],
    ) -> Self {
        RecordedRequest {
            method: method.to_owned(),
            url: redact::mask_query(url),
            headers: masked_headers(headers, secret_headers),
            body: Bytes::copy_from_slice(&body),
        }
    }
}

impl RecordedResponse {
    /// Records an answer.
    pub fn new(status: u16, headers: &HeaderMap, body: Bytes) -> Self {
        RecordedResponse {
            status,
            headers: masked_headers(headers, &[]),
            body: Bytes::copy_from_slice(&body),
        }
    }
}

/// Copies headers in order, masking sensitive values. Values are copied out of the
/// connection's buffer so the journal holds only their bytes.
pub fn masked_headers(
    headers: &HeaderMap,
    secret_headers: &[&str],
) -> Vec<(HeaderName, HeaderValue)> {
    headers
        .iter()
        .map(|(name, value)| {
            let secret = redact::SENSITIVE_HEADERS.contains(&name.as_str())
                || secret_headers
                    .iter()
                    .any(|secret| secret.eq_ignore_ascii_case(name.as_str()));
            let value = if secret {
                let masked = redact::mask(&String::from_utf8_lossy(value.as_bytes()));
                HeaderValue::from_str(&masked).unwrap_or(HeaderValue::from_static("***"))
            } else {
                HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone())
            };
            (name.clone(), value)
        })
        .collect()
}

/// What a surface hands the journal; the journal adds the id.
#[derive(Debug)]
pub struct NewEntry {
    /// Received or sent.
    pub direction: Direction,
    /// The protocol surface.
    pub surface: Surface,
    /// When the request started.
    pub started: time::OffsetDateTime,
    /// The request.
    pub request: RecordedRequest,
    /// The answer, if any.
    pub response: Option<RecordedResponse>,
    /// Why no answer arrived.
    pub error: Option<String>,
    /// Time from request to answer.
    pub elapsed: Duration,
    /// calsim's judgement.
    pub verdict: Option<Value>,
}

/// When a request arrived, for its journal entry.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    at: time::OffsetDateTime,
    instant: Instant,
}

impl Arrival {
    /// Now.
    pub fn now() -> Self {
        Arrival {
            at: time::OffsetDateTime::now_utc(),
            instant: Instant::now(),
        }
    }
}

/// The shared, bounded timeline.
#[derive(Debug)]
pub struct Journal {
    entries: Mutex<Kept>,
    next_id: AtomicU64,
    capacity: usize,
    max_bytes: usize,
    live: tokio::sync::broadcast::Sender<Arc<Entry>>,
}

/// The entries kept and the bytes they account for.
#[derive(Debug, Default)]
struct Kept {
    entries: VecDeque<(Arc<Entry>, usize)>,
    bytes: usize,
}

impl Default for Journal {
    fn default() -> Self {
        Journal::with_limits(Journal::DEFAULT_CAPACITY, Journal::DEFAULT_MAX_BYTES)
    }
}

/// What an entry costs the journal: its bytes plus a fixed overhead for the entry, its
/// vectors and its `Arc`.
fn cost(entry: &Entry) -> usize {
    const OVERHEAD: usize = 512;
    let headers = |headers: &[(HeaderName, HeaderValue)]| {
        headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 32)
            .sum::<usize>()
    };
    OVERHEAD
        + entry.request.url.len()
        + entry.request.body.len()
        + headers(&entry.request.headers)
        + entry.response.as_ref().map_or(0, |response| {
            response.body.len() + headers(&response.headers)
        })
        + entry.error.as_ref().map_or(0, String::len)
        + entry.verdict.as_ref().map_or(0, json_length)
}

/// The length of a value's JSON text, counted without writing it out.
fn json_length(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_or(0, |()| count.0)
}

impl Journal {
    /// How many entries are kept by default.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// How many recorded bytes are kept by default (8 MiB).
    pub const DEFAULT_MAX_BYTES: usize = 8 * 1024 * 1024;

    /// A journal keeping the newest `capacity` entries (and at most
    /// [`Journal::DEFAULT_MAX_BYTES`]).
    pub fn with_capacity(capacity: usize) -> Self {
        Journal::with_limits(capacity, Journal::DEFAULT_MAX_BYTES)
    }

    /// A journal keeping the newest entries, at most `capacity` of them and at most
    /// `max_bytes` recorded bytes (the newest entry is always kept).
    pub fn with_limits(capacity: usize, max_bytes: usize) -> Self {
        Journal {
            entries: Mutex::new(Kept::default()),
            next_id: AtomicU64::new(1),
            capacity: capacity.max(1),
            max_bytes,
            live: tokio::sync::broadcast::channel(256).0,
        }
    }

    /// The recorded bytes the kept entries account for.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// New entries as they are recorded (the inspector's live view); a reader that
    /// falls more than 256 entries behind skips ahead.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Entry>> {
        self.live.subscribe()
    }

    /// Appends an entry and returns it.
    pub fn record(&self, new: NewEntry) -> Arc<Entry> {
        let mut entry = Entry {
            id: 0,
            at: new.started,
            direction: new.direction,
            surface: new.surface,
            request: new.request,
            response: new.response,
            error: new.error,
            duration_ms: new.elapsed.as_secs_f64() * 1000.0,
            verdict: new.verdict,
        };
        let size = cost(&entry);
        let mut kept = self.lock();
        // The id is taken under the lock, so the kept order is the id order.
        entry.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(entry);
        kept.entries.push_back((Arc::clone(&entry), size));
        kept.bytes += size;
        // Evicted entries are freed after the lock is released: usually one, so the
        // first needs no vector.
        let (mut first_evicted, mut more_evicted) = (None, Vec::new());
        while kept.entries.len() > self.capacity
            || (kept.bytes > self.max_bytes && kept.entries.len() > 1)
        {
            if let Some((evicted, freed)) = kept.entries.pop_front() {
                kept.bytes -= freed;
                match first_evicted {
                    None => first_evicted = Some(evicted),
                    Some(_) => more_evicted.push(evicted),
                }
            }
        }
        drop(kept);
        drop((first_evicted, more_evicted));
        if self.live.receiver_count() > 0 {
            let _ = self.live.send(Arc::clone(&entry));
        }
        entry
    }

    /// Records a request calsim received and the answer it gave, and returns that answer
    /// as the response to send.
    pub fn answered(
        &self,
        surface: Surface,
        arrival: Arrival,
        request: (&Parts, Bytes),
        secret_headers: &[&str],
        answer: Answer,
        verdict: Value,
    ) -> Response {
        let (parts, body) = request;
        let status = answer.status.as_u16();
        let answer_body = answer.body.clone();
        let response = answer.into_response();
        self.record(NewEntry {
            direction: Direction::Received,
            surface,
            started: arrival.at,
            request: RecordedRequest::new(
                parts.method.as_str(),
                &parts.uri.to_string(),
                &parts.headers,
                body,
                secret_headers,
            ),
            response: Some(RecordedResponse::new(
                status,
                response.headers(),
                answer_body,
            )),
            error: None,
            elapsed: arrival.instant.elapsed(),
            verdict: Some(verdict),
        });
        response
    }

    /// Entries, oldest first, optionally only one surface.
    pub fn entries(&self, surface: Option<Surface>) -> Vec<Arc<Entry>> {
        self.lock()
            .entries
            .iter()
            .map(|(entry, _)| entry)
            .filter(|entry| surface.is_none_or(|surface| entry.surface == surface))
            .cloned()
            .collect()
    }

    /// Forgets every entry (ids keep counting).
    pub fn clear(&self) {
        let mut kept = self.lock();
        kept.entries.clear();
        kept.bytes = 0;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}
