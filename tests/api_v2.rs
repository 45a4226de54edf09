//! API v2 webhook subscriptions and the event fan-out to them.

mod common;

use std::net::SocketAddr;

use calsim::receiver::{Receiver, ReceiverConfig};
use calsim::SignatureVerdict;
use calsim::{Profile, Store};
use common::{config, send, start, Reply};
use serde_json::{json, Value};

const ADMIN: &str = "Bearer cal_calsim_admin_key";
const USER: &str = "Bearer cal_calsim_user_key";

async fn call(
    simulator: &calsim::Simulator,
    method: &str,
    path: &str,
    auth: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let mut headers = auth.to_vec();
    headers.push(("content-type", "application/json"));
    let Reply { status, body, .. } = send(
        method,
        &format!("{}{path}", simulator.url()),
        &headers,
        body.map(|body| body.to_string()).unwrap_or_default(),
    )
    .await;
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

fn hook(url: &str) -> Value {
    json!({"subscriberUrl": url, "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED"], "active": true, "secret": "s3cr3t", "unknownField": 1})
}

#[tokio::test]
async fn a_user_webhook_goes_through_create_list_get_update_delete() {
    let simulator = start(config(Profile::Current)).await;
    let auth = [("authorization", ADMIN)];

    let (status, created) = call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &auth,
        Some(hook("https://example.com/hook?x=1")),
    )
    .await;
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let (_, listed) = call(
        &simulator,
        "GET",
        "/v2/webhooks?take=10&skip=0",
        &auth,
        None,
    )
    .await;
    let (_, fetched) = call(
        &simulator,
        "GET",
        &format!("/v2/webhooks/{id}"),
        &auth,
        None,
    )
    .await;
    let (_, updated) = call(
        &simulator,
        "PATCH",
        &format!("/v2/webhooks/{id}"),
        &auth,
        Some(json!({"active": false})),
    )
    .await;
    let (deleted_status, deleted) = call(
        &simulator,
        "DELETE",
        &format!("/v2/webhooks/{id}"),
        &auth,
        None,
    )
    .await;
    let (gone, _) = call(
        &simulator,
        "GET",
        &format!("/v2/webhooks/{id}"),
        &auth,
        None,
    )
    .await;

    assert_eq!(status, 201);
    assert_eq!(id.len(), 36);
    assert_eq!(
        created,
        json!({"status": "success", "data": {"id": id, "subscriberUrl": "https://example.com/hook?x=1", "triggers": ["BOOKING_CREATED", "BOOKING_CANCELLED"], "active": true, "payloadTemplate": null, "secret": "s3cr3t", "userId": 1}})
    );
    let keys: Vec<&String> = created["data"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "id",
            "subscriberUrl",
            "triggers",
            "active",
            "payloadTemplate",
            "secret",
            "userId"
        ]
    );
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(fetched["data"], created["data"]);
    assert_eq!(updated["data"]["active"], false);
    assert_eq!((deleted_status, &deleted["data"]["id"]), (200, &json!(id)));
    assert_eq!(gone, 404);
}

#[tokio::test]
async fn the_same_url_twice_is_409_in_the_error_envelope() {
    let simulator = start(config(Profile::Current)).await;
    let auth = [("authorization", ADMIN)];
    call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &auth,
        Some(hook("https://example.com/a")),
    )
    .await;

    let (status, error) = call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &auth,
        Some(hook("https://example.com/a")),
    )
    .await;

    assert_eq!(status, 409);
    assert_eq!(error["status"], "error");
    assert_eq!(error["path"], "/v2/webhooks");
    assert_eq!(
        error["error"],
        json!({"code": "ConflictException", "message": "Webhook with this subscriber url already exists for this user",
               "details": {"message": "Webhook with this subscriber url already exists for this user", "error": "Conflict", "statusCode": 409}})
    );
}

#[tokio::test]
async fn authentication_failures_are_401_with_apiauthstrategy_messages() {
    let simulator = start(config(Profile::Current)).await;

    let (none, none_body) = call(&simulator, "GET", "/v2/webhooks", &[], None).await;
    let (bad_key, bad_key_body) = call(
        &simulator,
        "GET",
        "/v2/webhooks",
        &[("authorization", "Bearer cal_nope")],
        None,
    )
    .await;
    let (bearer, bearer_body) = call(
        &simulator,
        "GET",
        "/v2/webhooks",
        &[("authorization", "Bearer some-oauth-token")],
        None,
    )
    .await;

    assert_eq!((none, bad_key, bearer), (401, 401, 401));
    assert!(none_body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("ApiAuthStrategy - No authentication method provided."));
    assert_eq!(
        bad_key_body["error"]["message"],
        "ApiAuthStrategy - api key - Your api key is not valid"
    );
    assert_eq!(
        bearer_body["error"]["message"],
        "ApiAuthStrategy - Invalid Bearer token"
    );
}

#[tokio::test]
async fn another_users_webhook_is_403_and_an_admin_may_read_it() {
    let simulator = start(config(Profile::Current)).await;
    let (_, created) = call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &[("authorization", USER)],
        Some(hook("https://example.com/u2")),
    )
    .await;
    let id = created["data"]["id"].as_str().unwrap();
    let (_, own) = call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &[("authorization", ADMIN)],
        Some(hook("https://example.com/u1")),
    )
    .await;
    let admins = own["data"]["id"].as_str().unwrap();

    let (admin_reads, _) = call(
        &simulator,
        "GET",
        &format!("/v2/webhooks/{id}"),
        &[("authorization", ADMIN)],
        None,
    )
    .await;
    let (user_reads, error) = call(
        &simulator,
        "GET",
        &format!("/v2/webhooks/{admins}"),
        &[("authorization", USER)],
        None,
    )
    .await;

    assert_eq!(admin_reads, 200);
    assert_eq!(user_reads, 403);
    assert_eq!(
        error["error"]["message"],
        format!(
            "IsUserWebhookGuard - user with id=(2) is not the owner of webhook with id=({admins})"
        )
    );
}

#[tokio::test]
async fn validation_errors_are_400_with_details_and_unknown_fields_are_dropped() {
    let simulator = start(config(Profile::Current)).await;

    let (status, error) = call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &[("authorization", ADMIN)],
        Some(json!({"triggers": ["BOOKING_CONFIRMED"], "active": "yes"})),
    )
    .await;

    assert_eq!(status, 400);
    assert_eq!(error["error"]["code"], "BadRequestException");
    assert_eq!(error["error"]["message"], "Bad Request Exception");
    let properties: Vec<&str> = error["error"]["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["property"].as_str().unwrap())
        .collect();
    assert_eq!(properties, ["subscriberUrl", "triggers", "active"]);
    assert!(
        error["error"]["details"]["errors"][1]["constraints"]["isEnum"]
            .as_str()
            .unwrap()
            .starts_with(
                "each value in triggers must be one of the following values: BOOKING_CREATED, "
            )
    );
}

#[tokio::test]
async fn delegation_credential_error_is_for_organizations_only() {
    let simulator = start(config(Profile::Current)).await;
    let body = json!({"subscriberUrl": "https://example.com/d", "triggers": ["DELEGATION_CREDENTIAL_ERROR"], "active": true});

    let (user, error) = call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &[("authorization", ADMIN)],
        Some(body.clone()),
    )
    .await;
    let (org, created) = call(
        &simulator,
        "POST",
        "/v2/organizations/1/webhooks",
        &[("authorization", ADMIN)],
        Some(body),
    )
    .await;

    assert_eq!(user, 400);
    assert_eq!(
        error["error"]["message"],
        "DELEGATION_CREDENTIAL_ERROR trigger is only available for organization webhooks"
    );
    assert_eq!(org, 201);
    assert_eq!(created["data"]["teamId"], 1);
}

#[tokio::test]
async fn event_type_webhooks_need_the_owner_and_can_be_deleted_all_at_once() {
    let simulator = start(config(Profile::Current)).await;
    let auth = [("authorization", ADMIN)];
    for url in ["https://example.com/1", "https://example.com/2"] {
        call(
            &simulator,
            "POST",
            "/v2/event-types/1/webhooks",
            &auth,
            Some(hook(url)),
        )
        .await;
    }

    let (not_owner, _) = call(
        &simulator,
        "GET",
        "/v2/event-types/1/webhooks",
        &[("authorization", USER)],
        None,
    )
    .await;
    let (missing, _) = call(
        &simulator,
        "GET",
        "/v2/event-types/99/webhooks",
        &auth,
        None,
    )
    .await;
    let (_, listed) = call(&simulator, "GET", "/v2/event-types/1/webhooks", &auth, None).await;
    let (_, deleted) = call(
        &simulator,
        "DELETE",
        "/v2/event-types/1/webhooks",
        &auth,
        None,
    )
    .await;

    assert_eq!((not_owner, missing), (403, 404));
    assert_eq!(listed["data"][0]["eventTypeId"], 1);
    assert_eq!(
        deleted,
        json!({"status": "success", "data": "2 webhooks deleted"})
    );
}

#[tokio::test]
async fn organization_webhooks_answer_403_for_unknown_ids_and_non_admins() {
    let simulator = start(config(Profile::Current)).await;

    let (unknown, _) = call(
        &simulator,
        "GET",
        "/v2/organizations/1/webhooks/no-such-id",
        &[("authorization", ADMIN)],
        None,
    )
    .await;
    let (non_admin, _) = call(
        &simulator,
        "GET",
        "/v2/organizations/1/webhooks",
        &[("authorization", USER)],
        None,
    )
    .await;
    let client = [
        ("x-cal-client-id", Store::OAUTH_CLIENT_ID),
        ("x-cal-secret-key", Store::OAUTH_CLIENT_SECRET),
    ];
    let (by_client, _) = call(
        &simulator,
        "GET",
        "/v2/organizations/1/webhooks",
        &client,
        None,
    )
    .await;

    assert_eq!((unknown, non_admin, by_client), (403, 403, 200));
}

#[tokio::test]
async fn oauth_client_webhooks_use_the_secret_key_header() {
    let simulator = start(config(Profile::Current)).await;
    let path = format!("/v2/oauth-clients/{}/webhooks", Store::OAUTH_CLIENT_ID);

    let (created, body) = call(
        &simulator,
        "POST",
        &path,
        &[("x-cal-secret-key", Store::OAUTH_CLIENT_SECRET)],
        Some(hook("https://example.com/c")),
    )
    .await;
    let (wrong, error) = call(
        &simulator,
        "GET",
        &path,
        &[("x-cal-secret-key", "nope")],
        None,
    )
    .await;

    assert_eq!(
        (created, &body["data"]["oAuthClientId"]),
        (201, &json!(Store::OAUTH_CLIENT_ID))
    );
    assert_eq!(wrong, 401);
    assert_eq!(
        error["error"]["message"],
        "ApiAuthStrategy - oAuth client - Invalid client secret"
    );
}

#[tokio::test]
async fn an_event_is_delivered_once_to_each_active_subscription_in_scope() {
    let simulator = start(config(Profile::Current)).await;
    let receiver = Receiver::start(
        ReceiverConfig {
            secret: Some("s3cr3t".to_owned()),
            ..ReceiverConfig::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let auth = [("authorization", ADMIN)];
    let url = |name: &str| format!("{}/{name}", receiver.url());
    call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &auth,
        Some(hook(&url("user"))),
    )
    .await;
    let mut templated = hook(&url("templated"));
    templated["payloadTemplate"] = json!(r#"{"uid":"{{uid}}","trigger":"{{triggerEvent}}"}"#);
    call(
        &simulator,
        "POST",
        "/v2/event-types/1/webhooks",
        &auth,
        Some(templated),
    )
    .await;
    let mut inactive = hook(&url("inactive"));
    inactive["active"] = json!(false);
    call(&simulator, "POST", "/v2/webhooks", &auth, Some(inactive)).await;
    call(
        &simulator,
        "POST",
        "/v2/webhooks",
        &[("authorization", USER)],
        Some(hook(&url("other-user"))),
    )
    .await;

    let (status, dispatched) = call(&simulator, "POST", "/_calsim/events", &[], Some(json!({"trigger": "BOOKING_CREATED", "userId": 1, "eventTypeId": 1, "createdAt": "2024-01-01T00:00:00.000Z"}))).await;

    assert_eq!(status, 200, "{dispatched}");
    assert_eq!(dispatched.as_array().unwrap().len(), 2, "{dispatched}");
    let mut deliveries = receiver.state().deliveries();
    deliveries.sort_by(|a, b| a.url.cmp(&b.url));
    assert_eq!(
        deliveries
            .iter()
            .map(|delivery| delivery.url.as_str())
            .collect::<Vec<_>>(),
        ["/templated", "/user"]
    );
    assert!(deliveries
        .iter()
        .all(|delivery| delivery.signature == SignatureVerdict::Valid));
    assert_eq!(
        deliveries[0].body.as_deref(),
        Some(r#"{"uid":"calsim-booking-uid-1","trigger":"BOOKING_CREATED"}"#)
    );
    assert!(deliveries[1].body.as_deref().unwrap().starts_with(
        r#"{"triggerEvent":"BOOKING_CREATED","createdAt":"2024-01-01T00:00:00.000Z","payload":{"#
    ));
    assert_eq!(
        simulator
            .calcom()
            .journal
            .entries(Some(calsim::journal::Surface::Webhook))
            .len(),
        2
    );
}
