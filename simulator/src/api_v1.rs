//! INTERIM: API v1 `/credential-sync`, written on the api-v1 branch.
use std::sync::Arc;

use axum::Router;

use crate::calcom::Calcom;

/// The API v1 routes.
pub fn router() -> Router<Arc<Calcom>> {
    Router::new()
}
