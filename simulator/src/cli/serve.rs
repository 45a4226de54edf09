//! `calsim serve`: a fake Cal.com on loopback, configured like Cal.com.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;

use calsim::config::{ConfigFile, PullHeaders};
use calsim::protocol::zod::ZodVersion;
use calsim::{Config, Profile, Simulator};

/// Settings: embedded defaults < --config file < Cal.com's env vars < these flags.
#[derive(Debug, clap::Args)]
pub struct Serve {
    /// Port to listen on.
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on; loopback by default. Anything else exposes the fake to the network.
    #[arg(long)]
    host: Option<IpAddr>,
    /// Cal.com generation to emulate: 2023-09, 2024-02, 2024-04-pages, current.
    #[arg(long)]
    profile: Option<Profile>,
    /// A TOML config file (keys as in the README).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The shared sync secret (CALCOM_CREDENTIAL_SYNC_SECRET); "" disables sharing.
    #[arg(long)]
    secret: Option<String>,
    /// The secret header name (CALCOM_CREDENTIAL_SYNC_HEADER_NAME).
    #[arg(long)]
    header_name: Option<String>,
    /// The 32-character AES key (CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY).
    #[arg(long)]
    encryption_key: Option<String>,
    /// The partner's sync endpoint (CALCOM_CREDENTIAL_SYNC_ENDPOINT); enables pulls.
    #[arg(long)]
    sync_endpoint: Option<String>,
    /// The admin API key (user 1) for API v1 `?apiKey=` and API v2 `Authorization: Bearer`.
    #[arg(long, visible_alias = "api-key")]
    admin_api_key: Option<String>,
    /// zod major whose 400 issue objects to reproduce (uncertain upstream).
    #[arg(long, value_parser = parse_zod)]
    zod: Option<ZodVersion>,
    /// Default headers on the pull (uncertain upstream: they come from Node's fetch).
    #[arg(long)]
    pull_headers: Option<PullHeaders>,
    /// Look for expiring credentials to pull every N ms; 0 pulls only on demand.
    #[arg(long)]
    auto_refresh_ms: Option<u64>,
    /// Push body size limit in bytes (Next.js Pages Router: 1 MiB).
    #[arg(long)]
    body_limit: Option<usize>,
    /// Attempts per webhook delivery (1, as Cal.com's direct path; 3 models its task queue:
    /// network errors only, 10 s x 1.5^n backoff on the simulator's clock).
    #[arg(long)]
    webhook_attempts: Option<u32>,
    /// Add your own app from its `config.json` (validated like Cal.com's app-store build); repeatable.
    #[arg(long = "app-config", value_name = "FILE")]
    app_configs: Vec<PathBuf>,
    /// Print one JSON line `{"url": ..., "port": ..., "inspector": ...}` once listening,
    /// instead of the banner, for scripts (handy with `--port 0`).
    #[arg(long)]
    ready_json: bool,
}

fn parse_zod(value: &str) -> Result<ZodVersion, String> {
    match value {
        "v3" | "3" => Ok(ZodVersion::V3),
        "v4" | "4" => Ok(ZodVersion::V4),
        other => Err(format!("`{other}` is not a zod major; use v3 or v4")),
    }
}

impl Serve {
    /// The configuration these flags, the env and the files describe.
    fn config(self) -> anyhow::Result<Config> {
        let mut config = Config::default();
        if let Some(path) = &self.config {
            config.apply_file(ConfigFile::read(path)?)?;
        }
        if let Some(profile) = self.profile {
            config.set_profile(profile);
        }
        config.apply_env(|name| std::env::var(name).ok());
        let Serve {
            port,
            host,
            secret,
            header_name,
            encryption_key,
            sync_endpoint,
            admin_api_key,
            zod,
            pull_headers,
            auto_refresh_ms,
            body_limit,
            webhook_attempts,
            ..
        } = self;
        set(&mut config.port, port);
        set(&mut config.host, host);
        set(&mut config.sync_secret, secret);
        set(&mut config.header_name, header_name);
        set(&mut config.encryption_key, encryption_key);
        set(&mut config.sync_endpoint, sync_endpoint);
        set(&mut config.admin_api_key, admin_api_key);
        set(&mut config.zod, zod);
        set(&mut config.pull_headers, pull_headers);
        set(&mut config.body_limit, body_limit);
        set(
            &mut config.webhook_max_attempts,
            webhook_attempts.map(|attempts| attempts.max(1)),
        );
        if let Some(ms) = auto_refresh_ms {
            config.auto_refresh = (ms > 0).then(|| std::time::Duration::from_millis(ms));
        }
        Ok(config)
    }

    pub async fn run(self) -> anyhow::Result<u8> {
        let ready_json = self.ready_json;
        let apps = self
            .app_configs
            .iter()
            .map(|path| read_app_config(path))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let config = self.config()?;
        if let Err(error) =
            calsim::protocol::crypto::EncryptionKey::from_env_string(&config.encryption_key)
        {
            if config.sharing_enabled() {
                tracing::warn!(
                    "{error}; every push will get Cal.com's 500, as with a wrong key in Cal.com"
                );
            }
        }
        let simulator = Simulator::builder().config(config.clone()).start().await?;
        for (app, metadata) in apps {
            tracing::info!(
                "added app {} ({}) from its config.json",
                app.slug,
                metadata.kind
            );
            simulator.calcom().store.put_app(app, Some(metadata));
        }
        let banner = if ready_json {
            format!(
                "{}\n",
                serde_json::json!({
                    "url": simulator.url(),
                    "port": simulator.address().port(),
                    "inspector": format!("{}/_calsim/ui", simulator.url()),
                })
            )
        } else {
            banner(&config, &simulator.url())
        };
        std::io::stdout().write_all(banner.as_bytes())?;
        std::io::stdout().flush()?;
        simulator.wait_for_ctrl_c().await;
        Ok(super::EXIT_OK)
    }
}

fn read_app_config(
    path: &std::path::Path,
) -> anyhow::Result<(
    calsim::protocol::catalog::App,
    calsim::protocol::catalog::AppMetadata,
)> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|error| anyhow::anyhow!("cannot read --app-config {origin}: {error}"))?;
    Ok(calsim::protocol::catalog::app_from_config_json(
        &text, &origin,
    )?)
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

/// What a partner needs to talk to this instance. Values the user supplied are masked;
/// calsim's own fake defaults are shown in full so they can be pasted.
fn banner(config: &Config, url: &str) -> String {
    let defaults = Config::default();
    let shown = |value: &str, default: &str| {
        if value == default {
            value.to_owned()
        } else {
            calsim::protocol::redact::mask(value)
        }
    };
    let secret = shown(&config.sync_secret, &defaults.sync_secret);
    let key = shown(&config.encryption_key, &defaults.encryption_key);
    let api_key = shown(&config.admin_api_key, &defaults.admin_api_key);
    let sharing = if config.sharing_enabled() {
        "enabled"
    } else {
        "DISABLED (secret or key unset)"
    };
    let pull = if config.pull_enabled() {
        format!("POST {} (form calcomUserId, appSlug)", config.sync_endpoint)
    } else {
        "off (set --sync-endpoint or CALCOM_CREDENTIAL_SYNC_ENDPOINT)".to_owned()
    };
    let mut text = format!(
        "calsim: fake Cal.com (profile {profile}) listening on {url}\n\n\
         Credential sharing:  {sharing}\n\
         Push webhook:        POST {url}/api/webhook/app-credential\n\
         Secret header:       {header}: {secret}\n\
         Encryption key:      {key}  (AES-256-CBC; the 32 characters are the key bytes)\n\
         API v1:              {url}/api/v1/credential-sync?apiKey={api_key}&userId=1\n\
         Pull:                {pull}\n\
         Inspector:           {url}/_calsim/ui\n\
         Control API:         {url}/_calsim/\n\
         API v2 webhooks:     {url}/v2/webhooks  (Authorization: Bearer {api_key})\n\
         Users:               1 (admin, org 1 admin), 2 (key cal_calsim_user_key), 3, 4, 5\n\
         Event types:         1, 2 (user 1), 3 (user 2); organization 1; OAuth client calsim-oauth-client / calsim-oauth-client-secret\n\
         Bookings:            POST {url}/_calsim/bookings {{\"eventTypeId\":1,\"start\":\"2030-01-01T10:00:00Z\"}}\n\n\
         Partner .env lines:\n",
        profile = config.profile,
        header = config.push_header_name(),
    );
    let env = {
        let mut shown_config = config.clone();
        shown_config.sync_secret = secret;
        shown_config.encryption_key = key;
        shown_config.env_lines()
    };
    for line in env {
        text.push_str("  ");
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str("  CALCOM_WEBAPP_URL=");
    text.push_str(url);
    text.push_str("\n\nPress Ctrl-C to stop.\n");
    text
}
