//! The `calsim` binary: serve, encrypt, decrypt.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const CALSIM: &str = env!("CARGO_BIN_EXE_calsim");
const K1: &str = "calsim-test-key-0123456789abcdef";
const A1: &str = "000102030405060708090a0b0c0d0e0f:fa970a760bcefce3b0b0312fb6ab249cae0e8a53d21e4f63aef8850c52240afa4fa72c1c7071f9cbba6b6e7a92f67325e9c1e6dc1d88a3f046a6e8234ccdff46";
const A1_PLAINTEXT: &str = r#"{"access_token":"abc","expiry_date":1700000000000}"#;

/// Runs calsim with a scrubbed environment (no Cal.com variables leak in).
fn calsim(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(CALSIM)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn encrypt_with_a_fixed_iv_prints_only_vector_a1() {
    let output = calsim(
        &[
            "encrypt",
            "--key",
            K1,
            "--iv",
            "000102030405060708090a0b0c0d0e0f",
            A1_PLAINTEXT,
        ],
        None,
    );

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("{A1}\n"));
}

#[test]
fn decrypt_reads_stdin_and_prints_only_the_plaintext() {
    let output = calsim(&["decrypt", "--key", K1], Some(&format!("{A1}\n")));

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("{A1_PLAINTEXT}\n"));
}

#[test]
fn encrypt_output_decrypts_with_openssl() {
    let encrypted = stdout(&calsim(&["encrypt", "--key", K1, A1_PLAINTEXT], None));
    let (iv, ciphertext) = encrypted.trim().split_once(':').unwrap();
    let ciphertext = hex::decode(ciphertext).unwrap();

    let mut openssl = Command::new("openssl")
        .args([
            "enc",
            "-d",
            "-aes-256-cbc",
            "-K",
            &hex::encode(K1),
            "-iv",
            iv,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl is installed (.ci/run installs it)");
    openssl
        .stdin
        .take()
        .unwrap()
        .write_all(&ciphertext)
        .unwrap();
    let decrypted = openssl.wait_with_output().unwrap();

    assert!(decrypted.status.success());
    assert_eq!(String::from_utf8(decrypted.stdout).unwrap(), A1_PLAINTEXT);
}

#[test]
fn a_44_character_key_is_refused_with_the_length_and_the_fix() {
    let output = calsim(
        &[
            "encrypt",
            "--key",
            "q3H0bWJ1y7kZ8u2Vx9aLr4Tn6cPe5sDfGhJkLmNoPq8=",
            "{}",
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.starts_with("error: "), "{message}");
    assert!(message.contains("44"), "{message}");
    assert!(message.contains("openssl rand -base64 24"), "{message}");
    assert!(stdout(&output).is_empty());
}

#[test]
fn decrypting_with_the_wrong_key_fails_with_bad_decrypt() {
    let output = calsim(
        &["decrypt", "--key", "calsim-test-key-0123456789abcdeX", A1],
        None,
    );

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("bad decrypt"),
        "{}",
        stderr(&output)
    );
}

/// A running `calsim serve`, killed on drop.
struct Served {
    child: Child,
    url: String,
    banner: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `calsim serve` on a free port and waits (at most 10 s) for its banner.
fn serve(args: &[&str], env: &[(&str, &str)]) -> Served {
    spawn_server("serve", args, env)
}

/// Starts a long-running subcommand on a free port and waits for its banner.
fn spawn_server(subcommand: &str, args: &[&str], env: &[(&str, &str)]) -> Served {
    let mut command = Command::new(CALSIM);
    command
        .args([subcommand, "--port", "0"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    loop {
        let line = received
            .recv_timeout(Duration::from_secs(10))
            .expect("the server prints its banner within 10 s");
        let done = line.starts_with("Press Ctrl-C");
        banner.push(line);
        if done {
            break;
        }
    }
    let url = banner[0].rsplit(' ').next().unwrap().to_owned();
    Served { child, url, banner }
}

fn push(url: &str, header: &str, secret: &str, key: &str) -> (u16, String) {
    let keys = stdout(&calsim(
        &["encrypt", "--key", key, r#"{"access_token":"abc"}"#],
        None,
    ));
    let body = format!(
        r#"{{"userId":1,"appSlug":"zoom","keys":"{}"}}"#,
        keys.trim()
    );
    post(
        &format!("{url}/api/webhook/app-credential"),
        &[(header, secret), ("content-type", "application/json")],
        body,
    )
}

/// GETs and returns the status and body (5 s limit).
fn get(url: &str) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    })
}

/// Runs a control command against the serve at `url`, expecting exit 0; its stdout.
fn run_against(url: &str, args: &[&str]) -> String {
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--url", url]);
    let output = calsim(&full, None);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// POSTs and returns the status and body (5 s limit).
fn post(url: &str, headers: &[(&str, &str)], body: String) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new()
            .post(url)
            .timeout(Duration::from_secs(5))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    })
}

#[test]
fn serve_prints_what_a_partner_needs_and_accepts_a_push_with_it() {
    let served = serve(&[], &[]);
    let banner = served.banner.join("\n");

    assert!(served.url.starts_with("http://127.0.0.1:"), "{banner}");
    assert!(
        banner.contains("calcom-credential-sync-secret: calsim-dev-sync-secret"),
        "{banner}"
    );
    assert!(
        banner.contains("  CALCOM_CREDENTIAL_SYNC_SECRET=calsim-dev-sync-secret"),
        "{banner}"
    );
    assert!(
        banner.contains("  CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY=calsim-dev-key-0123456789abcdef!"),
        "{banner}"
    );
    let pushed = push(
        &served.url,
        "calcom-credential-sync-secret",
        "calsim-dev-sync-secret",
        "calsim-dev-key-0123456789abcdef!",
    );
    assert_eq!(
        pushed,
        (
            200,
            r#"{"message":"Credentials created for userId: 1"}"#.to_owned()
        )
    );
}

#[test]
fn serve_reads_calcoms_env_vars_and_masks_them_in_the_banner() {
    let secret = "a-real-looking-secret-value";
    let served = serve(
        &[],
        &[
            ("CALCOM_CREDENTIAL_SYNC_SECRET", secret),
            ("CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY", K1),
        ],
    );
    let banner = served.banner.join("\n");

    assert!(!banner.contains(secret), "{banner}");
    assert!(!banner.contains(K1), "{banner}");
    assert_eq!(
        push(&served.url, "calcom-credential-sync-secret", secret, K1).0,
        200
    );
}

#[test]
fn serve_2023_09_reads_the_2023_names() {
    let served = serve(
        &["--profile", "2023-09"],
        &[
            ("CALCOM_WEBHOOK_SECRET", "old-secret-1234"),
            ("CALCOM_WEBHOOK_HEADER_NAME", "x-old-header"),
        ],
    );

    let (status, body) = push(
        &served.url,
        "x-old-header",
        "old-secret-1234",
        "calsim-dev-key-0123456789abcdef!",
    );

    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"message":"Credentials created for userId: 1"}"#)
    );
    assert!(served.banner.join("\n").contains("CALCOM_WEBHOOK_SECRET="));
}

#[test]
fn serve_on_a_busy_port_says_so_and_exits_2() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();

    let output = calsim(&["serve", "--port", &port], None);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("pick another --port"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unknown_profile_lists_the_known_ones() {
    let output = calsim(&["serve", "--profile", "2025"], None);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("2023-09, 2024-02, 2024-04-pages, current"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn serve_adds_an_app_from_its_config_json() {
    let served = serve(
        &["--app-config", "fixtures/apps/acme-calendar/config.json"],
        &[],
    );
    let keys = stdout(&calsim(
        &["encrypt", "--key", "calsim-dev-key-0123456789abcdef!", "{}"],
        None,
    ));
    let body = format!(
        r#"{{"userId":3,"appSlug":"acme-calendar","keys":"{}"}}"#,
        keys.trim()
    );

    let (_, answer) = post(
        &format!("{}/api/webhook/app-credential", served.url),
        &[("calcom-credential-sync-secret", "calsim-dev-sync-secret")],
        body,
    );

    assert_eq!(answer, r#"{"message":"Credentials created for userId: 3"}"#);
}

#[test]
fn serve_refuses_a_broken_app_config_with_the_rule() {
    let dir = std::env::temp_dir().join(format!("calsim-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.json");
    std::fs::write(&path, r#"{"name":"X","slug":"x","type":"x_calendar","logo":"i","variant":"nope","categories":["calendar"],"publisher":"p","email":"e","description":"d"}"#).unwrap();

    let output = calsim(
        &[
            "serve",
            "--port",
            "0",
            "--app-config",
            path.to_str().unwrap(),
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`variant` is `nope`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn partner_serves_scripted_tokens_to_a_pull() {
    let partner = spawn_server(
        "partner",
        &[
            "--token-style",
            "static",
            "--token",
            "t0k",
            "--expires-in",
            "60",
        ],
        &[],
    );
    let endpoint = format!("{}/api/getToken", partner.url);
    assert!(partner
        .banner
        .join("\n")
        .contains(&format!("CALCOM_CREDENTIAL_SYNC_ENDPOINT={endpoint}")));

    let (_, answer) = post(
        &endpoint,
        &[
            ("calcom-credential-sync-secret", "calsim-dev-sync-secret"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        "calcomUserId=1&appSlug=zoom".to_owned(),
    );

    assert_eq!(answer, r#"{"access_token":"t0k","expires_in":60}"#);
}

#[test]
fn push_credential_prints_calcoms_answer_and_exits_by_it() {
    let served = serve(&[], &[]);

    let created = calsim(
        &[
            "push-credential",
            "--to",
            &served.url,
            "--user",
            "1",
            "--app",
            "zoom",
            "--token",
            "abc",
        ],
        None,
    );
    let refused = calsim(
        &[
            "push-credential",
            "--to",
            &served.url,
            "--user",
            "1",
            "--app",
            "zoom",
            "--token",
            "abc",
            "--secret",
            "nope",
        ],
        None,
    );

    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    assert_eq!(
        stdout(&created),
        "200 {\"message\":\"Credentials created for userId: 1\"}\n"
    );
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        stdout(&refused),
        "403 {\"message\":\"Invalid credential sync secret\"}\n"
    );
}

#[test]
fn push_credential_to_nowhere_exits_2_with_what_to_check() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);

    let output = calsim(
        &[
            "push-credential",
            "--to",
            &url,
            "--user",
            "1",
            "--app",
            "zoom",
            "--token",
            "abc",
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is anything listening at that address?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn check_app_credential_passes_calsim_itself_and_exits_0() {
    let served = serve(&[], &[]);

    let output = calsim(&["check", "app-credential", "--url", &served.url], None);

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).ends_with("24 passed, 0 failed\n"),
        "{}",
        stdout(&output)
    );
}

/// `calsim check NAME` is the short form of `calsim run --suite NAME`: the same checks
/// from the same embedded file, and every runner flag works on both.
#[test]
fn check_is_run_suite_with_the_same_checks_and_runner_flags() {
    let served = serve(&["--profile", "2023-09"], &[]);

    let short = calsim(
        &[
            "check",
            "app-credential",
            "--url",
            &served.url,
            "--profile",
            "2023-09",
            "--format",
            "tap",
            "--filter",
            "app-credential",
        ],
        None,
    );
    let long = calsim(
        &[
            "run",
            "--suite",
            "app-credential",
            "--target",
            &served.url,
            "--var",
            "profile=2023-09",
            "--format",
            "tap",
        ],
        None,
    );

    assert_eq!(short.status.code(), Some(0), "{}", stdout(&short));
    assert_eq!(long.status.code(), Some(0), "{}", stdout(&long));
    assert_eq!(stdout(&short), stdout(&long));
    assert!(
        stdout(&short).starts_with("TAP version 14\n1..24\n"),
        "{}",
        stdout(&short)
    );
    assert!(
        stdout(&short).contains("ok 2 - app-credential/upserts"),
        "{}",
        stdout(&short)
    );
}

#[test]
fn a_suite_without_its_required_variable_exits_2_naming_the_flag() {
    let output = calsim(
        &[
            "run",
            "--suite",
            "webhook-consumer",
            "--target",
            "http://127.0.0.1:9/hook",
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("missing `secret`; pass --var secret=VALUE"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn suites_lists_every_built_in_suite_with_how_to_run_it() {
    let output = calsim(&["suites"], None);

    let text = stdout(&output);
    for name in [
        "app-credential",
        "sync-endpoint",
        "webhook-consumer",
        "credential-pusher",
        "subscription-client",
    ] {
        assert!(
            text.contains(&format!("calsim run --suite {name} --target URL")),
            "{name}: {text}"
        );
    }
    assert!(
        text.contains("--suite webhook-consumer --target URL --var secret=..."),
        "{text}"
    );
}

#[test]
fn check_failures_exit_1_with_json_and_junit_reports() {
    let served = serve(&["--profile", "2023-09"], &[]);
    let junit = std::env::temp_dir().join(format!("calsim-junit-{}.xml", std::process::id()));

    let output = calsim(
        &[
            "check",
            "app-credential",
            "--url",
            &served.url,
            "--format",
            "json",
            "--junit",
            junit.to_str().unwrap(),
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let failed = reports[0]["failed"].as_u64().unwrap();
    assert!(failed > 0, "judged as current, a 2023-09 server differs");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains(&format!(r#"failures="{failed}""#)), "{xml}");
    std::fs::remove_file(junit).unwrap();
}

#[test]
fn check_against_nothing_exits_2() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/getToken", dead.local_addr().unwrap());
    drop(dead);

    let output = calsim(&["check", "sync-endpoint", "--url", &url], None);

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("connection failed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn check_sync_endpoint_against_calsim_partner() {
    let partner = spawn_server(
        "partner",
        &[
            "--expires-in",
            "3600",
            "--token-style",
            "rotating",
            "--slugs",
            "*",
        ],
        &[],
    );
    let endpoint = format!("{}/api/getToken", partner.url);

    let output = calsim(
        &[
            "check",
            "sync-endpoint",
            "--url",
            &endpoint,
            "--also-legacy",
            "hubspot",
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).ends_with("6 passed, 0 failed\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn the_gcm_variant_round_trips_and_is_not_calcoms_format() {
    let encrypted = calsim(&["encrypt", "--gcm", "--key", K1, A1_PLAINTEXT], None);
    let text = stdout(&encrypted);

    let decrypted = calsim(&["decrypt", "--gcm", "--key", K1, text.trim()], None);
    let as_calcom = calsim(&["decrypt", "--key", K1, text.trim()], None);

    assert_eq!(text.trim().split(':').count(), 3, "{text}");
    assert_eq!(stdout(&decrypted), format!("{A1_PLAINTEXT}\n"));
    assert_eq!(
        as_calcom.status.code(),
        Some(2),
        "a GCM text must not decrypt as Cal.com's CBC"
    );
}

#[test]
fn trigger_delivers_to_receive_which_verifies_and_records_it() {
    let record =
        std::env::temp_dir().join(format!("calsim-cli-record-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&record);
    let receiver = spawn_server(
        "receive",
        &["--secret", "s3cret", "--record", record.to_str().unwrap()],
        &[],
    );
    let to = format!("{}/hook?nangoConnectionId=conn-1", receiver.url);
    let fixture = "fixtures/payloads/BOOKING_CANCELLED.json";
    let at = "2024-01-01T00:00:00Z";

    let sent = calsim(
        &[
            "trigger",
            "BOOKING_CANCELLED",
            "--to",
            &to,
            "--secret",
            "s3cret",
            "--payload",
            fixture,
            "--created-at",
            at,
        ],
        None,
    );
    let again = calsim(
        &[
            "trigger",
            "BOOKING_CANCELLED",
            "--to",
            &to,
            "--secret",
            "s3cret",
            "--payload",
            fixture,
            "--created-at",
            at,
        ],
        None,
    );
    let wrong = calsim(
        &[
            "trigger",
            "BOOKING_CANCELLED",
            "--to",
            &to,
            "--secret",
            "nope",
        ],
        None,
    );
    let ping = calsim(&["ping", "--to", &to, "--secret", "s3cret"], None);

    assert_eq!(
        (sent.status.code(), stdout(&sent).as_str()),
        (Some(0), "200\n"),
        "{}",
        stderr(&sent)
    );
    assert_eq!(
        (wrong.status.code(), stdout(&wrong).as_str()),
        (Some(1), "401\n")
    );
    assert_eq!(ping.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0]["body"], lines[1]["body"],
        "--payload with --created-at is reproducible"
    );
    assert!(lines[0]["body"].as_str().unwrap().starts_with(r#"{"triggerEvent":"BOOKING_CANCELLED","createdAt":"2024-01-01T00:00:00.000Z","payload":{"bookerUrl""#));
    assert_eq!(lines[0]["signature"], "valid");
    assert_eq!(lines[2]["signature"], "invalid");
    assert_eq!(lines[3]["triggerEvent"], "PING");
    assert_eq!(again.status.code(), Some(0));
    std::fs::remove_file(record).unwrap();
}

#[test]
fn an_unknown_trigger_suggests_the_closest() {
    let output = calsim(
        &["trigger", "BOOKING_CREATD", "--to", "http://127.0.0.1:9"],
        None,
    );

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean BOOKING_CREATED?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn trigger_with_a_template_sends_the_rendered_body_with_its_content_type() {
    let record =
        std::env::temp_dir().join(format!("calsim-cli-template-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&record);
    let receiver = spawn_server("receive", &["--record", record.to_str().unwrap()], &[]);

    let sent = calsim(
        &[
            "trigger",
            "BOOKING_CREATED",
            "--to",
            &format!("{}/hook?nangoConnectionId=conn-1", receiver.url),
            "--template",
            "fixtures/templates/nango-guide.hbs",
            "--created-at",
            "2024-01-01T00:00:00Z",
        ],
        None,
    );

    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    let line: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&record)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let content_type = line["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == "content-type")
        .unwrap()[1]
        .clone();
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    assert!(line["body"]
        .as_str()
        .unwrap()
        .contains(r#""organizer":[object Object]"#));
    std::fs::remove_file(record).unwrap();
}

#[test]
fn check_webhook_consumer_on_calsim_receive_fails_only_where_nango_does() {
    let receiver = spawn_server("receive", &["--secret", "s3cret"], &[]);

    let output = calsim(
        &[
            "check",
            "webhook-consumer",
            "--url",
            &format!("{}/hook?nangoConnectionId=conn-1", receiver.url),
            "--secret",
            "s3cret",
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).ends_with("29 passed, 1 failed\n"),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("FAIL webhook-consumer/accepts-form-template-bodies"));
}

#[test]
fn serve_api_key_authenticates_the_v2_api() {
    let served = serve(&["--api-key", "cal_my_own_key"], &[]);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let statuses = runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        for key in ["cal_my_own_key", "cal_calsim_admin_key"] {
            let response = client
                .get(format!("{}/v2/webhooks", served.url))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
        }
        statuses
    });

    assert_eq!(statuses, [200, 401]);
}

#[test]
fn booking_commands_drive_the_lifecycle_of_a_running_serve() {
    let served = serve(&[], &[]);

    let created = calsim(
        &[
            "booking",
            "--url",
            &served.url,
            "create",
            "--event-type",
            "1",
            "--start",
            "2030-01-01T10:00:00Z",
            "--requires-confirmation",
        ],
        None,
    );
    let step: serde_json::Value = serde_json::from_str(&stdout(&created)).unwrap();
    let uid = step["booking"]["uid"].as_str().unwrap().to_owned();
    let confirmed = calsim(&["booking", "--url", &served.url, "confirm", &uid], None);
    let again = calsim(&["booking", "--url", &served.url, "confirm", &uid], None);

    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    assert_eq!(step["trigger"], "BOOKING_REQUESTED");
    assert_eq!(confirmed.status.code(), Some(0));
    assert!(
        stdout(&confirmed).contains(r#""trigger": "BOOKING_CREATED""#),
        "{}",
        stdout(&confirmed)
    );
    assert_eq!(
        again.status.code(),
        Some(1),
        "confirming twice is refused (409)"
    );
}

#[test]
fn trigger_no_version_header_leaves_out_x_cal_webhook_version() {
    let record =
        std::env::temp_dir().join(format!("calsim-cli-version-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&record);
    let receiver = spawn_server("receive", &["--record", record.to_str().unwrap()], &[]);
    let to = format!("{}/hook?nangoConnectionId=c", receiver.url);

    let with = calsim(&["trigger", "BOOKING_CREATED", "--to", &to], None);
    let without = calsim(
        &[
            "trigger",
            "BOOKING_CREATED",
            "--to",
            &to,
            "--no-version-header",
        ],
        None,
    );

    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    assert_eq!(without.status.code(), Some(0), "{}", stderr(&without));
    let versions: Vec<bool> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|line| {
            let line: serde_json::Value = serde_json::from_str(line).unwrap();
            line["headers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|pair| pair[0] == "x-cal-webhook-version")
        })
        .collect();
    assert_eq!(versions, [true, false]);
    std::fs::remove_file(record).unwrap();
}

/// A consumer that accepts connections and never answers: every check times out.
#[test]
fn check_timeout_ms_bounds_every_request_and_tap_reports_it() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", silent.local_addr().unwrap());

    let output = calsim(
        &[
            "check",
            "webhook-consumer",
            "--url",
            &url,
            "--secret",
            "s",
            "--timeout-ms",
            "150",
            "--format",
            "tap",
        ],
        None,
    );

    let tap = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        tap.starts_with("TAP version 14\n1..30\nnot ok 1 - webhook-consumer/accepts-ping"),
        "{tap}"
    );
    assert!(tap.contains("no answer within 150 ms"), "{tap}");
    assert!(tap.contains("  fix: \""), "{tap}");
    drop(silent);
}

const CANCELLED: &str = r#"{"triggerEvent":"BOOKING_CANCELLED","createdAt":"2024-01-02T00:00:00.000Z","payload":{"uid":"u1","startTime":"2024-01-05T10:00:00Z"}}"#;

fn recording_of_two_deliveries(name: &str) -> std::path::PathBuf {
    let file = std::env::temp_dir().join(format!("calsim-cli-{name}-{}.jsonl", std::process::id()));
    let created = r#"{"triggerEvent":"BOOKING_CREATED","createdAt":"2024-01-01T00:00:00.000Z","payload":{"uid":"u1","startTime":"2024-01-05T10:00:00Z"}}"#;
    let lines: String = [created, CANCELLED]
        .iter()
        .map(|body| {
            format!(
                "{}\n",
                serde_json::json!({"method": "POST", "url": "/hook", "headers": [["content-type", "application/json"]], "body": body})
            )
        })
        .collect();
    std::fs::write(&file, lines).unwrap();
    file
}

#[test]
fn replay_sends_a_recording_re_signed_and_exits_by_the_answers() {
    let file = recording_of_two_deliveries("replay");
    let before = std::fs::read(&file).unwrap();
    let lenient = spawn_server(
        "receive",
        &["--secret", "new", "--accept-missing-connection-id"],
        &[],
    );
    let nango = spawn_server("receive", &["--secret", "new"], &[]);

    let accepted = calsim(
        &[
            "replay",
            file.to_str().unwrap(),
            "--to",
            &format!("{}/hook", lenient.url),
            "--secret",
            "new",
            "--shift-time",
            "2030-01-01T00:00:00Z",
        ],
        None,
    );
    let refused = calsim(
        &[
            "replay",
            file.to_str().unwrap(),
            "--to",
            &format!("{}/hook", nango.url),
            "--secret",
            "new",
        ],
        None,
    );
    let unsigned = calsim(
        &[
            "replay",
            file.to_str().unwrap(),
            "--to",
            &format!("{}/hook", lenient.url),
        ],
        None,
    );

    assert_eq!(
        accepted.status.code(),
        Some(0),
        "{}{}",
        stdout(&accepted),
        stderr(&accepted)
    );
    assert!(
        stdout(&accepted).contains("#1 BOOKING_CREATED POST"),
        "{}",
        stdout(&accepted)
    );
    assert!(
        stdout(&accepted).ends_with("2 sent, 2 accepted (2xx), 0 not\n"),
        "{}",
        stdout(&accepted)
    );
    assert_eq!(
        refused.status.code(),
        Some(1),
        "Nango refuses deliveries without a connection id"
    );
    assert!(stdout(&refused).contains("-> 400"), "{}", stdout(&refused));
    assert_eq!(
        unsigned.status.code(),
        Some(1),
        "unsigned deliveries are refused with a secret set"
    );
    assert!(
        stdout(&unsigned).contains("-> 401"),
        "{}",
        stdout(&unsigned)
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the recording is never modified"
    );
    std::fs::remove_file(file).unwrap();
}

#[test]
fn replay_dry_run_shows_the_selection_and_sends_nothing() {
    let file = recording_of_two_deliveries("dry-run");

    let output = calsim(
        &[
            "replay",
            file.to_str().unwrap(),
            "--to",
            "http://127.0.0.1:9/hook",
            "--only",
            "BOOKING_CANCELLED",
            "--dry-run",
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!(
            "#2 BOOKING_CANCELLED POST http://127.0.0.1:9/hook ({} bytes)\ndry run: 1 requests, nothing sent\n",
            CANCELLED.len()
        )
    );
    std::fs::remove_file(file).unwrap();
}

#[test]
fn journal_exports_har_from_a_running_serve() {
    let served = serve(&[], &[]);
    let har = std::env::temp_dir().join(format!("calsim-cli-{}.har", std::process::id()));
    let (status, _) = post(
        &format!("{}/api/webhook/app-credential", served.url),
        &[("content-type", "application/json")],
        "{}".to_owned(),
    );
    assert_eq!(status, 403);

    let output = calsim(
        &[
            "journal",
            "--from",
            &served.url,
            "--har",
            har.to_str().unwrap(),
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("wrote 1 entries to {}\n", har.display())
    );
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&har).unwrap()).unwrap();
    assert_eq!(document["log"]["entries"][0]["response"]["status"], 403);
    assert_eq!(
        document["log"]["entries"][0]["request"]["url"],
        format!("{}/api/webhook/app-credential", served.url)
    );
    std::fs::remove_file(har).unwrap();
}

/// The README's lifecycle example: a booking's MEETING_STARTED fires when the clock is
/// moved to the next scheduled job.
#[test]
fn clock_advance_next_fires_the_booked_meeting_start() {
    let served = serve(&[], &[]);
    let receiver = spawn_server("receive", &["--accept-missing-connection-id"], &[]);
    let (status, _) = post(
        &format!("{}/v2/webhooks", served.url),
        &[
            ("authorization", "Bearer cal_calsim_admin_key"),
            ("content-type", "application/json"),
        ],
        format!(
            r#"{{"subscriberUrl":"{}/hook","triggers":["MEETING_STARTED"],"active":true}}"#,
            receiver.url
        ),
    );
    assert_eq!(status, 201);
    let booked = calsim(
        &[
            "booking",
            "create",
            "--url",
            &served.url,
            "--start",
            "2030-01-01T10:00:00Z",
        ],
        None,
    );
    assert_eq!(booked.status.code(), Some(0), "{}", stdout(&booked));

    let moved = calsim(&["clock", "advance", "--next", "--url", &served.url], None);

    assert_eq!(
        moved.status.code(),
        Some(0),
        "{}{}",
        stdout(&moved),
        stderr(&moved)
    );
    let text = stdout(&moved);
    assert!(text.starts_with("clock 2030-01-01T10:00:00"), "{text}");
    assert!(
        text.contains(&format!("fired to {}/hook -> 200", receiver.url)),
        "{text}"
    );
    assert!(text.ends_with("1 deliveries\n"), "{text}");
    let shown = calsim(&["clock", "--url", &served.url, "--json"], None);
    let clock: serde_json::Value = serde_json::from_str(&stdout(&shown)).unwrap();
    assert!(clock["offsetMs"].as_i64().unwrap() > 0);
}

#[test]
fn an_unknown_booking_uid_is_named_with_the_uids_that_exist() {
    let served = serve(&[], &[]);
    calsim(
        &[
            "booking",
            "create",
            "--url",
            &served.url,
            "--start",
            "2030-01-01T10:00:00Z",
        ],
        None,
    );

    let output = calsim(
        &[
            "booking",
            "cancel",
            "calsim-booking-999",
            "--url",
            &served.url,
        ],
        None,
    );

    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output)
            .contains("no booking with uid calsim-booking-999; the newest are calsim-booking-100"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn serve_prints_one_json_line_when_ready_and_answers_the_index_with_or_without_slash() {
    let mut child = Command::new(CALSIM)
        .args(["serve", "--port", "0", "--ready-json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = ready["url"].as_str().unwrap().to_owned();

    let with_slash = get(&format!("{url}/_calsim/"));
    let without = get(&format!("{url}/_calsim"));
    let page = get(&format!("{url}/_calsim/ui"));

    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        ready["port"].as_u64().unwrap().to_string(),
        url.rsplit(':').next().unwrap()
    );
    assert_eq!(ready["inspector"], format!("{url}/_calsim/ui"));
    assert_eq!(with_slash.0, 200, "{}", with_slash.1);
    assert_eq!(without, with_slash);
    assert_eq!(page.0, 200);
    assert!(page.1.contains("calsim inspector"));
}

/// Every control operation from the shell, against one running serve: subscriptions,
/// credentials, users, the configuration changed without a restart (state kept,
/// journaled, secrets masked) and the journal as lines and JSON.
#[test]
fn the_control_cli_drives_a_running_serve_without_restarts() {
    let served = serve(&[], &[]);
    let partner = spawn_server("partner", &[], &[]);
    let url = served.url.as_str();
    let run = |args: &[&str]| run_against(url, args);

    let created = run(&[
        "subscriptions",
        "create",
        "--to",
        "http://127.0.0.1:9/hook",
        "--triggers",
        "BOOKING_CREATED,BOOKING_CANCELLED",
        "--secret",
        "s3cret",
    ]);
    let id = created.trim().strip_prefix("created ").unwrap().to_owned();
    assert!(run(&["subscriptions", "list"]).contains(&format!("{id} http://127.0.0.1:9/hook")));
    assert_eq!(
        run(&["users", "add", "42", "--email", "ada@example.com"]),
        "user 42 <ada@example.com>\n"
    );
    let (status, _) = push(
        url,
        "calcom-credential-sync-secret",
        "calsim-dev-sync-secret",
        "calsim-dev-key-0123456789abcdef!",
    );
    assert_eq!(status, 200);
    assert!(run(&["credentials", "list"]).contains("#1 user 1 zoom (zoom_video)"));
    let changed = run(&[
        "config",
        "set",
        &format!("syncEndpoint={}/api/getToken", partner.url),
        "syncSecret=calsim-dev-sync-secret",
        "webhookAttempts=3",
    ]);
    assert!(
        changed.contains(&format!("syncEndpoint       {}/api/getToken", partner.url)),
        "{changed}"
    );
    assert!(changed.contains("pullEnabled        true"), "{changed}");
    assert!(run(&["credentials", "expire", "1"]).starts_with("#1 user 1 zoom"));
    assert_eq!(
        run(&["credentials", "refresh", "1"]),
        "partner answered 200 -> token stored\n"
    );
    assert!(
        run(&["credentials", "list"]).contains("#1 user 1 zoom"),
        "state survives the change"
    );
    assert_eq!(
        run(&["subscriptions", "delete", &id]),
        format!("deleted {id}\n")
    );

    let lines = calsim(&["journal", "--from", url], None);
    let journal = stdout(&lines);
    assert!(
        journal.contains(" app-credential POST /api/webhook/app-credential -> 200"),
        "{journal}"
    );
    assert!(
        journal.contains(" control PATCH /_calsim/config -> 200"),
        "{journal}"
    );
    assert!(journal.contains(" pull POST "), "{journal}");
    let json = calsim(
        &["journal", "--from", url, "--json", "--surface", "control"],
        None,
    );
    let entries: Vec<serde_json::Value> = stdout(&json)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(entries.len(), 1);
    assert!(
        !entries[0]["request"]["body"]
            .as_str()
            .unwrap()
            .contains("calsim-dev-sync-secret"),
        "secrets masked: {}",
        entries[0]
    );
    assert_eq!(
        entries[0]["verdict"]["changed"],
        serde_json::json!(["syncEndpoint", "syncSecret", "webhookAttempts"])
    );
}

/// `calsim journal --follow` prints exchanges as they happen, and a recorded delivery can
/// be re-sent byte for byte (`POST /_calsim/journal/{id}/resend`).
#[test]
fn journal_follow_prints_live_exchanges_including_a_resent_delivery() {
    let served = serve(&[], &[]);
    let receiver = spawn_server(
        "receive",
        &["--accept-missing-connection-id", "--secret", "s3cret"],
        &[],
    );
    let (status, _) = post(
        &format!("{}/v2/webhooks", served.url),
        &[
            ("authorization", "Bearer cal_calsim_admin_key"),
            ("content-type", "application/json"),
        ],
        format!(
            r#"{{"subscriberUrl":"{}/hook","triggers":["BOOKING_CREATED"],"active":true,"secret":"s3cret"}}"#,
            receiver.url
        ),
    );
    assert_eq!(status, 201);
    let mut follower = Command::new(CALSIM)
        .args([
            "journal",
            "--from",
            &served.url,
            "--surface",
            "webhook",
            "--follow",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = follower.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let booked = calsim(
        &[
            "booking",
            "create",
            "--url",
            &served.url,
            "--start",
            "2030-01-01T10:00:00Z",
        ],
        None,
    );
    assert_eq!(booked.status.code(), Some(0));
    let first = received
        .recv_timeout(Duration::from_secs(10))
        .expect("a live line");
    let id = first
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches('#')
        .to_owned();
    let (resent_status, resent) = post(
        &format!("{}/_calsim/journal/{id}/resend", served.url),
        &[],
        String::new(),
    );
    let second = received
        .recv_timeout(Duration::from_secs(10))
        .expect("the re-sent delivery, live");

    let _ = follower.kill();
    let _ = follower.wait();
    assert!(
        first.contains(&format!(
            " webhook POST {}/hook -> 200 [BOOKING_CREATED]",
            receiver.url
        )),
        "{first}"
    );
    assert_eq!(resent_status, 200, "{resent}");
    assert!(
        second.contains(&format!(
            " webhook POST {}/hook -> 200 [BOOKING_CREATED]",
            receiver.url
        )),
        "{second}"
    );
    let (_, deliveries) = get(&format!("{}/_calsim/journal", receiver.url));
    let deliveries: Vec<serde_json::Value> = serde_json::from_str(&deliveries).unwrap();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(
        deliveries[0]["request"]["body"], deliveries[1]["request"]["body"],
        "the same bytes"
    );
    assert_eq!(
        deliveries[1]["verdict"]["signature"], "valid",
        "with the recorded signature"
    );
}

#[test]
fn the_journal_limits_are_settings() {
    let file = std::env::temp_dir().join(format!("calsim-journal-{}.toml", std::process::id()));
    std::fs::write(&file, "journal_capacity = 2\njournal_max_bytes = 1000000\n").unwrap();
    let served = serve(&["--config", file.to_str().unwrap()], &[]);

    for _ in 0..3 {
        post(
            &format!("{}/api/webhook/app-credential", served.url),
            &[],
            "{}".to_owned(),
        );
    }
    let (_, journal) = get(&format!("{}/_calsim/journal", served.url));

    let entries: Vec<serde_json::Value> = serde_json::from_str(&journal).unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|entry| entry["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [2, 3]
    );
    std::fs::remove_file(file).unwrap();
}

#[test]
fn providers_and_event_types_commands_rehearse_an_outage_on_a_running_serve() {
    let served = serve(&[], &[]);
    let url = served.url.as_str();
    let run = |args: &[&str]| run_against(url, args);
    let keys = stdout(&calsim(
        &[
            "encrypt",
            "--key",
            "calsim-dev-key-0123456789abcdef!",
            r#"{"access_token":"zoom-abc","expiry_date":4102444800000}"#,
        ],
        None,
    ));
    let (status, answer) = post(
        &format!("{url}/api/webhook/app-credential"),
        &[
            ("calcom-credential-sync-secret", "calsim-dev-sync-secret"),
            ("content-type", "application/json"),
        ],
        format!(
            r#"{{"userId":1,"appSlug":"zoom","keys":"{}"}}"#,
            keys.trim()
        ),
    );
    assert_eq!(status, 200, "{answer}");

    let set = run(&[
        "event-types",
        "set",
        "1",
        "--location",
        "integrations:zoom",
        "--price",
        "0",
    ]);
    assert!(set.contains(r#""location":"integrations:zoom""#), "{set}");
    assert!(run(&["event-types"]).contains("integrations:zoom"));
    let fault = run(&[
        "providers",
        "fault",
        "zoom",
        "--status",
        "503",
        "--times",
        "1",
    ]);
    assert!(
        fault.starts_with("zoom fails:") && fault.contains("503"),
        "{fault}"
    );
    let book = |start: &str| run(&["booking", "create", "--event-type", "1", "--start", start]);

    let during: serde_json::Value = serde_json::from_str(&book("2030-01-01T10:00:00Z")).unwrap();
    let after_outage = run(&["providers", "records"]);
    let after: serde_json::Value = serde_json::from_str(&book("2030-01-02T10:00:00Z")).unwrap();
    let after_recovery = run(&["providers", "records"]);

    assert_eq!(
        during["appsStatus"],
        serde_json::json!([{"appName": "Zoom Video", "type": "daily_video", "success": 0, "failures": 1, "errors": []}]),
        "the outage shows in the step, as in the webhook: {during}"
    );
    assert_eq!(after["appsStatus"][0]["type"], "zoom_video");
    assert_eq!(after["appsStatus"][0]["success"], 1);

    assert_eq!(after_outage, "", "the 503 created nothing");
    assert!(
        after_recovery.starts_with("zoom create "),
        "the fault applied once: {after_recovery}"
    );
    assert_eq!(
        run(&["providers", "clear", "zoom"]),
        "zoom answers normally\n"
    );
    let refused = calsim(&["providers", "fault", "zoom", "--url", url], None);
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        stderr(&refused).contains("--status"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn under_load_the_log_keeps_to_fifty_lines_a_second_and_counts_the_rest() {
    let log = std::env::temp_dir().join(format!("calsim-log-budget-{}.txt", std::process::id()));
    let mut child = Command::new(CALSIM)
        .args(["serve", "--port", "0", "--ready-json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let port = serde_json::from_str::<serde_json::Value>(&ready).unwrap()["port"]
        .as_u64()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/api/webhook/app-credential");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let push = || {
        runtime.block_on(async {
            let answer = client
                .post(&url)
                .header("calcom-credential-sync-secret", "wrong")
                .body("{}")
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 403);
        });
    };
    let read = || std::fs::read_to_string(&log).unwrap_or_default();

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut pushes = 0;
    while !read().contains("log lines left out") {
        for _ in 0..100 {
            push();
        }
        pushes += 100;
        assert!(
            std::time::Instant::now() < deadline,
            "no left-out note after {pushes} pushes: {}",
            read()
        );
    }
    let _ = child.kill();
    let _ = child.wait();

    let text = read();
    let _ = std::fs::remove_file(&log);
    let logged = text.matches("app-credential:").count();
    assert!(
        logged < pushes,
        "{logged} lines for {pushes} pushes: the budget left some out"
    );
    assert!(
        text.lines()
            .any(|line| line.contains(" WARN ")
                && line.contains("log lines left out (at most 50 a second); `calsim journal --follow` shows every exchange")),
        "{text}"
    );
}
