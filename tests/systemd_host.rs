//! Applying the host firewall where systemd runs the machine, as on most servers: a Debian 12
//! container whose PID 1 is systemd (selkie-lab/debian-systemd:12, made by
//! tests/images/build.sh from its Debian root), booted by this machine's Docker daemon, with
//! selkie's binary mounted in. The revert waits in a transient systemd timer (`systemd-run`), a
//! confirmation stops it (`systemctl stop`), firewalld's script enables the service
//! (`systemctl enable`), and each revert restores exactly what was there. The container has no
//! procps: the kernel settings load without `sysctl`. And `--install-docker` installs Docker with
//! apt (from the Debian mirror, over the daemon's bridge) and has systemd enable and start it.
//!
//! The container's network namespace is its own, so nothing of the machine's firewall changes.
//! Reachability through the applied rules is tests/lab_apply.rs's subject; this is the init
//! system's. Needs root, a Docker daemon with that image and (for the install) the Debian
//! mirror; fails (never skips) without them.

#[path = "lab/tools.rs"]
mod tools;

use std::process::Output;
use std::time::{Duration, Instant};

use tools::{apply_args, built_value, run};

/// How long an apply waits for confirmation here.
const WITHIN: u64 = 10;
/// Where the deployment lives inside the container.
const DIR: &str = "/srv/selkie";
/// The operator's SSH session that applies, and a new one from the same laptop.
const SESSION: &str = "198.51.100.4 50000 172.17.0.2 22";
const NEW_SESSION: &str = "198.51.100.4 50001 172.17.0.2 22";

/// A booted container; removed when dropped.
struct Machine {
    name: String,
}

impl Machine {
    fn boot(tag: &str) -> Machine {
        // SAFETY: geteuid has no preconditions.
        assert_eq!(unsafe { libc::geteuid() }, 0, "needs root (Docker)");
        assert!(
            run("docker", &["info"]).status.success(),
            "no Docker daemon answers `docker info`: scripts/test-deps.sh starts it"
        );
        let image = built_value("SELKIE_LAB_SYSTEMD_IMAGE");
        assert!(
            run("docker", &["image", "inspect", &image])
                .status
                .success(),
            "{image} is not in this machine's Docker daemon: run tests/images/build.sh"
        );
        let name = format!("selkie-systemd-{tag}-{}", std::process::id());
        let _ = run("docker", &["rm", "-f", &name]);
        let selkie = format!("{}:/usr/local/bin/selkie:ro", env!("CARGO_BIN_EXE_selkie"));
        // systemd as PID 1 wants its own cgroup namespace, a writable /run and, to set up its
        // units' sandboxes, CAP_SYS_ADMIN; NET_ADMIN is for the firewall itself.
        let out = run(
            "docker",
            &[
                "run",
                "-d",
                "--name",
                &name,
                "--cgroupns=private",
                "--cap-add",
                "SYS_ADMIN",
                "--cap-add",
                "NET_ADMIN",
                "--security-opt",
                "seccomp=unconfined",
                "--security-opt",
                "apparmor=unconfined",
                "--tmpfs",
                "/run",
                "--tmpfs",
                "/run/lock",
                "--tmpfs",
                "/tmp",
                "-e",
                "container=docker",
                "-v",
                &selkie,
                &image,
            ],
        );
        assert!(out.status.success(), "docker run {image}: {}", text(&out));
        let machine = Machine { name };
        let started = Instant::now();
        loop {
            let state = machine.sh("systemctl is-system-running");
            let state = state.stdout.trim();
            if state == "running" || state == "degraded" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "systemd did not finish booting: {state}; failed units:\n{}",
                machine.sh("systemctl --failed --no-legend").stdout
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        machine
    }

    /// `sh -c LINE` in the container.
    fn sh(&self, line: &str) -> Said {
        Said::from(run("docker", &["exec", &self.name, "sh", "-c", line]))
    }

    /// `selkie ARGS` in the container, as from the SSH connection `ssh`.
    fn selkie(&self, ssh: &str, args: &[&str]) -> Said {
        let env = format!("SSH_CONNECTION={ssh}");
        let mut all = vec!["exec", "-e", &env, &self.name, "selkie"];
        all.extend_from_slice(args);
        Said::from(run("docker", &all))
    }

    /// `selkie setup` applying `kind` with the operator's consent (first run) or again
    /// (`--resume`); it must succeed.
    fn apply(&self, kind: &str, first: bool) -> Said {
        let args = apply_args(DIR, "203.0.113.7", kind, WITHIN, first);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.selkie(SESSION, &args);
        assert!(out.ok, "setup failed:\n{}{}", out.stdout, out.stderr);
        out
    }

    /// The revert's unit (without `.timer`), from what selkie printed.
    fn unit(said: &Said) -> String {
        said.stdout
            .split_whitespace()
            .find(|w| w.starts_with("selkie-revert-"))
            .map(|w| {
                w.trim_end_matches(['.', ')'])
                    .trim_end_matches(".timer")
                    .to_string()
            })
            .unwrap_or_else(|| panic!("no systemd timer named:\n{}", said.stdout))
    }

    /// Waits until the revert has run (its marker), at most `secs`.
    fn reverted_within(&self, secs: u64) -> bool {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            if self
                .sh(&format!("test -e {DIR}/applied/firewall/reverted"))
                .ok
            {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn revert_log(&self) -> String {
        self.sh(&format!("cat {DIR}/applied/firewall/revert.log"))
            .stdout
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = run("docker", &["rm", "-f", &self.name]);
    }
}

/// What a command said, as text.
struct Said {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl From<Output> for Said {
    fn from(out: Output) -> Said {
        Said {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// nftables: the revert is a transient systemd timer that fires by itself; applied again and
/// confirmed from a new SSH connection, the timer is stopped cleanly and the rules stay.
#[test]
fn the_revert_is_a_systemd_timer_that_fires_or_is_stopped() {
    let m = Machine::boot("nft");
    assert!(
        !m.sh("command -v sysctl").ok,
        "the image has procps; the kernel settings must load without it"
    );
    let applied = m.apply("nftables", true);
    assert!(
        applied
            .stdout
            .contains("Kernel settings installed as /etc/sysctl.d/99-selkie.conf"),
        "{}",
        applied.stdout
    );
    let unit = Machine::unit(&applied);
    let timers = m.sh("systemctl list-timers --all --no-legend").stdout;
    assert!(timers.contains(&format!("{unit}.timer")), "{timers}");
    assert!(m.sh("nft list tables").stdout.contains("inet selkie"));

    assert!(
        m.reverted_within(WITHIN + 20),
        "no revert after the deadline; log:\n{}",
        m.revert_log()
    );
    assert!(
        !m.sh("nft list tables").stdout.contains("selkie"),
        "the revert left selkie's table; log:\n{}",
        m.revert_log()
    );

    let again = m.apply("nftables", false);
    let unit = Machine::unit(&again);
    let confirmed = m.selkie(NEW_SESSION, &["confirm", "--dir", DIR]);
    assert!(
        confirmed.ok && confirmed.stdout.contains("stays"),
        "{}{}",
        confirmed.stdout,
        confirmed.stderr
    );
    // The service never ran: stopping the timer is the whole cancel, with no complaint.
    assert!(!confirmed.stderr.contains("note:"), "{}", confirmed.stderr);
    let timers = m.sh("systemctl list-timers --all --no-legend").stdout;
    assert!(
        !timers.contains(&unit),
        "the timer is still there:\n{timers}"
    );
    std::thread::sleep(Duration::from_secs(WITHIN + 3));
    assert!(
        !m.sh(&format!("test -e {DIR}/applied/firewall/reverted")).ok,
        "reverted although confirmed:\n{}",
        m.revert_log()
    );
    assert!(m.sh("nft list tables").stdout.contains("inet selkie"));
}

/// firewalld as a fresh install leaves it (stock zones in /usr/lib, nothing in /etc/firewalld,
/// running but not enabled): the script enables it, and the revert brings back exactly the
/// stock configuration (a zone file the apply created would otherwise name a service the
/// revert removed, and the reload would fail) and leaves it running but not enabled again.
#[test]
fn firewalld_from_its_stock_configuration_is_enabled_and_reverts_exactly() {
    let m = Machine::boot("firewalld");
    assert!(m.sh("systemctl disable firewalld").ok);
    assert_eq!(
        m.sh("systemctl is-active firewalld").stdout.trim(),
        "active"
    );
    let before = m.sh("firewall-cmd --list-services").stdout;
    assert!(before.contains("ssh"), "{before}");
    let etc_before = m.sh("find /etc/firewalld | sort").stdout;

    let applied = m.apply("firewalld", true);
    Machine::unit(&applied);
    assert_eq!(
        m.sh("systemctl is-enabled firewalld").stdout.trim(),
        "enabled"
    );
    let live = m.sh("firewall-cmd --list-services").stdout;
    assert!(live.contains("selkie"), "{live}");

    assert!(
        m.reverted_within(WITHIN + 20),
        "no revert after the deadline; log:\n{}",
        m.revert_log()
    );
    let log = m.revert_log();
    assert!(log.contains("+ firewall-cmd --reload\nsuccess\n"), "{log}");
    assert!(log.contains("+ systemctl disable firewalld\n"), "{log}");
    assert_eq!(m.sh("firewall-cmd --list-services").stdout, before, "{log}");
    assert_eq!(m.sh("find /etc/firewalld | sort").stdout, etc_before);
    assert_eq!(
        m.sh("systemctl is-enabled firewalld").stdout.trim(),
        "disabled",
        "{log}"
    );
    assert_eq!(
        m.sh("systemctl is-active firewalld").stdout.trim(),
        "active"
    );
}

/// `--install-docker` where systemd runs the machine: apt installs docker.io (its output goes to
/// the run's log, not the terminal) and systemd enables and starts the daemon, which answers.
#[test]
fn install_docker_has_systemd_enable_and_start_the_daemon() {
    let m = Machine::boot("install");
    assert!(
        !m.sh("command -v docker").ok,
        "the image already has Docker"
    );
    let out = m.selkie(
        SESSION,
        &[
            "setup",
            "--non-interactive",
            "--dir",
            DIR,
            "--no-start",
            "--install-docker",
            "--ip",
            "203.0.113.7",
            "--provider",
            "none",
        ],
    );
    assert!(out.ok, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("done: systemctl enable --now docker"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("Setting up") && !out.stdout.contains("Unpacking"),
        "apt's output reached the terminal:\n{}",
        out.stdout
    );
    assert_eq!(m.sh("systemctl is-enabled docker").stdout.trim(), "enabled");
    let info = m.sh("docker info --format '{{.ServerVersion}}'");
    assert!(
        info.ok && !info.stdout.trim().is_empty(),
        "{}{}",
        info.stdout,
        info.stderr
    );
}
