//! API v2 webhook subscriptions: `/v2/webhooks`, `/v2/event-types/{id}/webhooks`,
//! `/v2/organizations/{orgId}/webhooks`, `/v2/oauth-clients/{clientId}/webhooks`
//! (`shared/spec/webhooks.md` §3).
//!
//! Authentication as `ApiAuthGuard`: `Authorization: Bearer cal_…` API keys (stored
//! hashed; the seeded ones are `cal_calsim_admin_key` for user 1, the admin of
//! organization 1, and `cal_calsim_user_key` for user 2), or `x-cal-client-id` +
//! `x-cal-secret-key`. Answers use Cal.com's envelopes: `{"status":"success","data":…}`
//! (201 on create) and `{"status":"error","timestamp","path","error":{code,message,
//! details}}` with an `X-Request-Id` header. Unknown body fields are dropped.
//! [?] The exact class-validator error objects (key order, `target`) are inferred.

use std::sync::Arc;

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::calcom::state::Calcom;
use crate::calcom::store::{ApiKeyLookup, Role, Store, User};
use crate::calcom::subscription::{uuid_v4, Scope, Subscription};
use crate::protocol::trigger::TriggerEvent;

/// Which family of routes a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    User,
    EventType,
    Organization,
    OAuthClient,
}

/// The routes.
pub fn router() -> Router<Arc<Calcom>> {
    let family = |kind: Kind| {
        (
            get(move |state, headers, path, page| list_any(kind, state, headers, path, page))
                .post(move |state, headers, path, body| {
                    create_any(kind, state, headers, path, body)
                })
                .delete(move |state, headers, path| delete_all_any(kind, state, headers, path)),
            get(move |state, headers, path| get_any(kind, state, headers, path))
                .patch(move |state, headers, path, body| {
                    update_any(kind, state, headers, path, body)
                })
                .delete(move |state, headers, path| delete_any(kind, state, headers, path)),
        )
    };
    let (user, user_one) = family(Kind::User);
    let (event_type, event_type_one) = family(Kind::EventType);
    let (org, org_one) = family(Kind::Organization);
    let (client, client_one) = family(Kind::OAuthClient);
    Router::new()
        .route("/v2/webhooks", user)
        .route("/v2/webhooks/{id}", user_one)
        .route("/v2/event-types/{owner}/webhooks", event_type)
        .route("/v2/event-types/{owner}/webhooks/{id}", event_type_one)
        .route("/v2/organizations/{owner}/webhooks", org)
        .route("/v2/organizations/{owner}/webhooks/{id}", org_one)
        .route("/v2/oauth-clients/{owner}/webhooks", client)
        .route("/v2/oauth-clients/{owner}/webhooks/{id}", client_one)
}

/// An API v2 error: status, Nest exception name, message, optional details.
#[derive(Debug)]
pub(crate) struct V2Error {
    status: StatusCode,
    message: String,
    details: Option<Value>,
}

impl V2Error {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        V2Error {
            status,
            message: message.into(),
            details: None,
        }
    }

    fn code(&self) -> &'static str {
        match self.status {
            StatusCode::BAD_REQUEST => "BadRequestException",
            StatusCode::UNAUTHORIZED => "UnauthorizedException",
            StatusCode::FORBIDDEN => "ForbiddenException",
            StatusCode::NOT_FOUND => "NotFoundException",
            StatusCode::CONFLICT => "ConflictException",
            _ => "InternalServerErrorException",
        }
    }

    pub(crate) fn into_response(self, path: &str) -> Response {
        let code = self.code();
        let details = self.details.unwrap_or_else(|| {
            json!({
                "message": self.message,
                "error": self.status.canonical_reason().unwrap_or_default(),
                "statusCode": self.status.as_u16(),
            })
        });
        let body = json!({
            "status": "error",
            "timestamp": crate::protocol::payload::iso_string(jiff::Timestamp::now()),
            "path": path,
            "error": { "code": code, "message": self.message, "details": details },
        });
        (self.status, [("x-request-id", uuid_v4())], Json(body)).into_response()
    }
}

pub(crate) type Outcome = Result<(StatusCode, Value), V2Error>;

pub(crate) fn respond(path: &str, outcome: Outcome) -> Response {
    match outcome {
        Ok((status, data)) => (
            status,
            [("x-request-id", uuid_v4())],
            Json(json!({ "status": "success", "data": data })),
        )
            .into_response(),
        Err(error) => error.into_response(path),
    }
}

/// Who is calling.
pub(crate) enum Caller {
    User(User),
    Client(crate::calcom::store::OAuthClient),
}

const AUTH: &str = "ApiAuthStrategy - ";

/// `ApiAuthGuard`. `client_in_path` is the OAuth client id of `/v2/oauth-clients/{id}`.
pub(crate) fn authenticate(
    store: &Store,
    headers: &HeaderMap,
    client_in_path: Option<&str>,
) -> Result<Caller, V2Error> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let unauthorized =
        |message: &str| V2Error::new(StatusCode::UNAUTHORIZED, format!("{AUTH}{message}"));
    if let Some(token) = header("authorization").and_then(|value| value.strip_prefix("Bearer ")) {
        if !token.starts_with(crate::calcom::store::API_KEY_PREFIX) {
            return Err(unauthorized("Invalid Bearer token"));
        }
        return match store.api_key_user(token) {
            ApiKeyLookup::Valid(user) => Ok(Caller::User(user)),
            ApiKeyLookup::Unknown => Err(unauthorized("api key - Your api key is not valid")),
        };
    }
    let client_id = client_in_path.or(header("x-cal-client-id"));
    match (client_id, header("x-cal-secret-key")) {
        (Some(id), Some(secret)) => {
            let client = store.oauth_client(id).ok_or_else(|| unauthorized("oAuth client - Invalid client secret"))?;
            if crate::protocol::redact::secret_matches(Some(secret), &client.secret) {
                Ok(Caller::Client(client))
            } else {
                Err(unauthorized("oAuth client - Invalid client secret"))
            }
        }
        (Some(_), None) => Err(unauthorized("Only 'x-cal-client-id' header provided. Please also provide 'x-cal-secret-key' header")),
        _ => Err(unauthorized("No authentication method provided. Either pass an API key as 'Bearer' header or OAuth client credentials as 'x-cal-secret-key' and 'x-cal-client-id' headers")),
    }
}

/// The subscription as API v2 shows it (`excludeAll`: only exposed fields).
fn shown(subscription: &Subscription) -> Value {
    let mut data = Map::new();
    data.insert("id".to_owned(), json!(subscription.id));
    data.insert(
        "subscriberUrl".to_owned(),
        json!(subscription.subscriber_url),
    );
    data.insert("triggers".to_owned(), json!(subscription.triggers));
    data.insert("active".to_owned(), json!(subscription.active));
    data.insert(
        "payloadTemplate".to_owned(),
        json!(subscription.payload_template),
    );
    data.insert("secret".to_owned(), json!(subscription.secret));
    let (key, id) = match &subscription.scope {
        Scope::User(id) => ("userId", json!(id)),
        Scope::EventType(id) => ("eventTypeId", json!(id)),
        Scope::Organization(id) => ("teamId", json!(id)),
        Scope::OAuthClient(id) => ("oAuthClientId", json!(id)),
    };
    data.insert(key.to_owned(), id);
    Value::Object(data)
}

/// The validated fields of a create or update body.
#[derive(Default)]
struct Input {
    subscriber_url: Option<String>,
    triggers: Option<Vec<TriggerEvent>>,
    active: Option<bool>,
    payload_template: Option<Option<String>>,
    secret: Option<Option<String>>,
}

/// class-validator with `whitelist: true`: checks the known fields, drops the rest.
fn validate(body: &str, creating: bool) -> Result<Input, V2Error> {
    let value: Value = serde_json::from_str(body).map_err(|error| {
        V2Error::new(
            StatusCode::BAD_REQUEST,
            format!("Unexpected token in JSON: {error}"),
        )
    })?;
    let Value::Object(fields) = value else {
        return Err(V2Error::new(
            StatusCode::BAD_REQUEST,
            "Bad Request Exception",
        ));
    };
    let known = [
        "subscriberUrl",
        "triggers",
        "active",
        "payloadTemplate",
        "secret",
        "version",
    ];
    let target: Map<String, Value> = fields
        .iter()
        .filter(|(name, _)| known.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut errors = Vec::new();
    let mut error = |property: &str, constraints: Value| {
        let mut entry = Map::new();
        entry.insert("target".to_owned(), Value::Object(target.clone()));
        if let Some(value) = fields.get(property) {
            entry.insert("value".to_owned(), value.clone());
        }
        entry.insert("property".to_owned(), json!(property));
        entry.insert("children".to_owned(), json!([]));
        entry.insert("constraints".to_owned(), constraints);
        errors.push(Value::Object(entry));
    };
    let mut input = Input::default();
    match fields.get("subscriberUrl") {
        Some(Value::String(url)) => input.subscriber_url = Some(url.clone()),
        None if !creating => {}
        _ => error(
            "subscriberUrl",
            json!({ "isString": "subscriberUrl must be a string" }),
        ),
    }
    let names: Vec<&str> = TriggerEvent::ALL
        .iter()
        .filter(|trigger| **trigger != TriggerEvent::Ping)
        .map(|trigger| trigger.as_str())
        .collect();
    let enum_message = format!(
        "each value in triggers must be one of the following values: {}",
        names.join(", ")
    );
    match fields.get("triggers") {
        Some(Value::Array(items)) => {
            let parsed: Option<Vec<TriggerEvent>> = items
                .iter()
                .map(|item| {
                    item.as_str()
                        .filter(|name| names.contains(name))
                        .and_then(|name| name.parse().ok())
                })
                .collect();
            match parsed {
                Some(triggers) => input.triggers = Some(triggers),
                None => error("triggers", json!({ "isEnum": enum_message })),
            }
        }
        None if !creating => {}
        _ => error(
            "triggers",
            json!({ "isArray": "triggers must be an array", "isEnum": enum_message }),
        ),
    }
    match fields.get("active") {
        Some(Value::Bool(active)) => input.active = Some(*active),
        None if !creating => {}
        _ => error(
            "active",
            json!({ "isBoolean": "active must be a boolean value" }),
        ),
    }
    for (name, slot) in [
        ("payloadTemplate", &mut input.payload_template),
        ("secret", &mut input.secret),
    ] {
        match fields.get(name) {
            Some(Value::String(text)) => *slot = Some(Some(text.clone())),
            Some(Value::Null) | None => {}
            Some(_) => error(
                name,
                json!({ "isString": format!("{name} must be a string") }),
            ),
        }
    }
    match fields.get("version") {
        None => {}
        Some(Value::String(version)) if version == crate::protocol::signing::PAYLOAD_VERSION => {}
        Some(_) => error(
            "version",
            json!({ "isEnum": "version must be one of the following values: 2021-10-20" }),
        ),
    }
    if errors.is_empty() {
        return Ok(input);
    }
    Err(V2Error {
        status: StatusCode::BAD_REQUEST,
        message: "Bad Request Exception".to_owned(),
        details: Some(json!({ "errors": errors })),
    })
}

/// How each scope names itself in 409 messages.
fn scope_noun(scope: &Scope) -> &'static str {
    match scope {
        Scope::User(_) => "user",
        Scope::EventType(_) => "event type",
        Scope::Organization(_) => "organization",
        Scope::OAuthClient(_) => "oAuth client",
    }
}

fn create(store: &Store, scope: Scope, body: &str) -> Outcome {
    let input = validate(body, true)?;
    let triggers = input.triggers.unwrap_or_default();
    if triggers.contains(&TriggerEvent::DelegationCredentialError)
        && !matches!(scope, Scope::Organization(_))
    {
        return Err(V2Error::new(
            StatusCode::BAD_REQUEST,
            "DELEGATION_CREDENTIAL_ERROR trigger is only available for organization webhooks",
        ));
    }
    let subscription = Subscription {
        id: uuid_v4(),
        scope: scope.clone(),
        subscriber_url: input.subscriber_url.unwrap_or_default(),
        triggers,
        active: input.active.unwrap_or(true),
        payload_template: input.payload_template.flatten(),
        secret: input.secret.flatten(),
        version: crate::protocol::signing::PAYLOAD_VERSION.to_owned(),
        app_id: None,
    };
    let data = shown(&subscription);
    if !store.add_subscription(subscription) {
        return Err(V2Error::new(
            StatusCode::CONFLICT,
            format!(
                "Webhook with this subscriber url already exists for this {}",
                scope_noun(&scope)
            ),
        ));
    }
    Ok((StatusCode::CREATED, data))
}

#[derive(Deserialize)]
struct Page {
    take: Option<String>,
    skip: Option<String>,
}

fn list(store: &Store, scope: &Scope, page: &Page) -> Outcome {
    let number = |text: &Option<String>,
                  name: &str,
                  range: std::ops::RangeInclusive<usize>,
                  default: usize| match text {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|value| range.contains(value))
            .ok_or_else(|| {
                V2Error::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "{name} must be a number between {} and {}",
                        range.start(),
                        range.end()
                    ),
                )
            }),
    };
    let take = number(&page.take, "take", 1..=250, 250)?;
    let skip = number(&page.skip, "skip", 0..=usize::MAX, 0)?;
    let data: Vec<Value> = store
        .subscriptions(Some(scope))
        .iter()
        .skip(skip)
        .take(take)
        .map(shown)
        .collect();
    Ok((StatusCode::OK, Value::Array(data)))
}

fn update(store: &Store, subscription: Subscription, body: &str) -> Outcome {
    let input = validate(body, false)?;
    let updated = store
        .update_subscription(&subscription.id, |stored| {
            if let Some(url) = input.subscriber_url {
                stored.subscriber_url = url;
            }
            if let Some(triggers) = input.triggers {
                stored.triggers = triggers;
            }
            if let Some(active) = input.active {
                stored.active = active;
            }
            if let Some(template) = input.payload_template {
                stored.payload_template = template;
            }
            if let Some(secret) = input.secret {
                stored.secret = secret;
            }
        })
        .ok_or_else(|| {
            V2Error::new(
                StatusCode::NOT_FOUND,
                format!("Webhook ({}) not found", subscription.id),
            )
        })?;
    Ok((StatusCode::OK, shown(&updated)))
}

fn delete(store: &Store, subscription: Subscription) -> Outcome {
    store.delete_subscription(&subscription.id);
    Ok((StatusCode::OK, shown(&subscription)))
}

type Params = Path<HashMap<String, String>>;

/// Resolves the scope of a request, checking the caller may use it.
fn scope_of(
    kind: Kind,
    store: &Store,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(Scope, Caller), V2Error> {
    let owner = params.get("owner").map(String::as_str).unwrap_or_default();
    let number = || {
        owner.parse::<i64>().map_err(|_| {
            V2Error::new(
                StatusCode::BAD_REQUEST,
                format!("Validation failed (numeric string is expected): {owner}"),
            )
        })
    };
    let caller = authenticate(store, headers, (kind == Kind::OAuthClient).then_some(owner))?;
    let scope = match (kind, &caller) {
        (Kind::User, Caller::User(user)) => Scope::User(user.id),
        (Kind::EventType, Caller::User(user)) => {
            let id = number()?;
            let event_type = store.event_type(id).ok_or_else(|| {
                V2Error::new(
                    StatusCode::NOT_FOUND,
                    format!("Event type ({id}) not found"),
                )
            })?;
            if event_type.user_id != user.id {
                return Err(V2Error::new(
                    StatusCode::FORBIDDEN,
                    format!("User ({}) is not the owner of event type ({id})", user.id),
                ));
            }
            Scope::EventType(id)
        }
        (Kind::Organization, _) => {
            let id = number()?;
            let allowed = match &caller {
                Caller::User(user) => store
                    .organization(id)
                    .is_some_and(|org| org.admins.contains(&user.id)),
                Caller::Client(client) => client.organization_id == id,
            };
            if !allowed {
                return Err(V2Error::new(StatusCode::FORBIDDEN, "Forbidden resource"));
            }
            Scope::Organization(id)
        }
        (Kind::OAuthClient, Caller::Client(client)) if client.id == owner => {
            Scope::OAuthClient(owner.to_owned())
        }
        _ => return Err(V2Error::new(StatusCode::FORBIDDEN, "Forbidden resource")),
    };
    Ok((scope, caller))
}

/// Finds one webhook of the scope, with each family's 403-versus-404 rule.
fn webhook_in(
    kind: Kind,
    store: &Store,
    scope: &Scope,
    caller: &Caller,
    id: &str,
) -> Result<Subscription, V2Error> {
    let found = store.subscription(id);
    match (kind, found) {
        (_, Some(subscription)) if subscription.scope == *scope => Ok(subscription),
        (Kind::User, Some(subscription)) => match caller {
            Caller::User(user) if user.role == Role::Admin => Ok(subscription),
            Caller::User(user) => Err(V2Error::new(StatusCode::FORBIDDEN, format!("IsUserWebhookGuard - user with id=({}) is not the owner of webhook with id=({id})", user.id))),
            Caller::Client(_) => Err(V2Error::new(StatusCode::FORBIDDEN, "Forbidden resource")),
        },
        (Kind::Organization, _) => Err(V2Error::new(StatusCode::FORBIDDEN, "Forbidden resource")),
        (_, Some(_)) => Err(V2Error::new(StatusCode::FORBIDDEN, format!("Webhook ({id}) does not belong to this {}", scope_noun(scope)))),
        (_, None) => Err(V2Error::new(StatusCode::NOT_FOUND, format!("Webhook ({id}) not found"))),
    }
}

fn request_path(kind: Kind, params: &HashMap<String, String>) -> String {
    let owner = params.get("owner").map(String::as_str).unwrap_or_default();
    let base = match kind {
        Kind::User => "/v2/webhooks".to_owned(),
        Kind::EventType => format!("/v2/event-types/{owner}/webhooks"),
        Kind::Organization => format!("/v2/organizations/{owner}/webhooks"),
        Kind::OAuthClient => format!("/v2/oauth-clients/{owner}/webhooks"),
    };
    match params.get("id") {
        Some(id) => format!("{base}/{id}"),
        None => base,
    }
}

async fn list_any(
    kind: Kind,
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(params): Params,
    Query(page): Query<Page>,
) -> Response {
    let outcome = scope_of(kind, &calcom.store, &headers, &params)
        .and_then(|(scope, _)| list(&calcom.store, &scope, &page));
    respond(&request_path(kind, &params), outcome)
}

async fn create_any(
    kind: Kind,
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(params): Params,
    body: String,
) -> Response {
    let outcome = scope_of(kind, &calcom.store, &headers, &params)
        .and_then(|(scope, _)| create(&calcom.store, scope, &body));
    respond(&request_path(kind, &params), outcome)
}

async fn delete_all_any(
    kind: Kind,
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(params): Params,
) -> Response {
    let outcome = match kind {
        Kind::EventType | Kind::OAuthClient => scope_of(kind, &calcom.store, &headers, &params)
            .map(|(scope, _)| {
                (
                    StatusCode::OK,
                    json!(format!(
                        "{} webhooks deleted",
                        calcom.store.delete_subscriptions(&scope)
                    )),
                )
            }),
        Kind::User | Kind::Organization => Err(V2Error::new(
            StatusCode::NOT_FOUND,
            format!("Cannot DELETE {}", request_path(kind, &params)),
        )),
    };
    respond(&request_path(kind, &params), outcome)
}

async fn get_any(
    kind: Kind,
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(params): Params,
) -> Response {
    let outcome = scope_of(kind, &calcom.store, &headers, &params)
        .and_then(|(scope, caller)| webhook_in(kind, &calcom.store, &scope, &caller, &params["id"]))
        .map(|subscription| (StatusCode::OK, shown(&subscription)));
    respond(&request_path(kind, &params), outcome)
}

async fn update_any(
    kind: Kind,
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(params): Params,
    body: String,
) -> Response {
    let outcome = scope_of(kind, &calcom.store, &headers, &params)
        .and_then(|(scope, caller)| webhook_in(kind, &calcom.store, &scope, &caller, &params["id"]))
        .and_then(|subscription| update(&calcom.store, subscription, &body));
    respond(&request_path(kind, &params), outcome)
}

async fn delete_any(
    kind: Kind,
    State(calcom): State<Arc<Calcom>>,
    headers: HeaderMap,
    Path(params): Params,
) -> Response {
    let outcome = scope_of(kind, &calcom.store, &headers, &params)
        .and_then(|(scope, caller)| webhook_in(kind, &calcom.store, &scope, &caller, &params["id"]))
        .and_then(|subscription| delete(&calcom.store, subscription));
    respond(&request_path(kind, &params), outcome)
}
