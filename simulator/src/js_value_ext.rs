//! Conversions between JavaScript values and serde_json values.
use serde_json::{Map, Number, Value};

use crate::js_value::JsValue;

impl JsValue {
    /// An object's property, as `value[name]` in JavaScript (the last duplicate wins).
    pub fn get(&self, name: &str) -> Option<&JsValue> {
        match self {
            JsValue::Object(fields) => fields
                .iter()
                .rev()
                .find(|(field, _)| field == name)
                .map(|(_, value)| value),
            _ => None,
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
                let mut map = Map::new();
                for (name, value) in fields {
                    map.insert(name, Value::from(value));
                }
                Value::Object(map)
            }
        }
    }
}

fn js_number(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9_007_199_254_740_992.0 {
        return Value::Number(Number::from(number as i64));
    }
    Number::from_f64(number).map_or(Value::Null, Value::Number)
}
