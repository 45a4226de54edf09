//! `calsim decrypt`: Cal.com's `symmetricDecrypt`, printing only the plaintext.

use std::io::Write;

use calsim::crypto::{self, EncryptionKey};

/// Decrypt an `<iv hex>:<ciphertext hex>` text (argument or stdin).
#[derive(Debug, clap::Args)]
pub struct Decrypt {
    /// The key string, exactly 32 characters (CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY).
    #[arg(
        long,
        env = "CALCOM_APP_CREDENTIAL_ENCRYPTION_KEY",
        hide_env_values = true
    )]
    key: String,
    /// Use the opt-in AES-256-GCM variant (not Cal.com mainline).
    #[arg(long)]
    gcm: bool,
    /// The encrypted text; `-` or nothing reads stdin.
    text: Option<String>,
}

impl Decrypt {
    pub fn run(self) -> anyhow::Result<u8> {
        let key = EncryptionKey::from_env_string(&self.key)?;
        let text = super::argument_or_stdin(self.text)?;
        let plaintext = if self.gcm {
            crypto::gcm_decrypt(&text, &key)
        } else {
            crypto::symmetric_decrypt(&text, &key)
        }
        .map_err(calsim::Error::from)?;
        writeln!(std::io::stdout(), "{plaintext}")?;
        Ok(super::EXIT_OK)
    }
}
