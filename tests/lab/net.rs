//! The lab's network: a server namespace with a Docker daemon of its own, a client namespace (the
//! internet) and one veth link between them, as a laptop reaches a VPS. Nothing here touches the
//! machine's own network. Test scaffolding: it needs root, `ip`, `nsenter`, `nft` and `dockerd`,
//! and fails (never skips) without them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::tools::{cache_dir, ok, run, run_quiet, sweep_dead_namespaces, tail};

/// The server's public address on the link.
pub const SERVER_IP: &str = "203.0.113.1";
/// The client's (and the lab CA's, Pebble's) address on the link.
pub const CLIENT_IP: &str = "203.0.113.2";

/// The two namespaces, the link and the server's Docker daemon. Dropping it stops the daemon's
/// containers and the daemon, and deletes the namespaces.
pub struct Lab {
    pub server: String,
    pub client: String,
    /// The run directory: the daemon's socket, exec root and log; scratch files of the test.
    pub run: PathBuf,
    dockerd: Option<Child>,
    _data_lock: fs::File,
}

/// What an earlier lab left when its test process was killed (SIGKILL leaves no chance to clean
/// up): the namespaces of a lab whose process is gone and every process still in them, its
/// dockerd among them, which would keep the shared data root in use. Called with the data
/// root's lock held, so no live lab is touched.
fn sweep_stale() {
    for pid in sweep_dead_namespaces("selkie-lab-") {
        let _ = fs::remove_dir_all(format!("/run/selkie-lab-{pid}"));
    }
}

impl Lab {
    /// Namespaces and link; the daemon starts with [`Lab::start_docker`].
    pub fn new() -> Lab {
        assert!(
            is_root(),
            "the lab needs root (network namespaces, a Docker daemon)"
        );
        for (tool, package) in [
            ("ip", "iproute2"),
            ("nsenter", "util-linux"),
            ("nft", "nftables"),
            ("dockerd", "docker.io"),
            ("curl", "curl"),
            ("openssl", "openssl"),
        ] {
            assert!(
                which(tool),
                "the lab needs `{tool}`: apt-get install {package}"
            );
        }
        let id = std::process::id();
        let server = format!("selkie-lab-{id}-srv");
        let client = format!("selkie-lab-{id}-cli");
        let run = PathBuf::from(format!("/run/selkie-lab-{id}"));
        let _ = fs::remove_dir_all(&run);
        fs::create_dir_all(&run).unwrap();
        let lock_path = cache_dir().join("lab-docker.lock");
        fs::create_dir_all(cache_dir()).unwrap();
        let lock = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&lock_path)
            .unwrap();
        lock.lock().expect("lock the lab's Docker data root");
        sweep_stale();
        for ns in [&server, &client] {
            let _ = run_quiet("ip", &["netns", "delete", ns]);
            ok("ip", &["netns", "add", ns]);
            ok("ip", &["-n", ns, "link", "set", "lo", "up"]);
        }
        let (veth_s, veth_c) = (
            format!("lks{}", id % 100_000),
            format!("lkc{}", id % 100_000),
        );
        ok(
            "ip",
            &[
                "link", "add", &veth_s, "netns", &server, "type", "veth", "peer", "name", &veth_c,
                "netns", &client,
            ],
        );
        ok(
            "ip",
            &[
                "-n",
                &server,
                "addr",
                "add",
                &format!("{SERVER_IP}/24"),
                "dev",
                &veth_s,
            ],
        );
        ok(
            "ip",
            &[
                "-n",
                &client,
                "addr",
                "add",
                &format!("{CLIENT_IP}/24"),
                "dev",
                &veth_c,
            ],
        );
        ok("ip", &["-n", &server, "link", "set", &veth_s, "up"]);
        ok("ip", &["-n", &client, "link", "set", &veth_c, "up"]);
        // A default route, so the server's "public address" is the link's.
        ok(
            "ip",
            &["-n", &server, "route", "add", "default", "via", CLIENT_IP],
        );
        ok(
            "ip",
            &["-n", &client, "route", "add", "default", "via", SERVER_IP],
        );
        Lab {
            server,
            client,
            run,
            dockerd: None,
            _data_lock: lock,
        }
    }

    /// The server daemon's socket, as DOCKER_HOST.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.run.join("docker.sock").display())
    }

    /// Starts dockerd inside the server namespace (its own sockets, exec root and containerd
    /// namespace; a data root kept in the cache so loaded images survive) and loads `images`
    /// into it from the machine's daemon where it lacks them.
    pub fn start_docker(&mut self, images: &[&str]) {
        let data = cache_dir().join("lab-docker");
        fs::create_dir_all(&data).unwrap();
        let log = fs::File::create(self.run.join("dockerd.log")).unwrap();
        let child = Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", self.server))
            .args(["dockerd", "--data-root"])
            .arg(&data)
            .arg("--exec-root")
            .arg(self.run.join("exec"))
            .arg("--pidfile")
            .arg(self.run.join("dockerd.pid"))
            .args(["--host", &self.docker_host()])
            .args([
                "--containerd-namespace",
                "selkie-lab",
                "--containerd-plugins-namespace",
                "selkie-lab-plugins",
                "--userland-proxy=false",
                "--ip6tables=false",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start dockerd in the server namespace");
        self.dockerd = Some(child);
        let started = Instant::now();
        while !self.docker(&["info"]).status.success() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the lab's dockerd did not answer within 60 s:\n{}",
                tail(&self.run.join("dockerd.log"), 30)
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        // Leftovers of an earlier run that died: selkie's containers and networks.
        let ids = self.docker_ok(&["ps", "-aq", "--filter", "label=io.selkie.project"]);
        for id in ids.split_whitespace() {
            self.docker_ok(&["rm", "-f", "-v", id]);
        }
        let _ = self.docker(&["network", "rm", "selkie"]);
        let _ = self.docker(&["volume", "prune", "-f"]);
        for image in images {
            self.load(image);
        }
    }

    /// Makes `reference` exist in the lab's daemon as the same image as in the machine's.
    fn load(&self, reference: &str) {
        let host_id = run("docker", &["image", "inspect", "-f", "{{.Id}}", reference]);
        assert!(
            host_id.status.success(),
            "{reference} is not built: run tests/images/build.sh"
        );
        let host_id = String::from_utf8_lossy(&host_id.stdout).trim().to_string();
        let lab_id = self.docker(&["image", "inspect", "-f", "{{.Id}}", reference]);
        if String::from_utf8_lossy(&lab_id.stdout).trim() == host_id {
            return;
        }
        let script = format!(
            "docker save {reference} | docker -H {} load",
            self.docker_host()
        );
        ok("bash", &["-c", &script]);
    }

    /// `docker ARGS` against the lab's daemon.
    pub fn docker(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .args(["-H", &self.docker_host()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run docker")
    }

    /// Like [`Lab::docker`], but it must succeed; returns stdout.
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let out = self.docker(args);
        assert!(
            out.status.success(),
            "`docker {}` in the lab failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A command in the server namespace, with `/etc/netns/<server>/` files over /etc.
    pub fn on_server(&self, program: &str) -> Command {
        in_netns(&self.server, program)
    }

    /// A command in the client namespace.
    pub fn on_client(&self, program: &str) -> Command {
        in_netns(&self.client, program)
    }

    /// Host names the client resolves (to the server), through /etc/netns/<client>/hosts.
    pub fn client_hosts(&self, names: &[&str]) {
        for ns in [&self.client, &self.server] {
            let dir = PathBuf::from("/etc/netns").join(ns);
            fs::create_dir_all(&dir).unwrap();
            fs::write(
                dir.join("hosts"),
                format!(
                    "127.0.0.1 localhost\n::1 localhost\n{SERVER_IP} {}\n",
                    names.join(" ")
                ),
            )
            .unwrap();
        }
    }

    /// Loads an nftables ruleset into a namespace's own kernel tables (e.g. link rules that drop
    /// UDP, or a firewall between the two that stands in for a cloud firewall).
    pub fn nft(&self, namespace: &str, ruleset: &str) {
        let path = self.run.join(format!("rules-{}.nft", std::process::id()));
        fs::write(&path, ruleset).unwrap();
        let out = in_netns(namespace, "nft")
            .arg("-f")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "nft -f in {namespace}: {}\n{ruleset}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Loads table `table` anew into a namespace (replacing one of that name, if any): one
    /// filter chain on `hook` at `priority`, with one line of `rules` per statement.
    pub fn nft_chain(
        &self,
        namespace: &str,
        table: &str,
        hook: &str,
        priority: i32,
        rules: &[String],
    ) {
        let rules: String = rules.iter().map(|r| format!("    {r}\n")).collect();
        self.nft(
            namespace,
            &format!(
                "table inet {table}\ndelete table inet {table}\n\
                 table inet {table} {{\n  chain {hook} {{\n    type filter hook {hook} priority {priority};\n{rules}  }}\n}}\n"
            ),
        );
    }

    /// Drops what the client sends to the server when it matches `matches` (an nft expression,
    /// e.g. `meta l4proto udp` or `tcp dport 7881`): a client network that blocks it.
    pub fn block_on_link(&self, matches: &[&str]) {
        let rules: Vec<String> = matches
            .iter()
            .map(|m| format!("ip daddr {SERVER_IP} {m} drop"))
            .collect();
        self.nft_chain(&self.client, "lab_link", "output", 0, &rules);
    }

    /// Drops what reaches the server when it matches `matches` (an nft expression), ahead of
    /// anything the server runs: a host firewall that closes a path. Undone by
    /// [`Lab::unblock_on_server`].
    pub fn block_on_server(&self, matches: &[&str]) {
        let rules: Vec<String> = matches.iter().map(|m| format!("{m} drop")).collect();
        self.nft_chain(&self.server, "lab_block", "input", -10, &rules);
    }

    /// Removes what [`Lab::block_on_server`] blocked.
    pub fn unblock_on_server(&self) {
        self.nft(&self.server, "delete table inet lab_block\n");
    }

    /// Whether a TCP connection from the client to the server's `port` succeeds within 2 s.
    pub fn client_reaches_tcp(&self, port: u16) -> bool {
        self.on_client("bash")
            .args([
                "-c",
                &format!("timeout 2 bash -c '</dev/tcp/{SERVER_IP}/{port}' 2>/dev/null"),
            ])
            .status()
            .unwrap()
            .success()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // LAB_HOLD=SECS keeps a failed lab up that long, to look around in it.
        if std::thread::panicking() {
            if let Some(secs) = std::env::var("LAB_HOLD").ok().and_then(|s| s.parse().ok()) {
                eprintln!(
                    "holding the lab ({}, {}) for {secs} s",
                    self.server, self.client
                );
                std::thread::sleep(Duration::from_secs(secs));
            }
        }
        if self.dockerd.is_some() {
            let ids = self.docker(&["ps", "-aq"]);
            for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
                let _ = self.docker(&["rm", "-f", "-v", id]);
            }
        }
        if let Some(mut child) = self.dockerd.take() {
            let _ = run_quiet("kill", &[&child.id().to_string()]);
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(20) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in [&self.server, &self.client] {
            let _ = run_quiet("ip", &["netns", "pids", ns]).map(|pids| {
                for pid in String::from_utf8_lossy(&pids.stdout).split_whitespace() {
                    let _ = run_quiet("kill", &["-9", pid]);
                }
            });
            let _ = run_quiet("ip", &["netns", "delete", ns]);
            let _ = fs::remove_dir_all(PathBuf::from("/etc/netns").join(ns));
        }
        // dockerd bind-mounts its view of the host's network namespace under its exec root and
        // leaves it mounted when it is killed: unmount it, or the run directory stays behind.
        let netns_mount = self.run.join("exec/netns/default");
        if netns_mount.exists() {
            let _ = run_quiet("umount", &["-l", &netns_mount.display().to_string()]);
        }
        let _ = fs::remove_dir_all(&self.run);
    }
}

/// `ip netns exec NS PROGRAM`: the namespace's network, and its /etc/netns files over /etc.
pub fn in_netns(namespace: &str, program: &str) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", namespace, program])
        .stdin(Stdio::null())
        .env_remove("SSH_CONNECTION");
    cmd
}

fn is_root() -> bool {
    run("id", &["-u"]).stdout.starts_with(b"0")
}

fn which(tool: &str) -> bool {
    run_quiet("sh", &["-c", &format!("command -v {tool}")]).is_some_and(|o| o.status.success())
        || Path::new("/usr/sbin").join(tool).exists()
}
