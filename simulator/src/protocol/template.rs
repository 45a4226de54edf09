//! `payloadTemplate`: Cal.com's webhook templates, rendered as Handlebars.js renders them.
//!
//! Cal.com decides the content type from the **raw** template (`JSON.parse` succeeds:
//! `application/json`, else `application/x-www-form-urlencoded`), renders with
//! Handlebars, replaces every `&quot;` with `"`, and in the JSON case re-serialises
//! compactly, sending the body `false` when the rendered text is not JSON
//! (`shared/spec/webhooks.md` §1.4). The form case is sent as rendered, not URL-encoded.
//!
//! The `handlebars` crate differs from Handlebars.js in how it turns values into text;
//! calsim covers each difference (checked against Handlebars.js 4.7,
//! `fixtures/templates/cases.json`):
//! * objects print `[object Object]` (the crate: `[object]`);
//! * arrays print like JavaScript's `Array.prototype.toString` — `1,2.5,,x` (the crate:
//!   `[1, 2.5, , x]`);
//! * numbers print like JavaScript — `1e+21`, `0` for `-0` (the crate: serde's text);
//! * the HTML escape set is Handlebars.js's (`& < > " ' \` =`).
//!
//! Simple mustaches (`{{path}}`, `{{{path}}}`) are routed through a helper that applies
//! these rules; block helpers, parent scopes and `@data` variables are the crate's own.

use std::sync::LazyLock;

use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext};
use serde_json::Value;

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

/// A template Handlebars cannot compile (Cal.com's `compile` throws and nothing is sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payloadTemplate does not compile: {0}; Cal.com would throw and send nothing (check the braces: `{{{{a}}}}}}` closes a triple-stash)")]
pub struct TemplateError(pub String);

/// `{{path}}`: JavaScript text, HTML-escaped.
const ESCAPED: &str = "calsim_js_escaped";
/// `{{{path}}}`: JavaScript text as is.
const RAW: &str = "calsim_js_raw";

static SIMPLE_MUSTACHE: LazyLock<regex_lite::Regex> = LazyLock::new(|| {
    regex_lite::Regex::new(r"\{\{(\{?)\s*([^\s{}#/!>^&=~@][^\s{}]*|@[A-Za-z_][^\s{}]*)\s*(\}?)\}\}")
        .expect("a valid pattern")
});

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
    let content_type = if template.is_empty() {
        JSON
    } else {
        content_type(template)
    };
    let mut mismatched = None;
    let rewritten = SIMPLE_MUSTACHE.replace_all(template, |captures: &regex_lite::Captures<'_>| {
        let (open, path, close) = (&captures[1], &captures[2], &captures[3]);
        if open.len() != close.len() {
            mismatched.get_or_insert_with(|| captures[0].to_owned());
        }
        if path == "else" || open.len() != close.len() {
            return captures[0].to_owned();
        }
        let helper = if open.is_empty() { ESCAPED } else { RAW };
        format!("{{{{{helper} {path}}}}}")
    });
    if let Some(mustache) = mismatched {
        return Err(TemplateError(format!(
            "Parse error: `{mustache}` opens and closes with different brace counts"
        )));
    }
    let mut registry = Handlebars::new();
    registry.register_escape_fn(escape);
    registry.register_helper(ESCAPED, Box::new(js_text_escaped));
    registry.register_helper(RAW, Box::new(js_text_raw));
    let rendered = registry
        .render_template(&rewritten, context)
        .map_err(|error| {
            TemplateError(
                error
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })?
        .replace("&quot;", "\"");
    let body = if content_type == JSON {
        match JsValue::parse(&rendered) {
            Ok(value) => Value::from(value).to_string(),
            Err(_) => "false".to_owned(),
        }
    } else {
        rendered
    };
    Ok(Rendered { content_type, body })
}

/// Handlebars.js's `escapeExpression`.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            '`' => escaped.push_str("&#x60;"),
            '=' => escaped.push_str("&#x3D;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn js_text_escaped(
    helper: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&escape(&param_text(helper)))?;
    Ok(())
}

fn js_text_raw(
    helper: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&param_text(helper))?;
    Ok(())
}

fn param_text(helper: &Helper<'_>) -> String {
    helper
        .param(0)
        .map(|param| to_js_string(param.value()))
        .unwrap_or_default()
}

/// JavaScript's `String(value)` for JSON values (`null` and missing print nothing, as
/// Handlebars prints them).
pub fn to_js_string(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.as_f64().map(js_number).unwrap_or_default(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => to_js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// `Number.prototype.toString()`.
///
/// ```
/// use calsim::template::js_number;
/// assert_eq!(js_number(1050.0), "1050");
/// assert_eq!(js_number(1e21), "1e+21");
/// assert_eq!(js_number(-0.0), "0");
/// assert_eq!(js_number(2.5e-7), "2.5e-7");
/// ```
pub fn js_number(number: f64) -> String {
    if number == 0.0 {
        return "0".to_owned();
    }
    if !number.is_finite() {
        return if number.is_nan() {
            "NaN"
        } else if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned();
    }
    let magnitude = number.abs();
    if (1e-6..1e21).contains(&magnitude) {
        return format!("{number}");
    }
    let scientific = format!("{number:e}");
    match scientific.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => {
            format!("{mantissa}e+{exponent}")
        }
        _ => scientific,
    }
}
