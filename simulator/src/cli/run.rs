//! `calsim run`: scenario files (and the built-in suites) against an implementation, for
//! CI: parallel, shardable, human/JSON/TAP on stdout, JUnit to a file, exit 0/1/2.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use calsim::check::{self, Report};
use calsim::scenario::{self, RunOptions};

/// Run scenario files against your implementation.
#[derive(Debug, clap::Args)]
pub struct RunCommand {
    /// Scenario files, or folders searched for `*.toml`.
    paths: Vec<PathBuf>,
    /// A built-in suite instead of (or besides) files; `calsim suites` lists them.
    #[arg(long)]
    suite: Option<String>,
    /// The implementation under test; scenarios read it as `{{target}}`.
    #[arg(long)]
    target: Option<String>,
    #[command(flatten)]
    flags: RunnerFlags,
}

/// What every run takes, `calsim run` and `calsim check` alike.
#[derive(Debug, clap::Args)]
pub struct RunnerFlags {
    /// A variable for every scenario, `NAME=VALUE` (repeatable); overrides `[vars]`.
    #[arg(long = "var", value_name = "NAME=VALUE", global = true)]
    vars: Vec<String>,
    /// How many scenarios run at once.
    #[arg(long, default_value_t = 4, global = true)]
    jobs: usize,
    /// Only scenarios whose name or file contains this text, or `tag:NAME`.
    #[arg(long, global = true)]
    filter: Option<String>,
    /// Run shard K of N (`2/3`): every N-th scenario of the sorted list, from the K-th.
    #[arg(long, value_name = "K/N", global = true)]
    shard: Option<String>,
    /// What stdout carries: the human report, a JSON array of reports, or TAP 14.
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    format: Format,
    /// Also write a JUnit XML report here (written even when nothing could run).
    #[arg(long, global = true)]
    junit: Option<PathBuf>,
    /// Give up on any single answer after this many milliseconds.
    #[arg(long, default_value_t = 5000, global = true)]
    timeout_ms: u64,
    /// Wait up to this many seconds for the target to accept connections first.
    #[arg(long, value_name = "SECS", global = true)]
    wait_for_target: Option<u64>,
    /// Write missing or differing snapshots as `.snap.new` files to review (never
    /// overwrites a `.snap`; accept them with `calsim snapshots accept`).
    #[arg(long, global = true)]
    update_snapshots: bool,
    /// The seed of property steps (a failure prints the one to reproduce it with).
    #[arg(long, global = true)]
    seed: Option<u64>,
    /// Append every exchange of each scenario's fake Cal.com to this file (JSON lines,
    /// secrets masked).
    #[arg(long, global = true)]
    record: Option<PathBuf>,
    /// Never draw a progress bar (it is drawn only on a terminal, with --format human).
    #[arg(long, global = true)]
    no_progress: bool,
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
        self.flags
            .execute(
                &self.paths,
                self.suite.as_deref(),
                self.target,
                BTreeMap::new(),
            )
            .await
    }
}

impl RunnerFlags {
    /// Runs `paths` and the suite against `target`; `vars` come before `--var`.
    pub async fn execute(
        &self,
        paths: &[PathBuf],
        suite: Option<&str>,
        target: Option<String>,
        mut vars: BTreeMap<String, String>,
    ) -> anyhow::Result<u8> {
        vars.extend(parse_vars(&self.vars)?);
        let shard = self.shard.as_deref().map(parse_shard).transpose()?;
        if let (Some(target), Some(seconds)) = (&target, self.wait_for_target) {
            if let Err(error) = wait_for(target, seconds).await {
                self.write_junit(&[])?;
                return Err(error);
            }
        }
        let mut scenarios = match scenario::load(paths) {
            Ok(scenarios) => scenarios,
            Err(error) => {
                self.write_junit(&[])?;
                return Err(error.into());
            }
        };
        if paths.is_empty() && suite.is_none() {
            anyhow::bail!("nothing to run: pass scenario files or folders, or --suite NAME (see `calsim suites`)");
        }
        if let Some(name) = suite {
            let Some(suite) = scenario::built_in_suite(name) else {
                let known: Vec<&str> = scenario::BUILT_IN_SUITES
                    .iter()
                    .map(|(name, _)| *name)
                    .collect();
                anyhow::bail!("unknown suite `{name}`; known: {}", known.join(", "));
            };
            if target.is_none() {
                anyhow::bail!("--suite {name} needs --target URL");
            }
            scenarios.push(suite);
        }
        if let Some(pattern) = &self.filter {
            scenarios = scenario::filter(scenarios, pattern);
        }
        if let Some((index, count)) = shard {
            scenarios = scenario::shard(scenarios, index, count);
        }
        let record = self
            .record
            .as_deref()
            .map(|path| {
                calsim::net::files::append(path, "the record file").map(std::sync::Arc::new)
            })
            .transpose()?;
        let progress = self.progress_bar(scenarios.len());
        let options = RunOptions {
            target,
            vars,
            jobs: self.jobs,
            timeout: Duration::from_millis(self.timeout_ms),
            update_snapshots: self.update_snapshots,
            seed: self.seed,
            record,
            progress: progress.clone().map(|bar| {
                scenario::Progress(std::sync::Arc::new(move |report: &Report| {
                    bar.inc(1);
                    if report.failed() > 0 {
                        bar.println(format!("FAIL {}", report.suite));
                    }
                }))
            }),
        };
        let reports = scenario::run(scenarios, &options).await;
        if let Some(bar) = progress {
            bar.finish_and_clear();
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
        self.write_junit(&reports)?;
        for check in reports.iter().flat_map(|report| &report.checks) {
            if check.errored() {
                tracing::error!("{}", check.line());
            }
        }
        Ok(if reports.iter().any(Report::errored) {
            super::EXIT_ERROR
        } else if reports.iter().all(|report| report.failed() == 0) {
            super::EXIT_OK
        } else {
            super::EXIT_CHECK_FAILED
        })
    }

    fn write_junit(&self, reports: &[Report]) -> anyhow::Result<()> {
        if let Some(path) = &self.junit {
            std::fs::write(path, check::junit(reports, "calsim run")).map_err(|error| {
                anyhow::anyhow!(
                    "cannot write the JUnit report to {}: {error}",
                    path.display()
                )
            })?;
        }
        Ok(())
    }

    /// A bar on stderr when it is a terminal and stdout carries the human report; plain
    /// output (CI logs, JSON, TAP) gets none.
    fn progress_bar(&self, total: usize) -> Option<indicatif::ProgressBar> {
        use std::io::IsTerminal;
        if self.no_progress
            || !matches!(self.format, Format::Human)
            || !std::io::stderr().is_terminal()
        {
            return None;
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} scenarios {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
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
        for (name, _) in scenario::BUILT_IN_SUITES {
            if let Some(suite) = scenario::built_in_suite(name) {
                let needs: String = suite
                    .file
                    .required_vars
                    .iter()
                    .map(|var| format!(" --var {var}=..."))
                    .collect();
                text.push_str(&format!(
                    "{name:20} {}\n{:20} calsim run --suite {name} --target URL{needs}  (scenarios/suites/{name}.toml)\n",
                    suite.file.name, ""
                ));
            }
        }
        std::io::stdout().write_all(text.as_bytes())?;
        Ok(super::EXIT_OK)
    }
}
