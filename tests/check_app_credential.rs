//! `calsim check app-credential` passes a correct implementation and catches each
//! deliberately broken one, naming the rule broken and the fix.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use calsim::app_credential::{self, Push, Step};
use calsim::check::Report;
use calsim::scenario::suites::{app_credential as run, AppCredentialTarget};
use calsim::{Answer, Config, Profile, Store};
use common::config;

/// One bug each.
#[derive(Clone, Copy, Debug)]
enum Bug {
    WrongSecretIs401,
    NoSecretCheck,
    MalformedJsonIs400,
    AppCheckedBeforeUser,
    NeverUpdates,
    MessageTypo,
    GcmInsteadOfCbc,
    NonJsonPlaintextStored,
    OtherMethodsAre404,
    IssuesNotForwarded,
    IntegralFloatRefused,
    UnknownFieldsRefused,
    UnknownUserCreated,
    UnknownAppIs400,
    DecryptErrorsAre400,
    OnlyObjectsStored,
}

struct Broken {
    bug: Bug,
    config: Config,
    store: Store,
}

/// Cal.com's own decision, then the bug.
async fn broken_handler(
    State(broken): State<Arc<Broken>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = &broken.config;
    let header = config.push_header_name();
    let mut headers = headers;
    if let Bug::NoSecretCheck = broken.bug {
        let name = axum::http::HeaderName::from_bytes(header.as_bytes()).unwrap();
        headers.insert(name, HeaderValue::from_str(&config.sync_secret).unwrap());
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let router = calsim::profile::NextRouter::App;
    match broken.bug {
        Bug::IntegralFloatRefused if text.contains(r#""userId":1.0"#) => {
            return Answer::message(StatusCode::BAD_REQUEST, router, "userId must be an integer")
                .into_response()
        }
        Bug::UnknownFieldsRefused if text.contains(r#""calsim":true"#) => {
            return Answer::message(StatusCode::BAD_REQUEST, router, "unrecognized keys")
                .into_response()
        }
        Bug::OnlyObjectsStored if decrypts_to_a_non_object(config, &text) => {
            return Answer::message(StatusCode::BAD_REQUEST, router, "keys must be an object")
                .into_response()
        }
        _ => {}
    }
    let decision = app_credential::decide(
        config,
        &broken.store,
        Push {
            method: &method,
            headers: &headers,
            body: Some(&body),
        },
    );
    let answer = match (broken.bug, decision.step) {
        (Bug::WrongSecretIs401, Step::InvalidSecret) => Answer::message(
            StatusCode::UNAUTHORIZED,
            router,
            "Invalid credential sync secret",
        ),
        (Bug::MalformedJsonIs400, Step::BodyNotJson) => {
            Answer::message(StatusCode::BAD_REQUEST, router, "Invalid JSON")
        }
        (Bug::AppCheckedBeforeUser, Step::UserNotFound)
            if !String::from_utf8_lossy(&body).contains("google-calendar") =>
        {
            Answer::message(StatusCode::NOT_FOUND, router, "App not found")
        }
        (Bug::NeverUpdates, Step::Updated) => Answer::message(
            StatusCode::OK,
            router,
            &decision
                .answer
                .body_text()
                .replace("updated", "created")
                .replace(r#"{"message":""#, "")
                .replace(r#""}"#, ""),
        ),
        (Bug::MessageTypo, Step::Created | Step::Updated) => Answer::message(
            StatusCode::OK,
            router,
            &decision
                .answer
                .body_text()
                .replace("Credentials", "Credential")
                .replace(r#"{"message":""#, "")
                .replace(r#""}"#, ""),
        ),
        (Bug::GcmInsteadOfCbc, Step::Created | Step::Updated) => Answer::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            router,
            "Internal server error",
        ),
        (Bug::NonJsonPlaintextStored, Step::PlaintextNotJson) => {
            Answer::message(StatusCode::OK, router, "Credentials updated for userId: 1")
        }
        (Bug::OtherMethodsAre404, Step::MethodNotAllowed) => Answer::empty(StatusCode::NOT_FOUND),
        (Bug::IssuesNotForwarded, Step::SchemaInvalid) => {
            Answer::message(StatusCode::BAD_REQUEST, router, "Invalid body")
        }
        (Bug::UnknownUserCreated, Step::UserNotFound) => Answer::message(
            StatusCode::OK,
            router,
            "Credentials created for userId: 2147483000",
        ),
        (Bug::UnknownAppIs400, Step::AppNotFound) => {
            Answer::message(StatusCode::BAD_REQUEST, router, "App not found")
        }
        (Bug::DecryptErrorsAre400, Step::DecryptFailed) => {
            Answer::message(StatusCode::BAD_REQUEST, router, "Invalid keys")
        }
        _ => decision.answer,
    };
    answer.into_response()
}

/// Whether the body's `keys` decrypt to JSON that is not an object.
fn decrypts_to_a_non_object(config: &Config, body: &str) -> bool {
    let key = calsim::crypto::EncryptionKey::from_env_string(&config.encryption_key).unwrap();
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|body| body["keys"].as_str().map(str::to_owned))
        .and_then(|keys| calsim::crypto::symmetric_decrypt(&keys, &key).ok())
        .and_then(|plaintext| serde_json::from_str::<serde_json::Value>(&plaintext).ok())
        .is_some_and(|token| !token.is_object())
}

async fn serve_broken(bug: Bug) -> String {
    let config = config(Profile::Current);
    let state = Arc::new(Broken {
        bug,
        store: Store::seeded(&config.admin_api_key),
        config,
    });
    let app = Router::new()
        .route(app_credential::PATH, any(broken_handler))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn target(base_url: String, config: Config) -> AppCredentialTarget {
    AppCredentialTarget {
        base_url,
        config,
        user_id: 1,
        app_slug: "google-calendar".to_owned(),
        missing_user_id: 2_147_483_000,
        timeout: Duration::from_secs(5),
    }
}

async fn check_broken(bug: Bug) -> Report {
    let url = serve_broken(bug).await;
    run(&target(url, config(Profile::Current))).await.unwrap()
}

/// The checks whose push is valid and must be stored.
const VALID_PUSHES: &[&str] = &[
    "accepts-a-valid-push",
    "upserts",
    "integral-float-user-id-is-accepted",
    "unknown-fields-ignored",
    "any-json-plaintext-is-stored",
    "leaves-a-valid-credential",
];

fn assert_fails_exactly(report: &Report, expected: &[&str]) {
    let failed = report.failed_ids();
    let expected: Vec<String> = expected
        .iter()
        .map(|id| format!("app-credential/{id}"))
        .collect();
    assert_eq!(failed, expected, "\n{}", report.human());
    for check in report.checks.iter().filter(|check| check.failed()) {
        let line = check.line();
        assert!(
            line.contains(" — found ") && line.contains("; expected ") && line.contains("; fix: "),
            "{line}"
        );
    }
}

#[tokio::test]
async fn a_correct_implementation_passes_every_check_in_each_profile() {
    for profile in Profile::ALL {
        let config = config(profile);
        let simulator = common::start(config.clone()).await;

        let report = run(&target(simulator.url(), config)).await.unwrap();

        assert_eq!(report.failed(), 0, "profile {profile}:\n{}", report.human());
        assert_eq!(report.checks.len(), 24);
    }
}

#[tokio::test]
async fn zod_v4_issues_are_checked_when_asked_for() {
    let mut v4 = config(Profile::Current);
    v4.zod = calsim::zod::ZodVersion::V4;
    let simulator = common::start(v4.clone()).await;

    let as_v4 = run(&target(simulator.url(), v4)).await.unwrap();
    let as_v3 = run(&target(simulator.url(), config(Profile::Current)))
        .await
        .unwrap();

    assert_eq!(as_v4.failed(), 0, "{}", as_v4.human());
    assert!(
        as_v3
            .failed_ids()
            .contains(&"app-credential/user-id-must-be-a-number"),
        "{}",
        as_v3.human()
    );
}

#[tokio::test]
async fn catches_401_instead_of_403_for_a_bad_secret() {
    let report = check_broken(Bug::WrongSecretIs401).await;

    assert_fails_exactly(&report, &["rejects-missing-secret", "rejects-wrong-secret"]);
    assert!(report
        .human()
        .contains("expected 403 {\"message\":\"Invalid credential sync secret\"}"));
}

#[tokio::test]
async fn catches_a_missing_secret_check() {
    let report = check_broken(Bug::NoSecretCheck).await;

    assert_fails_exactly(&report, &["rejects-missing-secret", "rejects-wrong-secret"]);
    assert!(report
        .human()
        .contains("fix: compare the `calcom-credential-sync-secret` header"));
}

#[tokio::test]
async fn catches_a_userid_of_1_0_refused() {
    let report = check_broken(Bug::IntegralFloatRefused).await;

    assert_fails_exactly(&report, &["integral-float-user-id-is-accepted"]);
}

#[tokio::test]
async fn catches_unknown_fields_refused() {
    let report = check_broken(Bug::UnknownFieldsRefused).await;

    assert_fails_exactly(&report, &["unknown-fields-ignored"]);
}

#[tokio::test]
async fn catches_a_credential_created_for_an_unknown_user() {
    let report = check_broken(Bug::UnknownUserCreated).await;

    assert_fails_exactly(&report, &["unknown-user", "user-checked-before-app"]);
}

#[tokio::test]
async fn catches_400_for_an_unknown_app() {
    let report = check_broken(Bug::UnknownAppIs400).await;

    assert_fails_exactly(&report, &["unknown-app"]);
}

#[tokio::test]
async fn catches_400_for_keys_that_do_not_decrypt() {
    let report = check_broken(Bug::DecryptErrorsAre400).await;

    assert_fails_exactly(
        &report,
        &[
            "keys-not-hex",
            "keys-with-a-short-iv",
            "keys-from-another-key",
        ],
    );
}

#[tokio::test]
async fn catches_only_json_objects_being_stored() {
    let report = check_broken(Bug::OnlyObjectsStored).await;

    assert_fails_exactly(&report, &["any-json-plaintext-is-stored"]);
}

#[tokio::test]
async fn catches_400_for_malformed_json_where_current_calcom_answers_500() {
    let report = check_broken(Bug::MalformedJsonIs400).await;

    assert_fails_exactly(&report, &["malformed-json", "empty-body"]);
    assert!(report
        .human()
        .contains("expected 500 {\"message\":\"Internal server error\"}"));
}

#[tokio::test]
async fn catches_the_app_checked_before_the_user() {
    let report = check_broken(Bug::AppCheckedBeforeUser).await;

    assert_fails_exactly(&report, &["user-checked-before-app"]);
    assert!(report
        .human()
        .contains("fix: look the user up by userId before the app"));
}

#[tokio::test]
async fn catches_an_insert_instead_of_an_upsert() {
    let report = check_broken(Bug::NeverUpdates).await;

    assert_fails_exactly(
        &report,
        &[
            "upserts",
            "integral-float-user-id-is-accepted",
            "unknown-fields-ignored",
            "any-json-plaintext-is-stored",
            "leaves-a-valid-credential",
        ],
    );
}

#[tokio::test]
async fn catches_a_typo_in_the_success_message() {
    let report = check_broken(Bug::MessageTypo).await;

    assert_fails_exactly(&report, VALID_PUSHES);
}

#[tokio::test]
async fn catches_gcm_decryption_where_calcom_uses_cbc() {
    let report = check_broken(Bug::GcmInsteadOfCbc).await;

    assert_fails_exactly(&report, VALID_PUSHES);
    assert!(
        report
            .human()
            .contains("fix: decrypt `keys` as Cal.com does (AES-256-CBC, not GCM"),
        "{}",
        report.human()
    );
}

#[tokio::test]
async fn catches_a_non_json_plaintext_being_stored() {
    let report = check_broken(Bug::NonJsonPlaintextStored).await;

    assert_fails_exactly(&report, &["plaintext-not-json"]);
}

#[tokio::test]
async fn catches_404_for_other_methods_where_calcom_answers_405() {
    let report = check_broken(Bug::OtherMethodsAre404).await;

    assert_fails_exactly(&report, &["post-only"]);
}

#[tokio::test]
async fn catches_zod_issues_not_forwarded_as_they_are() {
    let report = check_broken(Bug::IssuesNotForwarded).await;

    assert_fails_exactly(
        &report,
        &[
            "body-not-an-object",
            "user-id-required",
            "app-slug-required",
            "keys-required",
            "user-id-must-be-a-number",
            "user-id-must-be-an-integer",
        ],
    );
    assert!(report.human().contains("zod's issue objects unchanged"));
}

#[tokio::test]
async fn an_unreachable_target_is_an_error_not_a_report() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);

    let error = run(&target(url, config(Profile::Current)))
        .await
        .unwrap_err();

    assert!(error.to_string().contains("connection failed"), "{error}");
}

#[tokio::test]
async fn the_report_renders_as_json_and_junit() {
    let report = check_broken(Bug::WrongSecretIs401).await;

    let json = report.json();
    let junit = report.junit();

    assert_eq!(json["failed"], 2);
    assert_eq!(
        json["checks"][2]["id"],
        "app-credential/rejects-missing-secret"
    );
    assert_eq!(json["checks"][2]["outcome"], "fail");
    assert!(
        junit.contains(r#"tests="24""#) && junit.contains(r#"failures="2""#),
        "{junit}"
    );
    insta::assert_snapshot!(report.human().replace(&report.target, "[target]"));
}
