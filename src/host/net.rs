//! What the kernel shows of this host's network in /proc: its addresses, its listening sockets and
//! its ephemeral port range. Reading files only: nothing is sent on the network.

use std::net::IpAddr;
use std::path::Path;

use super::read;
use crate::answers::{PublicAddress, Reach};
use crate::preset::Proto;

/// A socket already listening on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub port: u16,
    pub proto: Proto,
}

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

/// Ports with a listening TCP socket or a bound UDP socket, from /proc/net. Not part of
/// `HostFacts`: the plan does not depend on them, and the preflight reads them when it runs.
pub fn listening(proc_dir: &Path) -> Vec<Listener> {
    let mut out = Vec::new();
    for (file, proto) in [
        ("net/tcp", Proto::Tcp),
        ("net/tcp6", Proto::Tcp),
        ("net/udp", Proto::Udp),
        ("net/udp6", Proto::Udp),
    ] {
        let Ok(text) = std::fs::read_to_string(proc_dir.join(file)) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (fields.get(1), fields.get(3)) else {
                continue;
            };
            // 0A is TCP LISTEN; a UDP socket is bound in state 07 (unconnected).
            let bound = match proto {
                Proto::Tcp => *state == "0A",
                Proto::Udp => *state == "07",
            };
            let port = local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            if let (true, Some(port)) = (bound, port) {
                let l = Listener { port, proto };
                if !out.contains(&l) {
                    out.push(l);
                }
            }
        }
    }
    out.sort_by_key(|l| (l.proto, l.port));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_listeners_are_parsed() {
        let proc_dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(proc_dir.path().join("net")).unwrap();
        let tcp = "  sl  local_address rem_address   st\n   0: 00000000:1BBC 00000000:0000 0A 0\n   1: 0100007F:0016 0100007F:A000 01 0\n";
        std::fs::write(proc_dir.path().join("net/tcp"), tcp).unwrap();
        let udp = "  sl  local_address rem_address   st\n   0: 00000000:0D96 00000000:0000 07 0\n";
        std::fs::write(proc_dir.path().join("net/udp"), udp).unwrap();
        let found = listening(proc_dir.path());
        assert_eq!(
            found,
            vec![
                Listener {
                    port: 7100,
                    proto: Proto::Tcp
                },
                Listener {
                    port: 3478,
                    proto: Proto::Udp
                }
            ]
        );
    }

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
        std::fs::write(
            proc_dir.path().join("net/fib_trie"),
            "Main:\n     |-- 10.0.0.5\n        /32 host LOCAL\n",
        )
        .unwrap();
        let v6 = "fe800000000000000000000000000001 02 40 20 80 eth0\n20010db8000000000000000000000007 02 40 00 80 eth0\n";
        std::fs::write(proc_dir.path().join("net/if_inet6"), v6).unwrap();
        assert_eq!(
            public_address(proc_dir.path()),
            Some("2001:db8::7".parse().unwrap())
        );
    }
}
