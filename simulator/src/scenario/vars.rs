//! `{{name}}` variables: the scenario's `[vars]`, `--var` overrides, captures, and the
//! built-ins `{{target}}`, `{{calcom.url}}`, `{{partner.url}}`, and, fresh each time,
//! `{{uuid}}`, `{{email}}` and `{{name}}`; and three helpers whose arguments are variable
//! names or `"quoted text"`: `{{time "+1d"}}` (the scenario's clock moved by an offset),
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
            } else if name == "email" {
                out.push_str(&format!(
                    "guest-{}@example.com",
                    &crate::calcom::subscription::uuid_v4()[..8]
                ));
            } else if name == "name" {
                out.push_str(&random_name());
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
            ("time", [offset]) => self.time(offset),
            ("time", _) => {
                Err("write {{time \"+1d\"}}: one offset (+90s, -30m, +2h, +1d, 0)".to_owned())
            }
            ("encrypt", _) => Err("write {{encrypt TEXT KEY IV}}: three arguments".to_owned()),
            ("json", _) => Err("write {{json VALUE}}: one argument".to_owned()),
            (other, _) => Err(format!(
                "unknown helper `{other}`; the helpers are `encrypt`, `json` and `time`"
            )),
        }
    }

    /// The scenario's clock (`clock.ms`, set before each step) moved by `offset`, as
    /// Cal.com writes times (`2030-01-01T10:00:00.000Z`).
    fn time(&self, offset: &str) -> Result<String, String> {
        let now: i64 = self
            .values
            .get("clock.ms")
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| jiff::Timestamp::now().as_millisecond());
        let bad = || format!("`{offset}` is not an offset; write +90s, -30m, +2h, +1d or 0");
        let (sign, rest) = match offset.as_bytes().first() {
            Some(b'+') => (1, &offset[1..]),
            Some(b'-') => (-1, &offset[1..]),
            _ => (1, offset),
        };
        let split = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let amount: i64 = rest[..split].parse().map_err(|_| bad())?;
        let unit = match &rest[split..] {
            "" | "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        let at = jiff::Timestamp::from_millisecond(now + sign * amount * unit)
            .map_err(|error| error.to_string())?;
        Ok(crate::protocol::payload::iso_string(at))
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

/// A random guest name, `Ada Lovelace`-style.
fn random_name() -> String {
    const FIRST: [&str; 8] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
    ];
    const LAST: [&str; 8] = [
        "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
    ];
    let pick: [u8; 2] = rand::random();
    format!(
        "{} {}",
        FIRST[usize::from(pick[0]) % FIRST.len()],
        LAST[usize::from(pick[1]) % LAST.len()]
    )
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
