//! The simulator's clock: real time plus an offset that tests can move forward.
//!
//! Token expiry (and, later, meeting start and end times) is judged against this clock,
//! so a test can jump past an expiry instantly instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, shifted by an adjustable offset.
///
/// ```
/// let clock = calsim::Clock::default();
/// let before = clock.now_ms();
/// clock.advance_ms(3_600_000);
/// assert!(clock.now_ms() >= before + 3_600_000);
/// ```
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Now, in epoch milliseconds (JavaScript's `Date.now()`).
    pub fn now_ms(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as i64);
        real + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves the clock forward (or back, with a negative amount).
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Puts the clock back to real time.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }

    /// How far the clock is ahead of real time.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}
