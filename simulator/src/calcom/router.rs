//! The one place the fake Cal.com's routes are composed.
//!
//! ```text
//! /api/webhook/app-credential        push webhook            app_credential.rs
//! /api/v1/credential-sync (+aliases) push REST API v1         api_v1.rs
//! /v2/webhooks, /v2/... (+scopes)    webhook subscriptions    api_v2.rs
//! /api/integrations/zapier|make      Zapier and Make hooks    integrations.rs
//! /_calsim/...                       control and inspection   control.rs
//! anything else                      404 naming what exists   not_found.rs
//! ```
//! Pulls go the other way (Cal.com calls the partner): `pull.rs`.

use std::sync::Arc;

use axum::Router;

use crate::calcom::state::Calcom;
use crate::calcom::{api_v1, api_v2, app_credential, control, integrations, not_found};

/// The fake Cal.com's routes.
pub fn router(calcom: Arc<Calcom>) -> Router {
    Router::new()
        .merge(app_credential::router())
        .merge(api_v1::router())
        .merge(api_v2::router())
        .merge(crate::calcom::api_v2_bookings::router())
        .merge(integrations::router())
        .route("/_calsim/", axum::routing::get(control::index_page))
        .nest("/_calsim", control::router())
        .nest("/_providers", crate::calcom::providers::router())
        .fallback(not_found::unknown_route)
        .with_state(calcom)
}
