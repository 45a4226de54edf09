//! [`Calcom`]: everything the fake Cal.com holds, shared by every handler behind an `Arc`.

use std::sync::{Arc, RwLock};

use crate::calcom::clock::Clock;
use crate::calcom::store::Store;
use crate::config::Config;
use crate::net::http_client;
use crate::net::journal::Journal;

/// Everything the fake Cal.com holds. Shared by every handler behind an `Arc`.
#[derive(Debug)]
pub struct Calcom {
    config: RwLock<Arc<Config>>,
    /// The database.
    pub store: Store,
    /// Every request received and sent.
    pub journal: Journal,
    /// The clock token expiry is judged by.
    pub clock: Clock,
    /// The client webhooks are sent with (no redirects, as Cal.com's deliveries).
    pub webhooks: crate::net::delivery::WebhookClient,
    /// The client the app services call the fake providers with (no redirects).
    pub http: reqwest::Client,
    /// The client pulls are sent with (Node's `fetch`: redirects followed, bodies decoded).
    pub pull_http: reqwest::Client,
    /// Time-based triggers waiting for the clock.
    pub scheduler: crate::calcom::scheduler::Scheduler,
    /// The fake providers' faults and records.
    pub providers: crate::calcom::provider_data::Providers,
    /// Where this fake Cal.com serves (`http://127.0.0.1:<port>`), once it listens: the
    /// app services call the fake providers there.
    pub self_url: std::sync::OnceLock<String>,
}

impl Calcom {
    /// A fake Cal.com with the default seed.
    pub fn new(config: Config) -> Arc<Self> {
        Arc::new(Calcom {
            store: Store::seeded(&config.admin_api_key),
            webhooks: crate::net::delivery::WebhookClient::new(config.pull_timeout),
            http: http_client::build(config.pull_timeout),
            pull_http: http_client::node_fetch(config.pull_timeout),
            journal: Journal::with_limits(config.journal_capacity, config.journal_max_bytes),
            config: RwLock::new(Arc::new(config)),

            clock: Clock::default(),
            scheduler: crate::calcom::scheduler::Scheduler::default(),
            providers: crate::calcom::provider_data::Providers::default(),
            self_url: std::sync::OnceLock::new(),
        })
    }

    /// The current configuration.
    pub fn config(&self) -> Arc<Config> {
        let config = self
            .config
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        Arc::clone(&config)
    }

    /// Replaces the configuration (control API, tests).
    pub fn set_config(&self, config: Config) {
        *self
            .config
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = Arc::new(config);
    }

    /// Back to the seed: store, journal and clock.
    pub fn reset(&self) {
        self.store.reset(&self.config().admin_api_key);
        self.journal.clear();
        self.clock.reset();
        self.scheduler.clear();
        self.providers.clear();
    }
}
