//! `calsim check NAME`: the short form of `calsim run --suite NAME`, with each suite's
//! flags (`--url`, `--secret`, ...) turned into the suite's variables; every runner flag
//! (`--format`, `--junit`, `--var`, `--seed`, ...) works as in `calsim run`.

use std::collections::BTreeMap;

use calsim::Profile;

use crate::cli::run::RunnerFlags;

/// Judge an implementation with a built-in suite (`calsim suites` lists them).
#[derive(Debug, clap::Args)]
pub struct CheckCommand {
    #[command(subcommand)]
    suite: Suite,
    #[command(flatten)]
    flags: RunnerFlags,
}

#[derive(Debug, clap::Subcommand)]
enum Suite {
    /// Call a partner's sync endpoint as Cal.com does and judge the replies.
    SyncEndpoint(SyncEndpoint),
    /// Push every good and bad case to a Cal.com-compatible app-credential endpoint.
    AppCredential(AppCredential),
    /// Send a webhook endpoint valid and tampered Cal.com deliveries.
    WebhookConsumer(WebhookConsumer),
    /// Ask a partner's push client to push, and judge the push by Cal.com's rules.
    CredentialPusher(Target),
    /// Ask a v2 subscription client to subscribe, and judge what it created.
    SubscriptionClient(Target),
}

#[derive(Debug, clap::Args)]
struct Target {
    /// The implementation's URL (the suite's contract is at the top of its file).
    #[arg(long)]
    url: String,
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
    fn vars(&self) -> BTreeMap<String, String> {
        let mut vars = BTreeMap::from([("profile".to_owned(), self.profile.name().to_owned())]);
        if let Some(secret) = &self.secret {
            vars.insert("secret".to_owned(), secret.clone());
        }
        if let Some(header_name) = &self.header_name {
            vars.insert("header_name".to_owned(), header_name.clone());
        }
        vars
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
        let (name, url, vars) = match self.suite {
            Suite::SyncEndpoint(suite) => {
                let mut vars = suite.calcom.vars();
                vars.insert("user_id".to_owned(), suite.user.to_string());
                vars.insert("app".to_owned(), suite.app);
                if let Some(legacy) = suite.also_legacy {
                    vars.insert("legacy_app".to_owned(), legacy);
                }
                ("sync-endpoint", suite.url, vars)
            }
            Suite::AppCredential(suite) => {
                let mut vars = suite.calcom.vars();
                if let Some(key) = suite.encryption_key {
                    vars.insert("encryption_key".to_owned(), key);
                }
                vars.insert("zod".to_owned(), suite.zod);
                vars.insert("user_id".to_owned(), suite.user.to_string());
                vars.insert("app".to_owned(), suite.app);
                vars.insert("missing_user_id".to_owned(), suite.missing_user.to_string());
                let url = suite.url.trim_end_matches('/').to_owned();
                ("app-credential", url, vars)
            }
            Suite::WebhookConsumer(suite) => (
                "webhook-consumer",
                suite.url,
                BTreeMap::from([("secret".to_owned(), suite.secret)]),
            ),
            Suite::CredentialPusher(target) => ("credential-pusher", target.url, BTreeMap::new()),
            Suite::SubscriptionClient(target) => {
                ("subscription-client", target.url, BTreeMap::new())
            }
        };
        self.flags.execute(&[], Some(name), Some(url), vars).await
    }
}
