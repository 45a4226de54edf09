//! `calsim replay`: recorded deliveries sent again to a URL, re-signed and rewritten when
//! asked.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use calsim::replay::recording;
use calsim::replay::replayer::{self, ReplayOptions};

/// Send a recording (`receive --record`, `proxy --record` or a HAR file) to a URL again.
#[derive(Debug, clap::Args)]
pub struct ReplayCommand {
    /// The recording (JSON lines or HAR); it is never modified.
    file: PathBuf,
    /// Where to send every request.
    #[arg(long, value_name = "URL")]
    to: String,
    /// Append each recorded path and query to --to's origin instead of using --to as is.
    #[arg(long)]
    keep_path: bool,
    /// Re-sign every body for this secret (`X-Cal-Signature-256`).
    #[arg(long, value_name = "SECRET")]
    secret: Option<String>,
    /// Move every time in JSON bodies so the first `createdAt` lands here (RFC 3339, or
    /// `now`); spacing and text forms are kept.
    #[arg(long, value_name = "WHEN")]
    shift_time: Option<String>,
    /// Give bookings new uids, consistently across the recording.
    #[arg(long)]
    fresh_uids: bool,
    /// At most this many requests per second.
    #[arg(long, value_name = "N")]
    rate: Option<f64>,
    /// Only these triggers, comma-separated (e.g. BOOKING_CREATED,BOOKING_CANCELLED).
    #[arg(long, value_name = "TRIGGER,...", value_delimiter = ',')]
    only: Vec<String>,
    /// Print what would be sent, send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Seed of --fresh-uids (the same seed gives the same uids).
    #[arg(long)]
    seed: Option<u64>,
    /// Give up on each answer after this many milliseconds.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
}

impl ReplayCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let text = std::fs::read_to_string(&self.file).map_err(|error| {
            anyhow::anyhow!("cannot read the recording {}: {error}", self.file.display())
        })?;
        let recorded = recording::read(&text, &self.file.display().to_string())?;
        let shift_to = match self.shift_time.as_deref() {
            None => None,
            Some("now") => Some(jiff::Timestamp::now()),
            Some(when) => Some(when.parse().map_err(|error| {
                anyhow::anyhow!("--shift-time {when}: {error}; write an RFC 3339 time such as 2030-01-01T09:00:00Z, or now")
            })?),
        };
        let options = ReplayOptions {
            to: self.to,
            keep_path: self.keep_path,
            secret: self.secret,
            shift_to,
            fresh_uids: self.fresh_uids,
            rate: self.rate,
            only: self.only,
            timeout: Duration::from_millis(self.timeout_ms),
            seed: self.seed,
        };
        let prepared = replayer::prepare(&recorded, &options)?;
        let mut stdout = std::io::stdout();
        if self.dry_run {
            for request in &prepared {
                let note = request
                    .note
                    .as_deref()
                    .map(|note| format!(" [{note}]"))
                    .unwrap_or_default();
                writeln!(
                    stdout,
                    "#{} {} {} {} ({} bytes){note}",
                    request.position,
                    request.trigger.as_deref().unwrap_or("-"),
                    request.method,
                    request.url,
                    request.body.len()
                )?;
            }
            writeln!(stdout, "dry run: {} requests, nothing sent", prepared.len())?;
            return Ok(super::EXIT_OK);
        }
        let replayed = replayer::send(prepared, &options, |done| {
            let _ = writeln!(std::io::stdout(), "{}", done.line());
        })
        .await;
        let accepted = replayed.iter().filter(|done| done.accepted()).count();
        writeln!(
            stdout,
            "{} sent, {accepted} accepted (2xx), {} not",
            replayed.len(),
            replayed.len() - accepted
        )?;
        Ok(if accepted == replayed.len() {
            super::EXIT_OK
        } else {
            super::EXIT_CHECK_FAILED
        })
    }
}
