//! Differential: random pushes to `/api/webhook/app-credential` (current Cal.com), answered
//! by calsim's `decide` and by the route's steps in JavaScript with the real zod 3 and 4,
//! `JSON.parse` and `node:crypto` (`oracle/oracle.cjs` op `push`); status and body bytes
//! must be identical.

mod oracle;

use axum::http::{HeaderMap, HeaderValue, Method};
use base64::Engine;
use calsim::app_credential::{decide, Push};
use calsim::catalog::App;
use calsim::crypto::{symmetric_encrypt_with_iv, EncryptionKey};
use calsim::zod::ZodVersion;
use calsim::{Config, Profile, Store};
use proptest::prelude::*;
use serde_json::{json, Value};

fn plaintext() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        r#"{"access_token":"a"}"#,
        "null",
        r#""just a string""#,
        "42",
        "[1,2]",
        r#"{"access_token":"a\u0000b"}"#,
        r#"{"k\u0000":1}"#,
        "not json",
        "",
        r#"{"nested":[{"x":"\u0000"}]}"#,
        "true",
    ])
    .prop_map(str::to_owned)
}

fn user_id() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "1",
        "5",
        "6",
        "0",
        "-1",
        "1.5",
        "1e400",
        "2147483648",
        "-2147483649",
        "2147483647",
        "\"1\"",
        "null",
        "true",
        "1e0",
        "-0",
        "9007199254740993",
    ])
    .prop_map(str::to_owned)
}

fn slug() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "\"google-calendar\"",
        "\"zoom\"",
        "\"no-such-app\"",
        "\"app-without-metadata\"",
        "7",
        "null",
        "\"\"",
    ])
    .prop_map(str::to_owned)
}

/// A body: a well-formed push with random parts, or something else entirely.
fn body(key: EncryptionKey) -> impl Strategy<Value = Vec<u8>> {
    let keys = (plaintext(), any::<[u8; 16]>(), 0u8..4).prop_map(move |(plaintext, iv, damage)| {
        let keys = symmetric_encrypt_with_iv(&plaintext, &key, iv);
        match damage {
            0 | 1 => Value::String(keys).to_string(),
            2 => Value::String(keys[..keys.len() - 2].to_owned()).to_string(),
            _ => "12".to_owned(),
        }
    });
    let push = (user_id(), slug(), keys, 0u8..6).prop_map(|(user, slug, keys, shape)| {
        let text = match shape {
            0 => format!(r#"{{"userId":{user},"appSlug":{slug},"keys":{keys}}}"#),
            1 => format!(r#"{{"appSlug":{slug},"keys":{keys}}}"#),
            2 => format!(r#"{{"keys":{keys},"userId":{user},"appSlug":{slug},"extra":1}}"#),
            3 => format!(r#"{{"userId":{user}}}"#),
            4 => format!("\u{feff}{{\"userId\":{user},\"appSlug\":{slug},\"keys\":{keys}}}"),
            _ => format!(r#"[{{"userId":{user},"appSlug":{slug},"keys":{keys}}}]"#),
        };
        text.into_bytes()
    });
    prop_oneof![
        8 => push,
        1 => prop::sample::select(vec!["", "{", "null", "\"x\"", "[]", "{}", "   ", "{\"userId\":1,}"])
            .prop_map(|text| text.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..20),
    ]
}

fn store() -> Store {
    let store = Store::seeded("cal_admin");
    store.put_app(
        App {
            slug: "app-without-metadata".to_owned(),
            dir_name: "nowhere".to_owned(),
            categories: vec!["other".to_owned()],
            enabled: true,
            keys: None,
        },
        None,
    );
    store
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2500))]

    #[test]
    fn every_push_is_answered_as_current_calcom_answers_it(
        body in body(EncryptionKey::from_env_string(&Config::default().encryption_key).unwrap()),
        zod in prop::sample::select(vec![ZodVersion::V3, ZodVersion::V4]),
        wrong_secret in prop::bool::weighted(0.05),
    ) {
        let mut config = Config::default();
        config.set_profile(Profile::Current);
        config.zod = zod;
        let sent_secret = if wrong_secret { "wrong".to_owned() } else { config.sync_secret.clone() };
        let mut headers = HeaderMap::new();
        headers.insert(config.push_header_name().parse::<axum::http::HeaderName>().unwrap(), HeaderValue::from_str(&sent_secret).unwrap());
        let decision = decide(&config, &store(), Push { method: &Method::POST, headers: &headers, body: Some(&body) });
        let oracle = oracle::ask(json!({
            "op": "push",
            "zod": if zod == ZodVersion::V3 { "v3" } else { "v4" },
            "secret": config.sync_secret,
            "sent_secret": sent_secret,
            "body_b64": base64::engine::general_purpose::STANDARD.encode(&body),
            "key": config.encryption_key,
            "users": [1, 2, 3, 4, 5],
            "apps": {"google-calendar": true, "zoom": true, "app-without-metadata": false},
        }));
        prop_assert_eq!(
            (decision.answer.status.as_u16(), decision.answer.body_text().into_owned()),
            (oracle["status"].as_u64().unwrap() as u16, oracle["body"].as_str().unwrap().to_owned()),
            "{:?} ({:?}): {}",
            String::from_utf8_lossy(&body),
            decision.step,
            decision.detail
        );
    }
}
