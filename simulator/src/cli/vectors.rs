//! `calsim vectors export DIR`: calsim's ground truth as language-neutral JSON files.

use std::io::Write;
use std::path::PathBuf;

/// Write test vectors for other languages (encryption, signatures, webhook bodies,
/// templates, push answers, pull judgements).
#[derive(Debug, clap::Args)]
pub struct VectorsCommand {
    #[command(subcommand)]
    action: VectorsAction,
}

#[derive(Debug, clap::Subcommand)]
enum VectorsAction {
    /// Write every vector file (and a README explaining each) into DIR.
    Export {
        /// The folder to write into (created if missing; files there are replaced).
        dir: PathBuf,
    },
}

impl VectorsCommand {
    pub fn run(self) -> anyhow::Result<u8> {
        let VectorsAction::Export { dir } = self.action;
        let written = calsim::vectors::export(&dir)?;
        let mut stdout = std::io::stdout();
        for name in &written {
            writeln!(stdout, "wrote {}", dir.join(name).display())?;
        }
        Ok(super::EXIT_OK)
    }
}
