//! `calsim trigger` and `calsim ping`: send one webhook exactly as Cal.com would.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use calsim::net::delivery::{self, Outgoing};
use calsim::protocol::js_value::JsValue;
use calsim::protocol::payload;
use calsim::protocol::trigger::TriggerEvent;
use serde_json::Value;

/// Where and how to send.
#[derive(Debug, clap::Args)]
struct Target {
    /// The subscriber URL (its query string is kept, as Cal.com keeps it).
    #[arg(long)]
    to: String,
    /// The webhook's secret; without one the signature is `no-secret-provided`.
    #[arg(long)]
    secret: Option<String>,
    /// Leave out `X-Cal-Webhook-Version` (older Cal.com).
    #[arg(long)]
    no_version_header: bool,
    /// Give up after this long.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
}

/// Send one delivery of a trigger (like `stripe trigger`).
#[derive(Debug, clap::Args)]
pub struct Trigger {
    /// The trigger, e.g. BOOKING_CREATED.
    trigger: TriggerEvent,
    #[command(flatten)]
    target: Target,
    /// The event data as Cal.com holds it before sending (JSON); default: calsim's example.
    #[arg(long)]
    payload: Option<PathBuf>,
    /// `createdAt` (ISO 8601); default: now. With --payload the body is reproducible.
    #[arg(long)]
    created_at: Option<String>,
    /// A payloadTemplate file, rendered as Cal.com renders it (Handlebars, JSON or form).
    #[arg(long)]
    template: Option<PathBuf>,
}

/// Send Cal.com's test delivery (`PING`).
#[derive(Debug, clap::Args)]
pub struct Ping {
    #[command(flatten)]
    target: Target,
}

impl Trigger {
    pub async fn run(self) -> anyhow::Result<u8> {
        let text = match &self.payload {
            Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read --payload {}", path.display()))?,
            None => payload::built_in(self.trigger)
                .ok_or_else(|| anyhow::anyhow!("calsim has no example data for {} yet; pass the event data with --payload FILE", self.trigger))?
                .to_owned(),
        };
        let data = match JsValue::parse(&text).map(Value::from) {
            Ok(Value::Object(data)) => data,
            Ok(_) => anyhow::bail!(
                "the payload must be a JSON object (the event data Cal.com sends as `payload`)"
            ),
            Err(error) => anyhow::bail!("the payload is not JSON: {error}"),
        };
        let created_at = match &self.created_at {
            Some(at) => {
                let at: jiff::Timestamp = at
                    .parse()
                    .with_context(|| format!("--created-at `{at}` is not an ISO 8601 instant"))?;
                payload::iso_string(at)
            }
            None => payload::iso_string(jiff::Timestamp::now()),
        };
        let (body, content_type) = match &self.template {
            Some(path) => {
                let template = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read --template {}", path.display()))?;
                let rendered =
                    payload::build_templated_body(&template, self.trigger, &created_at, data)?;
                (rendered.body, rendered.content_type)
            }
            None => (
                payload::build_body(self.trigger, &created_at, data),
                delivery::JSON,
            ),
        };
        send(&self.target, body, content_type).await
    }
}

impl Ping {
    pub async fn run(self) -> anyhow::Result<u8> {
        let now = jiff::Timestamp::now();
        let body = payload::build_body(
            TriggerEvent::Ping,
            &payload::iso_string(now),
            payload::ping_data(now),
        );
        send(&self.target, body, delivery::JSON).await
    }
}

async fn send(target: &Target, body: String, content_type: &'static str) -> anyhow::Result<u8> {
    let timeout = Duration::from_millis(target.timeout_ms);
    let outgoing = Outgoing::signed(
        &target.to,
        body,
        content_type,
        target.secret.as_deref(),
        !target.no_version_header,
    );
    let client = delivery::WebhookClient::new(timeout);
    let attempt = delivery::deliver(&client, &outgoing, timeout, None).await;
    match attempt.status {
        Some(status) => {
            writeln!(std::io::stdout(), "{status}")?;
            tracing::info!("subscriber answered {status}: {}", attempt.response_excerpt);
            Ok(if attempt.success {
                super::EXIT_OK
            } else {
                super::EXIT_CHECK_FAILED
            })
        }
        None => anyhow::bail!(
            "no answer from {}: {}",
            target.to,
            attempt.error.unwrap_or_default()
        ),
    }
}
