//! The check's report: lines for people, JSON for monitoring.

use std::fmt::Write as _;

use super::{CheckReport, PathOutcome};

/// What a check from the server cannot see, said every time it runs there.
pub const FROM_SERVER_NOTE: &str = "Run from the server: traffic to its own public address stays inside, so a cloud firewall in front of it cannot be seen from here.";

/// The report as lines for a terminal.
pub fn render(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "selkie check {}", report.url);
    if let Some(e) = &report.signalling_error {
        let _ = writeln!(out, "  ✗ signalling   {}", e.error);
        let _ = writeln!(out, "    fix: {}", e.fix);
        let _ = writeln!(
            out,
            "  media paths were not tried: nothing joins without signalling"
        );
    } else {
        let version = if report.server_version.is_empty() {
            String::new()
        } else {
            format!(" (LiveKit {})", report.server_version)
        };
        let _ = writeln!(out, "  ✓ signalling   joined a throw-away room{version}");
    }
    for p in &report.paths {
        let label = format!("{} {}", p.transport.label(), p.target);
        let optional = if p.required { "" } else { " (optional)" };
        match &p.outcome {
            PathOutcome::Ok { rtt_ms, remote, .. } => {
                let rtt = rtt_ms
                    .map(|r| format!("{r} ms"))
                    .unwrap_or_else(|| "rtt n/a".into());
                let _ = writeln!(out, "  ✓ {label:<28} {rtt}, data both ways via {remote}");
            }
            PathOutcome::Failed { reason, .. } => {
                let _ = writeln!(out, "  ✗ {label:<28} {reason}{optional}");
                if let Some(fix) = &p.fix {
                    let _ = writeln!(out, "    fix: {fix}");
                }
            }
            PathOutcome::NotChecked { reason } => {
                let _ = writeln!(out, "  – {label:<28} not checked: {reason}");
            }
        }
    }
    let verdict = if report.passed() {
        "every required path works"
    } else {
        "people on some networks will not get through"
    };
    let _ = writeln!(
        out,
        "{verdict} ({:.1} s)",
        report.elapsed_ms as f64 / 1000.0
    );
    if report.from_server {
        let _ = writeln!(out, "{FROM_SERVER_NOTE}");
    }
    if let Some(cmd) = &report.outside_command {
        let _ = writeln!(out, "From another machine: {cmd}");
    }
    out
}

/// The report as JSON, with the verdict.
pub fn to_json(report: &CheckReport) -> serde_json::Value {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("passed".into(), report.passed().into());
        if report.from_server {
            map.insert("unseen".into(), FROM_SERVER_NOTE.into());
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::super::{PathResult, SignalFailure, Transport};
    use super::*;

    fn report(paths: Vec<PathResult>) -> CheckReport {
        CheckReport {
            url: "wss://meet.example.org".into(),
            from_server: true,
            signalling_error: None,
            server_version: "1.13.5".into(),
            paths,
            elapsed_ms: 1234,
            outside_command: Some("selkie check --url wss://meet.example.org --token …".into()),
        }
    }

    fn path(transport: Transport, required: bool, outcome: PathOutcome) -> PathResult {
        let fix = matches!(outcome, PathOutcome::Failed { .. })
            .then(|| "open 50000-50119/udp".to_string());
        PathResult {
            transport,
            target: "50000-50119/udp".into(),
            required,
            outcome,
            fix,
        }
    }

    #[test]
    fn a_failed_required_path_fails_the_check_and_names_the_fix() {
        let ok = PathOutcome::Ok {
            rtt_ms: Some(0.4),
            local: "10.0.0.2:40000".into(),
            remote: "10.0.0.1:50003/udp".into(),
        };
        let bad = PathOutcome::failed("no answer");
        let r = report(vec![
            path(Transport::Tcp, true, ok.clone()),
            path(Transport::Udp, true, bad.clone()),
        ]);
        assert!(!r.passed());
        let text = render(&r);
        assert!(
            text.contains("✗ UDP 50000-50119/udp") && text.contains("fix: open 50000-50119/udp"),
            "{text}"
        );
        assert!(
            text.contains("cloud firewall") && text.contains("From another machine"),
            "{text}"
        );
        let json = to_json(&r);
        assert_eq!(json["passed"], false);
        assert_eq!(json["paths"][1]["status"], "failed");
        assert_eq!(json["paths"][0]["rtt_ms"], 0.4);
        // An optional path failing, or one not checked, does not fail the check.
        let r = report(vec![
            path(Transport::Udp, true, ok),
            path(Transport::Tcp, false, bad),
            path(
                Transport::TurnTls,
                true,
                PathOutcome::NotChecked {
                    reason: "why".into(),
                },
            ),
        ]);
        assert!(r.passed());
        assert!(render(&r).contains("not checked: why"));
    }

    #[test]
    fn only_a_refused_handshake_is_waited_for_as_a_certificate() {
        let closed = path(Transport::Udp, true, PathOutcome::failed("no answer"));
        assert!(!report(vec![closed.clone()]).waits_for_certificate());
        let handshake = path(
            Transport::TurnTls,
            true,
            PathOutcome::Failed {
                reason: "TLS with turn.example.org: received fatal alert".into(),
                cause: crate::check::FailCause::Certificate,
            },
        );
        assert!(report(vec![closed, handshake]).waits_for_certificate());
        let signalling = |tls| CheckReport {
            signalling_error: Some(SignalFailure {
                error: "TLS failed".into(),
                fix: "f".into(),
                tls,
            }),
            ..report(vec![])
        };
        assert!(signalling(true).waits_for_certificate());
        assert!(!signalling(false).waits_for_certificate());
    }

    #[test]
    fn without_signalling_nothing_passes() {
        let r = CheckReport {
            signalling_error: Some(SignalFailure {
                error: "the token was rejected".into(),
                fix: "selkie token".into(),
                tls: false,
            }),
            ..report(vec![])
        };
        assert!(!r.passed());
        assert!(render(&r).contains("media paths were not tried"));
        assert_eq!(to_json(&r)["signalling_error"]["fix"], "selkie token");
    }
}
