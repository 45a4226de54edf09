//! `calsim booking`: drive a running fake Cal.com's booking lifecycle from the shell.

use std::io::Write;
use std::time::Duration;

use serde_json::{json, Value};

/// Create and change bookings on a running `calsim serve` (each step fires its webhooks).
#[derive(Debug, clap::Args)]
pub struct BookingCommand {
    /// The fake Cal.com's base URL.
    #[arg(long, default_value = "http://127.0.0.1:3000", global = true)]
    url: String,
    #[command(subcommand)]
    step: Step,
}

#[derive(Debug, clap::Subcommand)]
enum Step {
    /// Book an event type (BOOKING_CREATED, _REQUESTED or _PAYMENT_INITIATED).
    Create {
        /// The event type (seeded: 1, 2, 3).
        #[arg(long, default_value_t = 1)]
        event_type: i64,
        /// Start, ISO 8601.
        #[arg(long)]
        start: String,
        /// Length in minutes.
        #[arg(long, default_value_t = 30)]
        length_minutes: i64,
        /// The organizer must confirm (BOOKING_REQUESTED).
        #[arg(long)]
        requires_confirmation: bool,
        /// Price in minor units (BOOKING_PAYMENT_INITIATED until paid).
        #[arg(long, default_value_t = 0)]
        price: i64,
    },
    /// Confirm a requested booking (BOOKING_CREATED).
    Confirm {
        /// The booking's uid (`calsim booking` prints it; GET /_calsim/bookings lists them).
        uid: String,
    },
    /// Reject a requested booking (BOOKING_REJECTED).
    Reject {
        /// The booking's uid (`calsim booking` prints it; GET /_calsim/bookings lists them).
        uid: String,
        /// Why (the payload's `rejectionReason`).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Cancel (BOOKING_CANCELLED).
    Cancel {
        /// The booking's uid (`calsim booking` prints it; GET /_calsim/bookings lists them).
        uid: String,
        /// Why (the payload's `cancellationReason`).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Move to a new start (BOOKING_RESCHEDULED, new uid).
    Reschedule {
        /// The booking's uid (`calsim booking` prints it; GET /_calsim/bookings lists them).
        uid: String,
        /// The new start, ISO 8601.
        #[arg(long)]
        start: String,
    },
    /// Pay a priced booking (BOOKING_PAID).
    Pay {
        /// The booking's uid (`calsim booking` prints it; GET /_calsim/bookings lists them).
        uid: String,
    },
    /// Mark the guest as a no-show (BOOKING_NO_SHOW_UPDATED); --undo unmarks.
    NoShow {
        /// The booking's uid (`calsim booking` prints it; GET /_calsim/bookings lists them).
        uid: String,
        /// Unmark the no-show instead.
        #[arg(long)]
        undo: bool,
    },
    /// Start the meeting now (MEETING_STARTED) instead of at its time.
    Start {
        /// The booking's uid (`calsim booking` prints it; GET /_calsim/bookings lists them).
        uid: String,
    },
    /// End the meeting now (MEETING_ENDED) instead of at its time.
    End {
        /// The booking's uid (`calsim booking` prints it; GET /_calsim/bookings lists them).
        uid: String,
    },
}

impl BookingCommand {
    pub async fn run(self) -> anyhow::Result<u8> {
        let base = self.url.trim_end_matches('/');
        let (path, body) = match self.step {
            Step::Create {
                event_type,
                start,
                length_minutes,
                requires_confirmation,
                price,
            } => (
                "/_calsim/bookings".to_owned(),
                json!({ "eventTypeId": event_type, "start": start, "lengthMinutes": length_minutes, "requiresConfirmation": requires_confirmation, "price": price }),
            ),
            Step::Confirm { uid } => (format!("/_calsim/bookings/{uid}/confirm"), json!({})),
            Step::Reject { uid, reason } => (
                format!("/_calsim/bookings/{uid}/reject"),
                json!({ "reason": reason }),
            ),
            Step::Cancel { uid, reason } => (
                format!("/_calsim/bookings/{uid}/cancel"),
                json!({ "reason": reason }),
            ),
            Step::Reschedule { uid, start } => (
                format!("/_calsim/bookings/{uid}/reschedule"),
                json!({ "start": start }),
            ),
            Step::Pay { uid } => (format!("/_calsim/bookings/{uid}/pay"), json!({})),
            Step::Start { uid } => (format!("/_calsim/bookings/{uid}/start"), json!({})),
            Step::End { uid } => (format!("/_calsim/bookings/{uid}/end"), json!({})),
            Step::NoShow { uid, undo } => (
                format!("/_calsim/bookings/{uid}/no-show"),
                json!({ "noShow": !undo }),
            ),
        };
        let timeout = Duration::from_secs(30);
        let response = calsim::net::http_client::build(timeout)
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .map_err(|error| {
                anyhow::anyhow!(
                    "no answer from {base}: {}",
                    calsim::net::http_client::describe_error(&error, timeout)
                )
            })?;
        let status = response.status();
        let text = response.text().await?;
        let shown = serde_json::from_str::<Value>(&text).map_or(text, |value| format!("{value:#}"));
        writeln!(std::io::stdout(), "{shown}")?;
        Ok(if status.is_success() {
            super::EXIT_OK
        } else {
            super::EXIT_CHECK_FAILED
        })
    }
}
