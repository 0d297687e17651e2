//! A certificate authority other than Let's Encrypt: any ACME server (a staging CA, a company's
//! own step-ca, a test CA), with the root certificate that signs its HTTPS endpoint when that
//! root is not a public one; and where a bare IP address gets its certificate.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The ACME directory to get certificates from, and the root its endpoint is served under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeCa {
    pub directory: AcmeDirectory,
    /// PEM certificates Caddy trusts for the directory's HTTPS (not for the issued certificates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<PemCertificates>,
}

/// Where the certificate of a bare IP address comes from (`--ip-cert`, `ip_cert` in selkie.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum IpCert {
    /// A public ACME CA (Let's Encrypt's six-day `shortlived` profile): every device trusts it,
    /// Caddy renews it every few days by itself.
    Acme,
    /// Caddy's own CA (`tls internal`): works without the internet reaching the server, but every
    /// device must import its root certificate first.
    Internal,
}

impl IpCert {
    /// The ACME profile a public CA issues IP-address certificates under.
    pub const PROFILE: &'static str = "shortlived";

    pub fn as_str(&self) -> &'static str {
        match self {
            IpCert::Acme => "acme",
            IpCert::Internal => "internal",
        }
    }

    /// What this choice costs, in one sentence; `ca` names the public CA ("Let's Encrypt").
    pub fn cost(&self, ca: &str) -> String {
        match self {
            IpCert::Acme => format!(
                "A six-day certificate from {ca} (ACME profile {}), renewed by Caddy on its own: \
                 every device trusts it as it is, but the CA must reach this server on port 80 or 443",
                IpCert::PROFILE
            ),
            IpCert::Internal => "Caddy's own CA signs the certificate: nothing outside has to reach \
                 the server, but every device must import its root certificate before browsers \
                 allow camera and microphone"
                .to_string(),
        }
    }
}

impl FromStr for IpCert {
    type Err = Error;
    fn from_str(raw: &str) -> Result<Self, Error> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "acme" => Ok(IpCert::Acme),
            "internal" => Ok(IpCert::Internal),
            other => Err(Error::invalid(
                format!("`{other}` is not a certificate source for an IP address"),
                "choose acme (a six-day public certificate, renewed automatically) or internal \
                 (Caddy's own CA, whose root every device must import)",
            )),
        }
    }
}

string_type!(IpCert, |value, f| f.write_str(value.as_str()));

/// An ACME directory URL: `https://`, a host, and a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AcmeDirectory(String);

impl AcmeDirectory {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AcmeDirectory {
    type Err = Error;
    fn from_str(raw: &str) -> Result<Self, Error> {
        let input = raw.trim();
        let rest = input.strip_prefix("https://").unwrap_or("");
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let clean = input
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '`' | '{' | '}' | '\\'));
        if host.is_empty() || !clean || input.len() > 2048 {
            return Err(Error::invalid(
                format!("`{input}` is not an ACME directory URL"),
                "give the https:// URL of the CA's ACME directory, e.g. \
                 https://acme-staging-v02.api.letsencrypt.org/directory",
            ));
        }
        Ok(AcmeDirectory(input.to_string()))
    }
}

string_type!(AcmeDirectory);

/// One or more PEM certificates, and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PemCertificates(String);

impl PemCertificates {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PemCertificates {
    type Err = Error;
    fn from_str(raw: &str) -> Result<Self, Error> {
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let mut out = String::new();
        let mut inside = false;
        let mut count = 0;
        let mut valid = raw.len() <= 256 * 1024;
        for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match (inside, line) {
                (false, BEGIN) => inside = true,
                (true, END) => {
                    inside = false;
                    count += 1;
                }
                (true, body)
                    if body
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')) => {}
                _ => valid = false,
            }
            out.push_str(line);
            out.push('\n');
        }
        if !valid || inside || count == 0 {
            return Err(Error::invalid(
                "the ACME CA root is not a PEM certificate file",
                "give a file that holds only -----BEGIN CERTIFICATE----- blocks",
            ));
        }
        Ok(PemCertificates(out))
    }
}

string_type!(PemCertificates, |value, f| f.write_str(&value.0));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_must_be_https_urls_without_caddyfile_syntax() {
        assert!("https://ca.internal:14000/dir"
            .parse::<AcmeDirectory>()
            .is_ok());
        for bad in [
            "http://ca/dir",
            "https://",
            "ca.example/dir",
            "https://a/{$HOME}",
            "https://a b",
        ] {
            assert_eq!(
                bad.parse::<AcmeDirectory>().unwrap_err().exit_code(),
                2,
                "{bad}"
            );
        }
    }

    #[test]
    fn ip_certificate_sources_parse_and_list_the_choices() {
        assert_eq!(" ACME ".parse::<IpCert>().unwrap(), IpCert::Acme);
        assert_eq!("internal".parse::<IpCert>().unwrap(), IpCert::Internal);
        crate::answers::rejects::<IpCert>("letsencrypt", "acme");
        crate::answers::rejects::<IpCert>("self-signed", "internal");
    }

    #[test]
    fn roots_hold_certificates_only() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB+w==\n-----END CERTIFICATE-----\n";
        assert_eq!(pem.parse::<PemCertificates>().unwrap().as_str(), pem);
        for bad in [
            "",
            "-----BEGIN CERTIFICATE-----\nMIIB\n",
            "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE-----\n}\n-----END CERTIFICATE-----\n",
        ] {
            assert!(bad.parse::<PemCertificates>().is_err(), "{bad:?}");
        }
    }
}
