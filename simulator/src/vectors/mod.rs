//! Test vectors: calsim's ground truth as versioned, language-neutral JSON files
//! (`calsim vectors export DIR`), so a team in Go, Python or TypeScript can test its own
//! code against the same facts calsim is tested against. The files are checked in under
//! `fixtures/vectors/`; CI regenerates them and fails on any drift, and pins each file
//! against Node and the npm packages Cal.com runs (`tests/vectors.rs`).
//!
//! May import: [`crate::protocol`], [`crate::calcom`] (its rules: `decide`, `judge`) and
//! [`crate::config`]; never the CLI.

use std::path::Path;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{json, Map, Value};

use crate::calcom::app_credential::{decide, Push};
use crate::calcom::pull::judge;
use crate::calcom::store::{Role, Store, User};
use crate::config::Config;
use crate::protocol::catalog;
use crate::protocol::crypto::{symmetric_decrypt, symmetric_encrypt_with_iv, EncryptionKey};
use crate::protocol::error::Error;
use crate::protocol::js_value::JsValue;
use crate::protocol::payload;
use crate::protocol::profile::Profile;
use crate::protocol::signing;
use crate::protocol::template;
use crate::protocol::trigger::TriggerEvent;

/// The format version written in every file; it changes when a file's shape changes.
pub const VERSION: u32 = 1;

const KEY: &str = "calsim-dev-key-0123456789abcdef!";
const OTHER_KEY: &str = "calsim-other-key-0123456789abcde";
const SECRET: &str = "calsim-dev-sync-secret";
const CREATED_AT: &str = "2024-01-01T00:00:00.000Z";

/// Every vector file: `(file name, pretty JSON text)`, in a fixed order.
pub fn files() -> Vec<(&'static str, String)> {
    let pretty = |value: Value| format!("{value:#}\n");
    vec![
        ("README.md", readme()),
        ("encryption.json", pretty(encryption())),
        ("signatures.json", pretty(signatures())),
        ("webhook-bodies.json", pretty(webhook_bodies())),
        ("templates.json", pretty(templates())),
        ("push-answers.json", pretty(push_answers())),
        ("pull-judgements.json", pretty(pull_judgements())),
    ]
}

/// Writes every file into `dir` (created if missing).
pub fn export(dir: &Path) -> Result<Vec<&'static str>, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        what: format!("cannot create {}", dir.display()),
        source,
    })?;
    let mut written = Vec::new();
    for (name, text) in files() {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| Error::Io {
            what: format!("cannot write {}", path.display()),
            source,
        })?;
        written.push(name);
    }
    Ok(written)
}

fn header(description: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("version".to_owned(), json!(VERSION));
    map.insert("description".to_owned(), json!(description));
    map
}

fn key(text: &str) -> EncryptionKey {
    EncryptionKey::from_env_string(text).expect("the vector keys have 32 characters")
}

fn encryption() -> Value {
    let plaintexts = [
        r#"{"access_token":"ya29.a0-calsim","refresh_token":"1//calsim","expiry_date":1700000000000}"#,
        "",
        "exactly sixteen!",
        "Zoë ✓ 日本 🎉",
        r#""a JSON string""#,
    ];
    let ivs = [
        "00000000000000000000000000000000",
        "0f0e0d0c0b0a09080706050403020100",
        "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
    ];
    let mut cases = Vec::new();
    for (index, plaintext) in plaintexts.iter().enumerate() {
        for key_text in [KEY, OTHER_KEY] {
            let iv_hex = ivs[index % ivs.len()];
            let iv: [u8; 16] = hex::decode(iv_hex)
                .expect("hex")
                .try_into()
                .expect("16 bytes");
            cases.push(json!({
                "key": key_text,
                "iv": iv_hex,
                "plaintext": plaintext,
                "keys": symmetric_encrypt_with_iv(plaintext, &key(key_text), iv),
            }));
        }
    }
    let good = symmetric_encrypt_with_iv(plaintexts[0], &key(KEY), [0; 16]);
    let broken = [
        ("another key", OTHER_KEY, good.clone()),
        (
            "IV of 8 bytes",
            KEY,
            format!("0f0e0d0c0b0a0908{}", &good[32..]),
        ),
        (
            "ciphertext cut by one block",
            KEY,
            good[..good.len() - 32].to_owned(),
        ),
        (
            "ciphertext not a whole block",
            KEY,
            good[..good.len() - 2].to_owned(),
        ),
        (
            "odd number of ciphertext digits",
            KEY,
            good[..good.len() - 1].to_owned(),
        ),
        (
            "empty ciphertext",
            KEY,
            "00000000000000000000000000000000:".to_owned(),
        ),
        ("not Cal.com's format", KEY, "calsim-not-hex".to_owned()),
    ];
    let failures: Vec<Value> = broken
        .iter()
        .map(|(name, key_text, keys)| {
            let error = symmetric_decrypt(keys, &key(key_text))
                .err()
                .map(|error| error.node_message());
            json!({ "name": name, "key": key_text, "keys": keys, "nodeError": error })
        })
        .collect();
    let mut file = header("Cal.com's symmetricEncrypt/symmetricDecrypt (packages/lib/crypto.ts): AES-256-CBC, the key is the 32 characters of CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY as latin1 bytes, output `<iv hex>:<ciphertext hex>`. `cases`: encrypting `plaintext` with `key` and `iv` gives `keys`, and decrypting `keys` gives `plaintext`. `failures`: decrypting `keys` with `key` throws; `nodeError` is Node's message.");
    file.insert("cases".to_owned(), Value::Array(cases));
    file.insert("failures".to_owned(), Value::Array(failures));
    Value::Object(file)
}

fn signatures() -> Value {
    let bodies = [
        r#"{"triggerEvent":"PING","createdAt":"2024-01-01T00:00:00.000Z","payload":{}}"#,
        r#"{"title":"R\u00e9union Zoë ✓","url":"https:\/\/cal.example\/x","price":1.50,"length":1e2}"#,
        "triggerEvent=BOOKING_CREATED&title=Strategy Session&organizer=[object Object]",
        "",
    ];
    let mut cases = Vec::new();
    for body in bodies {
        for secret in [Some("s3cret"), Some("üñí©ødé secret"), None] {
            cases.push(json!({
                "secret": secret,
                "body": body,
                "signature": signing::signature(secret, body.as_bytes()),
            }));
        }
    }
    let mut file = header("X-Cal-Signature-256: the lower-case hex HMAC-SHA256 of the exact body bytes (UTF-8) keyed with the subscription secret; with no secret (`null`) Cal.com sends the literal `no-secret-provided`.");
    file.insert("cases".to_owned(), Value::Array(cases));
    Value::Object(file)
}

fn webhook_bodies() -> Value {
    let mut bodies = Map::new();
    for trigger in TriggerEvent::ALL.iter().copied() {
        let Some(example) = payload::built_in(trigger) else {
            continue;
        };
        let Ok(Value::Object(data)) = JsValue::parse(example).map(Value::from) else {
            continue;
        };
        bodies.insert(
            trigger.as_str().to_owned(),
            json!({
                "data": Value::Object(data.clone()),
                "body": payload::build_body(trigger, CREATED_AT, data),
            }),
        );
    }
    let mut file = header("The default webhook body of each trigger for the given event `data` and createdAt 2024-01-01T00:00:00.000Z: Cal.com's additions (description, utcOffset...), wrapped as compact {\"triggerEvent\",\"createdAt\",\"payload\"} with JSON.stringify's key order and number text. The bytes of `body` are what is signed and sent.");
    file.insert("createdAt".to_owned(), json!(CREATED_AT));
    file.insert("triggers".to_owned(), Value::Object(bodies));
    Value::Object(file)
}

/// Handlebars.js 4.7 cases a payloadTemplate renderer gets wrong most often.
const TEMPLATES: [&str; 21] = [
    r#"{"title":"{{title}}","uid":"{{uid}}"}"#,
    r#"{"who":"{{organizer.name}}","first":"{{attendees.0.name}}"}"#,
    r#"{"raw":"{{{title}}}","escaped":"{{title}}"}"#,
    r#"{"missing":"{{nothing.here}}","n":{{price}}}"#,
    r#"{"list":"{{attendees}}","obj":"{{organizer}}"}"#,
    r#"{"flag":{{#if requiresConfirmation}}true{{else}}false{{/if}}}"#,
    r#"{"names":[{{#each attendees}}"{{name}}"{{#unless @last}},{{/unless}}{{/each}}]}"#,
    r#"{"i":"{{#each attendees}}{{@index}}:{{@key}}{{/each}}"}"#,
    r#"{"with":"{{#with organizer}}{{name}} <{{email}}>{{/with}}"}"#,
    r#"{"up":"{{#each attendees}}{{../title}}{{/each}}"}"#,
    r#"{"lookup":"{{lookup attendees 0}}"}"#,
    r#"{"sub":"{{#if (lookup organizer "name")}}yes{{/if}}"}"#,
    r#"{"literal":"\{{title}}"}"#,
    r#"{"tilde":"  {{~title~}}  "}"#,
    r#"{"comment":"{{! gone }}{{!-- also gone --}}x"}"#,
    r#"{"amp":"{{& title}}","quote":"{{description}}"}"#,
    "triggerEvent={{triggerEvent}}&title={{title}}&organizer={{organizer}}",
    "{{title}}",
    r#"{"broken":"{{#if title}}"}"#,
    r#"{"zero":"{{#if zero}}set{{else}}unset{{/if}}","empty":"{{#if emptyList}}set{{else}}unset{{/if}}"}"#,
    r#"{"unicode":"{{title}} ✓ \u00e9"}"#,
];

fn templates() -> Value {
    let mut context =
        match JsValue::parse(payload::built_in(TriggerEvent::BookingCreated).unwrap_or("{}"))
            .map(Value::from)
        {
            Ok(Value::Object(data)) => data,
            _ => Map::new(),
        };
    payload::prepare(&mut context);
    context.insert("triggerEvent".to_owned(), json!("BOOKING_CREATED"));
    context.insert("createdAt".to_owned(), json!(CREATED_AT));
    context.insert("title".to_owned(), json!("Q&A <\"Zoë\"> 'x' `y` = z"));
    context.insert("zero".to_owned(), json!(0));
    context.insert("emptyList".to_owned(), json!([]));
    let context = Value::Object(context);
    let cases: Vec<Value> = TEMPLATES
        .iter()
        .map(|template| match template::render(template, &context) {
            Ok(rendered) => json!({
                "template": template,
                "contentType": rendered.content_type,
                "body": rendered.body,
            }),
            Err(error) => json!({ "template": template, "error": error.to_string() }),
        })
        .collect();
    let mut file = header("payloadTemplate rendering (sendPayload.ts, Handlebars.js 4.7): each `template` is rendered over `context` (a BOOKING_CREATED event's data with Cal.com's additions, triggerEvent and createdAt); `contentType` is application/json when the raw template parses as JSON, else application/x-www-form-urlencoded (sent unencoded); JSON renders are re-serialised with JSON.stringify. A template Handlebars.js cannot compile has `error` (Cal.com sends nothing). An empty template is not rendered: Cal.com sends the default body.");
    file.insert("context".to_owned(), context);
    file.insert("cases".to_owned(), Value::Array(cases));
    Value::Object(file)
}

fn model() -> Store {
    let store = Store::empty();
    store.put_user(User {
        id: 1,
        email: "user1@example.com".to_owned(),
        name: "Calsim User 1".to_owned(),
        role: Role::User,
        locked: false,
    });
    for (app, metadata) in catalog::common_apps() {
        if app.slug == "google-calendar" {
            store.put_app(app, Some(metadata));
        }
    }
    store
}

fn push_answers() -> Value {
    let keys = symmetric_encrypt_with_iv(
        r#"{"access_token":"ya29.vector","expiry_date":1700000000000}"#,
        &key(KEY),
        [0x5a; 16],
    );
    let push =
        |user: &str, app: &str| format!(r#"{{"userId":{user},"appSlug":"{app}","keys":"{keys}"}}"#);
    let bodies: Vec<(&str, String)> = vec![
        ("a valid push", push("1", "google-calendar")),
        ("a second valid push", push("1", "google-calendar")),
        ("malformed JSON", r#"{"userId":"#.to_owned()),
        ("an empty body", String::new()),
        ("not an object", r#""calsim""#.to_owned()),
        (
            "userId missing",
            format!(r#"{{"appSlug":"google-calendar","keys":"{keys}"}}"#),
        ),
        ("userId a string", push("\"1\"", "google-calendar")),
        ("userId 5.5", push("5.5", "google-calendar")),
        ("userId 1.0", push("1.0", "google-calendar")),
        ("unknown user", push("2147483000", "google-calendar")),
        ("unknown app", push("1", "calsim-no-such-app")),
        (
            "keys not hex",
            r#"{"userId":1,"appSlug":"google-calendar","keys":"calsim-not-hex"}"#.to_owned(),
        ),
    ];
    let mut profiles = Map::new();
    for profile in Profile::ALL {
        let mut config = Config::default();
        config.set_profile(profile);
        let store = model();
        let mut cases = Vec::new();
        for secret in ["right", "wrong"] {
            for (name, body) in &bodies {
                if secret == "wrong" && *name != "a valid push" {
                    continue;
                }
                let mut headers = HeaderMap::new();
                headers.insert("content-type", HeaderValue::from_static("application/json"));
                let sent = if secret == "right" {
                    SECRET
                } else {
                    "calsim-wrong-secret"
                };
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(config.push_header_name().as_bytes()),
                    HeaderValue::from_str(sent),
                ) {
                    headers.insert(name, value);
                }
                let decision = decide(
                    &config,
                    &store,
                    Push {
                        method: &Method::POST,
                        headers: &headers,
                        body: Some(body.as_bytes()),
                    },
                );
                cases.push(json!({
                    "name": if secret == "wrong" { "a wrong secret" } else { name },
                    "headers": { "content-type": "application/json", config.push_header_name(): sent },
                    "body": body,
                    "status": decision.answer.status.as_u16(),
                    "contentType": decision.answer.content_type,
                    "answer": decision.answer.body_text(),
                }));
            }
        }
        profiles.insert(profile.name().to_owned(), Value::Array(cases));
    }
    let mut file = header("POST /api/webhook/app-credential as each Cal.com generation answers it, cases in order against one database holding user 1 and the app google-calendar (so the second valid push updates). The secret is `calsim-dev-sync-secret` and the encryption key `calsim-dev-key-0123456789abcdef!`. `answer` is the exact body text; an empty string means an empty body.");
    file.insert("secret".to_owned(), json!(SECRET));
    file.insert("encryptionKey".to_owned(), json!(KEY));
    file.insert("profiles".to_owned(), Value::Object(profiles));
    Value::Object(file)
}

fn pull_judgements() -> Value {
    let replies: Vec<(&str, u16, &str)> = vec![
        (
            "google-calendar",
            200,
            r#"{"access_token":"t1","expires_in":3600}"#,
        ),
        (
            "google-calendar",
            200,
            r#"{"access_token":"t1","expiry_date":1700003600000}"#,
        ),
        ("google-calendar", 200, r#"{"access_token":"t1"}"#),
        (
            "google-calendar",
            200,
            r#"{"access_token":"t1","expires_in":"3600"}"#,
        ),
        ("google-calendar", 200, r#"{"token":"t1"}"#),
        ("google-calendar", 200, "not json"),
        ("google-calendar", 200, ""),
        ("google-calendar", 401, r#"{"error":"invalid_grant"}"#),
        (
            "google-calendar",
            500,
            r#"{"access_token":"t1","expires_in":60}"#,
        ),
        ("google-calendar", 200, r#"{"access_token":null}"#),
        ("hubspot", 200, r#"{"access_token":"t1","expires_in":1800}"#),
        ("hubspot", 200, r#"{"access_token":"t1"}"#),
        (
            "zoom",
            200,
            r#"{"access_token":"t1","expires_in":3599,"refresh_token":"r1"}"#,
        ),
    ];
    let config = Config::default();
    let current = json!({"access_token": "old", "refresh_token": "keep-me", "expiry_date": 1});
    let now = 1_700_000_000_000_i64;
    let cases: Vec<Value> = replies
        .iter()
        .map(|(app, status, body)| {
            let judgement = judge(&config, app, *status, body.as_bytes(), &current, now);
            json!({
                "app": app,
                "status": status,
                "body": body,
                "accepted": judgement.accepted,
                "error": judgement.error,
                "storedKey": judgement.new_key,
                "marksInvalid": judgement.marks_invalid,
            })
        })
        .collect();
    let mut file = header("How the current Cal.com reads a partner's reply to a pull (credential-sync.md §5): `accepted` when it takes a token, `error` the message it throws, `storedKey` the credential key afterwards (the stored key merged with the token, expiry computed at `nowMs`), `marksInvalid` when it marks the credential invalid. Google Calendar and Zoom take the OAuthManager path; HubSpot the legacy path.");
    file.insert("nowMs".to_owned(), json!(now));
    file.insert("storedKeyBefore".to_owned(), current);
    file.insert("cases".to_owned(), Value::Array(cases));
    Value::Object(file)
}

fn readme() -> String {
    format!(
        "# calsim test vectors (format version {VERSION})\n\n\
Cal.com's wire facts as JSON, for testing an implementation in any language. Generated by\n\
`calsim vectors export DIR`; the copy in calsim's repository (`fixtures/vectors/`) is\n\
checked in CI against calsim's output and against Node and the npm packages Cal.com runs.\n\
Every file has `version` and `description`; a change of shape raises `version`.\n\n\
| file | what it pins |\n|---|---|\n\
| `encryption.json` | `symmetricEncrypt`/`symmetricDecrypt` (AES-256-CBC, `<iv hex>:<ciphertext hex>`): encryptions with fixed IVs, and texts that fail to decrypt with Node's message |\n\
| `signatures.json` | `X-Cal-Signature-256` for bodies and secrets, including `no-secret-provided` |\n\
| `webhook-bodies.json` | every trigger's default webhook body for given event data: key order, number text, Cal.com's additions |\n\
| `templates.json` | `payloadTemplate` renders (Handlebars.js 4.7): escaping, paths, blocks, `@data`, whitespace control, form bodies, compile errors |\n\
| `push-answers.json` | status, content type and exact body of `/api/webhook/app-credential` for good and bad pushes, per Cal.com generation |\n\
| `pull-judgements.json` | whether Cal.com takes a partner's reply to a pull, the error it throws and the key it stores |\n\n\
Use them as table tests: for each case feed the inputs to your code and compare with the\n\
outputs, byte for byte where the value is text.\n"
    )
}
