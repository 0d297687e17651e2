//! The deployment's own certificate authority: Caddy's `tls internal` CA, which signs the
//! certificate of an IP-address site. Read from Caddy's admin API (`GET /pki/ca/local`) rather
//! than from the `caddy-data` volume: the API answers wherever Docker keeps its volumes, and the
//! caller's timeout bounds the request.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

use super::http;

/// The root of Caddy's local CA, as a one-certificate trust store.
pub async fn fetch(admin: SocketAddr) -> Result<Arc<RootCertStore>, String> {
    let (code, body) = http::fetch(admin, "/pki/ca/local")
        .await
        .map_err(|e| format!("Caddy's admin API on {admin}: {e}"))?;
    if code != 200 {
        return Err(format!("Caddy's admin API on {admin} answered HTTP {code}"));
    }
    roots_from_json(&body).map(Arc::new)
}

/// The `root_certificate` (PEM) of the admin API's JSON answer.
fn roots_from_json(body: &[u8]) -> Result<RootCertStore, String> {
    #[derive(serde::Deserialize)]
    struct Ca {
        root_certificate: String,
    }
    let ca: Ca = serde_json::from_slice(body)
        .map_err(|e| format!("Caddy's CA answer has no root certificate: {e}"))?;
    let mut roots = RootCertStore::empty();
    for der in CertificateDer::pem_slice_iter(ca.root_certificate.as_bytes()) {
        let der = der.map_err(|e| format!("Caddy's root certificate is not PEM: {e}"))?;
        roots
            .add(der)
            .map_err(|e| format!("Caddy's root certificate is unusable: {e}"))?;
    }
    if roots.is_empty() {
        return Err("Caddy's CA answer holds no certificate".into());
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_read_from_the_admin_apis_json() {
        let ca = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .self_signed(&rcgen::KeyPair::generate().unwrap())
            .unwrap();
        let body = serde_json::json!({
            "id": "local",
            "name": "Caddy Local Authority",
            "root_certificate": ca.pem(),
        });
        let roots = roots_from_json(body.to_string().as_bytes()).unwrap();
        assert_eq!(roots.len(), 1);
        let err = roots_from_json(br#"{"id":"local"}"#).err().unwrap();
        assert!(err.contains("no root certificate"), "{err}");
    }
}
