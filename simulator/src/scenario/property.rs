//! Property steps: one step run over generated variables (proptest's strategies and
//! shrinking). A failing case is shrunk to a minimal one, reported with the seed that
//! reproduces it (`calsim run --seed N`).

use std::time::Duration;

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, ValueTree};
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};

use crate::calcom::simulator::Simulator;
use crate::protocol::trigger::TriggerEvent;
use crate::scenario::model::{Property, Step};
use crate::scenario::step::{self, Failure};
use crate::scenario::vars::Vars;

/// How far a failing case is shrunk at most.
const MAX_SHRINK_STEPS: usize = 256;

/// A generator named in `generate`.
fn strategy(kind: &str) -> Result<BoxedStrategy<String>, String> {
    let regex = |pattern: &str| {
        proptest::string::string_regex(pattern)
            .map(|strategy| strategy.boxed())
            .map_err(|error| format!("`{pattern}` is not a usable pattern: {error}"))
    };
    match kind {
        "trigger" => {
            let triggers: Vec<String> = TriggerEvent::ALL
                .iter()
                .filter(|trigger| **trigger != TriggerEvent::Ping)
                .map(|trigger| trigger.as_str().to_owned())
                .collect();
            Ok(prop::sample::select(triggers).boxed())
        }
        "text" => regex("\\PC{0,40}"),
        "email" => regex("[a-z]{1,10}@[a-z]{1,10}\\.(com|org|dev)"),
        "int" => Ok(any::<i64>().prop_map(|number| number.to_string()).boxed()),
        other => {
            if let Some(choices) = other.strip_prefix("one-of:") {
                let choices: Vec<String> = choices.split(',').map(str::to_owned).collect();
                return Ok(prop::sample::select(choices).boxed());
            }
            if let Some(pattern) = other.strip_prefix("regex:") {
                return regex(pattern);
            }
            Err(format!(
                "unknown generator `{other}`; use trigger, text, email, int, one-of:a,b,c or regex:PATTERN"
            ))
        }
    }
}

/// What the generating thread asks the async side.
enum Ask {
    /// Run the step with these values and say whether it failed.
    Try(Vec<String>),
    /// Done: every case held, or the (case, smallest failing values).
    Done(Option<(u32, Vec<String>)>),
}

/// Generates cases and shrinks a failure on its own thread (proptest's value trees are not
/// `Send`); each case is run by the async side, which answers whether it failed.
fn generate(
    kinds: Vec<String>,
    cases: u32,
    seed: u64,
    asks: tokio::sync::mpsc::Sender<Ask>,
    failed: std::sync::mpsc::Receiver<bool>,
) {
    let Ok(strategies) = kinds
        .iter()
        .map(|kind| strategy(kind))
        .collect::<Result<Vec<_>, _>>()
    else {
        let _ = asks.blocking_send(Ask::Done(None));
        return;
    };
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let ask = |values: Vec<String>| -> Option<bool> {
        asks.blocking_send(Ask::Try(values)).ok()?;
        failed.recv().ok()
    };
    for case in 1..=cases {
        let Ok(mut tree) = strategies.new_tree(&mut runner) else {
            break;
        };
        match ask(tree.current()) {
            Some(true) => {}
            Some(false) => continue,
            None => return,
        }
        let mut smallest = tree.current();
        let mut steps = 0;
        'shrinking: while steps < MAX_SHRINK_STEPS && tree.simplify() {
            loop {
                steps += 1;
                match ask(tree.current()) {
                    Some(true) => {
                        smallest = tree.current();
                        break;
                    }
                    Some(false) if steps < MAX_SHRINK_STEPS && tree.complicate() => continue,
                    Some(false) => break 'shrinking,
                    None => return,
                }
            }
        }
        let _ = asks.blocking_send(Ask::Done(Some((case, smallest))));
        return;
    }
    let _ = asks.blocking_send(Ask::Done(None));
}

/// Runs `step` once per generated case; the first failure is shrunk and reported.
pub async fn run(
    step: &Step,
    property: &Property,
    vars: &Vars,
    simulator: &Simulator,
    timeout: Duration,
    seed: u64,
) -> Result<(), Failure> {
    let names: Vec<String> = property.generate.keys().cloned().collect();
    let kinds: Vec<String> = property.generate.values().cloned().collect();
    for kind in &kinds {
        if let Err(problem) = strategy(kind) {
            return Err(Failure::new(problem, "a step calsim can run"));
        }
    }
    let cases = property.cases.unwrap_or(64);
    let (asks_sender, mut asks) = tokio::sync::mpsc::channel(1);
    let (answers, failed) = std::sync::mpsc::channel();
    std::thread::spawn(move || generate(kinds, cases, seed, asks_sender, failed));
    let mut failures: Vec<(Vec<String>, Failure)> = Vec::new();
    while let Some(ask) = asks.recv().await {
        match ask {
            Ask::Try(values) => {
                let mut case_vars = vars.clone();
                for (name, value) in names.iter().zip(&values) {
                    case_vars.set(name, value.clone());
                }
                let result = step::run(step, &mut case_vars, simulator, timeout, None).await;
                let failed_now = result.is_err();
                if let Err(failure) = result {
                    failures.push((values, failure));
                }
                if answers.send(failed_now).is_err() {
                    break;
                }
            }
            Ask::Done(None) => return Ok(()),
            Ask::Done(Some((case, values))) => {
                let failure = failures
                    .into_iter()
                    .rev()
                    .find(|(tried, _)| *tried == values)
                    .map(|(_, failure)| failure)
                    .unwrap_or_else(|| Failure::new(String::new(), String::new()));
                let input: Vec<String> = names
                    .iter()
                    .zip(&values)
                    .map(|(name, value)| {
                        format!("{name} = {}", serde_json::Value::String(value.clone()))
                    })
                    .collect();
                return Err(Failure {
                    found: format!(
                        "case {case} of {cases} failed; minimal failing input {{ {} }}: {} (reproduce with --seed {seed})",
                        input.join(", "),
                        failure.found
                    ),
                    ..failure
                });
            }
        }
    }
    Ok(())
}
