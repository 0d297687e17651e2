//! What an apply leaves behind (tests/lab_apply.rs): the revert's detached timer, the firewall as
//! the operator had it after a revert, and the kernel settings of the sysctl drop-in.

use std::path::Path;

use crate::lab::net::Lab;
use crate::{on_server, text};

/// No systemd and no atd here: the revert waits in the detached fallback, a process that leads
/// a session of its own and lives on after selkie has exited.
pub fn detached_timer(state: &Path) {
    let pending = std::fs::read_to_string(state.join("pending.toml")).unwrap();
    assert!(pending.contains("kind = \"detached\""), "{pending}");
    let pid: i32 = pending
        .lines()
        .find_map(|l| l.strip_prefix("pid = "))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {pending}"));
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the timer is gone"
    );
    // SAFETY: getsid on a process id has no preconditions.
    assert_eq!(
        unsafe { libc::getsid(pid) },
        pid,
        "the timer leads its own session"
    );
}

pub fn log(state: &Path) -> String {
    std::fs::read_to_string(state.join("revert.log")).unwrap_or_default()
}

/// selkie's own rules are gone, and the firewall is as the operator had it.
pub fn check_reverted(lab: &Lab, kind: &str) {
    match kind {
        "nftables" => {
            assert!(!on_server(lab, "nft list table inet selkie")
                .status
                .success());
            assert!(on_server(lab, "nft list table inet mine").status.success());
        }
        "iptables" => {
            assert!(!on_server(lab, "iptables -S SELKIE-INPUT").status.success());
            let input =
                String::from_utf8_lossy(&on_server(lab, "iptables -S INPUT").stdout).into_owned();
            assert!(input.starts_with("-P INPUT ACCEPT\n"), "{input}");
            assert!(input.contains("--dport 9998 -j DROP"), "{input}");
        }
        "firewalld" => {
            let services = text(&on_server(lab, "firewall-cmd --list-services; firewall-cmd --list-ports; firewall-cmd --permanent --get-services"));
            assert!(!services.contains("selkie"), "{services}");
            assert!(
                services.contains("ssh") && services.contains("9998/tcp"),
                "{services}"
            );
        }
        _ => {
            let status = String::from_utf8_lossy(&on_server(lab, "ufw status").stdout).into_owned();
            assert!(status.contains("Status: inactive"), "{status}");
            let added =
                String::from_utf8_lossy(&on_server(lab, "ufw show added").stdout).into_owned();
            assert!(
                added.contains("ufw deny 9998/tcp") && !added.contains("selkie:"),
                "{added}"
            );
        }
    }
}

/// The drop-in is in the namespace's /etc/sysctl.d, and each key has its value, or selkie said
/// that the kernel kept its own (net.core.rmem_max is read-only outside the first namespace).
pub fn check_sysctl(lab: &Lab, etc: &Path, out: &str) {
    let installed = std::fs::read_to_string(etc.join("sysctl.d/99-selkie.conf")).unwrap();
    for line in installed
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
    {
        let (key, want) = line.split_once('=').unwrap();
        let (key, want) = (key.trim(), want.trim());
        let now = on_server(lab, &format!("cat /proc/sys/{}", key.replace('.', "/")));
        let now = String::from_utf8_lossy(&now.stdout).trim().to_string();
        let warned = out.contains("kept its own value of") && out.contains(key);
        assert!(
            now == want || warned,
            "{key}: {now} instead of {want}, and no warning:\n{out}"
        );
    }
    assert!(
        installed.contains("net.ipv4.ip_local_reserved_ports = 50000-50119"),
        "{installed}"
    );
}
