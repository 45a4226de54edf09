//! An HTTP answer as Cal.com's framework writes it: status, content type, exact bytes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

use crate::protocol::profile::NextRouter;

/// `res.json()` in the Pages Router.
pub const PAGES_JSON: &str = "application/json; charset=utf-8";
/// `NextResponse.json()` in the App Router.
pub const APP_JSON: &str = "application/json";

/// A fully determined answer; comparing two answers compares the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Status code.
    pub status: StatusCode,
    /// `Content-Type`, if the framework sets one.
    pub content_type: Option<&'static str>,
    /// Other headers the framework or handler sets (`Allow`, `X-Trace-Id`).
    pub headers: Vec<(&'static str, String)>,
    /// Body bytes.
    pub body: Bytes,
}

impl Answer {
    /// A compact JSON body (JavaScript's `JSON.stringify`), as the given router sends it.
    pub fn json(status: StatusCode, router: NextRouter, value: &Value) -> Self {
        Answer::json_text(status, router, Bytes::from(value.to_string()))
    }

    /// A JSON answer whose text is already written.
    fn json_text(status: StatusCode, router: NextRouter, body: Bytes) -> Self {
        let content_type = match router {
            NextRouter::Pages => PAGES_JSON,
            NextRouter::App => APP_JSON,
        };
        Answer {
            status,
            content_type: Some(content_type),
            headers: Vec::new(),
            body,
        }
    }

    /// `{"message": <message>}`, Cal.com's most common body.
    pub fn message(status: StatusCode, router: NextRouter, message: &str) -> Self {
        let mut body = Vec::with_capacity(message.len() + 16);
        body.extend_from_slice(br#"{"message":"#);
        serde_json::to_writer(&mut body, message).unwrap_or_default();
        body.push(b'}');
        Answer::json_text(status, router, Bytes::from(body))
    }

    /// A plain-text answer from Next.js itself (`res.end(message)`: no content type).
    pub fn next_text(status: StatusCode, text: &str) -> Self {
        Answer {
            status,
            content_type: None,
            headers: Vec::new(),
            body: Bytes::from(text.to_owned()),
        }
    }

    /// An answer with no body.
    pub fn empty(status: StatusCode) -> Self {
        Answer {
            status,
            content_type: None,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The body as text, for messages and logs.
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        headers.remove(header::CONTENT_TYPE);
        if let Some(content_type) = self.content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        response
    }
}
