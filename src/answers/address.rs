//! Where the server is reached, and which networks may reach it: addresses, CIDR networks, and
//! the domain-or-address choice every URL is built from.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Hostname;
use crate::error::Error;

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
                } else if v4.is_private() || (o[0] == 198 && (o[1] & 0xfe) == 18) {
                    // 198.18.0.0/15 is for benchmarking networks: as unreachable as a private one.
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
        let example = "enter the address clients use to reach this server, e.g. 203.0.113.7";
        // Brackets only as a pair around an IPv6 address, as in a URL.
        let bare = match (input.strip_prefix('['), input.strip_suffix(']')) {
            (Some(_), Some(_)) if input.len() >= 2 => &input[1..input.len() - 1],
            (None, None) => input,
            _ => {
                return Err(Error::invalid(
                    format!("`{input}` has an unmatched bracket"),
                    "enter an IPv6 address without brackets, e.g. 2001:db8::7 (or with both: [2001:db8::7])",
                ))
            }
        };
        let refuse = |why: &str, hint: &str| {
            Err(Error::invalid(format!("`{input}` {why}"), hint.to_string()))
        };
        match bare.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_some() => {
                let v4 = v6.to_ipv4_mapped().expect("checked just above");
                refuse(
                    "is an IPv4 address written in IPv6 form",
                    &format!("enter it as the IPv4 address it is: --ip {v4}"),
                )
            }
            Ok(ip) if ip.is_unspecified() => refuse(
                "means \"every address\", not this server's address",
                example,
            ),
            Ok(ip) if ip.is_multicast() => refuse("is a multicast address", example),
            Ok(IpAddr::V4(v4)) if v4.is_broadcast() => refuse("is the broadcast address", example),
            Ok(IpAddr::V4(v4)) if v4.octets()[0] == 0 => refuse(
                "is in 0.0.0.0/8 (\"this network\"), which no host is reached at",
                example,
            ),
            Ok(IpAddr::V4(v4)) if v4.octets()[0] >= 240 => {
                refuse("is in 240.0.0.0/4, reserved and never routed", example)
            }
            Ok(IpAddr::V6(v6)) if v6.segments()[..6] == [0; 6] && !v6.is_loopback() => refuse(
                "is an IPv4-compatible IPv6 address (deprecated and never routed)",
                "enter the IPv4 address itself, e.g. 203.0.113.7",
            ),
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

string_type!(PublicAddress, |a, f| fmt::Display::fmt(&a.0, f));

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

string_type!(Cidr, |c, f| write!(f, "{}/{}", c.addr, c.prefix));

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

/// Written as the operator typed it: the name, or the address without brackets.
impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::rejects;

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
        rejects::<PublicAddress>("255.255.255.255", "clients use");
        rejects::<PublicAddress>("0.1.2.3", "clients use");
        rejects::<PublicAddress>("240.0.0.1", "clients use");
        rejects::<PublicAddress>("224.0.0.1", "clients use");
        rejects::<PublicAddress>("ff02::1", "clients use");
        rejects::<PublicAddress>("::", "clients use");
        rejects::<PublicAddress>("::ffff:127.0.0.1", "--ip 127.0.0.1");
        rejects::<PublicAddress>("::127.0.0.1", "IPv4 address itself");
        rejects::<PublicAddress>("[2001:db8::1", "without brackets");
        rejects::<PublicAddress>("2001:db8::1]", "without brackets");
        let bench: PublicAddress = "198.18.0.1".parse().unwrap();
        assert_eq!(bench.reach(), Reach::Private);
        let link: PublicAddress = "fe80::1".parse().unwrap();
        assert!(link.warning().unwrap().contains("link-local"));
        let six_lo: PublicAddress = "::1".parse().unwrap();
        assert!(six_lo.warning().unwrap().contains("loopback"));
    }

    #[test]
    fn cidrs_keep_the_network_and_check_the_prefix() {
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
    }
}
