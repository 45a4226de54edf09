//! Cal.com's `WebhookTriggerEvents`, plus the `PING` test delivery.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! triggers {
    ($($variant:ident => $name:literal,)*) => {
        /// A webhook trigger event, named as on the wire.
        ///
        /// ```
        /// use calsim::trigger::TriggerEvent;
        ///
        /// assert_eq!("BOOKING_CREATED".parse::<TriggerEvent>().unwrap(), TriggerEvent::BookingCreated);
        /// let error = "BOOKING_CREATD".parse::<TriggerEvent>().unwrap_err();
        /// assert!(error.to_string().contains("did you mean BOOKING_CREATED?"));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum TriggerEvent {
            $(
                #[doc = $name]
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl TriggerEvent {
            /// The 21 enum members in Prisma order, then `PING` (test deliveries only).
            pub const ALL: &'static [TriggerEvent] = &[$(TriggerEvent::$variant,)*];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(TriggerEvent::$variant => $name,)*
                }
            }
        }
    };
}

triggers! {
    BookingCreated => "BOOKING_CREATED",
    BookingPaymentInitiated => "BOOKING_PAYMENT_INITIATED",
    BookingPaid => "BOOKING_PAID",
    BookingRescheduled => "BOOKING_RESCHEDULED",
    BookingRequested => "BOOKING_REQUESTED",
    BookingCancelled => "BOOKING_CANCELLED",
    BookingRejected => "BOOKING_REJECTED",
    BookingNoShowUpdated => "BOOKING_NO_SHOW_UPDATED",
    FormSubmitted => "FORM_SUBMITTED",
    MeetingEnded => "MEETING_ENDED",
    MeetingStarted => "MEETING_STARTED",
    RecordingReady => "RECORDING_READY",
    InstantMeeting => "INSTANT_MEETING",
    RecordingTranscriptionGenerated => "RECORDING_TRANSCRIPTION_GENERATED",
    OooCreated => "OOO_CREATED",
    AfterHostsCalVideoNoShow => "AFTER_HOSTS_CAL_VIDEO_NO_SHOW",
    AfterGuestsCalVideoNoShow => "AFTER_GUESTS_CAL_VIDEO_NO_SHOW",
    FormSubmittedNoEvent => "FORM_SUBMITTED_NO_EVENT",
    RoutingFormFallbackHit => "ROUTING_FORM_FALLBACK_HIT",
    DelegationCredentialError => "DELEGATION_CREDENTIAL_ERROR",
    WrongAssignmentReport => "WRONG_ASSIGNMENT_REPORT",
    Ping => "PING",
}

impl fmt::Display for TriggerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A trigger name Cal.com does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trigger {name}; {}", suggestion.map(|s| format!("did you mean {s}?")).unwrap_or_else(known_names))]
pub struct UnknownTrigger {
    /// What was asked for.
    pub name: String,
    /// The closest known name, if any is close.
    pub suggestion: Option<&'static str>,
}

impl FromStr for TriggerEvent {
    type Err = UnknownTrigger;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let wanted = name.trim().to_ascii_uppercase().replace('-', "_");
        if let Some(found) = TriggerEvent::ALL
            .iter()
            .find(|trigger| trigger.as_str() == wanted)
        {
            return Ok(*found);
        }
        let suggestion = TriggerEvent::ALL
            .iter()
            .map(|trigger| (edit_distance(&wanted, trigger.as_str()), trigger.as_str()))
            .filter(|(distance, _)| *distance <= 3)
            .min()
            .map(|(_, name)| name);
        Err(UnknownTrigger {
            name: name.to_owned(),
            suggestion,
        })
    }
}

fn known_names() -> String {
    let names: Vec<&str> = TriggerEvent::ALL
        .iter()
        .map(|trigger| trigger.as_str())
        .collect();
    format!("use one of {}", names.join(", "))
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
