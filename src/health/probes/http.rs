//! HTTP: `GET path` on the loopback port answers 200 (LiveKit's `OK`); 406 is LiveKit's
//! `Not Ready`, which means up but not serving yet. Through the one HTTP client (`crate::http`).

use std::net::SocketAddr;
use std::time::Instant;

use std::time::Duration;

use crate::health::{Status, Verdict};

/// A health endpoint answers in a few bytes; anything past this is not read.
const MAX_RESPONSE: usize = 16 * 1024;
/// A bound of the client's own; the probe's timeout (shorter) is what normally ends a request.
const FETCH_LIMIT: Duration = Duration::from_secs(30);
/// How much of the body a table cell shows.
const MAX_SHOWN: usize = 60;

/// Send `GET path` and judge the status code.
pub(super) async fn probe(addr: SocketAddr, path: &str) -> Verdict {
    let started = Instant::now();
    let (code, body) = match fetch(addr, path).await {
        Ok(r) => r,
        Err(reason) => return Verdict::new(Status::Down, reason),
    };
    let latency = Some(started.elapsed());
    let shown = shown_body(&body);
    let (status, message) = match code {
        200 => (Status::Healthy, or_code(shown, code)),
        // LiveKit answers 406 `Not Ready` while it is up but cannot take rooms yet.
        406 => (Status::Degraded, or_code(shown, code)),
        _ if shown.is_empty() => (Status::Down, format!("HTTP {code}")),
        _ => (Status::Down, format!("HTTP {code}: {shown}")),
    };
    Verdict {
        status,
        message,
        latency,
        cause: None,
    }
}

/// `GET http://addr/path`: the status code and the start of the body. The caller's timeout
/// bounds the request; a peer that is not HTTP gives an error.
pub(super) async fn fetch(addr: SocketAddr, path: &str) -> Result<(u16, Vec<u8>), String> {
    let client = crate::http::client(FETCH_LIMIT)?;
    let response = client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .map_err(|e| crate::http::reason(&e))?;
    let code = response.status().as_u16();
    let body = crate::http::body(response, MAX_RESPONSE).await?;
    Ok((code, body))
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
    fn bodies_are_cut_to_a_cell() {
        assert_eq!(shown_body(b"  OK\n"), "OK");
        assert_eq!(shown_body(b"Not Ready\nmore"), "Not Ready");
        let long = "x".repeat(100);
        assert_eq!(shown_body(long.as_bytes()).chars().count(), MAX_SHOWN + 1);
        assert_eq!(or_code(String::new(), 200), "HTTP 200");
    }
}
