//! Text views shared by the commands and the wizard: the plan, a setup's summary, the status,
//! and the units they write sizes in.
//! Each is a pure function from data to the text an operator reads; [`wrap`] fits it to the
//! terminal.

pub mod plan;
pub mod setup;
pub mod status;
mod table;
pub mod units;
pub mod wrap;
