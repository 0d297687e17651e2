//! UDP bound: which ports of a range have a socket bound on this host, and to which address,
//! read from the kernel's socket tables (a UDP service need not answer anything to be there).
//! For a public port a socket bound to 127.0.0.1 or ::1 only does not count: no client reaches it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;

use super::io_reason;
use crate::health::{Status, Verdict};
use crate::host::{socket_rows, SocketState};

/// One unconnected UDP socket of /proc/net/udp or udp6: where it is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundSocket {
    pub ip: IpAddr,
    pub port: u16,
}

/// Count the ports of `port..=end` that have a bound UDP socket in `proc_dir/net/udp{,6}`.
/// With `reach` (a public port: the addresses clients use), a port bound on loopback only is
/// down; `service` names who to fix.
pub(super) async fn probe(
    proc_dir: &Path,
    port: u16,
    end: u16,
    reach: Option<&[IpAddr]>,
    service: &str,
) -> Verdict {
    let end = end.max(port);
    let (sockets, error) = read_tables(proc_dir).await;
    let Some(sockets) = sockets else {
        return Verdict::new(
            Status::Unknown,
            error.unwrap_or_else(|| "no socket table".into()),
        );
    };
    // Port -> whether any socket on it is reachable from outside.
    let mut ports: BTreeMap<u16, bool> = BTreeMap::new();
    for s in sockets.iter().filter(|s| (port..=end).contains(&s.port)) {
        let reachable = reach.is_none() || !is_loopback(s.ip);
        *ports.entry(s.port).or_default() |= reachable;
    }
    let open = ports.values().filter(|r| **r).count();
    let loopback_only: BTreeSet<u16> = ports
        .iter()
        .filter(|(_, r)| !**r)
        .map(|(p, _)| *p)
        .collect();
    let total = u32::from(end) - u32::from(port) + 1;
    let fix = || {
        let at = reach
            .and_then(|r| r.first())
            .map_or(String::new(), |ip| format!(" (or {ip})"));
        format!("clients cannot reach it: make {service} bind 0.0.0.0{at}")
    };
    match (total, open) {
        (1, 0) if !loopback_only.is_empty() => {
            Verdict::new(Status::Down, format!("bound on 127.0.0.1 only; {}", fix()))
        }
        (1, 0) => Verdict::new(Status::Down, format!("nothing is bound on {port}/udp")),
        (1, _) => Verdict::new(Status::Healthy, "bound"),
        (_, 0) if !loopback_only.is_empty() => Verdict::new(
            Status::Down,
            format!(
                "{} of {total} ports bound on 127.0.0.1 only; {}",
                loopback_only.len(),
                fix()
            ),
        ),
        (_, 0) => Verdict::new(
            Status::Unknown,
            "idle: LiveKit binds these per connection, none right now",
        ),
        (_, n) => Verdict::new(Status::Healthy, format!("{n} of {total} ports in use")),
    }
}

/// Whether `port` has bound sockets and all of them are on loopback; None when the tables
/// cannot be read.
pub(super) async fn bound_on_loopback_only(proc_dir: &Path, port: u16) -> Option<bool> {
    let (sockets, _) = read_tables(proc_dir).await;
    let on_port: Vec<BoundSocket> = sockets?.into_iter().filter(|s| s.port == port).collect();
    Some(!on_port.is_empty() && on_port.iter().all(|s| is_loopback(s.ip)))
}

/// Every bound socket of udp and udp6, or why neither could be read.
async fn read_tables(proc_dir: &Path) -> (Option<Vec<BoundSocket>>, Option<String>) {
    let mut sockets = None;
    let mut first_error = None;
    for table in ["udp", "udp6"] {
        let path = proc_dir.join("net").join(table);
        match tokio::fs::read_to_string(&path).await {
            Ok(text) => sockets
                .get_or_insert_with(Vec::new)
                .extend(bound_sockets(&text)),
            // udp6 is absent when IPv6 is off; only both missing means we cannot tell.
            Err(e) => {
                first_error.get_or_insert(format!(
                    "cannot read {}: {}",
                    path.display(),
                    io_reason(&e)
                ));
            }
        }
    }
    (sockets, first_error)
}

/// 127.0.0.0/8, ::1, or 127.x mapped into IPv6.
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The unconnected sockets of one /proc/net/udp-style table, with their local address.
/// Connected ones are left out: they are outgoing traffic on an ephemeral port that may fall
/// inside the range, not a service.
pub fn bound_sockets(table: &str) -> Vec<BoundSocket> {
    socket_rows(table)
        .filter(|row| row.state == SocketState::UNCONNECTED)
        .map(|row| BoundSocket {
            ip: row.local.ip(),
            port: row.local.port(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n";

    fn sock(ip: &str, port: u16) -> BoundSocket {
        BoundSocket {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn only_bound_sockets_count_with_their_address() {
        let table = format!(
            "{HEADER}\
  100: 00000000:0D96 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0
  101: 0100007F:C350 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 2 2 0000000000000000 0
  102: 0100007F:C351 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0000000000000000 0
  103: 0500000A:C352 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4 2 0000000000000000 0
"
        );
        assert_eq!(
            bound_sockets(&table),
            vec![
                sock("0.0.0.0", 3478),
                sock("127.0.0.1", 50001),
                sock("10.0.0.5", 50002)
            ]
        );
    }

    #[test]
    fn ipv6_addresses_are_read_word_by_word() {
        let table = format!(
            "{HEADER}\
   1: 00000000000000000000000000000000:0D96 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0
   2: 00000000000000000000000001000000:0D97 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2 2 0000000000000000 0
   3: B80D0120000000000000000007000000:0D98 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0000000000000000 0
   4: 0000000000000000FFFF00000100007F:0D99 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4 2 0000000000000000 0
"
        );
        let sockets = bound_sockets(&table);
        assert_eq!(
            sockets,
            vec![
                sock("::", 3478),
                sock("::1", 3479),
                sock("2001:db8::7", 3480),
                sock("::ffff:127.0.0.1", 3481)
            ]
        );
        let loopback: Vec<bool> = sockets.iter().map(|s| is_loopback(s.ip)).collect();
        assert_eq!(loopback, [false, true, false, true]);
    }
}
