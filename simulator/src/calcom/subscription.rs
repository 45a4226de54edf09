//! Webhook subscriptions (Cal.com's `Webhook` rows) and who receives an event.
//!
//! A subscription belongs to one scope — a user, an event type, an organization or a
//! platform OAuth client — and lists its triggers, its secret, its template and whether
//! it is active. An event goes to every active subscription in scope whose triggers
//! contain it (`shared/spec/webhooks.md` §1.8, §3.6).

use serde::{Deserialize, Serialize};

use crate::protocol::trigger::TriggerEvent;

/// Whose subscription it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "id")]
pub enum Scope {
    /// `/v2/webhooks`: a user's.
    User(i64),
    /// `/v2/event-types/{id}/webhooks`.
    EventType(i64),
    /// `/v2/organizations/{orgId}/webhooks` (stored as `teamId`).
    Organization(i64),
    /// `/v2/oauth-clients/{clientId}/webhooks`.
    OAuthClient(String),
}

/// A `Webhook` row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// UUID v4.
    pub id: String,
    /// Whose it is.
    pub scope: Scope,
    /// Where deliveries go, exactly as given (query kept).
    pub subscriber_url: String,
    /// `eventTriggers`.
    pub triggers: Vec<TriggerEvent>,
    /// Inactive subscriptions receive nothing.
    pub active: bool,
    /// `payloadTemplate`, if any.
    pub payload_template: Option<String>,
    /// The signing secret, if any (`no-secret-provided` otherwise).
    pub secret: Option<String>,
    /// Always `2021-10-20`.
    pub version: String,
    /// `zapier`, `make`… for app subscriptions.
    pub app_id: Option<String>,
}

impl Subscription {
    /// Whether this subscription receives `trigger` for an event in these scopes.
    pub fn receives(&self, trigger: TriggerEvent, scopes: &[Scope]) -> bool {
        self.active && self.triggers.contains(&trigger) && scopes.contains(&self.scope)
    }
}

/// A random UUID v4, as Prisma's `@default(uuid())` makes.
///
/// ```
/// let id = calsim::subscription::uuid_v4();
/// assert_eq!(id.len(), 36);
/// assert_eq!(&id[14..15], "4");
/// ```
pub fn uuid_v4() -> String {
    crate::protocol::payload::uuid_v4_from(rand::random())
}
