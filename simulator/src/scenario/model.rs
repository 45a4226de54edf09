//! The scenario file format (TOML), as `scenarios/README.md` and `scenarios/schema.json`
//! describe it. Unknown keys are errors, so a typo never passes silently.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// What the scenario shows, in words.
    pub name: String,
    /// The role of the implementation under test (informative; reports name it).
    #[serde(default)]
    pub role: Option<Role>,
    /// Tags to select scenarios with `--filter tag:NAME`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Variables the steps use as `{{name}}` (`--var NAME=VALUE` overrides them).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// Variables the user must give with `--var NAME=VALUE` (the run stops with a clear
    /// error otherwise).
    #[serde(default)]
    pub required_vars: Vec<String>,
    /// How the scenario's fake Cal.com is set up (default: calsim's defaults).
    #[serde(default)]
    pub calcom: CalcomSetup,
    /// A fake partner sync endpoint for this scenario (`{{partner.url}}`) with scripted
    /// replies; the scenario's fake Cal.com pulls from it.
    pub partner: Option<PartnerSetup>,
    /// Run every step even after one failed (conformance suites, whose checks are
    /// independent); by default a failure skips the rest.
    #[serde(default)]
    pub continue_on_failure: bool,
    /// The steps, run in order; a failed expectation stops the scenario.
    pub steps: Vec<Step>,
}

/// Which side of Cal.com the implementation under test plays.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Receives Cal.com's webhooks.
    WebhookConsumer,
    /// A partner's sync endpoint Cal.com pulls tokens from.
    SyncEndpoint,
    /// A partner's client that pushes credentials to Cal.com.
    CredentialPusher,
    /// Something that answers as Cal.com does (push route, API v1/v2).
    CalcomServer,
    /// Code that manages webhooks through Cal.com's v2 API.
    SubscriptionClient,
}

/// The scenario's fake partner: scripted replies in order, then the default token.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerSetup {
    /// Replies (and faults) served in order: `{token, expiresIn, expiryInMs,
    /// refreshToken, status, fault = "empty" | "notJson" | "noAccessToken" |
    /// "invalidGrant", delayMs}`, as `calsim partner` takes them.
    #[serde(default)]
    pub replies: Vec<crate::partner::sync_endpoint::Reply>,
}

/// The scenario's fake Cal.com: each value may use `{{vars}}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalcomSetup {
    /// The Cal.com generation (`current`, ...).
    pub profile: Option<String>,
    /// zod major of 400 issue objects: `v3` or `v4`.
    pub zod: Option<String>,
    /// The shared credential-sync secret.
    pub secret: Option<String>,
    /// The 32-character `CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY`.
    pub encryption_key: Option<String>,
    /// `CALCOM_CREDENTIAL_SYNC_HEADER_NAME`.
    pub header_name: Option<String>,
}

/// One step: exactly one action, then optional expectations and captures.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Shown in reports (default: the action and its index).
    pub name: Option<String>,
    /// The check id in reports, `<scenario>/<id>` (default: the name as a slug).
    pub id: Option<String>,
    /// Run only when this fills to a non-empty value other than `false`, e.g.
    /// `when = "{{legacy_app}}"`; otherwise the step is left out of the report.
    pub when: Option<String>,
    /// Repeat the step once per trigger that has example data, with `{{trigger}}` and
    /// `{{trigger.slug}}` (`booking-created`) set; each repeat is its own check.
    #[serde(default)]
    pub each_trigger: bool,
    /// Judge the previous step's answer again instead of acting (several checks of one
    /// exchange).
    #[serde(default)]
    pub judge_previous: bool,
    /// `fail` (default) or `warn`: an unmet expectation of a `warn` step is reported as a
    /// warning, never a failure (no answer at all still fails).
    pub severity: Option<Severity>,
    /// A preparation step: left out of the report unless it fails.
    #[serde(default)]
    pub setup: bool,
    /// Call an HTTP endpoint (the implementation, or `{{calcom.url}}`).
    pub request: Option<RequestStep>,
    /// Act as Cal.com: a signed webhook delivery of a trigger.
    pub deliver: Option<DeliverStep>,
    /// Act as Cal.com: pull a token from a sync endpoint.
    pub pull: Option<PullStep>,
    /// Act as the partner: push an encrypted credential.
    pub push: Option<PushStep>,
    /// Wait until the scenario's fake Cal.com journal holds what the implementation sent.
    pub journal: Option<JournalStep>,
    /// Send a recording (`calsim receive`/`proxy --record`, HAR) again.
    pub replay: Option<ReplayStep>,
    /// What must hold of the answer.
    #[serde(default)]
    pub expect: Expect,
    /// Variables to take from the answer: `NAME = "$.json.path"`, `"header:name"` or
    /// `"status"`.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Run the step over generated variables instead of once.
    pub property: Option<Property>,
    /// Compare the answer with `snapshots/<scenario>__<name>.snap` beside the file.
    pub snapshot: Option<String>,
    /// JSON paths replaced by `[redacted]` before the snapshot is compared.
    #[serde(default)]
    pub redact: Vec<String>,
    /// The fix to print when this step fails (default: a generic one).
    pub fix: Option<String>,
    /// For a signed delivery expected to succeed: the fix when the consumer refuses it
    /// with 401 or 403 (default: how to verify Cal.com's signature), so a signature
    /// failure is never reported as a trigger-handling one.
    pub fix_if_refused: Option<String>,
}

/// How much an unmet expectation weighs.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check (and the run).
    #[default]
    Fail,
    /// Reported as a warning.
    Warn,
}

/// A property step: the step's action and expectations must hold for every generated
/// case; a failure is shrunk to a minimal input.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Property {
    /// How many cases (default 64).
    pub cases: Option<u32>,
    /// Variables to generate: `NAME = "trigger" | "text" | "email" | "int" |
    /// "one-of:a,b,c" | "regex:PATTERN"`.
    pub generate: BTreeMap<String, String>,
}

/// An HTTP request.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStep {
    /// `GET`, `POST`, ... (default `GET`, or `POST` with a body).
    pub method: Option<String>,
    /// The full URL.
    pub url: String,
    /// Request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A raw body.
    pub body: Option<String>,
    /// A JSON body (sent compactly, `content-type: application/json`).
    pub json: Option<toml::Value>,
}

/// A webhook delivery as Cal.com sends it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverStep {
    /// The trigger, e.g. `BOOKING_CREATED`.
    pub trigger: String,
    /// The subscriber URL.
    pub to: String,
    /// The subscription secret (none: `no-secret-provided`).
    pub secret: Option<String>,
    /// The event data (default: calsim's example data for the trigger).
    pub data: Option<toml::Value>,
    /// A `payloadTemplate`.
    pub template: Option<String>,
    /// `createdAt` (default: now).
    pub created_at: Option<String>,
    /// A raw body sent instead of one built from `trigger` and `data` (signed as is).
    pub body: Option<String>,
    /// The raw body's type: `json` (default) or `form`.
    pub content_type: Option<String>,
    /// Fields put first in `payload` before signing (to test tolerance of new fields).
    pub add_fields: Option<toml::Value>,
    /// Sign with this secret instead of the subscription's (a wrong signature).
    pub sign_with: Option<String>,
    /// Send this literal `x-cal-signature-256` value instead of the computed one.
    pub signature: Option<String>,
    /// Send no `x-cal-signature-256` header.
    #[serde(default)]
    pub unsigned: bool,
    /// `[FROM, TO]`: replace the first FROM in the body *after* signing (tampering).
    pub alter: Option<[String; 2]>,
}

/// A pull to a sync endpoint, judged as Cal.com judges the reply.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullStep {
    /// The sync endpoint URL.
    pub url: String,
    /// The app slug sent (default `google-calendar`).
    pub app: Option<String>,
    /// The Cal.com user id sent (default 1): an integer, or text such as `"{{user_id}}"`.
    pub user_id: Option<toml::Value>,
    /// The shared secret (default: calsim's).
    pub secret: Option<String>,
    /// The Cal.com generation (default: the scenario's `[calcom]` profile).
    pub profile: Option<String>,
    /// Send the pull without the secret header.
    #[serde(default)]
    pub omit_secret: bool,
}

/// A credential push as a partner sends it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushStep {
    /// The Cal.com base URL.
    pub url: String,
    /// The Cal.com user id.
    pub user_id: i64,
    /// The app slug.
    pub app: String,
    /// The token JSON to encrypt.
    pub key: toml::Value,
    /// The shared secret (default: calsim's).
    pub secret: Option<String>,
    /// The AES key's 32 characters (default: calsim's).
    pub encryption_key: Option<String>,
    /// `webhook` (default) or `api-v1`.
    pub via: Option<String>,
}

/// A recording sent again, as `calsim replay` does; the answer is the first non-2xx
/// status (or the last status), the body one line per request.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayStep {
    /// The recording, relative to the scenario file.
    pub file: String,
    /// Where every request goes.
    pub to: String,
    /// Append each recorded path and query to `to`'s origin instead.
    #[serde(default)]
    pub keep_path: bool,
    /// Re-sign every body for this secret.
    pub secret: Option<String>,
    /// Move every time so the first `createdAt` lands here (RFC 3339 or `now`).
    pub shift_time: Option<String>,
    /// Give bookings new uids, consistently.
    #[serde(default)]
    pub fresh_uids: bool,
    /// Only these triggers.
    #[serde(default)]
    pub only: Vec<String>,
}

/// What the implementation must have sent to the scenario's fake Cal.com.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalStep {
    /// The surface (`webhook`, `pull`, `app-credential`, ...); any when absent.
    pub surface: Option<String>,
    /// The method.
    pub method: Option<String>,
    /// Text the path (or URL) contains.
    pub path_contains: Option<String>,
    /// Text the request body contains.
    pub body_contains: Option<String>,
    /// How many matching entries (default: at least one).
    pub count: Option<usize>,
    /// How long to wait for them, in real milliseconds (default 2000).
    pub within_ms: Option<u64>,
}

/// Expectations on an answer.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The exact status.
    pub status: Option<u16>,
    /// Any 2xx.
    pub success: Option<bool>,
    /// Headers (names case-insensitive) with their exact values.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON paths (`$.a.b[0]`) and the values they must hold.
    #[serde(default)]
    pub json: BTreeMap<String, toml::Value>,
    /// The exact body.
    pub body: Option<String>,
    /// Text the body contains.
    pub body_contains: Option<String>,
    /// A regular expression the body matches.
    pub body_matches: Option<String>,
    /// For a pull: whether Cal.com takes the token.
    pub accepted: Option<bool>,
    /// The body's JSON type: `object`, `array`, `string`, `number`, `boolean` or `null`.
    pub json_type: Option<String>,
    /// JSON paths that must not hold a value (a body that is not JSON holds none).
    #[serde(default)]
    pub absent: Vec<String>,
    /// Send the same request (method, path, headers, body) to the scenario's fake
    /// Cal.com and expect the same status and body bytes; a different content-type is
    /// a warning. The fix names the rule Cal.com applied.
    #[serde(default)]
    pub same_as_calcom: bool,
    /// Words that may stand for each other in that comparison, e.g.
    /// `["created", "updated"]` when the target may already hold the record.
    #[serde(default)]
    pub interchangeable: Vec<String>,
}
