//! Per host firewall: what to save before the apply (into the state directory), how to apply the
//! file selkie wrote, and the revert script's commands that put the saved state back. Each
//! revert undoes what selkie's own file changes and leaves the rest, so Docker's rules, added
//! while the change waits for confirmation, survive it.

use super::ApplyError;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use super::iptables;
use super::timer::quote;
use crate::answers::HostFirewall;
use crate::error::{Error, Result};
use crate::host::on_path;
use crate::state;

/// The command each firewall needs, and the package that has it.
pub fn tool(kind: HostFirewall) -> (&'static str, &'static str) {
    match kind {
        HostFirewall::Nftables => ("nft", "nftables"),
        HostFirewall::Iptables => ("iptables", "iptables"),
        HostFirewall::Ufw => ("ufw", "ufw"),
        HostFirewall::Firewalld => ("firewall-cmd", "firewalld"),
    }
}

/// The files ufw keeps its state in (rules, enabled flag, default policies).
const UFW_FILES: &[&str] = &[
    "/etc/ufw/user.rules",
    "/etc/ufw/user6.rules",
    "/etc/ufw/ufw.conf",
    "/etc/default/ufw",
];

/// Save what applying `kind` changes into `base` (files named `previous-*`), and return the
/// commands that restore it.
pub fn save(kind: HostFirewall, base: &Path) -> Result<String> {
    match kind {
        HostFirewall::Nftables => {
            let all = output("nft", &["list", "ruleset"])?;
            keep(base, "previous-ruleset.nft", &all.unwrap_or_default())?;
            let table = output("nft", &["list", "table", "inet", "selkie"])?;
            let mut body = String::from("nft delete table inet selkie 2>/dev/null || true\n");
            if let Some(table) = table {
                let path = keep(base, "previous-selkie.nft", &table)?;
                let _ = writeln!(body, "nft -f {}", quote(&path));
            }
            Ok(body)
        }
        HostFirewall::Iptables => save_iptables(base),
        HostFirewall::Ufw => {
            let status = output("ufw", &["status"])?.unwrap_or_default();
            let mut body = String::new();
            for file in UFW_FILES {
                if let Ok(bytes) = std::fs::read(file) {
                    let name = format!(
                        "previous-ufw-{}",
                        file.trim_start_matches('/').replace('/', "-")
                    );
                    let path = keep(base, &name, &String::from_utf8_lossy(&bytes))?;
                    let _ = writeln!(body, "cp {} {}", quote(&path), quote(file));
                }
            }
            body.push_str(if status.contains("Status: active") {
                "ufw reload\n"
            } else {
                "ufw --force disable\n"
            });
            Ok(body)
        }
        HostFirewall::Firewalld => {
            let tar = base.join("previous-firewalld.tar");
            let tar = tar.to_string_lossy();
            let made = Command::new("tar")
                .args(["-C", "/etc", "-cf", &tar, "firewalld"])
                .status()
                .map_err(|e| failed("tar", &e.to_string()))?;
            if !made.success() {
                return Err(failed("tar", "could not save /etc/firewalld"));
            }
            // /etc/firewalld exactly as it was: the apply may have created files there (a zone
            // first changed from its stock copy in /usr/lib/firewalld), which extracting alone
            // would leave behind, naming a service that is gone, so the reload would fail.
            let mut body = format!(
                "rm -rf /etc/firewalld\ntar -C /etc -xf {}\nfirewall-cmd --reload\n",
                quote(&tar)
            );
            // The script has systemd start firewalld at boot; a revert leaves boot as it was.
            // (firewalld runs now either way: the script refuses to start otherwise.)
            if output_of("systemctl", &["is-enabled", "firewalld"]).as_deref() == Some("disabled") {
                body.push_str("systemctl disable firewalld\n");
            }
            Ok(body)
        }
    }
}

fn save_iptables(base: &Path) -> Result<String> {
    let mut body = String::new();
    for tool in ["iptables", "ip6tables"] {
        let saved = output(&format!("{tool}-save"), &["-t", "filter"])?;
        let Some(saved) = saved else {
            if tool == "iptables" {
                return Err(failed(
                    "iptables-save",
                    "it could not list the filter table",
                ));
            }
            continue;
        };
        keep(base, &format!("previous-{tool}.rules"), &saved)?;
        // An empty answer is a table nothing has touched yet: INPUT and OUTPUT accept.
        let before = iptables::parse(&saved).unwrap_or(iptables::Before {
            input_policy: "ACCEPT".into(),
            output_policy: "ACCEPT".into(),
            chain: None,
            jumps: Vec::new(),
        });
        let chain = match iptables::chain_file(&before) {
            Some(text) => keep(base, &format!("previous-{tool}-chain.rules"), &text)?,
            None => String::new(),
        };
        let _ = writeln!(body, "if command -v {tool} >/dev/null 2>&1; then");
        body.push_str(&iptables::revert(tool, &before, &quote(&chain)));
        body.push_str("fi\n");
    }
    // The script saved its rules for the next boot; save the restored ones the same way.
    body.push_str(
        "if command -v netfilter-persistent >/dev/null 2>&1; then\n  netfilter-persistent save\n\
         elif [ -d /etc/sysconfig ]; then\n  iptables-save >/etc/sysconfig/iptables\n  \
         if command -v ip6tables-save >/dev/null 2>&1; then ip6tables-save >/etc/sysconfig/ip6tables; fi\nfi\n",
    );
    Ok(body)
}

/// The command that applies the file selkie wrote for `kind`.
pub fn apply_command(kind: HostFirewall, file: &Path) -> Command {
    let mut cmd = match kind {
        HostFirewall::Nftables => {
            let mut c = Command::new("nft");
            c.arg("-f");
            c
        }
        _ => Command::new("bash"),
    };
    cmd.arg(file).stdin(Stdio::null());
    cmd
}

/// The revert script: under the state directory's lock, unless confirmed (or already reverted),
/// run `body` with its output in revert.log, then mark the state reverted.
pub fn revert_script(base: &Path, kind: HostFirewall, id: &str, body: &str) -> String {
    format!(
        "#!/bin/sh\n\
         # Written by selkie: puts the host firewall ({kind}) back as it was before the apply of {id},\n\
         # unless `selkie confirm` ran first. A timer that does not depend on selkie starts it.\n\
         PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nexport PATH\n\
         cd {dir} || exit 1\n\
         if command -v flock >/dev/null 2>&1; then\n  exec 9>>lock\n  flock 9\nfi\n\
         if [ -e confirmed ] || [ -e reverted ]; then\n  exit 0\nfi\n\
         echo \"selkie: reverting the {kind} firewall applied at {id} ($(date -u +%Y-%m-%dT%H:%M:%SZ))\" >>revert.log\n\
         (\nset -x\n{body}) >>revert.log 2>&1\n\
         date -u +%Y-%m-%dT%H:%M:%SZ >reverted\n",
        dir = quote(&base.to_string_lossy()),
    )
}

/// Run a command; its stdout when it succeeds, `None` when it fails.
fn output(program: &str, args: &[&str]) -> Result<Option<String>> {
    if !on_path(program) {
        return Ok(None);
    }
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| failed(program, &e.to_string()))?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// What `program ARGS` printed, trimmed, whatever its exit status (`systemctl is-enabled` exits
/// 1 for `disabled`); `None` when it is not installed or cannot run.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    if !on_path(program) {
        return None;
    }
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Keep `text` as `base/name` (0600); its path, for the revert script.
fn keep(base: &Path, name: &str, text: &str) -> Result<String> {
    let path = base.join(name);
    state::write_atomic(&path, text.as_bytes(), 0o600)?;
    Ok(path.to_string_lossy().into_owned())
}

fn failed(what: &str, why: &str) -> Error {
    ApplyError::Save {
        what: what.into(),
        why: why.into(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_revert_script_checks_the_markers_under_the_lock_first() {
        let text = revert_script(
            Path::new("/opt/selkie/applied/firewall"),
            HostFirewall::Nftables,
            "X",
            "nft delete table inet selkie\n",
        );
        let lock = text.find("flock 9").unwrap();
        let markers = text.find("[ -e confirmed ]").unwrap();
        let body = text.find("nft delete table").unwrap();
        let done = text.find(">reverted").unwrap();
        assert!(lock < markers && markers < body && body < done, "{text}");
        assert!(
            text.contains("cd '/opt/selkie/applied/firewall' || exit 1"),
            "{text}"
        );
        let check = Command::new("sh")
            .arg("-n")
            .arg("-c")
            .arg(&text)
            .status()
            .unwrap();
        assert!(check.success(), "sh -n refused:\n{text}");
    }

    #[test]
    fn a_confirmed_or_reverted_state_makes_the_revert_do_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let ran = dir.path().join("ran");
        let body = format!("touch {}\n", quote(&ran.to_string_lossy()));
        let script = dir.path().join("revert.sh");
        std::fs::write(
            &script,
            revert_script(dir.path(), HostFirewall::Iptables, "X", &body),
        )
        .unwrap();
        std::fs::write(dir.path().join("confirmed"), "").unwrap();
        assert!(Command::new("sh").arg(&script).status().unwrap().success());
        assert!(!ran.exists());
        std::fs::remove_file(dir.path().join("confirmed")).unwrap();
        assert!(Command::new("sh").arg(&script).status().unwrap().success());
        assert!(ran.exists() && dir.path().join("reverted").exists());
        let log = std::fs::read_to_string(dir.path().join("revert.log")).unwrap();
        assert!(
            log.contains("reverting the iptables firewall applied at X"),
            "{log}"
        );
        std::fs::remove_file(&ran).unwrap();
        assert!(Command::new("sh").arg(&script).status().unwrap().success());
        assert!(!ran.exists(), "a second run does nothing");
    }
}
