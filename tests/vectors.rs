//! The published test vectors (`fixtures/vectors/`): calsim's output must not drift from
//! the checked-in files, and every file is pinned by an independent source: Node's
//! crypto, Handlebars.js, zod and `JSON.stringify` through the JavaScript oracle.

mod oracle;

use base64::Engine;
use serde_json::{json, Value};

fn checked_in(name: &str) -> Value {
    let path = format!("{}/fixtures/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn exported_vectors_are_the_checked_in_files_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("calsim-vectors-{}", std::process::id()));
    let written = calsim::vectors::export(&dir).unwrap();

    assert_eq!(written.len(), 7);
    for name in written {
        let fresh = std::fs::read_to_string(dir.join(name)).unwrap();
        let kept = std::fs::read_to_string(format!(
            "{}/fixtures/vectors/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap_or_default();
        assert!(
            fresh == kept,
            "fixtures/vectors/{name} differs from calsim's output: if the change is intended, run `cargo run -- vectors export fixtures/vectors`, review the diff and raise `version` when a shape changed"
        );
        if name.ends_with(".json") {
            assert_eq!(
                serde_json::from_str::<Value>(&fresh).unwrap()["version"],
                calsim::vectors::VERSION
            );
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn encryption_vectors_are_what_node_crypto_computes() {
    let file = checked_in("encryption.json");
    for case in file["cases"].as_array().unwrap() {
        let encrypted = oracle::ask(
            json!({"op": "encrypt", "key": case["key"], "iv": case["iv"], "plaintext": case["plaintext"]}),
        );
        assert_eq!(encrypted["text"], case["keys"], "{case}");
        let decrypted =
            oracle::ask(json!({"op": "decrypt", "key": case["key"], "text": case["keys"]}));
        assert_eq!(decrypted["plaintext"], case["plaintext"], "{case}");
    }
    for failure in file["failures"].as_array().unwrap() {
        let decrypted =
            oracle::ask(json!({"op": "decrypt", "key": failure["key"], "text": failure["keys"]}));
        assert!(
            decrypted.get("error").is_some(),
            "Node fails too: {failure} {decrypted}"
        );
        assert!(failure["nodeError"].is_string(), "{failure}");
    }
}

#[test]
fn signature_vectors_are_what_node_createhmac_computes() {
    for case in checked_in("signatures.json")["cases"].as_array().unwrap() {
        let body = case["body"].as_str().unwrap();
        let expected = match case["secret"].as_str() {
            Some(secret) => oracle::ask(
                json!({"op": "hmac", "secret": secret, "body_b64": b64(body.as_bytes())}),
            )["hex"]
                .clone(),
            None => json!("no-secret-provided"),
        };
        assert_eq!(case["signature"], expected, "{case}");
    }
}

#[test]
fn webhook_bodies_are_json_stringify_output_of_their_data() {
    let file = checked_in("webhook-bodies.json");
    let triggers = file["triggers"].as_object().unwrap();
    assert!(triggers.len() >= 20, "every trigger with example data");
    for (trigger, case) in triggers {
        let body = case["body"].as_str().unwrap();
        let restringified = oracle::ask(json!({"op": "stringify", "json": body}));
        assert_eq!(
            restringified["body"].as_str().unwrap(),
            body,
            "{trigger}: key order and number text as JSON.stringify writes them"
        );
        let parsed: Value = serde_json::from_str(body).unwrap();
        assert_eq!(parsed["triggerEvent"], json!(trigger));
    }
}

#[test]
fn template_vectors_are_what_handlebars_js_renders() {
    let file = checked_in("templates.json");
    let context = calsim::protocol::js_value::stringify(&file["context"]);
    for case in file["cases"].as_array().unwrap() {
        let oracle =
            oracle::ask(json!({"op": "template", "template": case["template"], "data": context}));
        match case.get("error") {
            Some(_) => assert!(
                oracle.get("throws").is_some(),
                "Handlebars.js throws too: {case} {oracle}"
            ),
            None => {
                assert_eq!(oracle["content_type"], case["contentType"], "{case}");
                assert_eq!(oracle["body"], case["body"], "{case}");
            }
        }
    }
}

#[test]
fn push_answers_of_current_calcom_are_what_zod_and_node_answer() {
    let file = checked_in("push-answers.json");
    let cases = file["profiles"]["current"].as_array().unwrap();
    assert!(
        file["profiles"].as_object().unwrap().len() == 4,
        "every generation"
    );
    for case in cases {
        let sent_secret = case["headers"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(name, _)| *name != "content-type")
            .unwrap()
            .1;
        let oracle = oracle::ask(json!({
            "op": "push",
            "zod": "v3",
            "secret": file["secret"],
            "sent_secret": sent_secret,
            "body_b64": b64(case["body"].as_str().unwrap().as_bytes()),
            "key": file["encryptionKey"],
            "users": [1],
            "apps": {"google-calendar": true},
        }));
        assert_eq!(oracle["status"], case["status"], "{case} {oracle}");
        // The oracle holds no database: every accepted push "creates". The vectors run
        // in order, so pushes after the first find the credential and update it.
        let mut expected = oracle["body"].as_str().unwrap().to_owned();
        if case["answer"]
            .as_str()
            .unwrap()
            .contains("Credentials updated")
        {
            expected = expected.replace("Credentials created", "Credentials updated");
        }
        assert_eq!(expected, case["answer"].as_str().unwrap(), "{case}");
    }
}

#[test]
fn pull_judgements_are_what_calcoms_reading_with_zod_gives() {
    let file = checked_in("pull-judgements.json");
    let current = calsim::protocol::js_value::stringify(&file["storedKeyBefore"]);
    for case in file["cases"].as_array().unwrap() {
        let app = case["app"].as_str().unwrap();
        let oracle = oracle::ask(json!({
            "op": "pull",
            "path": if app == "hubspot" { "legacy" } else { "oauth-manager" },
            "zod": "v3",
            "app": app,
            "status": case["status"],
            "body_b64": b64(case["body"].as_str().unwrap().as_bytes()),
            "current": current,
            "now": file["nowMs"],
        }));
        assert_eq!(oracle["accepted"], case["accepted"], "{case} {oracle}");
        assert_eq!(oracle["invalid"], case["marksInvalid"], "{case} {oracle}");
        assert_eq!(
            oracle["key"].as_str().unwrap(),
            calsim::protocol::js_value::stringify(&case["storedKey"]),
            "{case}"
        );
    }
}
