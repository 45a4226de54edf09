//! `calsim check`: conformance checks of a user's implementation, one line per check.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use calsim::check::{app_credential, sync_endpoint, webhook_consumer, Report};
use calsim::protocol::zod::ZodVersion;
use calsim::{Config, Profile};

/// Judge an implementation of either side of credential sync.
#[derive(Debug, clap::Args)]
pub struct CheckCommand {
    #[command(subcommand)]
    suite: Suite,
    /// Output: one line per check (human), a JSON report, or TAP 14.
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    format: Format,
    /// Also write a JUnit XML report here.
    #[arg(long, global = true)]
    junit: Option<PathBuf>,
    /// Give up on any single answer after this long.
    #[arg(long, default_value_t = 5000, global = true)]
    timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Human,
    Json,
    Tap,
}

#[derive(Debug, clap::Subcommand)]
enum Suite {
    /// Call a partner's sync endpoint as Cal.com does and judge the replies.
    SyncEndpoint(SyncEndpoint),
    /// Push every good and bad case to a Cal.com-compatible app-credential endpoint.
    AppCredential(AppCredential),
    /// Send a webhook endpoint valid and tampered Cal.com deliveries.
    WebhookConsumer(WebhookConsumer),
}

#[derive(Debug, clap::Args)]
struct WebhookConsumer {
    /// The consumer's URL, as stored in the subscription.
    #[arg(long)]
    url: String,
    /// The subscription's secret.
    #[arg(long)]
    secret: String,
}

/// How Cal.com is set up towards the target (defaults: Cal.com's env vars, else calsim's).
#[derive(Debug, clap::Args)]
struct CalcomSide {
    /// The Cal.com generation to judge by.
    #[arg(long, default_value = "current")]
    profile: Profile,
    /// The shared sync secret.
    #[arg(long, env = "CALCOM_CREDENTIAL_SYNC_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// The secret header name.
    #[arg(long, env = "CALCOM_CREDENTIAL_SYNC_HEADER_NAME")]
    header_name: Option<String>,
}

impl CalcomSide {
    fn config(&self) -> Config {
        let mut config = Config::default();
        config.set_profile(self.profile);
        if let Some(secret) = &self.secret {
            config.sync_secret = secret.clone();
        }
        if let Some(header_name) = &self.header_name {
            config.header_name = header_name.clone();
        }
        config
    }
}

#[derive(Debug, clap::Args)]
struct SyncEndpoint {
    /// The partner's sync endpoint (CALCOM_CREDENTIAL_SYNC_ENDPOINT).
    #[arg(long)]
    url: String,
    #[command(flatten)]
    calcom: CalcomSide,
    /// The Cal.com user id to ask for.
    #[arg(long, default_value_t = 1)]
    user: i64,
    /// The app slug to ask for.
    #[arg(long, default_value = "google-calendar")]
    app: String,
    /// Also ask for a legacy-path app, e.g. hubspot (its reply needs a numeric expiry).
    #[arg(long)]
    also_legacy: Option<String>,
}

#[derive(Debug, clap::Args)]
struct AppCredential {
    /// The target's base URL (the route /api/webhook/app-credential is appended).
    #[arg(long)]
    url: String,
    #[command(flatten)]
    calcom: CalcomSide,
    /// The 32-character key the target decrypts with.
    #[arg(
        long,
        env = "CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY",
        hide_env_values = true
    )]
    encryption_key: Option<String>,
    /// A user that exists on the target (the run writes a credential for it).
    #[arg(long, default_value_t = 1)]
    user: i64,
    /// An app that exists on the target.
    #[arg(long, default_value = "google-calendar")]
    app: String,
    /// A user id that does not exist on the target.
    #[arg(long, default_value_t = 2_147_483_000)]
    missing_user: i64,
    /// zod major of the target's 400 issue objects.
    #[arg(long, value_parser = ["v3", "v4"], default_value = "v3")]
    zod: String,
}

impl CheckCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let timeout = Duration::from_millis(self.timeout_ms);
        let report = match self.suite {
            Suite::SyncEndpoint(suite) => {
                let target = sync_endpoint::SyncEndpointTarget {
                    url: suite.url,
                    config: suite.calcom.config(),
                    user_id: suite.user,
                    app_slug: suite.app,
                    legacy_app_slug: suite.also_legacy,
                    timeout,
                };
                sync_endpoint::run(&target).await?
            }
            Suite::AppCredential(suite) => {
                let mut config = suite.calcom.config();
                if let Some(key) = suite.encryption_key {
                    config.encryption_key = key;
                }
                config.zod = if suite.zod == "v4" {
                    ZodVersion::V4
                } else {
                    ZodVersion::V3
                };
                let target = app_credential::AppCredentialTarget {
                    base_url: suite.url,
                    config,
                    user_id: suite.user,
                    app_slug: suite.app,
                    missing_user_id: suite.missing_user,
                    timeout,
                };
                app_credential::run(&target).await?
            }
            Suite::WebhookConsumer(suite) => {
                let target = webhook_consumer::WebhookConsumerTarget {
                    url: suite.url,
                    secret: suite.secret,
                    timeout,
                };
                webhook_consumer::run(&target).await?
            }
        };
        print(&report, self.format)?;
        if let Some(path) = self.junit {
            std::fs::write(&path, report.junit()).map_err(|error| {
                anyhow::anyhow!(
                    "cannot write the JUnit report to {}: {error}",
                    path.display()
                )
            })?;
        }
        Ok(if report.failed() == 0 {
            super::EXIT_OK
        } else {
            super::EXIT_CHECK_FAILED
        })
    }
}

fn print(report: &Report, format: Format) -> anyhow::Result<()> {
    let text = match format {
        Format::Human => report.human(),
        Format::Json => format!("{:#}\n", report.json()),
        Format::Tap => calsim::check::tap(std::slice::from_ref(report)),
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}
