//! The log on stderr: readable lines, `info` by default, and a budget so a load test
//! neither floods the terminal nor pays to format lines nobody reads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tracing::{Level, Metadata};
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How many log lines a second reach stderr; errors always do.
pub const LINES_PER_SECOND: u64 = 50;

/// Lets at most `per_second` events a second through (errors always), counts the rest,
/// and says how many were left out when the next second's first event comes.
#[derive(Debug)]
pub struct LogBudget {
    per_second: u64,
    started: Instant,
    second: AtomicU64,
    used: AtomicU64,
    left_out: AtomicU64,
}

impl LogBudget {
    /// A budget of `per_second` lines a second.
    pub fn new(per_second: u64) -> Self {
        LogBudget {
            per_second,
            started: Instant::now(),
            second: AtomicU64::new(0),
            used: AtomicU64::new(0),
            left_out: AtomicU64::new(0),
        }
    }

    /// Whether one more event may be written now; the second it happens in is given so
    /// tests need not wait. Returns what to say about the last second's left-out lines
    /// when a new second starts.
    pub fn admit(&self, second: u64) -> (bool, Option<String>) {
        let mut note = None;
        let current = self.second.load(Ordering::Relaxed);
        if second != current
            && self
                .second
                .compare_exchange(current, second, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.used.store(0, Ordering::Relaxed);
            let left_out = self.left_out.swap(0, Ordering::Relaxed);
            if left_out > 0 {
                note = Some(format!(
                    "{left_out} log lines left out (at most {} a second); `calsim journal --follow` shows every exchange",
                    self.per_second
                ));
            }
        }
        if self.used.fetch_add(1, Ordering::Relaxed) < self.per_second {
            (true, note)
        } else {
            self.left_out.fetch_add(1, Ordering::Relaxed);
            (false, note)
        }
    }
}

impl<S> Filter<S> for LogBudget {
    fn enabled(&self, metadata: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        if !metadata.is_event() || *metadata.level() == Level::ERROR {
            return true;
        }
        let (admitted, note) = self.admit(self.started.elapsed().as_secs());
        if let Some(note) = note {
            eprintln!("{:.6}  WARN {note}", jiff::Timestamp::now());
        }
        admitted
    }
}

/// Logs to stderr, readable, `info` by default (`-v` debug, `-vv` trace, or
/// `RUST_LOG`), at most [`LINES_PER_SECOND`] lines a second.
pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "calsim=info",
        1 => "calsim=debug",
        _ => "calsim=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .compact()
        .with_filter(tracing_subscriber::filter::FilterExt::and(
            filter,
            LogBudget::new(LINES_PER_SECOND),
        ));
    tracing_subscriber::registry().with(lines).init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_admits_its_budget_and_the_next_says_how_many_were_left_out() {
        let budget = LogBudget::new(3);

        let first: Vec<bool> = (0..5).map(|_| budget.admit(0).0).collect();
        let (admitted, note) = budget.admit(1);
        let (_, quiet) = budget.admit(1);

        assert_eq!(first, [true, true, true, false, false]);
        assert!(admitted);
        assert_eq!(
            note.as_deref(),
            Some("2 log lines left out (at most 3 a second); `calsim journal --follow` shows every exchange")
        );
        assert_eq!(quiet, None);
    }
}
