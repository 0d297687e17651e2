//! `selkie status` against a real deployment: `selkie setup` of the livekit preset through the
//! real Docker daemon (the stand-in images of tests/common/docker.rs: real coturn answers STUN on
//! 3478/udp, Debian's Caddy serves 443 with `tls internal`), then `status --once`, `--json`, a
//! killed LiveKit, and the dashboard driven through tmux. sshd does not run here: a listener the
//! test holds on 127.0.0.1 stands in for it (`--ssh-port`).
//!
//! These tests fail, never skip, when Docker, tmux or coturn is missing.

mod common;
#[path = "status_e2e/dashboard.rs"]
mod dashboard;
#[path = "status_e2e/once.rs"]
mod once;
#[path = "health/tmux.rs"]
mod tmux;

use std::net::TcpListener;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::docker as d;
use common::run::{self, text};

const LIVEKIT: &str = "selkie-livekit";

/// The shared cleanup, after checking the tools these tests need.
struct Clean(#[allow(dead_code)] d::Clean);

impl Clean {
    fn new() -> Clean {
        common::require_tool("docker", "docker.io");
        common::require_tool("turnserver", "coturn");
        Clean(d::Clean::new())
    }
}

/// A TCP listener on 127.0.0.1 standing in for sshd: it accepts and closes every connection
/// (so the probes never fill its backlog) until dropped.
struct Sshd {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Sshd {
    fn start() -> Sshd {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => drop(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Sshd {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A livekit-preset deployment at 127.0.0.1, set up and healthy; everything goes on drop.
struct Deployment {
    dir: tempfile::TempDir,
    sshd: Sshd,
    /// What setup printed.
    setup_output: String,
    _clean: Clean,
}

impl Deployment {
    /// `selkie setup --non-interactive --ip 127.0.0.1 --ssh-port P` from scratch; panics with
    /// its output unless it succeeds.
    fn setup() -> Deployment {
        Self::setup_with(&[])
    }

    /// [`Deployment::setup`] with more setup flags.
    fn setup_with(extra: &[&str]) -> Deployment {
        let clean = Clean::new();
        d::ensure_images(&[
            selkie::plan::LIVEKIT_IMAGE.to_string(),
            selkie::plan::CADDY_IMAGE.to_string(),
        ]);
        let sshd = Sshd::start();
        let dir = tempfile::tempdir().unwrap();
        let port = sshd.port.to_string();
        let started = Instant::now();
        let mut args = vec![
            "setup",
            "--non-interactive",
            "--dir",
            dir.path().to_str().unwrap(),
            "--ip",
            "127.0.0.1",
            "--ssh-port",
            &port,
            "--health-timeout",
            "60",
        ];
        args.extend_from_slice(extra);
        let out = selkie(&args);
        let t = text(&out);
        assert!(out.status.success(), "setup failed:\n{t}");
        eprintln!("setup took {:?}", started.elapsed());
        Deployment {
            dir,
            sshd,
            setup_output: t,
            _clean: clean,
        }
    }

    fn dir(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    fn ssh_label(&self) -> String {
        format!("{}/tcp", self.sshd.port)
    }

    /// `selkie status --dir D ARGS`.
    fn status(&self, args: &[&str]) -> Output {
        let mut all = vec!["status", "--dir", self.dir()];
        all.extend_from_slice(args);
        selkie(&all)
    }
}

/// `selkie ARGS` without `SELKIE_DIR`, `DOCKER_HOST` (Docker's default socket) and `NO_COLOR`.
fn selkie(args: &[&str]) -> Output {
    run::output(args, &["SELKIE_DIR", "DOCKER_HOST", "NO_COLOR"])
}

/// One row of a `selkie status --once` table, by column name.
#[derive(Debug)]
struct Row {
    cells: Vec<(String, String)>,
}

impl Row {
    fn get(&self, column: &str) -> &str {
        self.cells
            .iter()
            .find(|(c, _)| c == column)
            .map_or_else(|| panic!("no column {column} in {self:?}"), |(_, v)| v)
    }
}

/// The rows of the table whose header starts with `first` (`SERVICE`, `CHECK`) in the `--once`
/// output: cells are cut at the header's column starts (the table pads with spaces).
fn table(out: &str, first: &str) -> Vec<Row> {
    let mut lines = out
        .lines()
        .skip_while(|l| l.split_whitespace().next() != Some(first));
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("no {first} table in:\n{out}"));
    let mut starts = Vec::new();
    let mut prev = ' ';
    for (i, c) in header.char_indices() {
        if c != ' ' && prev == ' ' {
            starts.push(i);
        }
        prev = c;
    }
    let names: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(names.len(), starts.len(), "{header}");
    lines
        .take_while(|l| !l.trim().is_empty())
        .map(|line| {
            let cells = names
                .iter()
                .enumerate()
                .map(|(n, name)| {
                    let from = starts[n].min(line.len());
                    let to = starts
                        .get(n + 1)
                        .copied()
                        .unwrap_or(line.len())
                        .min(line.len());
                    (name.to_string(), line[from..to].trim().to_string())
                })
                .collect();
            Row { cells }
        })
        .collect()
}

fn find<'a>(rows: &'a [Row], column: &str, value: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.get(column) == value)
        .unwrap_or_else(|| panic!("no row with {column} = {value} in {rows:#?}"))
}

/// Every service and check of the `--once` output is healthy (the idle UDP range may be
/// `unknown`, which does not count against the verdict).
fn assert_all_healthy(out: &str, ssh: &str) {
    assert!(out.contains(" - HEALTHY"), "{out}");
    let services = table(out, "SERVICE");
    let names: Vec<&str> = services.iter().map(|r| r.get("SERVICE")).collect();
    assert_eq!(names, ["livekit", "caddy"], "{out}");
    for s in &services {
        assert_eq!(s.get("STATE"), "running", "{out}");
        assert_eq!(s.get("STATUS"), "healthy", "{out}");
    }
    let checks = table(out, "CHECK");
    let labels: Vec<&str> = checks.iter().map(|r| r.get("CHECK")).collect();
    assert_eq!(
        labels,
        [
            ssh,
            "80/tcp",
            "443/tcp",
            "7880/tcp",
            "7881/tcp",
            "3478/udp",
            "50000-50119/udp",
            "node_ip"
        ],
        "{out}"
    );
    for c in &checks {
        let result = c.get("RESULT");
        if c.get("KIND") == "bound" && c.get("CHECK").contains('-') {
            assert!(
                result == "healthy" || result == "unknown",
                "{}: {result}\n{out}",
                c.get("CHECK")
            );
        } else {
            assert_eq!(result, "healthy", "{}:\n{out}", c.get("CHECK"));
        }
    }
}
