//! `calsim push-credential`: encrypt a token and push it to Cal.com, print the answer.

use std::io::Write;
use std::time::Duration;

use calsim::partner::push_client::{self, PushOptions, Via};
use serde_json::{json, Map, Value};

/// Push a credential through the push webhook or API v1.
#[derive(Debug, clap::Args)]
pub struct PushCredential {
    /// Cal.com's base URL.
    #[arg(long)]
    to: String,
    /// The Cal.com user id.
    #[arg(long)]
    user: i64,
    /// The app slug, e.g. google-calendar.
    #[arg(long)]
    app: String,
    /// The access token.
    #[arg(long, required_unless_present = "key_json")]
    token: Option<String>,
    /// The whole token JSON instead of --token (stored verbatim by the webhook).
    #[arg(long, conflicts_with_all = ["token", "refresh_token", "expires_in", "expiry_date"])]
    key_json: Option<String>,
    /// Add a refresh_token.
    #[arg(long)]
    refresh_token: Option<String>,
    /// Add expires_in (seconds).
    #[arg(long)]
    expires_in: Option<i64>,
    /// Add expiry_date (epoch ms).
    #[arg(long)]
    expiry_date: Option<i64>,
    /// The 32-character key (default: CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY, else calsim's dev key).
    #[arg(
        long,
        env = "CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY",
        hide_env_values = true
    )]
    encryption_key: Option<String>,
    /// The sync secret (default: CALCOM_CREDENTIAL_SYNC_SECRET, else calsim's dev secret).
    #[arg(long, env = "CALCOM_CREDENTIAL_SYNC_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// The secret header name.
    #[arg(
        long,
        env = "CALCOM_CREDENTIAL_SYNC_HEADER_NAME",
        default_value = "calcom-credential-sync-secret"
    )]
    header_name: String,
    /// Which surface to push through.
    #[arg(long, value_enum, default_value_t = Via::Webhook)]
    via: Via,
    /// API v1's admin key (default: calsim's seeded admin key).
    #[arg(long)]
    api_key: Option<String>,
    /// Give up after this long.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
}

impl PushCredential {
    fn token_json(&self) -> anyhow::Result<String> {
        if let Some(json) = &self.key_json {
            serde_json::from_str::<Value>(json)
                .map_err(|error| anyhow::anyhow!("--key-json is not JSON ({error}); pass the token object, e.g. '{{\"access_token\":\"abc\"}}'"))?;
            return Ok(json.clone());
        }
        let mut token = Map::new();
        token.insert(
            "access_token".to_owned(),
            json!(self.token.clone().unwrap_or_default()),
        );
        if let Some(refresh_token) = &self.refresh_token {
            token.insert("refresh_token".to_owned(), json!(refresh_token));
        }
        if let Some(expires_in) = self.expires_in {
            token.insert("expires_in".to_owned(), json!(expires_in));
        }
        if let Some(expiry_date) = self.expiry_date {
            token.insert("expiry_date".to_owned(), json!(expiry_date));
        }
        Ok(Value::Object(token).to_string())
    }

    pub async fn run(self) -> anyhow::Result<u8> {
        let defaults = calsim::Config::default();
        let options = PushOptions {
            base_url: self.to.clone(),
            user_id: self.user,
            app_slug: self.app.clone(),
            token_json: self.token_json()?,
            encryption_key: self
                .encryption_key
                .clone()
                .unwrap_or(defaults.encryption_key),
            secret: self.secret.clone().unwrap_or(defaults.sync_secret),
            header_name: self.header_name.clone(),
            via: self.via,
            api_key: self.api_key.clone().unwrap_or(defaults.admin_api_key),
            timeout: Duration::from_millis(self.timeout_ms),
        };
        let outcome = push_client::push_credential(&options, None).await?;
        writeln!(std::io::stdout(), "{} {}", outcome.status, outcome.body)?;
        Ok(if outcome.accepted() {
            super::EXIT_OK
        } else {
            super::EXIT_CHECK_FAILED
        })
    }
}
