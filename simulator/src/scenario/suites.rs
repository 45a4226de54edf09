//! The built-in suites as typed calls for Rust code: each describes its target, fills the
//! suite's variables from it and runs the embedded scenario file
//! (`scenarios/suites/NAME.toml`), so `calsim check`, `calsim run --suite` and these
//! functions judge by the same file.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::check::{Outcome, Report};
use crate::config::Config;
use crate::protocol::error::Error;
use crate::protocol::zod::ZodVersion;
use crate::scenario::{built_in_suite, run, RunOptions};

/// A webhook consumer to check.
#[derive(Clone, Debug)]
pub struct WebhookConsumerTarget {
    /// The consumer's URL, as it would be stored in the subscription.
    pub url: String,
    /// The subscription's secret.
    pub secret: String,
    /// How long to wait for each answer.
    pub timeout: Duration,
}

/// A partner's sync endpoint to check, and how Cal.com is configured towards it.
#[derive(Clone, Debug)]
pub struct SyncEndpointTarget {
    /// The endpoint, as in `CALCOM_CREDENTIAL_SYNC_ENDPOINT`.
    pub url: String,
    /// Cal.com's side: generation, secret, header name (`sync_endpoint` is ignored).
    pub config: Config,
    /// The user id to ask for.
    pub user_id: i64,
    /// The app slug to ask for.
    pub app_slug: String,
    /// Also ask for this legacy-path app (its reply needs a numeric expiry field).
    pub legacy_app_slug: Option<String>,
    /// How long to wait for each answer.
    pub timeout: Duration,
}

/// A Cal.com-compatible app-credential route to check, and how it is configured.
#[derive(Clone, Debug)]
pub struct AppCredentialTarget {
    /// The target's base URL (the route is appended).
    pub base_url: String,
    /// The generation, secret, header name, key and zod major the target should behave as.
    pub config: Config,
    /// A user that exists on the target.
    pub user_id: i64,
    /// An app that exists on the target.
    pub app_slug: String,
    /// A user id that does not exist on the target.
    pub missing_user_id: i64,
    /// How long to wait for each answer.
    pub timeout: Duration,
}

/// Runs `webhook-consumer` against a consumer.
pub async fn webhook_consumer(target: &WebhookConsumerTarget) -> Result<Report, Error> {
    let vars = BTreeMap::from([("secret".to_owned(), target.secret.clone())]);
    run_suite("webhook-consumer", &target.url, vars, target.timeout).await
}

/// Runs `sync-endpoint` against a partner's endpoint.
pub async fn sync_endpoint(target: &SyncEndpointTarget) -> Result<Report, Error> {
    let mut vars = calcom_vars(&target.config);
    vars.insert("user_id".to_owned(), target.user_id.to_string());
    vars.insert("app".to_owned(), target.app_slug.clone());
    vars.insert(
        "legacy_app".to_owned(),
        target.legacy_app_slug.clone().unwrap_or_default(),
    );
    run_suite("sync-endpoint", &target.url, vars, target.timeout).await
}

/// Runs `app-credential` against a Cal.com-compatible server.
pub async fn app_credential(target: &AppCredentialTarget) -> Result<Report, Error> {
    let mut vars = calcom_vars(&target.config);
    vars.insert(
        "encryption_key".to_owned(),
        target.config.encryption_key.clone(),
    );
    let zod = match target.config.zod {
        ZodVersion::V3 => "v3",
        ZodVersion::V4 => "v4",
    };
    vars.insert("zod".to_owned(), zod.to_owned());
    vars.insert("user_id".to_owned(), target.user_id.to_string());
    vars.insert("app".to_owned(), target.app_slug.clone());
    vars.insert(
        "missing_user_id".to_owned(),
        target.missing_user_id.to_string(),
    );
    let base = target.base_url.trim_end_matches('/');
    run_suite("app-credential", base, vars, target.timeout).await
}

fn calcom_vars(config: &Config) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("profile".to_owned(), config.profile.name().to_owned()),
        ("secret".to_owned(), config.sync_secret.clone()),
        ("header_name".to_owned(), config.header_name.clone()),
    ])
}

/// Runs a built-in suite; a target that refuses connections is an [`Error::Peer`], not a
/// report.
async fn run_suite(
    name: &str,
    target: &str,
    vars: BTreeMap<String, String>,
    timeout: Duration,
) -> Result<Report, Error> {
    let suite = built_in_suite(name).ok_or_else(|| Error::Config {
        origin: format!("{name}.toml"),
        problem: "the embedded suite does not parse".to_owned(),
    })?;
    let options = RunOptions {
        target: Some(target.to_owned()),
        vars,
        jobs: 1,
        timeout,
        ..RunOptions::default()
    };
    let report = run(vec![suite], &options)
        .await
        .pop()
        .ok_or_else(|| Error::Config {
            origin: format!("{name}.toml"),
            problem: "the suite did not run".to_owned(),
        })?;
    if let Some(problem) = report.checks.iter().find_map(|check| match &check.outcome {
        Outcome::Error { problem } => Some(problem.clone()),
        _ => None,
    }) {
        return Err(Error::Peer {
            url: target.to_owned(),
            problem,
        });
    }
    Ok(report)
}
