//! `selkie confirm`: keep the firewall a setup run applied. It must run from a new SSH
//! connection (that connection's login is the proof the firewall lets SSH in), before the
//! revert the apply armed puts the old rules back.

use std::path::Path;

use super::CommandError;
use crate::apply::{self, pending, session, Status};
use crate::cli::ConfirmArgs;
use crate::error::{Error, Result};

/// Run `selkie confirm`.
pub fn run(args: &ConfirmArgs) -> Result<()> {
    let dir = super::resolve_dir(&args.dir);
    super::report_dir(&dir, confirm(&dir, args.without_ssh, Path::new("/proc")))
}

/// Confirm the waiting apply in `dir`, as the session found under `proc`.
pub fn confirm(dir: &Path, without_ssh: bool, proc: &Path) -> Result<()> {
    if matches!(pending::status(dir)?, Status::None) {
        return Err(Error::invalid(
            format!(
                "no firewall was applied from {}: there is nothing to confirm",
                dir.display()
            ),
            "`selkie setup --apply-firewall` applies one; point --dir at its deployment directory",
        ));
    }
    // Under the lock the revert script takes: either it ran already, or it never will.
    let _held = pending::lock(dir)?;
    let waiting = match pending::status(dir)? {
        Status::Waiting(p) => p,
        Status::Confirmed(p) => {
            println!(
                "The {} firewall applied at {} is already confirmed.",
                p.kind, p.id
            );
            return Ok(());
        }
        Status::Reverted(p) => {
            return Err(CommandError::FirewallReverted {
                kind: p.kind,
                id: p.id,
            }
            .into())
        }
        Status::None => return Ok(()),
    };
    let here = session::current(proc);
    session::check_new(waiting.session().as_ref(), here.as_ref(), without_ssh)?;
    pending::mark(dir, "confirmed", &format!("{}\n", waiting.sha256))?;
    let script = pending::state_dir(dir).join("revert.sh");
    if let Some(timer) = &waiting.timer {
        if let Err(e) = apply::timer::cancel(timer, &script) {
            // The marker already stops the revert; the timer only finds nothing to do.
            eprintln!("note: {e} (the revert will find the confirmation and do nothing)");
        }
    }
    let from = match here {
        Some(s) => format!(" from {} to port {}", s.client, s.server_port),
        None => String::new(),
    };
    println!(
        "Confirmed{from}: the {} firewall applied at {} stays.",
        waiting.kind, waiting.id
    );
    if waiting.session.is_none() {
        println!("(The apply ran outside SSH, so any session may confirm it.)");
    }
    Ok(())
}
