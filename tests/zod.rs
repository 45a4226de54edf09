//! zod issue emulation against real zod 3 and 4 (`fixtures/zod/cases.json`, made by
//! `fixtures/zod/generate.cjs` with the npm packages), and JSON.parse semantics.

use calsim::js_value::JsValue;
use calsim::zod::{self, ZodVersion};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Case {
    schema: String,
    input: String,
    v3: Option<Vec<Value>>,
    v4: Option<Vec<Value>>,
}

fn run(schema: &str, input: &JsValue, version: ZodVersion) -> Result<(), Vec<Value>> {
    match schema {
        "push_body" => zod::check_object(&zod::PUSH_BODY, input, version),
        "api_v1_post_body" => zod::check_object(&zod::API_V1_POST_BODY, input, version),
        "api_v1_patch_body" => zod::check_object(&zod::API_V1_PATCH_BODY, input, version),
        "oauth2_universal" => zod::check_object(&zod::OAUTH2_UNIVERSAL, input, version),
        "oauth2_universal_with_expires_in" => {
            zod::check_object(&zod::OAUTH2_UNIVERSAL_WITH_EXPIRES_IN, input, version)
        }
        "minimum_token_response" => zod::check_minimum_token_response(input, version),
        other => panic!("unknown schema {other} in the fixture"),
    }
}

#[test]
fn every_issue_matches_real_zod_byte_for_byte() {
    let cases: Vec<Case> =
        serde_json::from_str(include_str!("../fixtures/zod/cases.json")).unwrap();
    assert!(cases.len() > 90);
    let mut mismatches = Vec::new();
    for case in &cases {
        let input = JsValue::parse(&case.input).unwrap();
        for (version, expected) in [(ZodVersion::V3, &case.v3), (ZodVersion::V4, &case.v4)] {
            let got = run(&case.schema, &input, version).err();
            let got = serde_json::to_string(&got).unwrap();
            let want = serde_json::to_string(expected).unwrap();
            if got != want {
                mismatches.push(format!(
                    "{} {version:?} {}\n  got  {got}\n  want {want}",
                    case.schema, case.input
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn api_v1_messages_join_code_path_and_message() {
    let issues = zod::check_object(
        &zod::API_V1_POST_BODY,
        &JsValue::parse(r#"{"appSlug":1}"#).unwrap(),
        ZodVersion::V3,
    )
    .unwrap_err();
    let not_object =
        zod::check_object(&zod::API_V1_POST_BODY, &JsValue::Null, ZodVersion::V3).unwrap_err();

    assert_eq!(
        zod::format_issues_for_api_v1(&issues),
        "invalid_type in 'appSlug': Expected string, received number; invalid_type in 'encryptedKey': Required"
    );
    assert_eq!(
        zod::format_issues_for_api_v1(&not_object),
        "Expected object, received null"
    );
}

#[test]
fn json_parse_semantics() {
    assert_eq!(
        JsValue::parse(" \t\n5.0\r\n").unwrap(),
        JsValue::Number(5.0)
    );
    assert_eq!(
        JsValue::parse("-1e400").unwrap(),
        JsValue::Number(f64::NEG_INFINITY)
    );
    assert_eq!(
        JsValue::parse(r#""\u00e9\ud83d\ude00\/""#).unwrap(),
        JsValue::String("é😀/".into())
    );
    assert_eq!(
        JsValue::parse(r#""\ud800""#).unwrap(),
        JsValue::String("\u{fffd}".into())
    );
    for bad in [
        "",
        "01",
        "1.",
        "+1",
        "[1,]",
        "{\"a\":1,}",
        "'a'",
        "\u{feff}{}",
        "{} x",
        "\"tab\there\"",
        "nul",
        "[",
        "\"\\x\"",
    ] {
        assert!(JsValue::parse(bad).is_err(), "JSON.parse refuses {bad:?}");
    }
    let deep = format!("{}{}", "[".repeat(600), "]".repeat(600));
    assert!(JsValue::parse(&deep).is_err(), "nesting is bounded");
}

#[test]
fn stringify_prints_integral_numbers_without_a_fraction() {
    let value = Value::from(JsValue::parse(r#"{"a":5.0,"b":1e400,"c":0.5,"d":-0}"#).unwrap());

    assert_eq!(value.to_string(), r#"{"a":5,"b":null,"c":0.5,"d":0}"#);
}

proptest! {
    #[test]
    fn parsing_and_checking_never_panic(text in ".{0,200}") {
        if let Ok(value) = JsValue::parse(&text) {
            let _ = zod::check_object(&zod::PUSH_BODY, &value, ZodVersion::V3);
            let _ = zod::check_minimum_token_response(&value, ZodVersion::V4);
        }
    }

    #[test]
    fn any_serde_json_value_parses_to_the_same_structure(value in json_value()) {
        let text = value.to_string();

        let parsed = Value::from(JsValue::parse(&text).unwrap());

        prop_assert_eq!(parsed, value);
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000i64..1_000_000).prop_map(Value::from),
        "[ -~é😀\\\\\"]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(("[a-z]{1,4}", inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}
