//! STUN: an RFC 5389 Binding Request over UDP gets a Binding Success Response.
//!
//! Hand-rolled because a binding request is one 20-byte header and the answer needs only its
//! header and one attribute read.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

use super::io_reason;
use crate::health::{Status, Verdict};

const MAGIC_COOKIE: u32 = 0x2112_A442;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_SUCCESS: u16 = 0x0101;
const BINDING_ERROR: u16 = 0x0111;
const MAPPED_ADDRESS: u16 = 0x0001;
const ERROR_CODE: u16 = 0x0009;
const XOR_MAPPED_ADDRESS: u16 = 0x0020;

/// Send a binding request to `addr`, once more if the first goes unanswered, all within
/// `timeout`.
pub(super) async fn probe(addr: SocketAddr, timeout: Duration) -> Verdict {
    let mut id = [0u8; 12];
    if let Err(e) = getrandom::fill(&mut id) {
        return Verdict::new(
            Status::Unknown,
            format!("no randomness for a transaction id: {e}"),
        );
    }
    // Any local address of the target's family: the kernel sends from the one its route picks,
    // as a client's answer would travel.
    let any = match addr {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = match UdpSocket::bind((any, 0)).await {
        Ok(s) => s,
        Err(e) => return Verdict::new(Status::Unknown, io_reason(&e)),
    };
    // Connected, so an ICMP port-unreachable comes back as `connection refused` on receive.
    if let Err(e) = socket.connect(addr).await {
        return Verdict::new(Status::Down, io_reason(&e));
    }
    let mut request = [0u8; 20];
    request[0..2].copy_from_slice(&BINDING_REQUEST.to_be_bytes());
    request[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    request[8..20].copy_from_slice(&id);
    let started = Instant::now();
    // UDP may lose the first datagram: half the time for it, the rest for one retry (the caller's
    // timeout would cut a longer wait anyway).
    for wait in [timeout / 2, timeout - timeout / 2] {
        if let Err(e) = socket.send(&request).await {
            return Verdict::new(Status::Down, format!("no STUN answer: {}", io_reason(&e)));
        }
        let deadline = tokio::time::Instant::now() + wait;
        let mut buf = [0u8; 1500];
        loop {
            let n = match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
                Err(_) => break,
                Ok(Ok(n)) => n,
                Ok(Err(e)) => {
                    return Verdict::new(Status::Down, format!("no STUN answer: {}", io_reason(&e)))
                }
            };
            // Anything else (stray or late datagrams) is skipped until the deadline.
            if let Some(verdict) = read_answer(&buf[..n], &id) {
                return Verdict {
                    latency: Some(started.elapsed()),
                    ..verdict
                };
            }
        }
    }
    Verdict::new(Status::Down, "no STUN answer")
}

/// The verdict an answer to transaction `id` means, or None when `msg` is not one.
fn read_answer(msg: &[u8], id: &[u8; 12]) -> Option<Verdict> {
    let kind = u16::from_be_bytes([*msg.first()?, *msg.get(1)?]);
    if msg.len() < 20 || msg[4..8] != MAGIC_COOKIE.to_be_bytes() || msg[8..20] != id[..] {
        return None;
    }
    let mut attrs = attributes(msg);
    match kind {
        BINDING_SUCCESS => {
            let mapped = attrs.find_map(|(t, v)| mapped_address(t, v, id));
            let message = match mapped {
                Some(a) => format!("binding answered, mapped address {a}"),
                None => "binding answered".into(),
            };
            Some(Verdict::new(Status::Healthy, message))
        }
        // Alive and speaking STUN, but refusing plain bindings: worth a look, not down.
        BINDING_ERROR => {
            let code = attrs.find(|(t, _)| *t == ERROR_CODE).and_then(|(_, v)| {
                let class = u16::from(*v.get(2)? & 0x07);
                let reason = String::from_utf8_lossy(v.get(4..)?).trim().to_string();
                Some(format!("{} {reason}", class * 100 + u16::from(*v.get(3)?)))
            });
            Some(Verdict::new(
                Status::Degraded,
                format!(
                    "STUN error {}",
                    code.unwrap_or_else(|| "without a code".into())
                ),
            ))
        }
        _ => None,
    }
}

/// The (type, value) attributes after the header, each padded to 4 bytes.
fn attributes(msg: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let declared = msg
        .get(2..4)
        .map_or(0, |len| usize::from(u16::from_be_bytes([len[0], len[1]])));
    let mut rest = msg.get(20..20 + declared).unwrap_or(&[]);
    std::iter::from_fn(move || {
        let kind = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]);
        let len = usize::from(u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]));
        let value = rest.get(4..4 + len)?;
        rest = rest.get((4 + len).next_multiple_of(4)..).unwrap_or(&[]);
        Some((kind, value))
    })
}

/// The address an (XOR-)MAPPED-ADDRESS attribute carries.
fn mapped_address(kind: u16, value: &[u8], id: &[u8; 12]) -> Option<SocketAddr> {
    let xor = match kind {
        XOR_MAPPED_ADDRESS => true,
        MAPPED_ADDRESS => false,
        _ => return None,
    };
    // XOR-MAPPED-ADDRESS hides the address from middleboxes that rewrite it: port with the top
    // of the cookie, address with the cookie (and the transaction id for IPv6).
    let mut key = [0u8; 16];
    if xor {
        key[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
        key[4..].copy_from_slice(id);
    }
    let port = u16::from_be_bytes([*value.get(2)? ^ key[0], *value.get(3)? ^ key[1]]);
    let ip = match value.get(1)? {
        0x01 => {
            let raw: [u8; 4] = value.get(4..8)?.try_into().ok()?;
            IpAddr::from(Ipv4Addr::from(std::array::from_fn::<u8, 4, _>(|i| {
                raw[i] ^ key[i]
            })))
        }
        0x02 => {
            let raw: [u8; 16] = value.get(4..20)?.try_into().ok()?;
            IpAddr::from(Ipv6Addr::from(std::array::from_fn::<u8, 16, _>(|i| {
                raw[i] ^ key[i]
            })))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_mapped_address_is_unmasked() {
        let id = [7u8; 12];
        // 192.0.2.1:32853 as RFC 5769 masks it with the cookie.
        let mut msg = vec![0x01, 0x01, 0x00, 0x0c];
        msg.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        msg.extend_from_slice(&id);
        msg.extend_from_slice(&[
            0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
        ]);
        let verdict = read_answer(&msg, &id).unwrap();
        assert_eq!(verdict.status, Status::Healthy);
        assert_eq!(
            verdict.message,
            "binding answered, mapped address 192.0.2.1:32853"
        );
        assert!(
            read_answer(&msg, &[8u8; 12]).is_none(),
            "another transaction's answer"
        );
        assert!(
            read_answer(&msg[..10], &id).is_none(),
            "a truncated datagram"
        );
    }
}
