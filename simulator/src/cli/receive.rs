//! `calsim receive`: a webhook receiver that verifies like Nango and records deliveries.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use calsim::partner::receiver::{Receiver, ReceiverConfig};

/// Receive Cal.com webhooks: verify, record (JSON lines, raw body kept), forward.
#[derive(Debug, clap::Args)]
pub struct Receive {
    /// Port to listen on.
    #[arg(long, default_value_t = 4000)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The webhook secret; without it deliveries are accepted unverified.
    #[arg(long)]
    secret: Option<String>,
    /// Append one JSON line per delivery to this file.
    #[arg(long)]
    record: Option<PathBuf>,
    /// Forward accepted deliveries to this URL in Nango's envelope.
    #[arg(long)]
    forward: Option<String>,
    /// Deviation from Nango's code: accept deliveries without a nangoConnectionId (200, as
    /// Nango's guide describes) instead of answering 400.
    #[arg(long)]
    accept_missing_connection_id: bool,
    /// Deviation from Nango's code: refuse signatures Node's lenient hex decoding lets
    /// through (upper case, junk after the 64 digits).
    #[arg(long)]
    strict_signatures: bool,
}

impl Receive {
    pub async fn run(self) -> anyhow::Result<u8> {
        let verified = if self.secret.is_some() {
            "signatures verified"
        } else {
            "signatures NOT verified (no --secret)"
        };
        let receiver = Receiver::start(
            ReceiverConfig {
                secret: self.secret,
                record: self.record,
                forward: self.forward,
                accept_missing_connection_id: self.accept_missing_connection_id,
                strict_signatures: self.strict_signatures,
            },
            SocketAddr::new(self.host, self.port),
        )
        .await?;
        let banner = format!(
            "calsim: webhook receiver ({verified}) listening on {}\n\nPress Ctrl-C to stop.\n",
            receiver.url()
        );
        std::io::stdout().write_all(banner.as_bytes())?;
        std::io::stdout().flush()?;
        receiver.wait_for_ctrl_c().await;
        Ok(super::EXIT_OK)
    }
}
