//! Differential: JavaScript's `JSON.parse` error messages (Node's V8) and `Buffer.from(x,
//! "hex")` against calsim's, on random broken JSON and random hex-ish text.

mod oracle;

use calsim::js_value::parse_error_message;
use proptest::prelude::*;
use serde_json::json;

/// JSON-ish text: valid fragments with random damage.
fn broken_json() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"a\"",
        "\"é✓\"",
        "1",
        "-",
        "0",
        "01",
        "1.",
        "1.5",
        "1e",
        "1e+",
        "2E-3",
        "true",
        "tru",
        "false",
        "null",
        "nul",
        " ",
        "\n",
        "\t",
        "\\",
        "\\u",
        "\\u12",
        "\\u00e9",
        "\\q",
        "\u{1}",
        "x",
        "'",
        "undefined",
        "NaN",
        "é",
        "😀",
        "{\"k\":",
        "\"long string value here\"",
        "[1,2,3,4,5,6,7,8,9,10,11,12]",
    ]);
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn json_parse_errors_read_as_v8_writes_them(text in broken_json()) {
        let oracle = oracle::ask(json!({"op": "parse_error", "text": text}));
        let expected = oracle.get("message").and_then(|message| message.as_str()).map(str::to_owned);
        prop_assert_eq!(parse_error_message(&text), expected, "JSON.parse({:?})", text);
    }
}

#[test]
fn special_strings_and_context_windows_match_v8() {
    for text in [
        "undefined",
        "NaN",
        "Infinity",
        "[object Object]",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        r#"{"a":1, "b": 2, "c": 3, "d": x}"#,
        "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,x]",
        "12345678901234567890x",
        "123456789012345678901x",
        "\"\\",
        "",
        "   ",
    ] {
        let oracle = oracle::ask(json!({"op": "parse_error", "text": text}));
        let expected = oracle
            .get("message")
            .and_then(|message| message.as_str())
            .map(str::to_owned);
        assert_eq!(parse_error_message(text), expected, "JSON.parse({text:?})");
    }
}
