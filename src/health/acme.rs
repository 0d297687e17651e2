//! Why Caddy holds no certificate yet, in its own words: when a TLS check finds none, the
//! reason is in Caddy's log (certmagic logs each failed order as `could not get certificate from
//! issuer`, with the identifier, the issuer and the CA's error or ACME problem). The check then
//! says what failed, how long ago, and what to do; Caddy retries by itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use super::probes::NO_CERTIFICATE;
use super::{Check, CheckResult, Target};
use crate::docker::Docker;
use crate::plan::Plan;
use crate::role::Role;

/// How many of Caddy's last log lines are read: a failed order logs a handful of lines, and
/// Caddy retries after a minute at the soonest.
const LOG_LINES: usize = 400;

/// What certmagic logs when an issuer could not give a certificate, when one did, and when it
/// will try again (with the error, which begins with `[identifier]`).
const FAILED: &str = "could not get certificate from issuer";
const OBTAINED: &str = "certificate obtained successfully";
const RETRY: &str = "will retry";

/// The fields of one of Caddy's JSON log lines that matter here.
#[derive(Debug, Deserialize)]
struct Line {
    msg: Option<String>,
    identifier: Option<String>,
    issuer: Option<String>,
    error: Option<String>,
    /// Seconds since the Unix epoch (Caddy's default encoder).
    ts: Option<f64>,
    /// Seconds until the next attempt (Caddy encodes durations as seconds).
    retrying_in: Option<f64>,
}

/// Caddy's last failed order for one identifier, not followed by a success.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The issuer's key as Caddy names it (`acme-v02.api.letsencrypt.org-directory`).
    pub issuer: String,
    /// The CA's error or ACME problem, as Caddy logged it.
    pub error: String,
    pub at: Option<SystemTime>,
    /// When Caddy tries again by itself, when it said.
    pub retry_at: Option<SystemTime>,
}

/// Seconds since the Unix epoch as a time, when they make sense.
fn instant(secs: Option<f64>) -> Option<SystemTime> {
    let secs = secs.filter(|t| t.is_finite() && *t > 0.0 && *t < 1e11)?;
    Some(UNIX_EPOCH + Duration::from_secs_f64(secs))
}

/// The last order for `identifier` in `lines` (oldest first), when it failed.
pub fn last_failure(lines: &[String], identifier: &str) -> Option<Failure> {
    let mut last: Option<Failure> = None;
    let retry_prefix = format!("[{identifier}] ");
    for line in lines {
        // Docker's log stream may carry a timestamp or other text before the JSON.
        let Some(start) = line.find('{') else {
            continue;
        };
        let Ok(entry) = serde_json::from_str::<Line>(&line[start..]) else {
            continue;
        };
        let this = entry.identifier.as_deref() == Some(identifier);
        match entry.msg.as_deref() {
            Some(FAILED) if this => {
                last = Some(Failure {
                    issuer: entry.issuer.unwrap_or_default(),
                    error: entry.error.unwrap_or_default(),
                    at: instant(entry.ts),
                    retry_at: None,
                })
            }
            Some(OBTAINED) if this => last = None,
            Some(RETRY)
                if entry
                    .error
                    .as_deref()
                    .is_some_and(|e| e.starts_with(&retry_prefix)) =>
            {
                if let (Some(failure), Some(ts), Some(wait)) =
                    (last.as_mut(), entry.ts, entry.retrying_in)
                {
                    failure.retry_at = instant(Some(ts + wait));
                }
            }
            _ => {}
        }
    }
    last
}

/// The ACME problem type in Caddy's rendering of a problem (`HTTP 400
/// urn:ietf:params:acme:error:connection - detail`) and its detail.
fn problem(error: &str) -> Option<(&str, &str)> {
    const NAMESPACE: &str = "urn:ietf:params:acme:error:";
    let at = error.find(NAMESPACE)?;
    let rest = &error[at + NAMESPACE.len()..];
    let (kind, detail) = rest.split_once(" - ").unwrap_or((rest, ""));
    Some((kind.trim(), detail.trim()))
}

/// What to do about `error`, for a certificate for `identifier` (a domain or an address) that
/// the proxy's `container` orders.
fn fix(error: &str, identifier: &str, container: &str) -> String {
    let is_ip = identifier.parse::<std::net::IpAddr>().is_ok();
    let reach = if is_ip {
        format!("open ports 80 and 443 to the internet for {identifier} in every firewall (this host's and the cloud provider's)")
    } else {
        format!("point {identifier}'s A/AAAA record at this server, and open ports 80 and 443 to the internet in every firewall (this host's and the cloud provider's)")
    };
    match problem(error).map(|(kind, _)| kind) {
        Some("connection" | "unauthorized" | "incorrectResponse" | "tls" | "dns") => {
            format!("the CA could not check this server: {reach}")
        }
        Some("rateLimited") => {
            "the CA's rate limit: Caddy tries again by itself once it allows".into()
        }
        Some("caa") => format!(
            "a CAA record of {identifier} forbids this CA: add one that allows it, or remove it"
        ),
        Some("rejectedIdentifier" | "unsupportedIdentifier") if is_ip => {
            "this CA does not issue certificates for addresses: use a domain, or --ip-cert internal"
                .into()
        }
        Some("rejectedIdentifier" | "unsupportedIdentifier") => {
            format!("this CA refuses to issue for {identifier}")
        }
        Some(_) => {
            format!("Caddy tries again by itself; `docker logs {container}` has the whole exchange")
        }
        None if error.contains("x509:")
            || error.contains("certificate signed by unknown authority") =>
        {
            "Caddy does not trust the CA's HTTPS certificate: give its root with --acme-ca-root"
                .into()
        }
        None => {
            "this server cannot reach the CA: allow outbound DNS and HTTPS (TCP 443) from it".into()
        }
    }
}

/// The part of `error` worth showing: an ACME problem's detail, else the request that failed.
/// The CA wrote part of it: control characters (a terminal's escape sequences) are dropped.
fn short(error: &str) -> String {
    let error: String = error.chars().filter(|c| !c.is_control()).collect();
    let error = error.as_str();
    let text = match problem(error) {
        Some((kind, detail)) if !detail.is_empty() => format!("{kind}: {detail}"),
        Some((kind, _)) => kind.to_string(),
        None => error
            .rsplit_once("performing request: ")
            .map_or(error, |(_, after)| after)
            .to_string(),
    };
    const MOST: usize = 200;
    match text.char_indices().nth(MOST) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// A number of seconds in a few characters.
fn span(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        _ => format!("{} h", secs / 3600),
    }
}

/// How long ago, in a few characters.
fn ago(at: SystemTime, now: SystemTime) -> String {
    format!(
        "{} ago",
        span(now.duration_since(at).unwrap_or_default().as_secs())
    )
}

impl Failure {
    /// `Caddy's last order (12 s ago, from …) failed: …; fix` (`container`: the proxy's).
    pub fn explain(&self, identifier: &str, container: &str, now: SystemTime) -> String {
        let when = self.at.map(|at| ago(at, now));
        let issuer = self
            .issuer
            .strip_suffix("-directory")
            .unwrap_or(&self.issuer);
        let from = match (when, issuer.is_empty()) {
            (Some(when), false) => format!(" ({when}, from {issuer})"),
            (Some(when), true) => format!(" ({when})"),
            (None, false) => format!(" (from {issuer})"),
            (None, true) => String::new(),
        };
        let mut said = format!(
            "Caddy's last order{from} failed: {}; {}",
            short(&self.error),
            fix(&self.error, identifier, container)
        );
        let limited = matches!(problem(&self.error), Some(("rateLimited", _)));
        if let Some(at) = self.retry_at.filter(|_| !limited) {
            let when = match at.duration_since(now) {
                Ok(left) => format!("in {}", span(left.as_secs())),
                Err(_) => "now".to_string(),
            };
            said.push_str(&format!(
                ". Caddy tries again {when} by itself, or at once when restarted \
                 (`docker restart {container}`) once the cause is fixed"
            ));
        }
        said
    }
}

/// The identifier Caddy orders a certificate for, for a TLS check of the plan.
fn identifier(check: &Check) -> Option<String> {
    match &check.target {
        Target::Tls {
            server_name: Some(name),
            ..
        } => Some(name.clone()),
        Target::Tls {
            server_name: None,
            ip: Some(ip),
            ..
        } => Some(ip.to_string()),
        _ => None,
    }
}

/// The proxy's container, when selkie runs Caddy, and its last log lines (within `timeout`).
async fn caddy_log(
    docker: &Docker,
    plan: &Plan,
    timeout: Duration,
) -> Option<(String, Vec<String>)> {
    let container = plan.service(&Role::Proxy)?.container_name();
    let read = crate::docker::wait::tail_logs(docker, &container, LOG_LINES);
    let lines = tokio::time::timeout(timeout, read).await.ok()?;
    Some((container, lines))
}

/// Adds Caddy's reason to every TLS check that found no certificate yet. Reads Caddy's log once,
/// within `timeout`, and only when such a check exists.
pub async fn explain_missing(
    docker: &Docker,
    plan: &Plan,
    results: &mut [CheckResult],
    timeout: Duration,
) {
    if !results
        .iter()
        .any(|r| super::probes::awaits_certificate(&r.verdict))
    {
        return;
    }
    let Some((container, lines)) = caddy_log(docker, plan, timeout).await else {
        return;
    };
    let now = SystemTime::now();
    for result in results
        .iter_mut()
        .filter(|r| super::probes::awaits_certificate(&r.verdict))
    {
        let Some(id) = identifier(&result.check) else {
            continue;
        };
        if let Some(failure) = last_failure(&lines, &id) {
            let why = failure.explain(&id, &container, now);
            // Caddy's reason says more than the TLS alert it answered with.
            result.verdict.message = format!("{NO_CERTIFICATE}{id} yet: {why}");
        }
    }
}

/// Every site of the plan whose last certificate order failed, by identifier, with the reason
/// (empty when selkie runs no Caddy, or its log cannot be read within `timeout`).
pub async fn failed_orders(
    docker: &Docker,
    plan: &Plan,
    timeout: Duration,
) -> Vec<(String, String)> {
    let Some((container, lines)) = caddy_log(docker, plan, timeout).await else {
        return Vec::new();
    };
    let mut ids: Vec<String> = super::probes_for(plan)
        .iter()
        .filter_map(identifier)
        .collect();
    ids.sort();
    ids.dedup();
    let now = SystemTime::now();
    ids.into_iter()
        .filter_map(|id| {
            let why = last_failure(&lines, &id)?.explain(&id, &container, now);
            Some((id, why))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines the real Caddy 2.10.2 logged with an ACME directory it could not resolve.
    const UNREACHABLE: [&str; 3] = [
        r#"{"level":"warn","ts":1796061539.5904963,"msg":"HTTP request failed; retrying","url":"https://acme-v02.api.letsencrypt.org/directory","error":"performing request: Get \"https://acme-v02.api.letsencrypt.org/directory\": dial tcp: lookup acme-v02.api.letsencrypt.org on 10.255.255.53:53: no such host"}"#,
        r#"{"level":"error","ts":1796061540.099312,"logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"192.0.2.2","issuer":"acme-v02.api.letsencrypt.org-directory","error":"registering account [] with server: provisioning client: performing request: Get \"https://acme-v02.api.letsencrypt.org/directory\": dial tcp: lookup acme-v02.api.letsencrypt.org on 10.255.255.53:53: no such host"}"#,
        r#"{"level":"error","ts":1796061540.0996494,"logger":"tls.obtain","msg":"will retry","error":"[192.0.2.2] Obtain: registering account [] with server: provisioning client: performing request: Get \"https://acme-v02.api.letsencrypt.org/directory\": dial tcp: lookup acme-v02.api.letsencrypt.org on 10.255.255.53:53: no such host","attempt":1,"retrying_in":60,"elapsed":0.513795729,"max_duration":2592000}"#,
    ];

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn an_unreachable_ca_is_named_with_the_request_that_failed() {
        let failure = last_failure(&lines(&UNREACHABLE), "192.0.2.2").expect("a failure");
        assert_eq!(failure.issuer, "acme-v02.api.letsencrypt.org-directory");
        let now = UNIX_EPOCH + Duration::from_secs(1_796_061_552);
        let said = failure.explain("192.0.2.2", "selkie-caddy", now);
        assert!(said.starts_with("Caddy's last order (11 s ago, from acme-v02.api.letsencrypt.org) failed: Get \"https://acme-v02.api.letsencrypt.org/directory\": dial tcp: lookup"), "{said}");
        assert!(
            said.ends_with(
                "this server cannot reach the CA: allow outbound DNS and HTTPS (TCP 443) from it. \
                 Caddy tries again in 48 s by itself, or at once when restarted \
                 (`docker restart selkie-caddy`) once the cause is fixed"
            ),
            "{said}"
        );
        // Another identifier's failure is not this one's.
        assert_eq!(last_failure(&lines(&UNREACHABLE), "203.0.113.7"), None);
    }

    #[test]
    fn an_acme_problem_gives_its_detail_and_the_fix_for_its_kind() {
        let line = r#"{"level":"error","ts":1.5,"logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"meet.example.com","issuer":"10.99.0.2-14000-dir","error":"HTTP 400 urn:ietf:params:acme:error:connection - Error getting validation data"}"#;
        let failure = last_failure(&lines(&[line]), "meet.example.com").unwrap();
        let said = failure.explain(
            "meet.example.com",
            "selkie-caddy",
            UNIX_EPOCH + Duration::from_secs(301),
        );
        assert_eq!(
            said,
            "Caddy's last order (4 min ago, from 10.99.0.2-14000-dir) failed: connection: Error \
             getting validation data; the CA could not check this server: point \
             meet.example.com's A/AAAA record at this server, and open ports 80 and 443 to the \
             internet in every firewall (this host's and the cloud provider's)"
        );
        let limited = "HTTP 429 urn:ietf:params:acme:error:rateLimited - too many certificates";
        assert!(fix(limited, "meet.example.com", "c").contains("rate limit"));
        // A restart would only spend more of the limit.
        let waiting = Failure {
            issuer: String::new(),
            error: limited.into(),
            at: None,
            retry_at: Some(UNIX_EPOCH + Duration::from_secs(400)),
        };
        let said = waiting.explain("meet.example.com", "c", UNIX_EPOCH);
        assert!(!said.contains("restart"), "{said}");
        let rejected = "HTTP 400 urn:ietf:params:acme:error:rejectedIdentifier - no IPs";
        assert!(fix(rejected, "192.0.2.2", "c").contains("--ip-cert internal"));
        let untrusted = "performing request: Get \"https://ca/dir\": tls: failed to verify certificate: x509: certificate signed by unknown authority";
        assert!(fix(untrusted, "192.0.2.2", "c").contains("--acme-ca-root"));
    }

    #[test]
    fn a_later_success_clears_the_failure_and_noise_is_skipped() {
        let failed = UNREACHABLE[1];
        let obtained = r#"{"level":"info","ts":1796061600.5,"logger":"tls.obtain","msg":"certificate obtained successfully","identifier":"192.0.2.2","issuer":"acme-v02.api.letsencrypt.org-directory"}"#;
        assert_eq!(last_failure(&lines(&[failed, obtained]), "192.0.2.2"), None);
        let noise = ["not json", "{broken", ""];
        let mut all = lines(&noise);
        all.push(failed.to_string());
        assert!(last_failure(&all, "192.0.2.2").is_some());
    }

    #[test]
    fn the_cas_words_cannot_steer_the_terminal() {
        let error =
            "HTTP 400 urn:ietf:params:acme:error:connection - bad\u{1b}[2J\u{1b}]0;x\u{7}news";
        assert_eq!(short(error), "connection: bad[2J]0;xnews");
    }

    #[test]
    fn a_long_error_is_cut_at_a_character_boundary() {
        let long = "é".repeat(300);
        let shown = short(&long);
        assert_eq!(shown.chars().count(), 201, "{shown}");
        assert!(shown.ends_with('…'));
    }
}
