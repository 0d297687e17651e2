//! Before the questions: the read-only preflight checklist. Blocking problems stop the wizard
//! with what to do; warnings let the operator go on. Docker is needed only to start containers, so with
//! `--no-start` (or `--install-docker`, which installs it later) a Docker failure is a warning.

use crate::error::Error;
use crate::host::{HostFacts, Sources};
use crate::preflight::{self, Checklist, Finding, Mark};
use crate::setup;
use crate::wizard::log::RunLog;
use crate::wizard::prompt::{self, Asked};
use crate::wizard::terminal::Style;
use crate::wizard::WizardError;

/// Run the checks, show them, and stop on a blocking one. Returns whether the operator agreed to
/// install Docker (offered when it is missing and containers are to be started).
pub fn run(
    run_options: &setup::Options,
    dir: &std::path::Path,
    host: &HostFacts,
    style: &Style,
    resume: bool,
    log: &mut RunLog,
) -> Asked<bool> {
    let how = setup::Survey {
        deploy_dir: dir.to_path_buf(),
        ..setup::Survey::default()
    };
    let sources = Sources::system();
    let facts = setup::runtime()?.block_on(setup::survey(host.clone(), &sources, &how));
    let report = preflight::check(&facts, &preflight::first_run_ports(), resume);
    let mut report = relax(report, run_options.no_start || run_options.install_docker);
    let cols = crate::wizard::terminal::width();
    style.say("selkie setup: preflight checks (read-only)\n");
    print!("{}", preflight::render_width(&report, style.unicode, cols));
    let mut install = false;
    let only_docker_missing = report.blocking()
        && report
            .items
            .iter()
            .filter(|i| i.mark == Mark::Fail)
            .all(|i| i.finding == Finding::DockerMissing);
    if only_docker_missing {
        if let Some(commands) = crate::docker::install::install_commands(crate::host::on_path) {
            let shown: Vec<String> = commands.iter().map(|c| c.join(" ")).collect();
            install = prompt::confirm(
                "Docker is missing. Install it from your distribution's packages once the \
                 questions are answered?",
                true,
                &format!("runs: {}", shown.join("; ")),
            )?;
            if install {
                log.note("the operator agreed to install Docker");
                report = relax(report, true);
            }
        }
    }
    for item in &report.items {
        log.note(format!(
            "check {:?}: {}: {}",
            item.mark, item.title, item.detail
        ));
    }
    if report.blocking() {
        return Err(Error::from(WizardError::Blocked).into());
    }
    if install {
        // Agreeing to the install was the answer to going on.
        return Ok(install);
    }
    let warned = report.items.iter().any(|i| i.mark == Mark::Warn);
    let question = if warned {
        "Go on despite the warnings?"
    } else {
        "All checks passed. Go on?"
    };
    let go_on = prompt::confirm(
        question,
        true,
        "y: go on to the questions; n, Esc or Ctrl-C: stop here",
    )?;
    if go_on {
        Ok(install)
    } else {
        Err(prompt::Stop::Cancelled)
    }
}

/// Docker is not needed when no container is started now (or it will be installed first).
pub fn relax(mut report: Checklist, docker_optional: bool) -> Checklist {
    if docker_optional {
        for item in &mut report.items {
            if item.mark == Mark::Fail && item.finding.docker_unavailable() {
                item.mark = Mark::Warn;
                item.detail
                    .push_str(" (not needed yet: no container is started by this run)");
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::Item;

    #[test]
    fn docker_blocks_only_when_containers_start() {
        let report = Checklist {
            items: vec![
                Item::new(Mark::Fail, "Docker", "no socket").about(Finding::DockerMissing),
                Item::new(Mark::Ok, "Memory", "2 GiB"),
            ],
        };
        assert!(relax(report.clone(), false).blocking());
        let relaxed = relax(report, true);
        assert!(!relaxed.blocking());
        assert_eq!(relaxed.items[0].mark, Mark::Warn);
    }
}
