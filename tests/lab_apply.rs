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

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use lab::harness::one_lab;
use lab::helper::{self, Helper};
use lab::net::{Lab, CLIENT_IP, SERVER_IP};
use lab::tools::{self, ok};

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

/// dbus-daemon and firewalld in the server namespace; stopped on drop.
struct Firewalld(Vec<Child>);

impl Drop for Firewalld {
    fn drop(&mut self) {
        for c in self.0.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn start_firewalld(lab: &Lab, etc: &Path) -> Firewalld {
    for (tool, package) in [("firewalld", "firewalld"), ("dbus-daemon", "dbus-daemon")] {
        assert!(
            on_path(tool),
            "`{tool}` is needed: apt-get install {package}"
        );
    }
    ok("cp", &["-a", "/etc/firewalld", etc.to_str().unwrap()]);
    let conf = lab.run.join("bus.conf");
    std::fs::write(
        &conf,
        format!(
            "<busconfig><type>system</type><listen>unix:path={}</listen><auth>EXTERNAL</auth>\
             <policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/>\
             <allow send_destination=\"*\"/><allow receive_sender=\"*\"/></policy>\
             <includedir>/usr/share/dbus-1/system.d</includedir></busconfig>\n",
            lab.run.join("dbus.sock").display()
        ),
    )
    .unwrap();
    let mut children = Vec::new();
    children.push(
        lab.on_server("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--nopidfile"])
            .spawn()
            .expect("dbus-daemon in the server namespace"),
    );
    let log = lab.run.join("firewalld.log");
    children.push(
        lab.on_server("firewalld")
            .args(["--nofork", "--nopid", "--log-file", log.to_str().unwrap()])
            .env("DBUS_SYSTEM_BUS_ADDRESS", bus(lab))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("firewalld in the server namespace"),
    );
    let started = Instant::now();
    while !on_server(lab, "firewall-cmd --state").status.success() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "firewalld did not start in the server namespace:\n{}",
            tools::tail(&log, 20)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    Firewalld(children)
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
    let within = format!("{WITHIN}s");
    let d = dir.to_str().unwrap();
    let mut args = vec![
        "setup",
        "--non-interactive",
        "--dir",
        d,
        "--no-start",
        "--confirm-within",
        &within,
    ];
    if first {
        args.extend([
            "--ip",
            SERVER_IP,
            "--provider",
            "none",
            "--ssh-port",
            "22",
            "--apply-firewall",
            "--apply-sysctl",
            "--host-firewall",
            kind,
        ]);
    } else {
        args.push("--resume");
    }
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

/// No systemd and no atd here: the revert waits in the detached fallback, a process that leads
/// a session of its own and lives on after selkie has exited.
fn detached_timer(state: &Path) {
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

fn log(state: &Path) -> String {
    std::fs::read_to_string(state.join("revert.log")).unwrap_or_default()
}

/// selkie's own rules are gone, and the firewall is as the operator had it.
fn check_reverted(lab: &Lab, kind: &str) {
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
fn check_sysctl(lab: &Lab, etc: &Path, out: &str) {
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

/// A mount namespace that outlives its commands (pinned on a file), used with the server's
/// network namespace: its own /run (where atd's pid file tells selkie that atd runs) and its own
/// at spool, so atd's jobs and everything selkie arms stay in the lab.
struct AtLab {
    file: PathBuf,
    atd: Child,
}

impl AtLab {
    fn new(lab: &Lab) -> AtLab {
        assert!(
            on_path("atd") || Path::new("/usr/sbin/atd").exists(),
            "`atd` is needed: apt-get install at"
        );
        let dir = lab.run.join("mnt");
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_str().unwrap();
        ok("mount", &["--bind", d, d]);
        ok("mount", &["--make-private", d]);
        let file = dir.join("ns");
        std::fs::write(&file, "").unwrap();
        let setup = "mount -t tmpfs tmpfs /run && for s in atjobs atspool; do \
                     mount -t tmpfs tmpfs /var/spool/cron/$s && chown daemon:daemon /var/spool/cron/$s && \
                     chmod 1770 /var/spool/cron/$s; done && echo 0 >/var/spool/cron/atjobs/.SEQ && \
                     chown daemon:daemon /var/spool/cron/atjobs/.SEQ && chmod 600 /var/spool/cron/atjobs/.SEQ";
        // Made from the machine's mount namespace (where the pin stays visible), all private.
        let out = Command::new("unshare")
            .arg(format!("--mount={}", file.display()))
            .args(["--propagation", "private", "sh", "-c", setup])
            .output()
            .unwrap();
        assert!(out.status.success(), "the mount namespace: {}", text(&out));
        let atd = enter(&file, lab, "atd").arg("-f").spawn().expect("atd");
        let at = AtLab { file, atd };
        let started = Instant::now();
        while !at
            .enter(lab, "test")
            .args(["-s", "/run/atd.pid"])
            .status()
            .unwrap()
            .success()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "atd did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        at
    }

    fn enter(&self, lab: &Lab, program: &str) -> Command {
        enter(&self.file, lab, program)
    }
}

/// A command in the server's network namespace and the mount namespace pinned at `file`.
fn enter(file: &Path, lab: &Lab, program: &str) -> Command {
    let mut cmd = Command::new("nsenter");
    cmd.arg(format!("--mount={}", file.display()))
        .arg(format!("--net=/run/netns/{}", lab.server))
        .arg(program)
        .stdin(std::process::Stdio::null());
    cmd
}

impl Drop for AtLab {
    fn drop(&mut self) {
        let _ = self.atd.kill();
        let _ = self.atd.wait();
        let _ = Command::new("umount").arg("-l").arg(&self.file).status();
        if let Some(dir) = self.file.parent() {
            let _ = Command::new("umount").arg("-l").arg(dir).status();
        }
    }
}

/// With atd running, the revert is an `at` job: applied and never confirmed, atd puts the rules
/// from before back by itself (within two minutes of the deadline), selkie long gone.
#[test]
fn an_at_job_reverts_unless_confirmed() {
    let _one = one_lab();
    let lab = Lab::new();
    private_etc(&lab);
    let _listeners = listen(&lab);
    let at = AtLab::new(&lab);
    own_rule(&lab, "nftables");
    let before = reach(&lab);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("deployment");
    let out = at
        .enter(&lab, env!("CARGO_BIN_EXE_selkie"))
        .args(["setup", "--non-interactive", "--no-start", "--dir"])
        .arg(&dir)
        .args([
            "--confirm-within",
            "10s",
            "--ip",
            SERVER_IP,
            "--provider",
            "none",
        ])
        .args([
            "--ssh-port",
            "22",
            "--apply-firewall",
            "--host-firewall",
            "nftables",
        ])
        .env("SSH_CONNECTION", session(50000))
        .env_remove("SELKIE_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("an at job runs up to 2 minutes later"),
        "{}",
        text(&out)
    );
    let state = dir.join("applied/firewall");
    let pending = std::fs::read_to_string(state.join("pending.toml")).unwrap();
    assert!(pending.contains("kind = \"at\""), "{pending}");
    let queued = at.enter(&lab, "atq").output().unwrap();
    assert!(!text(&queued).trim().is_empty(), "atq lists no job");
    assert!(!reach(&lab).other, "the firewall is not live");
    // Up to two minutes past the deadline (at fires at a minute's start); SSH answers throughout.
    let start = Instant::now();
    while !state.join("reverted").exists() && start.elapsed() < Duration::from_secs(200) {
        assert!(lab.client_reaches_tcp(22), "SSH stopped answering");
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        state.join("reverted").exists(),
        "atd did not revert; log:\n{}",
        log(&state)
    );
    assert_eq!(reach(&lab), before, "log:\n{}", log(&state));
    check_reverted(&lab, "nftables");
}
