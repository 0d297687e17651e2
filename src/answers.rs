//! What the operator chose, as validated types: parsing is validation, and the same parsers serve the
//! flags, the wizard and `selkie.toml`, so none of them can hold a value the others would reject.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A DNS host name per RFC 1123, lower-cased, with at least two labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hostname(String);

impl Hostname {
    /// The name as it goes into configs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `label.<this name>`, e.g. `lk.example.com`; valid whenever `label` is a valid label.
    pub fn subdomain(&self, label: &str) -> Result<Hostname, Error> {
        format!("{label}.{}", self.0).parse()
    }
}

impl FromStr for Hostname {
    type Err = Error;

    fn from_str(raw: &str) -> Result<Self, Error> {
        let input = raw.trim();
        let bad = |why: &str, hint: String| {
            Err(Error::invalid(
                format!("`{input}` is not a host name: {why}"),
                hint,
            ))
        };
        if input.is_empty() {
            return bad(
                "it is empty",
                "enter the domain that will point at this server, e.g. meet.example.com".into(),
            );
        }
        if let Some((scheme, rest)) = input.split_once("://") {
            let host = rest.split(['/', ':']).next().unwrap_or_default();
            return bad(
                &format!("`{scheme}://` is part of a URL, not of a name"),
                format!("enter just the host name, e.g. {host}"),
            );
        }
        if input.parse::<IpAddr>().is_ok()
            || input
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok()
        {
            return bad(
                "it is an IP address",
                format!("use --ip {input} for a server reached by its address"),
            );
        }
        if let Some((host, port)) = input.rsplit_once(':') {
            return bad(
                &format!("`:{port}` is a port"),
                format!("enter the name without the port, e.g. {host}; selkie chooses the ports"),
            );
        }
        if input.contains('/') {
            let host = input.split('/').next().unwrap_or_default();
            return bad(
                "a path is not part of a name",
                format!("enter just the host name, e.g. {host}"),
            );
        }
        let name = input.trim_end_matches('.').to_ascii_lowercase();
        if name.len() > 253 {
            return bad(
                "it is longer than 253 characters",
                "use a shorter name".into(),
            );
        }
        let labels: Vec<&str> = name.split('.').collect();
        if labels.len() < 2 {
            return bad(
                "it has no dot, so no public DNS can resolve it",
                format!("enter a full domain such as {name}.example.com, or use --ip with the server's address"),
            );
        }
        for label in &labels {
            if label.is_empty() {
                return bad(
                    "it has an empty label (two dots in a row)",
                    "remove the extra dot".into(),
                );
            }
            if label.len() > 63 {
                return bad(
                    &format!("the label `{label}` is longer than 63 characters"),
                    "use shorter labels".into(),
                );
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return bad(
                    &format!("`{c}` is not allowed (letters, digits and hyphens only)"),
                    "for an internationalised name, enter its xn-- (punycode) form".into(),
                );
            }
            if label.starts_with('-') || label.ends_with('-') {
                return bad(
                    &format!("the label `{label}` starts or ends with a hyphen"),
                    "remove the hyphen at the edge of the label".into(),
                );
            }
        }
        if labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
        {
            return bad(
                "its last label is all digits",
                "enter a domain name, or use --ip for an address".into(),
            );
        }
        Ok(Hostname(name))
    }
}

impl TryFrom<String> for Hostname {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<Hostname> for String {
    fn from(h: Hostname) -> String {
        h.0
    }
}

impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IPv4 or IPv6 address the server is reached at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicAddress(IpAddr);

/// Who can reach an address, which decides the warning the plan carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Internet,
    Private,
    SharedVpn,
    Loopback,
    LinkLocal,
    Unspecified,
}

impl PublicAddress {
    /// The address itself.
    pub fn ip(&self) -> IpAddr {
        self.0
    }

    /// Whether this address is reachable from the internet, a private network, or only this host.
    pub fn reach(&self) -> Reach {
        match self.0 {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                if v4.is_unspecified() || v4.is_broadcast() {
                    Reach::Unspecified
                } else if v4.is_loopback() {
                    Reach::Loopback
                } else if v4.is_link_local() {
                    Reach::LinkLocal
                } else if v4.is_private() {
                    Reach::Private
                } else if o[0] == 100 && (64..128).contains(&o[1]) {
                    Reach::SharedVpn
                } else {
                    Reach::Internet
                }
            }
            IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                if v6.is_unspecified() {
                    Reach::Unspecified
                } else if v6.is_loopback() {
                    Reach::Loopback
                } else if first & 0xffc0 == 0xfe80 {
                    Reach::LinkLocal
                } else if first & 0xfe00 == 0xfc00 {
                    Reach::Private
                } else {
                    Reach::Internet
                }
            }
        }
    }

    /// A warning for addresses the internet cannot reach, or `None` for a public one.
    pub fn warning(&self) -> Option<String> {
        let ip = self.0;
        match self.reach() {
            Reach::Internet | Reach::Unspecified => None,
            Reach::Private => Some(format!(
                "{ip} is a private address: only machines on the same network (or VPN) can reach this deployment"
            )),
            Reach::SharedVpn => Some(format!(
                "{ip} is in 100.64.0.0/10 (carrier-grade NAT or a VPN such as Tailscale): only peers on that network can reach this deployment"
            )),
            Reach::Loopback => Some(format!(
                "{ip} is a loopback address: only programs on this server can reach this deployment"
            )),
            Reach::LinkLocal => Some(format!(
                "{ip} is link-local: only machines on the same network segment can reach this deployment"
            )),
        }
    }
}

impl From<IpAddr> for PublicAddress {
    fn from(ip: IpAddr) -> Self {
        PublicAddress(ip)
    }
}

impl FromStr for PublicAddress {
    type Err = Error;

    fn from_str(raw: &str) -> Result<Self, Error> {
        let input = raw.trim();
        let bare = input.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) if ip.is_unspecified() => Err(Error::invalid(
                format!("`{input}` means \"every address\", not this server's address"),
                "enter the address clients use to reach this server, e.g. 203.0.113.7",
            )),
            Ok(ip) if ip.is_multicast() => Err(Error::invalid(
                format!("`{input}` is a multicast address"),
                "enter the address clients use to reach this server, e.g. 203.0.113.7",
            )),
            Ok(ip) => Ok(PublicAddress(ip)),
            Err(_) => {
                let hint = if input.chars().any(|c| c.is_ascii_alphabetic()) && !input.contains(':')
                {
                    format!("`{input}` looks like a name: use --domain {input}")
                } else {
                    "enter an IPv4 address like 203.0.113.7 or an IPv6 address like 2001:db8::7"
                        .into()
                };
                Err(Error::invalid(
                    format!("`{input}` is not an IP address"),
                    hint,
                ))
            }
        }
    }
}

impl TryFrom<String> for PublicAddress {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<PublicAddress> for String {
    fn from(a: PublicAddress) -> String {
        a.0.to_string()
    }
}

impl fmt::Display for PublicAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The expected peak number of people in calls at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Participants(u32);

impl Participants {
    /// The largest count selkie sizes a single server for.
    pub const MAX: u32 = 10_000;

    /// The count.
    pub fn get(&self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Participants {
    type Error = Error;
    fn try_from(n: u32) -> Result<Self, Error> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Participants(n))
        } else {
            Err(Error::invalid(
                format!("{n} participants is out of range"),
                format!(
                    "enter the expected peak number of people in calls at once, from 1 to {}",
                    Self::MAX
                ),
            ))
        }
    }
}

impl FromStr for Participants {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let n: u32 = s.trim().parse().map_err(|_| {
            Error::invalid(
                format!("`{}` is not a number of participants", s.trim()),
                format!("enter a whole number from 1 to {}", Self::MAX),
            )
        })?;
        n.try_into()
    }
}

impl From<Participants> for u32 {
    fn from(p: Participants) -> u32 {
        p.0
    }
}

/// The first UDP port of LiveKit's media range (or the single mux port): 1024 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct UdpStart(u16);

impl UdpStart {
    /// The port.
    pub fn get(&self) -> u16 {
        self.0
    }
}

impl TryFrom<u16> for UdpStart {
    type Error = Error;
    fn try_from(n: u16) -> Result<Self, Error> {
        if n >= 1024 {
            Ok(UdpStart(n))
        } else {
            Err(Error::invalid(
                format!(
                    "UDP port {n} is below 1024 (those ports are reserved for system services)"
                ),
                "enter a start port from 1024 to 65535, e.g. 50000",
            ))
        }
    }
}

impl FromStr for UdpStart {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let n: u16 = s.trim().parse().map_err(|_| {
            Error::invalid(
                format!("`{}` is not a port number", s.trim()),
                "enter a start port from 1024 to 65535, e.g. 50000",
            )
        })?;
        n.try_into()
    }
}

impl From<UdpStart> for u16 {
    fn from(p: UdpStart) -> u16 {
        p.0
    }
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? } what = $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in the order the help lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used on the command line and in `selkie.toml`.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                let wanted = s.trim().to_ascii_lowercase();
                $name::ALL
                    .iter()
                    .find(|v| v.as_str() == wanted)
                    .copied()
                    .ok_or_else(|| {
                        let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        Error::invalid(
                            format!("`{}` is not a known {}", s.trim(), $what),
                            format!("choose one of: {}", names.join(", ")),
                        )
                    })
            }
        }
    };
}

named_enum! {
    /// How traffic from browsers reaches the services.
    ProxyMode {
        /// Caddy terminates HTTPS (automatic certificates for a domain, `tls internal` for an IP).
        Caddy => "caddy",
        /// Caddy's layer-4 app routes TLS by SNI on 443 to the app, LiveKit and TURN.
        CaddyL4 => "caddy-l4",
        /// The operator's own nginx or Traefik; services listen on 127.0.0.1.
        External => "external",
        /// No proxy: services are reached directly (trusted networks only).
        None => "none",
    } what = "proxy mode"
}

named_enum! {
    /// How LiveKit receives WebRTC media over UDP.
    UdpMode {
        /// A range of ports, about two per participant.
        Range => "range",
        /// One port shared by every participant (`rtc.udp_port`).
        Mux => "mux",
    } what = "UDP mode"
}

named_enum! {
    /// Where the server runs, which decides the cloud firewall commands.
    Provider {
        DigitalOcean => "digitalocean",
        Aws => "aws",
        Hetzner => "hetzner",
        Gcp => "gcp",
        Azure => "azure",
        Oracle => "oracle",
        Linode => "linode",
        Vultr => "vultr",
        Scaleway => "scaleway",
        Ovh => "ovh",
        /// Bare metal, a home server, or a provider without a cloud firewall.
        None => "none",
    } what = "provider"
}

named_enum! {
    /// The firewall running on the server itself.
    HostFirewall {
        Ufw => "ufw",
        Firewalld => "firewalld",
        Nftables => "nftables",
        Iptables => "iptables",
    } what = "host firewall"
}

impl Provider {
    /// The name people use for the provider.
    pub fn title(&self) -> &'static str {
        match self {
            Provider::DigitalOcean => "DigitalOcean",
            Provider::Aws => "AWS",
            Provider::Hetzner => "Hetzner Cloud",
            Provider::Gcp => "Google Cloud",
            Provider::Azure => "Azure",
            Provider::Oracle => "Oracle Cloud",
            Provider::Linode => "Linode (Akamai)",
            Provider::Vultr => "Vultr",
            Provider::Scaleway => "Scaleway",
            Provider::Ovh => "OVHcloud",
            Provider::None => "no cloud firewall",
        }
    }
}

/// An IPv4 or IPv6 network in CIDR form, e.g. `203.0.113.7/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The network address as written.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether this is an IPv6 network.
    pub fn is_ipv6(&self) -> bool {
        self.addr.is_ipv6()
    }

    /// A single host: /32 for IPv4, /128 for IPv6.
    pub fn host(addr: IpAddr) -> Cidr {
        Cidr {
            addr,
            prefix: if addr.is_ipv6() { 128 } else { 32 },
        }
    }
}

impl FromStr for Cidr {
    type Err = Error;
    fn from_str(raw: &str) -> Result<Self, Error> {
        let input = raw.trim();
        let hint = "enter an address or network like 203.0.113.7, 203.0.113.0/24 or 2001:db8::/48";
        let (addr, prefix) = match input.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (input, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| Error::invalid(format!("`{input}` is not an address or network"), hint))?;
        let max = if addr.is_ipv6() { 128 } else { 32 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
                Error::invalid(
                    format!("`/{p}` is not a valid prefix length for {addr}"),
                    format!("use a prefix from 0 to {max}"),
                )
            })?,
        };
        // Keep the network, not the host bits (203.0.113.7/24 is 203.0.113.0/24): cloud APIs
        // refuse the unnormalised form.
        let addr = match addr {
            IpAddr::V4(v4) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4((u32::from(v4) & mask).into())
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        };
        Ok(Cidr { addr, prefix })
    }
}

impl TryFrom<String> for Cidr {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<Cidr> for String {
    fn from(c: Cidr) -> String {
        c.to_string()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A container image reference such as `livekit/livekit-server:v1.13.5`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageRef(String);

impl ImageRef {
    /// The reference as Docker takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the reference names a moving tag (`latest`, or no tag and no digest).
    pub fn is_floating(&self) -> bool {
        if self.0.contains('@') {
            return false;
        }
        let last = self.0.rsplit('/').next().unwrap_or(&self.0);
        match last.split_once(':') {
            None => true,
            Some((_, tag)) => tag == "latest",
        }
    }
}

impl FromStr for ImageRef {
    type Err = Error;
    fn from_str(raw: &str) -> Result<Self, Error> {
        let input = raw.trim();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "._-/:@".contains(c);
        let repo = input.split(['@', ':']).next().unwrap_or_default();
        if input.is_empty()
            || !input.chars().all(ok_char)
            || input.starts_with(['/', ':', '@', '-', '.'])
            || input.ends_with(['/', ':', '@'])
            || input.contains("//")
            || repo.chars().any(|c| c.is_ascii_uppercase())
        {
            return Err(Error::invalid(
                format!("`{input}` is not a container image reference"),
                "enter a reference like registry.example.com/team/app:1.4.2 (lower-case repository, a tag or @sha256 digest)",
            ));
        }
        Ok(ImageRef(input.to_string()))
    }
}

impl TryFrom<String> for ImageRef {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<ImageRef> for String {
    fn from(i: ImageRef) -> String {
        i.0
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address for certificate expiry notices; checked for shape only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = Error;
    fn from_str(raw: &str) -> Result<Self, Error> {
        let input = raw.trim();
        let valid = input.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !local.chars().any(|c| c.is_whitespace() || c == '"')
                && domain.parse::<Hostname>().is_ok()
        });
        if valid {
            Ok(Email(input.to_string()))
        } else {
            Err(Error::invalid(
                format!("`{input}` is not an e-mail address"),
                "enter an address like ops@example.com (used only for certificate expiry notices)",
            ))
        }
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

/// How clients find the server: a domain (real certificates) or a bare address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Domain(Hostname),
    Ip(PublicAddress),
}

impl Address {
    /// The host part of URLs: the name, the IPv4 address, or the bracketed IPv6 address.
    pub fn url_host(&self) -> String {
        match self {
            Address::Domain(h) => h.to_string(),
            Address::Ip(a) if a.ip().is_ipv6() => format!("[{a}]"),
            Address::Ip(a) => a.to_string(),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Domain(h) => h.fmt(f),
            Address::Ip(a) => a.fmt(f),
        }
    }
}

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
    /// The ports sshd listens on; detected when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<u16>,
    /// Allow SSH only from this network; anywhere when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_from: Option<Cidr>,
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
    #[serde(default, skip_serializing_if = "is_default_hosts")]
    pub hosts: ExtraHosts,
    #[serde(default)]
    pub ssh: SshAccess,
    /// Image overrides by service name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub images: BTreeMap<String, ImageRef>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rejects<T: FromStr<Err = Error> + fmt::Debug>(input: &str, hint_has: &str) {
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

    #[test]
    fn hostnames_follow_rfc_1123_and_explain_rejections() {
        assert_eq!(
            "Meet.Example.COM.".parse::<Hostname>().unwrap().as_str(),
            "meet.example.com"
        );
        assert_eq!(
            "xn--bcher-kva.example"
                .parse::<Hostname>()
                .unwrap()
                .as_str(),
            "xn--bcher-kva.example"
        );
        rejects::<Hostname>("https://x.com/", "x.com");
        rejects::<Hostname>("x.com:443", "without the port");
        rejects::<Hostname>("203.0.113.7", "--ip 203.0.113.7");
        rejects::<Hostname>("2001:db8::1", "--ip");
        rejects::<Hostname>("localhost", "full domain");
        rejects::<Hostname>("-bad.example.com", "hyphen");
        rejects::<Hostname>("a..b", "extra dot");
        rejects::<Hostname>("under_score.example", "punycode");
        rejects::<Hostname>("example.com/path", "example.com");
        rejects::<Hostname>(&format!("{}.com", "a".repeat(64)), "shorter");
        rejects::<Hostname>("", "meet.example.com");
    }

    #[test]
    fn addresses_accept_v4_v6_and_warn_when_unreachable() {
        let public: PublicAddress = "203.0.113.7".parse().unwrap();
        assert_eq!(public.reach(), Reach::Internet);
        assert!(public.warning().is_none());
        let private: PublicAddress = "10.1.2.3".parse().unwrap();
        assert!(private.warning().unwrap().contains("private"));
        let lo: PublicAddress = "127.0.0.1".parse().unwrap();
        assert!(lo.warning().unwrap().contains("loopback"));
        let ts: PublicAddress = "100.101.102.103".parse().unwrap();
        assert_eq!(ts.reach(), Reach::SharedVpn);
        let v6: PublicAddress = "[2001:db8::7]".parse().unwrap();
        assert_eq!(v6.to_string(), "2001:db8::7");
        assert_eq!(Address::Ip(v6).url_host(), "[2001:db8::7]");
        let ula: PublicAddress = "fd00::1".parse().unwrap();
        assert_eq!(ula.reach(), Reach::Private);
        rejects::<PublicAddress>("example.com", "--domain example.com");
        rejects::<PublicAddress>("300.1.1.1", "203.0.113.7");
        rejects::<PublicAddress>("0.0.0.0", "clients use");
    }

    #[test]
    fn participants_and_ports_have_bounds() {
        assert_eq!("50".parse::<Participants>().unwrap().get(), 50);
        rejects::<Participants>("0", "from 1 to 10000");
        rejects::<Participants>("10001", "from 1 to 10000");
        rejects::<Participants>("lots", "whole number");
        assert_eq!("1024".parse::<UdpStart>().unwrap().get(), 1024);
        rejects::<UdpStart>("1023", "1024 to 65535");
        rejects::<UdpStart>("65536", "1024 to 65535");
    }

    #[test]
    fn enums_list_their_choices_on_a_typo() {
        assert_eq!("caddy-l4".parse::<ProxyMode>().unwrap(), ProxyMode::CaddyL4);
        rejects::<ProxyMode>("nginx", "caddy, caddy-l4, external, none");
        rejects::<Provider>("azzure", "azure");
    }

    #[test]
    fn images_and_cidrs_are_checked() {
        assert!(!"livekit/livekit-server:v1.13.5"
            .parse::<ImageRef>()
            .unwrap()
            .is_floating());
        assert!("caddy".parse::<ImageRef>().unwrap().is_floating());
        assert!("ghcr.io/a/b:latest"
            .parse::<ImageRef>()
            .unwrap()
            .is_floating());
        assert!("localhost:5000/app"
            .parse::<ImageRef>()
            .unwrap()
            .is_floating());
        rejects::<ImageRef>("My/App:1", "lower-case");
        rejects::<ImageRef>("app name", "reference like");
        assert_eq!(
            "203.0.113.7".parse::<Cidr>().unwrap().to_string(),
            "203.0.113.7/32"
        );
        assert_eq!(
            "2001:db8::1".parse::<Cidr>().unwrap().to_string(),
            "2001:db8::1/128"
        );
        assert_eq!(
            "203.0.113.7/24".parse::<Cidr>().unwrap().to_string(),
            "203.0.113.0/24"
        );
        assert_eq!(
            "2001:db8::7/32".parse::<Cidr>().unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(
            "10.1.2.3/0".parse::<Cidr>().unwrap().to_string(),
            "0.0.0.0/0"
        );
        rejects::<Cidr>("10.0.0.0/33", "0 to 32");
        rejects::<Email>("nobody", "ops@example.com");
        assert!("ops@example.com".parse::<Email>().is_ok());
    }
}
