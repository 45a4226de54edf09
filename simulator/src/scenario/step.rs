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
use crate::replay::recording;
use crate::replay::replayer::{self, ReplayOptions};
use crate::scenario::model::{
    DeliverStep, Expect, JournalStep, PullStep, PushStep, ReplayStep, RequestStep, Step,
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
    /// Things worth knowing that do not fail the step (reported as a warning).
    pub notes: Vec<String>,
    /// The request as sent, for `same_as_calcom`.
    pub sent: Option<SentRequest>,
    /// A delivery carrying Cal.com's correct signature (a 401/403 is then a signature
    /// failure, not a trigger-handling one).
    pub correctly_signed: bool,
    /// Why no answer arrived, when none did.
    pub problem: Option<String>,
}

/// A request as a step sent it.
#[derive(Clone, Debug, Default)]
pub struct SentRequest {
    /// The method.
    pub method: reqwest::Method,
    /// The full URL.
    pub url: String,
    /// The headers, as given.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<String>,
}

/// Why a step failed: what was found, what was expected.
#[derive(Clone, Debug)]
pub struct Failure {
    /// What the implementation did.
    pub found: String,
    /// What the scenario expected.
    pub expected: String,
    /// A fix that knows more than the step's own (the rule Cal.com applied).
    pub fix: Option<String>,
    /// Whether an answer arrived at all.
    pub answered: bool,
    /// Nothing listens at the address: calsim could not run the step.
    pub unreachable: bool,
    /// The answer that did not meet the expectations (later `judge_previous` steps judge
    /// it too).
    pub answer: Option<Box<Answer>>,
}

impl Failure {
    /// An unmet expectation after an answer arrived.
    pub fn new(found: impl Into<String>, expected: impl Into<String>) -> Self {
        failure(found, expected)
    }
}

fn failure(found: impl Into<String>, expected: impl Into<String>) -> Failure {
    Failure {
        found: found.into(),
        expected: expected.into(),
        fix: None,
        answered: true,
        unreachable: false,
        answer: None,
    }
}

/// How to verify Cal.com's signature: the fix whenever a correctly signed delivery is
/// refused.
pub const SIGNATURE_FIX: &str = "compute HMAC-SHA256 over the raw body bytes with the subscription secret, hex-encode it, and compare it with `x-cal-signature-256` in constant time; refuse with 401 when it is missing or different";

/// Runs a step: its action (or, with `judge_previous`, the previous step's answer), its
/// expectations, its captures.
pub async fn run(
    step: &Step,
    vars: &mut Vars,
    simulator: &Simulator,
    timeout: Duration,
    previous: Option<&Answer>,
) -> Result<Answer, Failure> {
    let mut answer = match (step.judge_previous, previous) {
        (true, Some(previous)) => previous.clone(),
        (true, None) => {
            return Err(failure(
                "no earlier step answered",
                "a step before this `judge_previous` one",
            ))
        }
        (false, _) => act(step, vars, simulator, timeout).await?,
    };
    let judged = match check(step, &answer, vars) {
        Ok(()) if step.expect.same_as_calcom => {
            same_as_calcom(&step.expect, &answer, simulator, timeout).await
        }
        Ok(()) => Ok(Vec::new()),
        Err(failure) => Err(failure),
    };
    match judged {
        Ok(notes) => answer.notes.extend(notes),
        Err(failure) => {
            return Err(Failure {
                answer: Some(Box::new(answer)),
                ..failure
            })
        }
    }
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
        return send_pull(pull, vars, simulator, timeout).await.map_err(bad);
    }
    if let Some(push) = &step.push {
        return send_push(push, vars, timeout).await.map_err(bad);
    }
    if let Some(journal) = &step.journal {
        return wait_for_journal(journal, vars, simulator).await;
    }
    if let Some(replay) = &step.replay {
        return send_replay(replay, vars, timeout).await.map_err(bad);
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
        summary: format!("{summary} -> {status}"),
        ..Answer::default()
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
    let mut headers = Vec::with_capacity(request.headers.len() + 1);
    if request.json.is_some() {
        headers.push(("content-type".to_owned(), "application/json".to_owned()));
    }
    for (name, value) in &request.headers {
        headers.push((vars.fill(name)?, vars.fill(value)?));
    }
    let sent = SentRequest {
        method,
        url,
        headers,
        body,
    };
    let summary = format!("{} {}", sent.method, sent.url);
    let mut answer = match send(&sent, &http_client::build(timeout)).await? {
        Ok(response) => read(response, summary).await,
        Err(error) => no_answer(summary, &error, timeout),
    };
    answer.sent = Some(sent);
    Ok(answer)
}

async fn send(
    request: &SentRequest,
    client: &reqwest::Client,
) -> Result<Result<reqwest::Response, reqwest::Error>, String> {
    let mut builder = client.request(request.method.clone(), &request.url);
    for (name, value) in &request.headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not a header name"))?;
        let value = reqwest::header::HeaderValue::from_str(value)
            .map_err(|_| format!("the value of `{name}` is not a header value"))?;
        builder = builder.header(name, value);
    }
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    Ok(builder.send().await)
}

fn no_answer(summary: String, error: &reqwest::Error, timeout: Duration) -> Answer {
    let problem = http_client::describe_error(error, timeout);
    Answer {
        summary: format!("{summary}: no answer ({problem})"),
        problem: Some(problem),
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
    let (body, content_type) = match &deliver.body {
        Some(body) => (
            vars.fill(body)?,
            match deliver.content_type.as_deref() {
                None | Some("json") => template::JSON,
                Some("form") => template::FORM,
                Some(other) => {
                    return Err(format!(
                        "content_type `{other}`: use `json` or `form` (Cal.com sends nothing else)"
                    ))
                }
            },
        ),
        None => built_body(deliver, trigger, vars)?,
    };
    let to = vars.fill(&deliver.to)?;
    let fill = |text: &Option<String>| text.as_deref().map(|text| vars.fill(text)).transpose();
    let secret = fill(&deliver.secret)?;
    let sign_with = fill(&deliver.sign_with)?;
    let literal = fill(&deliver.signature)?;
    let mut outgoing = Outgoing::signed(
        &to,
        body,
        content_type,
        sign_with.as_deref().or(secret.as_deref()),
        true,
    );
    if deliver.unsigned {
        outgoing = outgoing.with_signature(None);
    } else if let Some(literal) = &literal {
        outgoing = outgoing.with_signature(Some(literal));
    }
    if let Some([from, to]) = &deliver.alter {
        let altered =
            String::from_utf8_lossy(&outgoing.body).replacen(&vars.fill(from)?, &vars.fill(to)?, 1);
        outgoing.body = altered.into();
    }
    let correctly_signed = secret.is_some()
        && sign_with.is_none()
        && literal.is_none()
        && !deliver.unsigned
        && deliver.alter.is_none();
    let client = http_client::build(timeout);
    let summary = format!("{trigger} delivery to {to}");
    let sent = client
        .post(&outgoing.url)
        .headers(outgoing.headers.clone())
        .body(outgoing.body.clone())
        .send()
        .await;
    let mut answer = match sent {
        Ok(response) => read(response, summary).await,
        Err(error) => no_answer(summary, &error, timeout),
    };
    answer.correctly_signed = correctly_signed;
    Ok(answer)
}

/// The body Cal.com builds for the trigger: `data` (default: the example data), the
/// added fields first, then the default body or the template's.
fn built_body(
    deliver: &DeliverStep,
    trigger: TriggerEvent,
    vars: &Vars,
) -> Result<(String, &'static str), String> {
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
    let Value::Object(mut data) = data else {
        return Err(
            "`data` must be a table (the event data Cal.com sends as `payload`)".to_owned(),
        );
    };
    if let Some(added) = &deliver.add_fields {
        let Value::Object(added) = vars.fill_json(&toml_to_json(added))? else {
            return Err("`add_fields` must be a table".to_owned());
        };
        let rest = std::mem::take(&mut data);
        data = added;
        data.extend(rest);
    }
    let created_at = match &deliver.created_at {
        Some(at) => vars.fill(at)?,
        None => payload::iso_string(jiff::Timestamp::now()),
    };
    Ok(match &deliver.template {
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
    })
}

async fn send_pull(
    pull: &PullStep,
    vars: &mut Vars,
    simulator: &Simulator,
    timeout: Duration,
) -> Result<Answer, String> {
    let mut config = (*simulator.calcom().config()).clone();
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
    let user_id = match &pull.user_id {
        Some(toml::Value::Integer(user_id)) => *user_id,
        Some(toml::Value::String(text)) => {
            let filled = vars.fill(text)?;
            filled
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("user_id `{filled}` is not an integer"))?
        }
        Some(other) => return Err(format!("user_id {other} is not an integer")),
        None => 1,
    };
    let mut request = PullRequest::new(&config, user_id, &app);
    if pull.omit_secret {
        let header = config.pull_header_name().unwrap_or_default().to_owned();
        request.headers.retain(|(name, _)| *name != header);
    }
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
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(error) => return Ok(no_answer(summary, &error, timeout)),
    };
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
        body: String::from_utf8_lossy(&bytes).into_owned(),
        accepted: Some(judgement.accepted),
        summary: format!(
            "{status} {} → {verdict}",
            excerpt(&String::from_utf8_lossy(&bytes))
        ),
        notes: if judgement.accepted {
            judgement.deviations
        } else {
            Vec::new()
        },
        ..Answer::default()
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
            body: outcome.body,
            summary: format!("{summary} -> {}", outcome.status),
            ..Answer::default()
        }),
        Err(error) => Ok(Answer {
            summary: format!("{summary}: {error}"),
            ..Answer::default()
        }),
    }
}

async fn send_replay(
    replay: &ReplayStep,
    vars: &mut Vars,
    timeout: Duration,
) -> Result<Answer, String> {
    let file = vars.fill(&replay.file)?;
    let path = match vars.get("scenario.dir") {
        Some(dir) if std::path::Path::new(&file).is_relative() => {
            std::path::Path::new(dir).join(&file)
        }
        _ => std::path::PathBuf::from(&file),
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read the recording {}: {error}", path.display()))?;
    let recorded =
        recording::read(&text, &path.display().to_string()).map_err(|error| error.to_string())?;
    let fill = |text: &Option<String>| text.as_deref().map(|text| vars.fill(text)).transpose();
    let shift_to = match fill(&replay.shift_time)?.as_deref() {
        None => None,
        Some("now") => Some(jiff::Timestamp::now()),
        Some(when) => Some(
            when.parse()
                .map_err(|error| format!("shift_time `{when}`: {error}"))?,
        ),
    };
    let options = ReplayOptions {
        to: vars.fill(&replay.to)?,
        keep_path: replay.keep_path,
        secret: fill(&replay.secret)?,
        shift_to,
        fresh_uids: replay.fresh_uids,
        rate: None,
        only: replay.only.clone(),
        timeout,
        seed: None,
    };
    let prepared = replayer::prepare(&recorded, &options).map_err(|error| error.to_string())?;
    let replayed = replayer::send(prepared, &options, |_| {}).await;
    let lines: Vec<String> = replayed.iter().map(replayer::Replayed::line).collect();
    let decisive = replayed
        .iter()
        .find(|done| !done.accepted())
        .or(replayed.last());
    Ok(Answer {
        status: decisive.and_then(|done| done.status),
        body: lines.join("\n"),
        summary: format!(
            "replayed {} requests from {}: {}",
            replayed.len(),
            path.display(),
            decisive.map_or_else(|| "nothing to send".to_owned(), replayer::Replayed::line)
        ),
        problem: decisive.and_then(|done| done.error.clone()),
        ..Answer::default()
    })
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
                body: last
                    .map(|entry| String::from_utf8_lossy(&entry.request.body).into_owned())
                    .unwrap_or_default(),
                summary: format!("{} matching journal entries", matching.len()),
                ..Answer::default()
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
fn check(step: &Step, answer: &Answer, vars: &Vars) -> Result<(), Failure> {
    let expect = &step.expect;
    let Some(status) = answer.status else {
        let problem = answer.problem.clone().unwrap_or_default();
        return Err(Failure {
            fix: Some(
                "answer every request within the timeout; Cal.com does not wait long and does not retry"
                    .to_owned(),
            ),
            answered: false,
            unreachable: problem.starts_with(http_client::CONNECTION_FAILED),
            ..failure(answer.summary.clone(), "an answer")
        });
    };
    let said = || format!("{status} {}", excerpt(&answer.body));
    let wants_success =
        expect.success == Some(true) || expect.status.is_some_and(|s| (200..300).contains(&s));
    if answer.correctly_signed && wants_success && matches!(status, 401 | 403) {
        return Err(Failure {
            fix: Some(
                step.fix_if_refused
                    .clone()
                    .unwrap_or_else(|| SIGNATURE_FIX.to_owned()),
            ),
            ..failure(
                format!("{status}: a delivery correctly signed with the secret was refused"),
                "a 2xx answer",
            )
        });
    }
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
                        found.map_or("(nothing)".to_owned(), |found| shown(path, found))
                    ),
                    format!("{path} = {}", shown(path, &expected)),
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
    if let Some(kind) = &expect.json_type {
        let found = serde_json::from_str::<Value>(&answer.body)
            .ok()
            .map(|value| json_type(&value));
        if found != Some(kind.as_str()) {
            return Err(failure(said(), format!("a JSON {kind}")));
        }
    }
    if let Ok(parsed) = serde_json::from_str::<Value>(&answer.body) {
        for path in &expect.absent {
            if let Some(found) = json_path(&parsed, path) {
                return Err(failure(
                    format!(
                        "{said} (with {path} = {})",
                        shown(path, found),
                        said = said()
                    ),
                    format!("no {path}"),
                ));
            }
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

/// A value found at a JSON path, masked when the path's last name holds a secret
/// (`$.access_token`), so reports never show a token in full.
fn shown(path: &str, value: &Value) -> String {
    let last = path
        .rsplit(['.', '['])
        .next()
        .unwrap_or_default()
        .trim_matches(|c| c == '"' || c == ']');
    match value {
        Value::String(text) if crate::protocol::redact::is_secret_name(last) => {
            Value::String(crate::protocol::redact::mask(text)).to_string()
        }
        other => other.to_string(),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Sends the request the step sent to the target to the scenario's fake Cal.com and
/// compares status and body bytes; returns notes (a different content-type).
async fn same_as_calcom(
    expect: &Expect,
    answer: &Answer,
    simulator: &Simulator,
    timeout: Duration,
) -> Result<Vec<String>, Failure> {
    let Some(sent) = &answer.sent else {
        return Err(failure(
            "`same_as_calcom` on a step that is not a `request`",
            "a `request` step",
        ));
    };
    let url = reqwest::Url::parse(&sent.url)
        .map_err(|error| failure(format!("{}: {error}", sent.url), "a URL"))?;
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let model = SentRequest {
        url: format!("{}{path}", simulator.url()),
        ..sent.clone()
    };
    let calcom = simulator.calcom();
    let before = calcom
        .journal
        .entries(None)
        .last()
        .map_or(0, |entry| entry.id);
    let response = send(&model, &http_client::build(timeout))
        .await
        .map_err(|problem| failure(problem, "a request calsim can send"))?
        .map_err(|error| failure(format!("calsim's own answer: {error}"), "an answer"))?;
    let expected = read(response, String::new()).await;
    let expected_status = expected.status.unwrap_or_default();
    let normalise = |text: &str| match expect.interchangeable.split_first() {
        Some((first, rest)) => rest.iter().fold(text.to_owned(), |text, word| {
            text.replace(word.as_str(), first)
        }),
        None => text.to_owned(),
    };
    if answer.status != Some(expected_status)
        || normalise(&answer.body) != normalise(&expected.body)
    {
        let config = calcom.config();
        let rule = calcom
            .journal
            .entries(None)
            .into_iter()
            .filter(|entry| entry.id > before)
            .find_map(|entry| {
                let step = entry.verdict.as_ref()?.get("step")?.clone();
                serde_json::from_value::<crate::calcom::app_credential::Step>(step).ok()
            })
            .map(|step| step.fix(&config));
        let described = |status: u16, body: &str| {
            if body.is_empty() {
                format!("{status} with an empty body")
            } else {
                format!("{status} {}", excerpt(body))
            }
        };
        return Err(Failure {
            fix: rule,
            ..failure(
                described(answer.status.unwrap_or_default(), &answer.body),
                described(expected_status, &expected.body),
            )
        });
    }
    let content_type = |answer: &Answer| {
        answer
            .headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .map(|(_, value)| value.clone())
    };
    let (found, wanted) = (content_type(answer), content_type(&expected));
    Ok(if found == wanted {
        Vec::new()
    } else {
        vec![format!(
            "content-type is {}; Cal.com sends {}",
            found.as_deref().unwrap_or("none"),
            wanted.as_deref().unwrap_or("none")
        )]
    })
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
