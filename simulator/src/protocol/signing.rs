//! `X-Cal-Signature-256`: how Cal.com signs a webhook and how a receiver checks it.
//!
//! Cal.com sends the lowercase hex HMAC-SHA256 of the exact body bytes, keyed with the
//! secret's UTF-8 bytes (never hex- or base64-decoded), with no prefix and no timestamp.
//! A webhook without a secret (null or empty) is not signed: the header carries the
//! literal `no-secret-provided` (`shared/spec/webhooks.md` §1.2, `vectors.md` §2).
//!
//! ```
//! use calsim::signing::{signature, verify, Verification};
//!
//! let body = br#"{"triggerEvent":"PING"}"#;
//! let header = signature(Some("secret"), body);
//! assert_eq!(header.len(), 64);
//! assert_eq!(verify("secret", body, Some(&header)), Verification::Valid);
//! assert_eq!(signature(None, body), "no-secret-provided");
//! assert_eq!(verify("secret", body, Some("no-secret-provided")), Verification::Malformed);
//! ```

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The signature header, as Cal.com writes its name.
pub const SIGNATURE_HEADER: &str = "X-Cal-Signature-256";
/// The payload-version header (current Cal.com only).
pub const VERSION_HEADER: &str = "X-Cal-Webhook-Version";
/// The only payload version known.
pub const PAYLOAD_VERSION: &str = "2021-10-20";
/// What Cal.com sends instead of a signature when the webhook has no secret.
pub const NO_SECRET_PROVIDED: &str = "no-secret-provided";

/// The header value Cal.com sends for `body` under `secret`.
pub fn signature(secret: Option<&str>, body: &[u8]) -> String {
    match secret.filter(|secret| !secret.is_empty()) {
        Some(secret) => hex::encode(hmac(secret, body)),
        None => NO_SECRET_PROVIDED.to_owned(),
    }
}

/// HMAC-SHA256 of `body` keyed with the secret's UTF-8 bytes.
pub fn hmac(secret: &str, body: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts a key of any length");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// What a receiver concludes from the signature header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    /// The HMAC of the raw body matches.
    Valid,
    /// Well-formed hex, but another body or secret.
    Mismatch,
    /// Not 32 bytes once hex-decoded (for example `no-secret-provided`).
    Malformed,
    /// No signature header.
    Missing,
}

/// Checks a signature the way Nango does: decode the header with Node's lenient
/// `Buffer.from(header, "hex")` (upper case, and junk after the 64 digits, pass), compare
/// the bytes with the HMAC of the body in constant time; a missing or empty header is
/// missing, a wrong decoded length is malformed.
pub fn verify(secret: &str, body: &[u8], header: Option<&str>) -> Verification {
    let Some(header) = header.filter(|header| !header.is_empty()) else {
        return Verification::Missing;
    };
    let received = crate::protocol::crypto::lenient_hex(header);
    if received.len() != 32 {
        return Verification::Malformed;
    }
    if bool::from(received.ct_eq(&hmac(secret, body))) {
        Verification::Valid
    } else {
        Verification::Mismatch
    }
}
