//! INTERIM: replaced by the zod branch on merge.
#[derive(Clone, Debug, PartialEq)]
pub enum JsValue {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<JsValue>),
    Object(Vec<(String, JsValue)>),
}
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JsonSyntaxError(String);
impl JsValue {
    pub fn parse(text: &str) -> Result<JsValue, JsonSyntaxError> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| JsonSyntaxError(e.to_string()))?;
        Ok(from(v))
    }
}
fn from(v: serde_json::Value) -> JsValue {
    use serde_json::Value as V;
    match v {
        V::Null => JsValue::Null,
        V::Bool(b) => JsValue::Bool(b),
        V::Number(n) => JsValue::Number(n.as_f64().unwrap_or(0.0)),
        V::String(s) => JsValue::String(s),
        V::Array(a) => JsValue::Array(a.into_iter().map(from).collect()),
        V::Object(o) => JsValue::Object(o.into_iter().map(|(k, v)| (k, from(v))).collect()),
    }
}
