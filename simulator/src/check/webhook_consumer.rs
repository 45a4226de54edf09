//! `calsim check webhook-consumer`: send a user's webhook endpoint what Cal.com sends —
//! valid deliveries of each trigger, and the tampered ones a verifier must refuse — and
//! judge the answers.
//!
//! Cal.com signs the exact body bytes, so a consumer must verify the **raw** body; one
//! that re-serialises parsed JSON fails on unicode, escapes, key order and number text.
//! A 2xx answer means "accepted" (Cal.com's own rule), anything else "refused".

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::check::{Check, Report};
use crate::net::delivery::{self, Outgoing, FORM, JSON};
use crate::net::http_client;
use crate::protocol::error::Error;
use crate::protocol::js_value::JsValue;
use crate::protocol::payload;
use crate::protocol::signing;
use crate::protocol::trigger::TriggerEvent;

/// What to check.
#[derive(Clone, Debug)]
pub struct WebhookConsumerTarget {
    /// The consumer's URL, as it would be stored in the subscription.
    pub url: String,
    /// The subscription's secret.
    pub secret: String,
    /// How long to wait for each answer.
    pub timeout: Duration,
}

/// Raw bytes that a re-serialising verifier gets wrong: unicode, `\u` and `\/` escapes,
/// unusual key order, `1.50` and `1e2`.
pub const RAW_BYTES_BODY: &str = r#"{"triggerEvent":"BOOKING_CREATED","createdAt":"2024-01-01T00:00:00.000Z","payload":{"title":"R\u00e9union Zoë ✓","url":"https:\/\/cal.example\/x","price":1.50,"length":1e2,"z":1,"a":2,"uid":"calsim-raw-bytes"}}"#;

struct Sender<'a> {
    target: &'a WebhookConsumerTarget,
    client: reqwest::Client,
}

impl Sender<'_> {
    async fn send(
        &self,
        body: &str,
        content_type: &'static str,
        signature: Option<&str>,
    ) -> Result<u16, String> {
        let outgoing = Outgoing::signed(
            &self.target.url,
            body.to_owned(),
            content_type,
            Some(&self.target.secret),
            true,
        )
        .with_signature(signature);
        let attempt = delivery::deliver(&self.client, &outgoing, self.target.timeout, None).await;
        attempt
            .status
            .ok_or_else(|| attempt.error.unwrap_or_default())
    }

    async fn signed(&self, body: &str, content_type: &'static str) -> Result<u16, String> {
        let signature = signing::signature(Some(&self.target.secret), body.as_bytes());
        self.send(body, content_type, Some(&signature)).await
    }
}

fn id(rule: &str) -> String {
    format!("webhook-consumer/{rule}")
}

/// A correctly signed delivery must be accepted. A 401 or 403 means the consumer refused
/// Cal.com's own signature, so the fix names the verification, never the trigger.
fn expect_accepted(rule_id: &str, rule: &str, answer: Result<u16, String>, fix: &str) -> Check {
    expect_accepted_or(rule_id, rule, answer, fix, VERIFY_FIX)
}

/// [`expect_accepted`] with the fix to give when the signature was refused.
fn expect_accepted_or(
    rule_id: &str,
    rule: &str,
    answer: Result<u16, String>,
    fix: &str,
    refused_fix: &str,
) -> Check {
    match answer {
        Ok(status) if (200..300).contains(&status) => Check::pass(id(rule_id), rule),
        Ok(status @ (401 | 403)) => Check::fail(
            id(rule_id),
            rule,
            format!("{status}: a delivery correctly signed with the secret was refused"),
            "a 2xx answer",
            refused_fix,
        ),
        Ok(status) => Check::fail(id(rule_id), rule, format!("{status}"), "a 2xx answer", fix),
        Err(problem) => Check::fail(
            id(rule_id),
            rule,
            format!("no answer: {problem}"),
            "a 2xx answer",
            "answer within the timeout; Cal.com does not wait long and does not retry",
        ),
    }
}

fn expect_refused(rule_id: &str, rule: &str, answer: Result<u16, String>, fix: &str) -> Check {
    match answer {
        Ok(status) if (200..300).contains(&status) => Check::fail(
            id(rule_id),
            rule,
            format!("{status}: the delivery was accepted"),
            "a 4xx answer (Nango: 401)",
            fix,
        ),
        Ok(_) => Check::pass(id(rule_id), rule),
        Err(problem) => Check::fail(
            id(rule_id),
            rule,
            format!("no answer: {problem}"),
            "a 4xx answer",
            "answer every delivery within the timeout",
        ),
    }
}

fn example(trigger: TriggerEvent) -> Option<Map<String, Value>> {
    let text = payload::built_in(trigger)?;
    match JsValue::parse(text).map(Value::from) {
        Ok(Value::Object(data)) => Some(data),
        _ => None,
    }
}

const VERIFY_FIX: &str = "compute HMAC-SHA256 over the raw body bytes with the subscription secret, hex-encode it, and compare it with `x-cal-signature-256` in constant time; refuse with 401 when it is missing or different";

/// Runs every check; fails with [`Error::Peer`] only if nothing answers at all.
pub async fn run(target: &WebhookConsumerTarget) -> Result<Report, Error> {
    let started = Instant::now();
    let sender = Sender {
        target,
        client: http_client::build(target.timeout),
    };
    let created_at = "2024-01-01T00:00:00.000Z";
    let now = jiff::Timestamp::now();
    let ping = payload::build_body(
        TriggerEvent::Ping,
        &payload::iso_string(now),
        payload::ping_data(now),
    );
    let first = sender.signed(&ping, JSON).await;
    if let Err(problem) = &first {
        if problem.starts_with(http_client::CONNECTION_FAILED) {
            return Err(Error::Peer {
                url: target.url.clone(),
                problem: problem.clone(),
            });
        }
    }
    let mut checks = vec![expect_accepted(
        "accepts-ping",
        "Cal.com's test delivery (PING) is accepted",
        first,
        "answer 2xx to PING, Cal.com's test delivery (`triggerEvent: \"PING\"`, a payload without a booking); the subscription page reports any other answer as a failed test",
    )];
    for trigger in TriggerEvent::ALL.iter().copied() {
        let Some(data) = example(trigger) else {
            continue;
        };
        let body = payload::build_body(trigger, created_at, data);
        checks.push(expect_accepted(
            &format!("accepts-{}", trigger.as_str().to_ascii_lowercase().replace('_', "-")),
            &format!("a valid {trigger} delivery is accepted"),
            sender.signed(&body, JSON).await,
            "accept every trigger you subscribed to (answer 2xx even for events you ignore); Cal.com does not retry a failed delivery",
        ));
    }
    let booking = example(TriggerEvent::BookingCreated)
        .map(|data| payload::build_body(TriggerEvent::BookingCreated, created_at, data))
        .unwrap_or_default();
    let wrong = signing::signature(Some("calsim-not-the-secret"), booking.as_bytes());
    checks.push(expect_refused(
        "rejects-a-bad-signature",
        "a delivery signed with another secret is refused",
        sender.send(&booking, JSON, Some(&wrong)).await,
        VERIFY_FIX,
    ));
    checks.push(expect_refused(
        "rejects-a-missing-signature",
        "a delivery without x-cal-signature-256 is refused",
        sender.send(&booking, JSON, None).await,
        VERIFY_FIX,
    ));
    let good = signing::signature(Some(&target.secret), booking.as_bytes());
    let altered = booking.replacen("Guest User", "Guest Usr", 1);
    checks.push(expect_refused(
        "rejects-an-altered-body",
        "a body changed after signing is refused",
        sender.send(&altered, JSON, Some(&good)).await,
        VERIFY_FIX,
    ));
    let raw_bytes_fix = "HMAC the body bytes exactly as received, before any JSON parsing; re-serialising parsed JSON changes escapes, key order and number text";
    checks.push(expect_accepted_or(
        "verifies-raw-bytes",
        "the signature is checked on the raw bytes (unicode, \\u and \\/ escapes, key order, 1.50, 1e2)",
        sender.signed(RAW_BYTES_BODY, JSON).await,
        raw_bytes_fix,
        raw_bytes_fix,
    ));
    let extended = booking.replacen(
        r#""payload":{"#,
        r#""payload":{"calsimFutureField":{"added":true},"#,
        1,
    );
    checks.push(expect_accepted(
        "tolerates-unknown-fields",
        "unknown fields in the payload are tolerated",
        sender.signed(&extended, JSON).await,
        "ignore fields you do not know; Cal.com adds fields over time",
    ));
    let form = "triggerEvent=BOOKING_CREATED&title=Strategy Session&organizer=[object Object]";
    checks.push(expect_accepted(
        "accepts-form-template-bodies",
        "a template body sent as application/x-www-form-urlencoded (not URL-encoded) is accepted",
        sender.signed(form, FORM).await,
        "read the raw body for any content type; Cal.com sends non-JSON templates as form-urlencoded without encoding them",
    ));
    let unsigned = sender
        .send(&booking, JSON, Some(signing::NO_SECRET_PROVIDED))
        .await;
    checks.push(match unsigned {
        Ok(status) if (200..300).contains(&status) => Check::fail(
            id("rejects-no-secret-provided"),
            "`no-secret-provided` is not a signature",
            format!("{status}: the unsigned delivery was accepted"),
            "a 4xx answer when a secret is configured",
            "with a secret configured, treat `no-secret-provided` as a missing signature (it is not hex)",
        ),
        other => expect_refused("rejects-no-secret-provided", "`no-secret-provided` is not a signature", other, VERIFY_FIX),
    });
    let duplicate = sender.signed(&booking, JSON).await;
    checks.push(match duplicate {
        Ok(status) if (200..300).contains(&status) => Check::warn(
            id("duplicate-delivery-policy"),
            "the same delivery sent twice",
            "accepted twice: Cal.com has no delivery id, so deduplicate on payload.uid + triggerEvent if processing twice matters",
        ),
        Ok(status) => Check::warn(id("duplicate-delivery-policy"), "the same delivery sent twice", format!("the repeat got {status}; Cal.com would log it as a failed delivery")),
        Err(problem) => Check::fail(id("duplicate-delivery-policy"), "the same delivery sent twice", format!("no answer: {problem}"), "an answer", "answer every delivery within the timeout"),
    });
    Ok(Report {
        suite: "webhook-consumer".to_owned(),
        target: target.url.clone(),
        checks,
        elapsed: started.elapsed(),
    }
    .scrubbed(&[&target.secret]))
}
