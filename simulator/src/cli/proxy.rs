//! `calsim proxy`: a transparent recording proxy in front of a real consumer.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use calsim::replay::proxy::{Proxy, ProxyConfig};

/// Forward every request to URL unchanged and record each exchange (JSON lines that
/// `calsim replay` reads).
#[derive(Debug, clap::Args)]
pub struct ProxyCommand {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 4100)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The upstream: each request goes to this URL followed by its own path and query.
    #[arg(long, value_name = "URL")]
    to: String,
    /// Append one JSON line per exchange here (request, raw body, answer, timing).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Give up on the upstream after this many milliseconds (answered 504).
    #[arg(long, default_value_t = 30_000)]
    timeout_ms: u64,
}

impl ProxyCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let recording = self
            .record
            .as_ref()
            .map_or("not recording (no --record)".to_owned(), |path| {
                format!("recording to {}", path.display())
            });
        let proxy = Proxy::start(
            ProxyConfig {
                upstream: self.to.clone(),
                record: self.record,
                timeout: Duration::from_millis(self.timeout_ms),
            },
            SocketAddr::new(self.host, self.port),
            None,
        )
        .await?;
        let banner = format!(
            "calsim: proxy to {} ({recording}) listening on {}\n\nPress Ctrl-C to stop.\n",
            self.to,
            proxy.url()
        );
        std::io::stdout().write_all(banner.as_bytes())?;
        std::io::stdout().flush()?;
        proxy.wait_for_ctrl_c().await;
        Ok(super::EXIT_OK)
    }
}
