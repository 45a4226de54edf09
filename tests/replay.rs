//! Record and replay: what `calsim receive --record`, `calsim proxy --record` and
//! `/_calsim/journal.har` keep is sent again byte for byte, and only the asked rewrites
//! (new signature, shifted times, fresh uids) change a body.

mod common;
mod oracle;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::Router;
use calsim::receiver::{Receiver, ReceiverConfig};
use calsim::replay::proxy::{Proxy, ProxyConfig};
use calsim::replay::recording;
use calsim::replay::replayer::{self, ReplayOptions};
use proptest::prelude::*;
use serde_json::{json, Value};

/// What a sink saw of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

type Sink = Arc<Mutex<Vec<Seen>>>;

async fn sink_handler(State((seen, status)): State<(Sink, u16)>, request: Request) -> StatusCode {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: body.to_vec(),
    });
    StatusCode::from_u16(status).unwrap()
}

/// A consumer that records every request and answers `status`.
async fn sink(status: u16) -> (String, Sink) {
    let seen: Sink = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .fallback(sink_handler)
        .with_state((Arc::clone(&seen), status));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("calsim-replay-{}-{name}", std::process::id()))
}

fn options(to: &str) -> ReplayOptions {
    ReplayOptions {
        to: to.to_owned(),
        keep_path: false,
        secret: None,
        shift_to: None,
        fresh_uids: false,
        rate: None,
        only: Vec::new(),
        timeout: Duration::from_secs(5),
        seed: Some(7),
    }
}

async fn post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    let client = reqwest::Client::new();
    let mut request = client.post(url).body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status().as_u16()
}

fn hmac(secret: &str, body: &[u8]) -> String {
    use base64::Engine;
    oracle::ask(json!({"op": "hmac", "secret": secret, "body_b64": base64::engine::general_purpose::STANDARD.encode(body)}))["hex"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Bodies a recording may hold: JSON with the text forms a re-serialiser would change
/// (`1.50`, `1e2`, `\u00e9`, `\/`, key order, spaces), times and uids, and form bodies.
fn body_strategy() -> impl Strategy<Value = String> {
    let text = "[a-zA-Z0-9 éü✓\"\\\\/]{0,12}";
    (
        text,
        prop::sample::select(vec!["1.50", "1e2", "-0", "3", "0.1"]),
        0i64..4_000_000_000,
        "[a-zA-Z0-9]{22}",
        prop::bool::ANY,
    )
        .prop_map(|(title, number, seconds, uid, form)| {
            if form {
                return format!("triggerEvent=BOOKING_CREATED&title={title}&uid={uid}");
            }
            let at = jiff::Timestamp::from_second(seconds).unwrap();
            let title = serde_json::to_string(&title).unwrap().replace('é', "\\u00e9");
            format!(
                r#"{{"triggerEvent":"BOOKING_CREATED", "createdAt":"{at:.3}","payload":{{"title":{title},"price":{number},"url":"https:\/\/cal.example\/{uid}","z":1,"a":2,"uid":"{uid}","startTime":"{at:.0}"}}}}"#
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Deliveries recorded by `calsim receive --record` reach the consumer again with the
    /// same method, body bytes and headers (hop-by-hop ones aside); re-signed for a new
    /// secret, only `x-cal-signature-256` changes, to what Node's createHmac computes.
    #[test]
    fn receive_recordings_replay_byte_for_byte_and_re_sign_for_a_new_secret(
        bodies in prop::collection::vec(body_strategy(), 1..5),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let file = temp(&format!("receive-{}.jsonl", rand::random::<u32>()));
            let receiver = Receiver::start(
                ReceiverConfig { secret: None, record: Some(file.clone()), forward: None, accept_missing_connection_id: true, strict_signatures: false },
                SocketAddr::from(([127, 0, 0, 1], 0)),
            ).await.unwrap();
            for body in &bodies {
                let signature = hmac("old-secret", body.as_bytes());
                let kind = if body.starts_with('{') { "application/json" } else { "application/x-www-form-urlencoded" };
                post(&format!("{}/hook?nangoConnectionId=c1", receiver.url()), &[("content-type", kind), ("x-cal-signature-256", &signature), ("x-cal-webhook-version", "2021-10-20")], body.as_bytes()).await;
            }
            let recorded_text = std::fs::read_to_string(&file).unwrap();
            let recorded = recording::read(&recorded_text, "recording").unwrap();
            prop_assert_eq!(recorded.len(), bodies.len());

            let (url, seen) = sink(200).await;
            let prepared = replayer::prepare(&recorded, &options(&format!("{url}/replayed"))).unwrap();
            let replayed = replayer::send(prepared, &options(&url), |_| {}).await;
            prop_assert!(replayed.iter().all(|done| done.status == Some(200)));
            let seen_plain = seen.lock().unwrap().clone();
            for (sent, body) in seen_plain.iter().zip(&bodies) {
                prop_assert_eq!(&sent.body, &body.as_bytes().to_vec());
                prop_assert_eq!(&sent.method, "POST");
                prop_assert_eq!(&sent.path, "/replayed");
                let signature = sent.headers.iter().find(|(name, _)| name == "x-cal-signature-256").map(|(_, value)| value.clone());
                prop_assert_eq!(signature, Some(hmac("old-secret", body.as_bytes())));
            }

            seen.lock().unwrap().clear();
            let mut resign = options(&url);
            resign.secret = Some("new-secret".to_owned());
            let prepared = replayer::prepare(&recorded, &resign).unwrap();
            replayer::send(prepared, &resign, |_| {}).await;
            let seen_resigned = seen.lock().unwrap().clone();
            for ((resent, before), body) in seen_resigned.iter().zip(&seen_plain).zip(&bodies) {
                prop_assert_eq!(&resent.body, &before.body);
                let differing: Vec<(String, String)> = resent.headers.iter().filter(|header| !before.headers.contains(header)).cloned().collect();
                prop_assert_eq!(differing, vec![("x-cal-signature-256".to_owned(), hmac("new-secret", body.as_bytes()))]);
            }
            prop_assert_eq!(std::fs::read_to_string(&file).unwrap(), recorded_text, "the recording is never modified");
            std::fs::remove_file(&file).unwrap();
            Ok(())
        })?;
    }

    /// `--shift-time` moves every time by one offset, so the first `createdAt` lands at
    /// WHEN, in the same text form; with every time masked, the bodies are identical.
    #[test]
    fn shifted_times_move_by_one_offset_and_nothing_else_changes(
        bodies in prop::collection::vec(body_strategy(), 1..5),
        when in 0i64..4_000_000_000,
    ) {
        let recorded: Vec<recording::RecordedRequest> = bodies.iter().map(|body| recording::RecordedRequest {
            method: "POST".to_owned(), url: "/hook".to_owned(), headers: vec![], body: body.as_bytes().to_vec(),
        }).collect();
        let mut shifted = options("http://127.0.0.1:9/hook");
        shifted.shift_to = Some(jiff::Timestamp::from_second(when).unwrap());
        let first = recorded.iter().find_map(|request| {
            let body: Value = serde_json::from_slice(&request.body).ok()?;
            body["createdAt"].as_str()?.parse::<jiff::Timestamp>().ok()
        });
        let prepared = replayer::prepare(&recorded, &shifted);
        let Some(first) = first else {
            prop_assert!(prepared.is_err(), "nothing to shift from is an error");
            return Ok(());
        };
        let offset = jiff::Timestamp::from_second(when).unwrap().duration_since(first);
        let time = regex_lite::Regex::new(r#""(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))""#).unwrap();
        for (request, body) in prepared.unwrap().iter().zip(&bodies) {
            let after = String::from_utf8(request.body.to_vec()).unwrap();
            prop_assert_eq!(time.replace_all(&after, "\"T\""), time.replace_all(body, "\"T\""));
            let old: Vec<&str> = time.captures_iter(body).map(|c| c.get(1).unwrap().as_str()).collect();
            let new: Vec<&str> = time.captures_iter(&after).map(|c| c.get(1).unwrap().as_str()).collect();
            prop_assert_eq!(old.len(), new.len());
            for (old, new) in old.iter().zip(&new) {
                prop_assert_eq!(old.len(), new.len(), "same text form: {} -> {}", old, new);
                prop_assert_eq!(old.ends_with('Z'), new.ends_with('Z'));
                let moved = new.parse::<jiff::Timestamp>().unwrap().duration_since(old.parse::<jiff::Timestamp>().unwrap());
                prop_assert_eq!(moved, offset);
            }
        }
    }
}

#[test]
fn fresh_uids_are_consistent_across_a_reschedule_and_leave_no_old_uid() {
    let created = r#"{"triggerEvent":"BOOKING_CREATED","createdAt":"2024-01-01T00:00:00.000Z","payload":{"uid":"oldUid1234567890abcdef","iCalUID":"oldUid1234567890abcdef@Cal.com","cancelUrl":"https://cal.example/booking/oldUid1234567890abcdef?cancel=true","price":1.50}}"#;
    let rescheduled = r#"{"triggerEvent":"BOOKING_RESCHEDULED","createdAt":"2024-01-02T00:00:00.000Z","payload":{"uid":"newUid1234567890abcdef","rescheduleUid":"oldUid1234567890abcdef","price":1.50}}"#;
    let recorded: Vec<recording::RecordedRequest> = [created, rescheduled]
        .iter()
        .map(|body| recording::RecordedRequest {
            method: "POST".to_owned(),
            url: "/hook".to_owned(),
            headers: vec![],
            body: body.as_bytes().to_vec(),
        })
        .collect();
    let mut fresh = options("http://127.0.0.1:9/hook");
    fresh.fresh_uids = true;

    let prepared = replayer::prepare(&recorded, &fresh).unwrap();

    let bodies: Vec<Value> = prepared
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect();
    let first_uid = bodies[0]["payload"]["uid"].as_str().unwrap();
    assert_ne!(first_uid, "oldUid1234567890abcdef");
    assert_eq!(first_uid.len(), 22, "same shape as the recorded uid");
    assert_eq!(bodies[1]["payload"]["rescheduleUid"], json!(first_uid));
    assert_eq!(
        bodies[0]["payload"]["iCalUID"],
        json!(format!("{first_uid}@Cal.com"))
    );
    assert_ne!(bodies[1]["payload"]["uid"], json!("newUid1234567890abcdef"));
    for request in &prepared {
        let text = String::from_utf8(request.body.to_vec()).unwrap();
        assert!(
            !text.contains("oldUid") && !text.contains("newUid"),
            "{text}"
        );
        assert!(text.contains(r#""price":1.50"#), "number text kept: {text}");
    }
}

/// A proxy in front of a consumer changes nothing the consumer sees (but the Host
/// header), answers what the consumer answered, and its recording replays to the same
/// bytes.
#[tokio::test]
async fn a_recording_proxy_is_transparent_and_its_recording_replays_the_same_bytes() {
    let (consumer, seen) = sink(202).await;
    let file = temp("proxy.jsonl");
    let _ = std::fs::remove_file(&file);
    let proxy = Proxy::start(
        ProxyConfig {
            upstream: consumer.clone(),
            record: Some(file.clone()),
            timeout: Duration::from_secs(5),
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
        None,
    )
    .await
    .unwrap();
    let body = r#"{"triggerEvent":"PING","createdAt":"2024-01-01T00:00:00.000Z","payload":{"title":"R\u00e9union","n":1.50}}"#;
    let headers = [
        ("content-type", "application/json"),
        ("x-cal-signature-256", "abc123"),
        ("x-custom", "1"),
    ];

    let direct = post(&format!("{consumer}/hook?x=1"), &headers, body.as_bytes()).await;
    let proxied = post(
        &format!("{}/hook?x=1", proxy.url()),
        &headers,
        body.as_bytes(),
    )
    .await;

    assert_eq!((direct, proxied), (202, 202));
    let seen_now = seen.lock().unwrap().clone();
    let without_host = |seen: &Seen| Seen {
        headers: seen
            .headers
            .iter()
            .filter(|(name, _)| name != "host")
            .cloned()
            .collect(),
        ..seen.clone()
    };
    assert_eq!(without_host(&seen_now[0]), without_host(&seen_now[1]));

    let recorded = recording::read(&std::fs::read_to_string(&file).unwrap(), "proxy").unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].url, "/hook?x=1");
    let line: Value = serde_json::from_str(std::fs::read_to_string(&file).unwrap().trim()).unwrap();
    assert_eq!(line["response"]["status"], 202);
    assert_eq!(line["triggerEvent"], "PING");
    let mut keep_path = options(&consumer);
    keep_path.keep_path = true;
    let prepared = replayer::prepare(&recorded, &keep_path).unwrap();
    replayer::send(prepared, &keep_path, |_| {}).await;
    let replayed = seen.lock().unwrap()[2].clone();
    assert_eq!(without_host(&replayed), without_host(&seen_now[0]));
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test]
async fn a_dead_upstream_gets_502_with_the_reason_and_is_recorded() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let file = temp("dead.jsonl");
    let _ = std::fs::remove_file(&file);
    let proxy = Proxy::start(
        ProxyConfig {
            upstream,
            record: Some(file.clone()),
            timeout: Duration::from_secs(2),
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
        None,
    )
    .await
    .unwrap();

    let response = reqwest::Client::new()
        .post(format!("{}/hook", proxy.url()))
        .body("{}")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 502);
    assert!(response.text().await.unwrap().contains("connection failed"));
    let line: Value = serde_json::from_str(std::fs::read_to_string(&file).unwrap().trim()).unwrap();
    assert!(line["error"]
        .as_str()
        .unwrap()
        .contains("connection failed"));
    std::fs::remove_file(&file).unwrap();
}

/// The journal exports as HAR 1.2 with every field the format requires, and a delivery in
/// it replays to the same bytes (the journal masks secret-named fields such as a video
/// password, so this delivery carries none).
#[tokio::test]
async fn the_journal_exports_as_har_and_its_deliveries_replay() {
    let simulator = common::start(common::config(calsim::Profile::Current)).await;
    let (consumer, seen) = sink(200).await;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/v2/webhooks", simulator.url()))
        .header("authorization", "Bearer cal_calsim_admin_key")
        .json(&json!({"subscriberUrl": format!("{consumer}/hook"), "triggers": ["BOOKING_CREATED"], "active": true, "secret": "s3cret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let fired = client
        .post(format!("{}/_calsim/events", simulator.url()))
        .json(&json!({"trigger": "BOOKING_CREATED", "userId": 1, "eventTypeId": 1, "data": {"title": "Réunion ✓", "uid": "har-1", "price": 1.5}}))
        .send()
        .await
        .unwrap();
    assert_eq!(fired.status().as_u16(), 200);
    let delivered = seen.lock().unwrap()[0].clone();

    let har: Value = client
        .get(format!(
            "{}/_calsim/journal.har?surface=webhook",
            simulator.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(har["log"]["version"], "1.2");
    assert_eq!(har["log"]["creator"]["name"], "calsim");
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    for field in [
        "startedDateTime",
        "time",
        "request",
        "response",
        "cache",
        "timings",
    ] {
        assert!(!entries[0][field].is_null(), "HAR entries need {field}");
    }
    for field in [
        "method",
        "url",
        "httpVersion",
        "cookies",
        "headers",
        "queryString",
        "headersSize",
        "bodySize",
    ] {
        assert!(
            !entries[0]["request"][field].is_null(),
            "HAR requests need {field}"
        );
    }
    for field in [
        "status",
        "statusText",
        "httpVersion",
        "cookies",
        "headers",
        "content",
        "redirectURL",
        "headersSize",
        "bodySize",
    ] {
        assert!(
            !entries[0]["response"][field].is_null(),
            "HAR responses need {field}"
        );
    }
    let recorded = recording::read(&har.to_string(), "journal.har").unwrap();
    let mut resign = options(&format!("{consumer}/again"));
    resign.secret = Some("s3cret".to_owned());
    let prepared = replayer::prepare(&recorded, &resign).unwrap();
    replayer::send(prepared, &resign, |_| {}).await;
    let again = seen.lock().unwrap()[1].clone();
    assert_eq!(
        String::from_utf8_lossy(&again.body),
        String::from_utf8_lossy(&delivered.body)
    );
    let signature = |seen: &Seen| {
        seen.headers
            .iter()
            .find(|(name, _)| name == "x-cal-signature-256")
            .map(|(_, value)| value.clone())
    };
    assert_eq!(signature(&again), signature(&delivered));
    assert_eq!(signature(&again), Some(hmac("s3cret", &delivered.body)));
}
