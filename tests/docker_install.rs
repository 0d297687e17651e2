//! `selkie setup --install-docker` for real, where a user stands: a fresh Debian 12 without
//! Docker and without systemd (the root tests/images/build.sh makes with debootstrap), entered
//! with mount, PID and network namespaces of its own; its network reaches the Debian mirror
//! through a veth to the host, masqueraded for that namespace alone. First with a broken apt
//! source (the failure shows apt's last lines and the fix), then, the source put right, with
//! the command the hint names: apt installs Docker inside the root, its output goes to the run
//! log and not to the terminal, and `dockerd`, started without an init system, answers
//! `docker info` in the namespace with its data inside the root. The host's own daemon, its
//! socket and its packages are never touched.
//!
//! Needs root, the Debian mirror, `ip`, `iptables`, `unshare`, `tar` and build.sh's root; fails
//! (never skips) without them.

#[path = "lab/tools.rs"]
mod tools;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use tools::{built, ok, run, sweep_dead_namespaces};

/// The host's end of the link and the root's (TEST-NET-2: no address the machine uses).
const HOST_IP: &str = "198.51.100.1";
const ROOT_IP: &str = "198.51.100.2";

/// A network namespace with a veth to the host and a masquerade for its address only; dropping
/// it removes the rules and the namespace (the veth goes with it).
struct Uplink {
    ns: String,
    /// iptables rules added, as their arguments after `-I CHAIN 1`.
    rules: Vec<(&'static str, &'static str, Vec<String>)>,
}

/// What an earlier run left when it was killed (SIGKILL gives it no chance to clean up): the
/// namespace of a run whose process is gone, with what still runs in it, and the iptables
/// rules that name a link of ours (`sih…`) that no longer exists.
fn sweep_stale() {
    sweep_dead_namespaces("selkie-install-");
    for table in ["nat", "filter"] {
        let rules = run("iptables", &["-t", table, "-S"]);
        for rule in String::from_utf8_lossy(&rules.stdout).lines() {
            let words: Vec<&str> = rule.split_whitespace().collect();
            let gone = words.first() == Some(&"-A")
                && words
                    .iter()
                    .any(|w| w.starts_with("sih") && !Path::new("/sys/class/net").join(w).exists());
            if gone {
                let mut args = vec!["-t", table, "-D"];
                args.extend(&words[1..]);
                let _ = run("iptables", &args);
            }
        }
    }
}

impl Uplink {
    fn new() -> Uplink {
        sweep_stale();
        let id = std::process::id();
        let mut up = Uplink {
            ns: format!("selkie-install-{id}"),
            rules: Vec::new(),
        };
        let (host_if, ns_if) = (
            format!("sih{}", id % 100_000),
            format!("sin{}", id % 100_000),
        );
        let _ = run("ip", &["netns", "delete", &up.ns]);
        ok("ip", &["netns", "add", &up.ns]);
        ok(
            "ip",
            &[
                "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if, "netns", &up.ns,
            ],
        );
        ok(
            "ip",
            &["addr", "add", &format!("{HOST_IP}/30"), "dev", &host_if],
        );
        ok("ip", &["link", "set", &host_if, "up"]);
        let ns = up.ns.clone();
        for args in [
            vec!["addr", "add", &format!("{ROOT_IP}/30"), "dev", &ns_if],
            vec!["link", "set", "lo", "up"],
            vec!["link", "set", &ns_if, "up"],
            vec!["route", "add", "default", "via", HOST_IP],
        ] {
            let mut all = vec!["-n", ns.as_str()];
            all.extend(args.iter().copied());
            ok("ip", &all);
        }
        // Forwarding is on wherever a Docker daemon runs; the host's daemon sets FORWARD's
        // policy to DROP, so the link's traffic is accepted ahead of its rules.
        let forward = fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap_or_default();
        assert_eq!(
            forward.trim(),
            "1",
            "the host does not forward IPv4 (net.ipv4.ip_forward): the root cannot reach the mirror"
        );
        let root = format!("{ROOT_IP}/32");
        for (table, chain, rule) in [
            (
                "nat",
                "POSTROUTING",
                vec!["-s", &root, "!", "-o", &host_if, "-j", "MASQUERADE"],
            ),
            ("filter", "FORWARD", vec!["-i", &host_if, "-j", "ACCEPT"]),
            (
                "filter",
                "FORWARD",
                vec![
                    "-o",
                    &host_if,
                    "-m",
                    "conntrack",
                    "--ctstate",
                    "RELATED,ESTABLISHED",
                    "-j",
                    "ACCEPT",
                ],
            ),
        ] {
            let mut args = vec!["-t", table, "-I", chain, "1"];
            args.extend(&rule);
            ok("iptables", &args);
            up.rules
                .push((table, chain, rule.iter().map(|s| s.to_string()).collect()));
        }
        up
    }
}

impl Drop for Uplink {
    fn drop(&mut self) {
        for (table, chain, rule) in &self.rules {
            let mut args = vec!["-t", table, "-D", chain];
            args.extend(rule.iter().map(String::as_str));
            let _ = run("iptables", &args);
        }
        if let Ok(pids) = std::process::Command::new("ip")
            .args(["netns", "pids", &self.ns])
            .output()
        {
            for pid in String::from_utf8_lossy(&pids.stdout).split_whitespace() {
                let _ = run("kill", &["-9", pid]);
            }
        }
        let _ = run("ip", &["netns", "delete", &self.ns]);
    }
}

/// Runs `script` with `sh` inside the root, as PID 1 of a new PID namespace (so nothing it
/// starts outlives it), with its own mounts (/proc, /sys and the cgroup hierarchies, /dev, /run)
/// and the uplink's network.
fn enter(up: &Uplink, root: &Path, script: &str) -> Output {
    let mounts = r#"set -e
r=$1
mount -t proc proc "$r/proc"
mount -t sysfs sysfs "$r/sys"
mount --rbind /sys/fs/cgroup "$r/sys/fs/cgroup"
mount --rbind /dev "$r/dev"
mount -t tmpfs tmpfs "$r/run"
mount -t tmpfs tmpfs "$r/tmp"
exec chroot "$r" /bin/sh -c "$2""#;
    let root = root.to_str().unwrap();
    // The mount namespace is a copy of the host's (`ip netns exec` would remount /sys and lose
    // the cgroup hierarchies dockerd needs); only the network is the uplink's.
    let netns = format!("--net=/run/netns/{}", up.ns);
    run(
        "unshare",
        &[
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "nsenter",
            &netns,
            "sh",
            "-c",
            mounts,
            "sh",
            root,
            script,
        ],
    )
}

fn text(root: &Path, file: &str) -> String {
    fs::read_to_string(root.join(file)).unwrap_or_default()
}

/// The newest docker-install log in the root's deployment directory.
fn install_log(root: &Path) -> (PathBuf, String) {
    let logs = root.join("deployment/logs");
    let mut found: Vec<PathBuf> = fs::read_dir(&logs)
        .unwrap_or_else(|e| panic!("{}: {e}", logs.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("docker-install-")
        })
        .collect();
    found.sort();
    let path = found
        .pop()
        .expect("no docker-install log in /deployment/logs");
    let body = fs::read_to_string(&path).unwrap();
    (path, body)
}

fn installed(root: &Path, package: &str) -> bool {
    text(root, "var/lib/dpkg/status").split("\n\n").any(|p| {
        p.contains(&format!("Package: {package}\n")) && p.contains("Status: install ok installed")
    })
}

/// build.sh's Debian root unpacked under `work`, with selkie and the host's resolver in it.
fn fresh_root(work: &Path) -> PathBuf {
    let tarball = built("SELKIE_LAB_DEBIAN_ROOT");
    let root = work.join("root");
    fs::create_dir(&root).unwrap();
    ok(
        "tar",
        &[
            "-xzf",
            tarball.to_str().unwrap(),
            "-C",
            root.to_str().unwrap(),
            "--numeric-owner",
        ],
    );
    assert!(!installed(&root, "docker.io") && !root.join("usr/bin/dockerd").exists());
    assert!(
        !root.join("lib/systemd/systemd").exists(),
        "the root has systemd"
    );
    fs::copy(
        env!("CARGO_BIN_EXE_selkie"),
        root.join("usr/local/bin/selkie"),
    )
    .unwrap();
    fs::copy("/etc/resolv.conf", root.join("etc/resolv.conf")).unwrap();
    root
}

const SETUP: &str =
    "selkie setup --non-interactive --install-docker --no-start --ip 198.51.100.2 --dir /deployment";

/// A typo in the suite: `apt-get update` fails, and selkie shows apt's last lines and the fix.
fn a_broken_source_shows_the_fix(up: &Uplink, root: &Path, sources: &str) {
    let typo = sources.replace(" bookworm ", " bookwarm ");
    fs::write(root.join("etc/apt/sources.list"), typo).unwrap();
    let entered = enter(up, root, &format!("{SETUP} >/out1 2>&1; echo $? >/rc1"));
    let out = text(root, "out1");
    assert_eq!(text(root, "rc1").trim(), "1", "{out}\n{entered:?}");
    assert!(out.contains("`apt-get update` failed"), "{out}");
    assert!(out.contains("  | E: The repository 'http"), "{out}");
    assert!(
        out.contains("bookwarm Release' does not have a Release file"),
        "{out}"
    );
    assert!(out.contains("a package source is wrong"), "{out}");
    assert!(
        out.contains("/etc/apt/sources.list"),
        "the fix names the sources: {out}"
    );
    let (log, body) = install_log(root);
    let shown = log.strip_prefix(root).unwrap().display().to_string();
    assert!(out.contains(&format!("/{shown}")), "{out}");
    assert!(body.contains("$ apt-get update\n"), "{body}");
    assert!(!installed(root, "docker.io"));
}

/// The source put right, and the command the hint names: apt installs Docker behind the
/// spinner, and dockerd starts detached and answers `docker info` in the namespace.
fn the_hinted_command_installs_and_starts_docker(up: &Uplink, root: &Path, sources: &str) {
    fs::write(root.join("etc/apt/sources.list"), sources).unwrap();
    let script = format!(
        "{SETUP} --resume >/out2 2>&1; echo $? >/rc2; \
         docker info >/info 2>&1; echo $? >/inforc; \
         docker info --format '{{{{.DockerRootDir}}}}' >/root-dir 2>&1"
    );
    let entered = enter(up, root, &script);
    let out = text(root, "out2");
    let (log, body) = install_log(root);
    assert_eq!(
        text(root, "rc2").trim(),
        "0",
        "{out}\n{entered:?}\n{}\n{}",
        tools::tail(&log, 30),
        text(root, "deployment/logs/dockerd.log")
    );
    assert!(
        installed(root, "docker.io"),
        "apt did not install docker.io in the root"
    );
    assert!(body.contains("Setting up docker.io"), "{body}");
    for apt_line in ["Setting up ", "Unpacking ", "Get:", "Reading package lists"] {
        assert!(
            !out.contains(apt_line),
            "apt's output reached the terminal: {out}"
        );
    }
    assert!(out.contains("done: apt-get install -y docker.io"), "{out}");
    assert!(out.contains("starting dockerd detached"), "{out}");
    assert!(
        out.contains("add `setsid dockerd >>/deployment/logs/dockerd.log 2>&1 &`"),
        "{out}"
    );
    let info = text(root, "info");
    assert_eq!(text(root, "inforc").trim(), "0", "{info}");
    assert_eq!(text(root, "root-dir").trim(), "/var/lib/docker", "{info}");
    assert!(
        root.join("var/lib/docker/containers").is_dir(),
        "the data root is not in the root"
    );
}

#[test]
fn docker_is_installed_and_started_without_systemd_in_a_fresh_debian() {
    assert!(
        run("id", &["-u"]).stdout.starts_with(b"0"),
        "needs root (namespaces, chroot)"
    );
    for tool in ["ip", "iptables", "unshare", "chroot", "tar"] {
        assert!(
            run("sh", &["-c", &format!("command -v {tool}")])
                .status
                .success(),
            "needs `{tool}` (iproute2, iptables, util-linux, coreutils, tar)"
        );
    }
    let host_docker_before = run("docker", &["info", "--format", "{{.ID}}"]);
    let work = tempfile::Builder::new()
        .prefix("selkie-docker-install-")
        .tempdir_in("/var/tmp")
        .unwrap();
    let root = fresh_root(work.path());
    let sources = text(&root, "etc/apt/sources.list");
    assert!(sources.contains(" bookworm main"), "{sources}");
    let up = Uplink::new();
    a_broken_source_shows_the_fix(&up, &root, &sources);
    the_hinted_command_installs_and_starts_docker(&up, &root, &sources);
    // Its bridge and rules are the namespace's, and the host's daemon answers as before.
    let bridge = run("ip", &["-n", &up.ns, "link", "show", "docker0"]);
    let ns_nat = ok(
        "ip",
        &["netns", "exec", &up.ns, "iptables", "-t", "nat", "-S"],
    );
    drop(up);
    assert!(bridge.status.success(), "no docker0 in the namespace");
    assert!(ns_nat.contains("-N DOCKER"), "{ns_nat}");
    let host_docker_after = run("docker", &["info", "--format", "{{.ID}}"]);
    assert_eq!(host_docker_before.stdout, host_docker_after.stdout);
}
