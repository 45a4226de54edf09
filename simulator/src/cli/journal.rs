//! `calsim journal`: read a running fake Cal.com's journal.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Export the journal of a running `calsim serve` (HAR 1.2 for browser dev tools and HTTP
/// clients).
#[derive(Debug, clap::Args)]
pub struct JournalCommand {
    /// The running calsim.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:3000")]
    from: String,
    /// Write the journal as HAR 1.2 to this file (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    har: PathBuf,
    /// Only one surface (webhook, pull, app-credential, ...).
    #[arg(long)]
    surface: Option<String>,
}

impl JournalCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let mut url = format!("{}/_calsim/journal.har", self.from.trim_end_matches('/'));
        if let Some(surface) = &self.surface {
            url.push_str(&format!("?surface={surface}"));
        }
        let client = calsim::net::http_client::build(Duration::from_secs(10));
        let response = client.get(&url).send().await.map_err(|error| {
            anyhow::anyhow!(
                "{url}: {}; is `calsim serve` running there?",
                calsim::net::http_client::describe_error(&error, Duration::from_secs(10))
            )
        })?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            anyhow::bail!(
                "{url} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        if self.har.as_os_str() == "-" {
            std::io::stdout().write_all(&body)?;
        } else {
            std::fs::write(&self.har, &body)
                .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", self.har.display()))?;
            let entries = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|har| {
                    har.pointer("/log/entries")
                        .and_then(|e| e.as_array())
                        .map(Vec::len)
                })
                .unwrap_or(0);
            writeln!(
                std::io::stdout(),
                "wrote {entries} entries to {}",
                self.har.display()
            )?;
        }
        Ok(super::EXIT_OK)
    }
}
