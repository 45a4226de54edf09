//! Cal.com's credential encryption (`packages/lib/crypto.ts`), faithfully.
//!
//! `symmetricEncrypt` is Node's `createCipheriv("aes256", Buffer.from(key, "latin1"), iv)`:
//! AES-256-**CBC** with PKCS#7 padding and a random 16-byte IV, written as
//! `<iv hex>:<ciphertext hex>` in lower case. The key is the env string's characters used
//! as bytes (each UTF-16 code unit's low 8 bits); it must be exactly 32 of them. There is
//! no MAC. `symmetricDecrypt` splits on the first `:`, parses hex leniently (Node's
//! `Buffer.from(hex, "hex")` stops at the first invalid pair) and turns invalid UTF-8 into
//! U+FFFD instead of failing. [`symmetric_decrypt`] reproduces each of these behaviours and
//! Node's failure cases (`shared/spec/credential-sync.md` §2, `vectors.md` §1.5).
//!
//! AES-256-GCM ([`gcm_encrypt`], [`gcm_decrypt`]) is an opt-in variant that some forks use;
//! Cal.com mainline never does.
//!
//! ```
//! use calsim::crypto::{symmetric_decrypt, symmetric_encrypt_with_iv, EncryptionKey};
//!
//! let key = EncryptionKey::from_env_string("calsim-test-key-0123456789abcdef").unwrap();
//! let text = symmetric_encrypt_with_iv(r#"{"access_token":"abc","expiry_date":1700000000000}"#, &key, [
//!     0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
//! ]);
//! assert!(text.starts_with("000102030405060708090a0b0c0d0e0f:fa970a760bcefce3"));
//! assert_eq!(symmetric_decrypt(&text, &key).unwrap(), r#"{"access_token":"abc","expiry_date":1700000000000}"#);
//! ```

use std::fmt;
use std::str::FromStr;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use rand::RngCore;

type CbcEncryptor = cbc::Encryptor<aes::Aes256>;
type CbcDecryptor = cbc::Decryptor<aes::Aes256>;

/// The 32-byte key made from `CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY`. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionKey([u8; 32]);

impl EncryptionKey {
    /// Cal.com's `Buffer.from(key, "latin1")`: each UTF-16 code unit becomes its low 8
    /// bits. The string must have exactly 32 code units, or Node throws `Invalid key length`.
    ///
    /// ```
    /// use calsim::crypto::EncryptionKey;
    ///
    /// assert!(EncryptionKey::from_env_string("Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3Jh").is_ok());
    /// let error = EncryptionKey::from_env_string("q3H0bWJ1y7kZ8u2Vx9aLr4Tn6cPe5sDfGhJkLmNoPq8=").unwrap_err();
    /// assert!(error.to_string().starts_with("encryption key has 44 characters; Cal.com needs exactly 32"));
    /// ```
    pub fn from_env_string(key: &str) -> Result<Self, KeyError> {
        let mut bytes = [0u8; 32];
        let mut found = 0;
        for unit in key.encode_utf16() {
            if let Some(byte) = bytes.get_mut(found) {
                *byte = unit as u8;
            }
            found += 1;
        }
        if found == bytes.len() {
            Ok(EncryptionKey(bytes))
        } else {
            Err(KeyError::WrongLength { found })
        }
    }
}

impl FromStr for EncryptionKey {
    type Err = KeyError;

    fn from_str(key: &str) -> Result<Self, Self::Err> {
        EncryptionKey::from_env_string(key)
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey(***)")
    }
}

/// A key string Cal.com cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not 32 characters (UTF-16 code units).
    #[error("encryption key has {found} characters; Cal.com needs exactly 32, used as raw latin1 bytes (make one with `openssl rand -base64 24`)")]
    WrongLength {
        /// How many there were.
        found: usize,
    },
}

/// Why a text does not decrypt, named after Node's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// The part before the first `:` is not 16 bytes of hex.
    #[error("Invalid initialization vector: the part before ':' decodes to {found_bytes} bytes; it must be 32 hex characters (16 bytes)")]
    InvalidIv {
        /// Bytes decoded from the IV part.
        found_bytes: usize,
    },
    /// The ciphertext hex has an odd number of characters.
    #[error("The argument 'encoding' is invalid for data of length {hex_chars}. Received 'hex': the ciphertext after ':' must have an even number of hex characters")]
    OddLengthCiphertext {
        /// Its length.
        hex_chars: usize,
    },
    /// Empty, or not a whole number of 16-byte blocks.
    #[error("wrong final block length: the ciphertext must be a non-empty multiple of 16 bytes (32 hex characters)")]
    WrongFinalBlockLength,
    /// The padding is wrong: almost always the wrong key.
    #[error("bad decrypt: wrong key, or the text was not made with Cal.com's symmetricEncrypt (AES-256-CBC)")]
    BadDecrypt,
    /// GCM only: not `<iv>:<ciphertext>:<tag>` in hex.
    #[error("malformed AES-256-GCM text: expected `<12-byte iv hex>:<ciphertext hex>:<16-byte tag hex>`")]
    MalformedGcm,
    /// GCM only: the tag does not match (wrong key or altered text).
    #[error("AES-256-GCM authentication failed: wrong key, or the text was altered")]
    AuthenticationFailed,
}

impl DecryptError {
    /// The message Node throws for this failure (what Cal.com would log).
    pub fn node_message(&self) -> String {
        match self {
            DecryptError::InvalidIv { .. } => "Invalid initialization vector".to_owned(),
            DecryptError::OddLengthCiphertext { hex_chars } => format!(
                "The argument 'encoding' is invalid for data of length {hex_chars}. Received 'hex'"
            ),
            DecryptError::WrongFinalBlockLength => "wrong final block length".to_owned(),
            DecryptError::BadDecrypt => "bad decrypt".to_owned(),
            DecryptError::MalformedGcm | DecryptError::AuthenticationFailed => {
                "Unsupported state or unable to authenticate data".to_owned()
            }
        }
    }
}

/// Cal.com's `symmetricEncrypt`, with a random IV.
pub fn symmetric_encrypt(plaintext: &str, key: &EncryptionKey) -> String {
    let mut iv = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut iv);
    symmetric_encrypt_with_iv(plaintext, key, iv)
}

/// `symmetricEncrypt` with a chosen IV, for reproducible output.
pub fn symmetric_encrypt_with_iv(plaintext: &str, key: &EncryptionKey, iv: [u8; 16]) -> String {
    let ciphertext = CbcEncryptor::new(&key.0.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes());
    let mut text = String::with_capacity(33 + ciphertext.len() * 2);
    push_hex(&mut text, &iv);
    text.push(':');
    push_hex(&mut text, &ciphertext);
    text
}

/// Cal.com's `symmetricDecrypt`, with Node's leniencies and failures.
pub fn symmetric_decrypt(text: &str, key: &EncryptionKey) -> Result<String, DecryptError> {
    let (iv_hex, ciphertext_hex) = text.split_once(':').unwrap_or((text, ""));
    let iv = lenient_hex(iv_hex);
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|iv: Vec<u8>| DecryptError::InvalidIv {
            found_bytes: iv.len(),
        })?;
    if ciphertext_hex.len() % 2 == 1 {
        return Err(DecryptError::OddLengthCiphertext {
            hex_chars: ciphertext_hex.len(),
        });
    }
    let ciphertext = lenient_hex(ciphertext_hex);
    if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
        return Err(DecryptError::WrongFinalBlockLength);
    }
    let plaintext = CbcDecryptor::new(&key.0.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&ciphertext)
        .map_err(|_| DecryptError::BadDecrypt)?;
    Ok(match String::from_utf8(plaintext) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    })
}

/// Node's `Buffer.from(text, "hex")`: decodes pairs until the first invalid one (an odd
/// trailing character is dropped).
pub fn lenient_hex(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks_exact(2) {
        match (
            HEX_VALUES[usize::from(pair[0])],
            HEX_VALUES[usize::from(pair[1])],
        ) {
            (high @ 0..=15, low @ 0..=15) => decoded.push(high << 4 | low),
            _ => break,
        }
    }
    decoded
}

/// Appends lower-case hex, as Node's `toString("hex")`.
fn push_hex(text: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    text.extend(bytes.iter().flat_map(|byte| {
        [
            DIGITS[usize::from(byte >> 4)] as char,
            DIGITS[usize::from(byte & 0xf)] as char,
        ]
    }));
}

/// Each byte's hex digit value, or 0xff for a byte that is not a hex digit.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut digit = 0;
    while digit < 10 {
        table[b'0' as usize + digit] = digit as u8;
        digit += 1;
    }
    let mut letter = 0;
    while letter < 6 {
        table[b'a' as usize + letter] = 10 + letter as u8;
        table[b'A' as usize + letter] = 10 + letter as u8;
        letter += 1;
    }
    table
};

/// The opt-in AES-256-GCM variant: `<12-byte iv hex>:<ciphertext hex>:<16-byte tag hex>`.
pub fn gcm_encrypt(plaintext: &str, key: &EncryptionKey) -> String {
    let mut iv = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut iv);
    gcm_encrypt_with_iv(plaintext, key, iv)
}

/// [`gcm_encrypt`] with a chosen IV.
pub fn gcm_encrypt_with_iv(plaintext: &str, key: &EncryptionKey, iv: [u8; 12]) -> String {
    let cipher = Aes256Gcm::new(&key.0.into());
    let sealed = cipher
        .encrypt(Nonce::from_slice(&iv), plaintext.as_bytes())
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let (ciphertext, tag) = sealed.split_at(sealed.len() - 16);
    format!(
        "{}:{}:{}",
        hex::encode(iv),
        hex::encode(ciphertext),
        hex::encode(tag)
    )
}

/// Decrypts the opt-in GCM variant; any alteration fails authentication.
pub fn gcm_decrypt(text: &str, key: &EncryptionKey) -> Result<String, DecryptError> {
    let mut parts = text.split(':');
    let (Some(iv), Some(ciphertext), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(DecryptError::MalformedGcm);
    };
    let decode = |part: &str| hex::decode(part).map_err(|_| DecryptError::MalformedGcm);
    let (iv, mut sealed, tag) = (decode(iv)?, decode(ciphertext)?, decode(tag)?);
    if iv.len() != 12 || tag.len() != 16 {
        return Err(DecryptError::MalformedGcm);
    }
    sealed.extend_from_slice(&tag);
    let plaintext = Aes256Gcm::new(&key.0.into())
        .decrypt(Nonce::from_slice(&iv), sealed.as_slice())
        .map_err(|_| DecryptError::AuthenticationFailed)?;
    Ok(String::from_utf8_lossy(&plaintext).into_owned())
}
