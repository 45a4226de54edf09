//! The fake providers' state as data: faults set per app and the records the apps
//! created. The routes that use it live in `providers.rs`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A fault a provider answers with before looking at the token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// Answer this status (401 revoked, 403, 429, 500, 503...).
    #[serde(default)]
    pub status: Option<u16>,
    /// Wait this long before answering (past Cal.com's patience: a timeout).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// How many calls it applies to; absent: every call until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

impl Fault {
    /// The longest delay a fault may ask for (10 minutes): longer than any call's
    /// timeout, short enough that a forgotten fault frees its tasks.
    pub const MAX_DELAY_MS: u64 = 600_000;

    /// Why the fault cannot be used, if it cannot.
    pub fn problem(&self) -> Option<String> {
        match (self.status, self.delay_ms, self.times) {
            (None, None, _) => Some("a fault needs a `status`, a `delayMs` or both".to_owned()),
            (Some(status), _, _) if !(400..=599).contains(&status) => Some(format!(
                "status {status} is not an error status; a provider fault answers 400 to 599"
            )),
            (_, Some(delay), _) if delay > Fault::MAX_DELAY_MS => Some(format!(
                "delayMs {delay} is over the {} ms limit; any delay past the call's timeout already is a timeout",
                Fault::MAX_DELAY_MS
            )),
            (_, _, Some(0)) => Some("times must be at least 1 (leave it out for every call)".to_owned()),
            _ => None,
        }
    }
}

/// How many records the providers keep; the oldest go first.
pub const RECORD_CAPACITY: usize = 10_000;

/// The providers' state: faults per app and the records the apps created (at most
/// [`RECORD_CAPACITY`]).
#[derive(Debug, Default)]
pub struct Providers {
    faults: Mutex<HashMap<String, Fault>>,
    records: Mutex<VecDeque<Value>>,
    next_id: AtomicU64,
}

impl Providers {
    /// Sets (replaces) the fault of an app.
    pub fn set_fault(&self, app: &str, fault: Fault) {
        self.faults
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .insert(app.to_owned(), fault);
    }

    /// Clears an app's fault.
    pub fn clear_fault(&self, app: &str) -> Option<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .remove(app)
    }

    /// The fault to apply to this call, counting it down.
    pub(crate) fn take_fault(&self, app: &str) -> Option<Fault> {
        let mut faults = self
            .faults
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let fault = faults.get_mut(app)?;
        let applied = fault.clone();
        match &mut fault.times {
            Some(0) => {
                faults.remove(app);
                return None;
            }
            Some(left) => {
                *left -= 1;
                if *left == 0 {
                    faults.remove(app);
                }
            }
            None => {}
        }
        Some(applied)
    }

    /// Every record the apps created or changed, oldest first
    /// (`{"app", "operation", "id", "body"}`).
    pub fn records(&self) -> Vec<Value> {
        self.records
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The busy times (`[start, end)` in epoch ms) of the calendar events the given
    /// apps hold that overlap `[from_ms, to_ms)`: created and not deleted, at their
    /// latest times, oldest first.
    pub fn busy(&self, apps: &[&str], from_ms: i64, to_ms: i64) -> Vec<(i64, i64)> {
        let records = self
            .records
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let mut events: Vec<(&str, (i64, i64))> = Vec::new();
        for record in records.iter() {
            let app = record["app"].as_str().unwrap_or_default();
            if !apps.contains(&app) {
                continue;
            }
            let id = record["id"].as_str().unwrap_or_default();
            match record["operation"].as_str() {
                Some("create" | "update") => {
                    let Some(times) = event_times(&record["body"]) else {
                        continue;
                    };
                    match events.iter_mut().find(|(known, _)| *known == id) {
                        Some(event) => event.1 = times,
                        None if record["operation"] == "create" => events.push((id, times)),
                        None => {}
                    }
                }
                Some("delete") => events.retain(|(known, _)| *known != id),
                _ => {}
            }
        }
        events
            .into_iter()
            .map(|(_, times)| times)
            .filter(|(start, end)| *start < to_ms && *end > from_ms)
            .collect()
    }

    /// Whether an app's event `id` was created with a conference request (Google Meet).
    pub fn created_with_meet(&self, app: &str, id: &str) -> bool {
        self.records
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .iter()
            .any(|record| {
                record["app"] == app
                    && record["operation"] == "create"
                    && record["id"] == id
                    && record["body"]
                        .pointer("/conferenceData/createRequest")
                        .is_some()
            })
    }

    /// The contacts a CRM app created whose email is one of `emails`, oldest first.
    pub fn contacts(&self, app: &str, emails: &[&str]) -> Vec<Value> {
        self.records
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .iter()
            .filter(|record| record["app"] == app && record["operation"] == "create-contact")
            .filter(|record| {
                record["body"]["properties"]["email"]
                    .as_str()
                    .is_some_and(|email| emails.contains(&email))
            })
            .cloned()
            .collect()
    }

    /// Forgets faults and records (`POST /_calsim/reset`).
    pub fn clear(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clear();
        self.records
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clear();
    }

    pub(crate) fn record(&self, app: &str, operation: &str, id: &str, body: &Value) {
        let record = json!({ "app": app, "operation": operation, "id": id, "body": body });
        let mut records = self
            .records
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        records.push_back(record);
        while records.len() > RECORD_CAPACITY {
            records.pop_front();
        }
    }

    pub(crate) fn next(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// The `[start, end)` of a calendar event body in Google's or Graph's shape
/// (`{"start": {"dateTime": ...}, "end": {"dateTime": ...}}`), in epoch ms; Graph's
/// zone-less `dateTime` is read as UTC, as calsim sends it.
fn event_times(body: &Value) -> Option<(i64, i64)> {
    let at = |field: &str| -> Option<i64> {
        let text = body.get(field)?.get("dateTime")?.as_str()?;
        text.parse::<jiff::Timestamp>()
            .or_else(|_| format!("{text}Z").parse::<jiff::Timestamp>())
            .ok()
            .map(jiff::Timestamp::as_millisecond)
    };
    Some((at("start")?, at("end")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_the_newest_up_to_the_capacity() {
        let providers = Providers::default();
        for id in 0..=RECORD_CAPACITY {
            providers.record("zoom", "create", &id.to_string(), &Value::Null);
        }

        let records = providers.records();

        assert_eq!(records.len(), RECORD_CAPACITY);
        assert_eq!(records[0]["id"], "1", "the oldest went first");
        assert_eq!(
            records[RECORD_CAPACITY - 1]["id"],
            RECORD_CAPACITY.to_string()
        );
    }

    #[test]
    fn busy_follows_updates_and_deletes_of_an_event() {
        let providers = Providers::default();
        let at = |hour: u8| json!({"start": {"dateTime": format!("2030-01-01T{hour:02}:00:00Z")}, "end": {"dateTime": format!("2030-01-01T{:02}:00:00Z", hour + 1)}});
        providers.record("google-calendar", "create", "a", &at(9));
        providers.record("google-calendar", "create", "b", &at(12));
        providers.record("google-calendar", "update", "a", &at(10));
        providers.record("google-calendar", "delete", "b", &Value::Null);
        providers.record("zoom", "create", "c", &at(15));
        let hour = 3_600_000;
        let day = 1_893_456_000_000; // 2030-01-01T00:00:00Z

        let busy = providers.busy(&["google-calendar"], day, day + 24 * hour);

        assert_eq!(busy, [(day + 10 * hour, day + 11 * hour)]);
    }
}
