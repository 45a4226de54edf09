//! `X-Cal-Signature-256`: known answers (openssl, Python), decoys, and properties.

use std::io::Write;
use std::process::{Command, Stdio};

use calsim::signing::{signature, verify, Verification, NO_SECRET_PROVIDED};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    name: String,
    secret: String,
    body_hex: String,
    signature: String,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("../fixtures/signatures/vectors.json")).unwrap()
}

#[test]
fn every_vector_signs_to_its_known_answer() {
    for vector in vectors() {
        let body = hex::decode(&vector.body_hex).unwrap();

        assert_eq!(
            signature(Some(&vector.secret), &body),
            vector.signature,
            "{}",
            vector.name
        );
    }
}

#[test]
fn every_signed_vector_verifies_and_the_unsigned_one_does_not() {
    for vector in vectors() {
        let body = hex::decode(&vector.body_hex).unwrap();
        let expected = if vector.signature == NO_SECRET_PROVIDED {
            Verification::Malformed
        } else {
            Verification::Valid
        };

        assert_eq!(
            verify(&vector.secret, &body, Some(&vector.signature)),
            expected,
            "{}",
            vector.name
        );
    }
}

#[test]
fn the_h2_decoys_are_not_accepted() {
    let h2 = vectors()
        .into_iter()
        .find(|vector| vector.name == "H2")
        .unwrap();
    let body = hex::decode(&h2.body_hex).unwrap();

    // The secret hex-decoded before use, and the body re-serialised with \u escapes.
    for decoy in [
        "6e94eacdf2ebf41d20e21d754a572bf22701ca5499eec0f1c7da001b3c820859",
        "98aa576a375c384da11929a9ba83e08f0f0669807311d76d75ce4b7c45b99f5c",
    ] {
        assert_eq!(
            verify(&h2.secret, &body, Some(decoy)),
            Verification::Mismatch
        );
    }
}

#[test]
fn an_empty_secret_is_never_an_hmac_with_an_empty_key() {
    let body = br#"{"triggerEvent":"BOOKING_CANCELLED","createdAt":"2024-01-01T00:00:00.000Z","payload":{"uid":"abc123","status":"CANCELLED"}}"#;

    assert_eq!(signature(Some(""), body), "no-secret-provided");
    assert_eq!(signature(None, body), "no-secret-provided");
    assert_ne!(
        signature(Some(""), body),
        "e9e2cd9d51ea25468d06ab245156d0ff743eb05ceac16c4658ce99f0e61f9ec6"
    );
}

#[test]
fn a_missing_header_is_missing_and_upper_case_hex_still_verifies() {
    let body = b"{}";
    let header = signature(Some("s"), body);

    assert_eq!(verify("s", body, None), Verification::Missing);
    assert_eq!(
        verify("s", body, Some(&header.to_uppercase())),
        Verification::Valid
    );
    assert_eq!(
        verify("s", body, Some(&header[..62])),
        Verification::Malformed
    );
}

fn openssl_hmac(secret: &str, body: &[u8]) -> String {
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl is installed (.ci/run installs it)");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let output = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    output.split_whitespace().last().unwrap().to_owned()
}

#[test]
fn signatures_agree_with_the_openssl_cli() {
    for (secret, body) in [
        (
            "secret",
            "{\"title\":\"Zoë ✓ \\u00e9\",\"n\":1.50}".as_bytes(),
        ),
        (
            "a-longer-secret-with-symbols!@#",
            b"name=O&#x27;Brien&x=[object Object]".as_slice(),
        ),
        ("0123abcd", b"false".as_slice()),
    ] {
        assert_eq!(
            signature(Some(secret), body),
            openssl_hmac(secret, body),
            "{secret}"
        );
    }
}

proptest! {
    #[test]
    fn any_body_signed_with_any_secret_verifies(secret in "[ -~]{1,40}", body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let header = signature(Some(&secret), &body);

        prop_assert_eq!(verify(&secret, &body, Some(&header)), Verification::Valid);
    }

    #[test]
    fn changing_any_byte_of_the_body_fails_verification(
        secret in "[ -~]{1,20}",
        body in proptest::collection::vec(any::<u8>(), 1..200),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let header = signature(Some(&secret), &body);
        let mut altered = body.clone();
        let at = index.index(altered.len());
        altered[at] ^= flip;

        prop_assert_eq!(verify(&secret, &altered, Some(&header)), Verification::Mismatch);
    }

    #[test]
    fn verification_never_panics_on_any_header(header in ".{0,100}") {
        let _ = verify("secret", b"{}", Some(&header));
    }
}
