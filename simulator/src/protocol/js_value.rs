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

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

/// How deep arrays and objects may nest.
pub const MAX_DEPTH: usize = 512;

/// The text Node decodes from UTF-8 bytes (`request.json()`, `Buffer.toString()`): each
/// invalid sequence becomes U+FFFD. Valid input, the usual case, is borrowed after the
/// standard library's word-at-a-time check.
pub fn utf8_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

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

    /// JavaScript's `String(value)` (`[object Object]`, arrays joined with `,`).
    pub fn js_string(&self) -> String {
        match self {
            JsValue::Null => "null".to_owned(),
            JsValue::Bool(flag) => flag.to_string(),
            JsValue::Number(number) => number_text(*number),
            JsValue::String(text) => text.clone(),
            JsValue::Array(items) => items
                .iter()
                .map(|item| match item {
                    JsValue::Null => String::new(),
                    other => other.js_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            JsValue::Object(_) => "[object Object]".to_owned(),
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

/// The value JavaScript holds for a JSON value calsim built: every number an `f64`.
impl From<&Value> for JsValue {
    fn from(value: &Value) -> Self {
        match value {
            Value::Null => JsValue::Null,
            Value::Bool(flag) => JsValue::Bool(*flag),
            Value::Number(number) => JsValue::Number(number.as_f64().unwrap_or(f64::NAN)),
            Value::String(text) => JsValue::String(text.clone()),
            Value::Array(items) => JsValue::Array(items.iter().map(JsValue::from).collect()),
            Value::Object(fields) => JsValue::Object(
                fields
                    .iter()
                    .map(|(name, value)| (name.clone(), JsValue::from(value)))
                    .collect(),
            ),
        }
    }
}

/// `JSON.stringify(value)`: compact, numbers in JavaScript's text (`1e+21`,
/// `12345678901234567000`), `NaN` and infinities as `null`, and object keys in
/// JavaScript's property order (array-index keys ascending first, then the rest as
/// inserted).
///
/// ```
/// let value = serde_json::json!({"b": 1.50, "2": 12345678901234567890u64, "a": 1e21, "1": "x"});
/// assert_eq!(calsim::js_value::stringify(&value), r#"{"1":"x","2":12345678901234567000,"b":1.5,"a":1e+21}"#);
/// ```
pub fn stringify(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_json(value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => write_number(number, out),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            let mut first = true;
            let mut field = |name: &str, value: &Value, out: &mut String| {
                if !std::mem::take(&mut first) {
                    out.push(',');
                }
                write_string(name, out);
                out.push(':');
                write_json(value, out);
            };
            if fields.keys().any(|name| array_index(name).is_some()) {
                let mut indices: Vec<(u32, &String, &Value)> = fields
                    .iter()
                    .filter_map(|(name, value)| array_index(name).map(|index| (index, name, value)))
                    .collect();
                indices.sort_by_key(|(index, _, _)| *index);
                for (_, name, value) in &indices {
                    field(name, value, out);
                }
                for (name, value) in fields {
                    if array_index(name).is_none() {
                        field(name, value, out);
                    }
                }
            } else {
                for (name, value) in fields {
                    field(name, value, out);
                }
            }
            out.push('}');
        }
    }
}

/// A property name JavaScript orders first: a canonical integer below 2^32 - 1.
fn array_index(name: &str) -> Option<u32> {
    let canonical = name == "0" || (!name.is_empty() && !name.starts_with('0'));
    if !canonical || !name.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    name.parse::<u32>().ok().filter(|index| *index != u32::MAX)
}

fn write_number(number: &Number, out: &mut String) {
    let exact_integer = number
        .as_i64()
        .filter(|integer| integer.unsigned_abs() <= 1 << 53);
    match exact_integer {
        Some(integer) => out.push_str(&integer.to_string()),
        None => match number.as_f64().filter(|float| float.is_finite()) {
            Some(float) => out.push_str(&number_text(float)),
            None => out.push_str("null"),
        },
    }
}

/// A JSON string as `JSON.stringify` writes it: `"` and `\\` escaped, control characters
/// as `\b \f \n \r \t` or `\u00xx`, everything else (U+2028 included) as is.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..at]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escape);
        }
        start = at + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

/// A number as `JSON.stringify` writes it (integers below 2^53 without a fraction).
pub fn js_number(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
        return Value::Number(Number::from(number as i64));
    }
    Number::from_f64(number).map_or(Value::Null, Value::Number)
}

/// `Number.prototype.toString()`.
///
/// ```
/// use calsim::js_value::number_text;
/// assert_eq!(number_text(1050.0), "1050");
/// assert_eq!(number_text(1e21), "1e+21");
/// assert_eq!(number_text(-0.0), "0");
/// assert_eq!(number_text(2.5e-7), "2.5e-7");
/// ```
pub fn number_text(number: f64) -> String {
    if number == 0.0 {
        return "0".to_owned();
    }
    if !number.is_finite() {
        return if number.is_nan() {
            "NaN"
        } else if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned();
    }
    // The shortest digits that round-trip, ties to even (ryu), as the spec's Number::toString.
    let mut buffer = ryu::Buffer::new();
    let shortest = buffer.format_finite(number.abs());
    let (mantissa, exponent) = shortest.split_once('e').unwrap_or((shortest, "0"));
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = whole.chars().chain(fraction.chars()).collect();
    let mut point = whole.len() as i64 + exponent.parse::<i64>().unwrap_or(0);
    let leading_zeros = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..leading_zeros);
    point -= leading_zeros as i64;
    digits.truncate(digits.trim_end_matches('0').len());
    let mut text = String::with_capacity(digits.len() + 8);
    if number < 0.0 {
        text.push('-');
    }
    let k = digits.len() as i64;
    if k <= point && point <= 21 {
        text.push_str(&digits);
        text.extend(std::iter::repeat_n('0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        text.push_str(&digits[..point as usize]);
        text.push('.');
        text.push_str(&digits[point as usize..]);
    } else if -6 < point && point <= 0 {
        text.push_str("0.");
        text.extend(std::iter::repeat_n('0', (-point) as usize));
        text.push_str(&digits);
    } else {
        text.push_str(&digits[..1]);
        if k > 1 {
            text.push('.');
            text.push_str(&digits[1..]);
        }
        let exponent = point - 1;
        text.push('e');
        text.push(if exponent < 0 { '-' } else { '+' });
        text.push_str(&exponent.abs().to_string());
    }
    text
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
                return Err(self.error("Expected property name or '}' in JSON"));
            }
            let name = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("Expected ':' after property name in JSON"));
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
                _ => return Err(self.error("Expected ',' or '}' after property value in JSON")),
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
                _ => return Err(self.error("Expected ',' or ']' after array element in JSON")),
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
            return Err(self.error("No number after minus sign in JSON"));
        }
        if self.peek() == Some(b'.') {
            self.position += 1;
            if !digits(self) {
                return Err(self.error("Unterminated fractional number in JSON"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.position += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.position += 1;
            }
            if !digits(self) {
                return Err(self.error("Exponent part is missing a number in JSON"));
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
                None => return Err(self.error("Unterminated string in JSON")),
                Some(b'"') => {
                    self.position += 1;
                    return Ok(text);
                }
                Some(b'\\') => {
                    self.position += 1;
                    self.escape(&mut text)?;
                }
                Some(_) => {
                    return Err(self.error("Bad control character in string literal in JSON"))
                }
            }
        }
    }

    fn escape(&mut self, text: &mut String) -> Result<(), JsonSyntaxError> {
        let Some(byte) = self.peek() else {
            return Err(self.error("Unterminated string in JSON"));
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
            _ => return Err(self.error("Bad escaped character in JSON")),
        };
        text.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u16, JsonSyntaxError> {
        let digits = self
            .text
            .get(self.position..self.position + 4)
            .filter(|digits| digits.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("Bad Unicode escape in JSON"))?;
        self.position += 4;
        u16::from_str_radix(digits, 16).map_err(|_| self.error("Bad Unicode escape in JSON"))
    }
}

/// The message of the `SyntaxError` that `JSON.parse(text)` throws in Node 20 (V8 11),
/// or `None` when `text` parses. Positions count UTF-16 units, as JavaScript's do.
///
/// ```
/// use calsim::js_value::parse_error_message;
///
/// assert_eq!(parse_error_message("[1,]").unwrap(), r#"Unexpected token ']', "[1,]" is not valid JSON"#);
/// assert_eq!(parse_error_message(r#"{"a":1,}"#).unwrap(), "Expected double-quoted property name in JSON at position 7");
/// assert_eq!(parse_error_message(""), Some("Unexpected end of JSON input".to_owned()));
/// assert_eq!(parse_error_message(r#"{"a":[1,2]}"#), None);
/// ```
pub fn parse_error_message(text: &str) -> Option<String> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut scanner = V8Scanner {
        units: &units,
        at: 0,
    };
    scanner.document().err().map(|error| error.message(&units))
}

/// What V8's `JsonParser` reports, and where.
enum V8Error {
    /// A generic unexpected token at `at` (end of input, number, string or a character).
    Token(usize),
    /// A fixed message ("Expected ':' after property name in JSON") at `at`.
    Fixed(&'static str, usize),
}

impl V8Error {
    fn message(&self, units: &[u16]) -> String {
        match self {
            V8Error::Fixed(message, at) => format!("{message} at position {at}"),
            V8Error::Token(at) => match units.get(*at) {
                None => "Unexpected end of JSON input".to_owned(),
                Some(0x22) => format!("Unexpected string in JSON at position {at}"),
                Some(&unit) if unit == u16::from(b'-') || (0x30..=0x39).contains(&unit) => {
                    format!("Unexpected number in JSON at position {at}")
                }
                Some(&unit) => {
                    let source = String::from_utf16_lossy(units);
                    if matches!(
                        source.as_str(),
                        "[object Object]" | "undefined" | "Infinity" | "NaN"
                    ) {
                        return format!("\"{source}\" is not valid JSON");
                    }
                    let token = String::from_utf16_lossy(&[unit]);
                    const CONTEXT: usize = 10;
                    let length = units.len();
                    let slice = |from: usize, to: usize| {
                        String::from_utf16_lossy(&units[from..to.min(length)])
                    };
                    if length < 2 * CONTEXT + 1 {
                        format!("Unexpected token '{token}', \"{source}\" is not valid JSON")
                    } else if *at < CONTEXT {
                        format!(
                            "Unexpected token '{token}', \"{}\"... is not valid JSON",
                            slice(0, at + CONTEXT)
                        )
                    } else if *at < length - CONTEXT {
                        format!(
                            "Unexpected token '{token}', ...\"{}\"... is not valid JSON",
                            slice(at - CONTEXT, at + CONTEXT)
                        )
                    } else {
                        format!(
                            "Unexpected token '{token}', ...\"{}\" is not valid JSON",
                            slice(at - CONTEXT, length)
                        )
                    }
                }
            },
        }
    }
}

/// A JSON scanner that stops where V8's does, with V8's reason.
struct V8Scanner<'a> {
    units: &'a [u16],
    at: usize,
}

impl V8Scanner<'_> {
    fn peek(&self) -> Option<u16> {
        self.units.get(self.at).copied()
    }

    fn is(&self, ascii: u8) -> bool {
        self.peek() == Some(u16::from(ascii))
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(0x20 | 0x09 | 0x0a | 0x0d)) {
            self.at += 1;
        }
    }

    fn digits(&mut self) -> bool {
        let start = self.at;
        while matches!(self.peek(), Some(0x30..=0x39)) {
            self.at += 1;
        }
        self.at > start
    }

    fn document(&mut self) -> Result<(), V8Error> {
        self.skip_whitespace();
        self.value(0)?;
        self.skip_whitespace();
        if self.at < self.units.len() {
            return Err(V8Error::Fixed(
                "Unexpected non-whitespace character after JSON",
                self.at,
            ));
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<(), V8Error> {
        if depth > MAX_DEPTH {
            return Err(V8Error::Token(self.at));
        }
        match self.peek().and_then(|unit| u8::try_from(unit).ok()) {
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            _ => Err(V8Error::Token(self.at)),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), V8Error> {
        for expected in word.bytes() {
            if !self.is(expected) {
                return Err(V8Error::Token(self.at));
            }
            self.at += 1;
        }
        Ok(())
    }

    fn number(&mut self) -> Result<(), V8Error> {
        if self.is(b'-') {
            self.at += 1;
            if !matches!(self.peek(), Some(0x30..=0x39)) {
                return Err(V8Error::Fixed(
                    "No number after minus sign in JSON",
                    self.at,
                ));
            }
        }
        if self.is(b'0') {
            self.at += 1;
            if matches!(self.peek(), Some(0x30..=0x39)) {
                return Err(V8Error::Token(self.at));
            }
        } else {
            self.digits();
        }
        if self.is(b'.') {
            self.at += 1;
            if !self.digits() {
                return Err(V8Error::Fixed(
                    "Unterminated fractional number in JSON",
                    self.at,
                ));
            }
        }
        if self.is(b'e') || self.is(b'E') {
            self.at += 1;
            if self.is(b'+') || self.is(b'-') {
                self.at += 1;
            }
            if !self.digits() {
                return Err(V8Error::Fixed(
                    "Exponent part is missing a number in JSON",
                    self.at,
                ));
            }
        }
        Ok(())
    }

    fn string(&mut self) -> Result<(), V8Error> {
        self.at += 1;
        loop {
            let Some(unit) = self.peek() else {
                return Err(V8Error::Fixed("Unterminated string in JSON", self.at));
            };
            match unit {
                0x22 => {
                    self.at += 1;
                    return Ok(());
                }
                0x5c => {
                    self.at += 1;
                    match self.peek().and_then(|unit| u8::try_from(unit).ok()) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.at += 1
                        }
                        Some(b'u') => {
                            self.at += 1;
                            for _ in 0..4 {
                                let hex = self
                                    .peek()
                                    .and_then(|unit| u8::try_from(unit).ok())
                                    .is_some_and(|byte| byte.is_ascii_hexdigit());
                                if !hex {
                                    return Err(V8Error::Fixed(
                                        "Bad Unicode escape in JSON",
                                        self.at,
                                    ));
                                }
                                self.at += 1;
                            }
                        }
                        None => return Err(V8Error::Token(self.at)),
                        Some(_) => {
                            return Err(V8Error::Fixed("Bad escaped character in JSON", self.at))
                        }
                    }
                }
                unit if unit < 0x20 => {
                    return Err(V8Error::Fixed(
                        "Bad control character in string literal in JSON",
                        self.at,
                    ))
                }
                _ => self.at += 1,
            }
        }
    }

    fn expect(&mut self, ascii: u8, message: &'static str) -> Result<(), V8Error> {
        self.skip_whitespace();
        if self.is(ascii) {
            Ok(())
        } else {
            Err(V8Error::Fixed(message, self.at))
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), V8Error> {
        self.at += 1;
        self.skip_whitespace();
        if self.is(b'}') {
            self.at += 1;
            return Ok(());
        }
        let mut message = "Expected property name or '}' in JSON";
        let mut first = true;
        loop {
            self.expect(b'"', message)?;
            self.string()?;
            if first {
                self.expect(b':', "Expected ':' after property name in JSON")?;
            } else {
                // V8 names the colon only for the first property; later ones get the
                // generic unexpected-token message.
                self.skip_whitespace();
                if !self.is(b':') {
                    return Err(V8Error::Token(self.at));
                }
            }
            first = false;
            self.at += 1;
            self.skip_whitespace();
            self.value(depth + 1)?;
            self.skip_whitespace();
            if self.is(b',') {
                self.at += 1;
                message = "Expected double-quoted property name in JSON";
                continue;
            }
            self.expect(b'}', "Expected ',' or '}' after property value in JSON")?;
            self.at += 1;
            return Ok(());
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), V8Error> {
        self.at += 1;
        self.skip_whitespace();
        if self.is(b']') {
            self.at += 1;
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            self.value(depth + 1)?;
            self.skip_whitespace();
            if self.is(b',') {
                self.at += 1;
                continue;
            }
            self.expect(b']', "Expected ',' or ']' after array element in JSON")?;
            self.at += 1;
            return Ok(());
        }
    }
}
