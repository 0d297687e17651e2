//! Where public ports are judged from: the address a client connects to, as near as this host
//! can stand to it.
//!
//! The plan's own address when it is an address of this host; otherwise (a provider's 1:1 NAT,
//! a domain) the address of the interface that carries the default route, which is where the
//! provider delivers the clients' packets. One address per family the plan names. Nothing is
//! sent on the network: a connected UDP socket only asks the kernel's routing table.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

use serde::Serialize;

use crate::answers::Address;
use crate::plan::Plan;

/// What no probe run on the server can see, said once with the results.
pub const UNSEEN: &str = "A cloud firewall between clients and this server cannot be seen from \
                          the server itself: run `selkie check` from another machine to prove the path.";

/// The addresses public ports are probed at, and how they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Vantage {
    /// One per address family, IPv4 first; empty when this host has no route out.
    pub addresses: Vec<IpAddr>,
    /// How the addresses were chosen, or why there are none, in a few words.
    pub how: String,
}

impl Vantage {
    /// `203.0.113.7`, `203.0.113.7 and 2001:db8::7`, or `no public address`.
    pub fn show(&self) -> String {
        match self.addresses.as_slice() {
            [] => "no public address".into(),
            addrs => addrs
                .iter()
                .map(IpAddr::to_string)
                .collect::<Vec<_>>()
                .join(" and "),
        }
    }
}

/// The addresses the plan tells clients to use: its IP address, or the values of its DNS
/// records (which carry the host's detected public address in domain mode).
pub fn plan_addresses(plan: &Plan) -> Vec<IpAddr> {
    let mut out = Vec::new();
    if let Address::Ip(a) = &plan.address {
        out.push(a.ip());
    }
    for record in &plan.dns {
        if let Ok(ip) = record.value.parse::<IpAddr>() {
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
    }
    out
}

/// The vantage for a plan on this host.
pub fn detect(plan: &Plan) -> Vantage {
    for_addresses(&plan_addresses(plan))
}

/// The vantage on this host for clients told to use `planned`.
pub fn for_addresses(planned: &[IpAddr]) -> Vantage {
    choose(planned, is_local, route_source)
}

/// The choice itself, with the host's answers passed in: `is_local` says whether an address is
/// one of this host's, `route_source` which local address the kernel would send from toward an
/// address (None when there is no route).
pub fn choose(
    planned: &[IpAddr],
    is_local: impl Fn(IpAddr) -> bool,
    route_source: impl Fn(IpAddr) -> Option<IpAddr>,
) -> Vantage {
    let mut families: Vec<bool> = Vec::new();
    for ip in planned {
        if !families.contains(&ip.is_ipv4()) {
            families.push(ip.is_ipv4());
        }
    }
    // IPv4 first, as a table reads best; a plan that names no address is judged over IPv4, or
    // over IPv6 on an IPv6-only host.
    families.sort_by_key(|v4| !v4);
    let guessed = families.is_empty();
    if guessed {
        families = vec![true, false];
    }
    let mut addresses = Vec::new();
    let mut hows = Vec::new();
    for v4 in families {
        let of_family = planned.iter().copied().find(|ip| ip.is_ipv4() == v4);
        if let Some(ip) = of_family.filter(|ip| is_local(*ip)) {
            addresses.push(ip);
            push_once(&mut hows, "the plan's address");
            continue;
        }
        // Toward the plan's address the kernel picks what it would use to answer clients
        // there; without one, toward a documentation address (RFC 5737, RFC 3849) that only
        // the default route covers.
        let toward = of_family.unwrap_or(if v4 {
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))
        } else {
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))
        });
        if let Some(ip) = route_source(toward).filter(|ip| !ip.is_loopback()) {
            addresses.push(ip);
            push_once(&mut hows, "the default route's interface address");
        }
        if guessed && !addresses.is_empty() {
            break;
        }
    }
    let how = if addresses.is_empty() {
        "this host has no default route and the plan's address is not one of its own".into()
    } else {
        hows.join(" and ")
    };
    Vantage { addresses, how }
}

fn push_once(list: &mut Vec<&'static str>, item: &'static str) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Whether `ip` is an address of this host: only then can a socket be bound to it.
fn is_local(ip: IpAddr) -> bool {
    UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

/// The local address the kernel routes from toward `ip`. Connecting a UDP socket sends nothing.
fn route_source(ip: IpAddr) -> Option<IpAddr> {
    let any = match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = UdpSocket::bind(SocketAddr::new(any, 0)).ok()?;
    socket.connect(SocketAddr::new(ip, 9)).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_plans_address_is_used_when_the_host_holds_it() {
        let v = choose(&[ip("203.0.113.7")], |a| a == ip("203.0.113.7"), |_| None);
        assert_eq!(v.addresses, vec![ip("203.0.113.7")]);
        assert_eq!(v.how, "the plan's address");
    }

    #[test]
    fn behind_nat_the_default_routes_interface_stands_in() {
        let v = choose(
            &[ip("203.0.113.7")],
            |_| false,
            |toward| {
                assert_eq!(
                    toward,
                    ip("203.0.113.7"),
                    "routed toward the plan's address"
                );
                Some(ip("10.0.0.5"))
            },
        );
        assert_eq!(v.addresses, vec![ip("10.0.0.5")]);
        assert_eq!(v.how, "the default route's interface address");
        assert_eq!(v.show(), "10.0.0.5");
    }

    #[test]
    fn each_family_the_plan_names_is_judged_ipv4_first() {
        let v = choose(
            &[ip("2001:db8::7"), ip("203.0.113.7")],
            |a| a == ip("2001:db8::7"),
            |_| Some(ip("10.0.0.5")),
        );
        assert_eq!(v.addresses, vec![ip("10.0.0.5"), ip("2001:db8::7")]);
        assert_eq!(
            v.how,
            "the default route's interface address and the plan's address"
        );
        assert_eq!(v.show(), "10.0.0.5 and 2001:db8::7");
    }

    #[test]
    fn a_plan_without_an_address_is_judged_over_ipv4_or_else_ipv6() {
        let v = choose(&[], |_| false, |t| t.is_ipv4().then(|| ip("10.0.0.5")));
        assert_eq!(v.addresses, vec![ip("10.0.0.5")]);
        let v6_only = choose(&[], |_| false, |t| t.is_ipv6().then(|| ip("2001:db8::5")));
        assert_eq!(v6_only.addresses, vec![ip("2001:db8::5")]);
    }

    #[test]
    fn no_route_means_no_vantage_and_says_why() {
        let v = choose(&[ip("203.0.113.7")], |_| false, |_| Some(ip("127.0.0.1")));
        assert!(v.addresses.is_empty());
        assert!(v.how.contains("no default route"), "{}", v.how);
        assert_eq!(v.show(), "no public address");
    }
}
