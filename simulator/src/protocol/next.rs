//! Next.js behaviours Cal.com inherits: how the Pages Router parses bodies and reads
//! headers, and the framework's own answers (413, 400 `Invalid JSON`).

use axum::http::{header, HeaderMap, StatusCode};

use crate::protocol::answer::Answer;
use crate::protocol::js_value::JsValue;

/// The Pages Router's 400 for malformed JSON with a JSON content type.
pub const INVALID_JSON: &str = "Invalid JSON";

/// A header as Node sees it: repeated values joined with ", ".
pub fn header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let joined: Vec<String> = values
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect();
    Some(joined.join(", "))
}

/// `req.headers[name]` in the Pages Router: Node lower-cases header names, so a name
/// with capitals never matches.
pub fn pages_header_value(headers: &HeaderMap, name: &str) -> Option<String> {
    if name.bytes().any(|byte| byte.is_ascii_uppercase()) {
        return None;
    }
    header_value(headers, name)
}

/// The Pages Router's body parser: JSON (an empty body is `{}`), urlencoded (an object
/// of strings), anything else the raw string.
pub fn parse_pages_body(headers: &HeaderMap, body: &[u8]) -> Result<JsValue, String> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let text = crate::protocol::js_value::utf8_text(body);
    match media_type.as_str() {
        "application/json" | "application/ld+json" if text.is_empty() => {
            Ok(JsValue::Object(Vec::new()))
        }
        "application/json" | "application/ld+json" => {
            JsValue::parse(&text).map_err(|error| error.to_string())
        }
        "application/x-www-form-urlencoded" => Ok(querystring_decode(&text)),
        _ => Ok(JsValue::String(text.into_owned())),
    }
}

/// Node's `querystring.decode` (and Next's `req.query`): string values, a repeated key
/// becomes an array.
pub fn querystring_decode(text: &str) -> JsValue {
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in form_urlencoded::parse(text.as_bytes()) {
        match fields.iter_mut().find(|(existing, _)| *existing == name) {
            Some((_, values)) => values.push(value.into_owned()),
            None => fields.push((name.into_owned(), vec![value.into_owned()])),
        }
    }
    JsValue::Object(
        fields
            .into_iter()
            .map(|(name, mut values)| {
                let value = if values.len() == 1 {
                    JsValue::String(values.remove(0))
                } else {
                    JsValue::Array(values.into_iter().map(JsValue::String).collect())
                };
                (name, value)
            })
            .collect(),
    )
}

/// The 413 for a body over the limit: `Body exceeded 1mb limit`.
pub fn body_too_large(limit: usize) -> Answer {
    Answer::next_text(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("Body exceeded {} limit", size_text(limit)),
    )
}

/// A byte count as Next.js's `bytes` package writes it in its 413 message ("1mb").
fn size_text(bytes: usize) -> String {
    const UNITS: [(usize, &str); 3] = [(1 << 30, "gb"), (1 << 20, "mb"), (1 << 10, "kb")];
    UNITS
        .iter()
        .find(|(size, _)| bytes >= *size && bytes % size == 0)
        .map_or_else(
            || format!("{bytes}b"),
            |(size, unit)| format!("{}{unit}", bytes / size),
        )
}
