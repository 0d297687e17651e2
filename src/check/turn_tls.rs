//! TURN over TLS for the `turn` crate's client, which speaks to its server through a datagram
//! connection: this is that connection over one TLS stream (RFC 5766 §2.1, RFC 6062's framing).
//! Nothing of TURN is written here: the client sends whole STUN messages and ChannelData
//! frames, and the stream is cut back into them by their own length fields — a STUN message is
//! its 20-byte header plus the length in it, a ChannelData frame its 4-byte header plus the
//! length, padded to four bytes on a stream.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use webrtc_util::Conn;

use super::io::OpenError;

/// The largest frame accepted from the server (a STUN message or ChannelData is far smaller).
const MAX_FRAME: usize = 64 * 1024;

/// One TLS connection to a TURN server, seen by the TURN client as a datagram socket.
pub struct TlsConn {
    reader: Mutex<ReadHalf<TlsStream<TcpStream>>>,
    writer: Mutex<WriteHalf<TlsStream<TcpStream>>>,
    local: SocketAddr,
    server: SocketAddr,
}

impl TlsConn {
    /// Connect to `server`, verifying its certificate for `name` against `roots`.
    pub async fn connect(
        server: SocketAddr,
        name: &str,
        roots: &Arc<RootCertStore>,
    ) -> Result<TlsConn, OpenError> {
        let tcp = TcpStream::connect(server)
            .await
            .map_err(|e| format!("{server}: {e}"))?;
        let local = tcp.local_addr().map_err(|e| e.to_string())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(Arc::clone(roots))
            .with_no_client_auth();
        let server_name =
            ServerName::try_from(name.to_string()).map_err(|_| format!("bad TURN name {name}"))?;
        let tls = TlsConnector::from(Arc::new(config))
            .connect(server_name, tcp)
            .await
            .map_err(|e| OpenError::Tls(format!("TLS with {name} ({server}): {e}")))?;
        let (reader, writer) = tokio::io::split(tls);
        Ok(TlsConn {
            reader: Mutex::new(reader),
            writer: Mutex::new(writer),
            local,
            server,
        })
    }
}

/// How many bytes follow a frame's first four (its header's start), and how many of those are
/// padding: `None` for bytes that are neither STUN nor ChannelData.
pub fn frame_rest(head: [u8; 4]) -> Option<(usize, usize)> {
    let length = usize::from(u16::from_be_bytes([head[2], head[3]]));
    match head[0] >> 6 {
        // STUN: a 20-byte header whose length field counts the attributes after it.
        0 => Some((16 + length, 0)),
        // ChannelData (channel numbers 0x4000-0x7FFF): padded to four bytes on a stream.
        1 => Some((length, (4 - length % 4) % 4)),
        _ => None,
    }
}

#[async_trait::async_trait]
impl Conn for TlsConn {
    async fn connect(&self, _addr: SocketAddr) -> webrtc_util::Result<()> {
        Ok(())
    }

    async fn recv(&self, buf: &mut [u8]) -> webrtc_util::Result<usize> {
        Ok(self.recv_from(buf).await?.0)
    }

    async fn recv_from(&self, buf: &mut [u8]) -> webrtc_util::Result<(usize, SocketAddr)> {
        let mut reader = self.reader.lock().await;
        let mut head = [0u8; 4];
        reader.read_exact(&mut head).await?;
        let (rest, padding) = frame_rest(head).ok_or_else(|| {
            webrtc_util::Error::Other("the TURN server sent neither STUN nor ChannelData".into())
        })?;
        let total = 4 + rest;
        if total > MAX_FRAME || total > buf.len() {
            return Err(webrtc_util::Error::Other(format!(
                "a {total}-byte frame from the TURN server does not fit"
            )));
        }
        buf[..4].copy_from_slice(&head);
        reader.read_exact(&mut buf[4..total]).await?;
        let mut pad = [0u8; 3];
        reader.read_exact(&mut pad[..padding]).await?;
        Ok((total, self.server))
    }

    async fn send(&self, buf: &[u8]) -> webrtc_util::Result<usize> {
        self.send_to(buf, self.server).await
    }

    async fn send_to(&self, buf: &[u8], _target: SocketAddr) -> webrtc_util::Result<usize> {
        let mut writer = self.writer.lock().await;
        writer.write_all(buf).await?;
        // ChannelData is padded to four bytes on a stream; STUN messages always are.
        let padding = (4 - buf.len() % 4) % 4;
        if padding > 0 {
            writer.write_all(&[0u8; 3][..padding]).await?;
        }
        writer.flush().await?;
        Ok(buf.len())
    }

    fn local_addr(&self) -> webrtc_util::Result<SocketAddr> {
        Ok(self.local)
    }

    fn remote_addr(&self) -> Option<SocketAddr> {
        Some(self.server)
    }

    async fn close(&self) -> webrtc_util::Result<()> {
        let mut writer = self.writer.lock().await;
        let _ = writer.shutdown().await;
        Ok(())
    }

    fn as_any(&self) -> &(dyn std::any::Any + Send + Sync) {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::frame_rest;

    #[test]
    fn frames_are_cut_by_their_own_length_fields() {
        // A STUN binding request with 8 bytes of attributes: 16 more header bytes + 8.
        assert_eq!(frame_rest([0x00, 0x01, 0x00, 0x08]), Some((24, 0)));
        // ChannelData on channel 0x4000 with 5 bytes of data: padded by 3 on a stream.
        assert_eq!(frame_rest([0x40, 0x00, 0x00, 0x05]), Some((5, 3)));
        assert_eq!(frame_rest([0x7f, 0xff, 0x00, 0x08]), Some((8, 0)));
        // Neither (an RTP or DTLS first byte): refused, never read as a length.
        assert_eq!(frame_rest([0x80, 0x00, 0x00, 0x10]), None);
        assert_eq!(frame_rest([0xc0, 0x00, 0x00, 0x10]), None);
    }
}
