//! `calsim check app-credential`: push every good and bad case to a Cal.com-compatible
//! `/api/webhook/app-credential` and compare status and body bytes with what the chosen
//! Cal.com generation answers.
//!
//! The expected answer of each case is computed by [`crate::calcom::app_credential::decide`] on a
//! model of the target (the user, the app) configured like it. Only "created" versus
//! "updated" depends on the target's data, so the first valid push may be either.
//! The run writes to the target: it pushes to the given user and app, and its last case
//! stores a valid token again.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use bytes::Bytes;

use crate::calcom::app_credential::{self, Decision, Push, Step};
use crate::calcom::store::{Role, Store, User};
use crate::check::{excerpt, Check, Report};
use crate::config::Config;
use crate::net::http_client;
use crate::protocol::catalog::{self, App, AppMetadata};
use crate::protocol::crypto::{symmetric_encrypt_with_iv, EncryptionKey};
use crate::protocol::error::Error;

/// A key that is not the target's, for the "wrong key" case (32 characters).
const OTHER_KEY: &str = "calsim-other-key-0123456789abcde";

/// The token the valid cases push.
pub const VALID_TOKEN: &str =
    r#"{"access_token":"calsim-check-token","expiry_date":1700000000000}"#;

/// What to check and how the target is configured.
#[derive(Clone, Debug)]
pub struct AppCredentialTarget {
    /// The target's base URL (the route is appended).
    pub base_url: String,
    /// The generation, secret, header name, key and zod major the target should behave as.
    pub config: Config,
    /// A user that exists on the target.
    pub user_id: i64,
    /// An app that exists on the target.
    pub app_slug: String,
    /// A user id that does not exist on the target.
    pub missing_user_id: i64,
    /// How long to wait for each answer.
    pub timeout: Duration,
}

#[derive(Clone, Copy)]
enum Secret {
    Right,
    Missing,
    Wrong,
}

struct Case {
    id: &'static str,
    rule: &'static str,
    method: Method,
    secret: Secret,
    body: String,
    /// The first valid push may find an existing credential.
    created_or_updated: bool,
}

/// Runs every case; fails with [`Error::Peer`] only if the target never answers.
pub async fn run(target: &AppCredentialTarget) -> Result<Report, Error> {
    let started = Instant::now();
    let key = EncryptionKey::from_env_string(&target.config.encryption_key)?;
    let model = model_store(target);
    let client = http_client::build(target.timeout);
    let url = format!(
        "{}{}",
        target.base_url.trim_end_matches('/'),
        app_credential::PATH
    );
    let mut checks = Vec::new();
    for (index, case) in cases(target, &key).into_iter().enumerate() {
        let headers = headers(&target.config, case.secret);
        let push = Push {
            method: &case.method,
            headers: &headers,
            body: Some(case.body.as_bytes()),
        };
        let expected = app_credential::decide(&target.config, &model, push);
        let sent = client
            .request(case.method.clone(), &url)
            .headers(headers.clone())
            .body(case.body.clone())
            .send()
            .await;
        let answer = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
                let body = response.bytes().await.unwrap_or_default();
                Ok((status, content_type, body))
            }
            Err(error) => Err(http_client::describe_error(&error, target.timeout)),
        };
        match answer {
            Err(problem) if index == 0 && problem.starts_with(http_client::CONNECTION_FAILED) => {
                return Err(Error::Peer { url, problem })
            }
            Err(problem) => checks.push(Check::fail(
                format!("app-credential/{}", case.id),
                case.rule,
                format!("no answer: {problem}"),
                describe(&expected),
                "answer every request within the timeout",
            )),
            Ok((status, content_type, body)) => {
                checks.push(judge(&case, &expected, target, status, content_type, &body));
            }
        }
    }
    Ok(Report {
        suite: "app-credential".to_owned(),
        target: url,
        checks,
        elapsed: started.elapsed(),
    }
    .scrubbed(&[&target.config.sync_secret, &target.config.encryption_key]))
}

fn judge(
    case: &Case,
    expected: &Decision,
    target: &AppCredentialTarget,
    status: u16,
    content_type: Option<String>,
    body: &Bytes,
) -> Check {
    let id = format!("app-credential/{}", case.id);
    let same = |decision: &Decision| {
        decision.answer.status.as_u16() == status && decision.answer.body == *body
    };
    let alternative = case
        .created_or_updated
        .then(|| updated_instead(expected, target.user_id));
    if !same(expected) && !alternative.as_ref().is_some_and(same) {
        let body_text = String::from_utf8_lossy(body);
        return Check::fail(
            id,
            case.rule,
            format!("{status} {}", excerpt(&body_text)),
            describe(expected),
            fix(expected.step, &target.config),
        );
    }
    let expected_type = expected.answer.content_type;
    if content_type.as_deref() != expected_type {
        return Check::warn(
            id,
            case.rule,
            format!(
                "content-type is {}; Cal.com sends {}",
                content_type.as_deref().unwrap_or("none"),
                expected_type.unwrap_or("none")
            ),
        );
    }
    Check::pass(id, case.rule)
}

/// The "updated" twin of a "created" answer.
fn updated_instead(expected: &Decision, user_id: i64) -> Decision {
    let mut twin = expected.clone();
    if expected.step == Step::Created {
        twin.answer = crate::protocol::answer::Answer::message(
            expected.answer.status,
            expected_router(expected),
            &format!("Credentials updated for userId: {user_id}"),
        );
        twin.step = Step::Updated;
    }
    twin
}

fn expected_router(expected: &Decision) -> crate::protocol::profile::NextRouter {
    if expected.answer.content_type == Some(crate::protocol::answer::APP_JSON) {
        crate::protocol::profile::NextRouter::App
    } else {
        crate::protocol::profile::NextRouter::Pages
    }
}

fn describe(decision: &Decision) -> String {
    let body = decision.answer.body_text();
    if body.is_empty() {
        format!("{} with an empty body", decision.answer.status.as_u16())
    } else {
        format!("{} {}", decision.answer.status.as_u16(), excerpt(&body))
    }
}

/// What an implementation must do so that the step's answer comes out.
fn fix(step: Step, config: &Config) -> String {
    let header = config.push_header_name();
    let secret_message = config.profile.invalid_secret_message();
    match step {
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

/// A model of the target: the one user and the one app the cases use.
fn model_store(target: &AppCredentialTarget) -> Store {
    let store = Store::empty();
    store.put_user(User {
        id: target.user_id,
        email: "check@example.com".to_owned(),
        name: "calsim check".to_owned(),
        role: Role::User,
        locked: false,
    });
    let (app, metadata) = catalog::common_apps()
        .into_iter()
        .find(|(app, _)| app.slug == target.app_slug)
        .unwrap_or_else(|| {
            let app = App {
                slug: target.app_slug.clone(),
                dir_name: target.app_slug.clone(),
                categories: vec!["other".to_owned()],
                enabled: true,
                keys: None,
            };
            let metadata = AppMetadata {
                name: target.app_slug.clone(),
                slug: target.app_slug.clone(),
                dir_name: target.app_slug.clone(),
                kind: format!("{}_other", target.app_slug),
                variant: "other".to_owned(),
                categories: vec!["other".to_owned()],
            };
            (app, metadata)
        });
    store.put_app(app, Some(metadata));
    store
}

fn headers(config: &Config, secret: Secret) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let value = match secret {
        Secret::Missing => return headers,
        Secret::Wrong => "calsim-wrong-secret",
        Secret::Right => config.sync_secret.as_str(),
    };
    let name = config.push_header_name();
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
    headers
}

fn cases(target: &AppCredentialTarget, key: &EncryptionKey) -> Vec<Case> {
    let user = target.user_id.to_string();
    let app = target.app_slug.as_str();
    let keys = symmetric_encrypt_with_iv(VALID_TOKEN, key, [0x5a; 16]);
    let push = |user: &str, app: &str, keys: &str| {
        format!(
            r#"{{"userId":{user},"appSlug":{},"keys":{}}}"#,
            quoted(app),
            quoted(keys)
        )
    };
    let other_key =
        EncryptionKey::from_env_string(OTHER_KEY).expect("OTHER_KEY has exactly 32 characters");
    let case = |id, rule, secret, body: String| Case {
        id,
        rule,
        method: Method::POST,
        secret,
        body,
        created_or_updated: false,
    };
    let mut cases = vec![
        Case {
            created_or_updated: true,
            ..case(
                "accepts-a-valid-push",
                "a valid push is stored and acknowledged",
                Secret::Right,
                push(&user, app, &keys),
            )
        },
        case(
            "upserts",
            "a second push for the same user and app updates the credential",
            Secret::Right,
            push(&user, app, &keys),
        ),
        case(
            "rejects-missing-secret",
            "a push without the secret header is refused",
            Secret::Missing,
            push(&user, app, &keys),
        ),
        case(
            "rejects-wrong-secret",
            "a push with a wrong secret is refused",
            Secret::Wrong,
            push(&user, app, &keys),
        ),
        case(
            "malformed-json",
            "a body that is not JSON gets Cal.com's answer",
            Secret::Right,
            r#"{"userId":"#.to_owned(),
        ),
        case(
            "empty-body",
            "an empty body gets Cal.com's answer",
            Secret::Right,
            String::new(),
        ),
        case(
            "body-not-an-object",
            "a JSON body that is not an object fails the schema",
            Secret::Right,
            r#""calsim""#.to_owned(),
        ),
        case(
            "user-id-required",
            "userId is required",
            Secret::Right,
            format!(r#"{{"appSlug":{},"keys":{}}}"#, quoted(app), quoted(&keys)),
        ),
        case(
            "app-slug-required",
            "appSlug is required",
            Secret::Right,
            format!(r#"{{"userId":{user},"keys":{}}}"#, quoted(&keys)),
        ),
        case(
            "keys-required",
            "keys is required",
            Secret::Right,
            format!(r#"{{"userId":{user},"appSlug":{}}}"#, quoted(app)),
        ),
        case(
            "user-id-must-be-a-number",
            "userId must be a JSON number, not a string",
            Secret::Right,
            push(&format!("\"{user}\""), app, &keys),
        ),
        case(
            "user-id-must-be-an-integer",
            "userId must be an integer",
            Secret::Right,
            push("5.5", app, &keys),
        ),
        case(
            "integral-float-user-id-is-accepted",
            "userId written as N.0 is the integer N",
            Secret::Right,
            push(&format!("{user}.0"), app, &keys),
        ),
        case(
            "unknown-fields-ignored",
            "unknown body fields are ignored",
            Secret::Right,
            format!(
                r#"{{"calsim":true,"userId":{user},"appSlug":{},"keys":{},"extra":[1]}}"#,
                quoted(app),
                quoted(&keys)
            ),
        ),
        case(
            "unknown-user",
            "a push for a user that does not exist is refused",
            Secret::Right,
            push(&target.missing_user_id.to_string(), app, &keys),
        ),
        case(
            "user-checked-before-app",
            "the user is looked up before the app",
            Secret::Right,
            push(
                &target.missing_user_id.to_string(),
                "calsim-no-such-app",
                &keys,
            ),
        ),
        case(
            "unknown-app",
            "a push for an app that does not exist is refused",
            Secret::Right,
            push(&user, "calsim-no-such-app", &keys),
        ),
        case(
            "keys-not-hex",
            "keys that are not Cal.com's hex format fail",
            Secret::Right,
            push(&user, app, "calsim-not-hex"),
        ),
        case(
            "keys-with-a-short-iv",
            "keys whose IV is not 16 bytes fail",
            Secret::Right,
            push(
                &user,
                app,
                "0f0e0d0c0b0a0908:79a797a5305d546666014e109443f75b",
            ),
        ),
        case(
            "keys-from-another-key",
            "keys encrypted with another key fail",
            Secret::Right,
            push(
                &user,
                app,
                &symmetric_encrypt_with_iv(VALID_TOKEN, &other_key, [0x11; 16]),
            ),
        ),
        case(
            "plaintext-not-json",
            "a decrypted plaintext that is not JSON fails",
            Secret::Right,
            push(
                &user,
                app,
                &symmetric_encrypt_with_iv("calsim: not json", key, [0x22; 16]),
            ),
        ),
        case(
            "any-json-plaintext-is-stored",
            "any JSON plaintext is stored verbatim, even a string",
            Secret::Right,
            push(
                &user,
                app,
                &symmetric_encrypt_with_iv(r#""calsim string token""#, key, [0x33; 16]),
            ),
        ),
    ];
    cases.push(Case {
        method: Method::GET,
        ..case(
            "post-only",
            "only POST pushes (the App Router answers other methods 405)",
            Secret::Right,
            String::new(),
        )
    });
    cases.push(case(
        "leaves-a-valid-credential",
        "a final valid push stores the token again",
        Secret::Right,
        push(&user, app, &keys),
    ));
    cases
}

fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}
