//! Readiness without Docker's schedule: a container's own healthcheck command, run by selkie as
//! soon as the container runs. Docker runs the first check only after its interval (5 s here),
//! so waiting for Docker's verdict makes every start take at least that long.

use std::time::{Duration, Instant};

use bollard::exec::{CreateExecOptions, StartExecOptions};
use bollard::Docker;

/// How long one run of the healthcheck command may take.
const EXEC_TIMEOUT: Duration = Duration::from_secs(3);

/// The command a healthcheck test runs: `["CMD", args…]` or `["CMD-SHELL", script]`.
pub fn command(test: &[String]) -> Option<Vec<String>> {
    match test.split_first()? {
        (kind, args) if kind == "CMD" && !args.is_empty() => Some(args.to_vec()),
        (kind, [script]) if kind == "CMD-SHELL" => {
            Some(vec!["/bin/sh".into(), "-c".into(), script.clone()])
        }
        _ => None,
    }
}

/// Runs `cmd` in `container` and tells whether it exited 0 within `EXEC_TIMEOUT` (3 s).
pub async fn passes(docker: &Docker, container: &str, cmd: &[String]) -> bool {
    let created = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(cmd.to_vec()),
                attach_stdout: Some(false),
                attach_stderr: Some(false),
                ..Default::default()
            },
        )
        .await;
    let Ok(exec) = created else {
        return false;
    };
    let started = docker
        .start_exec(
            &exec.id,
            Some(StartExecOptions {
                detach: true,
                ..Default::default()
            }),
        )
        .await;
    if started.is_err() {
        return false;
    }
    let deadline = Instant::now() + EXEC_TIMEOUT;
    while Instant::now() < deadline {
        match docker.inspect_exec(&exec.id).await {
            Ok(info) if info.running == Some(false) => return info.exit_code == Some(0),
            Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(_) => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthcheck_tests_become_commands() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            command(&v(&["CMD", "pg_isready", "-U", "x"])),
            Some(v(&["pg_isready", "-U", "x"]))
        );
        assert_eq!(
            command(&v(&["CMD-SHELL", "redis-cli ping | grep PONG"])),
            Some(v(&["/bin/sh", "-c", "redis-cli ping | grep PONG"]))
        );
        assert_eq!(command(&v(&["NONE"])), None);
        assert_eq!(command(&v(&["CMD"])), None);
    }
}
