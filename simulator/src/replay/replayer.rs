//! `calsim replay`: recorded requests sent again, in recorded order, byte for byte unless a
//! rewrite is asked for (new secret, shifted times, fresh uids), never modifying the
//! recording.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use rand::SeedableRng;

use crate::net::http_client;
use crate::protocol::error::Error;
use crate::protocol::signing;
use crate::replay::recording::RecordedRequest;
use crate::replay::rewrite::{self, FreshUids};

/// How to replay.
#[derive(Clone, Debug)]
pub struct ReplayOptions {
    /// Where every request goes (the recorded path is ignored unless `keep_path`).
    pub to: String,
    /// Append each recorded path and query to `to`'s origin instead.
    pub keep_path: bool,
    /// Re-sign every body for this secret (`X-Cal-Signature-256`).
    pub secret: Option<String>,
    /// Move every time in JSON bodies so the first `createdAt` lands here.
    pub shift_to: Option<Timestamp>,
    /// Give bookings new uids, consistently across the recording.
    pub fresh_uids: bool,
    /// At most this many requests per second.
    pub rate: Option<f64>,
    /// Only these triggers (empty: all).
    pub only: Vec<String>,
    /// Give up on each answer after this long.
    pub timeout: Duration,
    /// Seed of the fresh uids (random when absent).
    pub seed: Option<u64>,
}

/// A request ready to send.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Its position in the recording, from 1.
    pub position: usize,
    /// The trigger, when the body names one.
    pub trigger: Option<String>,
    /// The method.
    pub method: String,
    /// The URL it goes to.
    pub url: String,
    /// Headers to send, recorded order, hop-by-hop ones dropped.
    pub headers: Vec<(String, String)>,
    /// The body to send.
    pub body: bytes::Bytes,
    /// Something to know (a rewritten body that could not be re-signed).
    pub note: Option<String>,
}

/// What happened to one request.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The request.
    pub prepared: Prepared,
    /// The answer's status.
    pub status: Option<u16>,
    /// Why no answer came.
    pub error: Option<String>,
    /// How long the answer took.
    pub elapsed: Duration,
}

impl Replayed {
    /// One line: `#2 BOOKING_CREATED POST http://... -> 200 (3 ms)`.
    pub fn line(&self) -> String {
        let prepared = &self.prepared;
        let outcome = match (self.status, &self.error) {
            (Some(status), _) => format!("{status}"),
            (None, Some(error)) => format!("no answer: {error}"),
            (None, None) => "not sent".to_owned(),
        };
        let mut line = format!(
            "#{} {} {} {} -> {outcome} ({} ms)",
            prepared.position,
            prepared.trigger.as_deref().unwrap_or("-"),
            prepared.method,
            prepared.url,
            self.elapsed.as_millis()
        );
        if let Some(note) = &prepared.note {
            line.push_str(&format!(" [{note}]"));
        }
        line
    }

    /// Whether the answer was 2xx.
    pub fn accepted(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }
}

const HOP_BY_HOP: [&str; 10] = [
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "expect",
];

/// Selects and rewrites the recorded requests as `options` asks; sends nothing.
pub fn prepare(
    recording: &[RecordedRequest],
    options: &ReplayOptions,
) -> Result<Vec<Prepared>, Error> {
    let selected: Vec<(usize, &RecordedRequest)> = recording
        .iter()
        .enumerate()
        .filter(|(_, request)| {
            options.only.is_empty()
                || request
                    .trigger()
                    .is_some_and(|trigger| options.only.contains(&trigger))
        })
        .map(|(index, request)| (index + 1, request))
        .collect();
    let text = |request: &RecordedRequest| String::from_utf8(request.body.clone()).ok();
    let shift = match options.shift_to {
        Some(to) => {
            let first = selected
                .iter()
                .find_map(|(_, request)| rewrite::created_at(&text(request)?))
                .ok_or_else(|| Error::Config {
                    origin: "--shift-time".to_owned(),
                    problem: "no JSON body in the recording has a `createdAt` to shift from"
                        .to_owned(),
                })?;
            Some(to.duration_since(first))
        }
        None => None,
    };
    let uids = if options.fresh_uids {
        let mut rng = match options.seed {
            Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
            None => rand::rngs::StdRng::from_entropy(),
        };
        let bodies: Vec<String> = selected
            .iter()
            .filter_map(|(_, request)| text(request))
            .collect();
        Some(FreshUids::for_bodies(
            bodies.iter().map(String::as_str),
            &mut rng,
        ))
    } else {
        None
    };
    selected
        .into_iter()
        .map(|(position, request)| {
            let body = rewritten(request, shift, uids.as_ref());
            let changed = body.is_some();
            let body = bytes::Bytes::from(body.unwrap_or_else(|| request.body.clone()));
            let mut headers: Vec<(String, String)> = request
                .headers
                .iter()
                .filter(|(name, _)| !HOP_BY_HOP.iter().any(|hop| name.eq_ignore_ascii_case(hop)))
                .cloned()
                .collect();
            let mut note = None;
            let signature_at = headers
                .iter()
                .position(|(name, _)| name.eq_ignore_ascii_case("x-cal-signature-256"));
            match (&options.secret, signature_at) {
                (Some(secret), Some(at)) => {
                    headers[at].1 = signing::signature(Some(secret), &body);
                }
                (Some(secret), None) => headers.push((
                    "x-cal-signature-256".to_owned(),
                    signing::signature(Some(secret), &body),
                )),
                (None, Some(_)) if changed => {
                    note = Some(
                        "body rewritten, recorded signature kept: pass --secret to re-sign"
                            .to_owned(),
                    );
                }
                (None, _) => {}
            }
            Ok(Prepared {
                position,
                trigger: request.trigger(),
                method: request.method.clone(),
                url: target_url(&options.to, &request.url, options.keep_path)?,
                headers,
                body,
                note,
            })
        })
        .collect()
}

fn rewritten(
    request: &RecordedRequest,
    shift: Option<SignedDuration>,
    uids: Option<&FreshUids>,
) -> Option<Vec<u8>> {
    let original = std::str::from_utf8(&request.body).ok()?;
    let mut text = original.to_owned();
    if let Some(shift) = shift {
        text = rewrite::shift_times(&text, shift)?;
    }
    if let Some(uids) = uids {
        text = uids.apply(&text)?;
    }
    (text != original).then(|| text.into_bytes())
}

fn target_url(to: &str, recorded: &str, keep_path: bool) -> Result<String, Error> {
    let base = reqwest::Url::parse(to).map_err(|error| Error::Config {
        origin: "--to".to_owned(),
        problem: format!("`{to}` is not a URL: {error}"),
    })?;
    if !keep_path {
        return Ok(to.to_owned());
    }
    let path = match reqwest::Url::parse(recorded) {
        Ok(absolute) => match absolute.query() {
            Some(query) => format!("{}?{query}", absolute.path()),
            None => absolute.path().to_owned(),
        },
        Err(_) => recorded.to_owned(),
    };
    Ok(format!("{}{}", base.origin().ascii_serialization(), path))
}

/// Sends the prepared requests in order (at most `options.rate` per second), each with
/// `options.timeout`, redirects not followed, and calls `each` as each one is answered.
pub async fn send(
    prepared: Vec<Prepared>,
    options: &ReplayOptions,
    mut each: impl FnMut(&Replayed),
) -> Vec<Replayed> {
    let client = http_client::build(options.timeout);
    let spacing = options
        .rate
        .filter(|rate| *rate > 0.0)
        .map(|rate| Duration::from_secs_f64(1.0 / rate));
    let started = Instant::now();
    let mut done = Vec::with_capacity(prepared.len());
    for (index, request) in prepared.into_iter().enumerate() {
        if let Some(spacing) = spacing {
            let due = started + spacing * index as u32;
            tokio::time::sleep_until(due.into()).await;
        }
        let sent_at = Instant::now();
        let replayed = match build(&client, &request) {
            Ok(builder) => match builder.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    drop(response.bytes().await);
                    Replayed {
                        prepared: request,
                        status: Some(status),
                        error: None,
                        elapsed: sent_at.elapsed(),
                    }
                }
                Err(error) => Replayed {
                    prepared: request,
                    status: None,
                    error: Some(http_client::describe_error(&error, options.timeout)),
                    elapsed: sent_at.elapsed(),
                },
            },
            Err(problem) => Replayed {
                prepared: request,
                status: None,
                error: Some(problem),
                elapsed: Duration::ZERO,
            },
        };
        each(&replayed);
        done.push(replayed);
    }
    done
}

fn build(client: &reqwest::Client, request: &Prepared) -> Result<reqwest::RequestBuilder, String> {
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("`{}` is not an HTTP method", request.method))?;
    let mut builder = client.request(method, &request.url);
    for (name, value) in &request.headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not a header name"))?;
        let value = reqwest::header::HeaderValue::from_bytes(value.as_bytes())
            .map_err(|_| format!("the value of `{name}` is not a header value"))?;
        builder = builder.header(name, value);
    }
    Ok(builder.body(request.body.clone()))
}
