//! What the kernel shows of this host's network in /proc: its addresses, its listening sockets and
//! its ephemeral port range. Reading files only: nothing is sent on the network.

use std::net::IpAddr;
use std::path::Path;

use super::read;
use crate::answers::{PublicAddress, Reach};

/// The kernel's ephemeral port range (`ip_local_port_range`), when it can be read.
pub(super) fn ephemeral_range(proc_dir: &Path) -> Option<(u16, u16)> {
    read(&proc_dir.join("sys/net/ipv4/ip_local_port_range")).and_then(|t| parse_port_range(&t))
}

fn parse_port_range(text: &str) -> Option<(u16, u16)> {
    let mut it = text.split_whitespace().map(|s| s.parse::<u16>());
    match (it.next(), it.next()) {
        (Some(Ok(a)), Some(Ok(b))) if a <= b => Some((a, b)),
        _ => None,
    }
}

/// The first internet-reachable address on this host's interfaces: IPv4 from the kernel's FIB
/// (`/32 host LOCAL` entries), else a global IPv6 from `if_inet6`. Sends nothing on the network.
pub fn public_address(proc_dir: &Path) -> Option<IpAddr> {
    local_ipv4(proc_dir)
        .into_iter()
        .chain(global_ipv6(proc_dir))
        .find(|ip| PublicAddress::from(*ip).reach() == Reach::Internet)
}

/// A non-loopback IPv4 address of this host's own: `public` (the host's [`public_address`]) when
/// it is one, else the one on the interface of the default route (behind a provider's 1:1 NAT,
/// the private address the provider maps), else any.
pub(super) fn local_address(proc_dir: &Path, public: Option<IpAddr>) -> Option<IpAddr> {
    if let Some(ip) = public.filter(IpAddr::is_ipv4) {
        return Some(ip);
    }
    let all: Vec<IpAddr> = local_ipv4(proc_dir)
        .into_iter()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .collect();
    let subnets = default_route_subnets(proc_dir);
    let on_default = |ip: &&IpAddr| match ip {
        IpAddr::V4(v4) => subnets
            .iter()
            .any(|(net, mask)| u32::from(*v4) & mask == *net),
        IpAddr::V6(_) => false,
    };
    all.iter().find(on_default).or_else(|| all.first()).copied()
}

/// The IPv4 subnets (network, mask) routed directly on the default route's interface, from
/// /proc/net/route (addresses in the kernel's little-endian hex).
fn default_route_subnets(proc_dir: &Path) -> Vec<(u32, u32)> {
    let Ok(text) = std::fs::read_to_string(proc_dir.join("net/route")) else {
        return Vec::new();
    };
    let hex = |s: &str| u32::from_str_radix(s, 16).ok().map(u32::from_be);
    let rows: Vec<(String, u32, u32)> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            Some((f.first()?.to_string(), hex(f.get(1)?)?, hex(f.get(7)?)?))
        })
        .collect();
    let Some((iface, ..)) = rows.iter().find(|(_, dest, mask)| *dest == 0 && *mask == 0) else {
        return Vec::new();
    };
    rows.iter()
        .filter(|(i, _, mask)| i == iface && *mask != 0)
        .map(|(_, dest, mask)| (*dest & mask, *mask))
        .collect()
}

fn local_ipv4(proc_dir: &Path) -> Vec<IpAddr> {
    let Ok(text) = std::fs::read_to_string(proc_dir.join("net/fib_trie")) else {
        return Vec::new();
    };
    let mut last: Option<IpAddr> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(addr) = trimmed.strip_prefix("|-- ") {
            last = addr.parse().ok();
        } else if trimmed.contains("/32 host LOCAL") {
            if let Some(ip) = last.filter(|ip| !out.contains(ip)) {
                out.push(ip);
            }
        }
    }
    out
}

fn global_ipv6(proc_dir: &Path) -> Vec<IpAddr> {
    let Ok(text) = std::fs::read_to_string(proc_dir.join("net/if_inet6")) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // Scope 00 is global.
            if fields.get(3) != Some(&"00") {
                return None;
            }
            let hex = fields.first()?;
            let bits = u128::from_str_radix(hex, 16).ok()?;
            Some(IpAddr::V6(std::net::Ipv6Addr::from(bits)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_address_comes_from_the_interfaces() {
        let proc_dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(proc_dir.path().join("net")).unwrap();
        let fib = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.0.0.5\n        /32 host LOCAL\n     |-- 203.0.113.7\n        /32 host LOCAL\n     |-- 203.0.113.255\n        /32 link BROADCAST\n";
        std::fs::write(proc_dir.path().join("net/fib_trie"), fib).unwrap();
        assert_eq!(
            public_address(proc_dir.path()),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            local_address(proc_dir.path(), public_address(proc_dir.path())),
            Some("203.0.113.7".parse().unwrap())
        );
        std::fs::write(
            proc_dir.path().join("net/fib_trie"),
            "Main:\n     |-- 10.0.0.5\n        /32 host LOCAL\n     |-- 127.0.0.1\n        /32 host LOCAL\n",
        )
        .unwrap();
        // Behind a 1:1 NAT: only a private address, never loopback.
        assert_eq!(
            local_address(proc_dir.path(), public_address(proc_dir.path())),
            Some("10.0.0.5".parse().unwrap())
        );
        // The default route's interface wins over docker0, whatever their order.
        std::fs::write(
            proc_dir.path().join("net/fib_trie"),
            "Main:\n     |-- 172.17.0.1\n        /32 host LOCAL\n     |-- 192.168.1.20\n        /32 host LOCAL\n",
        )
        .unwrap();
        let route =
            "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n\
            eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
            docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n\
            eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        std::fs::write(proc_dir.path().join("net/route"), route).unwrap();
        assert_eq!(
            local_address(proc_dir.path(), public_address(proc_dir.path())),
            Some("192.168.1.20".parse().unwrap())
        );
        let v6 = "fe800000000000000000000000000001 02 40 20 80 eth0\n20010db8000000000000000000000007 02 40 00 80 eth0\n";
        std::fs::write(proc_dir.path().join("net/if_inet6"), v6).unwrap();
        assert_eq!(
            public_address(proc_dir.path()),
            Some("2001:db8::7".parse().unwrap())
        );
    }
}
