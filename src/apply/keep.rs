//! Keeping a firewall change that waits for confirmation: under the lock the revert script
//! takes, it is marked confirmed (so the revert, should it fire, does nothing) and its timer is
//! cancelled. The caller has checked the proof (a new SSH connection) first.

use std::path::Path;

use super::pending::{self, Pending, Status};
use super::timer;
use crate::error::Result;

/// What keeping found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// Confirmed now.
    Now(Pending),
    /// Another session confirmed it already.
    Already(Pending),
    /// The revert ran first.
    TooLate(Pending),
    /// Nothing was applied here.
    Nothing,
}

/// Confirm the waiting apply in `dir`.
pub fn keep(dir: &Path) -> Result<Kept> {
    let _held = pending::lock(dir)?;
    Ok(match pending::status(dir)? {
        Status::Waiting(p) => {
            pending::mark(dir, "confirmed", &format!("{}\n", p.sha256))?;
            let script = pending::state_dir(dir).join("revert.sh");
            if let Some(t) = &p.timer {
                if let Err(e) = timer::cancel(t, &script) {
                    // The marker already stops the revert; the timer only finds nothing to do.
                    eprintln!("note: {e} (the revert will find the confirmation and do nothing)");
                }
            }
            Kept::Now(p)
        }
        Status::Confirmed(p) => Kept::Already(p),
        Status::Reverted(p) => Kept::TooLate(p),
        Status::None => Kept::Nothing,
    })
}
