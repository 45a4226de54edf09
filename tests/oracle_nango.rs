//! Differential: random webhook deliveries sent to `calsim receive` and to Nango's route
//! on the real Express 5 (`oracle/nango.cjs`), with and without a secret; status and body
//! must be identical.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use calsim::receiver::{Receiver, ReceiverConfig};
use calsim::signing::signature;
use proptest::prelude::*;

const SECRET: &str = "nango-webhook-secret";

/// `node oracle/nango.cjs`, stopped when dropped (its stdin closes).
struct Nango {
    child: Child,
    url: String,
}

impl Nango {
    fn start(secret: &str) -> Nango {
        let root = env!("CARGO_MANIFEST_DIR");
        assert!(
            std::path::Path::new(root)
                .join("oracle/node_modules/express")
                .exists(),
            "the JavaScript oracle is not installed: run `npm ci --prefix oracle`"
        );
        let mut child = Command::new("node")
            .arg(format!("{root}/oracle/nango.cjs"))
            .env("NANGO_SECRET", secret)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        let mut port = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut port)
            .expect("the oracle prints its port");
        let url = format!("http://127.0.0.1:{}", port.trim());
        Nango { child, url }
    }
}

impl Drop for Nango {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Debug)]
struct Delivery {
    content_type: Option<&'static str>,
    body: String,
    signature: Option<String>,
    query: &'static str,
}

fn delivery() -> impl Strategy<Value = Delivery> {
    let body = prop::sample::select(vec![
        r#"{"triggerEvent":"BOOKING_CREATED","payload":{"title":"Zoë ✓"}}"#,
        r#"{"triggerEvent":"PING","nangoConnectionId":"conn-1"}"#,
        r#"{"nangoConnectionId":""}"#,
        r#"{"nangoConnectionId":0}"#,
        r#"{"nangoConnectionId":42}"#,
        r#"{"nangoConnectionId":null}"#,
        r#"{"nangoConnectionId":{"a":1}}"#,
        r#"[{"nangoConnectionId":"x"}]"#,
        "",
        "   ",
        "\u{feff}{\"nangoConnectionId\":\"bom\"}",
        r#"{"a":1,}"#,
        r#"{"a":"#,
        r#""text""#,
        "123",
        "null",
        "x=1&nangoConnectionId=form",
        "  [1, 2",
        r#"{"nangoConnectionId":"a","nangoConnectionId":"b"}"#,
    ]);
    let content_type = prop::sample::select(vec![
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("Application/JSON"),
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("application/vnd.api+json"),
        None,
    ]);
    let query = prop::sample::select(vec![
        "",
        "?nangoConnectionId=q1",
        "?nangoConnectionId=",
        "?nangoConnectionId=a&nangoConnectionId=b",
        "?other=1",
        "?nangoConnectionId=%20",
    ]);
    let signature_kind = 0..9u8;
    (body, content_type, query, signature_kind).prop_map(|(body, content_type, query, kind)| {
        let good = signature(Some(SECRET), body.as_bytes());
        let signature = match kind {
            0 => None,
            1 => Some(good),
            2 => Some(good.to_uppercase()),
            3 => Some(format!("{good}zz")),
            4 => Some(format!("sha256={good}")),
            5 => Some("no-secret-provided".to_owned()),
            6 => Some(String::new()),
            7 => Some(good[..62].to_owned()),
            _ => Some(signature(Some("another"), body.as_bytes())),
        };
        Delivery {
            content_type,
            body: body.to_owned(),
            signature,
            query,
        }
    })
}

async fn send(client: &reqwest::Client, base: &str, delivery: &Delivery) -> (u16, String) {
    let mut request = client
        .post(format!(
            "{base}/webhook/env/cal-com-oauth{}",
            delivery.query
        ))
        .body(delivery.body.clone());
    if let Some(content_type) = delivery.content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(signature) = &delivery.signature {
        request = request.header("x-cal-signature-256", signature.as_str());
    }
    let response = request
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("both receivers answer");
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

fn differential(secret: Option<&str>) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let nango = Nango::start(secret.unwrap_or_default());
    let receiver = runtime
        .block_on(Receiver::start(
            ReceiverConfig {
                secret: secret.map(str::to_owned),
                ..ReceiverConfig::default()
            },
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .unwrap();
    let client = reqwest::Client::new();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(400));
    runner
        .run(&delivery(), |delivery| {
            let (ours, theirs) = runtime.block_on(async {
                (
                    send(&client, &receiver.url(), &delivery).await,
                    send(&client, &nango.url, &delivery).await,
                )
            });
            prop_assert_eq!(&ours, &theirs, "{:?}", delivery);
            Ok(())
        })
        .unwrap();
}

#[test]
fn with_a_secret_every_delivery_is_answered_as_nango_does() {
    differential(Some(SECRET));
}

#[test]
fn without_a_secret_every_delivery_is_answered_as_nango_does() {
    differential(None);
}
