//! Cal.com's credential encryption: known answers from openssl and Node, Node's
//! decryption edge cases, an openssl round trip, and properties.

use std::io::Write;
use std::process::{Command, Stdio};

use calsim::crypto::{
    gcm_decrypt, gcm_encrypt, symmetric_decrypt, symmetric_encrypt, symmetric_encrypt_with_iv,
    DecryptError, EncryptionKey, KeyError,
};
use proptest::prelude::*;
use serde::Deserialize;

/// `fixtures/crypto/vectors.json`, made by `generate.sh` (openssl) and checked by
/// `node_check.js` (Node's createCipheriv, as Cal.com calls it).
#[derive(Deserialize)]
struct Vector {
    name: String,
    key: String,
    iv: String,
    plaintext_hex: String,
    text: String,
}

#[derive(Deserialize)]
struct EdgeCase {
    name: String,
    key: String,
    text: String,
    expected: serde_json::Value,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("../fixtures/crypto/vectors.json")).unwrap()
}

fn key(text: &str) -> EncryptionKey {
    EncryptionKey::from_env_string(text).unwrap()
}

#[test]
fn encryption_with_a_fixed_iv_matches_every_openssl_vector() {
    for vector in vectors() {
        let plaintext = String::from_utf8(hex::decode(&vector.plaintext_hex).unwrap());
        let Ok(plaintext) = plaintext else {
            continue; // the invalid-UTF-8 vector exists for decryption only
        };
        let iv: [u8; 16] = hex::decode(&vector.iv).unwrap().try_into().unwrap();

        let text = symmetric_encrypt_with_iv(&plaintext, &key(&vector.key), iv);

        assert_eq!(text, vector.text, "vector {}", vector.name);
    }
}

#[test]
fn decryption_returns_every_vectors_plaintext() {
    for vector in vectors() {
        let plaintext = hex::decode(&vector.plaintext_hex).unwrap();

        let decrypted = symmetric_decrypt(&vector.text, &key(&vector.key)).unwrap();

        assert_eq!(
            decrypted,
            String::from_utf8_lossy(&plaintext),
            "vector {}",
            vector.name
        );
    }
}

#[test]
fn decryption_fails_or_succeeds_exactly_as_node_does() {
    let cases: Vec<EdgeCase> =
        serde_json::from_str(include_str!("../fixtures/crypto/decrypt_edge_cases.json")).unwrap();
    assert!(cases.len() >= 12);
    for case in cases {
        let outcome = symmetric_decrypt(&case.text, &key(&case.key));

        match (
            &outcome,
            case.expected.get("ok"),
            case.expected.get("error"),
        ) {
            (Ok(plaintext), Some(expected), None) => {
                assert_eq!(plaintext, expected.as_str().unwrap(), "{}", case.name)
            }
            (Err(error), None, Some(expected)) => {
                let variant = format!("{error:?}");
                assert!(
                    variant.starts_with(expected.as_str().unwrap()),
                    "{}: got {variant}",
                    case.name
                );
                assert_eq!(
                    &error.node_message(),
                    case.expected["node_error"].as_str().unwrap(),
                    "{}",
                    case.name
                );
            }
            _ => panic!("{}: got {outcome:?}, expected {}", case.name, case.expected),
        }
    }
}

#[test]
fn keys_must_have_exactly_32_characters() {
    for (length, key) in [
        (31, "a".repeat(31)),
        (33, "a".repeat(33)),
        (
            44,
            "q3H0bWJ1y7kZ8u2Vx9aLr4Tn6cPe5sDfGhJkLmNoPq8=".to_owned(),
        ),
    ] {
        assert_eq!(
            EncryptionKey::from_env_string(&key).unwrap_err(),
            KeyError::WrongLength { found: length }
        );
    }
    let message = EncryptionKey::from_env_string("").unwrap_err().to_string();
    assert_eq!(
        message,
        "encryption key has 0 characters; Cal.com needs exactly 32, used as raw latin1 bytes (make one with `openssl rand -base64 24`)"
    );
}

#[test]
fn a_non_latin1_character_counts_once_and_keeps_its_low_byte() {
    // Node: Buffer.from("€" + 31 × "a", "latin1") → [0xac, 0x61 × 31] ('€' is U+20AC).
    let euro = format!("€{}", "a".repeat(31));
    let low_byte = format!("\u{ac}{}", "a".repeat(31));

    let text = symmetric_encrypt_with_iv("{}", &key(&euro), [9; 16]);

    assert_eq!(symmetric_decrypt(&text, &key(&low_byte)).unwrap(), "{}");
}

#[test]
fn keys_never_show_in_debug_output() {
    assert_eq!(
        format!("{:?}", key("calsim-test-key-0123456789abcdef")),
        "EncryptionKey(***)"
    );
}

#[test]
fn encrypted_text_decrypts_with_the_openssl_cli() {
    let key_text = "calsim-test-key-0123456789abcdef";
    let plaintext = r#"{"access_token":"tökén-€-😀","expiry_date":1700000000000}"#;
    let text = symmetric_encrypt(plaintext, &key(key_text));
    let (iv, ciphertext) = text.split_once(':').unwrap();

    let mut openssl = Command::new("openssl")
        .args([
            "enc",
            "-d",
            "-aes-256-cbc",
            "-K",
            &hex::encode(key_text),
            "-iv",
            iv,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl is installed (.ci/run installs it)");
    openssl
        .stdin
        .take()
        .unwrap()
        .write_all(&hex::decode(ciphertext).unwrap())
        .unwrap();
    let output = openssl.wait_with_output().unwrap();

    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), plaintext);
}

#[test]
fn each_encryption_draws_a_new_iv() {
    let key = key("calsim-test-key-0123456789abcdef");

    let first = symmetric_encrypt("{}", &key);
    let second = symmetric_encrypt("{}", &key);

    assert_ne!(first[..32], second[..32]);
    assert_eq!(first.len(), 32 + 1 + 32);
}

#[test]
fn gcm_is_a_separate_opt_in_format_that_detects_tampering() {
    let key = key("calsim-test-key-0123456789abcdef");
    let text = gcm_encrypt(r#"{"access_token":"abc"}"#, &key);
    let mut tampered = text.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };

    assert_eq!(text.split(':').count(), 3);
    assert_eq!(
        gcm_decrypt(&text, &key).unwrap(),
        r#"{"access_token":"abc"}"#
    );
    assert_eq!(
        gcm_decrypt(&String::from_utf8(tampered).unwrap(), &key),
        Err(DecryptError::AuthenticationFailed)
    );
    assert!(
        symmetric_decrypt(&text, &key).is_err(),
        "a GCM text is not a Cal.com text"
    );
}

fn any_key() -> impl Strategy<Value = EncryptionKey> {
    "[ -~]{32}".prop_map(|text| key(&text))
}

proptest! {
    #[test]
    fn decryption_never_panics(text in "[0-9a-fA-F:zx]{0,120}|.{0,80}", key in any_key()) {
        let _ = symmetric_decrypt(&text, &key);
        let _ = gcm_decrypt(&text, &key);
    }

    #[test]
    fn a_flipped_bit_in_the_last_block_never_gives_the_plaintext_back(
        plaintext in "[ -~]{0,64}",
        bit in 0usize..128,
        key in any_key(),
    ) {
        let text = symmetric_encrypt(&plaintext, &key);
        let mut bytes = hex::decode(&text[33..]).unwrap();
        let index = bytes.len() - 16 + bit / 8;
        bytes[index] ^= 1 << (bit % 8);
        let altered = format!("{}:{}", &text[..32], hex::encode(bytes));

        prop_assert_ne!(symmetric_decrypt(&altered, &key).ok(), Some(plaintext));
    }
}
