//! TLS: a handshake through the proxy with the site's server name, judging the certificate as a
//! browser would (trusted chain, the site's name, not expired) and reporting what is served
//! (issuer, names, time left).
//!
//! The handshake itself accepts any chain, so an untrusted certificate can still be described;
//! the chain is then verified on its own against the system's roots (rustls-native-certs, which
//! honours SSL_CERT_FILE and SSL_CERT_DIR) and, for Caddy's `tls internal`, the deployment's own
//! CA. Signatures are checked in the handshake, so the peer proves it holds the certificate's key.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use x509_parser::extensions::GeneralName;

use super::{io_reason, own_ca, Context};
use crate::health::{Outcome, Status};

/// Certificates expiring sooner than this need attention: ACME clients renew 90-day certificates
/// at 30 days left, so 14 means renewal has been failing for two weeks.
const WARN_SECS: i64 = 14 * DAY;
const DAY: i64 = 86_400;
/// How many names a table cell lists before it says `+N more`.
const SHOWN_NAMES: usize = 3;

/// The site a browser asks for: its host name (sent as SNI), or for an IP site no name and the
/// address the certificate must cover (when the plan knows it).
#[derive(Debug, Clone, Copy)]
pub(super) struct Site<'a> {
    pub server_name: Option<&'a str>,
    pub ip: Option<IpAddr>,
}

/// The certificate authorities this machine trusts, read once per process (the HTTP client's).
pub fn system_roots() -> Arc<RootCertStore> {
    crate::http::system_roots()
}

/// Handshake with `addr`, sending the site's name as SNI (none for an IP site), and judge the
/// certificate that comes back.
pub(super) async fn probe(addr: SocketAddr, site: Site<'_>, ctx: &Context) -> Outcome {
    let config = match client_config() {
        Ok(c) => c,
        Err(e) => return Outcome::new(Status::Unknown, e.clone()),
    };
    // rustls sends no SNI for an address, which is what a browser does for an IP site.
    let sni = match site.server_name {
        Some(name) => match ServerName::try_from(name.to_string()) {
            Ok(n) => n,
            Err(_) => {
                return Outcome::new(Status::Down, format!("`{name}` is not a valid host name"))
            }
        },
        None => ServerName::IpAddress(site.ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)).into()),
    };
    let started = Instant::now();
    let tcp = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => return Outcome::new(Status::Down, io_reason(&e)),
    };
    let tls = match TlsConnector::from(config).connect(sni, tcp).await {
        Ok(s) => s,
        Err(e) => return Outcome::new(Status::Down, handshake_failure(&e, site.server_name)),
    };
    let latency = Some(started.elapsed());
    let chain: Vec<CertificateDer<'static>> = tls
        .get_ref()
        .1
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
        .unwrap_or_default();
    drop(tls);
    let Some(leaf) = chain.first() else {
        return Outcome {
            latency,
            ..Outcome::new(Status::Down, "handshake completed without a certificate")
        };
    };
    let now = SystemTime::now();
    let trust = match x509_parser::parse_x509_certificate(leaf) {
        Ok((_, cert)) => trust_of(&chain, &cert, site, ctx, now).await,
        // `judge` says the certificate is unreadable.
        Err(_) => Trust::Untrusted(String::new()),
    };
    let outcome = judge(leaf, site, &trust, now);
    Outcome { latency, ..outcome }
}

/// Who vouches for a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Trust {
    /// A root this machine (and so a browser here) trusts.
    System,
    /// The deployment's own CA (Caddy's `tls internal`).
    OwnCa,
    /// Nobody a browser trusts; what to do about it.
    Untrusted(String),
}

/// Verify the chain against the system's roots, then the deployment's own CA. Validity dates
/// and the name are judged apart (see `judge`), so the chain is checked at a moment inside the
/// leaf's validity and a wrong name does not count against the issuer.
async fn trust_of(
    chain: &[CertificateDer<'static>],
    leaf: &x509_parser::certificate::X509Certificate<'_>,
    site: Site<'_>,
    ctx: &Context,
    now: SystemTime,
) -> Trust {
    let validity = leaf.validity();
    let now_secs = unix_secs(now);
    let at = now_secs
        .min(validity.not_after.timestamp() - 1)
        .max(validity.not_before.timestamp());
    let at = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(at).unwrap_or(0)));
    let names = names_of(leaf);
    // The name the chain is checked for: any name will do, only the issuer matters here.
    let name = match (site.server_name, site.ip) {
        (Some(n), _) => ServerName::try_from(n.to_string()).ok(),
        (None, Some(ip)) => Some(ServerName::IpAddress(ip.into())),
        (None, None) => names
            .iter()
            .find_map(|n| n.parse::<IpAddr>().ok())
            .map(|ip| ServerName::IpAddress(ip.into())),
    };
    let Some(name) = name else {
        return Trust::Untrusted("it names no address a browser could check".into());
    };
    let first = match verify_chain(&ctx.roots, chain, &name, at) {
        Ok(()) => return Trust::System,
        Err(e) => e,
    };
    let Some(admin) = ctx.own_ca else {
        return Trust::Untrusted(untrusted_fix(&first, None));
    };
    match own_ca::fetch(admin).await {
        Ok(roots) if verify_chain(&roots, chain, &name, at).is_ok() => Trust::OwnCa,
        Ok(_) => Trust::Untrusted(untrusted_fix(
            &first,
            Some("nor by this deployment's own CA".into()),
        )),
        Err(e) => Trust::Untrusted(untrusted_fix(
            &first,
            Some(format!(
                "and this deployment's own CA could not be read: {e}"
            )),
        )),
    }
}

/// Whether `roots` vouch for the chain; a certificate for another name still counts as vouched.
fn verify_chain(
    roots: &Arc<RootCertStore>,
    chain: &[CertificateDer<'static>],
    name: &ServerName<'_>,
    at: UnixTime,
) -> Result<(), rustls::Error> {
    if roots.is_empty() {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(
        roots.clone(),
        Arc::new(ring::default_provider()),
    )
    .build()
    .map_err(|e| rustls::Error::General(e.to_string()))?;
    match verifier.verify_server_cert(&chain[0], &chain[1..], name, &[], at) {
        Ok(_) => Ok(()),
        Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => Ok(()),
        Err(e) => Err(e),
    }
}

/// What to do about a certificate no trusted root vouches for.
fn untrusted_fix(error: &rustls::Error, own_ca: Option<String>) -> String {
    let why = match error {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => String::new(),
        other => format!(" ({other})"),
    };
    match own_ca {
        Some(own) => format!(
            "{own}{why}; check that Caddy runs with its admin API on 127.0.0.1:2019, which              serves that CA"
        ),
        None => format!(
            "{why} serve a certificate from a public CA: Caddy gets one once DNS points here              and port 80 or 443 is open (`docker logs selkie-caddy` says why not)"
        )
        .trim_start()
        .to_string(),
    }
}

/// One client configuration for every probe: ring crypto, any chain accepted (and verified
/// apart afterwards).
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

fn unix_secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What a certificate says about the site, judged at `now` as a browser would: expired, not
/// trusted, or for another name is down; expiring soon is degraded.
fn judge(der: &[u8], site: Site<'_>, trust: &Trust, now: SystemTime) -> Outcome {
    let cert = match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert,
        Err(e) => return Outcome::new(Status::Down, format!("unreadable certificate: {e}")),
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
    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    };

    /// A lab CA and a certificate it signs for `names`, valid from 2020-01-01 to 2020-04-01.
    fn lab_chain(names: &[&str]) -> (CertificateDer<'static>, CertificateDer<'static>) {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Selkie Lab CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let mut leaf =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        leaf.not_before = date_time_ymd(2020, 1, 1);
        leaf.not_after = date_time_ymd(2020, 4, 1);
        let leaf_cert = leaf
            .signed_by(&KeyPair::generate().unwrap(), &issuer)
            .unwrap();
        (leaf_cert.der().clone(), ca_cert.der().clone())
    }

    fn day(y: i32, m: u8, d: u8) -> SystemTime {
        let t = date_time_ymd(y, m, d).unix_timestamp();
        UNIX_EPOCH + Duration::from_secs(u64::try_from(t).unwrap())
    }

    fn site(name: &str) -> Site<'_> {
        Site {
            server_name: Some(name),
            ip: None,
        }
    }

    #[test]
    fn the_chain_is_trusted_only_by_the_roots_that_signed_it() {
        let (leaf, ca) = lab_chain(&["lk.example.test"]);
        let chain = [leaf];
        let name = ServerName::try_from("lk.example.test").unwrap();
        let at = UnixTime::since_unix_epoch(Duration::from_secs(1_580_000_000));
        let mut lab = RootCertStore::empty();
        lab.add(ca).unwrap();
        let lab = Arc::new(lab);
        assert!(verify_chain(&lab, &chain, &name, at).is_ok());
        // The name is judged apart: a certificate for another name is still the lab's.
        let other = ServerName::try_from("other.example.test").unwrap();
        assert!(verify_chain(&lab, &chain, &other, at).is_ok());
        let nobody = Arc::new(RootCertStore::empty());
        assert!(matches!(
            verify_chain(&nobody, &chain, &name, at),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            ))
        ));
    }

    #[test]
    fn an_untrusted_certificate_is_down_with_the_fix() {
        let (leaf, _) = lab_chain(&["lk.example.test"]);
        let fix = untrusted_fix(
            &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
            None,
        );
        let outcome = judge(
            &leaf,
            site("lk.example.test"),
            &Trust::Untrusted(fix),
            day(2020, 2, 1),
        );
        assert_eq!(outcome.status, Status::Down);
        assert!(
            outcome
                .message
                .starts_with("issued by Selkie Lab CA, which browsers do not trust: serve a"),
            "{}",
            outcome.message
        );
        assert!(outcome.message.contains("docker logs selkie-caddy"));
        assert!(outcome
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
        let outcome = judge(&leaf, ip_site, &Trust::OwnCa, day(2020, 2, 1));
        assert_eq!(outcome.status, Status::Healthy, "{outcome:?}");
        assert_eq!(
            outcome.message,
            "60 days left; issued by Selkie Lab CA, this deployment's own CA, for 203.0.113.7"
        );
        let elsewhere = Site {
            ip: Some("198.51.100.1".parse().unwrap()),
            ..ip_site
        };
        let outcome = judge(&leaf, elsewhere, &Trust::OwnCa, day(2020, 2, 1));
        assert_eq!(outcome.status, Status::Down);
        assert!(
            outcome.message.starts_with("does not cover 198.51.100.1"),
            "{}",
            outcome.message
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
