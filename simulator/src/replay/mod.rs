//! Record and replay: recordings (`recording.rs`: JSON lines of `calsim receive` and
//! `calsim proxy`, HAR 1.2), the recording proxy (`proxy.rs`), byte-preserving body
//! rewrites (`rewrite.rs`: shifted times, fresh uids) and the replayer (`replayer.rs`).
//!
//! May import: [`crate::protocol`] and [`crate::net`]; never the fake Cal.com, the partner
//! or the CLI.

pub mod proxy;
pub mod recording;
pub mod replayer;
pub mod rewrite;
