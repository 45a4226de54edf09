//! calsim's error type: every message names the input, the problem and the next step.

use crate::protocol::crypto::{DecryptError, KeyError};
use crate::protocol::profile::UnknownProfile;

/// Everything that can go wrong outside an HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A config file or value is unusable.
    #[error("config error in {origin}: {problem}")]
    Config {
        /// Where the value came from (a path, "embedded defaults", a flag).
        origin: String,
        /// What is wrong with it and how to fix it.
        problem: String,
    },
    /// An unknown `--profile`.
    #[error(transparent)]
    Profile(#[from] UnknownProfile),
    /// The AES key has the wrong length.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A ciphertext does not decrypt.
    #[error("cannot decrypt: {0}")]
    Decrypt(#[from] DecryptError),
    /// An app `config.json` breaks Cal.com's app rules.
    #[error("app config error in {origin}: {problem}")]
    AppConfig {
        /// The file or request the config came from.
        origin: String,
        /// The rule broken and the fix.
        problem: String,
    },
    /// A request to a peer failed before any answer arrived.
    #[error("request to {url} failed: {problem}")]
    Peer {
        /// The peer's URL.
        url: String,
        /// What happened (timeout, refused, redirect...) and what to check.
        problem: String,
    },
    /// A wait for something the simulator should see ran out of time.
    #[error("waited {waited_ms} ms for {expected}; it did not happen\n{journal}")]
    Waited {
        /// What was awaited.
        expected: String,
        /// How long.
        waited_ms: u64,
        /// The journal's newest entries, for the reader.
        journal: String,
    },
    /// Reading or writing a local file or socket failed.
    #[error("{what}: {source}")]
    Io {
        /// What calsim was doing.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
}
