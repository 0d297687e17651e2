//! Apply: the host changes the operator consented to (firewall, kernel settings), then start
//! (or converge) the stack through the Docker API and wait until it is healthy.

use std::path::Path;
use std::time::Duration;

use super::{Committed, SetupError};
use crate::apply;
use crate::docker::{connect, converge, PullPolicy};
use crate::error::{Error, Result};
use crate::host::{installed_host_firewall, HostFacts};

/// Bring the written deployment up; installs Docker first when it is missing and allowed.
/// What starting the stack did, once every service is healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converged {
    /// A container was created, recreated, started or removed.
    Changed,
    /// Every container already ran as planned.
    Unchanged,
}

pub fn apply(
    outcome: &Committed,
    dir: &Path,
    install_docker: bool,
    policy: PullPolicy,
    timeout: Duration,
) -> Result<Converged> {
    super::runtime()?.block_on(async {
        let docker = match connect::connect().await {
            Ok(d) => d,
            Err(connect::Unreachable::NoSocket(_)) if install_docker => {
                install_docker_now(dir)?;
                connect::connect()
                    .await
                    .map_err(connect::Unreachable::into_error)?
            }
            Err(e) => return Err(e.into_error()),
        };
        println!(
            "\nStarting the stack through Docker ({})",
            connect::endpoint()
        );
        let result = converge::converge(
            &docker,
            &outcome.plan,
            dir,
            &outcome.secrets,
            policy,
            timeout,
        )
        .await?;
        if result.failures.is_empty() {
            println!(
                "All {} services are healthy. LiveKit: {}",
                outcome.plan.services.len(),
                outcome.plan.urls.livekit
            );
            let changed = result
                .changes
                .iter()
                .any(|(_, c)| *c != crate::docker::reconcile::Change::Unchanged);
            return Ok(if changed {
                Converged::Changed
            } else {
                Converged::Unchanged
            });
        }
        for failure in &result.failures {
            eprintln!("\n{}", failure.report());
        }
        let services = result
            .failures
            .iter()
            .map(|f| f.service.to_string())
            .collect();
        Err(SetupError::Unhealthy { services }.into())
    })
}

fn install_docker_now(dir: &Path) -> Result<()> {
    println!("\nDocker is not installed; installing it from the distribution's packages:");
    crate::docker::install::install(dir)
}

/// `--install-docker` with `--no-start`: install Docker when it is missing (the operator asked
/// for it), and start nothing. A Docker that is there but does not answer is left for the run
/// that starts the stack to report.
pub fn install_docker_if_missing(dir: &Path) -> Result<()> {
    super::runtime()?.block_on(async {
        match connect::connect().await {
            Err(connect::Unreachable::NoSocket(_)) => {
                install_docker_now(dir)?;
                connect::connect()
                    .await
                    .map(drop)
                    .map_err(connect::Unreachable::into_error)
            }
            Ok(_) | Err(_) => Ok(()),
        }
    })
}

/// Apply what the operator consented to (`answers.apply`) on the host itself: the sysctl
/// drop-in, then the host firewall, commit-confirmed. Returns the reminder to print again at
/// the end of the run, when a confirmation is awaited. `say` prints a message (wrapped to the
/// terminal by the caller).
pub fn host_changes(
    outcome: &Committed,
    dir: &Path,
    host: &HostFacts,
    within: Duration,
    say: &dyn Fn(&str),
) -> Result<Option<String>> {
    let consent = &outcome.answers.apply;
    if consent.sysctl {
        let (target, unset) =
            apply::sysctl::apply(dir, Path::new("/etc/sysctl.d"), Path::new("/proc/sys"))?;
        say(&format!(
            "\nKernel settings installed as {} and loaded.",
            target.display()
        ));
        if !unset.is_empty() {
            say(&format!(
                "  warning: this kernel kept its own value of {} (read-only here, as in some \
                 containers). LiveKit still works, with less room for bursts of media; ask the \
                 provider to raise it.",
                unset.join(", ")
            ));
        }
    }
    if !consent.firewall {
        return Ok(None);
    }
    let plan = &outcome.plan;
    let session = apply::session::current(Path::new("/proc"));
    if session.is_none() && host.ssh_guessed && outcome.answers.ssh.ports.is_empty() {
        return Err(Error::invalid(
            "cannot tell which port sshd listens on (no SSH session, no readable sshd_config), so applying \
             the firewall could lock SSH out",
            "give it with --ssh-port PORT (repeatable), then run again",
        ));
    }
    let kind = consent
        .host_firewall
        .unwrap_or_else(|| installed_host_firewall(plan.firewall.provider));
    let request = apply::Request {
        dir,
        plan,
        kind,
        within,
        session,
        mechanism: apply::timer::detect(),
    };
    let ssh: Vec<String> = plan
        .firewall
        .ssh
        .iter()
        .map(|r| format!("{}/tcp", r.label()))
        .collect();
    match apply::firewall(&request)? {
        apply::Applied::Unchanged => {
            say(&format!(
                "\nHost firewall ({kind}): unchanged since it was confirmed; not applied again."
            ));
            Ok(None)
        }
        apply::Applied::Kept => {
            say(&format!(
                "\nHost firewall ({kind}) applied and kept (--confirm-within 0). SSH: {}.",
                ssh.join(", ")
            ));
            Ok(None)
        }
        apply::Applied::Waiting(p) => {
            let reminder = confirm_reminder(&p, dir, within);
            say(&format!(
                "\nHost firewall ({kind}) applied; SSH stays open on {}.\n{reminder}",
                ssh.join(", ")
            ));
            Ok(Some(reminder))
        }
    }
}

/// What the operator must do to keep the firewall, and when it reverts otherwise.
fn confirm_reminder(p: &apply::Pending, dir: &Path, within: Duration) -> String {
    let how = p.timer.as_ref().map(|t| t.describe()).unwrap_or_default();
    let late = match p.timer {
        Some(apply::Timer::At { .. }) => "; an at job runs up to 2 minutes later",
        _ => "",
    };
    format!(
        "  It reverts by itself at {} ({}s from now{late}) unless you\n  \
         keep it: open a NEW ssh connection to this server and run there\n    \
         selkie confirm --dir {}\n  \
         If that login fails, do nothing: the old rules come back by themselves.\n  \
         (The revert waits in: {how}.)",
        apply::clock(p.reverts_after),
        within.as_secs(),
        dir.display()
    )
}
