//! `payloadTemplate`: Cal.com's webhook templates (`sendPayload.ts`, `applyTemplate`).
//!
//! Cal.com decides the content type from the **raw** template (`JSON.parse` yields a
//! truthy value: `application/json`, else `application/x-www-form-urlencoded`), renders
//! with Handlebars.js ([`crate::protocol::handlebars`]), replaces every `&quot;` with `"`,
//! and in the JSON case sends `JSON.stringify(JSON.parse(rendered))`, which is the body
//! `false` when the rendered text is not JSON (`shared/spec/webhooks.md` §1.4). The form
//! case is sent as rendered, not URL-encoded. A template Handlebars.js cannot compile or
//! render makes `sendPayload` throw: nothing is sent.

use serde_json::Value;

use crate::protocol::handlebars;
use crate::protocol::js_value::JsValue;

/// JSON bodies (the default, and templates that are JSON).
pub const JSON: &str = "application/json";
/// Templates that are not JSON as written (the body is not actually URL-encoded).
pub const FORM: &str = "application/x-www-form-urlencoded";

/// A rendered template body and its content type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// `application/json` or `application/x-www-form-urlencoded`.
    pub content_type: &'static str,
    /// The exact body to sign and send.
    pub body: String,
}

/// A template Handlebars.js cannot compile or render: Cal.com's `sendPayload` throws
/// and nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payloadTemplate fails in Handlebars.js ({0}); Cal.com would throw and send nothing (check the braces: `{{{{a}}}}}}` closes a triple-stash, and only if, unless, each, with and lookup are helpers)")]
pub struct TemplateError(pub String);

/// Whether Cal.com sends this template as JSON (decided before rendering).
pub fn content_type(template: &str) -> &'static str {
    match JsValue::parse(template) {
        Ok(JsValue::Null | JsValue::Bool(false)) | Err(_) => FORM,
        Ok(JsValue::Number(number)) if number == 0.0 || number.is_nan() => FORM,
        Ok(JsValue::String(text)) if text.is_empty() => FORM,
        Ok(_) => JSON,
    }
}

/// Renders a template against the event data as Cal.com does.
///
/// ```
/// let context = serde_json::json!({"title": "O'Brien & co", "organizer": {"name": "Alice"}});
/// let rendered = calsim::template::render(r#"{"t":"{{title}}","o":"{{organizer}}"}"#, &context).unwrap();
/// assert_eq!(rendered.content_type, "application/json");
/// assert_eq!(rendered.body, r#"{"t":"O&#x27;Brien &amp; co","o":"[object Object]"}"#);
/// ```
pub fn render(template: &str, context: &Value) -> Result<Rendered, TemplateError> {
    render_js(template, &JsValue::from(context))
}

/// [`render`] over data already held as JavaScript holds it.
pub fn render_js(template: &str, context: &JsValue) -> Result<Rendered, TemplateError> {
    let content_type = if template.is_empty() {
        JSON
    } else {
        content_type(template)
    };
    let compiled = handlebars::compile(template).map_err(|error| TemplateError(error.0))?;
    let rendered = compiled
        .render(context)
        .map_err(|error| TemplateError(error.0))?
        .replace("&quot;", "\"");
    let body = if content_type == JSON {
        match JsValue::parse(&rendered) {
            Ok(value) => crate::protocol::js_value::stringify(&Value::from(value)),
            Err(_) => "false".to_owned(),
        }
    } else {
        rendered
    };
    Ok(Rendered { content_type, body })
}
