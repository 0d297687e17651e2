//! `selkie check`: join the deployment as a browser would and try every media path on its own.
//! On the server it mints its own token; `--url/--token` is the outside view from any machine.
//! Exit 0 when no required path failed, 1 otherwise, 2 for usage errors.

use std::path::Path;
use std::time::{Duration, Instant};

use super::CommandError;
use crate::check::{self, CheckReport, Target, Tokens};
use crate::cli::CheckArgs;
use crate::error::{Error, Result};
use crate::health::{acme, probes};
use crate::plan::Plan;

/// Run `selkie check`.
pub fn run(args: &CheckArgs) -> Result<()> {
    let report = match (&args.url, &args.token) {
        (Some(url), Some(token)) => {
            let target = Target {
                url: url.clone(),
                tokens: Tokens::Given(token.clone()),
                roots: probes::system_roots(),
                planned: None,
                from_server: false,
                outside_command: None,
            };
            super::runtime()?.block_on(check::run(&target))
        }
        (None, None) => {
            let dir = super::resolve_dir(&args.dir);
            super::report_dir(&dir, on_server(&dir))?
        }
        _ => {
            return Err(Error::invalid(
                "--url and --token go together",
                "give both for the outside view (`selkie token` on the server prints them), or neither on the server",
            ))
        }
    };
    print(&report, args.json)?;
    verdict(&report)
}

/// The check from the server, with the deployment's plan, keys and CA.
pub fn on_server(dir: &Path) -> Result<CheckReport> {
    let answers = super::saved_answers(dir)?;
    let plan = super::plan_for(&answers, &super::detect_host())?;
    super::runtime()?.block_on(check::server::check(dir, &plan))
}

fn print(report: &CheckReport, json: bool) -> Result<()> {
    if json {
        let text = serde_json::to_string_pretty(&check::to_json(report)).map_err(|source| {
            CommandError::Json {
                what: "check",
                source,
            }
        })?;
        println!("{text}");
    } else {
        print!("{}", check::render(report));
    }
    Ok(())
}

fn verdict(report: &CheckReport) -> Result<()> {
    if report.passed() {
        return Ok(());
    }
    let failed = match &report.signalling_error {
        Some(e) => CommandError::SignallingFailed(e.error.clone()),
        None => CommandError::PathsFailed {
            paths: report
                .paths
                .iter()
                .filter(|p| p.required && matches!(p.outcome, check::PathOutcome::Failed { .. }))
                .map(|p| format!("{} {}", p.transport.label(), p.target))
                .collect(),
        },
    };
    Err(failed.into())
}

/// Right after setup the proxy may still be obtaining a name's certificate: a check that failed
/// only on a TLS handshake is run again, every few seconds, for at most this long.
const CERTIFICATE_GRACE: Duration = Duration::from_secs(60);

/// How long reading the proxy's log may take.
const PROBE: Duration = Duration::from_secs(2);

/// The check that ends `selkie setup` once the stack is healthy: informational (the stack is up
/// either way), so "done" says whether people on other networks get through.
pub fn after_setup(plan: &Plan, dir: &Path) -> Result<()> {
    let runtime = super::runtime()?;
    let mut report = runtime.block_on(check::server::check(dir, plan))?;
    if report.waits_for_certificate() {
        crate::report::wrap::say(&format!(
            "\nWaiting for the proxy to obtain its certificates (at most {} s)…",
            CERTIFICATE_GRACE.as_secs()
        ));
        let docker = runtime.block_on(crate::docker::connect::connect()).ok();
        let deadline = Instant::now() + CERTIFICATE_GRACE;
        while report.waits_for_certificate() && Instant::now() < deadline {
            // An order the CA refused is retried only a minute later at the soonest: say why
            // now rather than wait it out.
            let failed = match &docker {
                Some(d) => runtime.block_on(acme::failed_orders(d, plan, PROBE)),
                None => Vec::new(),
            };
            if !failed.is_empty() {
                for (id, why) in failed {
                    crate::report::wrap::say(&format!("No certificate for {id} yet. {why}"));
                }
                break;
            }
            std::thread::sleep(Duration::from_secs(3));
            report = runtime.block_on(check::server::check(dir, plan))?;
        }
    }
    println!("\nMedia paths, joined as a browser would (`selkie check`):");
    print!("{}", check::render(&report));
    Ok(())
}
