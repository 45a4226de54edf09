//! The fake Cal.com: its state ([`state`], [`store`], [`clock`], [`scheduler`]), the
//! surfaces it serves (the push route [`app_credential`], [`api_v1`], [`api_v2`],
//! [`integrations`], the [`control`] API; composed in [`router`]), what it does on its own
//! (bookings in [`booking`], the apps they use in [`app_services`] and [`payment`]
//! against the fake [`providers`], fan-out in [`dispatch`], scheduled work in
//! [`due_work`], the [`pull`] to the partner) and the running [`simulator`].
//!
//! May import: [`crate::protocol`], [`crate::net`] and [`crate::config`]; never the
//! partner, the checks or the CLI.

pub mod api_v1;
pub mod api_v2;
pub mod api_v2_bookings;
pub mod app_credential;
pub mod app_services;
pub mod booking;
pub mod clock;
pub mod control;
pub mod dispatch;
pub mod due_work;
pub mod expectation;
pub mod integrations;
mod not_found;
pub mod payment;
pub mod provider_data;
pub mod providers;
pub mod pull;
pub mod router;
pub mod scheduler;
pub mod simulator;
pub mod state;
pub mod store;
pub mod subscription;

pub use router::router;
pub use state::Calcom;
