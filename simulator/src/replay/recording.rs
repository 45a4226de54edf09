//! Recordings calsim reads and writes: JSON lines from `calsim receive --record` and
//! `calsim proxy --record` (one exchange per line, raw body kept exactly: `body` when it is
//! UTF-8, else `bodyBase64`), and HAR 1.2 files (`/_calsim/journal.har`, browser dev
//! tools).

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use crate::protocol::error::Error;

/// One recorded request, as replay sends it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method (`POST` when the recording has none).
    pub method: String,
    /// The recorded path and query, or full URL.
    pub url: String,
    /// Headers in recorded order.
    pub headers: Vec<(String, String)>,
    /// The body bytes exactly.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// A header's value (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body's `triggerEvent`: from JSON, or from a form body's `triggerEvent=`.
    pub fn trigger(&self) -> Option<String> {
        if let Ok(value) = serde_json::from_slice::<Value>(&self.body) {
            return value
                .get("triggerEvent")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        form_urlencoded::parse(&self.body)
            .find(|(name, _)| name == "triggerEvent")
            .map(|(_, value)| value.into_owned())
    }
}

/// A body as recordings keep it: text when it is UTF-8, else base64.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedBody {
    /// The body, when it is UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body in base64, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
}

impl RecordedBody {
    /// Keeps `bytes` exactly.
    pub fn of(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => RecordedBody {
                body: Some(text.to_owned()),
                body_base64: None,
            },
            Err(_) => RecordedBody {
                body: None,
                body_base64: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
            },
        }
    }
}

/// Reads a recording: a HAR file (a JSON object with `log.entries`) or JSON lines.
/// Errors name the file, the line and what is wrong.
pub fn read(text: &str, origin: &str) -> Result<Vec<RecordedRequest>, Error> {
    let bad = |problem: String| Error::Config {
        origin: origin.to_owned(),
        problem,
    };
    if let Ok(har) = serde_json::from_str::<Value>(text) {
        if let Some(entries) = har.pointer("/log/entries").and_then(Value::as_array) {
            return entries
                .iter()
                .enumerate()
                .map(|(index, entry)| {
                    from_har(entry)
                        .map_err(|problem| bad(format!("HAR entry {}: {problem}", index + 1)))
                })
                .collect();
        }
    }
    let mut requests = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|error| {
            bad(format!(
                "line {}: not JSON ({error}); a recording is JSON lines from `calsim receive --record` or `calsim proxy --record`, or a HAR file",
                index + 1
            ))
        })?;
        requests.push(
            from_line(&value).map_err(|problem| bad(format!("line {}: {problem}", index + 1)))?,
        );
    }
    Ok(requests)
}

fn from_line(value: &Value) -> Result<RecordedRequest, String> {
    let url = value
        .get("url")
        .and_then(Value::as_str)
        .ok_or("no `url`")?
        .to_owned();
    let method = value
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("POST")
        .to_owned();
    let headers = match value.get("headers") {
        Some(Value::Array(pairs)) => pairs
            .iter()
            .map(|pair| match pair {
                Value::Array(pair) if pair.len() == 2 => Ok((
                    pair[0].as_str().unwrap_or_default().to_owned(),
                    pair[1].as_str().unwrap_or_default().to_owned(),
                )),
                _ => Err("`headers` must be [name, value] pairs".to_owned()),
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().unwrap_or_default().to_owned()))
            .collect(),
        _ => Vec::new(),
    };
    let body = body_of(value.get("body"), value.get("bodyBase64"))?;
    Ok(RecordedRequest {
        method,
        url,
        headers,
        body,
    })
}

fn body_of(text: Option<&Value>, base64: Option<&Value>) -> Result<Vec<u8>, String> {
    if let Some(encoded) = base64.and_then(Value::as_str) {
        return base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|error| format!("`bodyBase64` is not base64: {error}"));
    }
    Ok(text
        .and_then(Value::as_str)
        .map(|text| text.as_bytes().to_vec())
        .unwrap_or_default())
}

fn from_har(entry: &Value) -> Result<RecordedRequest, String> {
    let request = entry.get("request").ok_or("no `request`")?;
    let url = request
        .get("url")
        .and_then(Value::as_str)
        .ok_or("no `request.url`")?
        .to_owned();
    let method = request
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("POST")
        .to_owned();
    let headers = request
        .get("headers")
        .and_then(Value::as_array)
        .map(|headers| {
            headers
                .iter()
                .filter_map(|header| {
                    let name = header.get("name")?.as_str()?;
                    let value = header.get("value")?.as_str()?;
                    (!name.starts_with(':')).then(|| (name.to_owned(), value.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    let post_data = request.get("postData");
    let body = body_of(
        post_data.and_then(|data| data.get("text")),
        post_data.and_then(|data| data.get("_bodyBase64")),
    )?;
    Ok(RecordedRequest {
        method,
        url,
        headers,
        body,
    })
}
