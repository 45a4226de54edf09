//! The web inspector in headless Chromium (Debian's `chromium`, driven by playwright-core
//! from `oracle/`; `.ci/run` installs both): the page loads without a console error,
//! shows the push and the delivery made during the test, follows the journal live, and
//! its "fire a trigger" action works. `CALSIM_SCREENSHOTS=docs` refreshes the
//! screenshots in `docs/`.

use std::net::SocketAddr;
use std::process::Command;

use calsim::receiver::{Receiver, ReceiverConfig};
use calsim::trigger::TriggerEvent;
use calsim::Simulator;
use serde_json::{json, Value};

/// Whether Chromium is here. `.ci/run` installs it and sets `CALSIM_REQUIRE_CHROMIUM`, so
/// CI never skips; on a machine without it the browser tests say so and pass.
fn chromium_present() -> bool {
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let present = std::path::Path::new(&path).exists();
    assert!(
        present || std::env::var_os("CALSIM_REQUIRE_CHROMIUM").is_none(),
        "Chromium is required here: apt-get install chromium (or set CHROMIUM=/path)"
    );
    if !present {
        eprintln!("skipping the inspector's browser test: no Chromium at {path} (apt-get install chromium; .ci/run does)");
    }
    present
}

fn drive(base: &str, screenshots: bool) -> Value {
    let root = env!("CARGO_MANIFEST_DIR");
    assert!(
        std::path::Path::new(root)
            .join("oracle/node_modules/playwright-core")
            .exists(),
        "playwright-core is not installed: run `npm ci --prefix oracle`"
    );
    let mut command = Command::new("node");
    command
        .arg(format!("{root}/oracle/inspector.cjs"))
        .arg(base);
    if let (true, Ok(folder)) = (screenshots, std::env::var("CALSIM_SCREENSHOTS")) {
        command.arg(std::path::Path::new(root).join(folder));
    }
    let output = command
        .output()
        .expect("node runs (install Node.js 20+; .ci/run does)");
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|error| {
        panic!(
            "the driver printed {text:?} ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_shows_pushes_and_deliveries_live_and_its_actions_work() {
    if !chromium_present() {
        return;
    }
    let receiver = Receiver::start(
        ReceiverConfig {
            accept_missing_connection_id: true,
            ..ReceiverConfig::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let simulator = Simulator::builder()
        .subscription(
            format!("{}/hook", receiver.url()),
            &[TriggerEvent::BookingCreated, TriggerEvent::BookingCancelled],
            Some("s3cret"),
        )
        .start()
        .await
        .unwrap();
    let (status, _) = simulator
        .push_credential(
            1,
            "zoom",
            &json!({"access_token": "ya29.inspector-token", "expiry_date": 4_102_444_800_000_i64}),
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();
    let base = simulator.url();

    let result = tokio::task::spawn_blocking(move || drive(&base, true))
        .await
        .unwrap();

    assert!(result.get("driverError").is_none(), "{result}");
    assert_eq!(result["consoleErrors"], json!([]), "{result}");
    let surfaces = result["surfaces"].as_array().unwrap();
    assert!(
        surfaces.contains(&json!("app-credential")) && surfaces.contains(&json!("webhook")),
        "{result}"
    );
    assert_eq!(result["rowsBefore"], 2, "{result}");
    assert!(
        result["detail"].as_str().unwrap().contains("webhook"),
        "the newest row's detail: {result}"
    );
    assert!(
        !result["detail"]
            .as_str()
            .unwrap()
            .contains("ya29.inspector-token"),
        "tokens stay masked"
    );
    assert_eq!(
        result["rowsAfterFire"], 3,
        "the fired delivery arrived live: {result}"
    );
    assert!(
        result["liveAfterFire"]
            .as_array()
            .unwrap()
            .contains(&json!("BOOKING_CANCELLED")),
        "{result}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calsim_receive_serves_the_inspector_too() {
    if !chromium_present() {
        return;
    }
    let receiver = Receiver::start(
        ReceiverConfig {
            secret: Some("s3cret".into()),
            accept_missing_connection_id: true,
            ..ReceiverConfig::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let simulator = Simulator::builder()
        .subscription(
            format!("{}/hook", receiver.url()),
            &[TriggerEvent::BookingCreated],
            Some("s3cret"),
        )
        .start()
        .await
        .unwrap();
    simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap();
    let base = receiver.url();

    let result = tokio::task::spawn_blocking(move || drive(&base, false))
        .await
        .unwrap();

    assert!(result.get("driverError").is_none(), "{result}");
    assert_eq!(result["consoleErrors"], json!([]), "{result}");
    assert_eq!(result["surfaces"], json!(["webhook-received"]), "{result}");
    assert!(
        result["detail"]
            .as_str()
            .unwrap()
            .contains("\"signature\": \"valid\""),
        "the verdict shows: {result}"
    );
}
