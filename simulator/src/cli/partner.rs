//! `calsim partner`: a fake partner sync endpoint, like Cal.com's example partner app.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use calsim::partner::{Fault, Partner, PartnerConfig, Reply, Slugs, TokenStyle};

/// Serve `/api/getToken` for Cal.com's pulls, with scriptable replies.
#[derive(Debug, clap::Args)]
pub struct PartnerCommand {
    /// Port to listen on.
    #[arg(long, default_value_t = 5100)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The shared secret (default: CALCOM_CREDENTIAL_SYNC_SECRET, else calsim's dev secret).
    #[arg(long, env = "CALCOM_CREDENTIAL_SYNC_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// The header carrying it.
    #[arg(
        long,
        env = "CALCOM_CREDENTIAL_SYNC_HEADER_NAME",
        default_value = "calcom-credential-sync-secret"
    )]
    header_name: String,
    /// How tokens are made.
    #[arg(long, value_enum, default_value_t = TokenStyle::Reference)]
    token_style: TokenStyle,
    /// The token (static) or its prefix (reference, rotating).
    #[arg(long)]
    token: Option<String>,
    /// Add `"expires_in": N` (seconds) to replies.
    #[arg(long)]
    expires_in: Option<i64>,
    /// Add `"expiry_date": now + N` (epoch ms) to replies.
    #[arg(long)]
    expiry_in_ms: Option<i64>,
    /// Add a `refresh_token` to replies.
    #[arg(long)]
    refresh_token: Option<String>,
    /// Answer with this status.
    #[arg(long)]
    status: Option<u16>,
    /// Answer with a fault instead of a token.
    #[arg(long, value_enum)]
    fault: Option<Fault>,
    /// Wait this long before answering (at most 60000).
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// App slugs to mint tokens for, comma-separated; `*` for all.
    #[arg(long, default_value = "google-calendar,zoom")]
    slugs: String,
}

impl PartnerCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let slugs = if self.slugs.trim() == "*" {
            Slugs::All
        } else {
            Slugs::Only(
                self.slugs
                    .split(',')
                    .map(|slug| slug.trim().to_owned())
                    .filter(|slug| !slug.is_empty())
                    .collect(),
            )
        };
        let config = PartnerConfig {
            secret: self
                .secret
                .unwrap_or_else(|| calsim::Config::default().sync_secret),
            header_name: self.header_name,
            default_reply: Reply {
                style: self.token_style,
                token: self.token,
                expires_in: self.expires_in,
                expiry_in_ms: self.expiry_in_ms,
                refresh_token: self.refresh_token,
                status: self.status,
                fault: self.fault,
                delay_ms: self.delay_ms,
            },
            slugs,
        };
        let header = config.header_name.clone();
        let partner = Partner::builder()
            .config(config)
            .address(SocketAddr::new(self.host, self.port))
            .start()
            .await?;
        let banner = format!(
            "calsim: fake partner listening on {url}\n\n\
             Sync endpoint:  POST {endpoint} (secret header `{header}`)\n\
             Script replies: POST {url}/_calsim/partner/replies\n\
             Requests seen:  GET {url}/_calsim/partner/requests\n\n\
             Cal.com .env line:\n  CALCOM_CREDENTIAL_SYNC_ENDPOINT={endpoint}\n\n\
             Press Ctrl-C to stop.\n",
            url = partner.url(),
            endpoint = partner.sync_endpoint_url(),
        );
        std::io::stdout().write_all(banner.as_bytes())?;
        std::io::stdout().flush()?;
        partner.wait_for_ctrl_c().await;
        Ok(super::EXIT_OK)
    }
}
