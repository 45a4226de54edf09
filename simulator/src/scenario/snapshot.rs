//! Snapshot steps, in insta's workflow: a step with `snapshot = "name"` compares its answer
//! (JSON pretty-printed, `redact`ed paths replaced) with
//! `snapshots/<scenario>__<name>.snap` beside the scenario file. A missing or different
//! snapshot fails the step; with `--update-snapshots` the new content is written to
//! `<...>.snap.new` for review (`calsim snapshots accept` moves it into place). A `.snap`
//! is never overwritten by a run.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::scenario::step::json_path;

/// What a snapshot holds for an answer body: pretty JSON with redactions, or the text.
pub fn content(body: &str, redact: &[String]) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(mut value) => {
            for path in redact {
                redact_path(&mut value, path);
            }
            serde_json::to_string_pretty(&value).unwrap_or_default()
        }
        Err(_) => body.to_owned(),
    }
}

fn redact_path(value: &mut Value, path: &str) {
    if json_path(value, path).is_none() {
        return;
    }
    let (parent, last) = match path.rfind(['.', '[']) {
        Some(at) => (&path[..at], &path[at..]),
        None => return,
    };
    let parent = if parent.is_empty() { "$" } else { parent };
    let Some(pointer) = pointer(parent) else {
        return;
    };
    let Some(container) = value.pointer_mut(&pointer) else {
        return;
    };
    let key = last
        .trim_start_matches(['.', '['])
        .trim_end_matches(']')
        .trim_matches('"');
    match container {
        Value::Object(fields) => {
            if let Some(slot) = fields.get_mut(key) {
                *slot = Value::String("[redacted]".to_owned());
            }
        }
        Value::Array(items) => {
            if let Some(slot) = key
                .parse::<usize>()
                .ok()
                .and_then(|index| items.get_mut(index))
            {
                *slot = Value::String("[redacted]".to_owned());
            }
        }
        _ => {}
    }
}

/// `$.a[0].b` as the JSON pointer `/a/0/b`.
fn pointer(path: &str) -> Option<String> {
    let mut pointer = String::new();
    let mut rest = path.strip_prefix('$')?;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            pointer.push('/');
            pointer.push_str(&after[..end].replace('~', "~0").replace('/', "~1"));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            pointer.push('/');
            pointer.push_str(after[..end].trim_matches('"'));
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(pointer)
}

/// Where a scenario's snapshot lives.
pub fn path(scenario_origin: &str, name: &str) -> PathBuf {
    let origin = Path::new(scenario_origin);
    let stem = origin.file_stem().map_or_else(
        || "scenario".to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    origin
        .parent()
        .unwrap_or(Path::new("."))
        .join("snapshots")
        .join(format!("{stem}__{name}.snap"))
}

fn file_text(scenario_origin: &str, step: &str, content: &str) -> String {
    format!("---\nsource: {scenario_origin}\nstep: {step}\n---\n{content}\n")
}

/// The stored content of a snapshot file (after its header), if it exists.
fn stored(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let body = text.strip_prefix("---\n")?;
    let (_, content) = body.split_once("\n---\n")?;
    Some(content.strip_suffix('\n').unwrap_or(content).to_owned())
}

/// Compares `content` with the stored snapshot; on a difference (or none stored) writes
/// `.snap.new` when `update` and returns why it failed.
pub fn compare(
    scenario_origin: &str,
    name: &str,
    step: &str,
    content: &str,
    update: bool,
) -> Result<(), String> {
    let path = path(scenario_origin, name);
    let stored = stored(&path);
    if stored.as_deref() == Some(content) {
        return Ok(());
    }
    let pending = path.with_extension("snap.new");
    let mut problem = match &stored {
        None => format!("no snapshot {} yet", path.display()),
        Some(old) => format!(
            "the answer differs from {}:\n{}",
            path.display(),
            first_difference(old, content)
        ),
    };
    if update {
        let written = pending
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::write(&pending, file_text(scenario_origin, step, content)));
        match written {
            Ok(()) => problem.push_str(&format!(
                "; wrote {} for review (accept with `calsim snapshots accept`)",
                pending.display()
            )),
            Err(error) => {
                problem.push_str(&format!("; cannot write {}: {error}", pending.display()))
            }
        }
    } else {
        problem.push_str("; run with --update-snapshots to write the new one for review");
    }
    Err(problem)
}

fn first_difference(old: &str, new: &str) -> String {
    let mut old_lines = old.lines();
    let mut new_lines = new.lines();
    for number in 1.. {
        match (old_lines.next(), new_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => break,
            (a, b) => {
                return format!(
                    "line {number}: -{} +{}",
                    a.unwrap_or("(end)"),
                    b.unwrap_or("(end)")
                )
            }
        }
    }
    String::new()
}

/// Moves every pending `.snap.new` under `folder` into place; returns what was accepted.
pub fn accept(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut accepted = Vec::new();
    if !folder.is_dir() {
        return Ok(accepted);
    }
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.is_dir() {
            accepted.extend(accept(&path)?);
        } else if path.to_string_lossy().ends_with(".snap.new") {
            let target = path.with_extension("");
            std::fs::rename(&path, &target)?;
            accepted.push(target);
        }
    }
    accepted.sort();
    Ok(accepted)
}
