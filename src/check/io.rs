//! The sockets behind one path's single ICE candidate: a UDP socket, ICE over TCP (RFC 4571:
//! each packet after a two-byte length, one connection per remote candidate, opened by us as a
//! browser's active candidate does), or a TURN relay over UDP allocated with the `turn` crate.
//! Readers run as tasks and hand packets (and notes on what went wrong) to the path's loop.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use str0m::net::{Protocol, TcpType, Transmit};
use str0m::Candidate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use webrtc_util::Conn;

use super::targets::TurnUrl;
use livekit_protocol::IceServer;
use rustls::RootCertStore;

/// What the readers hand to the loop.
pub enum Incoming {
    Packet {
        proto: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        data: Vec<u8>,
    },
    /// Something the failure reason should mention (a refused TCP connection).
    Note(String),
}

/// The sending side of one path's transport.
pub struct Io {
    kind: Kind,
    tx: mpsc::Sender<Incoming>,
    tasks: Vec<JoinHandle<()>>,
}

enum Kind {
    Udp(Arc<UdpSocket>),
    Tcp {
        local: SocketAddr,
        conns: HashMap<SocketAddr, mpsc::UnboundedSender<Vec<u8>>>,
    },
    Turn {
        relay: Arc<dyn Conn + Send + Sync>,
        client: turn::client::Client,
    },
}

impl Drop for Io {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The address this machine sends from towards `remote` (no packet is sent).
pub fn local_ip_towards(remote: IpAddr) -> Result<IpAddr, String> {
    let any = if remote.is_ipv4() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    };
    let s = std::net::UdpSocket::bind((any, 0)).map_err(|e| e.to_string())?;
    s.connect((remote, 9))
        .map_err(|e| format!("no route to {remote}: {e}"))?;
    Ok(s.local_addr().map_err(|e| e.to_string())?.ip())
}

/// Every datagram `conn` receives, as a packet to `destination` on `tx`, until either ends.
fn forward_datagrams(
    conn: Arc<dyn Conn + Send + Sync>,
    destination: SocketAddr,
    tx: mpsc::Sender<Incoming>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = vec![0u8; 2048];
        while let Ok((n, source)) = conn.recv_from(&mut buf).await {
            let packet = Incoming::Packet {
                proto: Protocol::Udp,
                source,
                destination,
                data: buf[..n].to_vec(),
            };
            if tx.send(packet).await.is_err() {
                break;
            }
        }
    })
}

/// A UDP host candidate on the address towards the server.
pub async fn udp(server: IpAddr) -> Result<(Io, Candidate, mpsc::Receiver<Incoming>), String> {
    let ip = local_ip_towards(server)?;
    let socket = Arc::new(UdpSocket::bind((ip, 0)).await.map_err(|e| e.to_string())?);
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    let candidate = Candidate::host(local, "udp").map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel(256);
    let reader = forward_datagrams(Arc::clone(&socket) as _, local, tx.clone());
    let io = Io {
        kind: Kind::Udp(socket),
        tx,
        tasks: vec![reader],
    };
    Ok((io, candidate, rx))
}

/// An active TCP candidate (port 9, as browsers announce it): connections open on demand.
pub fn tcp(server: IpAddr) -> Result<(Io, Candidate, mpsc::Receiver<Incoming>), String> {
    let local = SocketAddr::new(local_ip_towards(server)?, 9);
    let candidate = Candidate::builder()
        .tcp()
        .host(local)
        .tcptype(TcpType::Active)
        .build()
        .map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel(256);
    let kind = Kind::Tcp {
        local,
        conns: HashMap::new(),
    };
    Ok((
        Io {
            kind,
            tx,
            tasks: Vec::new(),
        },
        candidate,
        rx,
    ))
}

/// A relayed candidate: an allocation on LiveKit's TURN server, with the credentials from the
/// join response; over UDP, or (`tls`) over TLS to the `turns:` server, its certificate verified
/// against `roots` as the signalling's was. The relay itself is UDP either way.
pub async fn turn(
    servers: &[IceServer],
    tls: bool,
    roots: &Arc<RootCertStore>,
) -> Result<(Io, Candidate, mpsc::Receiver<Incoming>), OpenError> {
    let (url, server) = servers
        .iter()
        .flat_map(|s| s.urls.iter().map(move |u| (u, s)))
        .find_map(|(u, s)| {
            TurnUrl::parse(u)
                .filter(|t| if tls { t.tls } else { !t.tls && t.udp })
                .map(|t| (t, s))
        })
        .ok_or(if tls {
            "LiveKit's join response lists no TURN server over TLS"
        } else {
            "LiveKit's join response lists no TURN server over UDP"
        })?;
    let addr = tokio::net::lookup_host((url.host.as_str(), url.port))
        .await
        .map_err(|e| format!("{}: {e}", url.host))?
        .next()
        .ok_or_else(|| format!("{} has no address", url.host))?;
    let (conn, local) = turn_conn(addr, tls.then_some(url.host.as_str()), roots).await?;
    let config = turn::client::ClientConfig {
        stun_serv_addr: String::new(),
        turn_serv_addr: addr.to_string(),
        username: server.username.clone(),
        password: server.credential.clone(),
        realm: String::new(),
        software: String::new(),
        rto_in_ms: 0,
        conn,
        vnet: None,
    };
    let client = turn::client::Client::new(config)
        .await
        .map_err(|e| format!("TURN client: {e}"))?;
    client
        .listen()
        .await
        .map_err(|e| format!("TURN client: {e}"))?;
    let relay: Arc<dyn Conn + Send + Sync> = Arc::new(
        client
            .allocate()
            .await
            .map_err(|e| format!("TURN allocation at {addr} failed: {e}"))?,
    );
    let relayed = relay.local_addr().map_err(|e| e.to_string())?;
    let candidate = Candidate::relayed(relayed, local, "udp").map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel(256);
    let reader = forward_datagrams(Arc::clone(&relay), relayed, tx.clone());
    let io = Io {
        kind: Kind::Turn { relay, client },
        tx,
        tasks: vec![reader],
    };
    Ok((io, candidate, rx))
}

/// Why a path's transport could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// No socket, no route, no answer, a refused connection.
    Network(String),
    /// The TURN server answered, but the TLS handshake failed.
    Tls(String),
}

impl From<String> for OpenError {
    fn from(reason: String) -> Self {
        OpenError::Network(reason)
    }
}

impl From<&str> for OpenError {
    fn from(reason: &str) -> Self {
        OpenError::Network(reason.to_string())
    }
}

/// The client's connection to the TURN server at `addr`: a UDP socket, or (`tls_name`) a TLS
/// stream verified for that name.
async fn turn_conn(
    addr: SocketAddr,
    tls_name: Option<&str>,
    roots: &Arc<RootCertStore>,
) -> Result<(Arc<dyn Conn + Send + Sync>, SocketAddr), OpenError> {
    if let Some(name) = tls_name {
        let conn = super::turn_tls::TlsConn::connect(addr, name, roots).await?;
        let local = conn.local_addr().map_err(|e| e.to_string())?;
        return Ok((Arc::new(conn), local));
    }
    let ip = local_ip_towards(addr.ip())?;
    let socket = UdpSocket::bind((ip, 0)).await.map_err(|e| e.to_string())?;
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    Ok((Arc::new(socket), local))
}

impl Io {
    /// Send what str0m asks for on this path's transport.
    pub async fn send(&mut self, t: &Transmit) {
        match &mut self.kind {
            Kind::Udp(socket) => {
                let _ = socket.send_to(&t.contents, t.destination).await;
            }
            Kind::Turn { relay, .. } => {
                let _ = relay.send_to(&t.contents, t.destination).await;
            }
            Kind::Tcp { local, conns } => {
                let sender = conns.entry(t.destination).or_insert_with(|| {
                    let (out, rx) = mpsc::unbounded_channel();
                    let task = tokio::spawn(tcp_conn(t.destination, *local, rx, self.tx.clone()));
                    self.tasks.push(task);
                    out
                });
                let _ = sender.send(t.contents.to_vec());
            }
        }
    }

    /// Release the TURN allocation (the other transports just close).
    pub async fn close(self) {
        if let Kind::Turn { relay, client } = &self.kind {
            let _ = relay.close().await;
            let _ = client.close().await;
        }
    }
}

/// One TCP connection to a remote candidate: RFC 4571 frames both ways.
async fn tcp_conn(
    remote: SocketAddr,
    local: SocketAddr,
    mut out: mpsc::UnboundedReceiver<Vec<u8>>,
    tx: mpsc::Sender<Incoming>,
) {
    let stream = match TcpStream::connect(remote).await {
        Ok(s) => s,
        Err(e) => {
            let _ = tx
                .send(Incoming::Note(format!("TCP to {remote}: {e}")))
                .await;
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        while let Some(packet) = out.recv().await {
            let Ok(len) = u16::try_from(packet.len()) else {
                continue;
            };
            let mut frame = len.to_be_bytes().to_vec();
            frame.extend_from_slice(&packet);
            if write.write_all(&frame).await.is_err() {
                break;
            }
        }
    });
    let mut len = [0u8; 2];
    while read.read_exact(&mut len).await.is_ok() {
        let mut data = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if read.read_exact(&mut data).await.is_err() {
            break;
        }
        let packet = Incoming::Packet {
            proto: Protocol::Tcp,
            source: remote,
            destination: local,
            data,
        };
        if tx.send(packet).await.is_err() {
            break;
        }
    }
    writer.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_address_is_the_one_towards_the_server() {
        assert_eq!(
            local_ip_towards(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            Ok(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
    }

    #[tokio::test]
    async fn tcp_frames_carry_a_two_byte_length() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let remote = listener.local_addr().unwrap();
        let (tx, mut rx) = mpsc::channel(4);
        let (out, out_rx) = mpsc::unbounded_channel();
        let local: SocketAddr = "127.0.0.1:9".parse().unwrap();
        tokio::spawn(tcp_conn(remote, local, out_rx, tx));
        out.send(b"ping".to_vec()).unwrap();
        let (mut peer, _) = listener.accept().await.unwrap();
        let mut got = [0u8; 6];
        peer.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"\x00\x04ping");
        peer.write_all(b"\x00\x03abc").await.unwrap();
        match rx.recv().await.unwrap() {
            Incoming::Packet {
                data,
                source,
                destination,
                proto,
            } => {
                assert_eq!(
                    (data.as_slice(), source, destination, proto),
                    (&b"abc"[..], remote, local, Protocol::Tcp)
                );
            }
            Incoming::Note(n) => panic!("{n}"),
        }
    }
}
