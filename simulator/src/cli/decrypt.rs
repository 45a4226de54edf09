//! `calsim decrypt`: Cal.com's `symmetricDecrypt`, printing only the plaintext.

use std::io::Write;

use calsim::protocol::crypto;

/// Decrypt an `<iv hex>:<ciphertext hex>` text (argument or stdin).
#[derive(Debug, clap::Args)]
pub struct Decrypt {
    #[command(flatten)]
    key: super::KeyArgs,
    /// The encrypted text; `-` or nothing reads stdin.
    text: Option<String>,
}

impl Decrypt {
    pub fn run(self) -> anyhow::Result<u8> {
        let key = self.key.key()?;
        let text = super::argument_or_stdin(self.text)?;
        let plaintext = if self.key.gcm {
            crypto::gcm_decrypt(&text, &key)
        } else {
            crypto::symmetric_decrypt(&text, &key)
        }
        .map_err(calsim::Error::from)?;
        writeln!(std::io::stdout(), "{plaintext}")?;
        Ok(super::EXIT_OK)
    }
}
