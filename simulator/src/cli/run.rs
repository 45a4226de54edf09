//! `calsim run`: scenario files (and the built-in suites) against an implementation, for
//! CI: parallel, shardable, human/JSON/TAP on stdout, JUnit to a file, exit 0/1/2.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use calsim::check::{self, webhook_consumer, Report};
use calsim::scenario::{self, RunOptions};

/// Run scenario files against your implementation.
#[derive(Debug, clap::Args)]
pub struct RunCommand {
    /// Scenario files, or folders searched for `*.toml`.
    paths: Vec<PathBuf>,
    /// A built-in suite instead of (or besides) files: webhook-consumer (needs --var
    /// secret=...), credential-pusher, subscription-client; all need --target.
    #[arg(long)]
    suite: Option<String>,
    /// The implementation under test; scenarios read it as `{{target}}`.
    #[arg(long)]
    target: Option<String>,
    /// A variable for every scenario, `NAME=VALUE` (repeatable); overrides `[vars]`.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// How many scenarios run at once.
    #[arg(long, default_value_t = 4)]
    jobs: usize,
    /// Only scenarios whose name or file contains this text, or `tag:NAME`.
    #[arg(long)]
    filter: Option<String>,
    /// Run shard K of N (`2/3`): every N-th scenario of the sorted list, from the K-th.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// What stdout carries: the human report, a JSON array of reports, or TAP 14.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also write a JUnit XML report here (written even when nothing could run).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Give up on any single answer after this long.
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
    /// Wait up to this many seconds for --target to accept connections first.
    #[arg(long, value_name = "SECS")]
    wait_for_target: Option<u64>,
    /// Write missing or differing snapshots as `.snap.new` files to review (never
    /// overwrites a `.snap`; accept them with `calsim snapshots accept`).
    #[arg(long)]
    update_snapshots: bool,
    /// The seed of property steps (a failure prints the one to reproduce it with).
    #[arg(long)]
    seed: Option<u64>,
    /// Append every exchange of each scenario's fake Cal.com to this file (JSON lines,
    /// secrets masked).
    #[arg(long)]
    record: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Human,
    Json,
    Tap,
}

fn parse_vars(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(name, value)| (name.trim().to_owned(), value.to_owned()))
                .ok_or_else(|| anyhow::anyhow!("--var {pair}: write NAME=VALUE"))
        })
        .collect()
}

fn parse_shard(text: &str) -> anyhow::Result<(usize, usize)> {
    let parsed = text
        .split_once('/')
        .and_then(|(index, count)| Some((index.trim().parse().ok()?, count.trim().parse().ok()?)));
    match parsed {
        Some((index, count)) if index >= 1 && index <= count => Ok((index, count)),
        _ => anyhow::bail!("--shard {text}: write K/N with 1 <= K <= N, for example 2/3"),
    }
}

async fn wait_for(target: &str, seconds: u64) -> anyhow::Result<()> {
    let url = reqwest::Url::parse(target)
        .map_err(|error| anyhow::anyhow!("--target {target} is not a URL: {error}"))?;
    let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let attempt = tokio::time::timeout(
            Duration::from_secs(1),
            tokio::net::TcpStream::connect((host.as_str(), port)),
        )
        .await;
        if matches!(attempt, Ok(Ok(_))) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            anyhow::bail!("{target} did not accept connections within {seconds} s; is it started?");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl RunCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let vars = parse_vars(&self.vars)?;
        let shard = self.shard.as_deref().map(parse_shard).transpose()?;
        let write_junit = |reports: &[Report]| -> anyhow::Result<()> {
            if let Some(path) = &self.junit {
                std::fs::write(path, check::junit(reports, "calsim run")).map_err(|error| {
                    anyhow::anyhow!(
                        "cannot write the JUnit report to {}: {error}",
                        path.display()
                    )
                })?;
            }
            Ok(())
        };
        if let (Some(target), Some(seconds)) = (&self.target, self.wait_for_target) {
            if let Err(error) = wait_for(target, seconds).await {
                write_junit(&[])?;
                return Err(error);
            }
        }
        let mut scenarios = match scenario::load(&self.paths) {
            Ok(scenarios) => scenarios,
            Err(error) => {
                write_junit(&[])?;
                return Err(error.into());
            }
        };
        if self.paths.is_empty() && self.suite.is_none() {
            anyhow::bail!("nothing to run: pass scenario files or folders, or --suite NAME (see `calsim suites`)");
        }
        let scenario_suite = self
            .suite
            .as_deref()
            .and_then(calsim::scenario::built_in_suite);
        if let Some(suite) = scenario_suite.clone() {
            if self.target.is_none() {
                anyhow::bail!("--suite {} needs --target URL", suite.id());
            }
            scenarios.push(suite);
        }
        if let Some(pattern) = &self.filter {
            scenarios = scenario::filter(scenarios, pattern);
        }
        if let Some((index, count)) = shard {
            scenarios = scenario::shard(scenarios, index, count);
        }
        let timeout = Duration::from_millis(self.timeout_ms);
        let record = match &self.record {
            Some(path) => Some(std::sync::Arc::new(std::sync::Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|error| {
                        anyhow::anyhow!("cannot open the record file {}: {error}", path.display())
                    })?,
            ))),
            None => None,
        };
        let options = RunOptions {
            target: self.target.clone(),
            vars: vars.clone(),
            jobs: self.jobs,
            timeout,
            update_snapshots: self.update_snapshots,
            seed: self.seed,
            record,
        };
        let mut reports = scenario::run(scenarios, &options).await;
        if let (Some(suite), None) = (&self.suite, &scenario_suite) {
            reports.push(run_suite(suite, self.target.as_deref(), &vars, timeout).await?);
        }
        let text = match self.format {
            Format::Human => {
                let mut text: String = reports.iter().map(Report::human).collect();
                let passed: usize = reports.iter().map(Report::passed).sum();
                let failed: usize = reports.iter().map(Report::failed).sum();
                text.push_str(&format!("total: {passed} passed, {failed} failed\n"));
                text
            }
            Format::Json => format!(
                "{:#}\n",
                serde_json::Value::Array(reports.iter().map(Report::json).collect())
            ),
            Format::Tap => check::tap(&reports),
        };
        std::io::stdout().write_all(text.as_bytes())?;
        write_junit(&reports)?;
        Ok(if reports.iter().all(|report| report.failed() == 0) {
            super::EXIT_OK
        } else {
            super::EXIT_CHECK_FAILED
        })
    }
}

/// The built-in suites `--suite` runs.
pub const SUITES: [(&str, &str); 1] = [(
    "webhook-consumer",
    "valid deliveries of every trigger, tampered ones, raw bytes, form bodies (--target URL --var secret=S)",
)];

async fn run_suite(
    name: &str,
    target: Option<&str>,
    vars: &BTreeMap<String, String>,
    timeout: Duration,
) -> anyhow::Result<Report> {
    let target = target.ok_or_else(|| anyhow::anyhow!("--suite {name} needs --target URL"))?;
    match name {
        "webhook-consumer" => {
            let secret = vars.get("secret").ok_or_else(|| {
                anyhow::anyhow!(
                    "--suite webhook-consumer needs --var secret=<the subscription secret>"
                )
            })?;
            Ok(
                webhook_consumer::run(&webhook_consumer::WebhookConsumerTarget {
                    url: target.to_owned(),
                    secret: secret.clone(),
                    timeout,
                })
                .await?,
            )
        }
        other => {
            let mut known: Vec<&str> = SUITES.iter().map(|(name, _)| *name).collect();
            known.extend(
                calsim::scenario::BUILT_IN_SUITES
                    .iter()
                    .map(|(name, _)| *name),
            );
            anyhow::bail!(
                "unknown suite `{other}`; known: {} (app-credential and sync-endpoint run with `calsim check`)",
                known.join(", ")
            )
        }
    }
}

/// Review snapshots written by `calsim run --update-snapshots`.
#[derive(Debug, clap::Args)]
pub struct SnapshotsCommand {
    #[command(subcommand)]
    action: SnapshotsAction,
}

#[derive(Debug, clap::Subcommand)]
enum SnapshotsAction {
    /// Move every pending `.snap.new` under the folders into place (after reviewing them).
    Accept {
        /// Folders holding scenarios (their `snapshots/` subfolders are searched).
        #[arg(default_value = "scenarios")]
        folders: Vec<PathBuf>,
    },
}

impl SnapshotsCommand {
    pub fn run(self) -> anyhow::Result<u8> {
        let SnapshotsAction::Accept { folders } = self.action;
        let mut text = String::new();
        for folder in folders {
            for accepted in calsim::scenario::snapshot::accept(&folder)? {
                text.push_str(&format!("accepted {}\n", accepted.display()));
            }
        }
        if text.is_empty() {
            text.push_str("no pending snapshots\n");
        }
        std::io::stdout().write_all(text.as_bytes())?;
        Ok(super::EXIT_OK)
    }
}

/// List the built-in suites.
#[derive(Debug, clap::Args)]
pub struct SuitesCommand {}

impl SuitesCommand {
    pub fn run(self) -> anyhow::Result<u8> {
        let mut text = String::new();
        for (name, about) in SUITES {
            text.push_str(&format!("{name:20} {about}\n"));
        }
        for (name, _) in calsim::scenario::BUILT_IN_SUITES {
            if let Some(suite) = calsim::scenario::built_in_suite(name) {
                text.push_str(&format!(
                    "{name:20} {} (scenarios/suites/{name}.toml, --target URL)\n",
                    suite.file.name
                ));
            }
        }
        text.push_str("app-credential       run with `calsim check app-credential --url U`\n");
        text.push_str("sync-endpoint        run with `calsim check sync-endpoint --url U`\n");
        std::io::stdout().write_all(text.as_bytes())?;
        Ok(super::EXIT_OK)
    }
}
