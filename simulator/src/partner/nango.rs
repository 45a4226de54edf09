//! Nango's Cal.com webhook route, answer for answer (`shared/spec/webhooks.md` §4.2):
//! Express 5's `express.json` first (strict, raw body kept for `application/json` only),
//! then the signature, then the connection id. Pure: [`answer`] takes the request's parts
//! and returns what Nango answers and why.
//!
//! ```
//! use calsim::partner::nango::{answer, Request};
//!
//! let body = br#"{"triggerEvent":"PING"}"#;
//! let request = Request { content_type: Some("application/json"), body, signature: None, query: Some("nangoConnectionId=c1") };
//! let verdict = answer(Some("s3cret"), &request);
//! assert_eq!(verdict.answer.status, 401);
//! assert_eq!(verdict.answer.body_text(), r#"{"error":"Missing webhook signature"}"#);
//! ```

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::protocol::answer::{Answer, PAGES_JSON};
use crate::protocol::js_value::{parse_error_message, JsValue};
use crate::protocol::signing::{self, Verification};

/// The parts of a delivery Nango's route reads.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The raw body.
    pub body: &'a [u8],
    /// `x-cal-signature-256` (repeated headers joined with `, `, as Node does).
    pub signature: Option<&'a str>,
    /// The query string, without `?`.
    pub query: Option<&'a str>,
}

/// What the signature check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureVerdict {
    /// No secret configured: not checked.
    Unverified,
    /// Accepted.
    Valid,
    /// Refused: the decoded bytes differ from the HMAC (or their lengths do).
    Invalid,
    /// Refused: no header, or an empty one.
    Missing,
    /// Not checked: the body was not JSON, so Nango had no raw body to hash (500).
    NoRawBody,
}

impl SignatureVerdict {
    /// The name recordings and logs use (`valid`, `no-raw-body`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureVerdict::Unverified => "unverified",
            SignatureVerdict::Valid => "valid",
            SignatureVerdict::Invalid => "invalid",
            SignatureVerdict::Missing => "missing",
            SignatureVerdict::NoRawBody => "no-raw-body",
        }
    }
}

impl std::fmt::Display for SignatureVerdict {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Nango's answer and the facts behind it.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Status and body, as Nango sends them.
    pub answer: Answer,
    /// The signature check, as Nango did it.
    pub signature: SignatureVerdict,
    /// What a strict verifier (exactly the 64 lower-case hex digits of the HMAC of the raw
    /// bytes) concludes, when a secret is set.
    pub strict_signature: Option<SignatureVerdict>,
    /// The connection id Nango resolved (query first, then the body), as text.
    pub connection_id: Option<String>,
    /// The parsed body, when it was JSON.
    pub body: Option<JsValue>,
}

/// `res.status(status).json(value)` in Express.
pub fn express_json(status: StatusCode, value: Value) -> Answer {
    Answer {
        status,
        content_type: Some(PAGES_JSON),
        headers: Vec::new(),
        body: value.to_string().into(),
    }
}

/// 401 `{"error":"Missing webhook signature"}`.
pub const MISSING_SIGNATURE: &str = "Missing webhook signature";
/// 401 `{"error":"Invalid webhook signature"}`.
pub const INVALID_SIGNATURE: &str = "Invalid webhook signature";
/// 400 when neither the query nor the body names a connection.
pub const MISSING_CONNECTION_ID: &str = "Webhook payload is missing nangoConnectionId";

/// Whether `express.json` (type-is `application/json`) parses this content type.
fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// body-parser's `json` with `strict: true`: `{}` for an empty body, the first
/// non-blank character must open an object or array, else `JSON.parse`'s error.
fn parse_json(text: &str) -> Result<JsValue, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.is_empty() {
        return Ok(JsValue::Object(Vec::new()));
    }
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r']);
    if !trimmed.starts_with(['{', '[']) {
        return Err(strict_violation(text, trimmed.chars().next()));
    }
    match JsValue::parse(text) {
        Ok(value) => Ok(value),
        Err(_) => Err(parse_error_message(text).unwrap_or_else(|| "Unexpected token".to_owned())),
    }
}

/// body-parser's `createStrictSyntaxError`: `JSON.parse` of the text with everything from
/// the first character on replaced by `#`, then each `#` run put back from the original.
fn strict_violation(text: &str, first: Option<char>) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    let index = first
        .and_then(|first| text.find(first))
        .map(|byte| text[..byte].encode_utf16().count());
    let partial: String = match index {
        Some(index) => {
            let mut partial = String::from_utf16_lossy(&units[..index]);
            partial.extend(std::iter::repeat_n('#', units.len() - index));
            partial
        }
        None => String::new(),
    };
    let message = parse_error_message(&partial).unwrap_or_default();
    let start = index.unwrap_or(0);
    let mut restored = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(at) = rest.find('#') {
        restored.push_str(&rest[..at]);
        let run = rest[at..].len() - rest[at..].trim_start_matches('#').len();
        let end = (start + run).min(units.len());
        restored.push_str(&String::from_utf16_lossy(&units[start.min(end)..end]));
        rest = &rest[at + run..];
    }
    restored.push_str(rest);
    restored
}

/// The connection id Nango reads: `query.nangoConnectionId ?? body.nangoConnectionId`,
/// or `Err` when the body is not JSON and the query has none (Nango throws: 500).
fn connection_id(query: Option<&str>, body: Option<&JsValue>) -> Result<Option<String>, ()> {
    let values: Vec<String> = query
        .map(|query| {
            form_urlencoded::parse(query.as_bytes())
                .filter(|(name, _)| name == "nangoConnectionId")
                .map(|(_, value)| value.into_owned())
                .collect()
        })
        .unwrap_or_default();
    match values.len() {
        0 => {}
        1 => return Ok(Some(values[0].clone()).filter(|id| !id.is_empty())),
        _ => return Ok(Some(values.join(","))),
    }
    let body = body.ok_or(())?;
    Ok(body
        .get("nangoConnectionId")
        .filter(|value| js_truthy(value))
        .map(JsValue::js_string))
}

fn js_truthy(value: &JsValue) -> bool {
    match value {
        JsValue::Null => false,
        JsValue::Bool(flag) => *flag,
        JsValue::Number(number) => *number != 0.0 && !number.is_nan(),
        JsValue::String(text) => !text.is_empty(),
        JsValue::Array(_) | JsValue::Object(_) => true,
    }
}

/// What a verifier that accepts only Cal.com's exact header concludes.
fn strict(secret: &str, body: &[u8], signature: Option<&str>) -> SignatureVerdict {
    match signing::verify(secret, body, signature) {
        Verification::Valid
            if signature.is_some_and(|header| {
                header.len() == 64
                    && header
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }) =>
        {
            SignatureVerdict::Valid
        }
        Verification::Missing => SignatureVerdict::Missing,
        _ => SignatureVerdict::Invalid,
    }
}

/// Nango's answer to one delivery, given the integration's `webhookSecret`.
pub fn answer(secret: Option<&str>, request: &Request<'_>) -> Verdict {
    let secret = secret.filter(|secret| !secret.is_empty());
    // An empty body is "already finished" for body-parser: no body, no raw body.
    let json = is_json(request.content_type) && !request.body.is_empty();
    let raw_body = json.then(|| String::from_utf8_lossy(request.body));
    let parsed = match &raw_body {
        Some(text) => match parse_json(text) {
            Ok(value) => Some(value),
            Err(message) => {
                return Verdict {
                    answer: express_json(
                        StatusCode::BAD_REQUEST,
                        json!({"error": {"code": "invalid_json", "message": message}}),
                    ),
                    signature: SignatureVerdict::Unverified,
                    strict_signature: None,
                    connection_id: None,
                    body: None,
                }
            }
        },
        None => None,
    };
    let verdict = |answer: Answer, signature, connection_id: Option<String>| Verdict {
        answer,
        signature,
        strict_signature: secret.map(|secret| strict(secret, request.body, request.signature)),
        connection_id,
        body: parsed.clone(),
    };
    let internal_error = || {
        express_json(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "internal_error"}),
        )
    };
    let mut signature = SignatureVerdict::Unverified;
    if let Some(secret) = secret {
        let header = request.signature.filter(|header| !header.is_empty());
        let Some(header) = header else {
            let answer = express_json(
                StatusCode::UNAUTHORIZED,
                json!({"error": MISSING_SIGNATURE}),
            );
            return verdict(answer, SignatureVerdict::Missing, None);
        };
        let Some(raw_body) = &raw_body else {
            return verdict(internal_error(), SignatureVerdict::NoRawBody, None);
        };
        if signing::verify(secret, raw_body.as_bytes(), Some(header)) != Verification::Valid {
            let answer = express_json(
                StatusCode::UNAUTHORIZED,
                json!({"error": INVALID_SIGNATURE}),
            );
            return verdict(answer, SignatureVerdict::Invalid, None);
        }
        signature = SignatureVerdict::Valid;
    }
    let Ok(connection_id) = connection_id(request.query, parsed.as_ref()) else {
        return verdict(internal_error(), signature, None);
    };
    if connection_id.is_none() {
        let answer = express_json(
            StatusCode::BAD_REQUEST,
            json!({"error": MISSING_CONNECTION_ID}),
        );
        return verdict(answer, signature, None);
    }
    let answer = express_json(StatusCode::OK, json!({"status": "success"}));
    verdict(answer, signature, connection_id)
}
