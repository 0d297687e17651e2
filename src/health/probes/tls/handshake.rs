//! The probe's own handshake: any chain is accepted (it is verified apart, see `trust`), but the
//! handshake signatures are checked against it; and why a handshake failed, in words.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::health::probes::io_reason;
use crate::health::{Cause, Status, Verdict};

/// One client configuration for every probe: ring crypto, any chain accepted (and verified
/// apart afterwards).
pub(super) fn client_config() -> Result<Arc<ClientConfig>, &'static String> {
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

/// What a handshake says when the server holds no certificate for `name` yet.
pub(in crate::health::probes) fn no_certificate(name: &str) -> Verdict {
    let message = format!("{NO_CERTIFICATE}{name} yet (server sent alert internal_error)");
    Verdict::new(Status::Down, message).because(Cause::NoCertificate)
}

/// How [`no_certificate`]'s message begins (status's fuller reason begins the same).
pub const NO_CERTIFICATE: &str = "no certificate for ";

/// Why the handshake failed, in an operator's words: down, with its cause where known.
pub(super) fn failure(e: &std::io::Error, name: Option<&str>) -> Verdict {
    let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return Verdict::new(Status::Down, format!("handshake failed: {}", io_reason(e)));
    };
    let message = match tls {
        // Caddy (certmagic) aborts with internal_error when it holds no certificate for the
        // name: before ACME has issued one, or for a name it does not serve at all.
        rustls::Error::AlertReceived(AlertDescription::InternalError) => {
            return no_certificate(name.unwrap_or("this address"));
        }
        rustls::Error::AlertReceived(AlertDescription::UnrecognisedName) => {
            let name = name.unwrap_or("this address");
            format!("server has no site for {name} (alert unrecognized_name)")
        }
        rustls::Error::AlertReceived(alert) => {
            format!("handshake failed: server sent alert {}", alert_name(*alert))
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "handshake failed: the port does not speak TLS".into()
        }
        other => format!("handshake failed: {other}"),
    };
    Verdict::new(Status::Down, message)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
