//! Zapier and Make subscriptions: `POST /api/integrations/{zapier|make}/subscriptions/addSubscription`
//! and `DELETE …/deleteSubscription?id=` (`shared/spec/webhooks.md` §1.5). Zapier
//! subscriptions get Cal.com's flat Zapier body and no secret; Make's get the default body.
//! Auth is `?apiKey=`. [?] The exact error bodies for a bad key are not pinned upstream.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::calcom::state::Calcom;
use crate::calcom::store::ApiKeyLookup;
use crate::calcom::subscription::{uuid_v4, Scope, Subscription};
use crate::protocol::trigger::TriggerEvent;

/// The routes.
pub fn router() -> Router<Arc<Calcom>> {
    Router::new()
        .route(
            "/api/integrations/{app}/subscriptions/addSubscription",
            post(add),
        )
        .route(
            "/api/integrations/{app}/subscriptions/deleteSubscription",
            delete(remove),
        )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Auth {
    api_key: Option<String>,
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewSubscription {
    subscriber_url: String,
    trigger_event: TriggerEvent,
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

fn user_id(calcom: &Calcom, auth: &Auth) -> Option<i64> {
    match calcom.store.api_key_user(auth.api_key.as_deref()?) {
        ApiKeyLookup::Valid(user) => Some(user.id),
        ApiKeyLookup::Unknown => None,
    }
}

async fn add(
    State(calcom): State<Arc<Calcom>>,
    Path(app): Path<String>,
    Query(auth): Query<Auth>,
    text: String,
) -> Response {
    if app != "zapier" && app != "make" {
        return refuse(
            StatusCode::NOT_FOUND,
            "calsim: only zapier and make have subscription endpoints",
        );
    }
    let Some(user_id) = user_id(&calcom, &auth) else {
        return refuse(StatusCode::UNAUTHORIZED, "No valid API key provided");
    };
    let Ok(new) = serde_json::from_str::<NewSubscription>(&text) else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Could not create subscription.",
        );
    };
    let subscription = Subscription {
        id: uuid_v4(),
        scope: Scope::User(user_id),
        subscriber_url: new.subscriber_url,
        triggers: vec![new.trigger_event],
        active: true,
        payload_template: None,
        secret: None,
        version: crate::protocol::signing::PAYLOAD_VERSION.to_owned(),
        app_id: Some(app),
    };
    let shown = json!({
        "id": subscription.id, "userId": user_id, "eventTypeId": null, "subscriberUrl": subscription.subscriber_url,
        "active": true, "eventTriggers": subscription.triggers, "appId": subscription.app_id, "secret": null, "payloadTemplate": null,
    });
    if !calcom.store.add_subscription(subscription) {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Could not create subscription.",
        );
    }
    (StatusCode::OK, Json(shown)).into_response()
}

async fn remove(State(calcom): State<Arc<Calcom>>, Query(auth): Query<Auth>) -> Response {
    let Some(user_id) = user_id(&calcom, &auth) else {
        return refuse(StatusCode::UNAUTHORIZED, "No valid API key provided");
    };
    let owned = auth
        .id
        .as_deref()
        .and_then(|id| calcom.store.subscription(id))
        .filter(|subscription| subscription.scope == Scope::User(user_id));
    match owned {
        Some(subscription) => {
            calcom.store.delete_subscription(&subscription.id);
            StatusCode::NO_CONTENT.into_response()
        }
        None => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Could not delete subscription.",
        ),
    }
}
