//! What a certificate says about the site, judged as a browser would: expired, not trusted or
//! for another name is down, expiring soon is degraded; and what is served, in words (issuer,
//! names, time left).

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use super::trust::Trust;
use super::Site;
use crate::health::{Status, Verdict};

/// Certificates expiring sooner than this need attention: ACME clients renew 90-day certificates
/// at 30 days left, so 14 means renewal has been failing for two weeks.
const WARN_SECS: i64 = 14 * DAY;
const DAY: i64 = 86_400;
/// How many names a table cell lists before it says `+N more`.
const SHOWN_NAMES: usize = 3;

pub(super) fn unix_secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What a certificate says about the site, judged at `now` as a browser would: expired, not
/// trusted, or for another name is down; expiring soon is degraded.
pub(super) fn judge(der: &[u8], site: Site<'_>, trust: &Trust, now: SystemTime) -> Verdict {
    let cert = match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert,
        Err(e) => return Verdict::new(Status::Down, format!("unreadable certificate: {e}")),
    };
    let issuer = issuer_of(&cert);
    let names = names_of(&cert);
    let now_secs = unix_secs(now);
    let validity = cert.validity();
    let left = validity.not_after.timestamp() - now_secs;
    let lifetime = validity.not_after.timestamp() - validity.not_before.timestamp();
    // Short-lived certificates (Caddy's `tls internal` leaves live 12 hours, Let's Encrypt's IP
    // certificates 6 days) always have less than 14 days left; for them "needs attention" means
    // past the point where renewal should have happened (a third of the lifetime left, as Caddy
    // and certbot renew) with slack: a quarter.
    let warn = WARN_SECS.min(lifetime / 4);
    let covered = match (site.server_name, site.ip) {
        (Some(name), _) => names.iter().any(|n| covers(n, name)),
        (None, Some(ip)) => names.iter().any(|n| n.parse::<IpAddr>() == Ok(ip)),
        // The IP site's address is not known: any IP address the certificate names counts.
        (None, None) => names.iter().any(|n| n.parse::<IpAddr>().is_ok()),
    };
    let shown = show_names(&names);
    let by = match trust {
        Trust::OwnCa => format!("issued by {issuer}, this deployment's own CA"),
        _ => format!("issued by {issuer}"),
    };
    let about = format!("{by}, for {shown}");
    let (status, message) = if left <= 0 {
        (
            Status::Down,
            format!("expired {} ago; {about}", span(-left)),
        )
    } else if let Trust::Untrusted(fix) = trust {
        (
            Status::Down,
            format!(
                "issued by {issuer}, which browsers do not trust: {fix}; for {shown}, {} left",
                span(left)
            ),
        )
    } else if !covered {
        let wanted = match (site.server_name, site.ip) {
            (Some(name), _) => name.to_string(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => "an IP address".to_string(),
        };
        (
            Status::Down,
            format!(
                "does not cover {wanted}, so browsers refuse it: the proxy serves another \
                 site's certificate; {about}"
            ),
        )
    } else if left < warn {
        (
            Status::Degraded,
            format!("expires in {}; {about}", span(left)),
        )
    } else {
        (Status::Healthy, format!("{} left; {about}", span(left)))
    };
    Verdict::new(status, message)
}

/// `2 days` (whole days: 2 days 23 hours is 2 days), or `11 hours` under two days, where whole
/// days would say too little.
fn span(secs: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs >= 2 * DAY {
        plural(secs / DAY, "day")
    } else if secs >= 3600 {
        plural(secs / 3600, "hour")
    } else {
        plural(secs / 60, "minute")
    }
}

/// The issuer's common name, with its organization when it has one.
fn issuer_of(cert: &X509Certificate<'_>) -> String {
    let issuer = cert.issuer();
    let cn = issuer
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok());
    let org = issuer
        .iter_organization()
        .next()
        .and_then(|a| a.as_str().ok());
    match (cn, org) {
        (Some(cn), Some(org)) if !cn.contains(org) => format!("{cn} ({org})"),
        (Some(cn), _) => cn.to_string(),
        (None, Some(org)) => org.to_string(),
        (None, None) => "an unnamed issuer".to_string(),
    }
}

/// The DNS names and IP addresses of the subjectAltName: what clients check the host against.
pub(super) fn names_of(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(dns.to_string()),
            GeneralName::IPAddress(bytes) => ip_from(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect()
}

/// An address from the 4 or 16 bytes of an iPAddress name.
fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        Some(IpAddr::from(v4))
    } else {
        <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from)
    }
}

/// Whether a certificate name covers a host: equal ignoring case, or a wildcard for exactly one
/// leftmost label.
fn covers(cert_name: &str, host: &str) -> bool {
    let cert_name = cert_name.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match cert_name.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => cert_name == host,
    }
}

/// `a, b, c +2 more`, or `no names` when the certificate has no subjectAltName.
fn show_names(names: &[String]) -> String {
    if names.is_empty() {
        return "no names".into();
    }
    let mut shown = names
        .iter()
        .take(SHOWN_NAMES)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN_NAMES {
        shown.push_str(&format!(" +{} more", names.len() - SHOWN_NAMES));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::super::lab::{day, lab_chain, site};
    use super::super::trust::untrusted_fix;
    use super::*;
    use rustls::CertificateError;

    #[test]
    fn an_untrusted_certificate_is_down_with_the_fix() {
        let (leaf, _) = lab_chain(&["lk.example.test"]);
        let fix = untrusted_fix(
            &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
            None,
        );
        let verdict = judge(
            &leaf,
            site("lk.example.test"),
            &Trust::Untrusted(fix),
            day(2020, 2, 1),
        );
        assert_eq!(verdict.status, Status::Down);
        assert!(
            verdict
                .message
                .starts_with("issued by Selkie Lab CA, which browsers do not trust: serve a"),
            "{}",
            verdict.message
        );
        assert!(verdict.message.contains("docker logs selkie-caddy"));
        assert!(verdict
            .message
            .contains("for lk.example.test, 60 days left"));
    }

    #[test]
    fn the_deployments_own_ca_is_named_as_such() {
        let (leaf, _) = lab_chain(&["203.0.113.7"]);
        let ip_site = Site {
            server_name: None,
            ip: Some("203.0.113.7".parse().unwrap()),
        };
        let verdict = judge(&leaf, ip_site, &Trust::OwnCa, day(2020, 2, 1));
        assert_eq!(verdict.status, Status::Healthy, "{verdict:?}");
        assert_eq!(
            verdict.message,
            "60 days left; issued by Selkie Lab CA, this deployment's own CA, for 203.0.113.7"
        );
        let elsewhere = Site {
            ip: Some("198.51.100.1".parse().unwrap()),
            ..ip_site
        };
        let verdict = judge(&leaf, elsewhere, &Trust::OwnCa, day(2020, 2, 1));
        assert_eq!(verdict.status, Status::Down);
        assert!(
            verdict.message.starts_with("does not cover 198.51.100.1"),
            "{}",
            verdict.message
        );
    }

    #[test]
    fn expiry_is_judged_against_the_lifetime() {
        let (leaf, _) = lab_chain(&["lk.example.test"]);
        let s = site("lk.example.test");
        let soon = judge(&leaf, s, &Trust::System, day(2020, 3, 25));
        assert_eq!(soon.status, Status::Degraded);
        assert!(
            soon.message.starts_with("expires in 7 days"),
            "{}",
            soon.message
        );
        let gone = judge(&leaf, s, &Trust::System, day(2020, 4, 11));
        assert_eq!(gone.status, Status::Down);
        assert!(
            gone.message.starts_with("expired 10 days ago"),
            "{}",
            gone.message
        );
        // Expiry speaks first, however the chain is judged.
        let gone = judge(&leaf, s, &Trust::Untrusted("x".into()), day(2020, 4, 11));
        assert!(gone.message.starts_with("expired"), "{}", gone.message);
        let wrong = judge(
            &leaf,
            site("meet.example.test"),
            &Trust::System,
            day(2020, 2, 1),
        );
        assert_eq!(wrong.status, Status::Down);
        assert!(
            wrong.message.contains("browsers refuse it"),
            "{}",
            wrong.message
        );
    }

    #[test]
    fn wildcards_cover_one_label_only() {
        assert!(covers("*.example.com", "lk.example.com"));
        assert!(covers("Example.COM", "example.com."));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(!covers("example.com", "lk.example.com"));
    }

    #[test]
    fn spans_read_in_days_then_hours() {
        assert_eq!(span(3 * DAY - 60), "2 days");
        assert_eq!(span(89 * DAY + 5), "89 days");
        assert_eq!(span(DAY + 3600), "25 hours");
        assert_eq!(span(3600), "1 hour");
        assert_eq!(span(59), "0 minutes");
    }

    #[test]
    fn long_name_lists_are_cut() {
        let names: Vec<String> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(show_names(&names), "a, b, c +2 more");
        assert_eq!(show_names(&[]), "no names");
    }
}
