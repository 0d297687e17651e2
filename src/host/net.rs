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

/// One row of a /proc/net/{tcp,udp}[6] table: the local port, the state (`0A` is TCP LISTEN,
/// `07` an unconnected UDP socket), the owner's uid and the socket's inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketRow {
    pub port: u16,
    pub state: String,
    pub uid: Option<u32>,
    pub inode: u64,
}

/// Parse `sl local_address rem_address st queues timer retrnsmt uid timeout inode …`; the
/// header line (and anything else) gives `None`.
pub fn parse_socket_row(line: &str) -> Option<SocketRow> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (_, port) = fields.get(1)?.rsplit_once(':')?;
    Some(SocketRow {
        port: u16::from_str_radix(port, 16).ok()?,
        state: fields.get(3)?.to_string(),
        uid: fields.get(7).and_then(|s| s.parse().ok()),
        inode: fields.get(9).and_then(|s| s.parse().ok()).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_rows_are_parsed() {
        let row = "   0: 00000000:1BBC 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 31337 1";
        assert_eq!(
            parse_socket_row(row),
            Some(SocketRow {
                port: 7100,
                state: "0A".into(),
                uid: Some(106),
                inode: 31337
            })
        );
        assert_eq!(
            parse_socket_row("  sl  local_address rem_address   st"),
            None
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
