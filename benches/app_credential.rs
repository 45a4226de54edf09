//! Requests per second of the push webhook, as a ratio to a bare axum route measured
//! in the same run on the same machine. Loopback only; every loop is bounded in time.
//!
//! `cargo bench --bench app_credential`

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use bytes::Bytes;
use calsim::crypto::{symmetric_encrypt, EncryptionKey};
use calsim::Simulator;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The allocator the `calsim` binary ships with, for the route and the baseline alike.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const CONNECTIONS: usize = 16;
const WARM_UP: Duration = Duration::from_millis(500);
const MEASURE: Duration = Duration::from_secs(2);
const ROUNDS: usize = 3;
const MAX_REQUESTS_PER_CONNECTION: usize = 2_000_000;

/// One kind of request to one server.
struct Target {
    name: &'static str,
    address: std::net::SocketAddr,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
    expected_status: u16,
}

struct Measurement {
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
}

async fn connection_loop(target: Arc<Target>, until: Instant) -> Vec<Duration> {
    let stream = TcpStream::connect(target.address)
        .await
        .expect("the server accepts connections");
    stream.set_nodelay(true).ok();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("an HTTP/1 handshake");
    tokio::spawn(connection);
    let mut latencies = Vec::with_capacity(4096);
    while Instant::now() < until && latencies.len() < MAX_REQUESTS_PER_CONNECTION {
        let mut request = Request::post("/api/webhook/app-credential").header("host", "127.0.0.1");
        for (name, value) in &target.headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(target.body.clone()))
            .expect("a valid request");
        let started = Instant::now();
        let response = sender.send_request(request).await.expect("an answer");
        let status = response.status().as_u16();
        response.into_body().collect().await.expect("a whole body");
        assert_eq!(
            status, target.expected_status,
            "{} answered {status}",
            target.name
        );
        latencies.push(started.elapsed());
    }
    latencies
}

async fn measure(target: &Arc<Target>, duration: Duration) -> Measurement {
    let started = Instant::now();
    let until = started + duration;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(connection_loop(Arc::clone(target), until)))
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("a connection loop"));
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |fraction: f64| {
        latencies[((latencies.len() as f64 * fraction) as usize).min(latencies.len() - 1)]
    };
    Measurement {
        requests_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

async fn bare_axum() -> std::net::SocketAddr {
    async fn reply(_body: Bytes) -> ([(&'static str, &'static str); 1], &'static str) {
        (
            [("content-type", "application/json")],
            r#"{"message":"Credentials updated for userId: 1"}"#,
        )
    }
    let app = axum::Router::new().route("/api/webhook/app-credential", post(reply));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let baseline = bare_axum().await;
        let simulator = Simulator::start().await.unwrap();
        let config = simulator.calcom().config();
        let key = EncryptionKey::from_env_string(&config.encryption_key).unwrap();
        let keys = symmetric_encrypt(r#"{"access_token":"abc","expiry_date":1700000000000}"#, &key);
        let push = Bytes::from(format!(r#"{{"userId":1,"appSlug":"google-calendar","keys":"{keys}"}}"#));
        let secret = vec![
            (config.push_header_name().to_owned().leak() as &'static str, config.sync_secret.clone()),
            ("content-type", "application/json".to_owned()),
        ];
        let targets = [
            Target { name: "bare axum (baseline)", address: baseline, headers: secret.clone(), body: push.clone(), expected_status: 200 },
            Target { name: "calsim push, update path", address: simulator.address(), headers: secret.clone(), body: push.clone(), expected_status: 200 },
            Target {
                name: "calsim push, wrong secret (403)",
                address: simulator.address(),
                headers: vec![(secret[0].0, "wrong".to_owned()), secret[1].clone()],
                body: push.clone(),
                expected_status: 403,
            },
        ]
        .map(Arc::new);
        for target in &targets {
            measure(target, WARM_UP).await;
        }
        let mut results: Vec<Vec<Measurement>> = targets.iter().map(|_| Vec::new()).collect();
        for _ in 0..ROUNDS {
            for (target, results) in targets.iter().zip(&mut results) {
                results.push(measure(target, MEASURE).await);
                simulator.calcom().journal.clear();
            }
        }
        let median = |results: &mut Vec<Measurement>| {
            results.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
            results.remove(results.len() / 2)
        };
        let medians: Vec<Measurement> = results.iter_mut().map(median).collect();
        let baseline = medians[0].requests_per_second;
        println!("app-credential throughput, {CONNECTIONS} keep-alive connections, median of {ROUNDS} × {MEASURE:?}");
        for (target, measured) in targets.iter().zip(&medians) {
            println!(
                "{:<34} {:>9.0} req/s  p50 {:>7.1} µs  p99 {:>7.1} µs  {:.2}x bare axum",
                target.name,
                measured.requests_per_second,
                measured.p50.as_secs_f64() * 1e6,
                measured.p99.as_secs_f64() * 1e6,
                measured.requests_per_second / baseline,
            );
        }
    });
}
