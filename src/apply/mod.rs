//! Applying what selkie wrote to the host itself, with the operator's consent
//! (`answers.apply`): the host firewall, commit-confirmed, and the sysctl drop-in.
//!
//! This is the one place selkie writes outside its deployment directory: the firewall's own
//! state (the nftables table `inet selkie`, the iptables chain `SELKIE-INPUT` and INPUT's
//! policy, ufw's files under /etc/ufw, firewalld's under /etc/firewalld) and
//! `/etc/sysctl.d/99-selkie.conf`. Everything selkie keeps about it (the saved rules, the
//! revert script, its log, the confirmation) stays in `applied/` of the deployment directory.
//!
//! Commit-confirmed: before the new rules go live, what they replace is saved and a revert is
//! armed on a timer that does not depend on selkie ([`timer`]). Unless `selkie confirm` runs
//! from a new SSH connection before it fires, the revert puts the saved state back.

mod error;
mod firewall;
mod iptables;
pub mod keep;
pub mod logins;
pub mod pending;
pub mod session;
pub mod sysctl;
pub mod timer;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::answers::HostFirewall;
use crate::error::{Error, Result};
use crate::host::on_path;
use crate::plan::Plan;
use crate::render::host_firewall_path;
use crate::state;

pub use error::ApplyError;
pub use pending::{Pending, Status};
pub use session::Session;
pub use timer::{Mechanism, Timer};

/// One firewall apply, as the operator asked for it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub dir: &'a Path,
    pub plan: &'a Plan,
    pub kind: HostFirewall,
    /// How long the change waits for `selkie confirm`; zero keeps it without asking.
    pub within: Duration,
    /// The SSH connection this run comes from, when there is one.
    pub session: Option<Session>,
    pub mechanism: Mechanism,
}

/// What the apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The confirmed rules are the ones selkie wrote now: nothing was applied again.
    Unchanged,
    /// Live and kept (no confirmation asked for).
    Kept,
    /// Live; reverts after `reverts_after` (Unix seconds) unless confirmed.
    Waiting(Pending),
}

/// Unix seconds now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Apply the host firewall selkie wrote for `req.kind`, commit-confirmed.
pub fn firewall(req: &Request) -> Result<Applied> {
    let (file, sha) = ready(req)?;
    let base = pending::state_dir(req.dir);
    let held = pending::lock(req.dir)?;
    if let Some(done) = earlier(req, &sha)? {
        return Ok(done);
    }
    clear_previous(&base)?;
    let id = crate::utc::timestamp(SystemTime::now());
    let body = firewall::save(req.kind, &base)?;
    let script = base.join("revert.sh");
    let text = firewall::revert_script(&base, req.kind, &id, &body);
    state::write_atomic(&script, text.as_bytes(), 0o700)?;
    let timer = if req.within.is_zero() {
        None
    } else {
        let log = base.join("revert.log");
        Some(timer::arm(req.mechanism, &script, &id, req.within, &log)?)
    };
    let pending = Pending {
        id,
        kind: req.kind,
        reverts_after: now() + req.within.as_secs(),
        session: req.session.map(|s| s.to_string()),
        timer,
        sha256: sha,
    };
    pending::record(req.dir, &pending)?;
    let log = base.join("apply.log");
    if let Err(e) = run_logged(firewall::apply_command(req.kind, &file), &log) {
        // Back to the saved state at once; the lock is the revert script's to take.
        drop(held);
        let _ = std::process::Command::new("/bin/sh").arg(&script).status();
        if let Some(t) = &pending.timer {
            let _ = timer::cancel(t, &script);
        }
        return Err(e);
    }
    live(req, pending, &script)
}

/// The checks before anything changes: the tool, the SSH session, the file selkie wrote (and
/// its hash).
fn ready(req: &Request) -> Result<(std::path::PathBuf, String)> {
    let (tool, package) = firewall::tool(req.kind);
    if !on_path(tool) {
        return Err(ApplyError::ToolMissing {
            kind: req.kind.to_string(),
            tool,
            package,
        }
        .into());
    }
    session::check_kept(req.plan, req.session.as_ref())?;
    let file = req.dir.join(host_firewall_path(req.kind));
    let bytes = state::read_nofollow(&file)?
        .ok_or_else(|| ApplyError::FileMissing { path: file.clone() })?;
    Ok((file, crate::digest::sha256(&bytes)))
}

/// What an earlier apply settles: the same rules confirmed (nothing to do), or a change still
/// waiting for confirmation (refused: saving now would keep its rules as the ones to go back to).
fn earlier(req: &Request, sha: &str) -> Result<Option<Applied>> {
    match pending::status(req.dir)? {
        Status::Confirmed(p) if p.kind == req.kind && p.sha256 == sha => {
            Ok(Some(Applied::Unchanged))
        }
        Status::Waiting(p) if now() < p.reverts_after + 180 => {
            Err(ApplyError::StillWaiting { id: p.id }.into())
        }
        _ => Ok(None),
    }
}

/// The rules are live: kept at once (no deadline), or waiting with the operator's whole time
/// from now. A new timer is armed before the first one (armed in case selkie died mid-apply)
/// is cancelled, so the revert is never without one.
fn live(req: &Request, mut pending: Pending, script: &Path) -> Result<Applied> {
    let Some(first) = pending.timer.take() else {
        pending::mark(req.dir, "confirmed", &format!("{}\n", pending.sha256))?;
        return Ok(Applied::Kept);
    };
    let log = pending::state_dir(req.dir).join("revert.log");
    let name = format!("{}-live", pending.id);
    pending.timer = Some(timer::arm(req.mechanism, script, &name, req.within, &log)?);
    pending.reverts_after = now() + req.within.as_secs();
    pending::record(req.dir, &pending)?;
    let _ = timer::cancel(&first, script);
    Ok(Applied::Waiting(pending))
}

/// Remove what an earlier apply saved, so nothing stale is restored.
fn clear_previous(base: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(base) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("previous-") {
            pending::remove(&entry.path())?;
        }
    }
    Ok(())
}

/// Run `cmd` with its output in `log` (0600); on failure, an error that shows the log's last
/// lines.
pub fn run_logged(mut cmd: std::process::Command, log: &Path) -> Result<()> {
    let out = cmd.output().map_err(|e| ApplyError::Spawn {
        program: format!("{:?}", cmd.get_program()),
        why: e.to_string(),
    })?;
    let mut text = out.stdout.clone();
    text.extend_from_slice(&out.stderr);
    state::write_atomic(log, &text, 0o600)?;
    if out.status.success() {
        return Ok(());
    }
    Err(ApplyError::Refused {
        status: out.status,
        tail: tail(&String::from_utf8_lossy(&text), 12),
        log: log.to_path_buf(),
    }
    .into())
}

/// The last `n` lines of `text`, indented.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("  | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `HH:MM:SS UTC` of a Unix time.
pub fn clock(secs: u64) -> String {
    let stamp = crate::utc::timestamp(UNIX_EPOCH + Duration::from_secs(secs));
    // 20261130T071233Z
    match stamp.get(9..15) {
        Some(t) => format!("{}:{}:{} UTC", &t[0..2], &t[2..4], &t[4..6]),
        None => stamp,
    }
}

/// Parse `--confirm-within`: seconds (`90`, `90s`) or minutes (`5m`), at most an hour; `0`
/// keeps the change without asking.
pub fn parse_within(text: &str) -> Result<Duration> {
    let t = text.trim();
    let (num, unit) = match t.strip_suffix('m') {
        Some(n) => (n, 60),
        None => (t.strip_suffix('s').unwrap_or(t), 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .map(|n| n * unit)
        .filter(|s| *s <= 3600)
        .map(Duration::from_secs)
        .ok_or_else(|| {
            Error::invalid(
                format!("`--confirm-within {t}` is not a time selkie takes"),
                "give seconds or minutes up to an hour, e.g. --confirm-within 300s or 5m (0 keeps the firewall without asking)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_parse_in_seconds_or_minutes() {
        assert_eq!(parse_within("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_within("45s").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_within(" 90 ").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_within("0").unwrap(), Duration::ZERO);
        for bad in ["", "5h", "-1", "61m", "x"] {
            assert_eq!(parse_within(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn times_show_as_a_utc_clock() {
        assert_eq!(clock(1_795_302_062), "23:01:02 UTC");
        assert_eq!(tail("a\nb\nc", 2), "  | b\n  | c");
    }
}
