//! TLS: a handshake through the proxy with the site's server name, reporting the certificate that
//! is served (issuer, names, days to expiry) without judging its chain.
//!
//! The chain is deliberately not verified: the point is to show what the proxy serves, including
//! Caddy's `tls internal` certificates and ones not yet trusted anywhere. Signatures are still
//! checked, so the peer proves it holds the key of the certificate it shows.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use x509_parser::extensions::GeneralName;

use super::io_reason;
use crate::health::{Outcome, Status};

/// Certificates expiring sooner than this need attention: ACME clients renew 90-day certificates
/// at 30 days left, so 14 means renewal has been failing for two weeks.
const WARN_SECS: i64 = 14 * DAY;
const DAY: i64 = 86_400;
/// How many names a table cell lists before it says `+N more`.
const SHOWN_NAMES: usize = 3;

/// Handshake with `addr`, sending `server_name` as SNI (none for an IP site), and judge the
/// certificate that comes back.
pub(super) async fn probe(addr: SocketAddr, server_name: Option<&str>) -> Outcome {
    let config = match client_config() {
        Ok(c) => c,
        Err(e) => return Outcome::new(Status::Unknown, e.clone()),
    };
    // rustls sends no SNI for an address, which is what a browser does for an IP site.
    let sni = match server_name {
        Some(name) => match ServerName::try_from(name.to_string()) {
            Ok(n) => n,
            Err(_) => {
                return Outcome::new(Status::Down, format!("`{name}` is not a valid host name"))
            }
        },
        None => ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into()),
    };
    let started = Instant::now();
    let tcp = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => return Outcome::new(Status::Down, io_reason(&e)),
    };
    let tls = match TlsConnector::from(config).connect(sni, tcp).await {
        Ok(s) => s,
        Err(e) => return Outcome::new(Status::Down, handshake_failure(&e, server_name)),
    };
    let latency = Some(started.elapsed());
    let leaf = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first());
    let outcome = match leaf {
        Some(der) => judge(der, server_name, SystemTime::now()),
        None => Outcome::new(Status::Down, "handshake completed without a certificate"),
    };
    Outcome { latency, ..outcome }
}

/// One client configuration for every probe: ring crypto, any chain accepted.
fn client_config() -> Result<Arc<ClientConfig>, &'static String> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(ring::default_provider());
            let config = ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("TLS setup failed: {e}"))?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyChain { provider }))
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .as_ref()
        .map(Arc::clone)
}

/// Accepts whatever certificate the server shows (the probe reports it rather than trusting it),
/// but still checks the handshake signatures against it.
#[derive(Debug)]
struct AcceptAnyChain {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyChain {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Why the handshake failed, in an operator's words.
fn handshake_failure(e: &std::io::Error, server_name: Option<&str>) -> String {
    let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return format!("handshake failed: {}", io_reason(e));
    };
    match tls {
        // Caddy (certmagic) aborts with internal_error when it holds no certificate for the
        // name: before ACME has issued one, or for a name it does not serve at all.
        rustls::Error::AlertReceived(AlertDescription::InternalError) => {
            let name = server_name.map_or("this address".to_string(), |n| n.to_string());
            format!("no certificate for {name} yet (server sent alert internal_error)")
        }
        rustls::Error::AlertReceived(AlertDescription::UnrecognisedName) => {
            let name = server_name.unwrap_or("this address");
            format!("server has no site for {name} (alert unrecognized_name)")
        }
        rustls::Error::AlertReceived(alert) => {
            format!("handshake failed: server sent alert {}", alert_name(*alert))
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "handshake failed: the port does not speak TLS".into()
        }
        other => format!("handshake failed: {other}"),
    }
}

/// `internal_error` rather than rustls's `InternalError`, as the RFC and other tools spell it.
fn alert_name(alert: AlertDescription) -> String {
    let debug = format!("{alert:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// What a certificate says about the site, judged at `now`.
fn judge(der: &[u8], server_name: Option<&str>, now: SystemTime) -> Outcome {
    let cert = match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert,
        Err(e) => return Outcome::new(Status::Degraded, format!("unreadable certificate: {e}")),
    };
    let issuer = issuer_of(&cert);
    let names = names_of(&cert);
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let validity = cert.validity();
    let left = validity.not_after.timestamp() - now_secs;
    let lifetime = validity.not_after.timestamp() - validity.not_before.timestamp();
    // Short-lived certificates (Caddy's `tls internal` leaves live 12 hours, Let's Encrypt's IP
    // certificates 6 days) always have less than 14 days left; for them "needs attention" means
    // past the point where renewal should have happened (a third of the lifetime left, as Caddy
    // and certbot renew) with slack: a quarter.
    let warn = WARN_SECS.min(lifetime / 4);
    let covered = match server_name {
        Some(name) => names.iter().any(|n| covers(n, name)),
        // An IP site's public address is not known here (the probe reaches it on loopback), so
        // any IP address the certificate names counts.
        None => names.iter().any(|n| n.parse::<IpAddr>().is_ok()),
    };
    let shown = show_names(&names);
    let about = format!("issued by {issuer}, for {shown}");
    let (status, message) = if left <= 0 {
        (
            Status::Down,
            format!("expired {} ago; {about}", span(-left)),
        )
    } else if !covered {
        let wanted = server_name.map_or("an IP address".to_string(), |n| n.to_string());
        (
            Status::Degraded,
            format!("does not cover {wanted}; {about}"),
        )
    } else if left < warn {
        (
            Status::Degraded,
            format!("expires in {}; {about}", span(left)),
        )
    } else {
        (Status::Healthy, format!("{} left; {about}", span(left)))
    };
    Outcome::new(status, message)
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
fn issuer_of(cert: &x509_parser::certificate::X509Certificate<'_>) -> String {
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
fn names_of(cert: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
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
    use super::*;

    #[test]
    fn wildcards_cover_one_label_only() {
        assert!(covers("*.example.com", "lk.example.com"));
        assert!(covers("Example.COM", "example.com."));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(!covers("example.com", "lk.example.com"));
    }

    #[test]
    fn alerts_are_spelled_as_in_the_rfc() {
        assert_eq!(
            alert_name(AlertDescription::InternalError),
            "internal_error"
        );
        assert_eq!(
            alert_name(AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
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
