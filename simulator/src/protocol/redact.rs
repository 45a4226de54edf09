//! Masking of secrets before they reach logs, the journal or the terminal.

/// Masks a secret: short ones entirely, longer ones keep four characters as a hint.
///
/// ```
/// assert_eq!(calsim::redact::mask("calsim-dev-sync-secret"), "cals***");
/// assert_eq!(calsim::redact::mask("short"), "***");
/// assert_eq!(calsim::redact::mask(""), "");
/// ```
pub fn mask(secret: &str) -> String {
    match secret.char_indices().nth(4) {
        _ if secret.is_empty() => String::new(),
        Some((cut, _)) if secret.chars().count() > 8 => format!("{}***", &secret[..cut]),
        _ => "***".to_owned(),
    }
}

/// Compares a received secret with the expected one in constant time. Cal.com itself
/// uses `!==`; the answers are the same, calsim just does not leak timing.
///
/// ```
/// assert!(calsim::redact::secret_matches(Some("s3cret"), "s3cret"));
/// assert!(!calsim::redact::secret_matches(Some("s3creT"), "s3cret"));
/// assert!(!calsim::redact::secret_matches(None, "s3cret"));
/// ```
pub fn secret_matches(received: Option<&str>, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    received.is_some_and(|received| bool::from(received.as_bytes().ct_eq(expected.as_bytes())))
}

/// Header names whose values are always masked in the journal.
pub const SENSITIVE_HEADERS: [&str; 4] = [
    "authorization",
    "x-cal-secret-key",
    "cookie",
    "proxy-authorization",
];

/// Query parameters whose values are always masked in recorded URLs.
pub const SENSITIVE_QUERY_PARAMS: [&str; 1] = ["apiKey"];

/// Masks the values of [`SENSITIVE_QUERY_PARAMS`] in a path-and-query or URL.
///
/// ```
/// assert_eq!(
///     calsim::redact::mask_query("/api/v1/credential-sync?apiKey=cal_calsim_admin_key&userId=1"),
///     "/api/v1/credential-sync?apiKey=cal_***&userId=1",
/// );
/// ```
pub fn mask_query(url: &str) -> String {
    let Some((path, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if SENSITIVE_QUERY_PARAMS.contains(&name) => {
                format!("{name}={}", mask(value))
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", masked.join("&"))
}

/// Whether a JSON field name holds a secret (`access_token`, `client_secret`, ...).
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["token", "secret", "password", "apikey", "api_key"]
        .iter()
        .any(|fragment| name.contains(fragment))
}

/// A copy of a JSON value with the string values of secret-named fields masked, at
/// any depth: what the control API and reports show of a credential key.
///
/// ```
/// let key = serde_json::json!({"access_token": "ya29.a0-long-token", "scope": "calendar", "nested": {"refresh_token": "1//r"}});
/// assert_eq!(
///     calsim::redact::mask_token_fields(&key),
///     serde_json::json!({"access_token": "ya29***", "scope": "calendar", "nested": {"refresh_token": "***"}}),
/// );
/// ```
pub fn mask_token_fields(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| {
                    let masked = match value {
                        Value::String(text) if is_secret_name(name) => Value::String(mask(text)),
                        other => mask_token_fields(other),
                    };
                    (name.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_token_fields).collect()),
        other => other.clone(),
    }
}

/// A copy of a JSON value fit to show: secret-named fields masked
/// ([`mask_token_fields`]) and every occurrence of the given secrets, in any string,
/// masked ([`scrub_text`]).
///
/// ```
/// let value = serde_json::json!({"headers": [["x-secret", "s3cret-value-123"]], "access_token": "tok-123456789"});
/// assert_eq!(
///     calsim::redact::scrub_value(&value, &["s3cret-value-123"]),
///     serde_json::json!({"headers": [["x-secret", "s3cr***"]], "access_token": "tok-***"}),
/// );
/// ```
pub fn scrub_value(value: &serde_json::Value, secrets: &[&str]) -> serde_json::Value {
    scrub_strings(mask_token_fields(value), secrets)
}

fn scrub_strings(value: serde_json::Value, secrets: &[&str]) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(scrub_text(&text, secrets)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| scrub_strings(item, secrets))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| (name, scrub_strings(value, secrets)))
                .collect(),
        ),
        other => other,
    }
}

/// Text with every occurrence of the given secrets masked, and the string values of
/// secret-named JSON fields (`"access_token":"..."`) masked too, even in a cut excerpt.
///
/// ```
/// let text = r#"403 {"message":"bad secret s3cret-value-123","access_token":"abc\"def"}"#;
/// assert_eq!(
///     calsim::redact::scrub_text(text, &["s3cret-value-123"]),
///     r#"403 {"message":"bad secret s3cr***","access_token":"***"}"#,
/// );
/// ```
pub fn scrub_text(text: &str, secrets: &[&str]) -> String {
    let mut scrubbed = text.to_owned();
    for secret in secrets.iter().filter(|secret| secret.len() >= 4) {
        if scrubbed.contains(secret) {
            scrubbed = scrubbed.replace(secret, &mask(secret));
        }
    }
    mask_json_string_fields(&scrubbed)
}

/// Masks `"<secret name>": "<value>"` pairs found in text that may not parse as JSON.
fn mask_json_string_fields(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let after_open = &rest[open + 1..];
        let Some(close) = closing_quote(after_open) else {
            break;
        };
        let name = &after_open[..close];
        let after_name = &after_open[close + 1..];
        out.push_str(&rest[..open + 1 + close + 1]);
        rest = after_name;
        let trimmed = rest.trim_start();
        let Some(after_colon) = trimmed.strip_prefix(':') else {
            continue;
        };
        let value_start = after_colon.trim_start();
        if !is_secret_name(name) || !value_start.starts_with('"') {
            continue;
        }
        let Some(value_end) = closing_quote(&value_start[1..]) else {
            let skipped = rest.len() - value_start.len();
            out.push_str(&rest[..skipped]);
            out.push_str("\"***");
            return out;
        };
        let skipped = rest.len() - value_start.len();
        out.push_str(&rest[..skipped]);
        out.push('"');
        out.push_str(&mask(&value_start[1..1 + value_end]));
        out.push('"');
        rest = &value_start[1 + value_end + 1..];
    }
    out.push_str(rest);
    out
}

/// The byte index of the next unescaped `"`.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, byte) in text.bytes().enumerate() {
        match byte {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return Some(at),
            _ => {}
        }
    }
    None
}
