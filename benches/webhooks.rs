//! Signed webhook deliveries per second to a local sink, as a ratio to a bare HTTP
//! client loop posting the same bytes in the same run; and sign + verify operations per
//! second. Loopback only; every loop is bounded in time.
//!
//! `cargo bench --bench webhooks`

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use calsim::delivery::{deliver, Outgoing, WebhookClient, JSON};
use calsim::signing::{signature, verify, Verification};
use calsim::trigger::TriggerEvent;
use calsim::Journal;

const TASKS: usize = 16;
const RUN: Duration = Duration::from_secs(2);
const ROUNDS: usize = 3;

async fn sink() -> String {
    let app = axum::Router::new().route("/hook", post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// Runs `TASKS` loops of `one` for `RUN` and returns completions per second.
async fn rate<F, Fut>(one: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let until = started + RUN;
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let one = one.clone();
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < until && done < 5_000_000 {
                    one().await;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
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
        let at: jiff::Timestamp = "2025-06-01T12:00:00Z".parse().unwrap();
        let body = calsim::payload::build_body(TriggerEvent::Ping, &calsim::payload::iso_string(at), calsim::payload::ping_data(at));
        let client = calsim::http_client::build(Duration::from_secs(5));
        let webhooks = WebhookClient::new(Duration::from_secs(5));
        let journal = Arc::new(Journal::default());
        let same_request = Outgoing::signed(&url, body.clone(), JSON, Some("secret"), true);
        let (mut bare, mut bare_same, mut signed) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let (client_a, url_a, body_a) = (client.clone(), url.clone(), body.clone());
            bare.push(
                rate(move || {
                    let request = client_a.post(&url_a).header("content-type", JSON).body(body_a.clone()).send();
                    async move {
                        let response = request.await.expect("the sink answers");
                        response.bytes().await.expect("a body");
                    }
                })
                .await,
            );
            let (client_s, same) = (client.clone(), same_request.clone());
            bare_same.push(
                rate(move || {
                    let request = client_s.post(&same.url).headers(same.headers.clone()).body(same.body.clone()).send();
                    async move {
                        let response = request.await.expect("the sink answers");
                        response.bytes().await.expect("a body");
                    }
                })
                .await,
            );
            let (client_b, url_b, body_b, journal_b) = (webhooks.clone(), url.clone(), body.clone(), Arc::clone(&journal));
            signed.push(
                rate(move || {
                    let (client, url, body, journal) = (client_b.clone(), url_b.clone(), body_b.clone(), Arc::clone(&journal_b));
                    async move {
                        let outgoing = Outgoing::signed(&url, body, JSON, Some("secret"), true);
                        let attempt = deliver(&client, &outgoing, Duration::from_secs(5), Some(&journal)).await;
                        assert!(attempt.success);
                    }
                })
                .await,
            );
            journal.clear();
        }
        let (bare, bare_same, signed) = (median(bare), median(bare_same), median(signed));
        println!("webhook deliveries to a local sink, {TASKS} concurrent senders, median of {ROUNDS} × {RUN:?}");
        println!("bare client loop, one header         {bare:>9.0} req/s  1.00x");
        println!("bare client loop, Cal.com's request  {bare_same:>9.0} req/s  {:.2}x", bare_same / bare);
        println!("calsim: sign, build, send, journal   {signed:>9.0} req/s  {:.2}x the same request, {:.2}x one header", signed / bare_same, signed / bare);
        let kib = "x".repeat(1024);
        let header = signature(Some("secret"), kib.as_bytes());
        let started = Instant::now();
        let mut count = 0u64;
        while started.elapsed() < Duration::from_millis(700) {
            let sig = signature(Some("secret"), std::hint::black_box(kib.as_bytes()));
            assert_eq!(verify("secret", kib.as_bytes(), Some(&header)), Verification::Valid);
            std::hint::black_box(sig);
            count += 1;
        }
        println!("sign + verify, 1 KiB body        {:>9.0} ops/s", count as f64 / started.elapsed().as_secs_f64());
    });
}
