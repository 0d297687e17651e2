//! Installing Docker from the distribution's packages (the operator consented): the package
//! manager's output goes to a run log in the deployment directory behind a spinner, and the
//! daemon is started the way this host starts services — systemd, a SysV init script, or, with
//! no init system to ask, `dockerd` detached with its log next to the run log.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use super::DockerError;
use crate::error::{Error, Result};
use crate::host::on_path;
use crate::state;

/// How the daemon gets started on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `systemctl enable --now docker`.
    Systemd,
    /// `service docker start` and `update-rc.d docker defaults`: a SysV init runs the machine.
    SysV,
    /// No init system selkie can ask (a container, a minimal image): `dockerd` detached.
    Detached,
}

/// The start that fits: systemd when it booted the machine (`/run/systemd/system`), SysV when
/// PID 1 is `init` and the package left /etc/init.d/docker, else detached.
pub fn start_for(systemd_booted: bool, pid1: &str, init_script: bool) -> Start {
    if systemd_booted {
        Start::Systemd
    } else if pid1.trim() == "init" && init_script && on_path("service") {
        Start::SysV
    } else {
        Start::Detached
    }
}

/// This host's [`start_for`].
pub fn detect_start() -> Start {
    start_for(
        Path::new("/run/systemd/system").is_dir(),
        &std::fs::read_to_string("/proc/1/comm").unwrap_or_default(),
        Path::new("/etc/init.d/docker").exists(),
    )
}

/// The package manager's commands, given which exists (`has("apt-get")`); `None` when there is
/// none selkie knows.
pub fn package_commands(has: impl Fn(&str) -> bool) -> Option<Vec<Vec<String>>> {
    let cmds: &[&[&str]] = if has("apt-get") {
        &[
            &["apt-get", "update"],
            &["apt-get", "install", "-y", "docker.io"],
        ]
    } else if has("dnf") {
        &[&["dnf", "install", "-y", "moby-engine"]]
    } else {
        return None;
    };
    Some(words(cmds))
}

fn words(cmds: &[&[&str]]) -> Vec<Vec<String>> {
    cmds.iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// The start as commands, for the operator to read (and, but for `Detached`, to run).
pub fn start_commands(start: Start) -> Vec<Vec<String>> {
    match start {
        Start::Systemd => words(&[&["systemctl", "enable", "--now", "docker"]]),
        Start::SysV => words(&[
            &["service", "docker", "start"],
            &["update-rc.d", "docker", "defaults"],
        ]),
        Start::Detached => words(&[&["setsid", "dockerd"]]),
    }
}

/// Every command of an install on this host, for the wizard's question.
pub fn install_commands(has: impl Fn(&str) -> bool) -> Option<Vec<Vec<String>>> {
    let mut cmds = package_commands(has)?;
    cmds.extend(start_commands(detect_start()));
    Some(cmds)
}

/// Install Docker and start it; the output goes to `logs/docker-install-TIME.log` in `dir`.
pub fn install(dir: &Path) -> Result<()> {
    let Some(packages) = package_commands(on_path) else {
        return Err(DockerError::NoPackageManager.into());
    };
    let log = dir.join("logs").join(format!(
        "docker-install-{}.log",
        crate::utc::timestamp(SystemTime::now())
    ));
    let start = detect_start();
    let mut steps = packages;
    if start != Start::Detached {
        steps.extend(start_commands(start));
    }
    run_steps(&steps, &log)?;
    if start == Start::Detached {
        start_detached(&dir.join("logs").join("dockerd.log"))?;
    }
    println!(
        "  Docker is installed; the package manager's output is in {}",
        log.display()
    );
    Ok(())
}

/// Run each command with its output appended to `log`, behind a spinner; the first failure
/// stops with the log's last lines and what to do.
pub fn run_steps(steps: &[Vec<String>], log: &Path) -> Result<()> {
    // A run in the same second as the last shares its log, and appends.
    if std::fs::symlink_metadata(log).is_err() {
        state::write_atomic(log, b"", 0o600)?;
    }
    for cmd in steps {
        let (program, args) = cmd.split_first().ok_or(DockerError::EmptyCommand)?;
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_message(format!("{} (output: {})", cmd.join(" "), log.display()));
        spinner.enable_steady_tick(Duration::from_millis(120));
        state::append_line(log, &format!("$ {}", cmd.join(" ")))?;
        let status = Command::new(program)
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(append(log)?)
            .stderr(append(log)?)
            .status();
        spinner.finish_and_clear();
        let failure = match status {
            Ok(s) if s.success() => {
                println!("  done: {}", cmd.join(" "));
                continue;
            }
            Ok(s) => format!("`{}` failed ({s})", cmd.join(" ")),
            Err(e) => format!("could not run `{program}`: {e}"),
        };
        return Err(failure_with_log(&failure, log));
    }
    Ok(())
}

fn append(log: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(log)
        .map_err(|e| Error::io("cannot open", log, e))
}

/// The error for a failed step: its last log lines, and the fix the lines point to.
pub fn failure_with_log(failure: &str, log: &Path) -> Error {
    let text = state::read_nofollow(log)
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    DockerError::InstallFailed {
        failure: failure.to_string(),
        tail: crate::apply::tail(&text, 15),
        fix: fix_for(&text, is_root()),
        log: log.to_path_buf(),
    }
    .into()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// What to do about a package manager's failure, from its output.
pub fn fix_for(output: &str, root: bool) -> String {
    let has = |s: &str| output.contains(s);
    if !root || has("are you root") {
        "run selkie as root (sudo) so it can install packages".into()
    } else if has("Could not get lock") || has("is held by process") {
        "another package manager is running (often unattended-upgrades after boot): wait until it ends".into()
    } else if has("Unable to locate package")
        || has("No match for argument")
        || has("has no installation candidate")
    {
        "the distribution's package list has no Docker: run `apt-get update` (or enable the main/universe \
         repository), or install Docker by hand (docs.docker.com/engine/install)"
            .into()
    } else if has("does not have a Release file") || has("Malformed entry") || has("Malformed line")
    {
        "a package source is wrong: correct or remove the line the error names in /etc/apt/sources.list \
         or /etc/apt/sources.list.d/, and check it with `apt-get update`"
            .into()
    } else if has("Temporary failure resolving")
        || has("Could not resolve")
        || has("Failed to fetch")
    {
        "the package mirror cannot be reached: check the server's DNS and outbound network".into()
    } else if has("No space left") {
        "the disk is full: free some space (`apt-get clean`, old logs)".into()
    } else {
        "fix what the lines above say".into()
    }
}

/// Whether the local daemon answers `docker info` (the package installed the CLI).
fn answers() -> bool {
    Command::new("docker")
        .arg("info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Start `dockerd` in a session of its own, its output in `log`, and wait until it answers.
fn start_detached(log: &Path) -> Result<()> {
    state::write_atomic(log, b"", 0o600)?;
    println!(
        "  no init system to start Docker with: starting dockerd detached (log: {})",
        log.display()
    );
    let mut child = Command::new("setsid")
        .arg("dockerd")
        .stdin(Stdio::null())
        .stdout(append(log)?)
        .stderr(append(log)?)
        .spawn()
        .map_err(|e| failure_with_log(&format!("could not start dockerd: {e}"), log))?;
    // The socket appears before the daemon serves its API: wait until `docker info` answers.
    let started = Instant::now();
    while !answers() {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(failure_with_log(
                &format!("dockerd stopped ({status})"),
                log,
            ));
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(failure_with_log(
                "dockerd did not answer `docker info` within 60 s",
                log,
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    println!(
        "  dockerd runs, but nothing starts it after a reboot: add `setsid dockerd >>{} 2>&1 &` to the \
         host's start-up (e.g. /etc/rc.local)",
        log.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_follows_the_init_system() {
        assert_eq!(start_for(true, "systemd", true), Start::Systemd);
        assert_eq!(start_for(false, "bash", true), Start::Detached);
        assert_eq!(start_for(false, "tini", false), Start::Detached);
        if on_path("service") {
            assert_eq!(start_for(false, "init\n", true), Start::SysV);
        }
        assert_eq!(start_for(false, "init", false), Start::Detached);
        assert_eq!(
            start_commands(Start::Systemd),
            [["systemctl", "enable", "--now", "docker"]]
        );
    }

    #[test]
    fn docker_is_installed_with_the_distributions_manager() {
        let apt = package_commands(|c| c == "apt-get").unwrap();
        assert_eq!(apt[1], ["apt-get", "install", "-y", "docker.io"]);
        let dnf = package_commands(|c| c == "dnf").unwrap();
        assert_eq!(dnf[0], ["dnf", "install", "-y", "moby-engine"]);
        assert!(package_commands(|_| false).is_none());
        assert!(install_commands(|_| false).is_none());
    }

    #[test]
    fn a_failing_step_stops_with_its_last_lines_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("logs/install.log");
        let steps = vec![
            vec!["sh".into(), "-c".into(), "echo 'Reading package lists... Done'".into()],
            vec![
                "sh".into(),
                "-c".into(),
                "for i in $(seq 1 30); do echo line $i; done; \
                 echo 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812' >&2; exit 100"
                    .into(),
            ],
            vec!["sh".into(), "-c".into(), "echo never".into()],
        ];
        let err = run_steps(&steps, &log).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("failed (exit status: 100)"), "{text}");
        assert!(text.contains("  | E: Could not get lock"), "{text}");
        assert!(
            text.contains("  | line 30") && !text.contains("  | line 10\n"),
            "{text}"
        );
        let hint = err.hint().unwrap();
        if is_root() {
            assert!(
                hint.contains("another package manager is running"),
                "{hint}"
            );
        }
        assert!(hint.contains(&log.display().to_string()), "{hint}");
        let whole = std::fs::read_to_string(&log).unwrap();
        assert!(
            whole.contains(
                "$ sh -c echo 'Reading package lists... Done'\nReading package lists... Done\n"
            ),
            "{whole}"
        );
        assert!(!whole.contains("never"), "{whole}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(run_steps(&[vec!["true".into()]], &log).is_ok());
        let missing = run_steps(&[vec!["/nonexistent/apt-get".into()]], &log).unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("could not run `/nonexistent/apt-get`"),
            "{missing}"
        );
    }

    #[test]
    fn each_known_failure_gets_its_fix() {
        assert!(fix_for("E: Unable to locate package docker.io", true).contains("apt-get update"));
        assert!(fix_for("Temporary failure resolving 'deb.debian.org'", true).contains("DNS"));
        let typo = "E: The repository 'http://deb.debian.org/debian bookwarm Release' does not have a Release file.";
        assert!(fix_for(typo, true).contains("/etc/apt/sources.list"));
        assert!(fix_for("anything", false).contains("as root"));
        // As root, the hint never says to use sudo.
        assert!(!fix_for(
            "E: Sub-process /usr/bin/dpkg returned an error code (1)",
            true
        )
        .contains("sudo"));
    }
}
