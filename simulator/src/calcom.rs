//! The fake Cal.com: shared state and the `Router` that serves every surface.
//!
//! ```text
//! /api/webhook/app-credential        push webhook           app_credential.rs
//! /api/v1/credential-sync (+aliases) push REST API v1        api_v1.rs
//! /_calsim/...                       control and inspection  control.rs
//! ```
//! Pulls go the other way (Cal.com calls the partner): `pull.rs`.

use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::json;

use crate::app_credential::{self, Push};
use crate::clock::Clock;
use crate::config::Config;
use crate::http_client;
use crate::journal::{Arrival, Journal, Surface};
use crate::store::Store;

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
    /// The client pulls and webhooks are sent with.
    pub http: reqwest::Client,
    /// Time-based triggers waiting for the clock.
    pub scheduler: crate::scheduler::Scheduler,
}

impl Calcom {
    /// A fake Cal.com with the default seed.
    pub fn new(config: Config) -> Arc<Self> {
        Arc::new(Calcom {
            store: Store::seeded(&config.admin_api_key),
            http: http_client::build(config.pull_timeout),
            config: RwLock::new(Arc::new(config)),
            journal: Journal::default(),
            clock: Clock::default(),
            scheduler: crate::scheduler::Scheduler::default(),
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
    }
}

/// The fake Cal.com's routes.
pub fn router(calcom: Arc<Calcom>) -> Router {
    Router::new()
        .route(app_credential::PATH, any(push_webhook))
        .merge(crate::api_v1::router())
        .merge(crate::api_v2::router())
        .merge(crate::integrations::router())
        .nest("/_calsim", crate::control::router())
        .fallback(unknown_route)
        .with_state(calcom)
}

async fn push_webhook(State(calcom): State<Arc<Calcom>>, request: Request) -> Response {
    let arrival = Arrival::now();
    let config = calcom.config();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, config.body_limit).await.ok();
    let decision = app_credential::decide(
        &config,
        &calcom.store,
        Push {
            method: &parts.method,
            headers: &parts.headers,
            body: body.as_deref(),
        },
    );
    let answer = decision.answer;
    tracing::info!(
        status = answer.status.as_u16(),
        step = ?decision.step,
        "app-credential: {}",
        decision.detail
    );
    calcom.journal.answered(
        Surface::AppCredential,
        arrival,
        (&parts, body.unwrap_or_default()),
        &[config.push_header_name()],
        answer,
        json!({ "step": decision.step, "detail": decision.detail }),
    )
}

pub(crate) async fn unknown_route(request: Request<Body>) -> Response {
    let message = format!(
        "calsim: no route for {} {}; the fake Cal.com serves {}, /api/v1/credential-sync and /_calsim/",
        request.method(),
        request.uri().path(),
        app_credential::PATH
    );
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "message": message })),
    )
        .into_response()
}
