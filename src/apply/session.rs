//! The SSH session a run comes from: `SSH_CONNECTION`, or the nearest ancestor's when sudo
//! dropped it; whether a firewall keeps that session; and whether `selkie confirm` runs from
//! another connection than the one that applied.

use super::ApplyError;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use crate::answers::Cidr;
use crate::error::{Error, Result};
use crate::plan::Plan;

/// One SSH connection, as sshd describes it in `SSH_CONNECTION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub client: IpAddr,
    pub client_port: u16,
    pub server: IpAddr,
    pub server_port: u16,
}

impl Session {
    /// `client_ip client_port server_ip server_port`; `None` when it is not that.
    pub fn parse(text: &str) -> Option<Session> {
        let f: Vec<&str> = text.split_whitespace().collect();
        if f.len() != 4 {
            return None;
        }
        Some(Session {
            client: f[0].parse().ok()?,
            client_port: f[1].parse().ok()?,
            server: f[2].parse().ok()?,
            server_port: f[3].parse().ok()?,
        })
    }
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.client, self.client_port, self.server, self.server_port
        )
    }
}

/// This process's SSH session: its own `SSH_CONNECTION`, else the first one found walking up
/// its parents under `proc` (sudo's env_reset drops the variable; root may read every environ).
pub fn current(proc: &Path) -> Option<Session> {
    if let Ok(text) = std::env::var("SSH_CONNECTION") {
        return Session::parse(&text);
    }
    let mut pid = parent(proc, std::process::id())?;
    for _ in 0..64 {
        if pid <= 1 {
            return None;
        }
        if let Some(found) = environ_session(&proc.join(pid.to_string()).join("environ")) {
            return Some(found);
        }
        pid = parent(proc, pid)?;
    }
    None
}

fn environ_session(path: &Path) -> Option<Session> {
    let bytes = std::fs::read(path).ok()?;
    bytes
        .split(|b| *b == 0)
        .filter_map(|v| v.strip_prefix(b"SSH_CONNECTION="))
        .find_map(|v| Session::parse(&String::from_utf8_lossy(v)))
}

fn parent(proc: &Path, pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(proc.join(pid.to_string()).join("status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Whether `addr` lies inside `net` (never across address families).
pub fn contains(net: &Cidr, addr: IpAddr) -> bool {
    let bits = u32::from(net.prefix());
    match (net.addr(), addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// Refuse a firewall that would cut off `session`: its port not among the SSH rules, or its
/// address outside the network SSH is limited to. No SSH rule at all is refused too.
pub fn check_kept(plan: &Plan, session: Option<&Session>) -> Result<()> {
    let ssh = &plan.firewall.ssh;
    if ssh.is_empty() {
        return Err(Error::invalid(
            "the plan opens no SSH port, so applying its firewall would lock out every SSH login",
            "give the port sshd listens on with --ssh-port PORT (the wizard asks for it), then run again",
        ));
    }
    let Some(s) = session else {
        return Ok(());
    };
    let allowed = ssh.iter().any(|r| {
        (r.port..=r.end).contains(&s.server_port)
            && r.source.is_none_or(|net| contains(&net, s.client))
    });
    if allowed {
        return Ok(());
    }
    let opened: Vec<String> = ssh
        .iter()
        .map(|r| match r.source {
            Some(net) => format!("{}/tcp from {net}", r.label()),
            None => format!("{}/tcp", r.label()),
        })
        .collect();
    Err(Error::invalid(
        format!(
            "this SSH session ({} to port {}) would be cut off: the firewall opens SSH only on {}",
            s.client,
            s.server_port,
            opened.join(", ")
        ),
        format!(
            "add --ssh-port {} (the port this session uses), or widen --ssh-from to include {}; then run again",
            s.server_port, s.client
        ),
    ))
}

/// Whether `confirm` (the session running `selkie confirm`) proves that a new SSH login works
/// after the change `applied` made: it must be an SSH session, and another one.
pub fn check_new(
    applied: Option<&Session>,
    confirm: Option<&Session>,
    without_ssh: bool,
) -> Result<()> {
    match (applied, confirm) {
        (Some(a), Some(c)) if a == c => Err(ApplyError::SameSession {
            session: a.to_string(),
        }
        .into()),
        (_, None) if !without_ssh => Err(ApplyError::NotOverSsh.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    fn s(text: &str) -> Session {
        Session::parse(text).unwrap()
    }

    #[test]
    fn sessions_parse_and_show_as_sshd_writes_them() {
        let one = s("2001:db8::9 51234 203.0.113.1 22");
        assert_eq!(one.to_string(), "2001:db8::9 51234 203.0.113.1 22");
        assert_eq!(Session::parse("1.2.3.4 x 5.6.7.8 22"), None);
        assert_eq!(Session::parse("1.2.3.4 1 5.6.7.8"), None);
    }

    #[test]
    fn a_session_is_found_in_a_parent_when_sudo_dropped_it() {
        if std::env::var_os("SSH_CONNECTION").is_some() {
            // This process has its own: the parents are not read, as the real run would not.
            assert!(current(Path::new("/nonexistent")).is_some());
            return;
        }
        let proc = tempfile::tempdir().unwrap();
        let me = std::process::id();
        let write = |pid: u32, ppid: u32, env: &[u8]| {
            let d = proc.path().join(pid.to_string());
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("status"), format!("Name:\tx\nPPid:\t{ppid}\n")).unwrap();
            std::fs::write(d.join("environ"), env).unwrap();
        };
        write(me, 500, b"");
        write(500, 400, b"HOME=/root\0SUDO_USER=ann\0");
        write(
            400,
            1,
            b"A=1\0SSH_CONNECTION=198.51.100.4 50000 203.0.113.1 2222\0",
        );
        assert_eq!(
            current(proc.path()),
            Some(s("198.51.100.4 50000 203.0.113.1 2222"))
        );
        write(400, 1, b"A=1\0");
        assert_eq!(current(proc.path()), None);
    }

    #[test]
    fn the_firewall_must_keep_the_session_that_applies_it() {
        let open = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        assert!(check_kept(&open, None).is_ok());
        assert!(check_kept(&open, Some(&s("198.51.100.4 1 203.0.113.1 22"))).is_ok());
        let other_port =
            check_kept(&open, Some(&s("198.51.100.4 1 203.0.113.1 2222"))).unwrap_err();
        assert!(
            other_port.hint().unwrap().contains("--ssh-port 2222"),
            "{other_port}"
        );
        let limited = plan(
            "livekit",
            ProxyMode::Caddy,
            "meet.example.com",
            Some("198.51.100.0/24"),
        );
        assert!(check_kept(&limited, Some(&s("198.51.100.77 1 203.0.113.1 22"))).is_ok());
        let outside = check_kept(&limited, Some(&s("198.51.101.1 1 203.0.113.1 22"))).unwrap_err();
        assert!(outside.hint().unwrap().contains("--ssh-from"), "{outside}");
        assert!(check_kept(&limited, Some(&s("2001:db8::1 1 2001:db8::2 22"))).is_err());
        let mut none = open.clone();
        none.firewall.ssh.clear();
        assert_eq!(check_kept(&none, None).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn only_a_new_ssh_connection_confirms() {
        let a = s("198.51.100.4 50000 203.0.113.1 22");
        let b = s("198.51.100.4 50001 203.0.113.1 22");
        assert!(check_new(Some(&a), Some(&b), false).is_ok());
        assert!(check_new(Some(&a), Some(&a), false).is_err());
        assert!(
            check_new(Some(&a), Some(&a), true).is_err(),
            "--without-ssh is no way around it"
        );
        assert!(check_new(Some(&a), None, false).is_err());
        assert!(check_new(Some(&a), None, true).is_ok());
        assert!(check_new(None, Some(&b), false).is_ok());
    }

    #[test]
    fn networks_contain_their_addresses_only() {
        let v4: Cidr = "198.51.100.0/24".parse().unwrap();
        assert!(contains(&v4, "198.51.100.255".parse().unwrap()));
        assert!(!contains(&v4, "198.51.101.0".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(contains(&all, "8.8.8.8".parse().unwrap()));
        assert!(!contains(&all, "::1".parse().unwrap()));
        let v6: Cidr = "2001:db8:4::/64".parse().unwrap();
        assert!(contains(&v6, "2001:db8:4::abcd".parse().unwrap()));
        assert!(!contains(&v6, "2001:db8:5::1".parse().unwrap()));
    }
}
