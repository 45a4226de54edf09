//! The partner platform's side of the wire: the sync endpoint Cal.com pulls tokens from
//! ([`sync_endpoint`], `calsim partner`), the client that pushes encrypted credentials
//! ([`push_client`], `calsim push-credential`) and the Nango-style verifying webhook
//! receiver ([`receiver`], `calsim receive`).
//!
//! May import: [`crate::protocol`], [`crate::net`] and [`crate::config`]; never the fake
//! Cal.com, the checks or the CLI.

pub mod nango;
pub mod push_client;
pub mod receiver;
pub mod sync_endpoint;

pub use sync_endpoint::{
    Fault, Partner, PartnerBuilder, PartnerConfig, PartnerState, Reply, Slugs, TokenStyle,
    MAX_DELAY, MAX_QUEUED, SYNC_PATH,
};
