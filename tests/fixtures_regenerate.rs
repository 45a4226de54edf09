//! Every committed fixture made by Node or openssl is made again here and must come out
//! byte for byte the same, so a fixture can never drift from the tool that vouches for it.

use std::process::Command;

fn regenerate(program: &str, script: &str) -> Vec<u8> {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new(program)
        .arg(script)
        .current_dir(root)
        .env("NODE_PATH", format!("{root}/oracle/node_modules"))
        .output()
        .unwrap_or_else(|error| {
            panic!("{program} {script} runs ({error}); .ci/run installs node, openssl and xxd")
        });
    assert!(
        output.status.success(),
        "{program} {script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn assert_unchanged(program: &str, script: &str, fixture: &str) {
    let committed = std::fs::read(format!("{}/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let fresh = regenerate(program, script);
    assert!(
        fresh == committed,
        "{fixture} differs from what `{program} {script}` makes now; review the difference and commit the regenerated file"
    );
}

#[test]
fn template_cases_are_what_handlebars_js_renders_now() {
    assert_unchanged(
        "node",
        "fixtures/templates/generate.cjs",
        "fixtures/templates/cases.json",
    );
}

#[test]
fn zod_cases_are_what_zod_3_and_4_answer_now() {
    assert_unchanged(
        "node",
        "fixtures/zod/generate.cjs",
        "fixtures/zod/cases.json",
    );
}

#[test]
fn the_node_encrypted_push_is_what_create_cipheriv_makes_now() {
    assert_unchanged(
        "node",
        "fixtures/pushes/generate.js",
        "fixtures/pushes/node-createcipheriv.json",
    );
}

#[test]
fn crypto_vectors_are_what_openssl_makes_now_and_node_agrees() {
    assert_unchanged(
        "bash",
        "fixtures/crypto/generate.sh",
        "fixtures/crypto/vectors.json",
    );
    regenerate("node", "fixtures/crypto/node_check.js");
}

#[test]
fn signature_vectors_are_what_openssl_makes_now() {
    assert_unchanged(
        "bash",
        "fixtures/signatures/generate.sh",
        "fixtures/signatures/vectors.json",
    );
}
