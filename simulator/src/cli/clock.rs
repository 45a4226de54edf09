//! `calsim clock`: read and move a running fake Cal.com's virtual clock.

use serde_json::{json, Value};

/// Show or move the virtual clock of a running `calsim serve` (token expiry and
/// scheduled webhooks follow it).
#[derive(Debug, clap::Args)]
pub struct ClockCommand {
    #[command(flatten)]
    target: crate::cli::control::Target,
    #[command(subcommand)]
    action: Option<ClockAction>,
}

#[derive(Debug, clap::Subcommand)]
enum ClockAction {
    /// The clock's time and its offset from real time (the default).
    Show,
    /// Move forward and run what fell due: `advance 1d`, `advance --to ISO`, `advance --next`.
    Advance {
        /// How far: `90s`, `30m`, `2h`, `1d`, or milliseconds.
        by: Option<String>,
        /// To this RFC 3339 time instead.
        #[arg(long, conflicts_with_all = ["by", "next"])]
        to: Option<String>,
        /// To the next scheduled job (a meeting's start or end, a retry, a form follow-up).
        #[arg(long, conflicts_with = "by")]
        next: bool,
    },
}

/// `90s`, `30m`, `2h`, `1d` or plain milliseconds.
fn milliseconds(text: &str) -> anyhow::Result<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: i64 = number.parse().map_err(|_| {
        anyhow::anyhow!("`{text}`: write a duration such as 90s, 30m, 2h, 1d or 3600000 (ms)")
    })?;
    let factor = match unit {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        other => anyhow::bail!("unknown unit `{other}` in `{text}`; use ms, s, m, h or d"),
    };
    Ok(number * factor)
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |at| at.to_string())
}

impl ClockCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let target = &self.target;
        let answer = match self.action.unwrap_or(ClockAction::Show) {
            ClockAction::Show => {
                target
                    .call(reqwest::Method::GET, "/_calsim/clock", None, None)
                    .await?
            }
            ClockAction::Advance { by, to, next } => {
                let body = match (by, to, next) {
                    (Some(by), None, false) => json!({ "ms": milliseconds(&by)? }),
                    (None, Some(to), false) => json!({ "to": to }),
                    (None, None, true) => json!({ "next": true }),
                    _ => anyhow::bail!("say how far: `calsim clock advance 1d`, `--to 2030-01-01T10:00:00Z` or `--next`"),
                };
                target
                    .call(
                        reqwest::Method::POST,
                        "/_calsim/clock/advance",
                        Some(body),
                        None,
                    )
                    .await?
            }
        };
        target.finish(answer, |answer| {
            let now = answer["nowMs"].as_i64().unwrap_or_default();
            let offset = answer["offsetMs"].as_i64().unwrap_or_default();
            let mut lines = vec![format!(
                "clock {} ({:+} min from real time)",
                iso(now),
                offset / 60_000
            )];
            if let Some(dispatched) = answer["dispatched"].as_array() {
                for delivery in dispatched {
                    let status = delivery
                        .pointer("/attempt/status")
                        .map_or("no answer".to_owned(), Value::to_string);
                    lines.push(format!(
                        "  fired to {} -> {status}",
                        delivery["subscriberUrl"].as_str().unwrap_or("?")
                    ));
                }
                lines.push(format!("{} deliveries", dispatched.len()));
            }
            lines
        })
    }
}
