//! The one way calsim builds HTTP clients: bounded time, no proxies.
//!
//! [`build`] follows no redirect and decodes nothing: webhook deliveries are sent with
//! `redirect: "manual"`, and checks report a 3xx instead of hiding it. [`node_fetch`] is
//! Node's `fetch` as Cal.com's pull uses it: redirects followed (up to 20; 307/308 re-send
//! the POST, 301/302/303 turn it into a GET) and gzip, deflate and br bodies decoded.
//! Every request has a timeout, so a slow or dead peer never hangs a run.

use std::time::Duration;

/// A client whose every request gives up after `timeout` (connecting included).
///
/// ```
/// let client = calsim::http_client::build(std::time::Duration::from_secs(5));
/// # drop(client);
/// ```
pub fn build(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .no_deflate()
        .no_brotli()
        .no_proxy()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .build()
        .expect("a client with only timeouts and policies set always builds")
}

/// A client that behaves as Node's `fetch` (undici) does for Cal.com's pull: follows up
/// to 20 redirects and decodes compressed bodies. Unlike undici (300 s), it gives up
/// after `timeout`.
pub fn node_fetch(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(20))
        .no_proxy()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .build()
        .expect("a client with only timeouts and policies set always builds")
}

/// The headers Node 20's `fetch` (undici) adds to every request Cal.com sends, after the
/// caller's own ([?] upstream: they depend on the Node version, not on Cal.com).
pub const NODE_FETCH_HEADERS: [(&str, &str); 5] = [
    ("accept", "*/*"),
    ("accept-language", "*"),
    ("sec-fetch-mode", "cors"),
    ("user-agent", "node"),
    ("accept-encoding", "gzip, deflate"),
];

/// What to say when no answer came within `timeout`.
pub fn timed_out(timeout: Duration) -> String {
    format!("no answer within {} ms; is the peer up and fast enough? (raise the timeout if it is slow on purpose)", timeout.as_millis())
}

/// What to say when no connection could be made.
pub fn unreachable() -> String {
    format!("{CONNECTION_FAILED}; is anything listening at that address?")
}

/// How [`describe_error`] starts when nothing answered at all (the peer is unreachable).
pub const CONNECTION_FAILED: &str = "connection failed";

/// Explains a failed request in words that say what to check.
pub fn describe_error(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        timed_out(timeout)
    } else if error.is_connect() {
        unreachable()
    } else if error.is_builder() {
        format!("the URL is not usable: {error}")
    } else {
        format!("{error}")
    }
}
