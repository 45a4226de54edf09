//! Properties of webhook bodies for every trigger, and of the v2 API under any input.

mod oracle;

use base64::Engine;
use calsim::payload::{build_body, build_templated_body};
use calsim::signing::signature;
use calsim::trigger::TriggerEvent;
use proptest::prelude::*;
use serde_json::json;
use serde_json::{Map, Value};

fn any_trigger() -> impl Strategy<Value = TriggerEvent> {
    let triggers: Vec<TriggerEvent> = TriggerEvent::ALL
        .iter()
        .copied()
        .filter(|trigger| *trigger != TriggerEvent::Ping)
        .collect();
    proptest::sample::select(triggers)
}

/// The trigger's example data with every string replaced by generated text.
fn data_with(trigger: TriggerEvent, texts: &[String]) -> Map<String, Value> {
    fn replace(value: &mut Value, texts: &[String], next: &mut usize) {
        match value {
            Value::String(text) => {
                *text = texts[*next % texts.len()].clone();
                *next += 1;
            }
            Value::Array(items) => items.iter_mut().for_each(|item| replace(item, texts, next)),
            Value::Object(fields) => fields
                .values_mut()
                .for_each(|field| replace(field, texts, next)),
            _ => {}
        }
    }
    let example = calsim::payload::built_in(trigger).unwrap();
    let mut value = Value::from(calsim::js_value::JsValue::parse(example).unwrap());
    replace(&mut value, texts, &mut 0);
    match value {
        Value::Object(data) => data,
        _ => unreachable!("examples are objects"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_triggers_body_is_what_json_stringify_writes_and_node_signs_it_alike(
        trigger in any_trigger(),
        texts in proptest::collection::vec(any::<String>(), 1..16),
        secret in "[ -~]{1,30}",
    ) {
        let body = build_body(trigger, "2024-01-01T00:00:00.000Z", data_with(trigger, &texts));

        let parsed: Value = serde_json::from_str(&body).unwrap();
        prop_assert_eq!(&parsed["triggerEvent"], trigger.as_str());
        let restringified = oracle::ask(json!({"op": "stringify", "json": body}));
        prop_assert_eq!(restringified["body"].as_str().unwrap(), body.as_str());
        let node = oracle::ask(json!({
            "op": "hmac",
            "secret": secret,
            "body_b64": base64::engine::general_purpose::STANDARD.encode(&body),
        }));
        prop_assert_eq!(signature(Some(&secret), body.as_bytes()), node["hex"].as_str().unwrap());
    }

    #[test]
    fn a_json_template_over_any_trigger_yields_json_or_false(
        trigger in any_trigger(),
        texts in proptest::collection::vec("[ -~é\"'<>&=`]{0,12}", 1..8),
    ) {
        let template = r#"{"trigger":"{{triggerEvent}}","title":"{{title}}","uid":"{{uid}}","organizer":"{{organizer.name}}","who":"{{attendees.0.name}}","form":"{{payload.formName}}"}"#;

        let rendered = build_templated_body(template, trigger, "2024-01-01T00:00:00.000Z", data_with(trigger, &texts)).unwrap();

        prop_assert!(rendered.body == "false" || serde_json::from_str::<Value>(&rendered.body).is_ok(), "{}", rendered.body);
    }
}

#[test]
fn the_v2_api_answers_any_body_without_a_server_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let simulator = runtime.block_on(calsim::Simulator::start()).unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/v2/webhooks", simulator.url());
    let strategy = prop_oneof![
        ".{0,80}".boxed(),
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("subscriberUrl"),
                    Just("triggers"),
                    Just("active"),
                    Just("secret"),
                    Just("payloadTemplate"),
                    Just("version"),
                    Just("x")
                ],
                prop_oneof![
                    Just(Value::Null),
                    any::<bool>().prop_map(Value::Bool),
                    any::<i32>().prop_map(Value::from),
                    ".{0,10}".prop_map(Value::String),
                    Just(serde_json::json!(["BOOKING_CREATED"])),
                    Just(serde_json::json!(["NOPE", 1]))
                ]
            ),
            0..6
        )
        .prop_map(|pairs| Value::Object(
            pairs
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect()
        )
        .to_string())
        .boxed(),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(64));
    runner
        .run(&strategy, |body| {
            let status = runtime.block_on(async {
                client
                    .post(&url)
                    .bearer_auth("cal_calsim_admin_key")
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap()
                    .status()
            });
            prop_assert!(
                [201, 400, 409].contains(&status.as_u16()),
                "{} for {}",
                status,
                body
            );
            Ok(())
        })
        .unwrap();
}
