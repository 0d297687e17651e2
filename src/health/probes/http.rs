//! HTTP: `GET path` on the loopback port answers 200 (LiveKit's `OK`); 406 is LiveKit's
//! `Not Ready`, which means up but not serving yet.

use std::net::SocketAddr;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::io_reason;
use crate::health::{Outcome, Status};

/// A health endpoint answers in a few bytes; anything past this is not read.
const MAX_RESPONSE: usize = 16 * 1024;
/// How much of the body a table cell shows.
const MAX_SHOWN: usize = 60;

/// Send `GET path` over HTTP/1.0 and judge the status code.
pub(super) async fn probe(addr: SocketAddr, path: &str) -> Outcome {
    let started = Instant::now();
    let response = match fetch(addr, path).await {
        Ok(r) => r,
        Err(reason) => return Outcome::new(Status::Down, reason),
    };
    let latency = Some(started.elapsed());
    let Some((code, body)) = parse(&response) else {
        return Outcome {
            status: Status::Down,
            message: "not an HTTP response".into(),
            latency,
        };
    };
    let shown = shown_body(body);
    let (status, message) = match code {
        200 => (Status::Healthy, or_code(shown, code)),
        // LiveKit answers 406 `Not Ready` while it is up but cannot take rooms yet.
        406 => (Status::Degraded, or_code(shown, code)),
        _ if shown.is_empty() => (Status::Down, format!("HTTP {code}")),
        _ => (Status::Down, format!("HTTP {code}: {shown}")),
    };
    Outcome {
        status,
        message,
        latency,
    }
}

/// The raw response, read until the peer closes or the announced body has arrived.
pub(super) async fn fetch(addr: SocketAddr, path: &str) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| io_reason(&e))?;
    // HTTP/1.0 so the server closes after one answer and no chunked encoding comes back.
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| io_reason(&e))?;
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.map_err(|e| io_reason(&e))?;
        if n == 0 {
            break;
        }
        response.extend_from_slice(&buf[..n]);
        // Some servers keep the connection open despite HTTP/1.0; stop once the body is complete
        // rather than wait for a close that never comes.
        if response.len() >= MAX_RESPONSE || complete(&response) {
            break;
        }
    }
    if response.is_empty() {
        return Err("connection closed without an answer".into());
    }
    Ok(response)
}

/// Whether the headers are in and announce a length the body has reached.
fn complete(response: &[u8]) -> bool {
    let Some(end) = header_end(response) else {
        return false;
    };
    let headers = String::from_utf8_lossy(&response[..end]);
    let length = headers.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    length.is_some_and(|len| response.len() >= end + 4 + len)
}

/// Where the blank line that ends the headers starts.
fn header_end(response: &[u8]) -> Option<usize> {
    response.windows(4).position(|w| w == b"\r\n\r\n")
}

/// The status code and body of a response.
pub(super) fn parse(response: &[u8]) -> Option<(u16, &[u8])> {
    let line_end = response.windows(2).position(|w| w == b"\r\n")?;
    let status_line = std::str::from_utf8(&response[..line_end]).ok()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?.parse().ok()?;
    let body = match header_end(response) {
        Some(end) => &response[end + 4..],
        None => &[],
    };
    Some((code, body))
}

/// The first line of the body, trimmed and cut to fit a table cell.
fn shown_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let first = text.trim().lines().next().unwrap_or("").trim();
    if first.chars().count() > MAX_SHOWN {
        let cut: String = first.chars().take(MAX_SHOWN).collect();
        format!("{cut}…")
    } else {
        first.to_string()
    }
}

/// The body, or `HTTP 200` when it is empty, so the cell never reads blank.
fn or_code(shown: String, code: u16) -> String {
    if shown.is_empty() {
        format!("HTTP {code}")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_split_into_code_and_body() {
        let r = b"HTTP/1.1 406 Not Acceptable\r\nContent-Length: 10\r\n\r\nNot Ready\n";
        assert_eq!(parse(r), Some((406, &b"Not Ready\n"[..])));
        assert!(complete(r));
        assert!(!complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nOK"
        ));
        assert_eq!(parse(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(shown_body(b"  OK\n"), "OK");
    }
}
