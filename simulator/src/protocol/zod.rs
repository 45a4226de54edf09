//! zod's validation issues, byte for byte, for the schemas Cal.com's credential sync uses.
//!
//! Cal.com answers a bad push body with zod's raw issue objects, and which zod major
//! ships at "current" is uncertain upstream, so both are reproduced: [`ZodVersion::V3`]
//! (`code,expected,received,path,message`, "Expected number, received string") and
//! [`ZodVersion::V4`] (`expected,code,path,message`, "Invalid input: expected number,
//! received string", safe-integer bounds, `Infinity` refused). Every shape here was
//! checked against real zod 3.25 and 4.x (`fixtures/zod/cases.json`, made by
//! `fixtures/zod/generate.cjs`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::protocol::js_value::JsValue;

/// Which zod major's issue objects to produce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZodVersion {
    /// zod 3.x (default).
    #[default]
    V3,
    /// zod 4.x.
    V4,
}

/// A property's zod type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// `z.string()`.
    String,
    /// `z.number()`.
    Number,
    /// `z.number().int()`.
    Int,
}

/// One property of a `z.object`.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Its key.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// `.optional()`.
    pub optional: bool,
}

/// A `z.object({...})`, optionally `.passthrough()` (unknown keys are never an error
/// either way; passthrough only decides whether they are kept).
#[derive(Clone, Copy, Debug)]
pub struct ObjectSchema {
    /// The shape, in declaration order (issues follow it).
    pub fields: &'static [Field],
    /// `.passthrough()`.
    pub passthrough: bool,
}

const fn required(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        optional: false,
    }
}

const fn optional(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        optional: true,
    }
}

/// The push webhook body: `{userId: z.number().int(), appSlug: z.string(), keys: z.string()}`.
pub const PUSH_BODY: ObjectSchema = ObjectSchema {
    fields: &[
        required("userId", FieldType::Int),
        required("appSlug", FieldType::String),
        required("keys", FieldType::String),
    ],
    passthrough: false,
};

/// API v1 POST body: `{appSlug, encryptedKey}`.
pub const API_V1_POST_BODY: ObjectSchema = ObjectSchema {
    fields: &[
        required("appSlug", FieldType::String),
        required("encryptedKey", FieldType::String),
    ],
    passthrough: false,
};

/// API v1 PATCH body: `{encryptedKey}`.
pub const API_V1_PATCH_BODY: ObjectSchema = ObjectSchema {
    fields: &[required("encryptedKey", FieldType::String)],
    passthrough: false,
};

/// `OAuth2UniversalSchema`.
pub const OAUTH2_UNIVERSAL: ObjectSchema = ObjectSchema {
    fields: &[
        required("access_token", FieldType::String),
        optional("token_type", FieldType::String),
        optional("refresh_token", FieldType::String),
        optional("scope", FieldType::String),
        optional("expiry_date", FieldType::Number),
    ],
    passthrough: true,
};

/// `OAuth2UniversalSchemaWithCalcomBackwardCompatibility` (adds `expires_in`).
pub const OAUTH2_UNIVERSAL_WITH_EXPIRES_IN: ObjectSchema = ObjectSchema {
    fields: &[
        required("access_token", FieldType::String),
        optional("token_type", FieldType::String),
        optional("refresh_token", FieldType::String),
        optional("scope", FieldType::String),
        optional("expiry_date", FieldType::Number),
        optional("expires_in", FieldType::Number),
    ],
    passthrough: true,
};

/// The refinement message of `minimumTokenResponseSchema`.
pub const MISSING_EXPIRY_MESSAGE: &str = "Missing a field that defines a token expiry date. Check the specific app package to see how token expiry is defined.";

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Runs zod's parse of an object schema: `Ok(())` or the issues in zod's exact shape.
///
/// ```
/// use calsim::js_value::JsValue;
/// use calsim::zod::{check_object, ZodVersion, PUSH_BODY};
///
/// let body = JsValue::parse(r#"{"userId":"1","appSlug":"zoom","keys":"k"}"#).unwrap();
/// let issues = check_object(&PUSH_BODY, &body, ZodVersion::V3).unwrap_err();
/// assert_eq!(
///     serde_json::to_string(&issues).unwrap(),
///     r#"[{"code":"invalid_type","expected":"number","received":"string","path":["userId"],"message":"Expected number, received string"}]"#
/// );
/// ```
pub fn check_object(
    schema: &ObjectSchema,
    input: &JsValue,
    version: ZodVersion,
) -> Result<(), Vec<Value>> {
    if !matches!(input, JsValue::Object(_)) {
        return Err(vec![invalid_type(version, "object", input, json!([]))]);
    }
    let issues: Vec<Value> = schema
        .fields
        .iter()
        .filter_map(|field| check_field(field, input.get(field.name), version))
        .collect();
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

/// The value a successful parse returns: the shape's keys that are present, in shape
/// order, then (with `.passthrough()`) the other keys in input order; without
/// passthrough the other keys are stripped (`__proto__` always is). Checked against zod
/// 3 and 4.
///
/// ```
/// use calsim::js_value::JsValue;
/// use calsim::zod::{parsed_output, OAUTH2_UNIVERSAL};
///
/// let reply = JsValue::parse(r#"{"_1":true,"access_token":"x"}"#).unwrap();
/// let parsed = serde_json::Value::from(parsed_output(&OAUTH2_UNIVERSAL, reply));
/// assert_eq!(parsed.to_string(), r#"{"access_token":"x","_1":true}"#);
/// ```
pub fn parsed_output(schema: &ObjectSchema, input: JsValue) -> JsValue {
    let JsValue::Object(mut fields) = input else {
        return input;
    };
    let mut output = Vec::with_capacity(fields.len());
    for field in schema.fields {
        if let Some(index) = fields.iter().position(|(name, _)| name == field.name) {
            output.push(fields.remove(index));
        }
    }
    if schema.passthrough {
        // zod builds its output by assignment, so `"__proto__"` sets a prototype instead
        // of a key: it never reaches the stored credential.
        output.extend(fields.into_iter().filter(|(name, _)| name != "__proto__"));
    }
    JsValue::Object(output)
}

/// The schema part of `minimumTokenResponseSchema` (its refinement is
/// [`check_minimum_token_response`]).
pub const MINIMUM_TOKEN_RESPONSE: ObjectSchema = ObjectSchema {
    fields: &[required("access_token", FieldType::String)],
    passthrough: true,
};

/// `minimumTokenResponseSchema`: `{access_token: string}`, passthrough, and at least one
/// property whose value is a number (the refinement runs only when the object parsed).
pub fn check_minimum_token_response(
    input: &JsValue,
    version: ZodVersion,
) -> Result<(), Vec<Value>> {
    check_object(&MINIMUM_TOKEN_RESPONSE, input, version)?;
    let JsValue::Object(fields) = input else {
        return Ok(());
    };
    if fields
        .iter()
        .any(|(_, value)| matches!(value, JsValue::Number(_)))
    {
        return Ok(());
    }
    Err(vec![
        json!({ "code": "custom", "message": MISSING_EXPIRY_MESSAGE, "path": [] }),
    ])
}

/// API v1's `parseZodErrorIssues` (`getServerErrorFromUnknown`): each issue as
/// `<code> in '<path joined with ",">': <message>` (no prefix for an empty path),
/// `unrecognized_keys` as its message alone, joined with `"; "`.
///
/// ```
/// let issue = serde_json::json!({"code":"invalid_type","path":["encryptedKey"],"message":"Required"});
/// assert_eq!(calsim::zod::format_issues_for_api_v1(&[issue]), "invalid_type in 'encryptedKey': Required");
/// ```
pub fn format_issues_for_api_v1(issues: &[Value]) -> String {
    issues
        .iter()
        .map(|issue| {
            let code = issue["code"].as_str().unwrap_or_default();
            let message = issue["message"].as_str().unwrap_or_default();
            let path: Vec<String> = issue["path"]
                .as_array()
                .map(|path| {
                    path.iter()
                        .map(|part| match part {
                            Value::String(text) => text.clone(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            if code == "unrecognized_keys" || path.is_empty() {
                message.to_owned()
            } else {
                format!("{code} in '{}': {message}", path.join(","))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn check_field(field: &Field, value: Option<&JsValue>, version: ZodVersion) -> Option<Value> {
    let path = json!([field.name]);
    let expected = match field.ty {
        FieldType::String => "string",
        FieldType::Number | FieldType::Int => "number",
    };
    let Some(value) = value else {
        if field.optional {
            return None;
        }
        return Some(match version {
            ZodVersion::V3 => json!({
                "code": "invalid_type", "expected": expected, "received": "undefined",
                "path": path, "message": "Required",
            }),
            ZodVersion::V4 => json!({
                "expected": expected, "code": "invalid_type", "path": path,
                "message": format!("Invalid input: expected {expected}, received undefined"),
            }),
        });
    };
    match (field.ty, value) {
        (FieldType::String, JsValue::String(_)) => None,
        (FieldType::Number | FieldType::Int, JsValue::Number(number)) => {
            check_number(field.ty, *number, path, version)
        }
        _ => Some(invalid_type(version, expected, value, path)),
    }
}

fn check_number(ty: FieldType, number: f64, path: Value, version: ZodVersion) -> Option<Value> {
    match version {
        ZodVersion::V3 => (ty == FieldType::Int && !is_integer(number)).then(|| {
            json!({
                "code": "invalid_type", "expected": "integer", "received": "float",
                "message": "Expected integer, received float", "path": path,
            })
        }),
        ZodVersion::V4 if !number.is_finite() => {
            let received = v4_type_name(&JsValue::Number(number));
            Some(json!({
                "expected": "number", "code": "invalid_type", "received": received, "path": path,
                "message": format!("Invalid input: expected number, received {received}"),
            }))
        }
        ZodVersion::V4 if ty != FieldType::Int => None,
        ZodVersion::V4 if !is_integer(number) => Some(json!({
            "expected": "int", "format": "safeint", "code": "invalid_type", "path": path,
            "message": "Invalid input: expected int, received number",
        })),
        ZodVersion::V4 if number > MAX_SAFE_INTEGER => Some(json!({
            "code": "too_big", "maximum": 9_007_199_254_740_991_i64,
            "note": "Integers must be within the safe integer range.", "origin": "int",
            "inclusive": true, "path": path,
            "message": "Too big: expected int to be <=9007199254740991",
        })),
        ZodVersion::V4 if number < -MAX_SAFE_INTEGER => Some(json!({
            "code": "too_small", "minimum": -9_007_199_254_740_991_i64,
            "note": "Integers must be within the safe integer range.", "origin": "int",
            "inclusive": true, "path": path,
            "message": "Too small: expected int to be >=-9007199254740991",
        })),
        ZodVersion::V4 => None,
    }
}

/// `Number.isInteger`.
fn is_integer(number: f64) -> bool {
    number.is_finite() && number.fract() == 0.0
}

fn invalid_type(version: ZodVersion, expected: &str, value: &JsValue, path: Value) -> Value {
    match version {
        ZodVersion::V3 => {
            let received = value.zod_type_name();
            json!({
                "code": "invalid_type", "expected": expected, "received": received, "path": path,
                "message": format!("Expected {expected}, received {received}"),
            })
        }
        ZodVersion::V4 => json!({
            "expected": expected, "code": "invalid_type", "path": path,
            "message": format!("Invalid input: expected {expected}, received {}", v4_type_name(value)),
        }),
    }
}

/// zod v4 names non-finite numbers by their value.
fn v4_type_name(value: &JsValue) -> &'static str {
    match value {
        JsValue::Number(number) if number.is_nan() => "NaN",
        JsValue::Number(number) if *number == f64::INFINITY => "Infinity",
        JsValue::Number(number) if *number == f64::NEG_INFINITY => "-Infinity",
        other => other.zod_type_name(),
    }
}
