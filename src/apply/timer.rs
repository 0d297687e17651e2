//! The revert's timer, which must not depend on selkie's process: a transient systemd timer
//! when systemd runs the machine, else an `at` job when atd is running, else a detached
//! `sleep; revert` in a session of its own (it survives selkie and the SSH session, not a reboot,
//! which reverts an unsaved ruleset anyway).

use super::ApplyError;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::host::on_path;

/// An armed revert, by the handle that cancels it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Timer {
    /// `systemd-run --on-active`: cancelled with `systemctl stop UNIT.timer`.
    Systemd { unit: String },
    /// An `at` job: cancelled with `atrm JOB`.
    At { job: u32 },
    /// `setsid sh -c 'sleep N; sh revert.sh'`: cancelled by killing its process group.
    Detached { pid: u32 },
}

/// Which timer this machine offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Systemd,
    At,
    Detached,
}

/// The first that works here: systemd when it is the init system and `systemd-run` exists,
/// `at` when atd is running, else the detached fallback.
pub fn choose(systemd_booted: bool, has_systemd_run: bool, atd_running: bool) -> Mechanism {
    if systemd_booted && has_systemd_run {
        Mechanism::Systemd
    } else if atd_running {
        Mechanism::At
    } else {
        Mechanism::Detached
    }
}

/// This machine's answer to [`choose`]: `/run/systemd/system` (sd_booted's test), and atd's
/// pid file naming a live process.
pub fn detect() -> Mechanism {
    let atd = std::fs::read_to_string("/run/atd.pid")
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
    choose(
        Path::new("/run/systemd/system").is_dir(),
        on_path("systemd-run"),
        atd && on_path("at") && on_path("atrm"),
    )
}

impl Timer {
    /// Refuse a handle that could name something else (read back from disk).
    pub fn check(&self) -> std::result::Result<(), String> {
        match self {
            Timer::Systemd { unit } if plain_unit(unit) => Ok(()),
            Timer::Systemd { unit } => Err(format!("`{unit}` is not a unit selkie names")),
            Timer::At { .. } => Ok(()),
            Timer::Detached { pid } if *pid > 1 => Ok(()),
            Timer::Detached { pid } => Err(format!("`{pid}` is not a process id selkie kept")),
        }
    }

    /// How the operator reads it.
    pub fn describe(&self) -> String {
        match self {
            Timer::Systemd { unit } => format!("systemd timer {unit}.timer"),
            Timer::At { job } => format!("at job {job}"),
            Timer::Detached { pid } => format!("detached process {pid}"),
        }
    }
}

fn plain_unit(unit: &str) -> bool {
    unit.starts_with("selkie-revert-")
        && unit.len() < 80
        && unit.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `at now + N minutes` fires at the start of a minute: this many minutes never fire before
/// `after`, and at most two minutes past it.
pub fn at_minutes(after: Duration) -> u64 {
    after.as_secs().div_ceil(60) + 1
}

/// Arm `sh SCRIPT` to run `after` from now by `how`; `log` takes the fallback's output.
pub fn arm(how: Mechanism, script: &Path, id: &str, after: Duration, log: &Path) -> Result<Timer> {
    let script_arg = script.to_string_lossy().into_owned();
    match how {
        Mechanism::Systemd => {
            let unit = format!("selkie-revert-{}", id.to_ascii_lowercase());
            let out = run(
                "systemd-run",
                &[
                    &format!("--unit={unit}"),
                    &format!("--on-active={}s", after.as_secs().max(1)),
                    "--timer-property=AccuracySec=1s",
                    "/bin/sh",
                    &script_arg,
                ],
                None,
            )?;
            ok(&out, "systemd-run")?;
            Ok(Timer::Systemd { unit })
        }
        Mechanism::At => {
            let when = format!("now + {} minutes", at_minutes(after));
            let line = format!("/bin/sh {}\n", quote(&script_arg));
            let out = run("at", &[&when], Some(&line))?;
            ok(&out, "at")?;
            // at reports "job 7 at Mon Nov 30 07:14:00 2026" on stderr.
            let text = String::from_utf8_lossy(&out.stderr);
            let job = text
                .split_whitespace()
                .skip_while(|w| *w != "job")
                .nth(1)
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| failed("at", &format!("no job number in its answer: {text}")))?;
            Ok(Timer::At { job })
        }
        Mechanism::Detached => detached(&script_arg, after, log),
    }
}

fn detached(script: &str, after: Duration, log: &Path) -> Result<Timer> {
    let out = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(log)
        .map_err(|e| Error::io("cannot open", log, e))?;
    let err = out
        .try_clone()
        .map_err(|e| Error::io("cannot open", log, e))?;
    // setsid(1) execs in place (the child is no group leader): the pid is the shell's, and it
    // leads a session of its own, so neither a hang-up nor selkie's exit reaches it.
    let child = Command::new("setsid")
        .args([
            "sh",
            "-c",
            "sleep \"$1\"; exec /bin/sh \"$2\"",
            "selkie-revert",
        ])
        .arg(after.as_secs().max(1).to_string())
        .arg(script)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| failed("setsid", &e.to_string()))?;
    let pid = child.id();
    // Returned once setsid has made the session and run the shell, so a cancel finds both.
    for _ in 0..300 {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline.starts_with(b"sh\0") {
            return Ok(Timer::Detached { pid });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(failed(
        "setsid",
        "the detached shell did not start within 3 s",
    ))
}

/// systemctl's exit status for a unit that is not loaded.
const NOT_LOADED: i32 = 5;

/// Cancel an armed revert; the `confirmed` marker stops it anyway should this fail.
pub fn cancel(timer: &Timer, script: &Path) -> Result<()> {
    match timer {
        Timer::Systemd { unit } => {
            // The service too, should the timer have fired already (it waits on the lock). A
            // unit that is not loaded (exit 5) is stopped already: a service that never ran, a
            // timer that fired and is gone.
            for kind in ["timer", "service"] {
                let out = run("systemctl", &["stop", &format!("{unit}.{kind}")], None)?;
                if out.status.code() != Some(NOT_LOADED) {
                    ok(&out, "systemctl stop")?;
                }
            }
            Ok(())
        }
        Timer::At { job } => {
            let out = run("atrm", &[&job.to_string()], None)?;
            ok(&out, "atrm")
        }
        Timer::Detached { pid } => {
            // Only the process selkie started: its command line names the revert script.
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let ours = String::from_utf8_lossy(&cmdline).contains(&*script.to_string_lossy());
            if ours {
                // SAFETY: a signal to the process group the detached revert leads.
                unsafe { libc::kill(-(*pid as libc::pid_t), libc::SIGTERM) };
            }
            Ok(())
        }
    }
}

fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<std::process::Output> {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(program, &e.to_string()))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|e| failed(program, &e.to_string()))?;
    }
    child
        .wait_with_output()
        .map_err(|e| failed(program, &e.to_string()))
}

fn ok(out: &std::process::Output, what: &str) -> Result<()> {
    if out.status.success() {
        return Ok(());
    }
    Err(failed(what, String::from_utf8_lossy(&out.stderr).trim()))
}

fn failed(what: &str, why: &str) -> Error {
    ApplyError::Timer {
        what: what.into(),
        why: why.into(),
    }
    .into()
}

/// Single-quote for sh.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_first_then_at_then_the_detached_fallback() {
        assert_eq!(choose(true, true, true), Mechanism::Systemd);
        assert_eq!(choose(true, false, true), Mechanism::At);
        // systemd-run on a machine that systemd does not run (a container) cannot start a timer.
        assert_eq!(choose(false, true, false), Mechanism::Detached);
        assert_eq!(choose(false, false, true), Mechanism::At);
    }

    #[test]
    fn at_jobs_never_fire_before_the_deadline() {
        // `now + N minutes` fires at a minute's start: between N-1 and N minutes from now.
        for secs in [1, 5, 59, 60, 61, 300] {
            let n = at_minutes(Duration::from_secs(secs));
            assert!((n - 1) * 60 >= secs, "{secs}s -> {n} minutes");
            assert!((n - 1) * 60 < secs + 60, "{secs}s -> {n} minutes");
        }
    }

    #[test]
    fn handles_read_back_are_checked() {
        assert!(Timer::Systemd {
            unit: "selkie-revert-20261130t071233z".into()
        }
        .check()
        .is_ok());
        assert!(Timer::Systemd {
            unit: "sshd".into()
        }
        .check()
        .is_err());
        assert!(Timer::Systemd {
            unit: "selkie-revert-x;rm".into()
        }
        .check()
        .is_err());
        assert!(Timer::Detached { pid: 1 }.check().is_err());
        assert!(Timer::Detached { pid: 77 }.check().is_ok());
    }

    #[test]
    fn the_detached_revert_runs_after_its_delay_and_cancels() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("revert.sh");
        std::fs::write(
            &script,
            format!(
                "echo ran > {}\n",
                quote(&dir.path().join("ran").to_string_lossy())
            ),
        )
        .unwrap();
        let log = dir.path().join("revert.log");
        arm(
            Mechanism::Detached,
            &script,
            "a",
            Duration::from_secs(1),
            &log,
        )
        .unwrap();
        let start = std::time::Instant::now();
        while !dir.path().join("ran").exists() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(dir.path().join("ran").exists(), "the revert ran by itself");
        std::fs::remove_file(dir.path().join("ran")).unwrap();
        let timer = arm(
            Mechanism::Detached,
            &script,
            "b",
            Duration::from_secs(2),
            &log,
        )
        .unwrap();
        cancel(&timer, &script).unwrap();
        std::thread::sleep(Duration::from_secs(3));
        assert!(
            !dir.path().join("ran").exists(),
            "a cancelled revert does not run"
        );
    }
}
