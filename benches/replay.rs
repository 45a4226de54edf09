//! `calsim replay` throughput: 2,000 recorded deliveries re-signed, time-shifted and given
//! fresh uids, then sent in order to a local sink, as a ratio to a bare client loop
//! posting the same recorded requests (same headers and bodies) in the same run. Replay
//! sends one request at a time, in recorded order, so the baseline does too. Loopback only.
//!
//! `cargo bench --bench replay`

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::time::{Duration, Instant};

use axum::routing::post;
use calsim::replay::recording::RecordedRequest;
use calsim::replay::replayer::{prepare, send, ReplayOptions};

const REQUESTS: usize = 2_000;
const ROUNDS: usize = 3;

async fn sink() -> String {
    let app = axum::Router::new().route("/hook", post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn recording() -> Vec<RecordedRequest> {
    (0..REQUESTS)
        .map(|index| {
            let body = format!(
                r#"{{"triggerEvent":"BOOKING_CREATED","createdAt":"2024-01-01T00:{:02}:00.000Z","payload":{{"title":"Call {index}","startTime":"2024-01-05T10:00:00Z","endTime":"2024-01-05T10:30:00Z","uid":"uid{index:019}","price":1.50,"attendees":[{{"name":"Guest","email":"guest@example.com"}}]}}}}"#,
                index % 60
            );
            RecordedRequest {
                method: "POST".to_owned(),
                url: "/hook".to_owned(),
                headers: vec![
                    ("content-type".to_owned(), "application/json".to_owned()),
                    ("x-cal-signature-256".to_owned(), "recorded".to_owned()),
                    ("x-cal-webhook-version".to_owned(), "2021-10-20".to_owned()),
                ],
                body: body.into_bytes(),
            }
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = sink().await;
        let recorded = recording();
        let options = ReplayOptions {
            to: url.clone(),
            keep_path: false,
            secret: Some("new-secret".to_owned()),
            shift_to: Some("2030-01-01T00:00:00Z".parse().unwrap()),
            fresh_uids: true,
            rate: None,
            only: Vec::new(),
            timeout: Duration::from_secs(5),
            seed: Some(1),
        };
        let client = calsim::http_client::build(Duration::from_secs(5));
        let (mut bare, mut replayed) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let started = Instant::now();
            for request in &recorded {
                let mut builder = client.post(&url).body(request.body.clone());
                for (name, value) in &request.headers {
                    builder = builder.header(name, value);
                }
                let response = builder.send().await.unwrap();
                drop(response.bytes().await);
            }
            bare.push(REQUESTS as f64 / started.elapsed().as_secs_f64());

            let started = Instant::now();
            let prepared = prepare(&recorded, &options).unwrap();
            let done = send(prepared, &options, |_| {}).await;
            assert!(done.iter().all(|request| request.status == Some(200)));
            replayed.push(REQUESTS as f64 / started.elapsed().as_secs_f64());
        }
        let (bare, replayed) = (median(bare), median(replayed));
        println!("bare client loop, same requests   {bare:>10.0} req/s");
        println!(
            "calsim replay (re-sign, shift, fresh uids) {replayed:>10.0} req/s  ({:.2}x)",
            replayed / bare
        );
    });
}
