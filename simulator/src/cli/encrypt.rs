//! `calsim encrypt`: Cal.com's `symmetricEncrypt`, printing only the result.

use std::io::Write;

use anyhow::Context;
use calsim::protocol::crypto;

/// Encrypt a plaintext (argument or stdin) with a 32-character key.
#[derive(Debug, clap::Args)]
pub struct Encrypt {
    #[command(flatten)]
    key: super::KeyArgs,
    /// A fixed IV (32 hex characters) for reproducible output; random by default.
    #[arg(long)]
    iv: Option<String>,
    /// The plaintext; `-` or nothing reads stdin.
    plaintext: Option<String>,
}

impl Encrypt {
    pub fn run(self) -> anyhow::Result<u8> {
        let key = self.key.key()?;
        let plaintext = super::argument_or_stdin(self.plaintext)?;
        let text = match (self.key.gcm, self.iv) {
            (true, None) => crypto::gcm_encrypt(&plaintext, &key),
            (true, Some(iv)) => crypto::gcm_encrypt_with_iv(&plaintext, &key, parse_iv(&iv)?),
            (false, None) => crypto::symmetric_encrypt(&plaintext, &key),
            (false, Some(iv)) => {
                crypto::symmetric_encrypt_with_iv(&plaintext, &key, parse_iv(&iv)?)
            }
        };
        writeln!(std::io::stdout(), "{text}")?;
        Ok(super::EXIT_OK)
    }
}

fn parse_iv<const N: usize>(iv: &str) -> anyhow::Result<[u8; N]> {
    let bytes = hex::decode(iv).with_context(|| format!("--iv `{iv}` is not hex"))?;
    let found = bytes.len();
    bytes.try_into().map_err(|_| {
        anyhow::anyhow!(
            "--iv has {found} bytes; this cipher needs {N} ({} hex characters)",
            N * 2
        )
    })
}
