//! Running one step: do its action, then judge the answer against its expectations.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::calcom::pull::{judge, PullRequest};
use crate::calcom::simulator::Simulator;
use crate::check::excerpt;
use crate::config::Config;
use crate::net::delivery::Outgoing;
use crate::net::http_client;
use crate::net::journal::Surface;
use crate::partner::push_client::{self, PushOptions, Via};
use crate::protocol::js_value::{stringify, JsValue};
use crate::protocol::profile::Profile;
use crate::protocol::trigger::TriggerEvent;
use crate::protocol::{payload, template};
use crate::scenario::model::{
    DeliverStep, Expect, JournalStep, PullStep, PushStep, RequestStep, Step,
};
use crate::scenario::vars::Vars;

/// What came back from a step's action.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    /// The status, when an HTTP answer arrived.
    pub status: Option<u16>,
    /// Response headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
    /// For a pull: whether Cal.com takes the token.
    pub accepted: Option<bool>,
    /// What was done, for reports (`POST http://... -> 201`).
    pub summary: String,
}

/// Why a step failed: what was found, what was expected.
#[derive(Clone, Debug)]
pub struct Failure {
    /// What the implementation did.
    pub found: String,
    /// What the scenario expected.
    pub expected: String,
}

fn failure(found: impl Into<String>, expected: impl Into<String>) -> Failure {
    Failure {
        found: found.into(),
        expected: expected.into(),
    }
}

/// Runs a step: its action, its expectations, its captures.
pub async fn run(
    step: &Step,
    vars: &mut Vars,
    simulator: &Simulator,
    timeout: Duration,
) -> Result<Answer, Failure> {
    let answer = act(step, vars, simulator, timeout).await?;
    check(&step.expect, &answer, vars)?;
    for (name, source) in &step.capture {
        let value = capture(source, &answer).ok_or_else(|| {
            failure(
                format!("nothing at `{source}` in {}", excerpt(&answer.body)),
                format!("a value to capture as `{name}`"),
            )
        })?;
        vars.set(name, value);
    }
    Ok(answer)
}

async fn act(
    step: &Step,
    vars: &mut Vars,
    simulator: &Simulator,
    timeout: Duration,
) -> Result<Answer, Failure> {
    let bad = |problem: String| failure(problem, "a step calsim can run");
    if let Some(request) = &step.request {
        return send_request(request, vars, timeout).await.map_err(bad);
    }
    if let Some(deliver) = &step.deliver {
        return send_delivery(deliver, vars, timeout).await.map_err(bad);
    }
    if let Some(pull) = &step.pull {
        return send_pull(pull, vars, timeout).await.map_err(bad);
    }
    if let Some(push) = &step.push {
        return send_push(push, vars, timeout).await.map_err(bad);
    }
    if let Some(journal) = &step.journal {
        return wait_for_journal(journal, vars, simulator).await;
    }
    Err(bad("the step has no action".to_owned()))
}

async fn read(response: reqwest::Response, summary: String) -> Answer {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response.text().await.unwrap_or_default();
    Answer {
        status: Some(status),
        headers,
        body,
        accepted: None,
        summary: format!("{summary} -> {status}"),
    }
}

async fn send_request(
    request: &RequestStep,
    vars: &mut Vars,
    timeout: Duration,
) -> Result<Answer, String> {
    let url = vars.fill(&request.url)?;
    let body = match (&request.json, &request.body) {
        (Some(json), _) => Some(stringify(&vars.fill_json(&toml_to_json(json))?)),
        (None, Some(body)) => Some(vars.fill(body)?),
        (None, None) => None,
    };
    let method = match &request.method {
        Some(method) => vars.fill(method)?.to_ascii_uppercase(),
        None if body.is_some() => "POST".to_owned(),
        None => "GET".to_owned(),
    };
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("`{method}` is not an HTTP method"))?;
    let client = http_client::build(timeout);
    let mut builder = client.request(method.clone(), &url);
    if request.json.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), vars.fill(value)?);
    }
    if let Some(body) = body {
        builder = builder.body(body);
    }
    let summary = format!("{method} {url}");
    match builder.send().await {
        Ok(response) => Ok(read(response, summary).await),
        Err(error) => Ok(no_answer(summary, &error, timeout)),
    }
}

fn no_answer(summary: String, error: &reqwest::Error, timeout: Duration) -> Answer {
    Answer {
        summary: format!(
            "{summary}: no answer ({})",
            http_client::describe_error(error, timeout)
        ),
        ..Answer::default()
    }
}

async fn send_delivery(
    deliver: &DeliverStep,
    vars: &mut Vars,
    timeout: Duration,
) -> Result<Answer, String> {
    let trigger: TriggerEvent = vars
        .fill(&deliver.trigger)?
        .parse()
        .map_err(|error| format!("{error}"))?;
    let data = match &deliver.data {
        Some(data) => vars.fill_json(&toml_to_json(data))?,
        None if trigger == TriggerEvent::Ping => {
            Value::Object(payload::ping_data(jiff::Timestamp::now()))
        }
        None => {
            let example = payload::built_in(trigger)
                .ok_or_else(|| format!("calsim has no example data for {trigger}; give `data`"))?;
            JsValue::parse(example)
                .map(Value::from)
                .map_err(|error| format!("example data: {error}"))?
        }
    };
    let Value::Object(data) = data else {
        return Err(
            "`data` must be a table (the event data Cal.com sends as `payload`)".to_owned(),
        );
    };
    let created_at = match &deliver.created_at {
        Some(at) => vars.fill(at)?,
        None => payload::iso_string(jiff::Timestamp::now()),
    };
    let (body, content_type) = match &deliver.template {
        Some(text) => {
            let rendered =
                payload::build_templated_body(&vars.fill(text)?, trigger, &created_at, data)
                    .map_err(|error| error.to_string())?;
            (rendered.body, rendered.content_type)
        }
        None => (
            payload::build_body(trigger, &created_at, data),
            template::JSON,
        ),
    };
    let to = vars.fill(&deliver.to)?;
    let secret = deliver
        .secret
        .as_deref()
        .map(|secret| vars.fill(secret))
        .transpose()?;
    let outgoing = Outgoing::signed(&to, body, content_type, secret.as_deref(), true);
    let client = http_client::build(timeout);
    let summary = format!("{trigger} delivery to {to}");
    let sent = client
        .post(&outgoing.url)
        .headers(outgoing.headers.clone())
        .body(outgoing.body.clone())
        .send()
        .await;
    match sent {
        Ok(response) => Ok(read(response, summary).await),
        Err(error) => Ok(no_answer(summary, &error, timeout)),
    }
}

async fn send_pull(pull: &PullStep, vars: &mut Vars, timeout: Duration) -> Result<Answer, String> {
    let mut config = Config::default();
    if let Some(profile) = &pull.profile {
        let profile: Profile = vars
            .fill(profile)?
            .parse()
            .map_err(|error| format!("{error}"))?;
        config.set_profile(profile);
    }
    if let Some(secret) = &pull.secret {
        config.sync_secret = vars.fill(secret)?;
    }
    config.sync_endpoint = vars.fill(&pull.url)?;
    let app = match &pull.app {
        Some(app) => vars.fill(app)?,
        None => "google-calendar".to_owned(),
    };
    let request = PullRequest::new(&config, pull.user_id.unwrap_or(1), &app);
    let client = http_client::node_fetch(timeout);
    let mut builder = client.post(&request.url).body(request.body.clone());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let summary = format!("pull for {app} from {}", request.url);
    let response = match builder.send().await {
        Ok(response) => response,
        Err(error) => return Ok(no_answer(summary, &error, timeout)),
    };
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap_or_default();
    let now = jiff::Timestamp::now().as_millisecond();
    let judgement = judge(
        &config,
        &app,
        status,
        &bytes,
        &Value::Object(Default::default()),
        now,
    );
    let verdict = match &judgement.error {
        Some(error) => format!("Cal.com: {error}"),
        None => "Cal.com takes the token".to_owned(),
    };
    Ok(Answer {
        status: Some(status),
        headers: Vec::new(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        accepted: Some(judgement.accepted),
        summary: format!("{summary} -> {status} ({verdict})"),
    })
}

async fn send_push(push: &PushStep, vars: &mut Vars, timeout: Duration) -> Result<Answer, String> {
    let defaults = Config::default();
    let via = match push.via.as_deref() {
        None | Some("webhook") => Via::Webhook,
        Some("api-v1") => Via::ApiV1,
        Some(other) => return Err(format!("via `{other}`: use `webhook` or `api-v1`")),
    };
    let options = PushOptions {
        base_url: vars.fill(&push.url)?,
        user_id: push.user_id,
        app_slug: vars.fill(&push.app)?,
        token_json: stringify(&vars.fill_json(&toml_to_json(&push.key))?),
        encryption_key: match &push.encryption_key {
            Some(key) => vars.fill(key)?,
            None => defaults.encryption_key.clone(),
        },
        secret: match &push.secret {
            Some(secret) => vars.fill(secret)?,
            None => defaults.sync_secret.clone(),
        },
        header_name: defaults.push_header_name().to_owned(),
        via,
        api_key: defaults.admin_api_key.clone(),
        timeout,
    };
    let summary = format!("push of {} for user {}", options.app_slug, options.user_id);
    match push_client::push_credential(&options, None).await {
        Ok(outcome) => Ok(Answer {
            status: Some(outcome.status),
            headers: Vec::new(),
            body: outcome.body,
            accepted: None,
            summary: format!("{summary} -> {}", outcome.status),
        }),
        Err(error) => Ok(Answer {
            summary: format!("{summary}: {error}"),
            ..Answer::default()
        }),
    }
}

async fn wait_for_journal(
    journal: &JournalStep,
    vars: &mut Vars,
    simulator: &Simulator,
) -> Result<Answer, Failure> {
    let bad = |problem: String| failure(problem, "a step calsim can run");
    let surface = match &journal.surface {
        Some(name) => Some(
            serde_json::from_value::<Surface>(Value::String(name.clone()))
                .map_err(|_| bad(format!("unknown surface `{name}`")))?,
        ),
        None => None,
    };
    let method = journal
        .method
        .as_ref()
        .map(|method| method.to_ascii_uppercase());
    let path = journal
        .path_contains
        .as_deref()
        .map(|text| vars.fill(text))
        .transpose()
        .map_err(bad)?;
    let body = journal
        .body_contains
        .as_deref()
        .map(|text| vars.fill(text))
        .transpose()
        .map_err(bad)?;
    let wanted = journal.count;
    let deadline = Instant::now() + Duration::from_millis(journal.within_ms.unwrap_or(2_000));
    loop {
        let matching: Vec<_> = simulator
            .calcom()
            .journal
            .entries(surface)
            .into_iter()
            .filter(|entry| {
                method
                    .as_ref()
                    .is_none_or(|method| entry.request.method == *method)
            })
            .filter(|entry| {
                path.as_ref()
                    .is_none_or(|path| entry.request.url.contains(path.as_str()))
            })
            .filter(|entry| {
                body.as_ref().is_none_or(|body| {
                    String::from_utf8_lossy(&entry.request.body).contains(body.as_str())
                })
            })
            .collect();
        let done = match wanted {
            Some(count) => matching.len() == count,
            None => !matching.is_empty(),
        };
        if done {
            let last = matching.last();
            return Ok(Answer {
                status: last
                    .and_then(|entry| entry.response.as_ref().map(|response| response.status)),
                headers: Vec::new(),
                body: last
                    .map(|entry| String::from_utf8_lossy(&entry.request.body).into_owned())
                    .unwrap_or_default(),
                accepted: None,
                summary: format!("{} matching journal entries", matching.len()),
            });
        }
        if Instant::now() >= deadline {
            let expected = match wanted {
                Some(count) => format!("exactly {count} matching requests"),
                None => "at least one matching request".to_owned(),
            };
            return Err(failure(
                format!("{} matching requests in the journal", matching.len()),
                expected,
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A TOML value as JSON.
pub fn toml_to_json(value: &toml::Value) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Judges an answer; the first unmet expectation fails the step.
fn check(expect: &Expect, answer: &Answer, vars: &Vars) -> Result<(), Failure> {
    let Some(status) = answer.status else {
        return Err(failure(answer.summary.clone(), "an answer"));
    };
    let said = || format!("{status} {}", excerpt(&answer.body));
    if let Some(expected) = expect.status {
        if status != expected {
            return Err(failure(said(), format!("status {expected}")));
        }
    }
    if let Some(success) = expect.success {
        if (200..300).contains(&status) != success {
            let wanted = if success {
                "a 2xx status"
            } else {
                "a status other than 2xx"
            };
            return Err(failure(said(), wanted));
        }
    }
    for (name, expected) in &expect.headers {
        let expected = vars
            .fill(expected)
            .map_err(|problem| failure(problem, "known variables"))?;
        let found = answer
            .headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str());
        if found != Some(expected.as_str()) {
            return Err(failure(
                format!("header {name}: {}", found.unwrap_or("(absent)")),
                format!("header {name}: {expected}"),
            ));
        }
    }
    if !expect.json.is_empty() {
        let parsed: Value =
            serde_json::from_str(&answer.body).map_err(|_| failure(said(), "a JSON body"))?;
        for (path, expected) in &expect.json {
            let expected = vars
                .fill_json(&toml_to_json(expected))
                .map_err(|problem| failure(problem, "known variables"))?;
            let found = json_path(&parsed, path);
            if found != Some(&expected) {
                return Err(failure(
                    format!(
                        "{path} = {}",
                        found.map_or("(nothing)".to_owned(), Value::to_string)
                    ),
                    format!("{path} = {expected}"),
                ));
            }
        }
    }
    if let Some(body) = &expect.body {
        let body = vars
            .fill(body)
            .map_err(|problem| failure(problem, "known variables"))?;
        if answer.body != body {
            return Err(failure(said(), format!("the body {body}")));
        }
    }
    if let Some(text) = &expect.body_contains {
        let text = vars
            .fill(text)
            .map_err(|problem| failure(problem, "known variables"))?;
        if !answer.body.contains(&text) {
            return Err(failure(said(), format!("a body containing {text}")));
        }
    }
    if let Some(pattern) = &expect.body_matches {
        let regex = regex_lite::Regex::new(pattern).map_err(|error| {
            failure(
                format!("`{pattern}` is not a regular expression: {error}"),
                "a valid pattern",
            )
        })?;
        if !regex.is_match(&answer.body) {
            return Err(failure(said(), format!("a body matching /{pattern}/")));
        }
    }
    if let Some(accepted) = expect.accepted {
        if answer.accepted != Some(accepted) {
            let wanted = if accepted {
                "Cal.com takes the token"
            } else {
                "Cal.com refuses the reply"
            };
            return Err(failure(answer.summary.clone(), wanted));
        }
    }
    Ok(())
}

/// `$`, `.name`, `[index]` and `["name"]` steps into a JSON value.
pub fn json_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    let mut current = value;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            current = current.get(&after[..end])?;
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = &after[..end];
            current = match inside.trim_matches('"') {
                key if inside.starts_with('"') => current.get(key)?,
                index => current.get(index.parse::<usize>().ok()?)?,
            };
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(current)
}

fn capture(source: &str, answer: &Answer) -> Option<String> {
    if source == "status" {
        return answer.status.map(|status| status.to_string());
    }
    if let Some(name) = source.strip_prefix("header:") {
        return answer
            .headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone());
    }
    let parsed: Value = serde_json::from_str(&answer.body).ok()?;
    json_path(&parsed, source).map(|value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    })
}
