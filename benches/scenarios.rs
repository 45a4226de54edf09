//! Scenario throughput: 100 copies of `scenarios/examples/credential-push.toml` (3 steps
//! each, each scenario with its own fake Cal.com) run with 8 jobs; prints scenarios/s and
//! steps/s, and the ratio to a bare loop making the same 300 HTTP exchanges against one
//! fake Cal.com in the same run.
//!
//! `cargo bench --bench scenarios`

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::time::Instant;

use calsim::scenario::{self, RunOptions};

const SCENARIOS: usize = 100;

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let path = std::path::PathBuf::from("scenarios/examples/credential-push.toml");
        let loaded = scenario::load(&[path]).unwrap();
        let steps = loaded[0].file.steps.len();
        let many: Vec<_> = (0..SCENARIOS).map(|_| loaded[0].clone()).collect();
        let options = RunOptions {
            jobs: 8,
            ..RunOptions::default()
        };

        let started = Instant::now();
        let reports = scenario::run(many, &options).await;
        let runner = started.elapsed().as_secs_f64();
        assert!(reports.iter().all(|report| report.failed() == 0));

        let simulator = calsim::Simulator::start().await.unwrap();
        let client = reqwest::Client::new();
        let started = Instant::now();
        for _ in 0..SCENARIOS * steps {
            client
                .get(format!("{}/_calsim/credentials?userId=1", simulator.url()))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
        }
        let bare = started.elapsed().as_secs_f64();

        println!("{SCENARIOS} scenarios of {steps} steps, 8 jobs, each with its own fake Cal.com:");
        println!(
            "  runner: {:.0} scenarios/s, {:.0} steps/s ({runner:.2} s)",
            SCENARIOS as f64 / runner,
            (SCENARIOS * steps) as f64 / runner
        );
        println!("  bare sequential HTTP loop, same number of exchanges: {bare:.2} s");
        println!("  ratio runner/bare time: {:.2}", runner / bare);
    });
}
