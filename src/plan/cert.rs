//! The front door's certificate for a bare IP address: a public CA's six-day certificate (ACME
//! profile `shortlived`, as Let's Encrypt issues IP-address certificates) where that CA can check
//! the address, else Caddy's own CA (`tls internal`), whose root every device must import.

use crate::answers::{Address, Answers, IpCert, ProxyMode, Reach};
use crate::error::Error;
use crate::preset::Preset;

/// How the front door gets its certificate, as the plan's `Web` carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrontCert {
    /// The site is a bare IP address: TLS clients send no server name.
    pub bare_ip: bool,
    /// Caddy's own CA signs the certificate.
    pub internal_tls: bool,
    /// The ACME profile Caddy orders the certificate under.
    pub acme_profile: Option<String>,
    /// What the choice costs, in one sentence, for an IP address behind selkie's Caddy.
    pub certificate: Option<String>,
}

/// The certificate for `addr`: an error when `--ip-cert acme` names an address no public CA can
/// check, with the way out.
pub(crate) fn front_cert(
    answers: &Answers,
    preset: &Preset,
    addr: &Address,
) -> Result<FrontCert, Error> {
    let Address::Ip(ip) = addr else {
        return Ok(FrontCert {
            bare_ip: false,
            internal_tls: false,
            acme_profile: None,
            certificate: None,
        });
    };
    // Only selkie's own Caddy gets certificates; the operator's proxy brings its own.
    let own_caddy = matches!(answers.proxy, ProxyMode::Caddy | ProxyMode::CaddyL4);
    let unreachable = unreachable_by_ca(ip.reach(), preset);
    let source =
        match (answers.ip_cert, &unreachable) {
            (Some(IpCert::Acme), Some(why)) if own_caddy => return Err(Error::invalid(
                format!("a public certificate authority cannot check {ip}: {why}"),
                "choose --ip-cert internal (Caddy's own CA: every device imports its root), or \
                 give a public address or a domain",
            )),
            (Some(chosen), _) => chosen,
            (None, Some(_)) => IpCert::Internal,
            (None, None) => IpCert::Acme,
        };
    if !own_caddy {
        return Ok(FrontCert {
            bare_ip: true,
            internal_tls: false,
            acme_profile: None,
            certificate: None,
        });
    }
    let ca = match &answers.acme {
        Some(ca) => format!("the ACME CA at {}", ca.directory),
        None => "Let's Encrypt".to_string(),
    };
    Ok(FrontCert {
        bare_ip: true,
        internal_tls: source == IpCert::Internal,
        acme_profile: (source == IpCert::Acme).then(|| IpCert::PROFILE.to_string()),
        certificate: Some(format!("{}.", source.cost(&ca))),
    })
}

/// Why a public CA cannot validate this address, or `None` when it can: the CA connects to the
/// address on port 80 (HTTP-01) or 443 (TLS-ALPN-01) from the internet.
fn unreachable_by_ca(reach: Reach, preset: &Preset) -> Option<&'static str> {
    if reach != Reach::Internet {
        return Some("the internet does not reach it");
    }
    if preset.web.https_port != 443 && !preset.web.redirect_http {
        return Some("this preset opens neither port 80 nor 443, where the CA checks an address");
    }
    None
}

/// Whether selkie's Caddy would sign `addr`'s certificate with its own CA (`tls internal`), as
/// the wizard explains the proxy modes before one is chosen: false for a domain, and for an IP
/// address a public CA can check unless the operator chose otherwise.
pub fn caddy_signs_itself(answers: &Answers, preset: &Preset, addr: &Address) -> bool {
    let mut behind_caddy = answers.clone();
    behind_caddy.proxy = ProxyMode::Caddy;
    front_cert(&behind_caddy, preset, addr).map_or(true, |c| c.internal_tls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::AcmeCa;
    use crate::preset;

    fn at(ip: &str, source: Option<IpCert>) -> Result<FrontCert, Error> {
        let preset = preset::find("livekit").unwrap();
        let mut answers = crate::testing::answers(&preset, ProxyMode::Caddy, ip);
        answers.ip_cert = source;
        let addr = answers.address().unwrap();
        front_cert(&answers, &preset, &addr)
    }

    #[test]
    fn a_public_address_gets_a_short_lived_public_certificate_by_default() {
        let cert = at("203.0.113.7", None).unwrap();
        assert!(cert.bare_ip && !cert.internal_tls);
        assert_eq!(cert.acme_profile.as_deref(), Some("shortlived"));
        let says = cert.certificate.unwrap();
        assert!(
            says.contains("six-day") && says.contains("Let's Encrypt"),
            "{says}"
        );
    }

    #[test]
    fn the_internal_ca_is_chosen_knowingly_or_where_no_ca_can_check() {
        let chosen = at("203.0.113.7", Some(IpCert::Internal)).unwrap();
        assert!(chosen.internal_tls && chosen.acme_profile.is_none());
        assert!(chosen.certificate.unwrap().contains("every device"));
        let private = at("10.0.0.5", None).unwrap();
        assert!(private.internal_tls);
        let refused = at("10.0.0.5", Some(IpCert::Acme)).unwrap_err();
        assert_eq!(refused.exit_code(), 2);
        assert!(refused
            .hint()
            .unwrap_or_default()
            .contains("--ip-cert internal"));
    }

    #[test]
    fn another_ca_is_named_in_the_cost() {
        let preset = preset::find("livekit").unwrap();
        let mut answers = crate::testing::answers(&preset, ProxyMode::Caddy, "203.0.113.7");
        answers.acme = Some(AcmeCa {
            directory: "https://ca.example/dir".parse().unwrap(),
            root: None,
        });
        let addr = answers.address().unwrap();
        let cert = front_cert(&answers, &preset, &addr).unwrap();
        assert!(cert.certificate.unwrap().contains("https://ca.example/dir"));
    }

    #[test]
    fn a_domain_has_no_ip_certificate() {
        let preset = preset::find("livekit").unwrap();
        let answers = crate::testing::answers(&preset, ProxyMode::Caddy, "meet.example.com");
        let addr = answers.address().unwrap();
        let cert = front_cert(&answers, &preset, &addr).unwrap();
        assert!(!cert.bare_ip && !cert.internal_tls && cert.certificate.is_none());
    }
}
