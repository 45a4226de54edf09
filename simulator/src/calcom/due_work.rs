//! Runs the scheduler's due jobs: the one place that turns queued work
//! ([`crate::calcom::scheduler::Work`]) into meeting triggers, form follow-ups and retries.
//! Jobs run when the clock passes their time — in real time (a background tick) or at
//! once when a test moves the clock forward.

use std::sync::Arc;
use std::time::Duration;

use crate::calcom::dispatch::Dispatched;
use crate::calcom::scheduler::Work;
use crate::calcom::state::Calcom;

/// Runs every job whose time has come, in time order, each sent once.
pub async fn run_due(calcom: &Arc<Calcom>) -> Vec<Dispatched> {
    let _running = calcom.scheduler.runner.lock().await;
    run_locked(calcom).await
}

/// Moves the clock forward and runs what became due, as one step.
pub async fn advance(calcom: &Arc<Calcom>, ms: i64) -> Vec<Dispatched> {
    let _running = calcom.scheduler.runner.lock().await;
    calcom.clock.advance_ms(ms);
    run_locked(calcom).await
}

async fn run_locked(calcom: &Arc<Calcom>) -> Vec<Dispatched> {
    let mut dispatched = Vec::new();
    for job in calcom.scheduler.take_due(calcom.clock.now_ms()) {
        match job.work {
            Work::Meeting {
                trigger,
                booking_uid,
            } => {
                dispatched.extend(
                    crate::calcom::booking::fire_meeting(calcom, trigger, &booking_uid).await,
                );
            }
            Work::FormNoEvent {
                email,
                submitted_ms,
                user_id,
                data,
            } => {
                let sent = crate::calcom::booking::form_no_event(
                    calcom,
                    email.as_deref(),
                    submitted_ms,
                    user_id,
                    data,
                );
                dispatched.extend(sent.await);
            }
            Work::Retry {
                subscription_id,
                attempt,
                outgoing,
            } => {
                dispatched.push(
                    crate::calcom::dispatch::send(calcom, subscription_id, *outgoing, attempt)
                        .await,
                );
            }
        }
    }
    dispatched
}

/// Runs due jobs every `every` of real time (`Config::scheduler_tick`).
pub fn spawn_ticker(calcom: Arc<Calcom>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            run_due(&calcom).await;
        }
    })
}
