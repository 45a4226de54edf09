//! The fake providers' state as data: faults set per app and the records the apps
//! created. The routes that use it live in `providers.rs`.

use std::collections::HashMap;
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

/// The providers' state: faults per app and the records the apps created.
#[derive(Debug, Default)]
pub struct Providers {
    faults: Mutex<HashMap<String, Fault>>,
    records: Mutex<Vec<Value>>,
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
            .clone()
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
        self.records
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push(json!({ "app": app, "operation": operation, "id": id, "body": body }));
    }

    pub(crate) fn next(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}
