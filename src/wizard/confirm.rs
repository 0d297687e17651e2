//! After the wizard's run applied the host firewall: wait for the operator to keep it. The
//! proof is a NEW SSH connection: either `selkie confirm` run in it, or Enter pressed here once
//! it is open (selkie then sees the connection in the kernel's table, from another address than
//! this machine's, opened after the rules went live). Ctrl-C, or no proof before the deadline,
//! leaves the change to the timer, which puts the old rules back by itself.

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use crate::apply::keep::{keep, Kept};
use crate::apply::logins::{self, Conn};
use crate::apply::{self, pending, Pending, Status};
use crate::error::Result;
use crate::plan::Plan;
use crate::report::wrap::say;

/// How long after the revert's time the wait gives up watching (an `at` job may run two
/// minutes late).
const GRACE: u64 = 180;

/// Wait for the confirmation of the firewall change in `dir`; true when it is settled (kept or
/// reverted), false when the wait ended without knowing.
pub fn wait(dir: &Path, plan: &Plan) -> Result<bool> {
    let Status::Waiting(p) = pending::status(dir)? else {
        return Ok(true);
    };
    let proc = Path::new("/proc");
    let ports: Vec<u16> = plan
        .firewall
        .ssh
        .iter()
        .flat_map(|r| r.port..=r.end)
        .collect();
    let before = logins::established(proc, &ports);
    say(&format!(
        "\nKeep this firewall: from another terminal, open a NEW ssh connection to this server. \
         Once that login works, press Enter here (or run `selkie confirm --dir {}` in it). If it \
         fails, do nothing: the old rules come back by themselves at {}.",
        dir.display(),
        apply::clock(p.reverts_after)
    ));
    say("\nPress Enter here once the second login works.\n(Ctrl-C leaves it to the timer.)");
    loop {
        match settled(dir, &p)? {
            Some(done) => return Ok(done),
            None if apply::now() > p.reverts_after + GRACE => {
                say("The revert's time has passed and it has not reported back: see applied/firewall/revert.log.");
                return Ok(false);
            }
            None => {}
        }
        match enter_pressed(Duration::from_millis(500)) {
            Some(false) => return Ok(false),
            Some(true) if proven(&p, &before, &logins::established(proc, &ports)) => {
                return kept(dir);
            }
            Some(true) | None => {}
        }
    }
}

/// What another session or the timer decided meanwhile.
fn settled(dir: &Path, p: &Pending) -> Result<Option<bool>> {
    Ok(match pending::status(dir)? {
        Status::Confirmed(_) => {
            say(&format!(
                "Confirmed from the other session: the {} firewall stays.",
                p.kind
            ));
            Some(true)
        }
        Status::Reverted(_) => {
            say(&format!(
                "Not confirmed in time: the {} firewall was reverted and the rules from before are \
                 back (applied/firewall/revert.log says what ran). `selkie setup --resume` applies it again.",
                p.kind
            ));
            Some(true)
        }
        _ => None,
    })
}

/// Whether a new SSH connection shows that the rules let logins in: one that was not open when
/// they went live and is not the session that applied them. An apply from outside SSH (a
/// console) needs none.
fn proven(p: &Pending, before: &BTreeSet<Conn>, now: &BTreeSet<Conn>) -> bool {
    let Some(applying) = p.session() else {
        say("The firewall was applied outside SSH: kept on your word.");
        return true;
    };
    let new: Vec<&Conn> = now
        .difference(before)
        .filter(|c| !(c.peer.ip() == applying.client && c.peer.port() == applying.client_port))
        .collect();
    match new.first() {
        Some(c) => {
            say(&format!(
                "A new SSH connection from {} to port {} is open: the new rules let logins in.",
                c.peer.ip(),
                c.local.port()
            ));
            true
        }
        None => {
            say(
                "No new SSH connection to this server is open yet: log in from a second terminal \
                 first (and stay logged in), then press Enter here.",
            );
            false
        }
    }
}

fn kept(dir: &Path) -> Result<bool> {
    match keep(dir)? {
        Kept::Now(p) | Kept::Already(p) => {
            say(&format!(
                "Confirmed: the {} firewall applied at {} stays.",
                p.kind, p.id
            ));
            Ok(true)
        }
        Kept::TooLate(p) => {
            say(&format!(
                "Too late: the {} firewall applied at {} had already reverted. `selkie setup --resume` \
                 applies it again.",
                p.kind, p.id
            ));
            Ok(true)
        }
        Kept::Nothing => Ok(true),
    }
}

/// Wait up to `timeout` for a line on standard input: `Some(true)` for one, `Some(false)` when
/// input has ended, `None` when nothing came.
fn enter_pressed(timeout: Duration) -> Option<bool> {
    let mut fds = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: one pollfd that lives on this stack frame, for standard input.
    let ready = unsafe { libc::poll(&mut fds, 1, ms) };
    if ready <= 0 {
        return None;
    }
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => Some(false),
        Ok(_) => Some(true),
    }
}
