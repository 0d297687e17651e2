//! The kernel's socket tables, `/proc/net/{tcp,tcp6,udp,udp6}`: one decoder for every reader
//! (the listening sockets here, the UDP probe's bound sockets, the SSH logins of a firewall
//! confirm).
//!
//! A row reads `sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …`;
//! an address is `HEXIP:HEXPORT`, the IP as its 32-bit words in host byte order (little-endian
//! on every platform selkie runs on), 8 hex digits each: `0100007F:0016` is 127.0.0.1:22.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A socket's state as the tables print it (TCP's states; UDP reuses two of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketState(pub u8);

impl SocketState {
    /// TCP: a connection is open. UDP: a connected socket (outgoing traffic).
    pub const ESTABLISHED: Self = Self(0x01);
    /// UDP: an unconnected socket waiting for datagrams (TCP_CLOSE).
    pub const UNCONNECTED: Self = Self(0x07);
    /// TCP: listening for connections.
    pub const LISTEN: Self = Self(0x0A);
}

/// One row: both ends, the state, the owner's uid and the socket's inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketRow {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: SocketState,
    pub uid: Option<u32>,
    pub inode: u64,
}

/// One row of a table; the header line (and anything else that is not a row) gives `None`.
pub fn parse_socket_row(line: &str) -> Option<SocketRow> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    Some(SocketRow {
        local: address(fields.get(1)?)?,
        remote: address(fields.get(2)?)?,
        state: SocketState(u8::from_str_radix(fields.get(3)?, 16).ok()?),
        uid: fields.get(7).and_then(|s| s.parse().ok()),
        inode: fields.get(9).and_then(|s| s.parse().ok()).unwrap_or(0),
    })
}

/// Every row of one table's text.
pub fn socket_rows(table: &str) -> impl Iterator<Item = SocketRow> + '_ {
    table.lines().filter_map(parse_socket_row)
}

fn address(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    Some(SocketAddr::new(
        hex_ip(ip)?,
        u16::from_str_radix(port, 16).ok()?,
    ))
}

fn hex_ip(hex: &str) -> Option<IpAddr> {
    let word = |i: usize| -> Option<[u8; 4]> {
        let w = u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok()?;
        Some(w.to_ne_bytes())
    };
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_reads_as_both_ends_state_owner_and_inode() {
        let row = "   0: 0100007F:1BBC 046433C6:C350 0A 00000000:00000000 00:00000000 00000000   106        0 31337 1";
        assert_eq!(
            parse_socket_row(row),
            Some(SocketRow {
                local: "127.0.0.1:7100".parse().unwrap(),
                remote: "198.51.100.4:50000".parse().unwrap(),
                state: SocketState::LISTEN,
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
    fn ipv6_addresses_are_read_word_by_word() {
        let table = "  sl  local_address rem_address st\n\
             0: B80D0120000000000000000001000000:0016 0000000000000000FFFF00000100007F:D432 01 0\n\
             1: 00000000000000000000000000000000:0D96 00000000000000000000000000000000:0000 07 0\n\
             2: 0100007F:0016 bad 01 0\n";
        let rows: Vec<String> = socket_rows(table)
            .map(|r| format!("{} {} {:02X}", r.local, r.remote, r.state.0))
            .collect();
        assert_eq!(
            rows,
            [
                "[2001:db8::1]:22 [::ffff:127.0.0.1]:54322 01",
                "[::]:3478 [::]:0 07"
            ]
        );
    }
}
