//! The tmux harness of the wizard tests: a host made of fixtures, and the real binary running
//! in a pseudo-terminal (80x24 unless a test sizes it) whose screen is polled (with a deadline)
//! before each answer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::common;
use crate::common::run;
use crate::netns::Net;

pub const DEADLINE: Duration = Duration::from_secs(30);

/// What selkie shows while the applied firewall waits to be kept.
pub const KEEP_PROMPT: &str = "Press Enter here once the second login works";

/// A host the test controls: /proc and DMI fixtures, an SSH session, and no Docker.
pub struct Host {
    pub root: TempDir,
    /// `LANG` for the wizard: UTF-8 unless a test checks the ASCII fallback.
    pub lang: &'static str,
}

impl Host {
    pub fn new(vendor: Option<&str>) -> Host {
        let root = tempfile::tempdir().unwrap();
        let proc_dir = root.path().join("proc");
        std::fs::create_dir_all(proc_dir.join("net")).unwrap();
        std::fs::create_dir_all(proc_dir.join("sys/net/ipv4")).unwrap();
        std::fs::write(
            proc_dir.join("net/fib_trie"),
            "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 203.0.113.7\n        /32 host LOCAL\n",
        )
        .unwrap();
        std::fs::write(
            proc_dir.join("sys/net/ipv4/ip_local_port_range"),
            "32768\t60999\n",
        )
        .unwrap();
        std::fs::write(proc_dir.join("meminfo"), "MemTotal: 4194304 kB\n").unwrap();
        let dmi = root.path().join("dmi");
        std::fs::create_dir_all(&dmi).unwrap();
        if let Some(v) = vendor {
            std::fs::write(dmi.join("sys_vendor"), format!("{v}\n")).unwrap();
        }
        Host {
            root,
            lang: "C.UTF-8",
        }
    }

    pub fn dir(&self) -> PathBuf {
        self.root.path().join("deploy")
    }

    pub fn env(&self) -> Vec<(String, String)> {
        let p = |s: &str| self.root.path().join(s).display().to_string();
        vec![
            ("SELKIE_PROC_DIR".into(), p("proc")),
            ("SELKIE_DMI_DIR".into(), p("dmi")),
            (
                "SSH_CONNECTION".into(),
                "198.51.100.4 50000 203.0.113.7 22".into(),
            ),
            ("DOCKER_HOST".into(), "unix:///nonexistent.sock".into()),
            ("NO_COLOR".into(), "1".into()),
            ("LANG".into(), self.lang.into()),
            ("LC_ALL".into(), String::new()),
            ("SELKIE_DIR".into(), String::new()),
        ]
    }

    /// A first deployment written with flags, for the `--resume` cases.
    pub fn setup_non_interactive(&self) {
        let out = run::command(&run::FRESH_AT_IP, &[])
            .arg("--dir")
            .arg(self.dir())
            .envs(self.env())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Every file of the deployment but backups and logs, by relative path.
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(&self.dir(), &self.dir(), &mut out);
        out
    }
}

fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path.strip_prefix(base).unwrap().display().to_string();
        if rel == "backups" || rel == "logs" || rel == ".selkie.lock" {
            continue;
        }
        if path.is_dir() {
            walk(base, &path, out);
        } else {
            out.insert(rel, std::fs::read(&path).unwrap());
        }
    }
}

/// `selkie setup ARGS` running in its own tmux server with an 80x24 (or any size) window, in
/// network and mount namespaces of its own (see netns.rs).
pub struct Term {
    socket: String,
    pub cols: usize,
    pub net: Net,
}

impl Term {
    pub fn start(host: &Host, args: &str) -> Term {
        Term::sized(host, args, 80, 24)
    }

    pub fn sized(host: &Host, args: &str, cols: usize, rows: usize) -> Term {
        common::require_tool("tmux", "tmux");
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "selkie-wizard-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::SeqCst)
        );
        let env: Vec<String> = host
            .env()
            .into_iter()
            .map(|(k, v)| format!("{k}='{v}'"))
            .collect();
        let net = Net::new();
        let selkie = format!(
            "env {} {} setup --dir '{}' {args}",
            env.join(" "),
            run::BIN,
            host.dir().display()
        );
        let cmd = format!("{}; echo DONE-$?; sleep 300", net.wrap(&selkie));
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &cols.to_string(), "-y", &rows.to_string(), &cmd])
            .env("TERM", "xterm")
            .status()
            .unwrap();
        assert!(status.success(), "tmux could not start");
        Term { socket, cols, net }
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen, wrapped lines joined.
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J"])
    }

    /// Wait until `text` is on the screen; fail with the screen when the deadline passes.
    pub fn wait(&self, text: &str) -> String {
        let end = Instant::now() + DEADLINE;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < end,
                "`{text}` did not appear; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until `text` has left the screen.
    pub fn wait_gone(&self, text: &str) {
        let end = Instant::now() + DEADLINE;
        while self.screen().contains(text) {
            assert!(Instant::now() < end, "`{text}` stayed on the screen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until `text` is on the screen, then press Enter; returns that screen.
    pub fn enter_at(&self, text: &str) -> String {
        let screen = self.wait(text);
        self.keys(&["Enter"]);
        screen
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", k]);
        }
    }

    pub fn typed(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
        self.keys(&["Enter"]);
    }

    /// Empty a text prompt's input.
    pub fn clear(&self) {
        for _ in 0..40 {
            self.keys(&["BSpace"]);
        }
    }

    /// The screen once it has stopped changing for half a second.
    pub fn settled(&self) -> String {
        let end = Instant::now() + DEADLINE;
        let mut before = self.screen();
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = self.screen();
            if now == before || Instant::now() > end {
                return now;
            }
            before = now;
        }
    }

    /// Lines of `screen` wider than the terminal: the terminal wrapped them wherever the width
    /// ran out, mid-word (`capture-pane -J` joins such lines back into one).
    pub fn overflowing(&self, screen: &str) -> Vec<String> {
        screen
            .lines()
            .filter(|l| l.trim_end().chars().count() > self.cols)
            .map(String::from)
            .collect()
    }

    /// Press Enter at every question (each shows its help line in brackets, the pager its
    /// "more") until selkie ends or, the deployment written and the firewall applied, waits for
    /// it to be kept; returns the presses and every screen seen.
    pub fn enter_until_done(&self, most: usize) -> (usize, Vec<String>) {
        let mut presses = 0;
        let mut screens = Vec::new();
        let end = Instant::now() + DEADLINE * 4;
        loop {
            let screen = self.settled();
            screens.push(screen.clone());
            if screen.contains("DONE-") || screen.contains(KEEP_PROMPT) {
                return (presses, screens);
            }
            let asking = screen
                .lines()
                .any(|l| l.trim_start().starts_with('[') || l.contains("-- more"));
            if asking {
                assert!(
                    presses < most,
                    "{most} presses did not reach the end; the screen:\n{screen}"
                );
                self.keys(&["Enter"]);
                presses += 1;
            }
            assert!(Instant::now() < end, "no question and no end:\n{screen}");
        }
    }

    /// The exit code printed by the shell after selkie ends.
    pub fn exit_code(&self) -> i32 {
        let screen = self.wait("DONE-");
        let tail = screen.split("DONE-").nth(1).unwrap_or_default();
        let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().unwrap()
    }

    /// Press Enter at each "-- more" until `text` appears; returns every screen seen.
    pub fn page_until(&self, text: &str) -> String {
        let end = Instant::now() + DEADLINE;
        let mut seen = String::new();
        loop {
            let screen = self.screen();
            seen.push_str(&screen);
            if screen.contains(text) {
                return seen;
            }
            if screen.contains("-- more (") {
                let marker = screen
                    .lines()
                    .rev()
                    .find(|l| l.contains("-- more ("))
                    .map(String::from);
                self.keys(&["Enter"]);
                // Wait for this page to be replaced before looking again.
                while marker.is_some()
                    && self
                        .screen()
                        .lines()
                        .rev()
                        .find(|l| l.contains("-- more ("))
                        .map(String::from)
                        == marker
                {
                    assert!(Instant::now() < end, "the pager did not move:\n{screen}");
                    std::thread::sleep(Duration::from_millis(50));
                }
            } else {
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(
                Instant::now() < end,
                "`{text}` did not appear; the screen:\n{screen}"
            );
        }
    }

    /// Preflight: Docker is missing, which with --no-start is only a warning.
    pub fn preflight(&self) {
        let screen = self.wait("Go on despite the warnings?");
        assert!(
            screen.contains("! Docker") || screen.contains("[!!] Docker"),
            "{screen}"
        );
        self.keys(&["Enter"]);
    }

    /// The consent question: take its default (yes on a new deployment).
    pub fn consent(&self) -> String {
        self.enter_at("Apply the host firewall and kernel settings now?")
    }

    /// The firewall is live and waits: log in from the laptop (a second session), press Enter
    /// here; selkie keeps it and ends. Returns the screen at the end.
    pub fn keep_from_second_login(&self) -> String {
        self.wait(KEEP_PROMPT);
        assert!(
            self.net.reaches(22),
            "SSH does not answer with the new firewall"
        );
        self.net.second_login();
        self.keys(&["Enter"]);
        self.wait("Confirmed: the ufw firewall applied at");
        self.wait("DONE-")
    }

    /// At the summary, choose to write.
    pub fn review_and_write(&self) -> String {
        self.enter_at("What now?")
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

pub fn read(host: &Host, rel: &str) -> String {
    std::fs::read_to_string(host.dir().join(rel)).unwrap()
}
