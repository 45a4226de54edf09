//! Soak: pushes and webhook deliveries at concurrency 64, loopback only, then RSS is back
//! on a plateau, the journal kept a contiguous run of the newest entries within its
//! limits, and its ids count exactly what was exchanged. The default run sends 12,000 of
//! each (more than the journal keeps); the full soak of 100,000 each:
//!
//! `CALSIM_SOAK=100000 cargo test --release --test soak`

use std::sync::Arc;
use std::time::Duration;

use calsim::crypto::{symmetric_encrypt, EncryptionKey};
use calsim::delivery::{deliver, Outgoing, JSON};
use calsim::Simulator;

const CONCURRENCY: usize = 64;

/// How many pushes and deliveries to send (`CALSIM_SOAK`, default 12,000).
fn each() -> usize {
    std::env::var("CALSIM_SOAK")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(12_000)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn pushes(simulator: &Simulator, count: usize) {
    let config = simulator.calcom().config();
    let key = EncryptionKey::from_env_string(&config.encryption_key).unwrap();
    let url = format!("{}/api/webhook/app-credential", simulator.url());
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (client, url, key, secret, header) = (
            client.clone(),
            url.clone(),
            key.clone(),
            config.sync_secret.clone(),
            config.push_header_name().to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            for index in (worker..count).step_by(CONCURRENCY) {
                let keys =
                    symmetric_encrypt(&format!(r#"{{"access_token":"soak-{index}"}}"#), &key);
                let body = format!(
                    r#"{{"userId":{},"appSlug":"zoom","keys":"{keys}"}}"#,
                    1 + index % 5
                );
                let status = client
                    .post(&url)
                    .header(&header, &secret)
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(status, 200);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

async fn deliveries(simulator: &Simulator, sink: &str, count: usize) {
    let client = calsim::delivery::WebhookClient::new(Duration::from_secs(10));
    let journal = Arc::clone(simulator.calcom());
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (client, sink, calcom) = (client.clone(), sink.to_owned(), Arc::clone(&journal));
        tasks.push(tokio::spawn(async move {
            for index in (worker..count).step_by(CONCURRENCY) {
                let body = format!(r#"{{"triggerEvent":"PING","createdAt":"2024-01-01T00:00:00.000Z","payload":{{"n":{index}}}}}"#);
                let outgoing = Outgoing::signed(&sink, body, JSON, Some("s3cret"), true);
                let attempt = deliver(&client, &outgoing, Duration::from_secs(10), Some(&calcom.journal)).await;
                assert!(attempt.success);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_pushes_and_deliveries_stay_bounded() {
    let each = each();
    // Enough to fill the default journal first, so the plateau is measured with it full.
    let warm_up = (each / 10).max(calsim::Journal::DEFAULT_CAPACITY / 2 + 1_000);
    let simulator = Simulator::start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(|| async { "ok" })).await
    });

    pushes(&simulator, warm_up).await;
    deliveries(&simulator, &sink, warm_up).await;
    let warmed = rss_kib();
    pushes(&simulator, each).await;
    deliveries(&simulator, &sink, each).await;
    let after = rss_kib();

    let journal = &simulator.calcom().journal;
    let kept = journal.entries(None);
    let total = 2 * (each + warm_up) as u64;
    assert_eq!(kept.last().unwrap().id, total, "every exchange got an id");
    for pair in kept.windows(2) {
        assert_eq!(
            pair[1].id,
            pair[0].id + 1,
            "nothing lost within the kept run"
        );
    }
    assert!(kept.len() <= calsim::Journal::DEFAULT_CAPACITY);
    assert!(journal.bytes() <= calsim::Journal::DEFAULT_MAX_BYTES);
    assert!(
        after < warmed + 16 * 1024,
        "RSS grew from {warmed} KiB to {after} KiB after the load, with the journal full"
    );
}
