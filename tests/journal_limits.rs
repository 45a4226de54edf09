//! The journal stays bounded: by entries and by recorded bytes, the oldest going first,
//! the newest always kept, ids contiguous among what is kept.

use std::time::Duration;

use axum::http::HeaderMap;
use bytes::Bytes;
use calsim::journal::{Direction, NewEntry, RecordedRequest, Surface};
use calsim::Journal;

fn entry(body_bytes: usize) -> NewEntry {
    NewEntry {
        direction: Direction::Received,
        surface: Surface::AppCredential,
        started: time::OffsetDateTime::now_utc(),
        request: RecordedRequest::new(
            "POST",
            "/api/webhook/app-credential",
            &HeaderMap::new(),
            Bytes::from(vec![b'x'; body_bytes]),
            &[],
        ),
        response: None,
        error: None,
        elapsed: Duration::ZERO,
        verdict: None,
    }
}

#[test]
fn a_byte_budget_drops_the_oldest_entries_and_keeps_ids_contiguous() {
    let journal = Journal::with_limits(1_000_000, 100 * 1024);

    for _ in 0..1_000 {
        journal.record(entry(1024));
    }

    let kept = journal.entries(None);
    assert!(
        journal.bytes() <= 100 * 1024,
        "{} bytes kept",
        journal.bytes()
    );
    assert!(
        kept.len() > 50 && kept.len() < 100,
        "about 100 KiB of 1.5 KiB entries: {}",
        kept.len()
    );
    assert_eq!(kept.last().unwrap().id, 1_000, "the newest is kept");
    for pair in kept.windows(2) {
        assert_eq!(pair[1].id, pair[0].id + 1, "contiguous ids");
    }
}

#[test]
fn an_entry_limit_keeps_exactly_that_many_and_one_huge_entry_is_still_kept() {
    let journal = Journal::with_limits(10, 1024);

    for _ in 0..25 {
        journal.record(entry(10));
    }
    let counted = journal.entries(None).len();
    journal.record(entry(1_000_000));

    assert!(counted <= 10);
    let kept = journal.entries(None);
    assert_eq!(kept.len(), 1, "over the byte budget, only the newest stays");
    assert_eq!(kept[0].id, 26);
    journal.clear();
    assert_eq!(journal.bytes(), 0);
}
