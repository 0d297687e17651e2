//! The HTTP probe against a tiny server on loopback: status codes, silence.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use selkie::health::Status;

use super::{assert_verdict, closed_tcp_port, ctx, http, timed, LOCALHOST};

/// A tiny HTTP server: `/` answers 200 `OK`, `/not-ready` 406 `Not Ready` (as LiveKit does),
/// anything else 500.
fn http_server() -> u16 {
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request);
            let path = line.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = match path {
                "/" => ("200 OK", "OK\n"),
                "/not-ready" => ("406 Not Acceptable", "Not Ready\n"),
                _ => ("500 Internal Server Error", "boom\n"),
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

#[tokio::test]
async fn http_status_codes_map_to_health() {
    let port = http_server();
    let ctx = ctx(Duration::from_secs(2));
    let (ok, _) = timed(&http(port, "/"), &ctx).await;
    assert_eq!(
        (ok.status, ok.message.as_str()),
        (Status::Healthy, "OK"),
        "{ok:?}"
    );
    assert!(ok.latency.is_some());
    let (not_ready, _) = timed(&http(port, "/not-ready"), &ctx).await;
    assert_eq!(
        (not_ready.status, not_ready.message.as_str()),
        (Status::Degraded, "Not Ready")
    );
    let (broken, _) = timed(&http(port, "/broken"), &ctx).await;
    assert_verdict(&broken, Status::Down, "HTTP 500");
    let (closed, _) = timed(&http(closed_tcp_port(), "/"), &ctx).await;
    assert_verdict(&closed, Status::Down, "connection refused");
}

#[tokio::test]
async fn http_silent_server_costs_one_timeout() {
    // Accepts (through the kernel's queue) but never answers.
    let listener = TcpListener::bind((LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (verdict, took) = timed(&http(port, "/"), &ctx(Duration::from_secs(1))).await;
    assert_verdict(&verdict, Status::Down, "timed out after 1s");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}
