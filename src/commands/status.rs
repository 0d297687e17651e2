//! `selkie status`: the live dashboard on a terminal; `--once` a table and `--json` for scripts.
//! Exit 0 when everything required is healthy, 1 when degraded or down, 2 for usage errors.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::CommandError;
use crate::cli::StatusArgs;
use crate::error::Result;
use crate::health::{self, Snapshot, Status};
use crate::plan::Plan;

use crate::report;

/// Run `selkie status`.
pub fn run(args: &StatusArgs) -> Result<()> {
    let dir = super::resolve_dir(&args.dir);
    super::report_dir(&dir, show(args, &dir))
}

fn show(args: &StatusArgs, dir: &Path) -> Result<()> {
    let (interval, timeout) = (args.interval, args.timeout);
    let answers = super::saved_answers(dir)?;
    let plan = super::plan_for(&answers, &super::detect_host())?;
    let interactive = !args.once && !args.json && std::io::stdout().is_terminal();
    if interactive {
        return crate::dashboard::run_live(plan, dir, interval, timeout);
    }
    let snapshot = super::runtime()?.block_on(once(&plan, timeout, health::Stats::Sampled));
    if args.json {
        let body = serde_json::json!({
            "overall": snapshot.overall(),
            "judged_from": snapshot.judged_from,
            "unseen": health::vantage::UNSEEN,
            "docker": snapshot.docker,
            "services": snapshot.services,
            "checks": snapshot.checks,
        });
        let text = serde_json::to_string_pretty(&body).map_err(|source| CommandError::Json {
            what: "status",
            source,
        })?;
        println!("{text}");
    } else {
        print!("{}", report::status::describe(&plan, &snapshot));
    }
    verdict(&snapshot)
}

/// One probe round, connecting to Docker if it answers; `stats` says whether CPU and memory
/// are worth Docker's sampling time.
pub async fn once(plan: &Plan, timeout: Duration, stats: health::Stats<'_>) -> Snapshot {
    let docker = crate::docker::live::try_connect(timeout).await;
    health::collect(
        plan,
        docker.as_ref().map_err(String::as_str),
        PathBuf::from("/proc"),
        timeout,
        stats,
    )
    .await
}

/// Exit 1 unless every required part is healthy, so `selkie status --once` fits cron and monitors.
fn verdict(snapshot: &Snapshot) -> Result<()> {
    match snapshot.overall() {
        Status::Healthy => Ok(()),
        other => {
            let failing: Vec<String> = snapshot
                .services
                .iter()
                .filter(|s| s.status != Status::Healthy)
                .map(|s| s.service.clone())
                .chain(
                    snapshot
                        .checks
                        .iter()
                        .filter(|c| {
                            c.check.required
                                && matches!(c.verdict.status, Status::Down | Status::Degraded)
                        })
                        .map(|c| c.check.label.clone()),
                )
                .collect();
            Err(CommandError::NotHealthy {
                overall: other.as_str(),
                failing,
            }
            .into())
        }
    }
}
