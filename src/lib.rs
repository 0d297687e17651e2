//! selkie: turns a fresh Linux server into a self-hosted LiveKit deployment, and keeps an eye on it.
//!
//! Answers + Preset + HostFacts -> `plan::build` -> Plan -> `render` -> files, `docker` ->
//! containers, `health` -> a snapshot for `dashboard` and `report`. `commands` (per subcommand)
//! and `wizard` drive the one `setup` pipeline; `answers`, `preset`, `plan`, `render` and
//! `preflight` are pure, and only the edges (`host`, `state`, `docker`, `health`, `wizard`,
//! `dashboard`) touch the world. `role` (who owns a port, route, rule or container), `digest`
//! (SHA-256 as hex), `transport` (TCP or UDP) and `error` are leaves every module may use.
//! `tests/architecture.rs` checks these arrows.

pub mod answers;
pub mod apply;
pub mod check;
pub mod cli;
pub mod commands;
pub mod dashboard;
pub mod digest;
pub mod docker;
pub mod error;
pub mod health;
pub mod host;
pub mod http;
pub mod plan;
pub mod preflight;
pub mod preset;
pub mod render;
pub mod report;
pub mod role;
pub mod secrets;
pub mod setup;
pub mod state;
// The fixtures in testing.rs are shared with tests/common, so they name this crate as the
// integration tests do.
#[cfg(test)]
extern crate self as selkie;
#[cfg(test)]
mod testing;
pub mod transport;
pub mod utc;
pub mod wizard;
