//! Scenarios: conformance flows users write as TOML files (`scenarios/README.md`), run
//! by `calsim run`. Each scenario gets its own fake Cal.com (`{{calcom.url}}`), runs its
//! steps in order (act as Cal.com or as the partner, call the implementation, wait for
//! what it sent, expect, capture) and reports one check per step, so the human, JSON,
//! TAP and JUnit renderings of [`crate::check`] serve scenarios too.
//!
//! May import: [`crate::protocol`], [`crate::net`], [`crate::config`], [`crate::calcom`],
//! [`crate::partner`], [`crate::replay`] and [`crate::check`] (for reports); never the CLI.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use calsim::scenario::{parse, run, RunOptions};
//!
//! let scenario = parse(r#"
//! name = "the fake Cal.com answers PING-less pushes with 403"
//! [[steps]]
//! name = "push without the secret"
//! request = { method = "POST", url = "{{calcom.url}}/api/webhook/app-credential", body = "{}" }
//! expect = { status = 403, json = { "$.message" = "Invalid credential sync secret" } }
//! "#, "inline.toml").unwrap();
//!
//! let reports = run(vec![scenario], &RunOptions::default()).await;
//! assert_eq!(reports[0].failed(), 0, "{}", reports[0].human());
//! # }
//! ```

pub mod model;
pub mod property;
pub mod snapshot;
pub mod step;
pub mod suites;
pub mod vars;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::calcom::simulator::Simulator;
use crate::check::{Check, Report};
use crate::config::Config;
use crate::protocol::error::Error;
use crate::protocol::payload;
use crate::protocol::trigger::TriggerEvent;
use model::{ScenarioFile, Severity, Step};
use vars::Vars;

/// A parsed scenario and where it came from.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file (or a name for inline text).
    pub origin: String,
    /// Its content.
    pub file: ScenarioFile,
    /// One of calsim's built-in suites (reports name it by its suite name).
    pub built_in: bool,
}

impl Scenario {
    /// A stable id: the file name without `.toml`.
    pub fn id(&self) -> String {
        Path::new(&self.origin).file_stem().map_or_else(
            || self.origin.clone(),
            |stem| stem.to_string_lossy().into_owned(),
        )
    }
}

/// Parses scenario text; errors name the origin, line and column, and what was expected.
pub fn parse(text: &str, origin: &str) -> Result<Scenario, Error> {
    let file: ScenarioFile = toml::from_str(text).map_err(|error| Error::Config {
        origin: origin.to_owned(),
        problem: with_suggestion(error.to_string().trim_end()),
    })?;
    for (index, step) in file.steps.iter().enumerate() {
        let actions = [
            step.judge_previous,
            step.request.is_some(),
            step.deliver.is_some(),
            step.pull.is_some(),
            step.push.is_some(),
            step.journal.is_some(),
            step.replay.is_some(),
        ]
        .into_iter()
        .filter(|present| *present)
        .count();
        if actions != 1 {
            return Err(Error::Config {
                origin: origin.to_owned(),
                problem: format!(
                    "step {} ({}) has {actions} actions; give exactly one of request, deliver, pull, push, journal, replay, judge_previous",
                    index + 1,
                    step.name.as_deref().unwrap_or("unnamed")
                ),
            });
        }
    }
    Ok(Scenario {
        origin: origin.to_owned(),
        file,
        built_in: false,
    })
}

/// Adds "did you mean" to serde's "unknown field `x`, expected one of `a`, `b`".
///
/// ```
/// # use calsim::scenario::parse;
/// let error = parse("name = \"x\"\n[[steps]]\nreqest = { url = \"http://127.0.0.1:9\" }\n", "bad.toml").unwrap_err();
/// let text = error.to_string();
/// assert!(text.contains("line 3, column 1"), "{text}");
/// assert!(text.ends_with("did you mean `request`?"), "{text}");
/// ```
fn with_suggestion(message: &str) -> String {
    let Some((_, rest)) = message.split_once("unknown field `") else {
        return message.to_owned();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message.to_owned();
    };
    let closest = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|known| (vars::distance(known, unknown), known))
        .filter(|(distance, _)| *distance <= 3)
        .min();
    match closest {
        Some((_, known)) => format!("{message}; did you mean `{known}`?"),
        None => message.to_owned(),
    }
}

/// The built-in suites written as scenario files (`scenarios/suites/`), embedded in the
/// binary: `(name, text)`.
pub const BUILT_IN_SUITES: [(&str, &str); 5] = [
    (
        "app-credential",
        include_str!("../../../scenarios/suites/app-credential.toml"),
    ),
    (
        "sync-endpoint",
        include_str!("../../../scenarios/suites/sync-endpoint.toml"),
    ),
    (
        "webhook-consumer",
        include_str!("../../../scenarios/suites/webhook-consumer.toml"),
    ),
    (
        "credential-pusher",
        include_str!("../../../scenarios/suites/credential-pusher.toml"),
    ),
    (
        "subscription-client",
        include_str!("../../../scenarios/suites/subscription-client.toml"),
    ),
];

/// A built-in suite as a scenario.
pub fn built_in_suite(name: &str) -> Option<Scenario> {
    BUILT_IN_SUITES
        .iter()
        .find(|(known, _)| *known == name)
        .and_then(|(name, text)| parse(text, &format!("{name}.toml")).ok())
        .map(|scenario| Scenario {
            built_in: true,
            ..scenario
        })
}

/// Reads scenario files: each path is a `.toml` file or a folder searched recursively,
/// in sorted order (so shards are stable).
pub fn load(paths: &[PathBuf]) -> Result<Vec<Scenario>, Error> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files.sort();
    files.dedup();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                what: format!("cannot read scenario {}", path.display()),
                source,
            })?;
            parse(&text, &path.display().to_string())
        })
        .collect()
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |source| Error::Io {
        what: format!("cannot read {}", path.display()),
        source,
    };
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(io)? {
            let entry = entry.map_err(io)?.path();
            if entry.is_dir()
                || entry
                    .extension()
                    .is_some_and(|extension| extension == "toml")
            {
                collect(&entry, files)?;
            }
        }
    } else if path.exists() {
        files.push(path.to_owned());
    } else {
        return Err(Error::Config {
            origin: path.display().to_string(),
            problem: "no such file or folder; pass scenario files or folders holding them"
                .to_owned(),
        });
    }
    Ok(())
}

/// How `calsim run` runs scenarios.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `{{target}}`: the implementation under test.
    pub target: Option<String>,
    /// `--var NAME=VALUE`, overriding each scenario's `[vars]`.
    pub vars: BTreeMap<String, String>,
    /// How many scenarios run at once.
    pub jobs: usize,
    /// Give up on any single answer after this long.
    pub timeout: Duration,
    /// Write differing or missing snapshots as `.snap.new` files for review.
    pub update_snapshots: bool,
    /// The seed of property steps (default: a random one, printed with any failure).
    pub seed: Option<u64>,
    /// Append every exchange of each scenario's fake Cal.com here, one JSON line each
    /// (`{"scenario": ..., "entry": <journal entry>}`, secrets masked).
    pub record: Option<Arc<std::sync::Mutex<std::fs::File>>>,
    /// Called with each scenario's report as soon as it finishes (a progress bar).
    pub progress: Option<Progress>,
}

/// A callback told of each finished scenario.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(&Report) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Progress")
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            target: None,
            vars: BTreeMap::new(),
            jobs: 4,
            timeout: Duration::from_secs(5),
            update_snapshots: false,
            seed: None,
            record: None,
            progress: None,
        }
    }
}

/// Keeps the scenarios whose name, file or tag (`tag:NAME`) matches `pattern`.
pub fn filter(scenarios: Vec<Scenario>, pattern: &str) -> Vec<Scenario> {
    scenarios
        .into_iter()
        .filter(|scenario| match pattern.strip_prefix("tag:") {
            Some(tag) => scenario.file.tags.iter().any(|known| known == tag),
            None => scenario.file.name.contains(pattern) || scenario.origin.contains(pattern),
        })
        .collect()
}

/// Shard `index` of `count` (1-based): every `count`-th scenario of the sorted list, so
/// the shards are disjoint and together cover every scenario.
///
/// ```
/// let all: Vec<u32> = (0..10).collect();
/// let shards: Vec<Vec<u32>> = (1..=3).map(|k| calsim::scenario::shard(all.clone(), k, 3)).collect();
/// assert_eq!(shards, [vec![0, 3, 6, 9], vec![1, 4, 7], vec![2, 5, 8]]);
/// ```
pub fn shard<T>(items: Vec<T>, index: usize, count: usize) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(position, _)| count == 0 || position % count == index.saturating_sub(1))
        .map(|(_, item)| item)
        .collect()
}

/// Runs scenarios in parallel (at most `options.jobs` at once), each against its own fake
/// Cal.com; the reports come back in the scenarios' order.
pub async fn run(scenarios: Vec<Scenario>, options: &RunOptions) -> Vec<Report> {
    let permits = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    let mut tasks = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        let permits = Arc::clone(&permits);
        let options = options.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let report = run_one(&scenario, &options).await;
            if let Some(Progress(progress)) = &options.progress {
                progress(&report);
            }
            report
        }));
    }
    let mut reports = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(report) = task.await {
            reports.push(report);
        }
    }
    reports
}

async fn run_one(scenario: &Scenario, options: &RunOptions) -> Report {
    let started = Instant::now();
    let id = scenario.id();
    let mut values = scenario.file.vars.clone();
    values.extend(options.vars.clone());
    if let Some(target) = &options.target {
        values
            .entry("target".to_owned())
            .or_insert_with(|| target.clone());
    }
    let secrets: Vec<String> = values
        .iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            ["secret", "token", "key", "password"]
                .iter()
                .any(|word| name.contains(word))
        })
        .map(|(_, value)| value.clone())
        .collect();
    let report = |checks| {
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        Report {
            suite: if scenario.built_in {
                id.clone()
            } else {
                format!("scenario {id}")
            },
            target: options
                .target
                .clone()
                .unwrap_or_else(|| scenario.origin.clone()),
            checks,
            elapsed: started.elapsed(),
        }
        .scrubbed(&secrets)
    };
    let missing: Vec<&String> = scenario
        .file
        .required_vars
        .iter()
        .filter(|name| !values.contains_key(*name))
        .collect();
    if !missing.is_empty() {
        let flags: Vec<String> = missing
            .iter()
            .map(|name| format!("--var {name}=VALUE"))
            .collect();
        return report(vec![Check::error(
            format!("{id}/setup"),
            "the scenario's variables are given",
            format!("missing {}; pass {}", join(&missing), flags.join(" ")),
        )]);
    }
    let config = match calcom_config(&scenario.file.calcom, &Vars::new(values.clone())) {
        Ok(config) => config,
        Err(problem) => {
            return report(vec![Check::error(
                format!("{id}/setup"),
                "set up the scenario's fake Cal.com ([calcom])",
                problem,
            )])
        }
    };
    values.insert(
        "calcom.push_header".to_owned(),
        config.push_header_name().to_owned(),
    );
    values.insert(
        "calcom.pull_header".to_owned(),
        config.pull_header_name().unwrap_or_default().to_owned(),
    );
    let partner = match &scenario.file.partner {
        Some(setup) => {
            let started = crate::partner::sync_endpoint::Partner::builder()
                .config(crate::partner::sync_endpoint::PartnerConfig {
                    secret: config.sync_secret.clone(),
                    header_name: config
                        .pull_header_name()
                        .unwrap_or("calcom-credential-sync-secret")
                        .to_owned(),
                    slugs: crate::partner::sync_endpoint::Slugs::All,
                    ..crate::partner::sync_endpoint::PartnerConfig::default()
                })
                .start()
                .await;
            match started {
                Ok(partner) => {
                    if let Err(problem) = partner.state().enqueue(setup.replies.clone()) {
                        return report(vec![Check::error(
                            format!("{id}/setup"),
                            "queue the scenario's partner replies ([partner])",
                            problem,
                        )]);
                    }
                    Some(partner)
                }
                Err(error) => {
                    return report(vec![Check::error(
                        format!("{id}/setup"),
                        "start the scenario's fake partner",
                        format!("{error}; free a port on 127.0.0.1"),
                    )])
                }
            }
        }
        None => None,
    };
    let mut config = config;
    if let Some(partner) = &partner {
        config.sync_endpoint = partner.sync_endpoint_url();
        values.insert("partner.url".to_owned(), partner.sync_endpoint_url());
    }
    let simulator = match Simulator::builder().config(config).start().await {
        Ok(simulator) => simulator,
        Err(error) => {
            return report(vec![Check::error(
                format!("{id}/setup"),
                "start the scenario's fake Cal.com",
                format!("{error}; free a port on 127.0.0.1"),
            )])
        }
    };
    values.insert("calcom.url".to_owned(), simulator.url());
    if let Some(dir) = Path::new(&scenario.origin).parent() {
        values.insert("scenario.dir".to_owned(), dir.display().to_string());
    }
    let known = Vars::new(values.clone());
    for value in values.values_mut() {
        if value.contains("{{") {
            if let Ok(filled) = known.fill(value) {
                *value = filled;
            }
        }
    }
    let mut runner = Runner {
        id: &id,
        options,
        simulator: &simulator,
        vars: Vars::new(values),
        checks: Vec::with_capacity(scenario.file.steps.len()),
        previous: None,
        stopped: false,
        answered: false,
        continue_on_failure: scenario.file.continue_on_failure,
        origin: &scenario.origin,
    };
    for (index, step) in scenario.file.steps.iter().enumerate() {
        if step.each_trigger {
            for trigger in TriggerEvent::ALL.iter().copied() {
                if payload::built_in(trigger).is_none() {
                    continue;
                }
                runner.vars.set("trigger", trigger.as_str().to_owned());
                runner.vars.set(
                    "trigger.slug",
                    trigger.as_str().to_ascii_lowercase().replace('_', "-"),
                );
                runner.step(step, index).await;
            }
        } else {
            runner.step(step, index).await;
        }
    }
    let checks = std::mem::take(&mut runner.checks);
    if let Some(file) = &options.record {
        record(file, &id, &simulator);
    }
    report(checks)
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The scenario's fake Cal.com: calsim's defaults, no background timers (scenarios drive
/// time themselves), `[calcom]` applied.
fn calcom_config(setup: &model::CalcomSetup, vars: &Vars) -> Result<Config, String> {
    let mut config = Config {
        port: 0,
        auto_refresh: None,
        scheduler_tick: None,
        ..Config::default()
    };
    let fill = |value: &Option<String>| value.as_deref().map(|text| vars.fill(text)).transpose();
    if let Some(profile) = fill(&setup.profile)? {
        let profile: crate::protocol::profile::Profile =
            profile.parse().map_err(|error| format!("{error}"))?;
        config.set_profile(profile);
    }
    if let Some(zod) = fill(&setup.zod)? {
        config.zod = match zod.as_str() {
            "v3" => crate::protocol::zod::ZodVersion::V3,
            "v4" => crate::protocol::zod::ZodVersion::V4,
            other => return Err(format!("zod `{other}`: use `v3` or `v4`")),
        };
    }
    if let Some(secret) = fill(&setup.secret)? {
        config.sync_secret = secret;
    }
    if let Some(key) = fill(&setup.encryption_key)? {
        config.encryption_key = key;
    }
    if let Some(header_name) = fill(&setup.header_name)? {
        config.header_name = header_name;
    }
    Ok(config)
}

/// One scenario's run: its variables, the checks so far, the last answer.
struct Runner<'a> {
    id: &'a str,
    origin: &'a str,
    options: &'a RunOptions,
    simulator: &'a Simulator,
    vars: Vars,
    checks: Vec<Check>,
    previous: Option<step::Answer>,
    /// A step failed and the scenario does not continue.
    stopped: bool,
    /// Some checked (not setup) step got an answer, so a refused connection later is a
    /// failure, not "could not run".
    answered: bool,
    continue_on_failure: bool,
}

impl Runner<'_> {
    async fn step(&mut self, step: &Step, index: usize) {
        self.vars.set(
            "clock.ms",
            self.simulator.calcom().clock.now_ms().to_string(),
        );
        if let Some(condition) = &step.when {
            match self.vars.fill(condition) {
                Ok(value) if value.is_empty() || value == "false" => return,
                Ok(_) => {}
                Err(problem) => {
                    self.checks.push(Check::error(
                        format!("{}/{}", self.id, slug(&step_name(step, index))),
                        step_name(step, index),
                        format!("`when`: {problem}"),
                    ));
                    return;
                }
            }
        }
        let name = self
            .vars
            .fill(&step_name(step, index))
            .unwrap_or_else(|_| step_name(step, index));
        let local_id = match &step.id {
            Some(id) => self.vars.fill(id).unwrap_or_else(|_| id.clone()),
            None => slug(&name),
        };
        let check_id = format!("{}/{local_id}", self.id);
        if self.stopped {
            if !step.setup {
                self.checks.push(Check::warn(
                    check_id,
                    name,
                    "not run: an earlier step failed",
                ));
            }
            return;
        }
        let (outcome, default_fix) = match &step.property {
            Some(property) => {
                let seed = self.options.seed.unwrap_or_else(rand::random);
                (
                    property::run(
                        step,
                        property,
                        &self.vars,
                        self.simulator,
                        self.options.timeout,
                        seed,
                    )
                    .await
                    .map(|()| Vec::new()),
                    "make the implementation hold the step's `expect` for every input; the minimal failing input is above",
                )
            }
            None => (
                self.plain(step, &name).await,
                "make the implementation answer as the step expects (the scenario's `expect`)",
            ),
        };
        match outcome {
            Ok(_) if step.setup => {}
            Ok(notes) if notes.is_empty() => {
                self.answered = true;
                self.checks.push(Check::pass(check_id, name));
            }
            Ok(notes) => {
                self.answered = true;
                self.checks
                    .push(Check::warn(check_id, name, notes.join("; ")));
            }
            Err(failure) if failure.unreachable && !self.answered => {
                self.stopped = true;
                self.checks.push(Check::error(
                    check_id,
                    name,
                    format!(
                        "{}; start the implementation (or pass --wait-for-target SECS) and run again",
                        failure.found
                    ),
                ));
            }
            Err(failure) => {
                self.answered |= failure.answered && !step.setup;
                let fix = failure
                    .fix
                    .or_else(|| {
                        step.fix
                            .as_ref()
                            .map(|fix| self.vars.fill(fix).unwrap_or_else(|_| fix.clone()))
                    })
                    .unwrap_or_else(|| default_fix.to_owned());
                if step.severity == Some(Severity::Warn) && failure.answered {
                    self.checks.push(Check::warn(
                        check_id,
                        name,
                        format!("{}: {fix}", failure.found),
                    ));
                    return;
                }
                self.stopped = !self.continue_on_failure;
                self.checks.push(Check::fail(
                    check_id,
                    name,
                    failure.found,
                    failure.expected,
                    fix,
                ));
            }
        }
    }

    /// A step run once: its answer, then its snapshot; the notes of a passing step.
    async fn plain(&mut self, step: &Step, name: &str) -> Result<Vec<String>, step::Failure> {
        let answer = step::run(
            step,
            &mut self.vars,
            self.simulator,
            self.options.timeout,
            self.previous.as_ref(),
        )
        .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(mut failure) => {
                self.previous = failure.answer.take().map(|answer| *answer);
                return Err(failure);
            }
        };
        if let Some(snapshot) = &step.snapshot {
            snapshot::compare(
                self.origin,
                snapshot,
                name,
                &snapshot::content(&answer.body, &step.redact),
                self.options.update_snapshots,
            )
            .map_err(|problem| step::Failure::new(problem, "the reviewed snapshot"))?;
        }
        let notes = answer.notes.clone();
        self.previous = Some(answer);
        Ok(notes)
    }
}

fn record(file: &std::sync::Mutex<std::fs::File>, id: &str, simulator: &Simulator) {
    use std::io::Write;
    let config = simulator.calcom().config();
    let secrets = [
        config.sync_secret.as_str(),
        config.encryption_key.as_str(),
        config.admin_api_key.as_str(),
    ];
    let mut lines = String::new();
    for entry in simulator.calcom().journal.entries(None) {
        let entry = serde_json::to_value(&*entry).unwrap_or_default();
        let line = serde_json::json!({
            "scenario": id,
            "entry": crate::protocol::redact::scrub_value(&entry, &secrets),
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    let mut file = file.lock().unwrap_or_else(|poison| poison.into_inner());
    if let Err(error) = file.write_all(lines.as_bytes()) {
        tracing::error!("cannot append to the record file: {error}");
    }
}

fn step_name(step: &Step, index: usize) -> String {
    if let Some(name) = &step.name {
        return name.clone();
    }
    let action = if step.judge_previous {
        "previous answer"
    } else if step.request.is_some() {
        "request"
    } else if step.deliver.is_some() {
        "deliver"
    } else if step.pull.is_some() {
        "pull"
    } else if step.push.is_some() {
        "push"
    } else if step.replay.is_some() {
        "replay"
    } else {
        "journal"
    };
    format!("step {} ({action})", index + 1)
}

fn slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for character in name.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}
