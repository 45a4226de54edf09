//! `POST /api/webhook/app-credential` on a real socket: every status and message of
//! `credential-sync.md` §3, per generation.

mod common;

use calsim::catalog::App;
use calsim::{Config, Profile};
use common::{config, encrypt, send, start, Reply};
use serde_json::json;

const PATH: &str = "/api/webhook/app-credential";
const TOKEN: &str = r#"{"access_token":"abc","expiry_date":1700000000000}"#;

/// Which secret header a case sends.
#[derive(Clone, Copy)]
enum Secret {
    Right,
    Missing,
    Wrong,
    RightWithUppercaseName,
}

struct Case {
    name: &'static str,
    method: &'static str,
    secret: Secret,
    content_type: Option<&'static str>,
    body: fn(&Config) -> String,
}

const JSON: Option<&str> = Some("application/json");

fn push_body(config: &Config, user_id: &str, app_slug: &str, plaintext: &str) -> String {
    let keys = encrypt(config, plaintext);
    format!(r#"{{"userId":{user_id},"appSlug":"{app_slug}","keys":"{keys}"}}"#)
}

/// Every case of the spec, in an order where the first valid push creates.
fn cases() -> Vec<Case> {
    let case = |name, secret, content_type, body| Case {
        name,
        method: "POST",
        secret,
        content_type,
        body,
    };
    vec![
        case("valid push creates", Secret::Right, JSON, |c| {
            push_body(c, "1", "google-calendar", TOKEN)
        }),
        case("valid push again updates", Secret::Right, JSON, |c| {
            push_body(c, "1", "google-calendar", TOKEN)
        }),
        case("missing secret header", Secret::Missing, JSON, |c| {
            push_body(c, "1", "google-calendar", TOKEN)
        }),
        case("wrong secret", Secret::Wrong, JSON, |c| {
            push_body(c, "1", "google-calendar", TOKEN)
        }),
        case(
            "header name upper-cased on the wire",
            Secret::RightWithUppercaseName,
            JSON,
            |c| push_body(c, "2", "zoom", TOKEN),
        ),
        case("malformed JSON", Secret::Right, JSON, |_| {
            r#"{"userId":1,"#.to_owned()
        }),
        case("empty body", Secret::Right, JSON, |_| String::new()),
        case("body is a JSON string", Secret::Right, JSON, |_| {
            r#""hello""#.to_owned()
        }),
        case("body is an array", Secret::Right, JSON, |_| "[]".to_owned()),
        case("every field missing", Secret::Right, JSON, |_| {
            "{}".to_owned()
        }),
        case("userId as a string", Secret::Right, JSON, |c| {
            push_body(c, r#""1""#, "google-calendar", TOKEN)
        }),
        case("userId 5.5", Secret::Right, JSON, |c| {
            push_body(c, "5.5", "google-calendar", TOKEN)
        }),
        case("userId 5.0 is user 5", Secret::Right, JSON, |c| {
            push_body(c, "5.0", "google-calendar", TOKEN)
        }),
        case("userId beyond Int range", Secret::Right, JSON, |c| {
            push_body(c, "3000000000", "google-calendar", TOKEN)
        }),
        case("unknown user", Secret::Right, JSON, |c| {
            push_body(c, "999", "google-calendar", TOKEN)
        }),
        case("unknown user and unknown app", Secret::Right, JSON, |c| {
            push_body(c, "999", "no-such-app", TOKEN)
        }),
        case("unknown app", Secret::Right, JSON, |c| {
            push_body(c, "1", "no-such-app", TOKEN)
        }),
        case("empty app slug", Secret::Right, JSON, |c| {
            push_body(c, "1", "", TOKEN)
        }),
        case("app row without build metadata", Secret::Right, JSON, |c| {
            push_body(c, "1", "orphan", TOKEN)
        }),
        case("keys not hex", Secret::Right, JSON, |_| {
            r#"{"userId":1,"appSlug":"zoom","keys":"not-hex"}"#.to_owned()
        }),
        case("keys with an 8-byte IV", Secret::Right, JSON, |_| {
            r#"{"userId":1,"appSlug":"zoom","keys":"0f0e0d0c0b0a0908:79a797a5305d546666014e109443f75b"}"#.to_owned()
        }),
        case(
            "keys encrypted with another key",
            Secret::Right,
            JSON,
            |_| {
                let other = calsim::crypto::EncryptionKey::from_env_string(
                    "calsim-test-key-0123456789abcdef",
                )
                .unwrap();
                let keys = calsim::crypto::symmetric_encrypt_with_iv(TOKEN, &other, [7; 16]);
                format!(r#"{{"userId":1,"appSlug":"zoom","keys":"{keys}"}}"#)
            },
        ),
        case("plaintext not JSON", Secret::Right, JSON, |c| {
            push_body(c, "1", "zoom", "not json")
        }),
        case(
            "plaintext a JSON string is stored verbatim",
            Secret::Right,
            JSON,
            |c| push_body(c, "3", "zoom", r#""just a string""#),
        ),
        case("unknown fields are ignored", Secret::Right, JSON, |c| {
            let keys = encrypt(c, TOKEN);
            format!(r#"{{"extra":true,"userId":4,"appSlug":"zoom","keys":"{keys}","more":[1]}}"#)
        }),
        case(
            "urlencoded body",
            Secret::Right,
            Some("application/x-www-form-urlencoded"),
            |_| "userId=1&appSlug=zoom&keys=00".to_owned(),
        ),
        case(
            "JSON sent as text/plain",
            Secret::Right,
            Some("text/plain"),
            |c| push_body(c, "1", "make", TOKEN),
        ),
        case("body over 1 MiB", Secret::Right, JSON, |_| {
            format!(r#"{{"pad":"{}"}}"#, "x".repeat(1024 * 1024))
        }),
        Case {
            name: "GET instead of POST",
            method: "GET",
            secret: Secret::Right,
            content_type: None,
            body: |_| String::new(),
        },
    ]
}

/// Runs every case against a fresh simulator and renders one line per case.
async fn run_cases(config: Config) -> String {
    let simulator = start(config.clone()).await;
    simulator.calcom().store.put_app(
        App {
            slug: "orphan".into(),
            dir_name: "orphan-dir".into(),
            categories: vec!["other".into()],
            enabled: true,
            keys: None,
        },
        None,
    );
    let url = format!("{}{PATH}", simulator.url());
    let header = config.push_header_name().to_owned();
    let mut lines = Vec::new();
    for case in cases() {
        let upper = header.to_uppercase();
        let mut headers: Vec<(&str, &str)> = match case.secret {
            Secret::Right => vec![(header.as_str(), config.sync_secret.as_str())],
            Secret::Missing => vec![],
            Secret::Wrong => vec![(header.as_str(), "not-the-secret")],
            Secret::RightWithUppercaseName => vec![(upper.as_str(), config.sync_secret.as_str())],
        };
        if let Some(content_type) = case.content_type {
            headers.push(("content-type", content_type));
        }
        let reply = send(case.method, &url, &headers, (case.body)(&config)).await;
        lines.push(format!("{:<45} {reply}", case.name));
    }
    lines.join("\n")
}

#[tokio::test]
async fn every_case_answers_as_current_calcom() {
    insta::assert_snapshot!(run_cases(config(Profile::Current)).await);
}

#[tokio::test]
async fn every_case_answers_as_calcom_2024_04_pages() {
    insta::assert_snapshot!(run_cases(config(Profile::G3Pages)).await);
}

#[tokio::test]
async fn every_case_answers_as_calcom_2024_02() {
    insta::assert_snapshot!(run_cases(config(Profile::G2)).await);
}

#[tokio::test]
async fn every_case_answers_as_calcom_2023_09() {
    insta::assert_snapshot!(run_cases(config(Profile::G1)).await);
}

#[tokio::test]
async fn every_case_answers_with_zod_v4_issues() {
    let mut config = config(Profile::Current);
    config.zod = calsim::zod::ZodVersion::V4;
    insta::assert_snapshot!(run_cases(config).await);
}

async fn push(config: &Config, headers: &[(&str, &str)], body: String) -> Reply {
    let simulator = start(config.clone()).await;
    send("POST", &format!("{}{PATH}", simulator.url()), headers, body).await
}

#[tokio::test]
async fn wrong_secret_is_403_invalid_credential_sync_secret_in_current() {
    let config = config(Profile::Current);
    let body = push_body(&config, "1", "zoom", TOKEN);

    let reply = push(&config, &[("calcom-credential-sync-secret", "nope")], body).await;

    assert_eq!(reply.status, 403);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        reply.body,
        r#"{"message":"Invalid credential sync secret"}"#
    );
}

#[tokio::test]
async fn generation_2023_09_reads_calcom_webhook_secret_header_and_says_invalid_webhook_secret() {
    let config = config(Profile::G1);
    let body = push_body(&config, "1", "zoom", TOKEN);

    let accepted = push(
        &config,
        &[
            ("calcom-webhook-secret", &config.sync_secret),
            ("content-type", "application/json"),
        ],
        body.clone(),
    )
    .await;
    let refused = push(
        &config,
        &[
            ("calcom-credential-sync-secret", &config.sync_secret),
            ("content-type", "application/json"),
        ],
        body,
    )
    .await;

    assert_eq!(
        accepted.body,
        r#"{"message":"Credentials created for userId: 1"}"#
    );
    assert_eq!(
        accepted.content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (403, r#"{"message":"Invalid webhook secret"}"#)
    );
}

#[tokio::test]
async fn sharing_disabled_is_403_before_the_secret_is_looked_at() {
    let mut config = config(Profile::Current);
    config.sync_secret = String::new();

    let reply = push(&config, &[], "{}".to_owned()).await;

    assert_eq!(
        (reply.status, reply.body.as_str()),
        (403, r#"{"message":"Credential sharing is not enabled"}"#)
    );
}

#[tokio::test]
async fn malformed_json_is_500_internal_server_error_in_current_and_400_invalid_json_in_pages() {
    for (profile, status, body) in [
        (
            Profile::Current,
            500,
            r#"{"message":"Internal server error"}"#,
        ),
        (Profile::G3Pages, 400, "Invalid JSON"),
        (Profile::G1, 400, "Invalid JSON"),
    ] {
        let config = config(profile);
        let header = config.push_header_name().to_owned();
        let headers = [
            (header.as_str(), config.sync_secret.as_str()),
            ("content-type", "application/json"),
        ];

        let reply = push(&config, &headers, "{".to_owned()).await;

        assert_eq!(
            (reply.status, reply.body.as_str()),
            (status, body),
            "profile {profile}"
        );
    }
}

#[tokio::test]
async fn pages_router_parses_the_body_before_checking_the_secret() {
    let config = config(Profile::G2);
    let headers = [("content-type", "application/json")];

    let reply = push(&config, &headers, "{".to_owned()).await;

    assert_eq!((reply.status, reply.body.as_str()), (400, "Invalid JSON"));
}

#[tokio::test]
async fn bad_body_is_400_with_zod_v3_issues_in_current() {
    let config = config(Profile::Current);
    let header = config.push_header_name().to_owned();

    let reply = push(
        &config,
        &[(header.as_str(), config.sync_secret.as_str())],
        r#"{"userId":"1","keys":1}"#.to_owned(),
    )
    .await;

    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.body,
        concat!(
            r#"{"error":[{"code":"invalid_type","expected":"number","received":"string","path":["userId"],"message":"Expected number, received string"},"#,
            r#"{"code":"invalid_type","expected":"string","received":"undefined","path":["appSlug"],"message":"Required"},"#,
            r#"{"code":"invalid_type","expected":"string","received":"number","path":["keys"],"message":"Expected string, received number"}]}"#
        )
    );
}

#[tokio::test]
async fn bad_body_is_a_bare_500_in_2023_09() {
    let config = config(Profile::G1);
    let header = config.push_header_name().to_owned();
    let headers = [
        (header.as_str(), config.sync_secret.as_str()),
        ("content-type", "application/json"),
    ];

    let reply = push(&config, &headers, r#"{"userId":"1"}"#.to_owned()).await;

    assert_eq!(
        reply,
        Reply {
            status: 500,
            content_type: None,
            body: "Internal Server Error".to_owned()
        }
    );
}

#[tokio::test]
async fn mixed_case_header_name_never_matches_in_the_pages_router_but_does_in_current() {
    for (profile, status) in [(Profile::G3Pages, 403), (Profile::Current, 200)] {
        let mut config = config(profile);
        config.header_name = "X-Partner-Secret".to_owned();
        let headers = [
            ("x-partner-secret", config.sync_secret.as_str()),
            ("content-type", "application/json"),
        ];
        let body = push_body(&config, "1", "zoom", TOKEN);

        let reply = push(&config, &headers, body).await;

        assert_eq!(reply.status, status, "profile {profile}: {reply}");
    }
}

#[tokio::test]
async fn a_push_upserts_the_first_matching_credential_and_leaves_invalid_alone() {
    let config = config(Profile::Current);
    let simulator = start(config.clone()).await;
    let store = &simulator.calcom().store;
    let first = store.insert_credential(
        Some(1),
        "google-calendar",
        "google_calendar",
        json!({"access_token": "old"}),
    );
    store.insert_credential(
        Some(1),
        "google-calendar",
        "google_calendar",
        json!({"access_token": "duplicate"}),
    );
    store.set_invalid(first.id, true);
    let header = config.push_header_name().to_owned();

    let reply = send(
        "POST",
        &format!("{}{PATH}", simulator.url()),
        &[(header.as_str(), config.sync_secret.as_str())],
        push_body(
            &config,
            "1",
            "google-calendar",
            r#"{"access_token":"new","extra":[1,2]}"#,
        ),
    )
    .await;

    assert_eq!(
        reply.body,
        r#"{"message":"Credentials updated for userId: 1"}"#
    );
    let updated = store.credential(first.id).unwrap();
    assert_eq!(updated.key, json!({"access_token": "new", "extra": [1, 2]}));
    assert!(updated.invalid, "Cal.com's push never clears `invalid`");
    assert_eq!(
        store.credential(first.id + 1).unwrap().key["access_token"],
        "duplicate"
    );
}

#[tokio::test]
async fn created_credential_gets_the_metadata_slug_and_type() {
    let config = config(Profile::Current);
    let simulator = start(config.clone()).await;
    let header = config.push_header_name().to_owned();

    send(
        "POST",
        &format!("{}{PATH}", simulator.url()),
        &[(header.as_str(), config.sync_secret.as_str())],
        push_body(&config, "2", "msteams", TOKEN),
    )
    .await;

    let stored = simulator.calcom().store.credentials(Some(2), None);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].app_id.as_deref(), Some("msteams"));
    assert_eq!(stored[0].kind, "office365_video");
    assert_eq!(
        stored[0].key,
        serde_json::from_str::<serde_json::Value>(TOKEN).unwrap()
    );
}

#[tokio::test]
async fn a_44_character_key_makes_every_push_a_500_as_in_calcom() {
    let mut config = config(Profile::Current);
    let good = config.clone();
    config.encryption_key = "q3H0bWJ1y7kZ8u2Vx9aLr4Tn6cPe5sDfGhJkLmNoPq8=".to_owned();
    let header = config.push_header_name().to_owned();

    let reply = push(
        &config,
        &[(header.as_str(), config.sync_secret.as_str())],
        push_body(&good, "1", "zoom", TOKEN),
    )
    .await;

    assert_eq!(
        (reply.status, reply.body.as_str()),
        (500, r#"{"message":"Internal server error"}"#)
    );
}

#[tokio::test]
async fn a_push_encrypted_by_node_is_accepted() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/pushes/node-createcipheriv.json")).unwrap();
    let mut config = config(Profile::Current);
    config.encryption_key = fixture["key"].as_str().unwrap().to_owned();
    let simulator = start(config.clone()).await;
    let header = config.push_header_name().to_owned();

    let reply = send(
        "POST",
        &format!("{}{PATH}", simulator.url()),
        &[(header.as_str(), config.sync_secret.as_str())],
        fixture["body"].as_str().unwrap().to_owned(),
    )
    .await;

    assert_eq!(
        reply.body,
        r#"{"message":"Credentials created for userId: 1"}"#
    );
    let stored = simulator
        .calcom()
        .store
        .credentials(Some(1), Some("google-calendar"));
    let plaintext: serde_json::Value =
        serde_json::from_str(fixture["plaintext"].as_str().unwrap()).unwrap();
    assert_eq!(stored[0].key, plaintext);
}

#[tokio::test]
async fn every_push_is_journaled_with_the_secret_masked() {
    let config = config(Profile::Current);
    let simulator = start(config.clone()).await;
    let header = config.push_header_name().to_owned();

    send(
        "POST",
        &format!("{}{PATH}", simulator.url()),
        &[(header.as_str(), config.sync_secret.as_str())],
        push_body(&config, "1", "zoom", TOKEN),
    )
    .await;

    let entries = simulator.calcom().journal.entries(None);
    assert_eq!(entries.len(), 1);
    let recorded = serde_json::to_string(&*entries[0]).unwrap();
    assert!(
        !recorded.contains(&config.sync_secret),
        "the secret leaked: {recorded}"
    );
    assert!(recorded.contains(r#""step":"created""#), "{recorded}");
    assert_eq!(entries[0].response.as_ref().unwrap().status, 200);
}
