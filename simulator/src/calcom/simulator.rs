//! [`Simulator`]: a running fake Cal.com on a local socket, for the CLI and for tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::net::TcpListener;

use crate::calcom::booking::{self, LifecycleError, NewBooking, Step};
use crate::calcom::dispatch::{self, Dispatched, Event};
use crate::calcom::expectation::{journal_summary, Expectation, Expectations};
use crate::calcom::pull::{self, PullError, PullVerdict};
use crate::calcom::router::router;
use crate::calcom::state::Calcom;
use crate::calcom::store::{Credential, Role, User};
use crate::calcom::subscription::{Scope, Subscription};
use crate::config::Config;
use crate::net::journal::Entry;
use crate::net::server::Server;
use crate::protocol::error::Error;
use crate::protocol::profile::Profile;
use crate::protocol::trigger::TriggerEvent;

/// A fake Cal.com serving on a local port until dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let simulator = calsim::Simulator::start().await.unwrap();
/// let answer = reqwest::Client::new()
///     .post(format!("{}/api/webhook/app-credential", simulator.url()))
///     .send()
///     .await
///     .unwrap();
/// assert_eq!(answer.status(), 403); // no secret header
/// # }
/// ```
#[derive(Debug)]
pub struct Simulator {
    calcom: Arc<Calcom>,
    server: Server,
    expectations: Expectations,
}

/// Configures a [`Simulator`] before it starts: profile, secrets, seeded users,
/// credentials and subscriptions.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use calsim::{Profile, Simulator};
/// use calsim::trigger::TriggerEvent;
///
/// let simulator = Simulator::builder()
///     .profile(Profile::G2)
///     .sync_secret("partner-secret")
///     .user(42, "ada@example.com")
///     .credential(42, "zoom", serde_json::json!({"access_token": "t", "expiry_date": 1}))
///     .subscription("http://127.0.0.1:9/hook", &[TriggerEvent::BookingCreated], Some("s3cret"))
///     .start()
///     .await
///     .unwrap();
///
/// assert_eq!(simulator.calcom().config().profile, Profile::G2);
/// assert_eq!(simulator.calcom().store.credentials(Some(42), Some("zoom")).len(), 1);
/// assert_eq!(simulator.calcom().store.subscriptions(None).len(), 1);
/// # }
/// ```
#[derive(Debug, Default)]
pub struct SimulatorBuilder {
    config: Config,
    listener: Option<TcpListener>,
    users: Vec<(i64, String)>,
    credentials: Vec<(i64, String, Value)>,
    subscriptions: Vec<(String, Vec<TriggerEvent>, Option<String>)>,
}

impl SimulatorBuilder {
    /// Uses this configuration (default: the embedded defaults).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Behaves as this Cal.com generation.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.config.set_profile(profile);
        self
    }

    /// The shared credential-sync secret.
    pub fn sync_secret(mut self, secret: impl Into<String>) -> Self {
        self.config.sync_secret = secret.into();
        self
    }

    /// `CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY` (32 characters).
    pub fn encryption_key(mut self, key: impl Into<String>) -> Self {
        self.config.encryption_key = key.into();
        self
    }

    /// The partner's sync endpoint Cal.com pulls from.
    pub fn sync_endpoint(mut self, url: impl Into<String>) -> Self {
        self.config.sync_endpoint = url.into();
        self
    }

    /// Seeds a user (besides the default users 1 to 5).
    pub fn user(mut self, id: i64, email: impl Into<String>) -> Self {
        self.users.push((id, email.into()));
        self
    }

    /// Seeds a credential of `app` for `user_id` with this key.
    pub fn credential(mut self, user_id: i64, app: impl Into<String>, key: Value) -> Self {
        self.credentials.push((user_id, app.into(), key));
        self
    }

    /// Seeds a webhook subscription of user 1.
    pub fn subscription(
        mut self,
        url: impl Into<String>,
        triggers: &[TriggerEvent],
        secret: Option<&str>,
    ) -> Self {
        self.subscriptions
            .push((url.into(), triggers.to_vec(), secret.map(str::to_owned)));
        self
    }

    /// Serves on this listener instead of binding `config.host:config.port`.
    pub fn listener(mut self, listener: TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Binds and starts serving; the simulator accepts connections when this returns.
    pub async fn start(self) -> Result<Simulator, Error> {
        let address = SocketAddr::new(self.config.host, self.config.port);
        let calcom = Calcom::new(self.config);
        for (id, email) in self.users {
            calcom.store.put_user(User {
                id,
                name: format!("Calsim User {id}"),
                email,
                role: Role::User,
                locked: false,
            });
        }
        for (user_id, app, key) in self.credentials {
            let kind = calcom
                .store
                .app(&app)
                .and_then(|row| calcom.store.metadata(&row.dir_name))
                .map_or_else(|| format!("{app}_other"), |metadata| metadata.kind.clone());
            calcom
                .store
                .insert_credential(Some(user_id), &app, &kind, key);
        }
        for (url, triggers, secret) in self.subscriptions {
            calcom
                .store
                .add_subscription(new_subscription(url, triggers, secret));
        }
        let app = router(Arc::clone(&calcom));
        let refresher = pull::spawn_auto_refresh(Arc::clone(&calcom));
        let ticker = calcom
            .config()
            .scheduler_tick
            .map(|every| crate::calcom::due_work::spawn_ticker(Arc::clone(&calcom), every));
        let server = Server::start(self.listener, address, app, move || {
            refresher.abort();
            if let Some(ticker) = ticker {
                ticker.abort();
            }
        })
        .await?;
        let _ = calcom.self_url.set(format!("http://{}", server.address()));
        let expectations = Expectations::new(Arc::clone(&calcom));
        Ok(Simulator {
            calcom,
            server,
            expectations,
        })
    }
}

fn new_subscription(
    url: String,
    triggers: Vec<TriggerEvent>,
    secret: Option<String>,
) -> Subscription {
    Subscription {
        id: crate::calcom::subscription::uuid_v4(),
        scope: Scope::User(1),
        subscriber_url: url,
        triggers,
        active: true,
        payload_template: None,
        secret,
        version: "2021-10-20".to_owned(),
        app_id: None,
    }
}

impl Simulator {
    /// A builder with the embedded defaults on a random loopback port.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default().config(Config {
            port: 0,
            ..Config::default()
        })
    }

    /// Starts with the embedded defaults on a random loopback port.
    pub async fn start() -> Result<Simulator, Error> {
        Simulator::builder().start().await
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.address())
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }

    /// The state: store, journal, clock, config.
    pub fn calcom(&self) -> &Arc<Calcom> {
        &self.calcom
    }

    /// Serves until Ctrl-C (used by `calsim serve`).
    pub async fn wait_for_ctrl_c(self) {
        self.server.wait_for_ctrl_c().await;
    }

    /// Declares something that must have happened by the time the simulator drops (or
    /// [`Simulator::verify`] is called); an unmet expectation panics on drop with what
    /// was expected and what the journal holds.
    pub fn expect(&self, expectation: Expectation) {
        self.expectations.add(expectation);
    }

    /// Checks every expectation now: `Err` names each unmet one and shows the journal.
    pub fn verify(&self) -> Result<(), String> {
        self.expectations.verify()
    }

    /// Waits (at most `timeout`) until the journal holds what `expectation` wants, for
    /// asynchronous flows; returns the matching entries.
    pub async fn wait_for(
        &self,
        expectation: &Expectation,
        timeout: Duration,
    ) -> Result<Vec<Arc<Entry>>, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            let matching = self.expectations.matching(expectation);
            if matching.len() >= expectation.wanted().max(1) && expectation.holds(matching.len()) {
                return Ok(matching);
            }
            if Instant::now() >= deadline {
                return Err(Error::Waited {
                    expected: expectation.to_string(),
                    waited_ms: timeout.as_millis() as u64,
                    journal: journal_summary(&self.calcom),
                });
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits (at most `timeout`) for a delivery of `trigger` and returns the first.
    pub async fn wait_for_delivery(
        &self,
        trigger: TriggerEvent,
        timeout: Duration,
    ) -> Result<Arc<Entry>, Error> {
        let mut found = self
            .wait_for(&Expectation::delivery(trigger), timeout)
            .await?;
        Ok(found.remove(0))
    }

    /// Subscribes `url` (as user 1, like `POST /v2/webhooks`) to `triggers`.
    pub fn subscribe(
        &self,
        url: &str,
        triggers: &[TriggerEvent],
        secret: Option<&str>,
    ) -> Subscription {
        let subscription =
            new_subscription(url.to_owned(), triggers.to_vec(), secret.map(str::to_owned));
        self.calcom.store.add_subscription(subscription.clone());
        subscription
    }

    /// A guest books `event_type_id` at `start` (RFC 3339): BOOKING_CREATED (or
    /// REQUESTED / PAYMENT_INITIATED per the booking), delivered before this returns.
    pub async fn book(&self, event_type_id: i64, start: &str) -> Result<Step, LifecycleError> {
        booking::create(
            &self.calcom,
            NewBooking {
                event_type_id,
                start: start.to_owned(),
                length_minutes: None,
                attendee: None,
                requires_confirmation: false,
                price: 0,
            },
        )
        .await
    }

    /// Any booking request (confirmation, price, guest).
    pub async fn book_with(&self, new: NewBooking) -> Result<Step, LifecycleError> {
        booking::create(&self.calcom, new).await
    }

    /// Cancels a booking: BOOKING_CANCELLED.
    pub async fn cancel(&self, uid: &str) -> Result<Step, LifecycleError> {
        booking::cancel(&self.calcom, uid, None).await
    }

    /// The guest pays a priced booking: BOOKING_CREATED (after the organizer's apps ran),
    /// then BOOKING_PAID.
    pub async fn pay(&self, uid: &str) -> Result<Step, LifecycleError> {
        booking::pay(&self.calcom, uid).await
    }

    /// Moves a booking to `start`: BOOKING_RESCHEDULED with a new uid.
    pub async fn reschedule(&self, uid: &str, start: &str) -> Result<Step, LifecycleError> {
        booking::reschedule(&self.calcom, uid, start).await
    }

    /// Fires `trigger` with `data` (default: calsim's example data) for user 1 and event
    /// type 1, to every subscription in those scopes.
    pub async fn fire(
        &self,
        trigger: TriggerEvent,
        data: Option<Map<String, Value>>,
    ) -> Vec<Dispatched> {
        let data = data.or_else(|| {
            let example = crate::protocol::payload::built_in(trigger)?;
            match crate::protocol::js_value::JsValue::parse(example).map(Value::from) {
                Ok(Value::Object(data)) => Some(data),
                _ => None,
            }
        });
        let event = Event {
            trigger,
            scopes: vec![Scope::User(1), Scope::EventType(1)],
            data: data.unwrap_or_default(),
            created_at: None,
        };
        dispatch::dispatch(&self.calcom, event).await
    }

    /// Moves the virtual clock forward and runs what fell due (meeting triggers,
    /// retries, form follow-ups).
    pub async fn advance(&self, by: Duration) -> Vec<Dispatched> {
        crate::calcom::due_work::advance(&self.calcom, by.as_millis() as i64).await
    }

    /// Pulls a fresh token for a stored credential from the partner's sync endpoint, as
    /// Cal.com does when it finds the token expired.
    pub async fn pull(&self, credential_id: i64) -> Result<PullVerdict, PullError> {
        pull::pull(&self.calcom, credential_id).await
    }

    /// Pushes a credential to this simulator as a partner does (encrypted with its key,
    /// the secret in its header) and returns its status and body.
    pub async fn push_credential(
        &self,
        user_id: i64,
        app: &str,
        token: &Value,
    ) -> Result<(u16, String), Error> {
        let config = self.calcom.config();
        let key = crate::protocol::crypto::EncryptionKey::from_env_string(&config.encryption_key)?;
        let keys = crate::protocol::crypto::symmetric_encrypt(
            &crate::protocol::js_value::stringify(token),
            &key,
        );
        let url = format!("{}/api/webhook/app-credential", self.url());
        let client = crate::net::http_client::build(Duration::from_secs(10));
        let response = client
            .post(&url)
            .header(config.push_header_name(), &config.sync_secret)
            .header("content-type", "application/json")
            .body(
                serde_json::json!({ "userId": user_id, "appSlug": app, "keys": keys }).to_string(),
            )
            .send()
            .await
            .map_err(|error| Error::Peer {
                url: url.clone(),
                problem: crate::net::http_client::describe_error(&error, Duration::from_secs(10)),
            })?;
        let status = response.status().as_u16();
        Ok((status, response.text().await.unwrap_or_default()))
    }

    /// The stored credentials of a user (all users with `None`).
    pub fn credentials(&self, user_id: Option<i64>) -> Vec<Credential> {
        self.calcom.store.credentials(user_id, None)
    }
}
