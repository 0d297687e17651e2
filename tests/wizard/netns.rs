//! Where the wizard runs in these tests: a network namespace of its own (the "server", with
//! the fixture's public address 203.0.113.7 and a listener on the SSH port), reached over a
//! veth link from a second namespace (the operator's laptop). Accepting the wizard's defaults
//! applies the host firewall and the kernel settings: selkie runs through `ip netns exec`,
//! which binds the namespace's own copies of /etc/ufw, /etc/default and /etc/sysctl.d over the
//! machine's, in a mount namespace with an empty /run of its own (no atd or systemd seen, so the
//! revert timer is the detached process, which stays in the namespace). The firewall, the
//! kernel settings and the revert all stay inside; nothing of the machine's own changes.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::helper::{tcp_listeners, Helper};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The server's address (the fixture's public address) and the laptop's (the fixture's SSH
/// client, which a preset may limit SSH to).
pub const SERVER: &str = "203.0.113.7";
pub const LAPTOP: &str = "198.51.100.4";

pub struct Net {
    pub server: String,
    pub laptop: String,
    listener: Option<Helper>,
    logins: std::cell::RefCell<Vec<Helper>>,
}

fn ok(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", args.join(" ")));
    assert!(
        out.status.success(),
        "{}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ip netns exec NS ARGS...`.
pub fn in_ns(ns: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns])
        .args(args)
        .stdin(Stdio::null());
    cmd
}

impl Net {
    pub fn new() -> Net {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        assert!(
            root,
            "the wizard tests need root: they apply the host firewall in a network namespace"
        );
        for (tool, package) in [
            ("ip", "iproute2"),
            ("nft", "nftables"),
            ("python3", "python3"),
        ] {
            crate::common::require_tool(tool, package);
        }
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{}-{n}", std::process::id());
        let net = Net {
            server: format!("selkie-wiz-{tag}-srv"),
            laptop: format!("selkie-wiz-{tag}-cli"),
            listener: None,
            logins: Default::default(),
        };
        for ns in [&net.server, &net.laptop] {
            ok(&["ip", "netns", "add", ns]);
            ok(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        let id = (std::process::id() as usize * 100 + n) % 10_000_000;
        let (a, b) = (format!("wzs{id}"), format!("wzc{id}"));
        ok(&[
            "ip",
            "link",
            "add",
            &a,
            "netns",
            &net.server,
            "type",
            "veth",
            "peer",
            "name",
            &b,
            "netns",
            &net.laptop,
        ]);
        // `ip -n NS ARGS`.
        let ip = |ns: &str, args: &[&str]| ok(&[&["ip", "-n", ns][..], args].concat());
        ip(
            &net.server,
            &["addr", "add", &format!("{SERVER}/24"), "dev", &a],
        );
        ip(
            &net.laptop,
            &["addr", "add", &format!("{LAPTOP}/24"), "dev", &b],
        );
        ip(&net.server, &["link", "set", &a, "up"]);
        ip(&net.laptop, &["link", "set", &b, "up"]);
        // Two networks on one link: each reaches the other's address directly.
        ip(
            &net.server,
            &["route", "add", &format!("{LAPTOP}/32"), "dev", &a],
        );
        ip(
            &net.laptop,
            &["route", "add", &format!("{SERVER}/32"), "dev", &b],
        );
        net.private_etc();
        let mut net = net;
        net.listener = Some(net.listen());
        net
    }

    /// The namespace's own /etc/ufw (as the package ships it: no rule, disabled), /etc/default
    /// and an empty /etc/sysctl.d.
    fn private_etc(&self) -> PathBuf {
        let etc = PathBuf::from("/etc/netns").join(&self.server);
        std::fs::create_dir_all(etc.join("sysctl.d")).unwrap();
        for dir in ["/etc/ufw", "/etc/default"] {
            ok(&["cp", "-a", dir, etc.to_str().unwrap()]);
        }
        for file in ["user.rules", "user6.rules", "ufw.conf"] {
            std::fs::copy(
                PathBuf::from("/usr/share/ufw").join(file),
                etc.join("ufw").join(file),
            )
            .unwrap();
        }
        etc
    }

    /// Listeners that accept and hold connections: on the SSH port (sshd's stand-in) and on
    /// 9999, a port no plan opens.
    fn listen(&self) -> Helper {
        let script = tcp_listeners(&[("0.0.0.0", 22), ("0.0.0.0", 9999)], true);
        Helper::start(
            in_ns(&self.server, &["python3", "-c", &script]),
            "listening",
            "the server's listeners",
        )
    }

    /// The command line that runs `selkie ARGS` in the server namespace with an empty /run.
    pub fn wrap(&self, selkie: &str) -> String {
        format!(
            "ip netns exec {} sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run || exit 97; exec \"$@\"' sh {selkie}",
            self.server
        )
    }

    /// A new SSH connection from the laptop that stays open (a login in a second terminal);
    /// waits until the server has accepted it.
    pub fn second_login(&self) {
        let script = format!(
            "import socket, time\nc = socket.create_connection(('{SERVER}', 22), timeout=3)\n\
             print('open', flush=True)\ntime.sleep(600)\n"
        );
        let login = Helper::start(
            in_ns(&self.laptop, &["python3", "-c", &script]),
            "open",
            "a login from the laptop to port 22",
        );
        self.logins.borrow_mut().push(login);
    }

    /// The pid of `selkie` running in the server namespace.
    pub fn selkie_pid(&self) -> Option<u32> {
        let pids = ok(&["ip", "netns", "pids", &self.server]);
        pids.split_whitespace().find_map(|p| {
            let exe = std::fs::read_link(format!("/proc/{p}/exe")).ok()?;
            (exe == std::path::Path::new(env!("CARGO_BIN_EXE_selkie")))
                .then(|| p.parse().ok())
                .flatten()
        })
    }

    /// Whether the laptop reaches `port` on the server within 2 s.
    pub fn reaches(&self, port: u16) -> bool {
        let line = format!("timeout 2 bash -c '</dev/tcp/{SERVER}/{port}' 2>/dev/null");
        in_ns(&self.laptop, &["bash", "-c", &line])
            .status()
            .unwrap()
            .success()
    }

    /// The server namespace's ruleset.
    pub fn ruleset(&self) -> String {
        let out = in_ns(&self.server, &["nft", "list", "ruleset"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A file as the server namespace sees it.
    pub fn read(&self, path: &str) -> String {
        let out = in_ns(&self.server, &["cat", path]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until no process of the server namespace but the listener runs (a detached revert
    /// timer, once cancelled, is gone).
    pub fn quiet_within(&self, secs: u64) -> Vec<String> {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let pids = ok(&["ip", "netns", "pids", &self.server]);
            let listener = self.listener.as_ref().map(|c| c.id().to_string());
            let others: Vec<String> = pids
                .split_whitespace()
                .filter(|p| Some(p.to_string()) != listener)
                .map(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                        .unwrap_or_default()
                        .replace('\0', " ")
                })
                .collect();
            if others.is_empty() || Instant::now() > end {
                return others;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The machine's own firewall as far as selkie could touch it: its ufw and selkie lines.
pub fn host_firewall() -> String {
    let out = Command::new("nft")
        .args(["list", "ruleset"])
        .output()
        .unwrap();
    let rules: String = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("ufw") || l.contains("selkie"))
        .map(|l| format!("{l}\n"))
        .collect();
    let conf = std::fs::read_to_string("/etc/ufw/ufw.conf").unwrap_or_default();
    let sysctl = std::path::Path::new("/etc/sysctl.d/99-selkie.conf").exists();
    format!("{rules}ufw.conf: {conf}\n99-selkie.conf there: {sysctl}\n")
}

impl Drop for Net {
    fn drop(&mut self) {
        self.logins.borrow_mut().clear();
        self.listener = None;
        for ns in [&self.server, &self.laptop] {
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "delete", ns]).status();
        }
        let _ = std::fs::remove_dir_all(PathBuf::from("/etc/netns").join(&self.server));
    }
}
