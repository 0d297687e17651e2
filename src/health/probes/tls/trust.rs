//! Who vouches for a certificate: the system's roots, or the deployment's own CA (Caddy's
//! `tls internal`, read from its admin API), or nobody a browser trusts.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::ring;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, RootCertStore};

use super::certificate::{names_of, unix_secs};
use super::Site;
use crate::health::probes::{own_ca, Context};

/// Who vouches for a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Trust {
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
pub(super) async fn trust_of(
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
pub(super) fn verify_chain(
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
pub(super) fn untrusted_fix(error: &rustls::Error, own_ca: Option<String>) -> String {
    let why = match error {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => String::new(),
        other => format!(" ({other})"),
    };
    match own_ca {
        Some(own) => format!(
            "{own}{why}; check that Caddy runs with its admin API on 127.0.0.1:2019, which \
             serves that CA"
        ),
        None => format!(
            "{why} serve a certificate from a public CA: Caddy gets one once DNS points here \
             and port 80 or 443 is open (`docker logs selkie-caddy` says why not)"
        )
        .trim_start()
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lab::lab_chain;
    use super::*;

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
}
