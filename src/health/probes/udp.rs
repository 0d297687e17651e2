//! UDP bound: which ports of a range have a socket bound on this host, read from the kernel's
//! socket tables (a UDP service need not answer anything to be there).

use std::collections::BTreeSet;
use std::path::Path;

use super::io_reason;
use crate::health::{Outcome, Status};

/// In /proc/net/udp, an unconnected socket waiting for datagrams shows as 07 (TCP_CLOSE).
/// Connected client sockets (01) are left out: they are outgoing traffic on an ephemeral port
/// that may fall inside the range, not a service.
const BOUND: &str = "07";

/// Count the ports of `port..=end` that have a bound UDP socket in `proc_dir/net/udp{,6}`.
pub(super) async fn probe(proc_dir: &Path, port: u16, end: u16) -> Outcome {
    let end = end.max(port);
    let mut bound = BTreeSet::new();
    let mut read_any = false;
    let mut first_error = None;
    for table in ["udp", "udp6"] {
        let path = proc_dir.join("net").join(table);
        match tokio::fs::read_to_string(&path).await {
            Ok(text) => {
                read_any = true;
                bound.extend(bound_ports(&text).filter(|p| (port..=end).contains(p)));
            }
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
    if !read_any {
        return Outcome::new(
            Status::Unknown,
            first_error.unwrap_or_else(|| "no socket table".into()),
        );
    }
    let total = u32::from(end) - u32::from(port) + 1;
    match (total, bound.len()) {
        (1, 0) => Outcome::new(Status::Down, format!("nothing is bound on {port}/udp")),
        (1, _) => Outcome::new(Status::Healthy, "bound"),
        (_, 0) => Outcome::new(
            Status::Unknown,
            "idle: LiveKit binds these per connection, none right now",
        ),
        (_, n) => Outcome::new(Status::Healthy, format!("{n} of {total} ports in use")),
    }
}

/// The local ports of bound sockets in one /proc/net/udp-style table.
fn bound_ports(table: &str) -> impl Iterator<Item = u16> + '_ {
    // Lines read `sl local_address rem_address st ...`, the address as HEXIP:HEXPORT; the first
    // line is the header and fails to parse.
    table
        .lines()
        .filter_map(crate::host::parse_socket_row)
        .filter(|row| row.state == BOUND)
        .map(|row| row.port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bound_sockets_count() {
        let table = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0D96 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0
  101: 0100007F:C350 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 2 2 0000000000000000 0
";
        assert_eq!(bound_ports(table).collect::<Vec<_>>(), vec![3478]);
    }
}
