//! `{{name}}` variables: the scenario's `[vars]`, `--var` overrides, captures, and the
//! built-ins `{{target}}`, `{{calcom.url}}` and `{{uuid}}` (a fresh one each time).

use std::collections::BTreeMap;

use serde_json::Value;

/// The variables of one running scenario.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

impl Vars {
    /// Starts from these values.
    pub fn new(values: BTreeMap<String, String>) -> Self {
        Vars { values }
    }

    /// Sets (or replaces) a variable.
    pub fn set(&mut self, name: &str, value: String) {
        self.values.insert(name.to_owned(), value);
    }

    /// A variable's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Replaces every `{{name}}` in `text`; an unknown name is an error naming the
    /// closest known one.
    ///
    /// ```
    /// use calsim::scenario::vars::Vars;
    /// let mut vars = Vars::default();
    /// vars.set("secret", "s3cret".into());
    /// assert_eq!(vars.fill("x-{{ secret }}").unwrap(), "x-s3cret");
    /// assert!(vars.fill("{{secrte}}").unwrap_err().contains("did you mean `secret`?"));
    /// ```
    pub fn fill(&self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(format!("`{{{{` without `}}}}` in `{text}`"));
            };
            let name = after[..close].trim();
            if name == "uuid" {
                out.push_str(&crate::calcom::subscription::uuid_v4());
            } else {
                match self.values.get(name) {
                    Some(value) => out.push_str(value),
                    None => return Err(self.unknown(name)),
                }
            }
            rest = &after[close + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// [`Vars::fill`] in every string of a JSON value (keys included).
    pub fn fill_json(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(text) => Value::String(self.fill(text)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.fill_json(item))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, value)| Ok((self.fill(name)?, self.fill_json(value)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    fn unknown(&self, name: &str) -> String {
        let closest = self
            .values
            .keys()
            .map(|known| (distance(known, name), known))
            .filter(|(distance, _)| *distance <= 2)
            .min();
        match closest {
            Some((_, known)) => format!("unknown variable `{name}`; did you mean `{known}`?"),
            None => format!(
                "unknown variable `{name}`; define it in [vars], pass --var {name}=VALUE or capture it in an earlier step"
            ),
        }
    }
}

/// Edit distance, for "did you mean".
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}
