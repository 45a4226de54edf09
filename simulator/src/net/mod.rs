//! Plumbing every role shares: serving a router on a socket ([`server`]), the one HTTP
//! client ([`http_client`]), sending a signed webhook ([`delivery`], over the small
//! HTTP/1.1 client of [`http1`] for plain `http://` URLs) and the journal of every
//! exchange ([`journal`]).
//!
//! May import: [`crate::protocol`] only. Knows nothing of Cal.com's state or the partner.

pub mod delivery;
pub mod files;
pub mod har;
pub mod http1;
pub mod http_client;
pub mod inspector;
pub mod journal;
pub mod server;
