//! Time-based work on the simulator's clock, kept as data: MEETING_STARTED at a
//! booking's start, MEETING_ENDED at its end, FORM_SUBMITTED_NO_EVENT, delivery retries.
//! This module only queues jobs; [`crate::calcom::due_work`] is the one place that runs
//! them, when the clock passes their time.

use std::sync::Mutex;

use serde::Serialize;

use crate::protocol::trigger::TriggerEvent;

/// Work due at a time on the simulator's clock.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// When, epoch ms on the simulator's clock.
    pub due_ms: i64,
    /// What to do.
    #[serde(flatten)]
    pub work: Work,
}

/// What a job does.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Work {
    /// Send MEETING_STARTED or MEETING_ENDED for a booking.
    Meeting {
        /// The trigger.
        trigger: TriggerEvent,
        /// The booking.
        booking_uid: String,
    },
    /// FORM_SUBMITTED_NO_EVENT for a routing-form submission that led to no booking.
    FormNoEvent {
        /// The email the submission gave, if any.
        email: Option<String>,
        /// When the form was submitted (epoch ms).
        submitted_ms: i64,
        /// The form owner.
        user_id: i64,
        /// The payload to send.
        #[serde(skip)]
        data: serde_json::Map<String, serde_json::Value>,
    },
    /// Send a delivery again after a network error (opt-in retry policy).
    Retry {
        /// The subscription.
        subscription_id: String,
        /// Which attempt this will be (2 or more).
        attempt: u32,
        /// The exact request to send again.
        #[serde(skip)]
        outgoing: Box<crate::net::delivery::Outgoing>,
    },
}

/// The most jobs that wait at once; past it a new job is dropped with a warning (a run
/// that books this much is a load test, and memory stays bounded).
pub const MAX_PENDING: usize = 100_000;

/// The pending jobs (at most [`MAX_PENDING`]).
#[derive(Debug, Default)]
pub struct Scheduler {
    jobs: Mutex<Vec<Job>>,
    /// Held while jobs are taken and sent, so a clock move and the ticker never split them.
    pub(crate) runner: tokio::sync::Mutex<()>,
}

impl Scheduler {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Adds a job, unless [`MAX_PENDING`] already wait (then it is dropped and logged).
    pub fn schedule(&self, job: Job) {
        let mut jobs = self.lock();
        if jobs.len() < MAX_PENDING {
            jobs.push(job);
            return;
        }
        drop(jobs);
        tracing::warn!(
            due_ms = job.due_ms,
            "the scheduler already holds {MAX_PENDING} jobs, so this one is dropped; advance the clock to run what is due"
        );
    }

    /// Drops a booking's meeting jobs (cancelled or rescheduled).
    pub fn unschedule(&self, booking_uid: &str) {
        self.lock().retain(|job| !matches!(&job.work, Work::Meeting { booking_uid: uid, .. } if uid == booking_uid));
    }

    /// Drops one meeting job of a booking (it was fired by hand).
    pub fn unschedule_meeting(&self, booking_uid: &str, trigger: TriggerEvent) {
        self.lock().retain(|job| {
            !matches!(&job.work, Work::Meeting { booking_uid: uid, trigger: due } if uid == booking_uid && *due == trigger)
        });
    }

    /// The pending jobs, soonest first.
    pub fn pending(&self) -> Vec<Job> {
        let mut jobs = self.lock().clone();
        jobs.sort_by_key(|job| job.due_ms);
        jobs
    }

    /// Forgets every job.
    pub fn clear(&self) {
        self.lock().clear();
    }

    pub(crate) fn take_due(&self, now_ms: i64) -> Vec<Job> {
        let mut jobs = self.lock();
        let (due, later): (Vec<Job>, Vec<Job>) =
            jobs.drain(..).partition(|job| job.due_ms <= now_ms);
        *jobs = later;
        let mut due = due;
        due.sort_by_key(|job| job.due_ms);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_limit_a_new_job_is_dropped_and_the_waiting_ones_kept() {
        let scheduler = Scheduler::default();
        for index in 0..=MAX_PENDING {
            scheduler.schedule(Job {
                due_ms: index as i64,
                work: Work::Meeting {
                    trigger: TriggerEvent::MeetingStarted,
                    booking_uid: String::new(),
                },
            });
        }

        let pending = scheduler.pending();

        assert_eq!(pending.len(), MAX_PENDING);
        assert_eq!(
            pending.last().map(|job| job.due_ms),
            Some(MAX_PENDING as i64 - 1)
        );
    }
}
