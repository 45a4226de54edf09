//! One event to every subscription in scope: the event-to-delivery pipeline.
//!
//! ```text
//! Event --payload--> body (default, template, flat) --signing--> Outgoing --delivery--> Attempt --journal
//! ```
//! Each active subscription whose scope matches and whose triggers contain the event
//! gets its own request, with its own secret and template; all are sent in parallel,
//! once each, as Cal.com's `Promise.allSettled` does (`shared/spec/webhooks.md` §1.6, §1.8).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::calcom::scheduler::{Job, Work};
use crate::calcom::state::Calcom;
use crate::calcom::subscription::Scope;
use crate::net::delivery::{self, Attempt, Outgoing};
use crate::protocol::payload;
use crate::protocol::trigger::TriggerEvent;

/// Something that happened, before any bytes exist.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The trigger.
    pub trigger: TriggerEvent,
    /// The scopes it happens in (the organizer, the event type, the organization…).
    pub scopes: Vec<Scope>,
    /// The event data as Cal.com holds it before sending.
    pub data: Map<String, Value>,
    /// `createdAt`; default: the simulator's clock now.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// One subscription's delivery of an event.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dispatched {
    /// The subscription.
    pub subscription_id: String,
    /// Where it went.
    pub subscriber_url: String,
    /// What happened (no attempt when the template does not compile: Cal.com throws).
    pub attempt: Option<Attempt>,
    /// Why nothing was sent.
    pub error: Option<String>,
}

/// Sends an event to every matching subscription in parallel and journals each attempt.
pub async fn dispatch(calcom: &Arc<Calcom>, event: Event) -> Vec<Dispatched> {
    let created_at = event.created_at.clone().unwrap_or_else(|| {
        payload::iso_string(
            jiff::Timestamp::from_millisecond(calcom.clock.now_ms())
                .unwrap_or_else(|_| jiff::Timestamp::now()),
        )
    });
    let config = calcom.config();
    let version_header = config.profile == crate::Profile::Current;
    let mut sends = tokio::task::JoinSet::new();
    for subscription in calcom.store.subscriptions(None) {
        if !subscription.receives(event.trigger, &event.scopes) {
            continue;
        }
        let rendered = body_for(&subscription, &event, &created_at, &config);
        let calcom = Arc::clone(calcom);
        sends.spawn(async move {
            match rendered {
                Ok((body, content_type)) => {
                    let outgoing = Outgoing::signed(
                        &subscription.subscriber_url,
                        body,
                        content_type,
                        subscription.secret.as_deref(),
                        version_header,
                    );
                    send(&calcom, subscription.id, outgoing, 1).await
                }
                Err(error) => Dispatched {
                    subscription_id: subscription.id,
                    subscriber_url: subscription.subscriber_url,
                    attempt: None,
                    error: Some(error.to_string()),
                },
            }
        });
    }
    let mut dispatched = Vec::new();
    while let Some(done) = sends.join_next().await {
        if let Ok(done) = done {
            dispatched.push(done);
        }
    }
    dispatched.sort_by(|a, b| a.subscription_id.cmp(&b.subscription_id));
    dispatched
}

/// The body and content type a subscription gets for an event: Zapier's flat body for
/// booking-style triggers, its template if it has one, else the trigger's default shape
/// (MEETING_* wrapped when `wrapped_meeting_bodies` is set).
fn body_for(
    subscription: &crate::calcom::subscription::Subscription,
    event: &Event,
    created_at: &str,
    config: &crate::Config,
) -> Result<(String, &'static str), crate::protocol::template::TemplateError> {
    let shape = payload::BodyShape::of(event.trigger);
    let data = event.data.clone();
    if subscription.app_id.as_deref() == Some("zapier") && shape == payload::BodyShape::Booking {
        return Ok((payload::zapier_body(created_at, data), delivery::JSON));
    }
    if let Some(template) = &subscription.payload_template {
        let rendered = payload::build_templated_body(template, event.trigger, created_at, data)?;
        return Ok((rendered.body, rendered.content_type));
    }
    if config.wrapped_meeting_bodies && shape == payload::BodyShape::FlatMeeting {
        return Ok((
            payload::default_body(event.trigger, created_at, &Value::Object(data)),
            delivery::JSON,
        ));
    }
    Ok((
        payload::build_body(event.trigger, created_at, data),
        delivery::JSON,
    ))
}

/// Sends one attempt; with the opt-in retry policy, a network error (never a status)
/// schedules the next attempt after 10 s × 1.5^(n−1), at most 600 s, on the clock.
pub async fn send(
    calcom: &Arc<Calcom>,
    subscription_id: String,
    outgoing: Outgoing,
    attempt_number: u32,
) -> Dispatched {
    let config = calcom.config();
    let attempt = delivery::deliver(
        &calcom.webhooks,
        &outgoing,
        config.pull_timeout,
        Some(&calcom.journal),
    )
    .await;
    if attempt.status.is_none() && attempt_number < config.webhook_max_attempts {
        let backoff_ms = (10_000.0 * 1.5_f64.powi(attempt_number as i32 - 1)).min(600_000.0) as i64;
        calcom.scheduler.schedule(Job {
            due_ms: calcom.clock.now_ms() + backoff_ms,
            work: Work::Retry {
                subscription_id: subscription_id.clone(),
                attempt: attempt_number + 1,
                outgoing: Box::new(outgoing.clone()),
            },
        });
    }
    Dispatched {
        subscription_id,
        subscriber_url: outgoing.url,
        attempt: Some(attempt),
        error: None,
    }
}
