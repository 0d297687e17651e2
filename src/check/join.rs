//! LiveKit's signalling as a browser speaks it: DNS, TCP, TLS (verified), the websocket at
//! `/rtc?access_token=…&protocol=…`, protobuf `SignalRequest`/`SignalResponse` messages, and the
//! `JoinResponse` that carries the ICE servers (TURN URLs and credentials).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use livekit_protocol::{
    signal_request, signal_response, JoinResponse, SignalRequest, SignalResponse,
};
use prost::Message as _;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use super::SIGNAL_TIMEOUT;

/// LiveKit's signalling protocol version this client speaks (client-sdk-js 2.x sends 16).
pub const PROTOCOL: u32 = 16;

/// The websocket's byte stream: TLS or plain TCP.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type Ws = WebSocketStream<Box<dyn Io>>;

/// Why the signalling connection failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalError {
    /// Not a `ws://` or `wss://` URL.
    BadUrl(String),
    Dns(String),
    Connect(String),
    /// The certificate is not trusted (or the handshake failed).
    Tls(String),
    /// LiveKit refused the token (HTTP 401), or the token could not be made.
    Token(String),
    /// Something answered that is not LiveKit's signalling.
    NotLiveKit(String),
    /// LiveKit sent the participant away.
    Refused(String),
    Timeout,
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignalError::BadUrl(u) => write!(f, "`{u}` is not a ws:// or wss:// URL"),
            SignalError::Dns(e) => write!(f, "the name does not resolve: {e}"),
            SignalError::Connect(e) => write!(f, "the signalling URL is unreachable: {e}"),
            SignalError::Tls(e) => write!(f, "TLS failed: {e}"),
            SignalError::Token(e) => write!(f, "the token was rejected: {e}"),
            SignalError::NotLiveKit(e) => write!(f, "the URL does not answer as LiveKit: {e}"),
            SignalError::Refused(e) => write!(f, "LiveKit refused the join: {e}"),
            SignalError::Timeout => {
                write!(f, "no join response within {} s", SIGNAL_TIMEOUT.as_secs())
            }
        }
    }
}

impl SignalError {
    /// What to do about it.
    pub fn fix(&self) -> String {
        match self {
            SignalError::BadUrl(_) => "give the LiveKit URL, e.g. wss://meet.example.org".into(),
            SignalError::Dns(_) => "point the name's DNS record at the server (`selkie plan` lists the records)".into(),
            SignalError::Connect(_) | SignalError::Timeout => "open 443/tcp (and the HTTPS port) in the cloud and host firewall, and check the proxy is running (`selkie status`)".into(),
            SignalError::Tls(_) => "wait for the certificate to be issued (`selkie status`), or trust the deployment's own CA; a browser would refuse this certificate too".into(),
            SignalError::Token(_) => "mint a fresh token with `selkie token` on the server (tokens expire, and must be signed with this deployment's keys)".into(),
            SignalError::NotLiveKit(_) => "use the LiveKit URL from `selkie plan` (urls.livekit)".into(),
            SignalError::Refused(_) => "see LiveKit's log: `docker logs selkie-livekit`".into(),
        }
    }
}

/// A joined participant.
pub struct Joined {
    pub ws: Ws,
    /// The address signalling reached: where the server's media candidates are expected.
    pub peer: IpAddr,
    pub response: JoinResponse,
    pub server_version: String,
}

/// Join with `token` at `url`, bounded by [`SIGNAL_TIMEOUT`].
pub async fn join(
    url: &str,
    token: &str,
    roots: &Arc<RootCertStore>,
) -> Result<Joined, SignalError> {
    tokio::time::timeout(SIGNAL_TIMEOUT, join_inner(url, token, roots))
        .await
        .unwrap_or(Err(SignalError::Timeout))
}

async fn join_inner(
    url: &str,
    token: &str,
    roots: &Arc<RootCertStore>,
) -> Result<Joined, SignalError> {
    let parts = Url::parse(url)?;
    let (stream, peer) = tokio::time::timeout(SIGNAL_TIMEOUT, open(&parts, roots))
        .await
        .unwrap_or_else(|_| {
            Err(SignalError::Connect(format!(
                "{}:{} gave no answer within {} s",
                parts.host,
                parts.port,
                SIGNAL_TIMEOUT.as_secs()
            )))
        })?;
    let scheme = if parts.tls { "wss" } else { "ws" };
    let request = format!(
        "{scheme}://{}{}/rtc?access_token={token}&protocol={PROTOCOL}&sdk=rust&version=selkie-{}&auto_subscribe=0",
        parts.authority,
        parts.path,
        env!("CARGO_PKG_VERSION")
    );
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .map_err(|e| handshake_error(e, token))?;
    loop {
        match next(&mut ws).await {
            Some(signal_response::Message::Join(response)) => {
                let server_version = response.server_version.clone();
                return Ok(Joined {
                    ws,
                    peer,
                    response,
                    server_version,
                });
            }
            Some(signal_response::Message::Leave(leave)) => {
                return Err(SignalError::Refused(format!(
                    "leave, reason {}",
                    leave.reason
                )))
            }
            Some(_) => continue,
            None => {
                return Err(SignalError::NotLiveKit(
                    "the websocket closed before a join response".into(),
                ))
            }
        }
    }
}

/// Why the websocket upgrade failed. LiveKit's 401 body quotes the token: it is cut out (a
/// minted token is never shown).
fn handshake_error(e: tungstenite::Error, token: &str) -> SignalError {
    match e {
        tungstenite::Error::Http(response) => {
            let status = response.status();
            let body: String = response
                .body()
                .as_deref()
                .map(|b| {
                    let text = String::from_utf8_lossy(b);
                    let text = if token.is_empty() {
                        text.to_string()
                    } else {
                        text.replace(token, "(the token)")
                    };
                    text.trim().chars().take(300).collect()
                })
                .unwrap_or_default();
            if status.as_u16() == 401 {
                SignalError::Token(if body.is_empty() {
                    "HTTP 401".into()
                } else {
                    body
                })
            } else {
                SignalError::NotLiveKit(format!("HTTP {status} at /rtc {body}").trim().to_string())
            }
        }
        other => SignalError::NotLiveKit(other.to_string()),
    }
}

/// DNS, TCP and (for wss) TLS with the system's roots and the deployment's own CA.
async fn open(
    parts: &Url,
    roots: &Arc<RootCertStore>,
) -> Result<(Box<dyn Io>, IpAddr), SignalError> {
    let addrs: Vec<_> = tokio::net::lookup_host((parts.host.as_str(), parts.port))
        .await
        .map_err(|e| SignalError::Dns(format!("{}: {e}", parts.host)))?
        .collect();
    let mut last = format!("{} has no address", parts.host);
    let mut tcp = None;
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    let tcp = tcp.ok_or(SignalError::Connect(last))?;
    let peer = tcp
        .peer_addr()
        .map_err(|e| SignalError::Connect(e.to_string()))?
        .ip();
    if !parts.tls {
        return Ok((Box::new(tcp), peer));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SignalError::Tls(e.to_string()))?
        .with_root_certificates(Arc::clone(roots))
        .with_no_client_auth();
    let name = ServerName::try_from(parts.host.clone())
        .map_err(|_| SignalError::BadUrl(parts.host.clone()))?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| SignalError::Tls(format!("{}: {e}", parts.host)))?;
    Ok((Box::new(tls), peer))
}

/// The next signalling message; `None` when the websocket closed or broke.
pub async fn next(ws: &mut Ws) -> Option<signal_response::Message> {
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(Message::Binary(bytes)) => {
                if let Ok(SignalResponse { message: Some(m) }) =
                    SignalResponse::decode(bytes.as_ref())
                {
                    return Some(m);
                }
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
    None
}

/// Send one signalling request.
pub async fn send(ws: &mut Ws, message: signal_request::Message) -> Result<(), String> {
    let bytes = SignalRequest {
        message: Some(message),
    }
    .encode_to_vec();
    ws.send(Message::Binary(bytes.into()))
        .await
        .map_err(|e| format!("the signalling connection broke: {e}"))
}

impl Joined {
    /// Leave the room and close the websocket (best effort: the check is over either way).
    pub async fn leave(mut self) {
        let leave = livekit_protocol::LeaveRequest {
            can_reconnect: false,
            reason: livekit_protocol::DisconnectReason::ClientInitiated as i32,
            ..Default::default()
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
            let _ = send(&mut self.ws, signal_request::Message::Leave(leave)).await;
            let _ = self.ws.close(None).await;
        })
        .await;
    }
}

/// A signalling URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// `host` or `host:port`, as sent in the Host header.
    pub authority: String,
    /// A path prefix without the trailing slash (`/livekit`), or empty.
    pub path: String,
}

impl Url {
    pub fn parse(url: &str) -> Result<Url, SignalError> {
        let bad = || SignalError::BadUrl(url.to_string());
        let (tls, rest) = match url.split_once("://") {
            Some(("wss" | "https", r)) => (true, r),
            Some(("ws" | "http", r)) => (false, r),
            _ => return Err(bad()),
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let default = if tls { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None => default,
            };
            (h.to_string(), port)
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
                None => (authority.to_string(), default),
            }
        };
        if host.is_empty() || authority.contains(['@', '?', '#']) {
            return Err(bad());
        }
        Ok(Url {
            tls,
            host,
            port,
            authority: authority.to_string(),
            path: path.trim_end_matches('/').to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signalling_urls_are_taken_apart() {
        let u = Url::parse("wss://meet.example.org").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (true, "meet.example.org", 443, "")
        );
        let u = Url::parse("wss://203.0.113.5:8443/livekit/").unwrap();
        assert_eq!(
            (u.port, u.path.as_str(), u.authority.as_str()),
            (8443, "/livekit", "203.0.113.5:8443")
        );
        let u = Url::parse("ws://[2001:db8::1]:7880").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port),
            (false, "2001:db8::1", 7880)
        );
        for bad in [
            "meet.example.org",
            "ftp://x",
            "wss://",
            "wss://h:port",
            "wss://u@h",
        ] {
            assert!(
                matches!(Url::parse(bad), Err(SignalError::BadUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_failure_says_what_to_do() {
        let response = |status: u16, body: Option<&[u8]>| {
            tungstenite::Error::Http(Box::new(
                tungstenite::http::Response::builder()
                    .status(status)
                    .body(body.map(<[u8]>::to_vec))
                    .unwrap(),
            ))
        };
        let body = b"invalid token: a.b.c, error: token is expired (exp)";
        let token = handshake_error(response(401, Some(body)), "a.b.c");
        assert!(
            matches!(&token, SignalError::Token(m) if m.contains("expired") && !m.contains("a.b.c")),
            "the reason is kept, the token is not: {token:?}"
        );
        assert!(token.fix().contains("selkie token"));
        let other = handshake_error(response(404, None), "t");
        assert!(matches!(other, SignalError::NotLiveKit(_)));
        assert!(SignalError::Timeout.to_string().contains("5 s"));
    }
}
