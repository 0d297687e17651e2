//! `selkie status`: the live dashboard on a terminal; `--once` a table and `--json` for scripts.
//! Exit 0 when everything required is healthy, 1 when degraded or down, 2 for usage errors.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::StatusArgs;
use crate::docker::connect;
use crate::error::{Error, Result};
use crate::health::{self, DockerState, Snapshot, Status};
use crate::plan::Plan;

use crate::report::table;

/// Run `selkie status`.
pub fn run(args: &StatusArgs) -> Result<()> {
    let dir = super::resolve_dir(&args.dir);
    super::report_dir(&dir, show(args, &dir))
}

fn seconds(text: &str, flag: &str, default_hint: &str) -> Result<Duration> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| (0.1..=3600.0).contains(s))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            Error::invalid(
                format!("`{flag} {text}` is not a number of seconds"),
                format!("give seconds from 0.1 to 3600 ({default_hint})"),
            )
        })
}

fn show(args: &StatusArgs, dir: &Path) -> Result<()> {
    let interval = seconds(&args.interval, "--interval", "default 2")?;
    let timeout = seconds(&args.timeout, "--timeout", "default 2")?;
    let answers = super::saved_answers(dir)?;
    let plan = super::plan_for(&answers, &super::detect_host())?;
    let interactive = !args.once && !args.json && std::io::stdout().is_terminal();
    if interactive {
        return super::status_live::run(plan, dir, interval, timeout);
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
        let text = serde_json::to_string_pretty(&body).map_err(|e| Error::Other {
            message: format!("cannot encode the status as JSON: {e}"),
            hint: None,
        })?;
        println!("{text}");
    } else {
        print!("{}", describe(&plan, &snapshot));
    }
    verdict(&snapshot)
}

/// One probe round, connecting to Docker if it answers; `stats` says whether CPU and memory
/// are worth Docker's sampling time.
pub async fn once(plan: &Plan, timeout: Duration, stats: health::Stats<'_>) -> Snapshot {
    let docker = tokio::time::timeout(timeout, connect::connect())
        .await
        .ok()
        .and_then(|r| r.ok());
    health::collect(
        plan,
        docker.as_ref(),
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
                                && matches!(c.outcome.status, Status::Down | Status::Degraded)
                        })
                        .map(|c| c.check.label.clone()),
                )
                .collect();
            Err(Error::Other {
                message: format!("the deployment is {}: {}", other.as_str(), failing.join(", ")),
                hint: Some("`selkie status` shows why; `selkie setup --resume` restarts what is not running as planned".into()),
            })
        }
    }
}

/// `1h02m`, `3m10s`, `42s`.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// `512 KiB`, `45 MiB`, `1.2 GiB`.
pub fn bytes(b: u64) -> String {
    let b = b as f64;
    if b < 1024.0 * 1024.0 {
        format!("{:.0} KiB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.0} MiB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.1} GiB", b / 1024.0 / 1024.0 / 1024.0)
    }
}

/// The `--once` table.
pub fn describe(plan: &Plan, snapshot: &Snapshot) -> String {
    let mut out = format!(
        "selkie status: {} at {} - {}\n",
        plan.preset,
        plan.address,
        snapshot.overall().as_str().to_uppercase()
    );
    match &snapshot.docker {
        DockerState::Connected { version } => {
            out.push_str(&format!("Docker {version}: connected\n"))
        }
        DockerState::Unreachable { reason } => {
            out.push_str(&format!("Docker unreachable: {reason}\n"))
        }
    }
    let dash = || "-".to_string();
    let rows: Vec<Vec<String>> = snapshot
        .services
        .iter()
        .map(|s| {
            vec![
                s.service.clone(),
                s.state.clone(),
                s.health.clone().unwrap_or_else(dash),
                s.restarts.to_string(),
                s.uptime.map(age).unwrap_or_else(dash),
                s.cpu_percent
                    .map(|c| format!("{c:.1}%"))
                    .unwrap_or_else(dash),
                s.memory_bytes.map(bytes).unwrap_or_else(dash),
                s.status.as_str().into(),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&table::render(
        &[
            "SERVICE", "STATE", "HEALTH", "RESTARTS", "UPTIME", "CPU", "MEMORY", "STATUS",
        ],
        &rows,
    ));
    let rows: Vec<Vec<String>> = snapshot
        .checks
        .iter()
        .map(|c| {
            vec![
                c.check.label.clone(),
                c.check.kind.as_str().into(),
                c.check
                    .exposure
                    .map(|e| e.as_str().to_string())
                    .unwrap_or_else(dash),
                c.outcome.status.as_str().into(),
                c.outcome
                    .latency
                    .map(|l| format!("{:.1} ms", l.as_secs_f64() * 1000.0))
                    .unwrap_or_else(dash),
                c.outcome.message.clone(),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&table::render(
        &["CHECK", "KIND", "EXPOSURE", "RESULT", "LATENCY", "MESSAGE"],
        &rows,
    ));
    out.push('\n');
    out.push_str(&judged_from(&snapshot.judged_from));
    out.push_str(health::vantage::UNSEEN);
    out.push('\n');
    out
}

/// `Public ports judged at 203.0.113.7 (the plan's address).`
fn judged_from(vantage: &health::Vantage) -> String {
    if vantage.addresses.is_empty() {
        format!("Public ports judged on 127.0.0.1 only: {}.\n", vantage.how)
    } else {
        format!(
            "Public ports judged at {} ({}), where clients connect.\n",
            vantage.show(),
            vantage.how
        )
    }
}
