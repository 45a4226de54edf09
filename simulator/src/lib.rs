//! # calsim
//!
//! A mock Cal.com and partner platform for testing Cal.com integrations in CI, byte
//! for byte: credential sync in both directions (the encrypted push webhook, API v1
//! `/credential-sync`, the pull to the partner's sync endpoint), with every
//! generation's quirks selectable as a [`Profile`]; signed webhooks for every trigger,
//! the v2 subscription API and booking lifecycles; and conformance checks that judge
//! your implementation of either side.
//!
//! ## A fake Cal.com in a test
//!
//! ```
//! use calsim::{crypto, Simulator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Arrange: a fake Cal.com on a random loopback port, embedded defaults.
//! let simulator = Simulator::start().await.unwrap();
//! let config = simulator.calcom().config();
//! let key = crypto::EncryptionKey::from_env_string(&config.encryption_key).unwrap();
//! let keys = crypto::symmetric_encrypt(r#"{"access_token":"abc"}"#, &key);
//!
//! // Act: push a credential as a partner would.
//! let answer = reqwest::Client::new()
//!     .post(format!("{}/api/webhook/app-credential", simulator.url()))
//!     .header(config.push_header_name(), &config.sync_secret)
//!     .json(&serde_json::json!({ "userId": 1, "appSlug": "google-calendar", "keys": keys }))
//!     .send()
//!     .await
//!     .unwrap();
//!
//! // Assert: Cal.com's exact answer, and the stored credential.
//! assert_eq!(answer.status(), 200);
//! assert_eq!(answer.text().await.unwrap(), r#"{"message":"Credentials created for userId: 1"}"#);
//! let stored = simulator.calcom().store.credentials(Some(1), Some("google-calendar"));
//! assert_eq!(stored[0].key["access_token"], "abc");
//! # }
//! ```
//!
//! ## Expectations in a test
//!
//! Declare what Cal.com must have sent; the simulator checks it against its journal when
//! it drops, and a failure lists what was expected and what the journal holds.
//!
//! ```
//! use calsim::{trigger::TriggerEvent, Expectation, Simulator};
//! # async fn start_my_consumer() -> String {
//! #     let config = calsim::receiver::ReceiverConfig { secret: Some("s3cret".into()), accept_missing_connection_id: true, ..Default::default() };
//! #     let receiver = calsim::receiver::Receiver::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
//! #     let url = format!("{}/webhooks/cal", receiver.url());
//! #     std::mem::forget(receiver);
//! #     url
//! # }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let my_consumer = start_my_consumer().await; // your webhook endpoint's URL
//! let simulator = Simulator::start().await.unwrap();
//! simulator.subscribe(&my_consumer, &[TriggerEvent::BookingCreated], Some("s3cret"));
//! simulator.expect(
//!     Expectation::delivery(TriggerEvent::BookingCreated)
//!         .to(&my_consumer)
//!         .signed()
//!         .answered(200)
//!         .times(1),
//! );
//!
//! simulator.book(1, "2030-01-01T10:00:00Z").await.unwrap(); // a guest books event type 1
//! # }
//! // `simulator` drops here: an unmet expectation fails the test.
//! ```
//!
//! [`Simulator::builder`] seeds a profile, secrets, users, credentials and subscriptions;
//! [`Simulator::wait_for`] and [`Simulator::wait_for_delivery`] wait (with a timeout) for
//! asynchronous flows; [`Expectation::pull`] and [`Expectation::push`] cover credential
//! sync; `book`, `cancel`, `reschedule`, `fire`, `advance`, `pull` and `push_credential`
//! drive the simulator without HTTP.
//!
//! ## Webhooks in a test
//!
//! ```
//! use calsim::receiver::{Receiver, ReceiverConfig};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Arrange: a fake Cal.com and a verifying receiver, subscribed through the v2 API.
//! let simulator = calsim::Simulator::start().await.unwrap();
//! let secret = ReceiverConfig { secret: Some("s3cret".into()), ..ReceiverConfig::default() };
//! let receiver = Receiver::start(secret, "127.0.0.1:0".parse().unwrap()).await.unwrap();
//! let client = reqwest::Client::new();
//! client
//!     .post(format!("{}/v2/webhooks", simulator.url()))
//!     .bearer_auth("cal_calsim_admin_key")
//!     .json(&json!({"subscriberUrl": receiver.url(), "triggers": ["BOOKING_CREATED"], "active": true, "secret": "s3cret"}))
//!     .send()
//!     .await
//!     .unwrap();
//!
//! // Act: a guest books event type 1 (user 1's).
//! client
//!     .post(format!("{}/_calsim/bookings", simulator.url()))
//!     .json(&json!({"eventTypeId": 1, "start": "2030-01-01T10:00:00Z"}))
//!     .send()
//!     .await
//!     .unwrap();
//!
//! // Assert: one signed BOOKING_CREATED delivery arrived.
//! let deliveries = receiver.state().deliveries();
//! assert_eq!(deliveries.len(), 1);
//! assert_eq!(deliveries[0].signature, calsim::SignatureVerdict::Valid);
//! assert_eq!(deliveries[0].trigger_event.as_deref(), Some("BOOKING_CREATED"));
//! # }
//! ```
//!
//! The README describes the command line (`calsim serve`, `calsim partner`,
//! `calsim check ...`) and the `/_calsim/` control API.

//! ## Where things live
//!
//! `ARCHITECTURE.md` maps the tree: [`protocol`] (Cal.com's rules, pure), [`net`]
//! (sockets, client, delivery, journal), [`calcom`] (the fake Cal.com), [`partner`] (the
//! partner platform's side), [`check`] (conformance reports), [`scenario`] (scenario
//! files and the built-in suites, run by `calsim run`), [`replay`] (record and replay),
//! [`vectors`] (the published test vectors). The modules users knew before
//! the folders existed stay reachable at the crate root (`calsim::crypto`, ...).

pub mod calcom;
pub mod check;
pub mod config;
pub mod net;
pub mod partner;
pub mod protocol;
pub mod replay;
pub mod scenario;
pub mod vectors;

pub use calcom::{
    api_v1, api_v2, app_credential, booking, clock, dispatch, integrations, pull, scheduler,
    simulator, store, subscription,
};
pub use net::{delivery, http_client, journal};
pub use partner::{push_client as push, receiver};
pub use protocol::{
    catalog, crypto, error, js_value, payload, profile, redact, signing, template, trigger, zod,
};

pub use calcom::clock::Clock;
pub use calcom::expectation::Expectation;
pub use calcom::simulator::{Simulator, SimulatorBuilder};
pub use calcom::state::Calcom;
pub use calcom::store::Store;
pub use config::Config;
pub use net::journal::Journal;
pub use partner::nango::SignatureVerdict;
pub use protocol::answer::Answer;
pub use protocol::error::Error;
pub use protocol::profile::Profile;
