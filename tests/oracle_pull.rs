//! Differential: random partner replies to the pull, read by calsim's `pull::judge` and by
//! Cal.com's reading of them in JavaScript with the real zod 3 and 4 (`oracle/oracle.cjs`
//! op `pull`): whether the token is taken, the stored key byte for byte, and `invalid`.

mod oracle;

use base64::Engine;
use calsim::js_value::stringify;
use calsim::pull::{judge, PullPath};
use calsim::zod::ZodVersion;
use calsim::{Config, Profile};
use proptest::prelude::*;
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000_000;

fn field() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        r#""access_token":"fresh""#,
        r#""access_token":"fresh""#,
        r#""access_token":42"#,
        r#""access_token":"""#,
        r#""access_token":"a\u0000b""#,
        r#""expires_in":3600"#,
        r#""expires_in":0"#,
        r#""expires_in":1e21"#,
        r#""expires_in":1e400"#,
        r#""expires_in":-1.5"#,
        r#""expires_in":"3600""#,
        r#""expiry_date":1767225600000"#,
        r#""expiry_date":0"#,
        r#""expiry_date":1e400"#,
        r#""expiry_date":null"#,
        r#""refresh_token":"r2""#,
        r#""refresh_token":"""#,
        r#""refresh_token":null"#,
        r#""refresh_token":0"#,
        r#""token_type":"Bearer""#,
        r#""scope":7"#,
        r#""myFetchError":"boom""#,
        r#""myFetchError":"""#,
        r#""myFetchError":0"#,
        r#""error":"invalid_grant""#,
        r#""code":124"#,
        r#""_1":true"#,
        r#""__proto__":{"x":1}"#,
        r#""2":"two""#,
        r#""nested":{"k":"\u0000"}"#,
        r#""access_token":"second""#,
    ])
    .prop_map(str::to_owned)
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(field(), 0..6).prop_map(|fields| format!("{{{}}}", fields.join(","))),
        1 => prop::sample::select(vec!["", "  ", "null", "[]", "\"token\"", "{", "not json", "42"])
            .prop_map(str::to_owned),
        1 => prop::collection::vec(field(), 1..4).prop_map(|fields| format!("\u{feff}{{{}}}", fields.join(","))),
    ]
}

fn current_key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        r#"{}"#,
        r#"{"access_token":"old","refresh_token":"keep","expiry_date":1}"#,
        r#"{"1":"x","b":2,"access_token":"old"}"#,
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn every_reply_is_read_as_calcom_reads_it(
        body in body(),
        status in prop::sample::select(vec![200u16, 201, 401, 500]),
        app in prop::sample::select(vec!["zoom", "google-calendar", "office365-calendar", "hubspot"]),
        current in current_key(),
        zod in prop::sample::select(vec![ZodVersion::V3, ZodVersion::V4]),
    ) {
        let mut config = Config::default();
        config.set_profile(Profile::Current);
        config.zod = zod;
        let path = PullPath::for_app(&config, app);
        let current_value: Value = serde_json::from_str(&current).unwrap();
        let ours = judge(&config, app, status, body.as_bytes(), &current_value, NOW);
        let oracle = oracle::ask(json!({
            "op": "pull",
            "path": if path == PullPath::OauthManager { "oauth-manager" } else { "legacy" },
            "zod": if zod == ZodVersion::V3 { "v3" } else { "v4" },
            "app": app,
            "status": status,
            "body_b64": base64::engine::general_purpose::STANDARD.encode(&body),
            "current": current,
            "now": NOW,
        }));
        let context = format!("{app} {status} {path:?} {zod:?} reply {body:?} over {current}: calsim {ours:?}\noracle {oracle}");
        prop_assert_eq!(ours.accepted, oracle["accepted"].as_bool().unwrap(), "{}", context);
        prop_assert_eq!(ours.marks_invalid, oracle["invalid"].as_bool().unwrap(), "{}", context);
        prop_assert_eq!(stringify(&ours.new_key), oracle["key"].as_str().unwrap(), "{}", context);
    }
}
