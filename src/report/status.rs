//! The status as a table: what `selkie status --once` prints and setup shows at its end.

use std::time::Duration;

use super::{table, units::bytes};
use crate::health::{self, DockerState, Snapshot};
use crate::plan::Plan;

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
                c.verdict.status.as_str().into(),
                c.verdict
                    .latency
                    .map(|l| format!("{:.1} ms", l.as_secs_f64() * 1000.0))
                    .unwrap_or_else(dash),
                c.verdict.message.clone(),
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
