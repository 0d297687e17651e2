//! A loopback port where connecting hangs, for probes that must time out rather than be refused.
//! Shared by tests/probes.rs and benches/status.rs.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// A listener with backlog 1 whose accept queue is full of connections it never accepts, so
/// Linux drops further SYNs instead of answering them.
pub struct Blackhole {
    pub port: u16,
    _listener: tokio::net::TcpListener,
    _queued: Vec<TcpStream>,
}

impl Blackhole {
    /// Needs a Tokio runtime entered (the listener registers with its reactor; it never runs).
    pub fn new() -> Blackhole {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("binding a loopback port");
        let listener = socket.listen(1).expect("listening");
        let addr = listener.local_addr().expect("the listener's address");
        let mut queued = Vec::new();
        // Fill the queue until a connect hangs: that proves the port really blackholes.
        for _ in 0..16 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(250)) {
                Ok(s) => queued.push(s),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    return Blackhole {
                        port: addr.port(),
                        _listener: listener,
                        _queued: queued,
                    }
                }
                Err(e) => panic!("filling the accept queue of {addr}: {e}"),
            }
        }
        panic!("{addr} kept accepting connections: no blackhole on this kernel");
    }
}
