//! The one HTTP client: every HTTP(S) request selkie makes (cloud metadata services, health
//! probes, Caddy's admin API, the readiness wait of a fresh container) goes through reqwest, built
//! here. TLS is rustls on ring, the same crypto as the TLS probes (no cmake to build). No proxy
//! from the environment: selkie asks addresses of this host and link-local metadata services,
//! which no proxy could reach. Redirects are not followed: an answer is judged as it comes.

use std::error::Error as _;
use std::io;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::{Client, Response};
use rustls::crypto::ring;
use rustls::{ClientConfig, RootCertStore};

/// A client for plain HTTP and for HTTPS trusting this machine's roots, giving up after `timeout`
/// (connecting included).
pub fn client(timeout: Duration) -> Result<Client, String> {
    client_trusting(system_roots(), timeout)
}

/// A client whose HTTPS trusts exactly `roots`.
pub fn client_trusting(roots: Arc<RootCertStore>, timeout: Duration) -> Result<Client, String> {
    let tls = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .map_err(|e| format!("HTTP client set-up: {}", reason(&e)))
}

/// The certificate authorities this machine trusts (honours SSL_CERT_FILE and SSL_CERT_DIR), read
/// once per process. Unreadable certificates are skipped, as a browser would skip them.
pub fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            Arc::new(roots)
        })
        .clone()
}

/// The body, at most `max` bytes of it: a health endpoint or a metadata value is a few bytes, and
/// a peer that sends more is not read further.
pub async fn body(mut response: Response, max: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| reason(&e))? {
        let room = max.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= max {
            break;
        }
    }
    Ok(out)
}

/// Why a request failed, in the words of the innermost cause: `connection refused` rather than
/// reqwest's `error sending request for url (…)`.
pub fn reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut source = e.source();
    let mut innermost = None;
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io_reason(io);
        }
        innermost = Some(s.to_string());
        source = s.source();
    }
    innermost.unwrap_or_else(|| e.to_string())
}

/// A socket error in a few lowercase words (`connection refused`), without the `(os error N)`
/// suffix that says nothing to an operator.
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::ConnectionReset => "connection reset".into(),
        io::ErrorKind::ConnectionAborted => "connection aborted".into(),
        io::ErrorKind::HostUnreachable => "host unreachable".into(),
        io::ErrorKind::NetworkUnreachable => "network unreachable".into(),
        io::ErrorKind::AddrNotAvailable => "address not available".into(),
        io::ErrorKind::TimedOut => "timed out".into(),
        io::ErrorKind::UnexpectedEof => "connection closed early".into(),
        _ => {
            let text = e.to_string();
            let text = match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            text.to_lowercase()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-shot HTTP server on loopback (test scaffolding) that answers `reply` to one request.
    async fn serve_once(reply: &'static [u8]) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            s.write_all(reply).await.unwrap();
        });
        addr
    }

    #[tokio::test]
    async fn bodies_are_cut_at_the_limit_and_redirects_are_not_followed() {
        let addr = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789").await;
        let c = client(Duration::from_secs(2)).unwrap();
        let r = c.get(format!("http://{addr}/")).send().await.unwrap();
        assert_eq!(body(r, 4).await.unwrap(), b"0123");
        let addr = serve_once(
            b"HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:9/\r\nContent-Length: 0\r\n\r\n",
        )
        .await;
        let r = c.get(format!("http://{addr}/")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 301);
    }

    #[tokio::test]
    async fn a_refused_connection_says_so() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let c = client(Duration::from_secs(2)).unwrap();
        let e = c.get(format!("http://{addr}/")).send().await.unwrap_err();
        assert_eq!(reason(&e), "connection refused");
    }
}
