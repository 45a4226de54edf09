//! `calsim check sync-endpoint`: call a partner's sync endpoint exactly as Cal.com does
//! (also without and with a wrong secret) and judge each reply by Cal.com's rules
//! ([`crate::calcom::pull::judge`]).

use std::time::{Duration, Instant};

use axum::http::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::calcom::pull::{self, PullPath, PullRequest};
use crate::check::{Check, Report};
use crate::config::Config;
use crate::net::http_client;
use crate::protocol::error::Error;

/// What to check and how Cal.com is configured towards it.
#[derive(Clone, Debug)]
pub struct SyncEndpointTarget {
    /// The endpoint, as in `CALCOM_CREDENTIAL_SYNC_ENDPOINT`.
    pub url: String,
    /// Cal.com's side: generation, secret, header name (`sync_endpoint` is ignored).
    pub config: Config,
    /// The user id to ask for.
    pub user_id: i64,
    /// The app slug to ask for.
    pub app_slug: String,
    /// Also ask for this legacy-path app (its reply needs a numeric expiry field).
    pub legacy_app_slug: Option<String>,
    /// How long to wait for each answer.
    pub timeout: Duration,
}

struct Exchange {
    status: u16,
    body: bytes::Bytes,
}

/// Runs the checks; fails with [`Error::Peer`] only if the endpoint never answers.
pub async fn run(target: &SyncEndpointTarget) -> Result<Report, Error> {
    let started = Instant::now();
    let mut config = target.config.clone();
    config.sync_endpoint = target.url.clone();
    let client = http_client::build(target.timeout);
    let request = PullRequest::new(&config, target.user_id, &target.app_slug);
    let mut checks = match send(&client, &request, target.timeout).await {
        Ok(first) => vec![
            judge_pull(&config, &target.app_slug, &first, "answers-a-valid-pull"),
            replies_with_json(&first),
        ],
        Err(problem) if problem.starts_with(http_client::CONNECTION_FAILED) => {
            return Err(Error::Peer {
                url: target.url.clone(),
                problem,
            })
        }
        Err(problem) => vec![no_answer(
            "answers-a-valid-pull",
            "Cal.com gets an answer to its pull",
            problem,
        )],
    };
    if let Some(header) = config.pull_header_name().map(str::to_owned) {
        let mut missing = request.clone();
        missing.headers.retain(|(name, _)| *name != header);
        let mut wrong = request.clone();
        for (name, value) in &mut wrong.headers {
            if *name == header {
                *value = "calsim-wrong-secret".to_owned();
            }
        }
        for (id, rule, request) in [
            (
                "rejects-missing-secret",
                format!("a pull without the `{header}` header is refused without a token"),
                missing,
            ),
            (
                "rejects-wrong-secret",
                format!("a pull with a wrong `{header}` value is refused without a token"),
                wrong,
            ),
        ] {
            let exchange = send(&client, &request, target.timeout).await;
            checks.push(refuses(id, &rule, exchange, &header));
        }
    }
    let again = send(&client, &request, target.timeout).await;
    checks.push(match again {
        Ok(exchange) => judge_pull(&config, &target.app_slug, &exchange, "answers-again"),
        Err(problem) => no_answer("answers-again", "a second pull also gets a token", problem),
    });
    if let Some(legacy) = &target.legacy_app_slug {
        let request = PullRequest::new(&config, target.user_id, legacy);
        checks.push(match send(&client, &request, target.timeout).await {
            Ok(exchange) => judge_pull(&config, legacy, &exchange, "legacy-app-reply"),
            Err(problem) => no_answer(
                "legacy-app-reply",
                "a legacy-path app's pull gets a token",
                problem,
            ),
        });
    }
    Ok(Report {
        suite: "sync-endpoint".to_owned(),
        target: target.url.clone(),
        checks,
        elapsed: started.elapsed(),
    }
    .scrubbed(&[&target.config.sync_secret, &target.config.encryption_key]))
}

async fn send(
    client: &reqwest::Client,
    request: &PullRequest,
    timeout: Duration,
) -> Result<Exchange, String> {
    let mut builder = client.post(&request.url).body(request.body.clone());
    for (name, value) in &request.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            builder = builder.header(name, value);
        }
    }
    let response = builder
        .send()
        .await
        .map_err(|error| http_client::describe_error(&error, timeout))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|error| http_client::describe_error(&error, timeout))?;
    Ok(Exchange { status, body })
}

fn id(rule: &str) -> String {
    format!("sync-endpoint/{rule}")
}

fn judge_pull(config: &Config, app_slug: &str, exchange: &Exchange, rule_id: &str) -> Check {
    let path = PullPath::for_app(config, app_slug);
    let rule = match path {
        PullPath::OauthManager => format!("Cal.com accepts the reply to a `{app_slug}` pull (OAuthManager: needs a string access_token)"),
        PullPath::Legacy => format!("Cal.com accepts the reply to a `{app_slug}` pull (legacy path: needs access_token and a numeric expiry field)"),
    };
    let judgement = pull::judge(
        config,
        app_slug,
        exchange.status,
        &exchange.body,
        &Value::Object(Default::default()),
        0,
    );
    if !judgement.accepted {
        let fix = match path {
            PullPath::OauthManager => "answer 200 with a JSON object holding a string access_token, e.g. {\"access_token\":\"...\",\"expires_in\":3600}",
            PullPath::Legacy => "answer 200 with a JSON object holding a string access_token and a number such as expires_in (seconds) or expiry_date (epoch ms)",
        };
        return Check::fail(
            id(rule_id),
            rule,
            format!(
                "{} {} → Cal.com: {}",
                exchange.status,
                excerpt(&exchange.body),
                judgement.error.unwrap_or_default()
            ),
            "a token Cal.com can store",
            fix,
        );
    }
    if judgement.deviations.is_empty() {
        Check::pass(id(rule_id), rule)
    } else {
        Check::warn(id(rule_id), rule, judgement.deviations.join("; "))
    }
}

fn replies_with_json(exchange: &Exchange) -> Check {
    let rule = "the reply is a JSON object";
    match serde_json::from_slice::<Value>(&exchange.body) {
        Ok(Value::Object(_)) => Check::pass(id("replies-with-json"), rule),
        _ => Check::fail(
            id("replies-with-json"),
            rule,
            format!("{} {}", exchange.status, excerpt(&exchange.body)),
            "a JSON object",
            "serialize the token as JSON (Cal.com calls response.json())",
        ),
    }
}

fn refuses(rule_id: &str, rule: &str, exchange: Result<Exchange, String>, header: &str) -> Check {
    let exchange = match exchange {
        Ok(exchange) => exchange,
        Err(problem) => return no_answer(rule_id, rule, problem),
    };
    let leaks_token = serde_json::from_slice::<Value>(&exchange.body)
        .ok()
        .is_some_and(|body| body.get("access_token").is_some_and(Value::is_string));
    if (200..300).contains(&exchange.status) || leaks_token {
        return Check::fail(
            id(rule_id),
            rule,
            format!("{} {}", exchange.status, excerpt(&exchange.body)),
            "a 4xx answer without an access_token (the reference app: 403 {\"message\":\"secret header not set\"} / {\"message\":\"Invalid secret\"})",
            format!("compare the `{header}` header with CALCOM_CREDENTIAL_SYNC_SECRET before minting a token, and answer 403 when it is missing or different"),
        );
    }
    Check::pass(id(rule_id), rule)
}

fn no_answer(rule_id: &str, rule: &str, problem: String) -> Check {
    Check::fail(
        id(rule_id),
        rule,
        format!("no answer: {problem}"),
        "an answer within the timeout",
        "answer every pull promptly; Cal.com's request waits on it",
    )
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "(empty body)".to_owned(),
        None => text.into_owned(),
    }
}
