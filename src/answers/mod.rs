//! What the operator chose, as validated types: parsing is validation, and the same parsers serve the
//! flags, the wizard and `selkie.toml`, so none of them can hold a value the others would reject.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// `TryFrom<String>`, `From<T> for String` and `Display` for a type parsed from text, so serde's
/// `try_from = "String", into = "String"` runs the very parser the flags and the wizard use, and a
/// saved value reads back as itself. The short form is for a newtype over its validated text; the
/// long form says how the value is shown.
macro_rules! string_type {
    ($name:ident) => {
        string_type!($name, |value, f| f.write_str(&value.0));
    };
    ($name:ident, |$value:ident, $f:ident| $show:expr) => {
        impl TryFrom<String> for $name {
            type Error = $crate::error::Error;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.to_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, $f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let $value = self;
                $show
            }
        }
    };
}

mod acme;
mod address;
mod choices;
mod hostname;
mod image;
mod values;

pub use acme::{AcmeCa, AcmeDirectory, IpCert, PemCertificates};
pub use address::{Address, Cidr, PublicAddress, Reach};
pub use choices::{HostFirewall, Provider, ProxyMode, UdpMode};
pub use hostname::Hostname;
pub use image::ImageRef;
pub use values::{check_ssh_port, ssh_port, Email, Participants, UdpStart};

/// The extra host names of `caddy-l4` mode; defaults are `lk.` and `turn.` under the domain.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraHosts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub livekit: Option<Hostname>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<Hostname>,
}

/// How SSH stays reachable through every firewall selkie writes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshAccess {
    /// The ports sshd listens on; detected when empty. Port 0 is refused, as on the command line.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "values::de_ssh_ports"
    )]
    pub ports: Vec<u16>,
    /// Allow SSH only from this network; anywhere when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_from: Option<Cidr>,
}

/// What selkie may change on the host beyond its deployment directory: the operator's consent,
/// saved so `--resume` and non-interactive runs apply again without asking (`[apply]` in
/// `selkie.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostChanges {
    /// Apply the host firewall selkie wrote, commit-confirmed (`--apply-firewall`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub firewall: bool,
    /// Install the sysctl drop-in into /etc/sysctl.d and load it (`--apply-sysctl`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sysctl: bool,
    /// The host firewall to apply to; the installed one when unset (`--host-firewall`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_firewall: Option<HostFirewall>,
}

/// Everything the operator chose, as saved in `selkie.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// The preset's name (see `presets/`).
    pub preset: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Hostname>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<PublicAddress>,
    pub proxy: ProxyMode,
    pub participants: Participants,
    pub udp: UdpMode,
    /// First port of the range, or the mux port; the preset's default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp_start: Option<UdpStart>,
    /// A fixed last port of the range (a preset's choice); sized from participants when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp_end: Option<u16>,
    pub provider: Provider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// Another ACME certificate authority than Let's Encrypt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acme: Option<AcmeCa>,
    /// Where a bare IP address gets its certificate; a public CA when it can check the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_cert: Option<IpCert>,
    #[serde(default, skip_serializing_if = "is_default_hosts")]
    pub hosts: ExtraHosts,
    #[serde(default)]
    pub ssh: SshAccess,
    /// Image overrides by service name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub images: BTreeMap<String, ImageRef>,
    /// Consent to change the host's firewall and kernel settings.
    #[serde(default, skip_serializing_if = "is_default_apply")]
    pub apply: HostChanges,
}

fn is_default_apply(a: &HostChanges) -> bool {
    a == &HostChanges::default()
}

fn is_default_hosts(h: &ExtraHosts) -> bool {
    h == &ExtraHosts::default()
}

impl Answers {
    /// The address clients use, or an error naming the flag to give.
    pub fn address(&self) -> Result<Address, Error> {
        match (&self.domain, &self.ip) {
            (Some(d), None) => Ok(Address::Domain(d.clone())),
            (None, Some(ip)) => Ok(Address::Ip(*ip)),
            (Some(_), Some(_)) => Err(Error::invalid(
                "both a domain and an IP address are set",
                "give either --domain NAME or --ip ADDR, not both",
            )),
            (None, None) => Err(Error::invalid(
                "no domain or IP address was given",
                "give --domain NAME (for automatic HTTPS) or --ip ADDR (for a server without a domain)",
            )),
        }
    }
}

/// Asserts that `input` is refused as a usage error (exit code 2) whose hint mentions `hint_has`.
#[cfg(test)]
fn rejects<T: std::str::FromStr<Err = Error> + std::fmt::Debug>(input: &str, hint_has: &str) {
    match input.parse::<T>() {
        Ok(v) => panic!("{input:?} was accepted as {v:?}"),
        Err(e) => {
            let hint = e.hint().unwrap_or_default();
            assert!(
                hint.contains(hint_has),
                "hint for {input:?} was {hint:?}, wanted it to mention {hint_has:?}"
            );
            assert_eq!(e.exit_code(), 2);
        }
    }
}
