//! The TCP connections open to the SSH port, as the kernel lists them in `/proc/net/tcp` and
//! `/proc/net/tcp6` (of this network namespace). A connection that was not open when the
//! firewall went live, from another address than this machine, shows that the new rules let a
//! new SSH connection in: the proof the wizard's "press Enter here" asks for.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

/// One established connection: this machine's end and the peer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conn {
    pub local: SocketAddr,
    pub peer: SocketAddr,
}

/// The established connections to one of `ports` from a peer that is not this machine.
pub fn established(proc: &Path, ports: &[u16]) -> BTreeSet<Conn> {
    let mut out = BTreeSet::new();
    for file in ["net/tcp", "net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(proc.join(file)) else {
            continue;
        };
        out.extend(
            text.lines()
                .skip(1)
                .filter_map(parse_line)
                .filter(|c| ports.contains(&c.local.port()) && !c.peer.ip().is_loopback())
                .filter(|c| !mapped_loopback(c.peer.ip())),
        );
    }
    out
}

fn mapped_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        IpAddr::V4(_) => false,
    }
}

/// `sl local rem st ...`: an established connection (state 01), else `None`.
fn parse_line(line: &str) -> Option<Conn> {
    let mut f = line.split_whitespace();
    let _sl = f.next()?;
    let local = address(f.next()?)?;
    let peer = address(f.next()?)?;
    (f.next()? == "01").then_some(Conn { local, peer })
}

/// `0100007F:0016` (IPv4) or 32 hex digits (IPv6), each 32-bit word in host byte order.
fn address(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let words: Vec<u32> = (0..ip.len() / 8)
        .map(|i| {
            ip.get(i * 8..i * 8 + 8)
                .and_then(|w| u32::from_str_radix(w, 16).ok())
        })
        .collect::<Option<_>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let ip = match (ip.len(), bytes.len()) {
        (8, 4) => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        (32, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(&bytes);
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernels_table_reads_as_addresses() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("net")).unwrap();
        std::fs::write(
            dir.path().join("net/tcp"),
            "  sl  local_address rem_address   st tx_queue rx_queue\n\
             0: 00000000:0016 00000000:0000 0A 00000000:00000000\n\
             1: 077100CB:0016 046433C6:C350 01 00000000:00000000\n\
             2: 0100007F:0016 0100007F:9C41 01 00000000:00000000\n\
             3: 077100CB:01BB 046433C6:C351 01 00000000:00000000\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("net/tcp6"),
            "  sl  local_address rem_address st\n\
             0: B80D0120000000000000000001000000:0016 B80D0120000000000000000009000000:D431 01 0\n\
             1: 0000000000000000FFFF00000100007F:0016 0000000000000000FFFF00000100007F:D432 01 0\n",
        )
        .unwrap();
        let seen: Vec<String> = established(dir.path(), &[22])
            .iter()
            .map(|c| format!("{} {}", c.local, c.peer))
            .collect();
        assert_eq!(
            seen,
            vec![
                "203.0.113.7:22 198.51.100.4:50000",
                "[2001:db8::1]:22 [2001:db8::9]:54321",
            ]
        );
    }
}
