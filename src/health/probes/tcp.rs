//! TCP: the port accepts a connection.

use std::net::SocketAddr;
use std::time::Instant;

use tokio::net::TcpStream;

use super::io_reason;
use crate::health::{Status, Verdict};

/// Connect to `addr` and close at once; the caller bounds the wait.
pub(super) async fn probe(addr: SocketAddr) -> Verdict {
    let started = Instant::now();
    match TcpStream::connect(addr).await {
        Ok(_stream) => Verdict {
            status: Status::Healthy,
            message: "accepting connections".into(),
            latency: Some(started.elapsed()),
            cause: None,
        },
        Err(e) => Verdict::new(Status::Down, io_reason(&e)),
    }
}
