//! Differential: signatures and credential encryption against `node:crypto` and Node's
//! `Buffer` on random secrets, bodies, keys, IVs, plaintexts and damaged ciphertexts.

mod oracle;

use base64::Engine;
use calsim::crypto::{lenient_hex, symmetric_decrypt, symmetric_encrypt_with_iv, EncryptionKey};
use calsim::signing::signature;
use proptest::prelude::*;
use serde_json::json;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A 32-unit key, some units outside latin1 (Node keeps their low byte).
fn key() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![8 => prop::char::range(' ', '~'), 1 => prop::char::range('\u{a0}', '\u{17f}'), 1 => Just('✓')],
        32,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// A ciphertext with random damage: hex flips, upper case, junk, cuts, a lost colon.
fn damage(text: String, kind: u8, at: usize) -> String {
    let at = at % (text.len() + 1);
    match kind {
        0 => text,
        1 => text.to_uppercase(),
        2 => format!("{text}zz"),
        3 => text[..at].to_owned(),
        4 => text.replacen(':', "", 1),
        5 => {
            let mut bytes = text.into_bytes();
            if let Some(byte) = bytes.get_mut(at) {
                *byte = if *byte == b'0' { b'1' } else { b'0' };
            }
            String::from_utf8(bytes).unwrap()
        }
        6 => format!("{text}:00"),
        _ => format!("{text}0"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn signatures_match_node_crypto_hmac(secret in "\\PC{1,40}", body in prop::collection::vec(any::<u8>(), 0..300)) {
        let oracle = oracle::ask(json!({"op": "hmac", "secret": secret, "body_b64": b64(&body)}));
        prop_assert_eq!(signature(Some(&secret), &body), oracle["hex"].as_str().unwrap());
    }

    #[test]
    fn hex_decodes_as_node_buffer_does(text in "[0-9a-fA-Fg-z :]{0,70}") {
        let oracle = oracle::ask(json!({"op": "buffer_hex", "text": text}));
        prop_assert_eq!(hex::encode(lenient_hex(&text)), oracle["hex"].as_str().unwrap());
    }

    #[test]
    fn encryption_matches_node_and_damaged_texts_decrypt_or_fail_alike(
        key in key(),
        iv in any::<[u8; 16]>(),
        plaintext in "\\PC{0,120}",
        kind in 0u8..8,
        at in any::<usize>(),
    ) {
        let parsed = EncryptionKey::from_env_string(&key).unwrap();
        let ours = symmetric_encrypt_with_iv(&plaintext, &parsed, iv);
        let oracle = oracle::ask(json!({"op": "encrypt", "key": key, "iv": hex::encode(iv), "plaintext": plaintext}));
        prop_assert_eq!(&ours, oracle["text"].as_str().unwrap());

        let damaged = damage(ours, kind, at);
        let oracle = oracle::ask(json!({"op": "decrypt", "key": key, "text": damaged}));
        match (symmetric_decrypt(&damaged, &parsed), oracle.get("plaintext")) {
            (Ok(text), Some(expected)) => prop_assert_eq!(text.as_str(), expected.as_str().unwrap()),
            (Err(_), None) => {}
            (ours, _) => prop_assert!(false, "{:?}: calsim {:?}, Node {}", damaged, ours, oracle),
        }
    }
}
