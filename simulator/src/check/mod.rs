//! Conformance reports: what a run of checks found, and its renderings (human, JSON,
//! TAP 14, JUnit). The checks themselves are scenario steps ([`crate::scenario`]; the
//! built-in suites are scenario files under `scenarios/suites/`).
//!
//! Each check has a stable id (`app-credential/rejects-wrong-secret`), the rule in words,
//! and an [`Outcome`]; a failure says what was found, what Cal.com does, and the fix.
//!
//! May import: [`crate::protocol`] (to mask secrets); nothing else.

use std::time::Duration;

use serde::Serialize;

/// How one check went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// As Cal.com requires.
    Pass,
    /// Acceptable to Cal.com, but worth knowing.
    Warn {
        /// What to know.
        note: String,
    },
    /// calsim could not run the check: nothing listens at the target, a variable is
    /// missing. The run exits 2, not 1.
    Error {
        /// What stopped it, and what to do.
        problem: String,
    },
    /// Not what Cal.com requires.
    Fail {
        /// What the implementation did.
        found: String,
        /// What Cal.com does or needs.
        expected: String,
        /// How to fix it.
        fix: String,
    },
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id, `<suite>/<rule>`.
    pub id: String,
    /// The rule, in words.
    pub rule: String,
    /// How it went.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Check {
    /// A passed check.
    pub fn pass(id: impl Into<String>, rule: impl Into<String>) -> Self {
        Check {
            id: id.into(),
            rule: rule.into(),
            outcome: Outcome::Pass,
        }
    }

    /// A check that passed with a note.
    pub fn warn(id: impl Into<String>, rule: impl Into<String>, note: impl Into<String>) -> Self {
        Check {
            id: id.into(),
            rule: rule.into(),
            outcome: Outcome::Warn { note: note.into() },
        }
    }

    /// A failed check.
    pub fn fail(
        id: impl Into<String>,
        rule: impl Into<String>,
        found: impl Into<String>,
        expected: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Check {
            id: id.into(),
            rule: rule.into(),
            outcome: Outcome::Fail {
                found: found.into(),
                expected: expected.into(),
                fix: fix.into(),
            },
        }
    }

    /// A check calsim could not run.
    pub fn error(
        id: impl Into<String>,
        rule: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Check {
            id: id.into(),
            rule: rule.into(),
            outcome: Outcome::Error {
                problem: problem.into(),
            },
        }
    }

    /// Whether it failed or could not run.
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Fail { .. } | Outcome::Error { .. })
    }

    /// Whether calsim could not run it.
    pub fn errored(&self) -> bool {
        matches!(self.outcome, Outcome::Error { .. })
    }

    /// One line: `PASS id: rule`, `WARN id: rule (note)`, `FAIL id: rule — found …; expected …; fix: …`.
    pub fn line(&self) -> String {
        match &self.outcome {
            Outcome::Pass => format!("PASS {}: {}", self.id, self.rule),
            Outcome::Warn { note } => format!("WARN {}: {} ({note})", self.id, self.rule),
            Outcome::Error { problem } => {
                format!(
                    "ERROR {}: {} — could not run: {problem}",
                    self.id, self.rule
                )
            }
            Outcome::Fail {
                found,
                expected,
                fix,
            } => format!(
                "FAIL {}: {} — found {found}; expected {expected}; fix: {fix}",
                self.id, self.rule
            ),
        }
    }
}

/// Every check of one suite run against one target.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The suite, e.g. `app-credential`.
    pub suite: String,
    /// What was checked.
    pub target: String,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// Wall time of the run.
    #[serde(serialize_with = "milliseconds")]
    pub elapsed: Duration,
}

impl Report {
    /// The report with every given secret, and every secret-named JSON field in what the
    /// implementation answered, masked: reports never show a secret, key or token in full.
    pub fn scrubbed(mut self, secrets: &[&str]) -> Self {
        let scrub = |text: &mut String| *text = crate::protocol::redact::scrub_text(text, secrets);
        scrub(&mut self.target);
        for check in &mut self.checks {
            scrub(&mut check.rule);
            match &mut check.outcome {
                Outcome::Pass => {}
                Outcome::Warn { note } => scrub(note),
                Outcome::Error { problem } => scrub(problem),
                Outcome::Fail {
                    found,
                    expected,
                    fix,
                } => {
                    scrub(found);
                    scrub(expected);
                    scrub(fix);
                }
            }
        }
        self
    }
}

/// At most 300 characters of an answer body for a report, with its full length.
pub fn excerpt(text: &str) -> String {
    const LIMIT: usize = 300;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
        None if text.is_empty() => "(empty body)".to_owned(),
        None => text.to_owned(),
    }
}

/// Several reports as one JUnit XML document, one test suite each.
pub fn junit(reports: &[Report], name: &str) -> String {
    let mut report = quick_junit::Report::new(name);
    report.set_time(reports.iter().map(|report| report.elapsed).sum());
    for each in reports {
        report.add_test_suite(each.junit_suite());
    }
    report.to_string().unwrap_or_default()
}

/// Several reports as TAP version 14: one test point per check, a YAML block with what
/// was found, expected and the fix for each failure, warnings as `# ` comments.
///
/// ```
/// use calsim::check::{tap, Check, Report};
/// let report = Report {
///     suite: "demo".into(),
///     target: "http://127.0.0.1:9".into(),
///     checks: vec![Check::pass("demo/a", "a holds"), Check::fail("demo/b", "b holds", "500", "200", "answer 200")],
///     elapsed: std::time::Duration::ZERO,
/// };
/// let text = tap(&[report]);
/// assert!(text.starts_with("TAP version 14\n1..2\nok 1 - demo/a: a holds\nnot ok 2 - demo/b: b holds\n  ---\n"));
/// ```
pub fn tap(reports: &[Report]) -> String {
    let total: usize = reports.iter().map(|report| report.checks.len()).sum();
    let mut text = format!("TAP version 14\n1..{total}\n");
    let quoted = |value: &str| serde_json::Value::String(value.to_owned()).to_string();
    let mut number = 0;
    for report in reports {
        for check in &report.checks {
            number += 1;
            match &check.outcome {
                Outcome::Pass => text.push_str(&format!("ok {number} - {}: {}\n", check.id, check.rule)),
                Outcome::Warn { note } => text.push_str(&format!(
                    "ok {number} - {}: {}\n# warning: {note}\n",
                    check.id, check.rule
                )),
                Outcome::Error { problem } => text.push_str(&format!(
                    "not ok {number} - {}: {}\n  ---\n  error: {}\n  ...\n",
                    check.id,
                    check.rule,
                    quoted(problem)
                )),
                Outcome::Fail {
                    found,
                    expected,
                    fix,
                } => text.push_str(&format!(
                    "not ok {number} - {}: {}\n  ---\n  found: {}\n  expected: {}\n  fix: {}\n  ...\n",
                    check.id,
                    check.rule,
                    quoted(found),
                    quoted(expected),
                    quoted(fix)
                )),
            }
        }
    }
    text
}

fn milliseconds<S: serde::Serializer>(
    elapsed: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(elapsed.as_millis() as u64)
}

impl Report {
    /// How many passed (warnings included).
    pub fn passed(&self) -> usize {
        self.checks.len() - self.failed()
    }

    /// How many failed.
    pub fn failed(&self) -> usize {
        self.checks.iter().filter(|check| check.failed()).count()
    }

    /// The failed checks' ids.
    pub fn failed_ids(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|check| check.failed())
            .map(|check| check.id.as_str())
            .collect()
    }

    /// Whether calsim could not run some check (the CLI exits 2).
    pub fn errored(&self) -> bool {
        self.checks.iter().any(Check::errored)
    }

    /// One line per check, then `N passed, M failed`.
    pub fn human(&self) -> String {
        let mut text = format!("calsim check {} against {}\n", self.suite, self.target);
        for check in &self.checks {
            text.push_str(&check.line());
            text.push('\n');
        }
        text.push_str(&format!(
            "{} passed, {} failed\n",
            self.passed(),
            self.failed()
        ));
        text
    }

    /// The report as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "suite": self.suite,
            "target": self.target,
            "passed": self.passed(),
            "failed": self.failed(),
            "elapsedMs": self.elapsed.as_millis() as u64,
            "checks": self.checks,
        })
    }

    /// The report as JUnit XML, one test case per check.
    pub fn junit(&self) -> String {
        junit(
            std::slice::from_ref(self),
            &format!("calsim check {}", self.suite),
        )
    }

    fn junit_suite(&self) -> quick_junit::TestSuite {
        use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
        let mut suite = TestSuite::new(format!("calsim {}", self.suite));
        suite.set_time(self.elapsed);
        for check in &self.checks {
            let status = match &check.outcome {
                Outcome::Pass | Outcome::Warn { .. } => TestCaseStatus::success(),
                Outcome::Fail { .. } => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status.set_message(check.line());
                    status.set_type("conformance");
                    status
                }
                Outcome::Error { .. } => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                    status.set_message(check.line());
                    status.set_type("could-not-run");
                    status
                }
            };
            let mut case = TestCase::new(check.id.as_str(), status);
            case.set_classname(format!("calsim.{}", self.suite));
            if let Outcome::Warn { note } = &check.outcome {
                case.set_system_out(format!("warning: {note}"));
            }
            suite.add_test_case(case);
        }
        suite
    }
}
