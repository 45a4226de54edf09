//! JSON as JavaScript's `JSON.parse` sees it.
//!
//! Cal.com validates what `JSON.parse` returns, and JavaScript reads JSON differently
//! from serde: every number is an `f64` (`1e400` is `Infinity`, `5.0` is `5`), and a
//! repeated key keeps its first position but takes its last value. zod's answers depend
//! on exactly these details, so the validators work on a [`JsValue`].
//!
//! Two deliberate differences from JavaScript: a lone UTF-16 surrogate escape
//! (`"\ud800"`) becomes U+FFFD because Rust strings cannot hold it, and nesting deeper
//! than [`MAX_DEPTH`] is refused instead of exhausting the stack.

use serde_json::{Map, Number, Value};

/// How deep arrays and objects may nest.
pub const MAX_DEPTH: usize = 512;

/// A value produced by `JSON.parse`.
#[derive(Clone, Debug, PartialEq)]
pub enum JsValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Every JSON number, as JavaScript holds it.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsValue>),
    /// An object: keys in insertion order, each key once.
    Object(Vec<(String, JsValue)>),
}

/// Why `JSON.parse` would throw a `SyntaxError`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem} in JSON at position {position}")]
pub struct JsonSyntaxError {
    /// What was wrong.
    pub problem: String,
    /// Byte offset in the text.
    pub position: usize,
}

impl JsValue {
    /// Parses like `JSON.parse`.
    ///
    /// ```
    /// use calsim::js_value::JsValue;
    ///
    /// assert_eq!(JsValue::parse("1e400").unwrap(), JsValue::Number(f64::INFINITY));
    /// let object = JsValue::parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
    /// assert_eq!(object, JsValue::Object(vec![("a".into(), JsValue::Number(3.0)), ("b".into(), JsValue::Number(2.0))]));
    /// assert!(JsValue::parse("{'a':1}").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<JsValue, JsonSyntaxError> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            text,
            position: 0,
        };
        parser.skip_whitespace();
        let value = parser.value(0)?;
        parser.skip_whitespace();
        if parser.position < parser.bytes.len() {
            return Err(parser.error("Unexpected non-whitespace character after JSON"));
        }
        Ok(value)
    }

    /// An object's property, as `value[name]`.
    pub fn get(&self, name: &str) -> Option<&JsValue> {
        match self {
            JsValue::Object(fields) => fields
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// The type name zod v3 reports as `received`: `null`, `array`, `object`, `string`,
    /// `number`, `boolean` (JSON cannot produce `nan` or `undefined`).
    pub fn zod_type_name(&self) -> &'static str {
        match self {
            JsValue::Null => "null",
            JsValue::Bool(_) => "boolean",
            JsValue::Number(_) => "number",
            JsValue::String(_) => "string",
            JsValue::Array(_) => "array",
            JsValue::Object(_) => "object",
        }
    }
}

/// `JSON.stringify` semantics: integral numbers print without a fraction; non-finite
/// numbers become `null`.
impl From<JsValue> for Value {
    fn from(value: JsValue) -> Self {
        match value {
            JsValue::Null => Value::Null,
            JsValue::Bool(flag) => Value::Bool(flag),
            JsValue::Number(number) => js_number(number),
            JsValue::String(text) => Value::String(text),
            JsValue::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            JsValue::Object(fields) => {
                let mut map = Map::with_capacity(fields.len());
                for (name, value) in fields {
                    map.insert(name, Value::from(value));
                }
                Value::Object(map)
            }
        }
    }
}

/// A number as `JSON.stringify` writes it (integers below 2^53 without a fraction).
pub fn js_number(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
        return Value::Number(Number::from(number as i64));
    }
    Number::from_f64(number).map_or(Value::Null, Value::Number)
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    position: usize,
}

impl Parser<'_> {
    fn error(&self, problem: &str) -> JsonSyntaxError {
        JsonSyntaxError {
            problem: problem.to_owned(),
            position: self.position,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.position += 1;
        }
    }

    fn expect_literal(
        &mut self,
        literal: &str,
        value: JsValue,
    ) -> Result<JsValue, JsonSyntaxError> {
        if self.text[self.position..].starts_with(literal) {
            self.position += literal.len();
            Ok(value)
        } else {
            Err(self.error("Unexpected token"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsValue, JsonSyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error("Nesting too deep"));
        }
        match self.peek() {
            None => Err(self.error("Unexpected end of JSON input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(JsValue::String),
            Some(b't') => self.expect_literal("true", JsValue::Bool(true)),
            Some(b'f') => self.expect_literal("false", JsValue::Bool(false)),
            Some(b'n') => self.expect_literal("null", JsValue::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("Unexpected token")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsValue, JsonSyntaxError> {
        self.position += 1;
        let mut fields: Vec<(String, JsValue)> = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.position += 1;
            return Ok(JsValue::Object(fields));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("Expected property name or '}'"));
            }
            let name = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("Expected ':' after property name"));
            }
            self.position += 1;
            self.skip_whitespace();
            let value = self.value(depth + 1)?;
            match fields.iter_mut().find(|(existing, _)| *existing == name) {
                Some((_, slot)) => *slot = value,
                None => fields.push((name, value)),
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.position += 1,
                Some(b'}') => {
                    self.position += 1;
                    return Ok(JsValue::Object(fields));
                }
                _ => return Err(self.error("Expected ',' or '}' after property value")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<JsValue, JsonSyntaxError> {
        self.position += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.position += 1;
            return Ok(JsValue::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.position += 1,
                Some(b']') => {
                    self.position += 1;
                    return Ok(JsValue::Array(items));
                }
                _ => return Err(self.error("Expected ',' or ']' after array element")),
            }
        }
    }

    fn number(&mut self) -> Result<JsValue, JsonSyntaxError> {
        let start = self.position;
        let digits = |parser: &mut Self| {
            let from = parser.position;
            while matches!(parser.peek(), Some(b'0'..=b'9')) {
                parser.position += 1;
            }
            parser.position > from
        };
        if self.peek() == Some(b'-') {
            self.position += 1;
        }
        if self.peek() == Some(b'0') {
            self.position += 1;
        } else if !digits(self) {
            return Err(self.error("No number after minus sign"));
        }
        if self.peek() == Some(b'.') {
            self.position += 1;
            if !digits(self) {
                return Err(self.error("Unterminated fractional number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.position += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.position += 1;
            }
            if !digits(self) {
                return Err(self.error("Exponent part is missing a number"));
            }
        }
        let literal = &self.text[start..self.position];
        literal
            .parse::<f64>()
            .map(JsValue::Number)
            .map_err(|_| self.error("Bad number"))
    }

    fn string(&mut self) -> Result<String, JsonSyntaxError> {
        self.position += 1;
        let mut text = String::new();
        loop {
            let run_start = self.position;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.position += 1;
            }
            text.push_str(&self.text[run_start..self.position]);
            match self.peek() {
                None => return Err(self.error("Unterminated string")),
                Some(b'"') => {
                    self.position += 1;
                    return Ok(text);
                }
                Some(b'\\') => {
                    self.position += 1;
                    self.escape(&mut text)?;
                }
                Some(_) => return Err(self.error("Bad control character in string literal")),
            }
        }
    }

    fn escape(&mut self, text: &mut String) -> Result<(), JsonSyntaxError> {
        let Some(byte) = self.peek() else {
            return Err(self.error("Unterminated string"));
        };
        self.position += 1;
        let simple = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let decoded = if (0xd800..0xdc00).contains(&unit)
                    && self.text[self.position..].starts_with("\\u")
                {
                    let saved = self.position;
                    self.position += 2;
                    let low = self.hex4()?;
                    if (0xdc00..0xe000).contains(&low) {
                        char::decode_utf16([unit, low]).next().and_then(Result::ok)
                    } else {
                        self.position = saved;
                        None
                    }
                } else {
                    char::from_u32(u32::from(unit))
                };
                decoded.unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            _ => return Err(self.error("Bad escaped character")),
        };
        text.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, JsonSyntaxError> {
        let digits = self
            .text
            .get(self.position..self.position + 4)
            .filter(|digits| digits.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("Bad Unicode escape"))?;
        self.position += 4;
        u16::from_str_radix(digits, 16).map_err(|_| self.error("Bad Unicode escape"))
    }
}
