//! Expectations on what a [`crate::Simulator`] saw, in wiremock-rs's manner: declare what
//! must happen (a delivery of BOOKING_CREATED to this URL, exactly once, signed; a pull
//! for this user and app; a push answered 200), run the code under test, and the
//! simulator checks them against its journal when it drops (or on
//! [`crate::Simulator::verify`]), failing with what was expected and what the journal
//! holds.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::calcom::state::Calcom;
use crate::net::journal::{Direction, Entry, Surface};
use crate::protocol::trigger::TriggerEvent;

/// How many matching exchanges an expectation wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Times {
    /// Exactly this many.
    Exactly(usize),
    /// At least this many.
    AtLeast(usize),
}

impl Times {
    fn holds(self, count: usize) -> bool {
        match self {
            Times::Exactly(wanted) => count == wanted,
            Times::AtLeast(wanted) => count >= wanted,
        }
    }

    fn text(self) -> String {
        match self {
            Times::Exactly(0) => "never".to_owned(),
            Times::Exactly(1) => "exactly once".to_owned(),
            Times::Exactly(wanted) => format!("exactly {wanted} times"),
            Times::AtLeast(1) => "at least once".to_owned(),
            Times::AtLeast(wanted) => format!("at least {wanted} times"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Delivery,
    Pull,
    Push,
}

/// Something the simulator must have seen, built with [`Expectation::delivery`],
/// [`Expectation::pull`] or [`Expectation::push`] and refined with the other methods.
///
/// ```
/// use calsim::calcom::expectation::Expectation;
/// use calsim::trigger::TriggerEvent;
/// let expectation = Expectation::delivery(TriggerEvent::BookingCreated)
///     .to("http://127.0.0.1:4000/hook")
///     .signed()
///     .times(1);
/// assert_eq!(expectation.to_string(), "a BOOKING_CREATED delivery to http://127.0.0.1:4000/hook, signed, exactly once");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    kind: Kind,
    trigger: Option<TriggerEvent>,
    url: Option<String>,
    signed: Option<bool>,
    status: Option<u16>,
    user_id: Option<i64>,
    app: Option<String>,
    times: Times,
}

impl Expectation {
    fn new(kind: Kind) -> Self {
        Expectation {
            kind,
            trigger: None,
            url: None,
            signed: None,
            status: None,
            user_id: None,
            app: None,
            times: Times::AtLeast(1),
        }
    }

    /// A webhook delivery of `trigger` sent by the simulator (at least once unless
    /// [`Expectation::times`] says otherwise).
    pub fn delivery(trigger: TriggerEvent) -> Self {
        Expectation {
            trigger: Some(trigger),
            ..Expectation::new(Kind::Delivery)
        }
    }

    /// A pull the simulator made to the partner's sync endpoint.
    pub fn pull() -> Self {
        Expectation::new(Kind::Pull)
    }

    /// A credential push the simulator received (the app-credential webhook or API v1).
    pub fn push() -> Self {
        Expectation::new(Kind::Push)
    }

    /// To (delivery) or from (push, pull) exactly this URL; a delivery's URL is the
    /// subscriber URL as stored.
    pub fn to(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Carrying a real signature (not `no-secret-provided`).
    pub fn signed(mut self) -> Self {
        self.signed = Some(true);
        self
    }

    /// Sent with `no-secret-provided`.
    pub fn unsigned(mut self) -> Self {
        self.signed = Some(false);
        self
    }

    /// Answered with this status (a delivery: by the subscriber; a push: by the
    /// simulator; a pull: by the partner).
    pub fn answered(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// For this Cal.com user (pull, push).
    pub fn user(mut self, user_id: i64) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// For this app slug (pull, push).
    pub fn app(mut self, slug: impl Into<String>) -> Self {
        self.app = Some(slug.into());
        self
    }

    /// Exactly `count` matching exchanges.
    pub fn times(mut self, count: usize) -> Self {
        self.times = Times::Exactly(count);
        self
    }

    /// At least `count` matching exchanges.
    pub fn at_least(mut self, count: usize) -> Self {
        self.times = Times::AtLeast(count);
        self
    }

    /// No matching exchange at all.
    pub fn never(self) -> Self {
        self.times(0)
    }

    /// How many matching exchanges the expectation wants at least (for waiting).
    pub fn wanted(&self) -> usize {
        match self.times {
            Times::Exactly(count) | Times::AtLeast(count) => count,
        }
    }

    /// Whether `count` matches satisfy it.
    pub fn holds(&self, count: usize) -> bool {
        self.times.holds(count)
    }

    /// Whether a journal entry is one the expectation counts.
    pub fn matches(&self, entry: &Entry) -> bool {
        let surface_fits = match self.kind {
            Kind::Delivery => {
                entry.surface == Surface::Webhook && entry.direction == Direction::Sent
            }
            Kind::Pull => entry.surface == Surface::Pull,
            Kind::Push => matches!(
                entry.surface,
                Surface::AppCredential | Surface::ApiV1CredentialSync
            ),
        };
        if !surface_fits {
            return false;
        }
        let status = entry.response.as_ref().map(|response| response.status);
        if self.status.is_some() && self.status != status {
            return false;
        }
        if let Some(url) = &self.url {
            if self.kind == Kind::Push {
                if !entry.request.url.starts_with(url.as_str()) {
                    return false;
                }
            } else if entry.request.url != *url {
                return false;
            }
        }
        let fields = Fields::of(entry);
        if self
            .trigger
            .is_some_and(|trigger| fields.trigger.as_deref() != Some(trigger.as_str()))
        {
            return false;
        }
        if self.user_id.is_some() && self.user_id != fields.user_id {
            return false;
        }
        if self.app.is_some() && self.app != fields.app {
            return false;
        }
        if let Some(signed) = self.signed {
            let signature = entry
                .request
                .headers
                .iter()
                .find(|(name, _)| name.as_str() == "x-cal-signature-256")
                .map(|(_, value)| value.as_bytes());
            let is_signed = signature.is_some_and(|value| value != b"no-secret-provided");
            if is_signed != signed {
                return false;
            }
        }
        true
    }
}

impl std::fmt::Display for Expectation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            Kind::Delivery => write!(
                formatter,
                "a {} delivery",
                self.trigger.map_or("webhook", TriggerEvent::as_str)
            )?,
            Kind::Pull => formatter.write_str("a pull")?,
            Kind::Push => formatter.write_str("a credential push")?,
        }
        if let Some(url) = &self.url {
            let word = if self.kind == Kind::Delivery {
                "to"
            } else {
                "at"
            };
            write!(formatter, " {word} {url}")?;
        }
        if let Some(user_id) = self.user_id {
            write!(formatter, " for user {user_id}")?;
        }
        if let Some(app) = &self.app {
            write!(formatter, " of {app}")?;
        }
        match self.signed {
            Some(true) => formatter.write_str(", signed")?,
            Some(false) => formatter.write_str(", unsigned")?,
            None => {}
        }
        if let Some(status) = self.status {
            write!(formatter, ", answered {status}")?;
        }
        write!(formatter, ", {}", self.times.text())
    }
}

/// What an entry's body says: trigger (deliveries), user and app (pushes, pulls).
struct Fields {
    trigger: Option<String>,
    user_id: Option<i64>,
    app: Option<String>,
}

impl Fields {
    fn of(entry: &Entry) -> Fields {
        let body = &entry.request.body;
        if let Ok(json) = serde_json::from_slice::<Value>(body) {
            return Fields {
                trigger: json
                    .get("triggerEvent")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                user_id: json
                    .get("userId")
                    .and_then(Value::as_f64)
                    .map(|id| id as i64),
                app: json
                    .get("appSlug")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            };
        }
        let mut fields = Fields {
            trigger: None,
            user_id: None,
            app: None,
        };
        for (name, value) in form_urlencoded::parse(body) {
            match name.as_ref() {
                "triggerEvent" => fields.trigger = Some(value.into_owned()),
                "calcomUserId" | "userId" => fields.user_id = value.parse().ok(),
                "appSlug" => fields.app = Some(value.into_owned()),
                _ => {}
            }
        }
        fields
    }
}

/// The expectations of one simulator, checked when it drops.
#[derive(Debug)]
pub struct Expectations {
    calcom: Arc<Calcom>,
    declared: Mutex<Vec<Expectation>>,
}

impl Expectations {
    /// None yet, over this simulator's journal.
    pub fn new(calcom: Arc<Calcom>) -> Self {
        Expectations {
            calcom,
            declared: Mutex::new(Vec::new()),
        }
    }

    /// Adds one.
    pub fn add(&self, expectation: Expectation) {
        self.declared
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push(expectation);
    }

    /// The journal entries `expectation` counts.
    pub fn matching(&self, expectation: &Expectation) -> Vec<Arc<Entry>> {
        self.calcom
            .journal
            .entries(None)
            .into_iter()
            .filter(|entry| expectation.matches(entry))
            .collect()
    }

    /// `Err` with every unmet expectation, how many matched, and the journal.
    pub fn verify(&self) -> Result<(), String> {
        let declared = self
            .declared
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone();
        let unmet: Vec<String> = declared
            .iter()
            .filter_map(|expectation| {
                let count = self.matching(expectation).len();
                (!expectation.holds(count))
                    .then(|| format!("- expected {expectation}; matched {count}"))
            })
            .collect();
        if unmet.is_empty() {
            return Ok(());
        }
        let mut message = format!(
            "calsim: {} of {} expectations not met:\n{}\n",
            unmet.len(),
            declared.len(),
            unmet.join("\n")
        );
        message.push_str(&journal_summary(&self.calcom));
        Err(message)
    }
}

impl Drop for Expectations {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Err(message) = self.verify() {
            panic!("{message}");
        }
    }
}

/// The newest journal entries, one line each, for failure messages (secrets are already
/// masked in the journal).
pub fn journal_summary(calcom: &Calcom) -> String {
    const SHOWN: usize = 20;
    let entries = calcom.journal.entries(None);
    if entries.is_empty() {
        return "the journal is empty: nothing reached or left the simulator\n".to_owned();
    }
    let mut text = format!("the journal holds {} entries", entries.len());
    if entries.len() > SHOWN {
        let _ = write!(text, " (the newest {SHOWN})");
    }
    text.push_str(":\n");
    for entry in entries.iter().skip(entries.len().saturating_sub(SHOWN)) {
        let fields = Fields::of(entry);
        let outcome = match (&entry.response, &entry.error) {
            (Some(response), _) => response.status.to_string(),
            (None, Some(error)) => format!("no answer ({error})"),
            (None, None) => "no answer".to_owned(),
        };
        let _ = write!(
            text,
            "  #{} {:?} {} {} -> {outcome}",
            entry.id, entry.surface, entry.request.method, entry.request.url
        );
        if let Some(trigger) = fields.trigger {
            let _ = write!(text, " [{trigger}]");
        }
        text.push('\n');
    }
    text
}
