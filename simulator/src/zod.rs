//! INTERIM: replaced by the zod branch on merge.
use crate::js_value::JsValue;
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZodVersion {
    #[default]
    V3,
    V4,
}
pub enum FieldType {
    String,
    Number,
    Int,
}
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub optional: bool,
}
pub struct ObjectSchema {
    pub fields: &'static [Field],
    pub passthrough: bool,
}
pub fn check_object(
    _schema: &ObjectSchema,
    _input: &JsValue,
    _version: ZodVersion,
) -> Result<(), Vec<serde_json::Value>> {
    Ok(())
}
pub fn check_minimum_token_response(
    _input: &JsValue,
    _version: ZodVersion,
) -> Result<(), Vec<serde_json::Value>> {
    Ok(())
}
pub fn format_issues_for_api_v1(_issues: &[serde_json::Value]) -> String {
    String::new()
}
pub const PUSH_BODY: ObjectSchema = ObjectSchema {
    fields: &[],
    passthrough: false,
};
pub const API_V1_POST_BODY: ObjectSchema = ObjectSchema {
    fields: &[],
    passthrough: false,
};
pub const API_V1_PATCH_BODY: ObjectSchema = ObjectSchema {
    fields: &[],
    passthrough: false,
};
pub const OAUTH2_UNIVERSAL: ObjectSchema = ObjectSchema {
    fields: &[],
    passthrough: true,
};
pub const OAUTH2_UNIVERSAL_WITH_EXPIRES_IN: ObjectSchema = ObjectSchema {
    fields: &[],
    passthrough: true,
};
