//! Cal.com's rules as pure functions: what goes on the wire, byte for byte.
//!
//! Lives here: credential encryption ([`crypto`]), webhook signing ([`signing`]), the
//! triggers ([`trigger`]) and the bodies they carry ([`payload`], [`template`]),
//! JavaScript's view of JSON and numbers ([`js_value`]), zod's issue lists ([`zod`]), the
//! Next.js behaviours Cal.com inherits ([`next`], [`answer`]), the generations
//! ([`profile`]), the app catalog and `config.json` rules ([`catalog`]), masking
//! ([`redact`]) and calsim's error type ([`error`]).
//!
//! May import: nothing of calsim outside this folder. No sockets, no clock, no store:
//! every function here takes its inputs as arguments, so each rule can be tested alone
//! and against the JavaScript packages Cal.com runs.

pub mod answer;
pub mod catalog;
pub mod crypto;
pub mod error;
pub mod handlebars;
pub mod js_value;
pub mod next;
pub mod payload;
pub mod profile;
pub mod redact;
pub mod signing;
pub mod template;
pub mod trigger;
pub mod zod;
