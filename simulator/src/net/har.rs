//! The journal as HAR 1.2 (the HTTP Archive format browser dev tools, Insomnia and
//! Postman open): one entry per exchange, secrets already masked as the journal keeps
//! them. A body that is not UTF-8 is kept as base64 (`content.encoding` for answers,
//! the `_bodyBase64` custom field for requests); `calsim replay` reads both.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::net::journal::{Direction, Entry};

/// The HAR document for `entries`; `base_url` makes received paths absolute.
pub fn document(entries: &[Arc<Entry>], base_url: &str) -> Value {
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "calsim", "version": env!("CARGO_PKG_VERSION") },
            "entries": entries.iter().map(|entry| har_entry(entry, base_url)).collect::<Vec<_>>(),
        }
    })
}

fn headers(pairs: &[(axum::http::HeaderName, axum::http::HeaderValue)]) -> Vec<Value> {
    pairs
        .iter()
        .map(|(name, value)| {
            json!({ "name": name.as_str(), "value": String::from_utf8_lossy(value.as_bytes()) })
        })
        .collect()
}

fn header<'a>(
    pairs: &'a [(axum::http::HeaderName, axum::http::HeaderValue)],
    name: &str,
) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(header, _)| header.as_str().eq_ignore_ascii_case(name))
        .and_then(|(_, value)| value.to_str().ok())
}

fn har_entry(entry: &Entry, base_url: &str) -> Value {
    let request = &entry.request;
    let url = match entry.direction {
        Direction::Received if request.url.starts_with('/') => {
            format!("{}{}", base_url.trim_end_matches('/'), request.url)
        }
        _ => request.url.clone(),
    };
    let query: Vec<Value> = reqwest::Url::parse(&url)
        .map(|parsed| {
            parsed
                .query_pairs()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect()
        })
        .unwrap_or_default();
    let mut har_request = json!({
        "method": request.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers(&request.headers),
        "queryString": query,
        "headersSize": -1,
        "bodySize": request.body.len(),
    });
    if !request.body.is_empty() {
        let mime = header(&request.headers, "content-type").unwrap_or("application/octet-stream");
        let mut post = json!({ "mimeType": mime, "text": String::from_utf8_lossy(&request.body) });
        if std::str::from_utf8(&request.body).is_err() {
            post["_bodyBase64"] = json!(base64(&request.body));
        }
        har_request["postData"] = post;
    }
    let response = match &entry.response {
        Some(response) => {
            let mime = header(&response.headers, "content-type").unwrap_or("");
            let mut content = json!({ "size": response.body.len(), "mimeType": mime });
            match std::str::from_utf8(&response.body) {
                Ok(text) => content["text"] = json!(text),
                Err(_) => {
                    content["text"] = json!(base64(&response.body));
                    content["encoding"] = json!("base64");
                }
            }
            json!({
                "status": response.status,
                "statusText": axum::http::StatusCode::from_u16(response.status).ok().and_then(|status| status.canonical_reason()).unwrap_or(""),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": headers(&response.headers),
                "content": content,
                "redirectURL": header(&response.headers, "location").unwrap_or(""),
                "headersSize": -1,
                "bodySize": response.body.len(),
            })
        }
        None => json!({
            "status": 0,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [],
            "content": { "size": 0, "mimeType": "" },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": entry.error,
        }),
    };
    let started = entry
        .at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    json!({
        "startedDateTime": started,
        "time": entry.duration_ms,
        "request": har_request,
        "response": response,
        "cache": {},
        "timings": { "send": 0, "wait": entry.duration_ms, "receive": 0 },
        "_surface": entry.surface,
        "_direction": entry.direction,
        "_journalId": entry.id,
    })
}

fn base64(bytes: &Bytes) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
