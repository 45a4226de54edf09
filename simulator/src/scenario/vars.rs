//! `{{name}}` variables: the scenario's `[vars]`, `--var` overrides, captures, and the
//! built-ins `{{target}}`, `{{calcom.url}}` and `{{uuid}}` (a fresh one each time), and
//! two helpers whose arguments are variable names or `"quoted text"`:
//! `{{encrypt TEXT KEY IV}}` (Cal.com's `symmetricEncrypt`: AES-256-CBC,
//! `<iv hex>:<ciphertext hex>`, the key's 32 characters as bytes, IV as 32 hex digits) and
//! `{{json VALUE}}` (the value as a JSON string literal, quotes included).

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
            if name.contains(' ') {
                out.push_str(&self.helper(name)?);
            } else if name == "uuid" {
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

    /// `encrypt TEXT KEY IV` or `json VALUE`.
    ///
    /// ```
    /// use calsim::scenario::vars::Vars;
    /// let mut vars = Vars::default();
    /// vars.set("key", "calsim-dev-key-0123456789abcdef!".into());
    /// let keys = vars.fill(r#"{{encrypt "{}" key "00000000000000000000000000000000"}}"#).unwrap();
    /// assert_eq!(keys, "00000000000000000000000000000000:35eca0aa790a989a3416b6b4b638ea4c");
    /// assert_eq!(vars.fill(r#"{{json "a\"b"}}"#).unwrap(), r#""a\"b""#);
    /// ```
    fn helper(&self, call: &str) -> Result<String, String> {
        let mut words = arguments(call)?.into_iter();
        let helper = words.next().unwrap_or_default();
        let args: Vec<String> = words
            .map(|word| match word.strip_prefix('"') {
                Some(literal) => Ok(literal.to_owned()),
                None => self
                    .values
                    .get(&word)
                    .cloned()
                    .ok_or_else(|| self.unknown(&word)),
            })
            .collect::<Result<_, _>>()?;
        match (helper.as_str(), args.as_slice()) {
            ("encrypt", [text, key, iv]) => {
                let key = crate::protocol::crypto::EncryptionKey::from_env_string(key)
                    .map_err(|error| format!("{{{{encrypt}}}}: {error}"))?;
                let iv: [u8; 16] = hex::decode(iv)
                    .ok()
                    .and_then(|bytes| bytes.try_into().ok())
                    .ok_or_else(|| {
                        format!("{{{{encrypt}}}}: the IV `{iv}` must be 32 hex digits")
                    })?;
                Ok(crate::protocol::crypto::symmetric_encrypt_with_iv(
                    text, &key, iv,
                ))
            }
            ("json", [value]) => Ok(serde_json::Value::String(value.clone()).to_string()),
            ("encrypt", _) => Err("write {{encrypt TEXT KEY IV}}: three arguments".to_owned()),
            ("json", _) => Err("write {{json VALUE}}: one argument".to_owned()),
            (other, _) => Err(format!(
                "unknown helper `{other}`; the helpers are `encrypt` and `json`"
            )),
        }
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

/// Splits a helper call into words; a `"quoted"` word keeps its spaces and `\"`, and is
/// returned with its opening quote only, to tell it from a variable name.
fn arguments(call: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = call.chars().peekable();
    while let Some(&next) = chars.peek() {
        if next == ' ' {
            chars.next();
        } else if next == '"' {
            chars.next();
            let mut word = String::from('"');
            loop {
                match chars.next() {
                    Some('\\') => word.extend(chars.next()),
                    Some('"') => break,
                    Some(other) => word.push(other),
                    None => return Err(format!("unclosed quote in `{{{{{call}}}}}`")),
                }
            }
            words.push(word);
        } else {
            let mut word = String::new();
            while let Some(&next) = chars.peek() {
                if next == ' ' {
                    break;
                }
                word.push(next);
                chars.next();
            }
            words.push(word);
        }
    }
    Ok(words)
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
