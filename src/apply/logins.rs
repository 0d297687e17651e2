//! The TCP connections open to the SSH port, as the kernel lists them in `/proc/net/tcp` and
//! `/proc/net/tcp6` (of this network namespace). A connection that was not open when the
//! firewall went live, from another address than this machine, shows that the new rules let a
//! new SSH connection in: the proof the wizard's "press Enter here" asks for.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use crate::host::{socket_rows, SocketState};

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
            socket_rows(&text)
                .filter(|row| row.state == SocketState::ESTABLISHED)
                .map(|row| Conn {
                    local: row.local,
                    peer: row.remote,
                })
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
