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
