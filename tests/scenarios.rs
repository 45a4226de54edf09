//! Scenario files: the examples pass against reference implementations and fail, at the
//! step that breaks, against broken ones; files with mistakes are refused with where and
//! why; `calsim run` shards, renders TAP/JSON/JUnit and exits 0/1/2.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::Router;
use calsim::partner::{Partner, PartnerConfig};
use calsim::receiver::{Receiver, ReceiverConfig};
use calsim::scenario::{self, RunOptions};
use calsim::SignatureVerdict;

const SECRET: &str = "scenario-secret";

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/examples")
        .join(name)
}

fn options(target: String) -> RunOptions {
    RunOptions {
        target: Some(target),
        vars: BTreeMap::from([("secret".to_owned(), SECRET.to_owned())]),
        ..RunOptions::default()
    }
}

async fn nango_receiver() -> Receiver {
    Receiver::start(
        ReceiverConfig {
            secret: Some(SECRET.to_owned()),
            ..ReceiverConfig::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap()
}

async fn run_example(name: &str, target: String) -> calsim::check::Report {
    let scenarios = scenario::load(&[example(name)]).unwrap();
    scenario::run(scenarios, &options(target)).await.remove(0)
}

/// A receiver that answers every delivery with `status`.
async fn answering(status: StatusCode) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new().fallback(move || async move { status });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn the_webhook_consumer_example_passes_against_calsim_receive() {
    let receiver = nango_receiver().await;

    let report = run_example(
        "webhook-consumer.toml",
        format!("{}/webhook?nangoConnectionId=c1", receiver.url()),
    )
    .await;

    assert_eq!(report.failed(), 0, "{}", report.human());
    assert_eq!(report.checks.len(), 4);
}

#[tokio::test]
async fn the_replay_example_passes_against_calsim_receive_and_fails_a_consumer_that_refuses() {
    let receiver = nango_receiver().await;

    let report = run_example(
        "replay-recording.toml",
        format!("{}/webhook?nangoConnectionId=c1", receiver.url()),
    )
    .await;
    let refused = run_example(
        "replay-recording.toml",
        answering(StatusCode::UNAUTHORIZED).await,
    )
    .await;

    assert_eq!(report.failed(), 0, "{}", report.human());
    let deliveries = receiver.state().deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries
        .iter()
        .all(|delivery| delivery.signature == SignatureVerdict::Valid));
    let bodies: Vec<serde_json::Value> = deliveries
        .iter()
        .map(|delivery| serde_json::from_str(delivery.body.as_deref().unwrap()).unwrap())
        .collect();
    assert_ne!(bodies[0]["payload"]["uid"], "f3Kd9PqL2mNx7RtY5vWz1a");
    assert_eq!(
        bodies[1]["payload"]["rescheduleUid"],
        bodies[0]["payload"]["uid"]
    );
    assert!(deliveries[0]
        .body
        .as_deref()
        .unwrap()
        .contains(r#""price":12.50"#));
    assert_eq!(
        refused.failed_ids(),
        ["replay-recording/a-recorded-booking-and-its-reschedule-are-accepted-re-signed-and-moved-to-now"],
        "{}",
        refused.human()
    );
    assert!(refused.human().contains("-> 401"), "{}", refused.human());
}

#[tokio::test]
async fn a_consumer_that_accepts_everything_fails_exactly_the_forgery_step() {
    let report = run_example("webhook-consumer.toml", answering(StatusCode::OK).await).await;

    assert_eq!(
        report.failed_ids(),
        ["webhook-consumer/a-delivery-signed-with-another-secret-is-refused"],
        "{}",
        report.human()
    );
    let human = report.human();
    assert!(human.contains("found 200"), "{human}");
    assert!(
        human.contains("expected a status other than 2xx"),
        "{human}"
    );
    assert!(
        human.contains("fix: compare x-cal-signature-256"),
        "{human}"
    );
    assert!(
        human.contains("WARN webhook-consumer/an-unsigned-delivery"),
        "later steps are marked not run: {human}"
    );
}

#[tokio::test]
async fn the_sync_endpoint_example_passes_against_calsim_partner_and_fails_an_open_one() {
    let partner = Partner::builder()
        .config(PartnerConfig {
            secret: SECRET.to_owned(),
            ..PartnerConfig::default()
        })
        .start()
        .await
        .unwrap();
    let open = answering(StatusCode::OK).await;

    let good = run_example("sync-endpoint.toml", partner.sync_endpoint_url()).await;
    let bad = run_example("sync-endpoint.toml", open).await;

    assert_eq!(good.failed(), 0, "{}", good.human());
    assert_eq!(
        bad.failed_ids(),
        ["sync-endpoint/a-pull-for-google-calendar-gets-a-token-cal-com-takes"],
        "an empty 200 is no token: {}",
        bad.human()
    );
}

#[tokio::test]
async fn subscribe_and_book_follows_a_delivery_from_the_v2_api_to_the_receiver() {
    let receiver = nango_receiver().await;

    let report = run_example(
        "subscribe-and-book.toml",
        format!("{}/webhook?nangoConnectionId=c1", receiver.url()),
    )
    .await;

    assert_eq!(report.failed(), 0, "{}", report.human());
    let deliveries = receiver.state().deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].signature, SignatureVerdict::Valid);
}

#[tokio::test]
async fn subscribe_and_book_fails_at_the_journal_step_when_the_receiver_refuses() {
    let report = run_example(
        "subscribe-and-book.toml",
        answering(StatusCode::UNAUTHORIZED).await,
    )
    .await;

    assert_eq!(
        report.failed_ids(),
        ["subscribe-and-book/the-delivery-reached-the-receiver-and-was-accepted"],
        "{}",
        report.human()
    );
    assert!(report.human().contains("found 401"), "{}", report.human());
}

#[tokio::test]
async fn the_credential_push_example_passes_against_its_own_fake_calcom() {
    let scenarios = scenario::load(&[example("credential-push.toml")]).unwrap();

    let report = scenario::run(scenarios, &RunOptions::default())
        .await
        .remove(0);

    assert_eq!(report.failed(), 0, "{}", report.human());
}

#[test]
fn a_misspelt_key_is_refused_with_its_line_and_the_keys_it_could_be() {
    let error = scenario::parse(
        "name = \"x\"\n[[steps]]\nreqest = { url = \"http://127.0.0.1:9\" }\n",
        "typo.toml",
    )
    .unwrap_err()
    .to_string();

    assert!(error.contains("typo.toml"), "{error}");
    assert!(error.contains("line 3"), "{error}");
    assert!(error.contains("unknown field `reqest`"), "{error}");
    assert!(error.contains("`request`"), "{error}");
}

#[test]
fn a_step_with_two_actions_is_refused() {
    let error = scenario::parse(
        "name = \"x\"\n[[steps]]\nrequest = { url = \"http://a\" }\npull = { url = \"http://b\" }\n",
        "two.toml",
    )
    .unwrap_err()
    .to_string();

    assert!(error.contains("step 1 (unnamed) has 2 actions"), "{error}");
}

#[tokio::test]
async fn an_unknown_variable_fails_its_step_with_a_suggestion() {
    let scenario = scenario::parse(
        "name = \"vars\"\n[vars]\nsecret = \"s\"\n[[steps]]\nname = \"uses a typo\"\nrequest = { url = \"{{calcom.url}}/_calsim/{{secrte}}\" }\n",
        "vars.toml",
    )
    .unwrap();

    let report = scenario::run(vec![scenario], &RunOptions::default())
        .await
        .remove(0);

    assert!(
        report
            .human()
            .contains("unknown variable `secrte`; did you mean `secret`?"),
        "{}",
        report.human()
    );
}

fn calsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_calsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap()
}

#[test]
fn shards_are_disjoint_and_cover_every_scenario() {
    let names = |shard: &str| -> Vec<String> {
        let output = calsim(&[
            "run",
            "scenarios/examples",
            "--shard",
            shard,
            "--format",
            "json",
            "--target",
            "http://127.0.0.1:9",
            "--timeout-ms",
            "300",
        ]);
        let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        reports
            .as_array()
            .unwrap()
            .iter()
            .map(|report| report["suite"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = scenario::load(&[example("")]).unwrap();

    let shards = [names("1/3"), names("2/3"), names("3/3")];

    let mut together = shards.concat();
    together.sort();
    let mut expected: Vec<String> = all
        .iter()
        .map(|scenario| format!("scenario {}", scenario.id()))
        .collect();
    expected.sort();
    assert!(expected.len() >= 4);
    assert_eq!(together.len(), expected.len(), "no scenario runs twice");
    assert_eq!(
        together, expected,
        "together the shards cover every scenario"
    );
    assert!(shards.iter().all(|shard| !shard.is_empty()));
}

#[test]
fn run_prints_tap_writes_junit_and_exits_2_when_the_target_is_down() {
    let junit = std::env::temp_dir().join(format!("calsim-run-{}.xml", std::process::id()));

    let output = calsim(&[
        "run",
        "scenarios/examples/credential-push.toml",
        "scenarios/examples/sync-endpoint.toml",
        "--target",
        "http://127.0.0.1:9/api/getToken",
        "--timeout-ms",
        "300",
        "--format",
        "tap",
        "--junit",
        junit.to_str().unwrap(),
    ]);

    let tap = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(2), "could not run: {tap}");
    assert!(tap.starts_with("TAP version 14\n1..5\n"), "{tap}");
    assert!(
        tap.contains("ok 1 - credential-push/push-a-zoom-token-for-user-1"),
        "{tap}"
    );
    assert!(
        tap.contains("not ok 4 - sync-endpoint/a-pull-for-google-calendar-gets-a-token")
            && tap.contains("  error: \"pull for google-calendar from http://127.0.0.1:9/api/getToken: no answer (connection failed"),
        "{tap}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuites"), "{xml}");
    assert!(xml.contains("errors=\"1\""), "{xml}");
    std::fs::remove_file(junit).unwrap();
}

#[test]
fn a_bad_file_exits_2_and_still_writes_junit() {
    let dir = std::env::temp_dir().join(format!("calsim-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.toml"), "name = \"x\"\nsteps = 3\n").unwrap();
    let junit = dir.join("report.xml");

    let output = calsim(&[
        "run",
        dir.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.toml"));
    assert!(junit.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn fifty_scenarios_run_in_parallel_each_with_its_own_fake_calcom() {
    let scenarios = scenario::load(&[example("credential-push.toml")]).unwrap();
    let many: Vec<_> = (0..50).map(|_| scenarios[0].clone()).collect();

    let reports = scenario::run(
        many,
        &RunOptions {
            jobs: 8,
            ..RunOptions::default()
        },
    )
    .await;

    assert_eq!(reports.len(), 50);
    assert!(
        reports.iter().all(|report| report.failed() == 0),
        "isolated: every scenario sees its first push as a create"
    );
    let _ = Arc::new(());
}

#[tokio::test]
async fn a_built_in_suite_runs_through_calsim_run_too() {
    let receiver = nango_receiver().await;
    let target = format!("{}/webhook?nangoConnectionId=c1", receiver.url());

    let output = tokio::task::spawn_blocking(move || {
        calsim(&[
            "run",
            "--suite",
            "webhook-consumer",
            "--target",
            &target,
            "--var",
            &format!("secret={SECRET}"),
            "--format",
            "json",
        ])
    })
    .await
    .unwrap();

    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(reports[0]["suite"], "webhook-consumer");
    assert_eq!(reports[0]["checks"].as_array().unwrap().len(), 30);
    assert_eq!(
        output.status.code(),
        Some(1),
        "Nango refuses form bodies, as the check reports"
    );
}

/// Every key the examples and the built-in suites use is described by
/// `scenarios/schema.json`, so editors that validate with it accept real scenarios.
#[test]
fn the_schema_describes_every_key_the_examples_and_suites_use() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example("../schema.json")).unwrap()).unwrap();
    let top = schema["properties"].as_object().unwrap();
    let step = schema["$defs"]["step"]["properties"].as_object().unwrap();
    let suites = std::fs::read_dir(example("../suites")).unwrap();
    for path in std::fs::read_dir(example("")).unwrap().chain(suites) {
        let path = path.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "toml") {
            continue;
        }
        let file: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (key, value) in file.as_table().unwrap() {
            assert!(
                top.contains_key(key),
                "{}: `{key}` is not in the schema",
                path.display()
            );
            if key != "steps" {
                continue;
            }
            for each in value.as_array().unwrap() {
                for (action, fields) in each.as_table().unwrap() {
                    let described = &step[action.as_str()];
                    assert!(
                        !described.is_null(),
                        "{}: step key `{action}`",
                        path.display()
                    );
                    if let (Some(fields), Some(properties)) =
                        (fields.as_table(), described["properties"].as_object())
                    {
                        for field in fields.keys() {
                            assert!(
                                properties.contains_key(field),
                                "{}: `{action}.{field}` is not in the schema",
                                path.display()
                            );
                        }
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn snapshots_are_written_for_review_accepted_and_then_hold_without_ever_being_overwritten() {
    let dir = std::env::temp_dir().join(format!("calsim-snap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stored.toml");
    let write = |access_token: &str| {
        std::fs::write(
            &file,
            format!(
                "name = \"a push is stored\"\n\
                 [[steps]]\n\
                 push = {{ url = \"{{{{calcom.url}}}}\", user_id = 1, app = \"zoom\", key = {{ access_token = \"{access_token}\" }} }}\n\
                 [[steps]]\n\
                 name = \"stored credential\"\n\
                 request = {{ url = \"{{{{calcom.url}}}}/_calsim/credentials?userId=1\" }}\n\
                 snapshot = \"credential\"\n\
                 redact = [\"$[0].id\"]\n"
            ),
        )
        .unwrap();
    };
    let run = |update: bool| {
        let scenarios = scenario::load(std::slice::from_ref(&file)).unwrap();
        let options = RunOptions {
            update_snapshots: update,
            ..RunOptions::default()
        };
        async move { scenario::run(scenarios, &options).await.remove(0) }
    };
    let snap = dir.join("snapshots/stored__credential.snap");
    write("a-long-enough-token");

    let first = run(false).await;
    let reviewed = run(true).await;
    let pending = std::fs::read_to_string(snap.with_extension("snap.new")).unwrap();
    calsim::scenario::snapshot::accept(&dir).unwrap();
    let accepted = run(false).await;
    write("another-long-token");
    let changed = run(true).await;

    assert!(first.human().contains("no snapshot"), "{}", first.human());
    assert_eq!(
        reviewed.failed(),
        1,
        "a new snapshot fails until it is reviewed"
    );
    assert!(pending.contains("\"id\": \"[redacted]\""), "{pending}");
    assert!(
        pending.contains("\"access_token\": \"a-lo***\""),
        "tokens stay masked: {pending}"
    );
    assert_eq!(accepted.failed(), 0, "{}", accepted.human());
    assert!(
        changed.human().contains("the answer differs from"),
        "{}",
        changed.human()
    );
    assert!(
        changed.human().contains("line 9: -"),
        "the first differing line is shown: {}",
        changed.human()
    );
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        pending,
        "the .snap is never overwritten by a run"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A receiver that fails any body with a byte outside ASCII.
async fn ascii_only() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new().fallback(|body: axum::body::Bytes| async move {
        if body.is_ascii() {
            StatusCode::OK
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

const PROPERTY: &str = r#"
name = "any title is accepted"
[[steps]]
name = "a delivery with a generated title"
property = { cases = 64, generate = { title = "text", trigger = "trigger" } }
deliver = { trigger = "{{trigger}}", to = "{{target}}", secret = "s", data = { title = "{{title}}" } }
expect = { success = true }
"#;

#[tokio::test]
async fn a_property_step_shrinks_a_failure_to_a_minimal_input_reproducible_by_its_seed() {
    let target = ascii_only().await;
    let scenario = scenario::parse(PROPERTY, "property.toml").unwrap();
    let run = |seed: u64| {
        let options = RunOptions {
            target: Some(target.clone()),
            seed: Some(seed),
            ..RunOptions::default()
        };
        let scenario = scenario.clone();
        async move {
            scenario::run(vec![scenario], &options)
                .await
                .remove(0)
                .human()
        }
    };

    let first = run(7).await;
    let again = run(7).await;

    assert!(
        first.contains("minimal failing input { title = \""),
        "{first}"
    );
    assert!(first.contains("reproduce with --seed 7"), "{first}");
    let shrunk: String = first
        .split("title = ")
        .nth(1)
        .unwrap()
        .chars()
        .skip(1)
        .take_while(|character| *character != '"')
        .collect();
    assert_eq!(
        shrunk.chars().count(),
        1,
        "shrunk to one non-ASCII character: {first}"
    );
    assert_eq!(
        first, again,
        "the same seed gives the same cases and the same report"
    );
}

#[tokio::test]
async fn a_property_step_passes_when_every_case_holds() {
    let receiver = Receiver::start(
        ReceiverConfig::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let scenario = scenario::parse(PROPERTY, "property.toml").unwrap();

    let report = scenario::run(
        vec![scenario],
        &RunOptions {
            target: Some(format!("{}/hook?nangoConnectionId=c", receiver.url())),
            ..RunOptions::default()
        },
    )
    .await
    .remove(0);

    assert_eq!(report.failed(), 0, "{}", report.human());
    assert_eq!(receiver.state().deliveries().len(), 64);
}

/// A partner pusher behind the credential-pusher suite's contract; `key_override` models
/// a pusher configured with the wrong key.
#[derive(Clone, Copy)]
enum PusherBug {
    None,
    WrongKey,
    FailsTheHook,
    PushesAnotherApp,
}

async fn pusher(bug: PusherBug) -> String {
    use calsim::push::{push_credential, PushOptions, Via};
    let app = Router::new().fallback(
        move |axum::Json(ask): axum::Json<serde_json::Value>| async move {
            if matches!(bug, PusherBug::FailsTheHook) {
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
            let key_override =
                matches!(bug, PusherBug::WrongKey).then_some("q3H0bWJ1y7kZ8u2Vx9aLr4Tn6cPe5sDf");
            let app_slug = match bug {
                PusherBug::PushesAnotherApp => "google-calendar",
                _ => ask["appSlug"].as_str().unwrap_or_default(),
            };
            let options = PushOptions {
                base_url: ask["calcomUrl"].as_str().unwrap_or_default().to_owned(),
                user_id: ask["userId"].as_i64().unwrap_or_default(),
                app_slug: app_slug.to_owned(),
                token_json: r#"{"access_token":"partner-token","expires_in":3600}"#.to_owned(),
                encryption_key: key_override
                    .unwrap_or(ask["encryptionKey"].as_str().unwrap_or_default())
                    .to_owned(),
                secret: ask["secret"].as_str().unwrap_or_default().to_owned(),
                header_name: ask["headerName"].as_str().unwrap_or_default().to_owned(),
                via: Via::Webhook,
                api_key: String::new(),
                timeout: std::time::Duration::from_secs(2),
            };
            match push_credential(&options, None).await {
                Ok(_) => StatusCode::OK,
                Err(_) => StatusCode::BAD_GATEWAY,
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/test-hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A subscription client behind the subscription-client suite's contract.
#[derive(Clone, Copy, PartialEq)]
enum ClientBug {
    None,
    NoSecret,
    FailsTheHook,
    Inactive,
    WrongTrigger,
}

async fn subscription_client(bug: ClientBug) -> String {
    let app = Router::new().fallback(
        move |axum::Json(ask): axum::Json<serde_json::Value>| async move {
            if bug == ClientBug::FailsTheHook {
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
            let triggers = if bug == ClientBug::WrongTrigger {
                serde_json::json!(["BOOKING_CANCELLED"])
            } else {
                serde_json::json!(["BOOKING_CREATED", "BOOKING_CANCELLED"])
            };
            let mut webhook = serde_json::json!({
                "subscriberUrl": ask["subscriberUrl"],
                "triggers": triggers,
                "active": bug != ClientBug::Inactive,
            });
            if bug != ClientBug::NoSecret {
                webhook["secret"] = "client-secret".into();
            }
            let created = reqwest::Client::new()
                .post(format!(
                    "{}/v2/webhooks",
                    ask["calcomUrl"].as_str().unwrap_or_default()
                ))
                .bearer_auth(ask["apiKey"].as_str().unwrap_or_default())
                .json(&webhook)
                .send()
                .await;
            match created {
                Ok(answer) if answer.status().is_success() => StatusCode::OK,
                _ => StatusCode::BAD_GATEWAY,
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/test-hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn run_suite(name: &str, target: String) -> calsim::check::Report {
    let suite = scenario::built_in_suite(name).unwrap();
    let options = RunOptions {
        target: Some(target),
        ..RunOptions::default()
    };
    scenario::run(vec![suite], &options).await.remove(0)
}

#[tokio::test]
async fn the_credential_pusher_suite_passes_a_correct_pusher_and_catches_each_broken_one() {
    let good = run_suite("credential-pusher", pusher(PusherBug::None).await).await;
    assert_eq!(good.failed(), 0, "{}", good.human());

    for (bug, step) in [
        (
            PusherBug::FailsTheHook,
            "asks-the-pusher-to-push-a-zoom-token-for-user-1",
        ),
        (
            PusherBug::WrongKey,
            "pushes-once-to-api-webhook-app-credential-and-cal-com-accepts-it",
        ),
        (
            PusherBug::PushesAnotherApp,
            "cal-com-stored-a-credential-for-user-1-and-the-app",
        ),
    ] {
        let report = run_suite("credential-pusher", pusher(bug).await).await;
        assert_eq!(
            report.failed_ids(),
            [format!("credential-pusher/{step}")],
            "{}",
            report.human()
        );
    }
}

#[tokio::test]
async fn the_subscription_client_suite_passes_a_correct_client_and_catches_each_broken_one() {
    let good = run_suite(
        "subscription-client",
        subscription_client(ClientBug::None).await,
    )
    .await;
    assert_eq!(good.failed(), 0, "{}", good.human());

    for (bug, step) in [
        (ClientBug::FailsTheHook, "asks-the-client-to-subscribe"),
        (
            ClientBug::Inactive,
            "the-webhook-exists-active-for-the-subscriber-url",
        ),
        (ClientBug::WrongTrigger, "it-subscribes-to-booking-created"),
        (
            ClientBug::NoSecret,
            "it-sets-a-secret-so-deliveries-are-signed",
        ),
    ] {
        let report = run_suite("subscription-client", subscription_client(bug).await).await;
        assert_eq!(
            report.failed_ids(),
            [format!("subscription-client/{step}")],
            "{}",
            report.human()
        );
    }
}

#[test]
fn record_appends_every_exchange_of_each_scenario_with_secrets_masked() {
    let record =
        std::env::temp_dir().join(format!("calsim-record-run-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&record);

    let output = calsim(&[
        "run",
        "scenarios/examples/credential-push.toml",
        "--record",
        record.to_str().unwrap(),
    ]);

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let text = std::fs::read_to_string(&record).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        2,
        "two pushes were answered by the push route: {text}"
    );
    assert!(lines
        .iter()
        .all(|line| line["scenario"] == "credential-push"));
    assert_eq!(lines[0]["entry"]["surface"], "app-credential");
    assert!(
        !text.contains("calsim-dev-sync-secret"),
        "the secret is masked: {text}"
    );
    std::fs::remove_file(record).unwrap();
}

/// `[partner]` scripts the partner the scenario's fake Cal.com pulls from: a fault, then a
/// token; generated data (`{{email}}`, `{{name}}`, `{{time ...}}`) feeds the steps.
#[tokio::test]
async fn a_scripted_partner_and_generated_data_drive_a_scenario() {
    let scenario = scenario::parse(
        r#"
name = "a partner that fails once, then answers"
[partner]
replies = [{ fault = "notJson" }, { token = "second", expiresIn = 3600 }]

[[steps]]
name = "a stored zoom credential"
request = { method = "POST", url = "{{calcom.url}}/_calsim/credentials", json = { userId = 1, appId = "zoom", key = { access_token = "old", expiry_date = 1 } } }
expect = { status = 201 }
capture = { id = "$.id" }

[[steps]]
name = "the first pull gets the scripted fault"
request = { method = "POST", url = "{{calcom.url}}/_calsim/credentials/{{id}}/refresh" }
expect = { json = { "$.judgement.accepted" = false }, body_contains = "SyntaxError: Unexpected token" }

[[steps]]
name = "the second pull stores the scripted token"
request = { method = "POST", url = "{{calcom.url}}/_calsim/credentials/{{id}}/refresh" }
expect = { json = { "$.judgement.accepted" = true, "$.status" = 200 } }

[[steps]]
name = "a guest with a generated name books tomorrow"
request = { method = "POST", url = "{{calcom.url}}/_calsim/bookings", json = { eventTypeId = 1, start = "{{time \"+1d\"}}", attendee = { name = "{{name}}", email = "{{email}}", timeZone = "UTC" } } }
expect = { status = 201, body_matches = "\"email\":\"guest-[0-9a-f]{8}@example.com\"" }
"#,
        "partner.toml",
    )
    .unwrap();

    let report = scenario::run(vec![scenario], &RunOptions::default())
        .await
        .remove(0);

    assert_eq!(report.failed(), 0, "{}", report.human());
}

#[tokio::test]
async fn the_revoked_token_example_passes_with_a_good_sync_endpoint_and_names_the_step_a_bad_one_breaks(
) {
    let partner = Partner::builder()
        .config(PartnerConfig {
            secret: SECRET.to_owned(),
            ..PartnerConfig::default()
        })
        .start()
        .await
        .unwrap();
    let empty = answering(StatusCode::OK).await;

    let good = run_example(
        "booking-with-a-revoked-token.toml",
        partner.sync_endpoint_url(),
    )
    .await;
    let bad = run_example("booking-with-a-revoked-token.toml", empty).await;

    assert_eq!(good.failed(), 0, "{}", good.human());
    assert_eq!(good.checks.len(), 3, "{}", good.human());
    assert_eq!(
        bad.failed_ids(),
        ["booking-with-a-revoked-token/the-retried-zoom-call-used-your-token-and-made-the-meeting"],
        "an empty 200 is no token, so Zoom refuses again and the booking falls back to Cal Video: {}",
        bad.human()
    );
}
