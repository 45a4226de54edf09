//! Files servers append to: recordings (`calsim receive --record`, `calsim proxy
//! --record`, `calsim run --record`).

use std::path::Path;
use std::sync::Mutex;

use crate::protocol::error::Error;

/// Opens `path` for appending (created if missing), for one writer at a time; `what`
/// names it in the error.
pub fn append(path: &Path, what: &str) -> Result<Mutex<std::fs::File>, Error> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(Mutex::new)
        .map_err(|source| Error::Io {
            what: format!("cannot open {what} {}", path.display()),
            source,
        })
}
