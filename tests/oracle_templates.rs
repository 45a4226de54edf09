//! Differential: random `payloadTemplate`s over random payloads, rendered by calsim and by
//! Handlebars.js 4.7 through Cal.com's `applyTemplate` (`oracle/oracle.cjs`); the content
//! type, the body bytes and whether it throws must be identical. Also `JSON.stringify`
//! of random payloads (JavaScript's number text and key order).

mod oracle;

use calsim::js_value::{stringify, JsValue};
use calsim::template::render_js;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Text between mustaches: JSON punctuation, HTML characters, unicode, newlines.
fn text() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        " ",
        "  ",
        "\n",
        "\r\n",
        "  \n",
        "x",
        "{\"a\":\"",
        "\"",
        "\",\"b\":",
        "\"}",
        "{",
        "}",
        ",",
        ":",
        "[",
        "]",
        "<&>",
        "'",
        "=",
        "`",
        "é",
        "\u{2028}",
        "\\",
        "name=",
        "&",
        "{ ",
        " }",
        "}}",
        "{{",
        "\\\\",
        "a\\",
        "\t",
    ])
    .prop_map(str::to_owned)
}

fn path() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "title",
        "organizer.name",
        "organizer",
        "attendees",
        "attendees.0.name",
        "attendees.[1].email",
        "attendees.length",
        "title.length",
        "title.0",
        "this",
        ".",
        "../uid",
        "../../title",
        "@index",
        "@first",
        "@last",
        "@key",
        "@root.title",
        "@../index",
        "missing",
        "missing.deeper",
        "nothing",
        "big",
        "small",
        "neg",
        "ratio",
        "zero",
        "paid",
        "emptyObject",
        "emptyList",
        "numbers",
        "nested.a.b",
        "[weird key]",
        "1",
        "uid",
        "price",
        "this.title",
        "./title",
        "name",
        "email",
        "a",
        "length",
        "keyed",
        "keyed.[2]",
        "true",
        "null",
        "else",
        "if",
        "lookup",
        "each",
    ])
    .prop_map(str::to_owned)
}

fn param() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => path(),
        1 => prop::sample::select(vec!["0", "1", "-1", "1.5", "\"name\"", "'email'", "\"a b\"",
            "true", "false", "null", "undefined", "(lookup attendees 0)", "(lookup this \"title\")"])
            .prop_map(str::to_owned),
    ]
}

/// One mustache: plain, triple, `&`, `~`, escaped, helpers, comments and broken ones.
fn mustache() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => path().prop_map(|p| format!("{{{{{p}}}}}")),
        2 => path().prop_map(|p| format!("{{{{{{{p}}}}}}}")),
        1 => path().prop_map(|p| format!("{{{{&{p}}}}}")),
        1 => path().prop_map(|p| format!("{{{{~{p}~}}}}")),
        1 => path().prop_map(|p| format!("\\{{{{{p}}}}}")),
        1 => path().prop_map(|p| format!("\\\\{{{{{p}}}}}")),
        2 => (param(), param()).prop_map(|(a, b)| format!("{{{{lookup {a} {b}}}}}")),
        1 => param().prop_map(|a| format!("{{{{lookup {a}}}}}")),
        1 => prop::sample::select(vec!["{{! comment }}", "{{!-- a }} b --}}", "{{~! c ~}}"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec![
            "{{", "}}", "{{title}}}", "{{{title}}", "{{/if}}", "{{else}}", "{{foo bar}}",
            "{{> partial}}", "{{title bar}}", "{{#if}}{{/if}}", "{{if title}}", "{{a.this}}",
            "{{ title }}", "{{[a]}}", "{{log title}}", "{{lookup}}", "{{each title}}",
            "{{#each}}x{{/each}}", "{{elsewhere}}", "{{#if title includeZero=true}}y{{/if}}",
            "{{#with}}{{/with}}", "{{@index.x}}", "{{title.}}", "{{^}}", "{{#title}}t{{/title}}",
        ]).prop_map(str::to_owned),
    ]
}

/// A template: text and mustaches, with blocks nested inside, some on lines of their own.
fn template() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![2 => text(), 3 => mustache()];
    let piece = leaf.prop_recursive(3, 24, 4, |inner| {
        let body = prop::collection::vec(inner, 0..4).prop_map(|parts| parts.concat());
        prop_oneof![
            prop::collection::vec(body.clone(), 1..3).prop_map(|parts| parts.concat()),
            (param(), body.clone(), prop::option::of(body.clone()), any::<bool>()).prop_map(
                |(condition, yes, no, standalone)| {
                    let line = if standalone { "\n" } else { "" };
                    match no {
                        Some(no) => format!("{{{{#if {condition}}}}}{line}{yes}{line}{{{{else}}}}{line}{no}{line}{{{{/if}}}}{line}"),
                        None => format!("{line}{{{{#if {condition}}}}}{line}{yes}{line}{{{{/if}}}}{line}"),
                    }
                }
            ),
            (param(), body.clone()).prop_map(|(c, yes)| format!("{{{{#unless {c}}}}}{yes}{{{{/unless}}}}")),
            (path(), body.clone(), prop::option::of(body.clone()), any::<bool>()).prop_map(
                |(list, each, empty, standalone)| {
                    let line = if standalone { "\n  " } else { "" };
                    let inverse = empty.map(|e| format!("{{{{else}}}}{e}")).unwrap_or_default();
                    format!("{line}{{{{#each {list}}}}}{line}{each}{{{{#unless @last}}}},{{{{/unless}}}}{inverse}{line}{{{{/each}}}}{line}")
                }
            ),
            (path(), body.clone()).prop_map(|(p, inner)| format!("{{{{#with {p}}}}}{inner}{{{{/with}}}}")),
            (path(), body.clone()).prop_map(|(p, inner)| format!("{{{{#{p}}}}}{inner}{{{{/{p}}}}}")),
            (path(), body.clone()).prop_map(|(p, inner)| format!("{{{{^{p}}}}}{inner}{{{{/{p}}}}}")),
            (param(), param(), body.clone(), body.clone()).prop_map(|(a, b, x, y)| {
                format!("{{{{#if {a}}}}}{x}{{{{else if {b}}}}}{y}{{{{else}}}}z{{{{/if}}}}")
            }),
            (path(), body).prop_map(|(p, inner)| {
                format!("{{{{#each {p} as |item i|}}}}{{{{i}}}}={{{{item.name}}}}{inner}{{{{/each}}}}")
            }),
        ]
    });
    prop::collection::vec(piece, 0..5).prop_map(|parts| parts.concat())
}

fn scalar_text() -> impl Strategy<Value = String> + Clone {
    prop::sample::select(vec![
        "Alice",
        "O'Brien",
        "Bob \"the builder\"",
        "<b>&amp;</b>",
        "Zoë ✓",
        "",
        "0",
        "a=b",
        "`tick`",
        "line\nbreak",
        "\u{2028}",
        "30min",
        "x y",
        "{{title}}",
        "\\",
        "[object Object]",
    ])
    .prop_map(str::to_owned)
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0",
            "-0",
            "1",
            "1.50",
            "1E2",
            "12345678901234567890",
            "1e21",
            "1e-7",
            "0.000001",
            "-3.25",
            "9007199254740993",
            "1e300",
            "123456789.123456789",
            "5e-324",
            "100",
        ])
        .prop_map(str::to_owned),
        any::<f64>()
            .prop_filter("finite", |n| n.is_finite())
            .prop_map(|n| format!("{n:e}")),
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// A payload as JSON text: the fields the paths above name, with random values.
fn payload() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        scalar_text().prop_map(|text| Value::String(text).to_string()),
        number(),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
        Just("{}".to_owned()),
        Just("[]".to_owned()),
    ];
    let value = leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["name", "email", "a", "b", "2", "0", "length"]),
                    inner
                ),
                0..3
            )
            .prop_map(|fields| {
                let fields: Vec<String> =
                    fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    });
    let person = || {
        (scalar_text(), scalar_text())
            .prop_map(|(name, email)| json!({"name": name, "email": email}).to_string())
    };
    (
        scalar_text(),
        person(),
        prop::collection::vec(prop_oneof![3 => person(), 1 => value.clone()], 0..3),
        (number(), number(), value.clone(), value.clone()),
        (value.clone(), value, number()),
    )
        .prop_map(|(title, organizer, attendees, (big, price, nested, keyed), (numbers, name, ratio))| {
            format!(
                r#"{{"triggerEvent":"BOOKING_CREATED","createdAt":"2024-01-01T00:00:00.000Z","title":{},"organizer":{organizer},"attendees":[{}],"uid":"abc123","big":{big},"small":1e-7,"neg":-0,"ratio":{ratio},"zero":0,"price":{price},"paid":false,"nothing":null,"emptyObject":{{}},"emptyList":[],"numbers":{numbers},"nested":{{"a":{nested}}},"keyed":{keyed},"name":{name},"weird key":"w"}}"#,
                Value::String(title),
                attendees.join(","),
            )
        })
}

fn compare(template: &str, data: &str) -> Result<(), TestCaseError> {
    let oracle = oracle::ask(json!({"op": "template", "template": template, "data": data}));
    let context = JsValue::parse(data).expect("the generated payload is JSON");
    let ours = render_js(template, &context);
    match (&ours, oracle.get("throws")) {
        (Err(_), Some(_)) => Ok(()),
        (Ok(rendered), None) => {
            prop_assert_eq!(
                (rendered.content_type, rendered.body.as_str()),
                (
                    oracle["content_type"].as_str().unwrap_or_default(),
                    oracle["body"].as_str().unwrap_or_default()
                ),
                "template {:?}\ndata {}",
                template,
                data
            );
            Ok(())
        }
        _ => Err(TestCaseError::fail(format!(
            "template {template:?}\ndata {data}\ncalsim: {ours:?}\nHandlebars.js: {oracle}"
        ))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_templates_render_byte_for_byte_as_handlebars_js(template in template(), data in payload()) {
        compare(&template, &data)?;
    }

    #[test]
    fn random_payloads_stringify_as_json_stringify(data in payload()) {
        let oracle = oracle::ask(json!({"op": "stringify", "json": data}));
        let parsed = JsValue::parse(&data).expect("the generated payload is JSON");
        prop_assert_eq!(stringify(&Value::from(parsed)), oracle["body"].as_str().unwrap_or_default());
    }
}

#[test]
fn known_divergences_of_the_old_renderer_now_match() {
    let data =
        r#"{"title":"T","attendees":[{"name":"A"}],"emptyObject":{},"n":12345678901234567890}"#;
    for template in [
        r#"{"a":{{lookup attendees 0}}}"#,
        r#"\{{title}} {{title}}"#,
        "{{#if emptyObject}}truthy{{/if}}",
        "{{#unless emptyObject}}falsy{{/unless}}",
        r#"{"o":"{{lookup attendees 0}}"}"#,
        "",
        r#"{"n":{{n}},"m":"{{n}}"}"#,
        "{\n  {{#each attendees}}\n  \"{{name}}\"\n  {{/each}}\n}",
        "{{#each this}}{{#unless title}}{{this}}{{/unless}}{{/each}}",
        "{{#each this as |item i|}}{{#unless title}}{{this}}{{/unless}}{{/each}}",
        "{{#with nothing}}{{this}}{{/with}}{{#nothing}}x{{/nothing}}",
        "{{{one}}}{{{one}}}|{{#if one}}{{{one}}}{{{one}}}{{/if}}",
    ] {
        compare(template, data).unwrap();
    }
}
