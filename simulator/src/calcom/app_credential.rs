//! `POST /api/webhook/app-credential`: the partner pushes an encrypted credential.
//!
//! [`decide`] is the whole protocol rule, pure apart from the upsert: it takes the
//! request and answers exactly as the configured Cal.com generation does, in the same
//! order of checks (`shared/spec/credential-sync.md` §3). The server calls it for real
//! requests; the `app-credential` conformance check calls it to know what a correct
//! implementation must answer.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use serde::Serialize;
use serde_json::{json, Value};

use crate::calcom::state::Calcom;
use crate::calcom::store::{Store, Upsert};
use crate::config::Config;
use crate::net::journal::{Arrival, Surface};
use crate::protocol::answer::Answer;
use crate::protocol::crypto::{symmetric_decrypt, EncryptionKey};
use crate::protocol::js_value::JsValue;
use crate::protocol::next;
use crate::protocol::profile::NextRouter;
use crate::protocol::zod;

/// The route's path.
pub const PATH: &str = "/api/webhook/app-credential";

/// The 403 body when sharing is off.
pub const SHARING_DISABLED: &str = "Credential sharing is not enabled";
/// The App Router's catch-all 500 message.
pub const INTERNAL_SERVER_ERROR: &str = "Internal server error";
/// 404 when `userId` matches no user.
pub const USER_NOT_FOUND: &str = "User not found";
/// 404 when `appSlug` matches no `App` row.
pub const APP_NOT_FOUND: &str = "App not found";
/// 404 when the app row exists but the build has no metadata for its dirName.
pub const APP_METADATA_NOT_FOUND: &str = "App not found. Ensure that you have the correct app slug";

/// The push route, served by the fake Cal.com.
pub fn router() -> Router<Arc<Calcom>> {
    Router::new().route(PATH, any(push_webhook))
}

async fn push_webhook(State(calcom): State<Arc<Calcom>>, request: Request) -> Response {
    let arrival = Arrival::now();
    let config = calcom.config();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, config.body_limit).await.ok();
    let decision = decide(
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

/// A push as received. `body` is `None` when it exceeded the configured limit.
#[derive(Clone, Copy, Debug)]
pub struct Push<'a> {
    /// The HTTP method.
    pub method: &'a Method,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The body, or `None` if it was larger than `Config::body_limit`.
    pub body: Option<&'a [u8]>,
}

/// Which of Cal.com's steps decided the answer (recorded in the journal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// The App Router exports only `POST`.
    MethodNotAllowed,
    /// Next.js answered `OPTIONS` itself.
    Options,
    /// The body exceeded the size limit.
    BodyTooLarge,
    /// The Pages Router's body parser refused malformed JSON.
    InvalidJson,
    /// `APP_CREDENTIAL_SHARING_ENABLED` is false.
    SharingDisabled,
    /// The secret header is missing or wrong.
    InvalidSecret,
    /// The body is not JSON (App Router: `request.json()` threw).
    BodyNotJson,
    /// The body fails the zod schema.
    SchemaInvalid,
    /// `userId` is outside Postgres `Int` range: Prisma throws.
    UserIdOutOfRange,
    /// No such user.
    UserNotFound,
    /// No such app.
    AppNotFound,
    /// No metadata for the app's dirName.
    AppMetadataNotFound,
    /// The key is not 32 characters: Node throws `Invalid key length`.
    InvalidKeyLength,
    /// `symmetricDecrypt` threw.
    DecryptFailed,
    /// The plaintext is not JSON.
    PlaintextNotJson,
    /// The decrypted key is JSON `null` or holds U+0000: Postgres's `jsonb` refuses it.
    KeyNotStorable,
    /// A credential was created.
    Created,
    /// An existing credential was updated.
    Updated,
}

impl Step {
    /// What an implementation must do so that the step's answer comes out.
    pub fn fix(self, config: &Config) -> String {
        let header = config.push_header_name();
        let secret_message = config.profile.invalid_secret_message();
        match self {
            Step::MethodNotAllowed => "serve only POST on this route; Next.js answers other methods 405 with an empty body".to_owned(),
            Step::Options => "let OPTIONS get 204 with `Allow: OPTIONS, POST`".to_owned(),
            Step::BodyTooLarge => format!("refuse bodies over {} bytes with 413", config.body_limit),
            Step::InvalidJson => "parse the body before the handler and refuse malformed JSON with 400 `Invalid JSON` (plain text)".to_owned(),
            Step::SharingDisabled => "refuse every push with 403 {\"message\":\"Credential sharing is not enabled\"} while the secret or the encryption key is unset".to_owned(),
            Step::InvalidSecret => format!("compare the `{header}` header with the sync secret before reading the body, and refuse a missing or different value with 403 {{\"message\":\"{secret_message}\"}}"),
            Step::BodyNotJson => "read the body with request.json() inside the try/catch, so malformed or empty JSON gets 500 {\"message\":\"Internal server error\"}".to_owned(),
            Step::SchemaInvalid if config.profile.rejects_bad_body_with_issues() => "validate with zod safeParse of {userId: z.number().int(), appSlug: z.string(), keys: z.string()} and answer 400 {\"error\": <issues>} with zod's issue objects unchanged".to_owned(),
            Step::SchemaInvalid => "validate with zod .parse of {userId: z.number().int(), appSlug: z.string(), keys: z.string()}; in this generation the thrown error is Next.js's plain 500".to_owned(),
            Step::UserIdOutOfRange => "let a userId outside Postgres Int range fail as a database error (500)".to_owned(),
            Step::UserNotFound => "look the user up by userId before the app, and answer 404 {\"message\":\"User not found\"}".to_owned(),
            Step::AppNotFound => "look the app up by appSlug after the user, and answer 404 {\"message\":\"App not found\"}".to_owned(),
            Step::AppMetadataNotFound => "answer 404 {\"message\":\"App not found. Ensure that you have the correct app slug\"} when the app has no metadata".to_owned(),
            Step::InvalidKeyLength | Step::DecryptFailed => "decrypt `keys` as Cal.com's symmetricDecrypt: AES-256-CBC, `<iv hex>:<ciphertext hex>`, key = the 32 characters of CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY as bytes (not base64-decoded, not GCM); a failure is a 500".to_owned(),
            Step::PlaintextNotJson => "JSON.parse the decrypted text; a plaintext that is not JSON is a 500".to_owned(),
            Step::KeyNotStorable => "store the decrypted key in a Postgres jsonb column through Prisma: a plain `null`, or U+0000 in any string, makes the write throw, which is a 500".to_owned(),
            Step::Created | Step::Updated => "decrypt `keys` as Cal.com does (AES-256-CBC, not GCM; the key's 32 characters as bytes, not base64-decoded), store any JSON value verbatim, and upsert on (userId, appId): update the first match (\"Credentials updated for userId: N\") or create (\"Credentials created for userId: N\")".to_owned(),
        }
    }
}

/// The answer and why.
#[derive(Clone, Debug)]
pub struct Decision {
    /// What Cal.com answers.
    pub answer: Answer,
    /// The step that decided it.
    pub step: Step,
    /// A human explanation (never containing secrets or decrypted keys).
    pub detail: String,
}

/// Answers a push as Cal.com's configured generation does, storing the credential on
/// success.
pub fn decide(config: &Config, store: &Store, push: Push<'_>) -> Decision {
    match config.profile.router() {
        NextRouter::App => decide_app_router(config, store, push),
        NextRouter::Pages => decide_pages_router(config, store, push),
    }
}

fn decide_app_router(config: &Config, store: &Store, push: Push<'_>) -> Decision {
    let router = NextRouter::App;
    if push.method == Method::OPTIONS {
        let answer = Answer::empty(StatusCode::NO_CONTENT).with_header("allow", "OPTIONS, POST");
        return decision(
            answer,
            Step::Options,
            "Next.js answers OPTIONS for route handlers",
        );
    }
    if push.method != Method::POST {
        return decision(
            Answer::empty(StatusCode::METHOD_NOT_ALLOWED),
            Step::MethodNotAllowed,
            format!("route.ts exports only POST; got {}", push.method),
        );
    }
    if let Some(refusal) = check_enabled_and_secret(config, push.headers, router) {
        return refusal;
    }
    let internal_error = |step, detail: String| {
        decision(
            Answer::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                router,
                INTERNAL_SERVER_ERROR,
            ),
            step,
            detail,
        )
    };
    let Some(body) = push.body else {
        return too_large(config);
    };
    let text = crate::protocol::js_value::utf8_text(body);
    let parsed = match JsValue::parse(text.strip_prefix('\u{feff}').unwrap_or(&text)) {
        Ok(parsed) => parsed,
        Err(error) => {
            return internal_error(Step::BodyNotJson, format!("request.json() threw: {error}"))
        }
    };
    if let Err(issues) = zod::check_object(&zod::PUSH_BODY, &parsed, config.zod) {
        return schema_refusal(issues, router);
    }
    store_pushed(config, store, &parsed, router, &internal_error)
}

fn decide_pages_router(config: &Config, store: &Store, push: Push<'_>) -> Decision {
    let router = NextRouter::Pages;
    let next_error = |step, detail: String| {
        decision(
            Answer::next_text(StatusCode::INTERNAL_SERVER_ERROR, &config.next_error_body),
            step,
            detail,
        )
    };
    let Some(body) = push.body else {
        return too_large(config);
    };
    let parsed = match next::parse_pages_body(push.headers, body) {
        Ok(parsed) => parsed,
        Err(error) => {
            return decision(
                Answer::next_text(StatusCode::BAD_REQUEST, next::INVALID_JSON),
                Step::InvalidJson,
                format!("Next.js body parser: {error}"),
            )
        }
    };
    if let Some(refusal) = check_enabled_and_secret(config, push.headers, router) {
        return refusal;
    }
    if let Err(issues) = zod::check_object(&zod::PUSH_BODY, &parsed, config.zod) {
        if !config.profile.rejects_bad_body_with_issues() {
            return next_error(
                Step::SchemaInvalid,
                "zod .parse() threw; this generation has no 400 for a bad body".to_owned(),
            );
        }
        return schema_refusal(issues, router);
    }
    store_pushed(config, store, &parsed, router, &next_error)
}

/// Next.js's 413 for a body over the limit.
fn too_large(config: &Config) -> Decision {
    decision(
        next::body_too_large(config.body_limit),
        Step::BodyTooLarge,
        format!("the body is over {} bytes", config.body_limit),
    )
}

/// 400 `{"error": <zod issues>}` (`safeParse` failed).
fn schema_refusal(issues: Vec<serde_json::Value>, router: NextRouter) -> Decision {
    decision(
        Answer::json(
            StatusCode::BAD_REQUEST,
            router,
            &serde_json::json!({ "error": issues }),
        ),
        Step::SchemaInvalid,
        "the body fails the zod schema {userId: int, appSlug: string, keys: string}",
    )
}

/// Steps shared by both routers after the body passed the schema: user, app, metadata,
/// decrypt, upsert. `internal_error` builds the generation's 500.
fn store_pushed(
    config: &Config,
    store: &Store,
    body: &JsValue,
    router: NextRouter,
    internal_error: &dyn Fn(Step, String) -> Decision,
) -> Decision {
    let (
        Some(JsValue::Number(user_id)),
        Some(JsValue::String(app_slug)),
        Some(JsValue::String(keys)),
    ) = (body.get("userId"), body.get("appSlug"), body.get("keys"))
    else {
        return internal_error(
            Step::SchemaInvalid,
            "schema passed but fields are missing".to_owned(),
        );
    };
    if *user_id < f64::from(i32::MIN) || *user_id > f64::from(i32::MAX) {
        return internal_error(
            Step::UserIdOutOfRange,
            format!("Prisma rejects userId {user_id}: outside the Int column's range"),
        );
    }
    let user_id = *user_id as i64;
    if !store.has_user(user_id) {
        return not_found(router, USER_NOT_FOUND, Step::UserNotFound, user_id);
    }
    let Some(app) = store.app(app_slug) else {
        return not_found(router, APP_NOT_FOUND, Step::AppNotFound, user_id);
    };
    let Some(metadata) = store.metadata(&app.dir_name) else {
        return not_found(
            router,
            APP_METADATA_NOT_FOUND,
            Step::AppMetadataNotFound,
            user_id,
        );
    };
    let key = match EncryptionKey::from_env_string(&config.encryption_key) {
        Ok(key) => key,
        Err(error) => {
            return internal_error(
                Step::InvalidKeyLength,
                format!("RangeError: Invalid key length ({error})"),
            )
        }
    };
    let plaintext = match symmetric_decrypt(keys, &key) {
        Ok(plaintext) => plaintext,
        Err(error) => {
            return internal_error(
                Step::DecryptFailed,
                format!("symmetricDecrypt threw: {}", error.node_message()),
            )
        }
    };
    let token = match JsValue::parse(&plaintext) {
        Ok(token) => Value::from(token),
        Err(error) => {
            return internal_error(
                Step::PlaintextNotJson,
                format!("JSON.parse of the decrypted keys threw: {error}"),
            )
        }
    };
    if let Err(refusal) = crate::calcom::store::storable_key(&token) {
        return internal_error(
            Step::KeyNotStorable,
            format!("the credential write threw: {refusal}"),
        );
    }
    let (step, verb, id) = match store.upsert_pushed(user_id, &metadata, token) {
        Upsert::Created(id) => (Step::Created, "created", id),
        Upsert::Updated(id) => (Step::Updated, "updated", id),
    };
    decision(
        Answer::message(
            StatusCode::OK,
            router,
            &format!("Credentials {verb} for userId: {user_id}"),
        ),
        step,
        format!(
            "credential {id} ({}) {verb} for user {user_id}",
            metadata.slug
        ),
    )
}

fn check_enabled_and_secret(
    config: &Config,
    headers: &HeaderMap,
    router: NextRouter,
) -> Option<Decision> {
    if !config.sharing_enabled() {
        return Some(decision(
            Answer::message(StatusCode::FORBIDDEN, router, SHARING_DISABLED),
            Step::SharingDisabled,
            format!(
                "sharing is enabled only when {} and {} are both set",
                config.profile.secret_env(),
                crate::config::ENCRYPTION_KEY_ENV
            ),
        ));
    }
    let header_name = config.push_header_name();
    let sent = match router {
        NextRouter::App => next::header_value(headers, header_name),
        NextRouter::Pages => next::pages_header_value(headers, header_name),
    };
    if crate::protocol::redact::secret_matches(sent.as_deref(), &config.sync_secret) {
        return None;
    }
    let why = match sent {
        None if router == NextRouter::Pages && header_name != header_name.to_lowercase() => {
            format!("header name `{header_name}` has capitals; the Pages Router only sees lowercase names")
        }
        None => format!("header `{header_name}` is missing"),
        Some(_) => format!("header `{header_name}` does not hold the sync secret"),
    };
    Some(decision(
        Answer::message(
            StatusCode::FORBIDDEN,
            router,
            config.profile.invalid_secret_message(),
        ),
        Step::InvalidSecret,
        why,
    ))
}

fn not_found(router: NextRouter, message: &str, step: Step, user_id: i64) -> Decision {
    decision(
        Answer::message(StatusCode::NOT_FOUND, router, message),
        step,
        format!("{message} (userId {user_id})"),
    )
}

fn decision(answer: Answer, step: Step, detail: impl Into<String>) -> Decision {
    Decision {
        answer,
        step,
        detail: detail.into(),
    }
}
