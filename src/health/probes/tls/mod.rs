//! TLS: a handshake through the proxy with the site's server name, judging the certificate as a
//! browser would (trusted chain, the site's name, not expired) and reporting what is served
//! (issuer, names, time left).
//!
//! The handshake itself accepts any chain, so an untrusted certificate can still be described
//! (`handshake`); the chain is then verified on its own against the system's roots
//! (rustls-native-certs, which honours SSL_CERT_FILE and SSL_CERT_DIR) and, for Caddy's
//! `tls internal`, the deployment's own CA (`trust`); last the certificate is judged for the site
//! (`certificate`). Signatures are checked in the handshake, so the peer proves it holds the
//! certificate's key.

mod certificate;
mod handshake;
#[cfg(test)]
mod lab;
mod trust;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::RootCertStore;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{io_reason, Context};
use crate::health::{Status, Verdict};
#[cfg(test)]
pub(super) use handshake::no_certificate;
pub use handshake::NO_CERTIFICATE;
use trust::Trust;

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
pub(super) async fn probe(addr: SocketAddr, site: Site<'_>, ctx: &Context) -> Verdict {
    let config = match handshake::client_config() {
        Ok(c) => c,
        Err(e) => return Verdict::new(Status::Unknown, e.clone()),
    };
    // rustls sends no SNI for an address, which is what a browser does for an IP site.
    let sni = match site.server_name {
        Some(name) => match ServerName::try_from(name.to_string()) {
            Ok(n) => n,
            Err(_) => {
                return Verdict::new(Status::Down, format!("`{name}` is not a valid host name"))
            }
        },
        None => ServerName::IpAddress(site.ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)).into()),
    };
    let started = Instant::now();
    let tcp = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => return Verdict::new(Status::Down, io_reason(&e)),
    };
    let tls = match TlsConnector::from(config).connect(sni, tcp).await {
        Ok(s) => s,
        Err(e) => {
            let shown = site
                .server_name
                .map(str::to_string)
                .or(site.ip.map(|i| i.to_string()));
            return handshake::failure(&e, shown.as_deref());
        }
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
        return Verdict {
            latency,
            ..Verdict::new(Status::Down, "handshake completed without a certificate")
        };
    };
    let now = SystemTime::now();
    let trust = match x509_parser::parse_x509_certificate(leaf) {
        Ok((_, cert)) => trust::trust_of(&chain, &cert, site, ctx, now).await,
        // `judge` says the certificate is unreadable.
        Err(_) => Trust::Untrusted(String::new()),
    };
    let verdict = certificate::judge(leaf, site, &trust, now);
    Verdict { latency, ..verdict }
}
