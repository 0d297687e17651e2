//! Certificates for the tests: a lab CA and a leaf it signs, at fixed dates.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::CertificateDer;

use super::Site;

/// A lab CA and a certificate it signs for `names`, valid from 2020-01-01 to 2020-04-01.
pub fn lab_chain(names: &[&str]) -> (CertificateDer<'static>, CertificateDer<'static>) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Selkie Lab CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    leaf.not_before = date_time_ymd(2020, 1, 1);
    leaf.not_after = date_time_ymd(2020, 4, 1);
    let leaf_cert = leaf
        .signed_by(&KeyPair::generate().unwrap(), &issuer)
        .unwrap();
    (leaf_cert.der().clone(), ca_cert.der().clone())
}

/// Midnight UTC of a date.
pub fn day(y: i32, m: u8, d: u8) -> SystemTime {
    let t = date_time_ymd(y, m, d).unix_timestamp();
    UNIX_EPOCH + Duration::from_secs(u64::try_from(t).unwrap())
}

/// A site asked for by host name.
pub fn site(name: &str) -> Site<'_> {
    Site {
        server_name: Some(name),
        ip: None,
    }
}
