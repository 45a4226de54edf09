//! Encrypt and decrypt operations per second, as a ratio to raw AES-256-CBC on the same
//! bytes (the `aes` + `cbc` crates with no formatting), measured in the same run.
//!
//! `cargo bench --bench crypto`

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::hint::black_box;
use std::time::{Duration, Instant};

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use calsim::crypto::{symmetric_decrypt, symmetric_encrypt_with_iv, EncryptionKey};

const RUN: Duration = Duration::from_millis(700);
const KEY: &str = "calsim-test-key-0123456789abcdef";

/// Calls `operation` for about `RUN` and returns operations per second.
fn rate(mut operation: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed() < RUN && count < 50_000_000 {
        for _ in 0..64 {
            operation();
        }
        count += 64;
    }
    count as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let key = EncryptionKey::from_env_string(KEY).unwrap();
    let raw_key: [u8; 32] = KEY.as_bytes().try_into().unwrap();
    let iv = [7u8; 16];
    let long = format!(r#"{{"access_token":"{}"}}"#, "a".repeat(1000));
    println!("credential crypto, ops/s (ratio to raw AES-256-CBC of the same bytes)");
    for (name, plaintext) in [
        (
            "50-byte token",
            r#"{"access_token":"abc","expiry_date":1700000000000}"#,
        ),
        ("1 KiB token", long.as_str()),
    ] {
        let raw_encrypt = rate(|| {
            black_box(
                cbc::Encryptor::<aes::Aes256>::new(&raw_key.into(), &iv.into())
                    .encrypt_padded_vec_mut::<Pkcs7>(black_box(plaintext.as_bytes())),
            );
        });
        let encrypt = rate(|| {
            black_box(symmetric_encrypt_with_iv(black_box(plaintext), &key, iv));
        });
        let text = symmetric_encrypt_with_iv(plaintext, &key, iv);
        let ciphertext = hex::decode(&text[33..]).unwrap();
        let raw_decrypt = rate(|| {
            black_box(
                cbc::Decryptor::<aes::Aes256>::new(&raw_key.into(), &iv.into())
                    .decrypt_padded_vec_mut::<Pkcs7>(black_box(&ciphertext))
                    .unwrap(),
            );
        });
        let decrypt = rate(|| {
            black_box(symmetric_decrypt(black_box(&text), &key).unwrap());
        });
        println!("{name:<14} encrypt {encrypt:>10.0}/s ({:.2}x raw)   decrypt {decrypt:>10.0}/s ({:.2}x raw)", encrypt / raw_encrypt, decrypt / raw_decrypt);
    }
}
