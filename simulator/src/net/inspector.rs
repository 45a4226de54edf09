//! The web inspector every calsim server shows at `/_calsim/ui`: one embedded page (no
//! CDN, works offline) that lists the journal, follows it live over server-sent events
//! (`/_calsim/journal/live`), and drives the simulator through the control API. The
//! page hides what a server does not have (a `calsim receive` has no clock or
//! bookings).

use std::convert::Infallible;
use std::sync::Arc;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use futures_util::Stream;
use serde_json::Value;

use crate::net::journal::{Entry, Journal};

/// The page.
pub const PAGE: &str = include_str!("inspector.html");

/// `GET /_calsim/ui`.
pub async fn page() -> Response {
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Html(PAGE),
    )
        .into_response()
}

/// `GET /_calsim/ui/info`: which kind of server the page talks to (`calcom`,
/// `receiver`), so it shows only the actions that server has.
pub fn info(kind: &'static str) -> Response {
    axum::Json(serde_json::json!({ "kind": kind })).into_response()
}

/// The journal's new entries as server-sent events, each the entry as `shown` renders it
/// (secrets masked); a slow reader skips what it missed rather than holding memory.
pub fn live(
    journal: &Journal,
    shown: impl Fn(&Entry) -> Value + Send + Sync + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = journal.subscribe();
    let shown = Arc::new(shown);
    let stream = futures_util::stream::unfold(receiver, move |mut receiver| {
        let shown = Arc::clone(&shown);
        async move {
            loop {
                match receiver.recv().await {
                    Ok(entry) => {
                        let event = Event::default().data(shown(&entry).to_string());
                        return Some((Ok(event), receiver));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
