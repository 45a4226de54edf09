//! API v1 `/credential-sync`: the partner pushes credentials through Cal.com's REST API.
//!
//! Order of checks, as Cal.com's `apps/api/v1` runs them (`shared/spec/credential-sync.md`
//! §4): the Pages Router parses the body (413, 400 `Invalid JSON`); `verifyApiKey`
//! (`?apiKey=`, 401/403); `verifyCredentialSyncEnabled` (admin 403, disabled 501, secret
//! header 401); then the method's handler, whose errors go through `defaultResponder`
//! (`{"message":…,"data":null}` plus an `X-Trace-Id` header). [`decide`] is that whole
//! rule; the router only reads the request and journals it.
//!
//! Quirks kept on purpose: POST always inserts (duplicates are possible), PATCH never
//! clears `invalid`, an unknown app on POST is a 500, a wrong secret is 401 here but 403
//! on the push webhook, and `parseInt` reads `"12abc"` as 12.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde_json::{json, Value};

use crate::calcom::state::Calcom;
use crate::calcom::store::{ApiKeyLookup, Store};
use crate::config::Config;
use crate::net::journal::{Arrival, Surface};
use crate::protocol::answer::Answer;
use crate::protocol::crypto::{symmetric_decrypt, EncryptionKey};
use crate::protocol::js_value::JsValue;
use crate::protocol::next;
use crate::protocol::profile::{LegacyTokenSchema, NextRouter};
use crate::protocol::zod::{self, Field, FieldType, ObjectSchema};

/// The paths that reach the handler (Next.js rewrites `/v1/...` to `/api/v1/...` to
/// `/api/...`; the added `version` query parameter is ignored).
pub const PATHS: [&str; 3] = [
    "/api/v1/credential-sync",
    "/v1/credential-sync",
    "/api/credential-sync",
];

/// 401 without `?apiKey=`.
pub const NO_API_KEY: &str = "No apiKey provided";
/// 401 for an unknown key. [?] The current reason text is not pinned upstream; this is
/// the older code's wording.
pub const INVALID_API_KEY: &str = "Your API key is not valid.";
/// 403 for a locked user's key.
pub const LOCKED_USER: &str = "You are not authorized to perform this request.";
/// 403 for a key that is not a system-wide admin's.
pub const NOT_ADMIN: &str = "Only admin API keys can access credential syncing endpoints";
/// 501 when sharing is disabled (the swagger comments wrongly say 505).
pub const SYNC_DISABLED: &str = "Credential syncing is not enabled";
/// 401 for a wrong or missing sync secret.
pub const INVALID_SECRET: &str = "Invalid credential sync secret";
/// 405 from `defaultHandler`.
pub const METHOD_NOT_ALLOWED: &str = "Method Not Allowed (Allow: GET,POST,PATCH,DELETE)";
/// 400 for a falsy body.
pub const BODY_MISSING: &str = "Request body is missing";
/// 500 for a plaintext that is not JSON (`SyntaxError` in `getServerErrorFromUnknown`).
pub const SYNTAX_ERROR: &str = "Unexpected error, please reach out for our customer support.";
/// 500 for an unknown app on POST.
pub const APP_NOT_FOUND: &str = "App not found";
/// 404 for PATCH on a missing row (Prisma P2025). [?] Prisma's exact wording varies by
/// version.
pub const RECORD_TO_UPDATE_NOT_FOUND: &str = "Record to update not found.";
/// 404 for DELETE on a missing row (Prisma P2025). [?] as above.
pub const RECORD_TO_DELETE_NOT_FOUND: &str = "Record to delete does not exist.";

const USER_ID_QUERY: ObjectSchema = ObjectSchema {
    fields: &[Field {
        name: "userId",
        ty: FieldType::String,
        optional: false,
    }],
    passthrough: false,
};

const USER_AND_CREDENTIAL_QUERY: ObjectSchema = ObjectSchema {
    fields: &[
        Field {
            name: "userId",
            ty: FieldType::String,
            optional: false,
        },
        Field {
            name: "credentialId",
            ty: FieldType::String,
            optional: false,
        },
    ],
    passthrough: false,
};

/// A request to API v1 as received. `body` is `None` when over the size limit.
#[derive(Clone, Copy, Debug)]
pub struct ApiRequest<'a> {
    /// The method.
    pub method: &'a Method,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body, or `None` if it exceeded `Config::body_limit`.
    pub body: Option<&'a [u8]>,
}

/// What Cal.com answers, and the rule that decided it.
#[derive(Clone, Debug)]
pub struct ApiDecision {
    /// The answer.
    pub answer: Answer,
    /// The rule, in a few words (journaled).
    pub rule: &'static str,
}

static TRACE_IDS: AtomicU64 = AtomicU64::new(1);

/// The API v1 routes; they answer 404 like any unknown route when `Config::api_v1` is off.
pub fn router() -> Router<Arc<Calcom>> {
    PATHS.iter().fold(Router::new(), |router, path| {
        router.route(path, any(handle))
    })
}

async fn handle(State(calcom): State<Arc<Calcom>>, request: Request) -> Response {
    let config = calcom.config();
    if !config.api_v1 {
        return crate::calcom::not_found::unknown_route(request).await;
    }
    let arrival = Arrival::now();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, config.body_limit).await.ok();
    let decision = decide(
        &config,
        &calcom.store,
        ApiRequest {
            method: &parts.method,
            query: parts.uri.query().unwrap_or_default(),
            headers: &parts.headers,
            body: body.as_deref(),
        },
    );
    let answer = decision.answer;
    tracing::info!(
        status = answer.status.as_u16(),
        "api v1 credential-sync: {}",
        decision.rule
    );
    calcom.journal.answered(
        Surface::ApiV1CredentialSync,
        arrival,
        (&parts, body.unwrap_or_default()),
        &[config.api_v1_header_name()],
        answer,
        json!({ "rule": decision.rule }),
    )
}

/// Answers an API v1 request as Cal.com does, storing on success.
pub fn decide(config: &Config, store: &Store, request: ApiRequest<'_>) -> ApiDecision {
    let Some(body) = request.body else {
        return decision(
            next::body_too_large(config.body_limit),
            "body over the size limit",
        );
    };
    let body = match next::parse_pages_body(request.headers, body) {
        Ok(body) => body,
        Err(_) => {
            return decision(
                Answer::next_text(StatusCode::BAD_REQUEST, next::INVALID_JSON),
                "the Pages Router refused malformed JSON",
            )
        }
    };
    let query = next::querystring_decode(request.query);
    if let Some(refusal) = check_access(config, store, request.headers, &query) {
        return refusal;
    }
    let outcome = match *request.method {
        Method::GET => list(store, &query, config),
        Method::POST => create(store, &query, &body, config),
        Method::PATCH => update(store, &query, &body, config),
        Method::DELETE => delete(store, &query, config),
        _ => {
            return decision(
                json_answer(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &json!({ "message": METHOD_NOT_ALLOWED }),
                ),
                "defaultHandler has no handler for this method",
            )
        }
    };
    match outcome {
        Ok((value, rule)) => decision(json_answer(StatusCode::OK, &value), rule),
        Err(failure) => decision(failure.answer(), failure.rule),
    }
}

/// `verifyApiKey` then `verifyCredentialSyncEnabled`.
fn check_access(
    config: &Config,
    store: &Store,
    headers: &HeaderMap,
    query: &JsValue,
) -> Option<ApiDecision> {
    let api_key = match query.get("apiKey") {
        Some(JsValue::String(key)) if !key.is_empty() => key.clone(),
        Some(JsValue::Array(keys)) => keys
            .iter()
            .map(|key| match key {
                JsValue::String(key) => key.as_str(),
                _ => "",
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => {
            return Some(decision(
                json_answer(StatusCode::UNAUTHORIZED, &json!({ "message": NO_API_KEY })),
                "verifyApiKey: no apiKey query parameter",
            ))
        }
    };
    let user = match store.api_key_user(&api_key) {
        ApiKeyLookup::Unknown => {
            return Some(decision(
                json_answer(
                    StatusCode::UNAUTHORIZED,
                    &json!({ "error": INVALID_API_KEY }),
                ),
                "verifyApiKey: unknown API key",
            ))
        }
        ApiKeyLookup::Valid(user) => user,
    };
    if user.locked {
        return Some(decision(
            json_answer(StatusCode::FORBIDDEN, &json!({ "error": LOCKED_USER })),
            "verifyApiKey: the key's user is locked",
        ));
    }
    if user.role != crate::calcom::store::Role::Admin {
        return Some(decision(
            json_answer(StatusCode::FORBIDDEN, &json!({ "error": NOT_ADMIN })),
            "verifyCredentialSyncEnabled: not a system-wide admin key",
        ));
    }
    if !config.sharing_enabled() {
        return Some(decision(
            json_answer(
                StatusCode::NOT_IMPLEMENTED,
                &json!({ "error": SYNC_DISABLED }),
            ),
            "verifyCredentialSyncEnabled: sharing is disabled",
        ));
    }
    let sent = next::pages_header_value(headers, config.api_v1_header_name());
    if !crate::protocol::redact::secret_matches(sent.as_deref(), &config.sync_secret) {
        return Some(decision(
            json_answer(
                StatusCode::UNAUTHORIZED,
                &json!({ "message": INVALID_SECRET }),
            ),
            "verifyCredentialSyncEnabled: the secret header is missing or wrong",
        ));
    }
    None
}

/// An error thrown inside a handler, answered by `defaultResponder`.
struct Failure {
    status: StatusCode,
    message: String,
    rule: &'static str,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>, rule: &'static str) -> Self {
        Failure {
            status,
            message: message.into(),
            rule,
        }
    }

    fn answer(&self) -> Answer {
        let trace_id = format!(
            "calsim-trace-{:08x}",
            TRACE_IDS.fetch_add(1, Ordering::Relaxed)
        );
        json_answer(
            self.status,
            &json!({ "message": self.message, "data": null }),
        )
        .with_header("x-trace-id", trace_id)
    }
}

type Handled = Result<(Value, &'static str), Failure>;

fn list(store: &Store, query: &JsValue, config: &Config) -> Handled {
    let user_id = parse_id(query, &USER_ID_QUERY, "userId", config)?;
    let app_slug = match query.get("appSlug") {
        Some(JsValue::String(slug)) => Some(slug.as_str()),
        _ => None,
    };
    let credentials: Vec<Value> = store
        .credentials(Some(user_id), app_slug)
        .into_iter()
        .map(|credential| json!({ "id": credential.id, "appId": credential.app_id, "appSlug": credential.app_id }))
        .collect();
    Ok((
        json!({ "credentials": credentials }),
        "GET: listed the user's credentials",
    ))
}

fn create(store: &Store, query: &JsValue, body: &JsValue, config: &Config) -> Handled {
    require_body(body)?;
    let user_id = parse_id(query, &USER_ID_QUERY, "userId", config)?;
    zod_check(&zod::API_V1_POST_BODY, body, config)?;
    let (Some(JsValue::String(app_slug)), Some(JsValue::String(encrypted))) =
        (body.get("appSlug"), body.get("encryptedKey"))
    else {
        return Err(Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "unreachable: schema passed",
        ));
    };
    let key = decrypt_token(encrypted, config)?;
    let app = store.app(app_slug).ok_or_else(|| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            APP_NOT_FOUND,
            "POST: no App row with that slug",
        )
    })?;
    let metadata = store.metadata(&app.dir_name).ok_or_else(|| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot read properties of undefined (reading 'type')",
            "POST: the app has no build metadata",
        )
    })?;
    let credential = store.insert_credential(Some(user_id), app_slug, &metadata.kind, key);
    Ok((
        json!({ "credential": { "id": credential.id, "type": credential.kind } }),
        "POST: inserted a credential (API v1 never upserts)",
    ))
}

fn update(store: &Store, query: &JsValue, body: &JsValue, config: &Config) -> Handled {
    require_body(body)?;
    let user_id = parse_id(query, &USER_AND_CREDENTIAL_QUERY, "userId", config)?;
    let credential_id = parse_id(query, &USER_AND_CREDENTIAL_QUERY, "credentialId", config)?;
    zod_check(&zod::API_V1_PATCH_BODY, body, config)?;
    let Some(JsValue::String(encrypted)) = body.get("encryptedKey") else {
        return Err(Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "unreachable: schema passed",
        ));
    };
    let key = decrypt_token(encrypted, config)?;
    let credential = store
        .update_key(credential_id, Some(user_id), key)
        .ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                RECORD_TO_UPDATE_NOT_FOUND,
                "PATCH: no such credential for that user (Prisma P2025)",
            )
        })?;
    Ok((
        json!({ "credential": { "id": credential.id, "appId": credential.app_id } }),
        "PATCH: replaced the key (invalid is left as it is)",
    ))
}

fn delete(store: &Store, query: &JsValue, config: &Config) -> Handled {
    let user_id = parse_id(query, &USER_AND_CREDENTIAL_QUERY, "userId", config)?;
    let credential_id = parse_id(query, &USER_AND_CREDENTIAL_QUERY, "credentialId", config)?;
    let credential = store
        .delete_credential(credential_id, Some(user_id))
        .ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                RECORD_TO_DELETE_NOT_FOUND,
                "DELETE: no such credential for that user (Prisma P2025)",
            )
        })?;
    Ok((
        json!({ "credentialDeleted": { "id": credential.id, "appId": credential.app_id } }),
        "DELETE: removed the credential",
    ))
}

fn require_body(body: &JsValue) -> Result<(), Failure> {
    let falsy = match body {
        JsValue::Null => true,
        JsValue::Bool(flag) => !flag,
        JsValue::Number(number) => *number == 0.0 || number.is_nan(),
        JsValue::String(text) => text.is_empty(),
        JsValue::Array(_) | JsValue::Object(_) => false,
    };
    if falsy {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            BODY_MISSING,
            "the body is missing",
        ));
    }
    Ok(())
}

fn zod_check(schema: &ObjectSchema, value: &JsValue, config: &Config) -> Result<(), Failure> {
    zod::check_object(schema, value, config.zod).map_err(|issues| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            zod::format_issues_for_api_v1(&issues),
            "a zod schema failed",
        )
    })
}

/// The query's `name` as `parseInt` reads it; NaN is a 400.
fn parse_id(
    query: &JsValue,
    schema: &ObjectSchema,
    name: &str,
    config: &Config,
) -> Result<i64, Failure> {
    zod_check(schema, query, config)?;
    let Some(JsValue::String(text)) = query.get(name) else {
        return Err(Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "unreachable: schema passed",
        ));
    };
    parse_int(text).ok_or_else(|| {
        let message = format!("{name} is not a valid number");
        Failure::new(StatusCode::BAD_REQUEST, message, "parseInt gave NaN")
    })
}

/// JavaScript's `parseInt(text)` (radix 10, or 16 after `0x`), clamped into `i64`.
///
/// ```
/// assert_eq!(calsim::api_v1::parse_int(" 12abc"), Some(12));
/// assert_eq!(calsim::api_v1::parse_int("0x1F"), Some(31));
/// assert_eq!(calsim::api_v1::parse_int("-7"), Some(-7));
/// assert_eq!(calsim::api_v1::parse_int("abc"), None);
/// ```
pub fn parse_int(text: &str) -> Option<i64> {
    let text = text.trim_start();
    let (negative, text) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = match text.get(..2) {
        Some("0x" | "0X") => (16, &text[2..]),
        _ => (10, text),
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let value = digits[..end].chars().fold(0i64, |value, digit| {
        value
            .saturating_mul(i64::from(radix))
            .saturating_add(i64::from(digit.to_digit(radix).unwrap_or(0)))
    });
    Some(if negative { -value } else { value })
}

/// Decrypts, `JSON.parse`s and validates a token as the handlers do.
fn decrypt_token(encrypted: &str, config: &Config) -> Result<Value, Failure> {
    let key = EncryptionKey::from_env_string(&config.encryption_key).map_err(|_| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Invalid key length",
            "the encryption key is not 32 characters",
        )
    })?;
    let plaintext = symmetric_decrypt(encrypted, &key).map_err(|error| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            error.node_message(),
            "symmetricDecrypt threw",
        )
    })?;
    let token = JsValue::parse(&plaintext).map_err(|_| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            SYNTAX_ERROR,
            "the plaintext is not JSON",
        )
    })?;
    let schema = match config.profile.legacy_token_schema() {
        LegacyTokenSchema::MinimumWithNumber if !config.profile.has_oauth_manager() => {
            zod::check_minimum_token_response(&token, config.zod).map_err(|issues| {
                Failure::new(
                    StatusCode::BAD_REQUEST,
                    zod::format_issues_for_api_v1(&issues),
                    "minimumTokenResponseSchema failed",
                )
            })?;
            &zod::MINIMUM_TOKEN_RESPONSE
        }
        _ => {
            zod_check(&zod::OAUTH2_UNIVERSAL, &token, config)?;
            &zod::OAUTH2_UNIVERSAL
        }
    };
    let key = Value::from(zod::parsed_output(schema, token));
    crate::calcom::store::storable_key(&key).map_err(|refusal| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            refusal,
            "the credential write threw: Postgres jsonb refuses the key",
        )
    })?;
    Ok(key)
}

fn json_answer(status: StatusCode, value: &Value) -> Answer {
    Answer::json(status, NextRouter::Pages, value)
}

fn decision(answer: Answer, rule: &'static str) -> ApiDecision {
    ApiDecision { answer, rule }
}
