//! A terminal to run `selkie status` in and read back: a tmux server of its own (its socket in a
//! temporary directory, so runs never share one and leave nothing behind) with one 80x24 session;
//! killed on drop. Shared by tests/status_e2e.rs and benches/status.rs.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Polls happen this often.
pub const POLL: Duration = Duration::from_millis(100);

pub struct Tmux {
    dir: tempfile::TempDir,
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

impl Tmux {
    /// Starts `command` (run by /bin/sh) in a detached 80x24 session.
    pub fn start(command: &str) -> Tmux {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // A known setup whatever ~/.tmux.conf says: sh in every pane, tmux's own terminal type,
        // no status line (the pane gets all 24 rows), and a pane whose program died stays, to
        // show why.
        std::fs::write(
            dir.path().join("tmux.conf"),
            "set -g default-shell /bin/sh\n\
             set -g default-terminal screen-256color\n\
             set -g status off\n\
             set -g remain-on-exit on\n",
        )
        .expect("writing the tmux config");
        let tmux = Tmux { dir };
        tmux.ok(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "80",
            "-y",
            "24",
            command,
        ]);
        tmux
    }

    /// `tmux ARGS` against this server, whatever its exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(self.dir.path().join("socket"))
            .arg("-f")
            .arg(self.dir.path().join("tmux.conf"))
            .args(args)
            // The server inherits this environment: UTF-8, so it stores and captures what the
            // pane draws as it is (a non-UTF-8 client would see `_` for wide characters).
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .env_remove("TMUX")
            .env("SHELL", "/bin/sh")
            .output()
            .expect("tmux runs (apt-get install tmux)")
    }

    /// `tmux ARGS`, which must succeed; its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`tmux {}` failed:\n{}",
            args.join(" "),
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen as text.
    pub fn screen(&self) -> String {
        self.ok(&["capture-pane", "-p", "-t", "t"])
    }

    /// The visible screen with its attributes as escape sequences (`capture-pane -e`), raw.
    pub fn screen_escapes(&self) -> Vec<u8> {
        let out = self.run(&["capture-pane", "-p", "-e", "-t", "t"]);
        assert!(out.status.success(), "capture-pane -e: {}", text(&out));
        out.stdout
    }

    /// A tmux format about the pane (`#{alternate_on}`).
    pub fn format(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "t", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The process id of the pane's program.
    pub fn pane_pid(&self) -> u32 {
        self.format("#{pane_pid}")
            .parse()
            .expect("tmux names the pane's process")
    }

    /// Appends every byte the pane's program writes to the terminal to `file` from now on.
    pub fn copy_output_to(&self, file: &Path) {
        let file = file.to_str().expect("temporary paths are UTF-8 here");
        self.ok(&["pipe-pane", "-o", "-t", "t", &format!("cat >> '{file}'")]);
    }

    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.ok(&["send-keys", "-t", "t", key]);
        }
    }

    /// Polls the screen until `ok` holds; returns it and how long it took; panics with the last
    /// screen after `timeout`.
    pub fn wait(
        &self,
        what: &str,
        timeout: Duration,
        ok: impl Fn(&str) -> bool,
    ) -> (String, Duration) {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return (screen, started.elapsed());
            }
            if started.elapsed() > timeout {
                panic!("the screen did not show {what} within {timeout:?}; it shows:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
