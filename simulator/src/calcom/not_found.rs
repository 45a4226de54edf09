//! The answer for a path the fake Cal.com does not serve: a 404 that says what it does serve.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::calcom::app_credential;

/// 404 with a message naming the surfaces calsim serves.
pub async fn unknown_route(request: Request<Body>) -> Response {
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
