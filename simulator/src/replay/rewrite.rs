//! Rewriting recorded JSON bodies without touching anything but the strings asked for:
//! key order, whitespace, number text (`1.50`, `1e2`) and every other escape stay byte
//! for byte, so a rewritten body differs from the recording only where it must.

use std::collections::{BTreeSet, HashMap};

use jiff::{SignedDuration, Timestamp};
use rand::Rng;

/// Calls `change(key, value)` for every string *value* of a JSON text (`key` is the name
/// it stands under in the nearest object, `None` in an array or at the top) and writes
/// `Some(new)` in its place, JSON-escaped as `JSON.stringify` does. `None` when the text
/// is not JSON.
///
/// ```
/// use calsim::replay::rewrite::rewrite_strings;
/// let text = r#"{"a" : 1.50, "uid":"x\u0079", "list":["uid"]}"#;
/// let out = rewrite_strings(text, |key, value| (key == Some("uid")).then(|| format!("<{value}>")));
/// assert_eq!(out.unwrap(), r#"{"a" : 1.50, "uid":"<xy>", "list":["uid"]}"#);
/// ```
pub fn rewrite_strings(
    text: &str,
    mut change: impl FnMut(Option<&str>, &str) -> Option<String>,
) -> Option<String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    enum Frame {
        Object { expecting_key: bool, key: String },
        Array,
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut index = 0;
    let mut copied = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'{' => stack.push(Frame::Object {
                expecting_key: true,
                key: String::new(),
            }),
            b'[' => stack.push(Frame::Array),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = false;
                }
            }
            b',' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = true;
                }
            }
            b'"' => {
                let end = string_end(bytes, index)?;
                let raw = &text[index..=end];
                let decoded: String = serde_json::from_str(raw).ok()?;
                match stack.last_mut() {
                    Some(Frame::Object {
                        expecting_key: true,
                        key,
                    }) => *key = decoded,
                    frame => {
                        let key = match frame {
                            Some(Frame::Object { key, .. }) => Some(key.as_str()),
                            _ => None,
                        };
                        if let Some(new) = change(key, &decoded) {
                            out.push_str(&text[copied..index]);
                            out.push_str(&crate::protocol::js_value::stringify(
                                &serde_json::Value::String(new),
                            ));
                            copied = end + 1;
                        }
                    }
                }
                index = end;
            }
            _ => {}
        }
        index += 1;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// The index of the closing quote of the string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut index = start + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'"' => return Some(index),
            _ => index += 1,
        }
    }
    None
}

/// An RFC 3339 time as Cal.com writes them (`2024-01-01T10:00:00.000Z`, or with an
/// offset), moved by `by` and written in the same form: same fraction digits, same
/// `Z` or offset. `None` for any other text.
///
/// ```
/// use calsim::replay::rewrite::shift_time;
/// use jiff::SignedDuration;
/// let day = SignedDuration::from_hours(24);
/// assert_eq!(shift_time("2024-02-28T23:30:00.000Z", day).unwrap(), "2024-02-29T23:30:00.000Z");
/// assert_eq!(shift_time("2024-01-01T10:00:00+05:30", day).unwrap(), "2024-01-02T10:00:00+05:30");
/// assert_eq!(shift_time("Strategy Session", day), None);
/// ```
pub fn shift_time(text: &str, by: SignedDuration) -> Option<String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() >= 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !shaped {
        return None;
    }
    let timestamp: Timestamp = text.parse().ok()?;
    let rest = &text[19..];
    let fraction_digits = rest.strip_prefix('.').map_or(0, |digits| {
        digits.bytes().take_while(u8::is_ascii_digit).count()
    });
    let suffix = &rest[if fraction_digits > 0 {
        fraction_digits + 1
    } else {
        0
    }..];
    let offset_seconds = match suffix {
        "Z" => 0,
        _ => {
            let sign = match suffix.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (hours, minutes) = suffix[1..].split_once(':')?;
            sign * (hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60)
        }
    };
    let offset = jiff::tz::Offset::from_seconds(offset_seconds).ok()?;
    let moved = timestamp.checked_add(by).ok()?;
    let civil = offset.to_datetime(moved);
    let mut out = civil.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    if fraction_digits > 0 {
        let nanos = format!("{:09}", civil.subsec_nanosecond());
        out.push('.');
        out.push_str(&nanos[..fraction_digits.min(9)]);
        out.extend(std::iter::repeat_n('0', fraction_digits.saturating_sub(9)));
    }
    out.push_str(suffix);
    Some(out)
}

/// Every string value of a JSON text that [`shift_time`] reads, moved by `by`.
pub fn shift_times(text: &str, by: SignedDuration) -> Option<String> {
    rewrite_strings(text, |_, value| shift_time(value, by))
}

/// The top-level `createdAt` of a JSON body (when Cal.com says the event happened).
pub fn created_at(text: &str) -> Option<Timestamp> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("createdAt")?.as_str()?.parse().ok()
}

/// Booking uids of a recording, each given a fresh one of the same shape, so that a
/// reschedule still points at its original after replacement.
#[derive(Clone, Debug, Default)]
pub struct FreshUids {
    /// Old uid to new.
    map: HashMap<String, String>,
    /// Uids with characters outside `[A-Za-z0-9_-]`, searched as text, longest first.
    other: Vec<String>,
}

impl FreshUids {
    /// Collects the uids (values of at least 8 characters, without `@`, under a key ending
    /// in `uid`, any case) of every JSON body and draws a fresh one for each. Shorter
    /// values are left alone: replacing them everywhere could hit unrelated text.
    pub fn for_bodies<'a>(bodies: impl IntoIterator<Item = &'a str>, rng: &mut impl Rng) -> Self {
        let mut found = BTreeSet::new();
        for body in bodies {
            rewrite_strings(body, |key, value| {
                let uid_key = key.is_some_and(|key| key.to_ascii_lowercase().ends_with("uid"));
                if uid_key && value.len() >= 8 && !value.contains('@') {
                    found.insert(value.to_owned());
                }
                None
            });
        }
        let map: HashMap<String, String> = found
            .into_iter()
            .map(|old| {
                let new = fresh_like(&old, rng);
                (old, new)
            })
            .collect();
        let mut other: Vec<String> = map
            .keys()
            .filter(|uid| !uid.chars().all(is_uid_char))
            .cloned()
            .collect();
        other.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        FreshUids { map, other }
    }

    /// How many uids get replaced.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The body with every old uid replaced wherever it occurs in a string value (so
    /// `iCalUID`, cancel links and `rescheduleUid` follow). Uids made of letters, digits,
    /// `-` and `_` are found as whole runs of those characters in one pass; any other uid
    /// is searched for as text.
    pub fn apply(&self, text: &str) -> Option<String> {
        rewrite_strings(text, |_, value| {
            let mut changed = String::with_capacity(value.len());
            let mut run_start = None;
            let mut replaced = false;
            for (index, character) in value.char_indices().chain([(value.len(), ' ')]) {
                let in_run = index < value.len() && is_uid_char(character);
                match (in_run, run_start) {
                    (true, None) => run_start = Some(index),
                    (false, Some(start)) => {
                        let run = &value[start..index];
                        match self.map.get(run) {
                            Some(new) => {
                                changed.push_str(new);
                                replaced = true;
                            }
                            None => changed.push_str(run),
                        }
                        run_start = None;
                    }
                    _ => {}
                }
                if !in_run && index < value.len() {
                    changed.push(character);
                }
            }
            for old in &self.other {
                if changed.contains(old.as_str()) {
                    changed = changed.replace(old.as_str(), &self.map[old]);
                    replaced = true;
                }
            }
            replaced.then_some(changed)
        })
    }
}

fn is_uid_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '-' || character == '_'
}

/// A random id shaped like `old`: a UUID v4 for a UUID, else letters and digits of the
/// same length.
fn fresh_like(old: &str, rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ123456789";
    let uuid_shaped = old.len() == 36 && old.bytes().filter(|b| *b == b'-').count() == 4;
    if uuid_shaped {
        return crate::protocol::payload::uuid_v4_from(rng.gen());
    }
    (0..old.chars().count().max(1))
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
