//! `selkie setup`: parse the flags, run the setup pipeline (by the wizard on a terminal), report.

pub(crate) mod flags;

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use crate::cli::{Pull, SetupArgs};
use crate::docker::PullPolicy;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::report;
use crate::setup::{self, Options};
use crate::state;

/// Run `selkie setup`.
pub fn run(args: &SetupArgs) -> Result<()> {
    let dir = super::resolve_dir(&args.dir);
    super::report_dir(&dir, run_in(args, &dir))
}

fn run_in(args: &SetupArgs, dir: &Path) -> Result<()> {
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(Error::invalid(
            "setup needs a terminal to ask its questions (standard input is not one)",
            "run `selkie setup --non-interactive --domain NAME` (or --ip ADDR), with --preset, --proxy, \
             --participants and --provider as needed; `selkie setup --help` lists every flag",
        ));
    }
    // Flags are checked before anything else (a typo creates nothing); then the lock is taken
    // before anything is read, and held until the run ends.
    let options = options(args)?;
    let flags = flags::parse(args)?;
    let _lock = state::lock_if_exists(dir)?;
    setup::check_secrets(dir, options.new_secrets)?;
    let host = super::detect_host();
    let (committed, log, install_docker) = if interactive {
        let (committed, log, install) = crate::wizard::run(&flags, &options, dir, &host)?;
        (committed, Some(log), install)
    } else {
        (
            setup::from_flags(&flags, &options, dir, &host)?,
            None,
            false,
        )
    };
    let width = report::wrap::stdout_width();
    print!(
        "{}",
        report::wrap::fit(&report::setup::summary(&committed), width)
    );
    let reminder = host_changes(&committed, dir, &host, &options, interactive)?;
    let result = if options.no_start {
        let installed = if options.install_docker || install_docker {
            setup::install_docker_if_missing(dir)
        } else {
            Ok(())
        };
        installed.map(|()| {
            report::wrap::say(
                "\nContainers not started (--no-start): `selkie setup --resume` starts them.",
            )
        })
    } else {
        setup::apply(
            &committed,
            dir,
            options.install_docker || install_docker,
            options.pull,
            options.health_timeout,
        )
        .and_then(|converged| {
            if args.no_check {
                Ok(())
            } else if !setup::changed_anything(&committed, converged) {
                report::wrap::say(
                    "\nNothing changed, so no media check ran: `selkie check` runs one.",
                );
                Ok(())
            } else {
                super::check::after_setup(&committed.plan, dir)
            }
        })
        .and_then(|()| show_health(&committed.plan, dir))
    };
    if let Some(log) = log {
        report::wrap::say(&format!("\nLog of this run: {}", log.display()));
    }
    if let Some(reminder) = reminder {
        report::wrap::say(&format!(
            "\nThe host firewall waits for your confirmation:\n{reminder}"
        ));
    }
    result
}

/// Apply what the operator consented to on the host. On a terminal the wizard then waits for
/// the operator to keep the firewall (Enter once a new SSH login works, or `selkie confirm` from
/// it) before the stack starts. The reminder to print at the end, when it still waits.
fn host_changes(
    committed: &setup::Committed,
    dir: &Path,
    host: &crate::host::HostFacts,
    options: &Options,
    interactive: bool,
) -> Result<Option<String>> {
    let within = options.confirm_within;
    let reminder = setup::host_changes(committed, dir, host, within, &report::wrap::say)?;
    if interactive && reminder.is_some() && crate::wizard::confirm::wait(dir, &committed.plan)? {
        return Ok(None);
    }
    Ok(reminder)
}

/// The run's options from the flags that are not answers.
fn options(args: &SetupArgs) -> Result<Options> {
    let pull = match args.pull {
        Pull::Missing => PullPolicy::Missing,
        Pull::Always => PullPolicy::Always,
    };
    let health_timeout = Duration::from_secs(args.health_timeout);
    Ok(Options {
        resume: args.resume,
        force: args.force,
        new_secrets: args.new_secrets,
        no_start: args.no_start,
        install_docker: args.install_docker,
        pull,
        health_timeout,
        confirm_within: crate::apply::parse_within(&args.confirm_within)?,
    })
}

/// Live health once the stack is up: the dashboard on a terminal, the `--once` table otherwise
/// (informational: setup itself already waited until every service was healthy).
fn show_health(plan: &Plan, dir: &Path) -> Result<()> {
    let probe = Duration::from_secs(2);
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return crate::dashboard::run_live(plan.clone(), dir, Duration::from_secs(2), probe);
    }
    // Setup has just waited for health; its closing table skips Docker's stats sampling.
    let snapshot =
        super::runtime()?.block_on(super::status::once(plan, probe, crate::health::Stats::Skip));
    println!("\n{}", report::status::describe(plan, &snapshot));
    Ok(())
}
