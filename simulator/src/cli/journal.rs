//! `calsim journal`: read a running calsim's journal: one line per exchange, JSON lines
//! (`--json`), live (`--follow`), or a HAR 1.2 file (`--har`).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;

/// Read the journal of a running `calsim serve` or `calsim receive`.
#[derive(Debug, clap::Args)]
pub struct JournalCommand {
    /// The running calsim.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:3000")]
    from: String,
    /// Write the journal as HAR 1.2 to this file (`-`: stdout) instead of printing it.
    #[arg(long, value_name = "FILE")]
    har: Option<PathBuf>,
    /// Only one surface (webhook, pull, app-credential, provider, ...).
    #[arg(long)]
    surface: Option<String>,
    /// One JSON object per line (secrets masked) instead of one sentence per exchange.
    #[arg(long)]
    json: bool,
    /// Keep printing new exchanges as they happen (until Ctrl-C).
    #[arg(long)]
    follow: bool,
}

/// `#12 webhook POST http://... -> 200 [BOOKING_CREATED]`.
fn line(entry: &Value) -> String {
    let body = entry["request"]["body"].as_str().unwrap_or_default();
    let trigger = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|json| json.get("triggerEvent")?.as_str().map(str::to_owned))
        .map(|trigger| format!(" [{trigger}]"))
        .unwrap_or_default();
    let outcome = entry["response"]["status"].as_u64().map_or_else(
        || format!("no answer ({})", entry["error"].as_str().unwrap_or("?")),
        |status| status.to_string(),
    );
    format!(
        "#{} {} {} {} {} -> {outcome}{trigger}",
        entry["id"],
        entry["at"].as_str().unwrap_or_default(),
        entry["surface"].as_str().unwrap_or_default(),
        entry["request"]["method"].as_str().unwrap_or_default(),
        entry["request"]["url"].as_str().unwrap_or_default(),
    )
}

impl JournalCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let base = self.from.trim_end_matches('/').to_owned();
        let query = self
            .surface
            .as_ref()
            .map(|surface| format!("?surface={surface}"))
            .unwrap_or_default();
        let timeout = Duration::from_secs(10);
        let client = calsim::net::http_client::build(timeout);
        let fetch = |path: String| {
            let client = client.clone();
            async move {
                let response = client.get(&path).send().await.map_err(|error| {
                    anyhow::anyhow!(
                        "{path}: {}; is calsim running there?",
                        calsim::net::http_client::describe_error(&error, timeout)
                    )
                })?;
                let status = response.status();
                let body = response.bytes().await?;
                if !status.is_success() {
                    anyhow::bail!(
                        "{path} answered {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
                Ok::<_, anyhow::Error>(body)
            }
        };
        let mut stdout = std::io::stdout();
        if let Some(har) = &self.har {
            let body = fetch(format!("{base}/_calsim/journal.har{query}")).await?;
            if har.as_os_str() == "-" {
                stdout.write_all(&body)?;
            } else {
                std::fs::write(har, &body)
                    .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", har.display()))?;
                let entries = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|har| {
                        har.pointer("/log/entries")
                            .and_then(Value::as_array)
                            .map(Vec::len)
                    })
                    .unwrap_or(0);
                writeln!(stdout, "wrote {entries} entries to {}", har.display())?;
            }
            return Ok(super::EXIT_OK);
        }
        let print = |entry: &Value, stdout: &mut std::io::Stdout| -> std::io::Result<()> {
            if self.json {
                writeln!(stdout, "{entry}")
            } else {
                writeln!(stdout, "{}", line(entry))
            }
        };
        // Subscribe before reading what is there, so nothing falls between the two; an
        // entry in both is printed once (by id).
        let live = if self.follow {
            Some(
                calsim::net::http_client::build(Duration::from_secs(24 * 3600))
                    .get(format!("{base}/_calsim/journal/live"))
                    .send()
                    .await?,
            )
        } else {
            None
        };
        let body = fetch(format!("{base}/_calsim/journal{query}")).await?;
        let entries: Vec<Value> = serde_json::from_slice(&body)?;
        let mut newest = 0;
        for entry in &entries {
            newest = newest.max(entry["id"].as_u64().unwrap_or_default());
            print(entry, &mut stdout)?;
        }
        stdout.flush()?;
        let Some(live) = live else {
            return Ok(super::EXIT_OK);
        };
        let mut stream = live.bytes_stream();
        let mut pending = String::new();
        while let Some(chunk) = stream.next().await {
            pending.push_str(&String::from_utf8_lossy(&chunk?));
            while let Some(end) = pending.find("\n\n") {
                let event: String = pending.drain(..end + 2).collect();
                for data in event.lines().filter_map(|line| line.strip_prefix("data:")) {
                    let Ok(entry) = serde_json::from_str::<Value>(data.trim()) else {
                        continue;
                    };
                    let wanted = entry["id"].as_u64().unwrap_or_default() > newest
                        && self
                            .surface
                            .as_deref()
                            .is_none_or(|surface| entry["surface"] == surface);
                    if wanted {
                        print(&entry, &mut stdout)?;
                        stdout.flush()?;
                    }
                }
            }
        }
        Ok(super::EXIT_OK)
    }
}
