//! payloadTemplate rendering against Handlebars.js 4.7 run through Cal.com's own code
//! (`fixtures/templates/cases.json`, made by `fixtures/templates/generate.cjs`).

use calsim::template::{content_type, render};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Fixture {
    context: Value,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    template: String,
    content_type: String,
    body: Value,
}

#[test]
fn every_template_renders_as_handlebars_js_plus_calcoms_post_processing() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("../fixtures/templates/cases.json")).unwrap();
    let mut mismatches = Vec::new();
    for case in &fixture.cases {
        let rendered = render(&case.template, &fixture.context);
        let matches = match (&rendered, &case.body) {
            (Ok(rendered), Value::String(body)) => {
                rendered.body == *body && rendered.content_type == case.content_type
            }
            (Err(_), Value::Object(error)) => error.contains_key("error"),
            _ => false,
        };
        if !matches {
            mismatches.push(format!(
                "{:?}\n  got  {rendered:?}\n  want {} {}",
                case.template, case.content_type, case.body
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        fixture.cases.len(),
        mismatches.join("\n")
    );
}

#[test]
fn the_content_type_is_decided_from_the_raw_template() {
    assert_eq!(content_type(r#"{"a":"{{x}}"}"#), "application/json");
    assert_eq!(
        content_type(r#"{"a":{{x}}}"#),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        content_type("false"),
        "application/x-www-form-urlencoded",
        "jsonParse(\"false\") is falsy"
    );
    assert_eq!(content_type("[1]"), "application/json");
}

proptest! {
    #[test]
    fn the_json_branch_yields_json_or_exactly_false(value in "[ -~é\"'<>&=`{}]{0,40}") {
        let context = serde_json::json!({"v": value});

        let rendered = render(r#"{"v":"{{v}}","w":"{{{v}}}"}"#, &context).unwrap();

        prop_assert_eq!(rendered.content_type, "application/json");
        prop_assert!(rendered.body == "false" || serde_json::from_str::<Value>(&rendered.body).is_ok(), "{}", rendered.body);
    }

    #[test]
    fn rendering_never_panics(template in ".{0,80}", value in ".{0,20}") {
        let _ = render(&template, &serde_json::json!({"a": value, "b": [1, {"c": null}]}));
    }
}

fn booking_created() -> serde_json::Map<String, Value> {
    let example = calsim::payload::built_in(calsim::trigger::TriggerEvent::BookingCreated).unwrap();
    match Value::from(calsim::js_value::JsValue::parse(example).unwrap()) {
        Value::Object(data) => data,
        _ => unreachable!("the example is an object"),
    }
}

#[test]
fn the_docs_example_template_renders_compact_json() {
    let template = include_str!("../fixtures/templates/docs-example.json").trim_end();

    let rendered = calsim::payload::build_templated_body(
        template,
        calsim::trigger::TriggerEvent::BookingCreated,
        "2024-01-01T00:00:00.000Z",
        booking_created(),
    )
    .unwrap();

    assert_eq!(rendered.content_type, "application/json");
    assert_eq!(
        rendered.body,
        r#"{"content":"A new event has been scheduled","type":"standard-event-type","name":"Strategy Session between Organizer Name and Guest User","organizer":"Organizer Name","booker":"Guest User"}"#
    );
}

#[test]
fn nangos_guide_template_is_not_json_as_written_so_it_goes_out_as_a_form_body() {
    let template = include_str!("../fixtures/templates/nango-guide.hbs").trim_end();

    let rendered = calsim::payload::build_templated_body(
        template,
        calsim::trigger::TriggerEvent::BookingCreated,
        "2024-01-01T00:00:00.000Z",
        booking_created(),
    )
    .unwrap();

    assert_eq!(rendered.content_type, "application/x-www-form-urlencoded");
    insta::assert_snapshot!(rendered.body);
}
