//! Properties of the push webhook's decision: any body gets Cal.com's exact answer,
//! never a panic. The oracle here is written from the spec's table (§3.2), apart from
//! the code under test.

use axum::http::{HeaderMap, HeaderValue, Method};
use calsim::app_credential::{decide, Push};
use calsim::crypto::{symmetric_encrypt_with_iv, EncryptionKey};
use calsim::{Config, Profile, Store};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

#[derive(Clone, Debug)]
enum Field {
    Absent,
    Present(Value),
}

fn any_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..10).prop_map(|n| json!(n)),
        Just(json!(3_000_000_000i64)),
        Just(json!(5.5)),
        "[a-z-]{0,12}".prop_map(Value::String),
        Just(json!([1])),
        Just(json!({"a": 1})),
    ]
}

fn field(special: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Field> {
    prop_oneof![
        1 => Just(Field::Absent),
        2 => any_scalar().prop_map(Field::Present),
        3 => special.prop_map(Field::Present),
    ]
}

fn key() -> EncryptionKey {
    EncryptionKey::from_env_string(&Config::default().encryption_key).unwrap()
}

fn keys_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(symmetric_encrypt_with_iv(
            r#"{"access_token":"x"}"#,
            &key(),
            [1; 16]
        ))),
        Just(json!(symmetric_encrypt_with_iv(
            "not json",
            &key(),
            [2; 16]
        ))),
        "[0-9a-f:]{0,40}".prop_map(Value::String),
    ]
}

fn app_slug_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("zoom")),
        Just(json!("google-calendar")),
        Just(json!("nope"))
    ]
}

fn user_id_value() -> impl Strategy<Value = Value> {
    prop_oneof![(0i64..8).prop_map(|n| json!(n)), Just(json!(4.0))]
}

fn body_of(user_id: &Field, app_slug: &Field, keys: &Field, extra: bool) -> String {
    let mut object = Map::new();
    if extra {
        object.insert("unrelated".into(), json!([true]));
    }
    for (name, field) in [("userId", user_id), ("appSlug", app_slug), ("keys", keys)] {
        if let Field::Present(value) = field {
            object.insert(name.into(), value.clone());
        }
    }
    Value::Object(object).to_string()
}

/// The spec's table for the current generation, with the right secret.
fn expected(user_id: &Field, app_slug: &Field, keys: &Field) -> (u16, Option<&'static str>) {
    let is_int = |value: &Value| value.as_f64().is_some_and(|number| number.fract() == 0.0);
    let bad = [
        !matches!(user_id, Field::Present(value) if is_int(value)),
        !matches!(app_slug, Field::Present(Value::String(_))),
        !matches!(keys, Field::Present(Value::String(_))),
    ];
    if bad.iter().any(|bad| *bad) {
        return (400, None);
    }
    let (
        Field::Present(user_id),
        Field::Present(Value::String(app_slug)),
        Field::Present(Value::String(keys)),
    ) = (user_id, app_slug, keys)
    else {
        unreachable!("checked above")
    };
    let user_id = user_id.as_f64().unwrap();
    if user_id.abs() > f64::from(i32::MAX) {
        return (500, Some(r#"{"message":"Internal server error"}"#));
    }
    if !(1.0..=5.0).contains(&user_id) {
        return (404, Some(r#"{"message":"User not found"}"#));
    }
    let seeded = calsim::catalog::common_apps();
    if !seeded.iter().any(|(app, _)| app.slug == *app_slug) {
        return (404, Some(r#"{"message":"App not found"}"#));
    }
    let decrypts_to_json = calsim::crypto::symmetric_decrypt(keys, &key())
        .ok()
        .is_some_and(|plaintext| serde_json::from_str::<Value>(&plaintext).is_ok());
    if !decrypts_to_json {
        return (500, Some(r#"{"message":"Internal server error"}"#));
    }
    (200, None)
}

fn secret_headers(config: &Config) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        axum::http::HeaderName::from_bytes(config.push_header_name().as_bytes()).unwrap(),
        HeaderValue::from_str(&config.sync_secret).unwrap(),
    );
    headers
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_json_body_gets_the_answer_of_the_spec_table(
        user_id in field(user_id_value()),
        app_slug in field(app_slug_value()),
        keys in field(keys_value()),
        extra in any::<bool>(),
    ) {
        let config = Config::default();
        let store = Store::seeded(&config.admin_api_key);
        let headers = secret_headers(&config);
        let body = body_of(&user_id, &app_slug, &keys, extra);

        let decision = decide(&config, &store, Push { method: &Method::POST, headers: &headers, body: Some(body.as_bytes()) });

        let (status, exact_body) = expected(&user_id, &app_slug, &keys);
        prop_assert_eq!(decision.answer.status.as_u16(), status, "body {}: {:?}", body, decision.detail);
        match (status, exact_body) {
            (_, Some(exact)) => prop_assert_eq!(decision.answer.body_text(), exact),
            (400, None) => {
                let body = decision.answer.body_text();
                prop_assert!(body.starts_with(r#"{"error":[{"#), "{}", body);
            }
            _ => {
                let body = decision.answer.body_text();
                prop_assert!(body.starts_with(r#"{"message":"Credentials "#), "{}", body);
            }
        }
    }

    #[test]
    fn any_bytes_in_any_profile_get_an_answer_never_a_panic(
        body in proptest::collection::vec(any::<u8>(), 0..300),
        profile in prop_oneof![Just(Profile::G1), Just(Profile::G2), Just(Profile::G3Pages), Just(Profile::Current)],
        content_type in prop_oneof![Just("application/json"), Just("application/x-www-form-urlencoded"), Just("text/plain")],
    ) {
        let mut config = Config::default();
        config.set_profile(profile);
        let store = Store::seeded(&config.admin_api_key);
        let mut headers = secret_headers(&config);
        headers.insert("content-type", HeaderValue::from_static(content_type));

        let decision = decide(&config, &store, Push { method: &Method::POST, headers: &headers, body: Some(&body) });

        prop_assert!([400, 500].contains(&decision.answer.status.as_u16()), "{:?}", decision);
        prop_assert!(store.credentials(None, None).is_empty(), "garbage must store nothing");
    }
}
