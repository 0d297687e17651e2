//! Applying the host firewall, commit-confirmed, in the lab's server namespace: selkie applies
//! the firewall it wrote (nftables, iptables, ufw); left unconfirmed it reverts by itself after
//! the deadline, to the rules from before (an operator's own rule included); confirmed from a
//! new SSH connection it stays. SSH (a listener on 22) answers the client throughout. The
//! sysctl drop-in is installed too.
//!
//! The server namespace gets its own copies of /etc/ufw, /etc/default and /etc/sysctl.d
//! (`ip netns exec` binds /etc/netns/<ns>/X over /etc/X), so nothing of the machine's own
//! configuration changes. Needs root, iproute2, nftables, iptables, ufw, firewalld (with
//! dbus) and python3; fails (never skips) without them.
//!
//! firewalld runs for real in the server namespace: a dbus-daemon of its own (a system bus on a
//! socket in the lab's run directory, named to selkie and firewall-cmd by
//! DBUS_SYSTEM_BUS_ADDRESS) and firewalld on it with the nftables backend and the namespace's
//! own /etc/firewalld.

mod lab {
    #[allow(dead_code)]
    pub mod acme;
    #[allow(dead_code)]
    pub mod client;
    pub mod harness;
    pub mod helper;
    #[allow(dead_code)]
    pub mod net;
    pub mod tools;
}

#[path = "lab/apply/at.rs"]
mod at;
#[path = "lab/apply/checks.rs"]
mod checks;
#[path = "lab/apply/firewalld.rs"]
mod firewalld;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use checks::{check_reverted, check_sysctl, detached_timer, log};
use firewalld::start_firewalld;
use lab::harness::one_lab;
use lab::helper::{self, Helper};
use lab::net::{Lab, CLIENT_IP, SERVER_IP};
use lab::tools::{apply_args, ok};

/// How long an apply waits for confirmation in these tests.
const WITHIN: u64 = 10;

/// The SSH connection of the operator's session that applies, and of a new one.
fn session(port: u16) -> String {
    format!("{CLIENT_IP} {port} {SERVER_IP} 22")
}

/// `selkie ARGS` in the server namespace as if from the SSH connection `ssh`.
fn selkie(lab: &Lab, ssh: &str, args: &[&str]) -> Output {
    lab.on_server(env!("CARGO_BIN_EXE_selkie"))
        .args(args)
        .env("SSH_CONNECTION", ssh)
        .env("DBUS_SYSTEM_BUS_ADDRESS", bus(lab))
        .env_remove("SELKIE_DIR")
        .output()
        .expect("run selkie")
}

/// The lab's own system bus, for firewalld.
fn bus(lab: &Lab) -> String {
    format!("unix:path={}", lab.run.join("dbus.sock").display())
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Listeners in the server namespace on 22 (sshd's port), 443 (a port the plan opens), 9998
/// (one the operator's own rule drops) and 9999 (one nothing opens). Killed on drop.
fn listen(lab: &Lab) -> Helper {
    let mut cmd = lab.on_server("python3");
    let ports = helper::any_address(&[22, 443, 9998, 9999]);
    cmd.args(["-c", &helper::tcp_listeners(&ports, false)]);
    Helper::start(cmd, "listening", "the lab's listeners")
}

/// The server namespace's own /etc/ufw, /etc/default and /etc/sysctl.d.
fn private_etc(lab: &Lab) -> PathBuf {
    let etc = PathBuf::from("/etc/netns").join(&lab.server);
    std::fs::create_dir_all(etc.join("sysctl.d")).unwrap();
    for dir in ["/etc/ufw", "/etc/default"] {
        ok("cp", &["-a", dir, etc.to_str().unwrap()]);
    }
    // ufw's rule files as the package ships them: no rule, disabled.
    for file in ["user.rules", "user6.rules", "ufw.conf"] {
        std::fs::copy(
            Path::new("/usr/share/ufw").join(file),
            etc.join("ufw").join(file),
        )
        .unwrap();
    }
    etc
}

/// In the server namespace, as a shell line (the lab's system bus named); its output.
fn on_server(lab: &Lab, line: &str) -> Output {
    lab.on_server("sh")
        .args(["-c", line])
        .env("DBUS_SYSTEM_BUS_ADDRESS", bus(lab))
        .output()
        .unwrap()
}

/// The operator's own rule before selkie: drop 9998/tcp, in the firewall's own terms.
fn own_rule(lab: &Lab, kind: &str) {
    let line = match kind {
        "nftables" => "nft add table inet mine && nft 'add chain inet mine input { type filter hook input priority 10; }' && nft add rule inet mine input tcp dport 9998 drop",
        "iptables" => "iptables -A INPUT -p tcp --dport 9998 -j DROP",
        // firewalld's default zone lets in only SSH (and DHCPv6); the operator opened 9998.
        "firewalld" => "firewall-cmd --permanent --add-port=9998/tcp && firewall-cmd --reload",
        // ufw is off before selkie: its rule is kept in its files, not enforced.
        _ => "ufw deny 9998/tcp",
    };
    let out = on_server(lab, line);
    assert!(out.status.success(), "{line}: {}", text(&out));
}

/// What each state looks like from the client.
#[derive(Debug, PartialEq, Eq)]
struct Reach {
    ssh: bool,
    https: bool,
    own: bool,
    other: bool,
}

fn reach(lab: &Lab) -> Reach {
    Reach {
        ssh: lab.client_reaches_tcp(22),
        https: lab.client_reaches_tcp(443),
        own: lab.client_reaches_tcp(9998),
        other: lab.client_reaches_tcp(9999),
    }
}

/// Waits `secs` while checking every half second that SSH answers; returns how often it did not.
fn ssh_throughout(lab: &Lab, secs: u64) -> usize {
    let start = Instant::now();
    let mut missed = 0;
    while start.elapsed() < Duration::from_secs(secs) {
        if !lab.client_reaches_tcp(22) {
            missed += 1;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    missed
}

/// Setup with consent; the flags of a first run, or `--resume` (the consent is saved).
fn apply(lab: &Lab, dir: &Path, kind: &str, first: bool) -> String {
    let args = apply_args(dir.to_str().unwrap(), SERVER_IP, kind, WITHIN, first);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = selkie(lab, &session(50000), &args);
    let all = text(&out);
    assert!(out.status.success(), "setup failed:\n{all}");
    all
}

fn scenario(kind: &str) {
    let _one = one_lab();
    let lab = Lab::new();
    let etc = private_etc(&lab);
    let _listeners = listen(&lab);
    let open = Reach {
        ssh: true,
        https: true,
        own: true,
        other: true,
    };
    assert_eq!(reach(&lab), open, "before anything");
    let _firewalld = (kind == "firewalld").then(|| start_firewalld(&lab, &etc));
    own_rule(&lab, kind);
    let before = reach(&lab);
    let dir = lab.run.join("deployment");

    // 1. Applied and never confirmed: it reverts by itself, to the rules from before.
    let out = apply(&lab, &dir, kind, true);
    assert!(
        out.contains(&format!("Host firewall ({kind}) applied")),
        "{out}"
    );
    assert!(out.contains("selkie confirm --dir"), "{out}");
    let live = reach(&lab);
    assert_eq!(
        live,
        Reach {
            ssh: true,
            https: true,
            // firewalld's zone keeps the ports the operator opened there; the others drop them.
            own: kind == "firewalld",
            other: false
        },
        "applied:\n{out}"
    );
    let state = dir.join("applied/firewall");
    assert!(state.join("revert.sh").exists() && !state.join("reverted").exists());
    detached_timer(&state);
    assert_eq!(
        ssh_throughout(&lab, WITHIN + 4),
        0,
        "SSH stopped answering while the firewall waited or reverted"
    );
    assert!(
        state.join("reverted").exists(),
        "no revert after the deadline; log:\n{}",
        log(&state)
    );
    assert_eq!(
        reach(&lab),
        before,
        "the revert restores what was there; log:\n{}",
        log(&state)
    );
    check_reverted(&lab, kind);
    let late = selkie(
        &lab,
        &session(50001),
        &["confirm", "--dir", dir.to_str().unwrap()],
    );
    assert_eq!(late.status.code(), Some(1), "{}", text(&late));
    assert!(text(&late).contains("too late"), "{}", text(&late));

    // 2. Applied again from the saved consent, confirmed from a new connection: it stays.
    apply(&lab, &dir, kind, false);
    assert!(!reach(&lab).other);
    let same = selkie(
        &lab,
        &session(50000),
        &["confirm", "--dir", dir.to_str().unwrap()],
    );
    assert_eq!(same.status.code(), Some(1), "{}", text(&same));
    assert!(
        text(&same).contains("NEW ssh connection"),
        "{}",
        text(&same)
    );
    let confirmed = selkie(
        &lab,
        &session(50001),
        &["confirm", "--dir", dir.to_str().unwrap()],
    );
    assert!(confirmed.status.success(), "{}", text(&confirmed));
    assert_eq!(
        ssh_throughout(&lab, WITHIN + 3),
        0,
        "SSH stopped answering after the confirmation"
    );
    assert!(
        !state.join("reverted").exists(),
        "reverted although confirmed:\n{}",
        log(&state)
    );
    assert_eq!(reach(&lab), live, "kept after the deadline");

    // 3. Nothing changed: the confirmed firewall is not applied (nor put up for confirmation) again.
    let again = apply(&lab, &dir, kind, false);
    assert!(
        again.contains("unchanged since it was confirmed"),
        "{again}"
    );
    check_sysctl(&lab, &etc, &out);
}

#[test]
fn nftables_reverts_unless_confirmed() {
    scenario("nftables");
}

#[test]
fn iptables_reverts_unless_confirmed() {
    scenario("iptables");
}

#[test]
fn ufw_reverts_unless_confirmed() {
    scenario("ufw");
}

#[test]
fn firewalld_reverts_unless_confirmed() {
    scenario("firewalld");
}
