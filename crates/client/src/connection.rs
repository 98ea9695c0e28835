//! [`Connection`]: one TCP stream framed with [`FrameCodec`], every wait bounded by a timeout.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use ferry_proto::frame::{Frame, FrameCodec, FrameError, encode_head};
use ferry_proto::message::Response;
use futures::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

use super::{ClientError, not_ferry};
use crate::tls::TlsClient;

/// Payloads at least this big are written from their own buffer instead of being copied into
/// the write buffer behind their header.
const DIRECT_PAYLOAD: usize = 64 * 1024;

/// The stream under the frames: a `TcpStream`, or a TLS session over one.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

/// A framed connection to a Ferry server. It knows frames, not operations: sending requests
/// and matching responses is [`Client`](super::Client)'s business.
#[derive(Debug)]
pub struct Connection {
    framed: Framed<Box<dyn Stream>, FrameCodec>,
    timeout: Duration,
    /// `HOST:PORT` as dialled, to name the peer in errors.
    addr: String,
}

impl Connection {
    /// Opens a TCP connection to `addr` (`HOST:PORT`), giving up after `timeout`.
    pub async fn open(addr: &str, timeout: Duration) -> Result<Connection, ClientError> {
        Connection::open_with(addr, None, timeout).await
    }

    /// Opens a connection to `addr`, inside TLS when `tls` is given: the handshake comes
    /// first, and must finish within `timeout` too.
    pub async fn open_with(
        addr: &str,
        tls: Option<&TlsClient>,
        timeout: Duration,
    ) -> Result<Connection, ClientError> {
        let failed = |source| ClientError::ConnectFailed {
            addr: addr.to_string(),
            source,
        };
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(failed(e)),
            Err(_) => return Err(failed(std::io::ErrorKind::TimedOut.into())),
        };
        // Requests are small and answered one by one; Nagle would hold each back for an ack.
        stream.set_nodelay(true).map_err(failed)?;
        let stream: Box<dyn Stream> = match tls {
            None => Box::new(stream),
            Some(tls) => match tokio::time::timeout(timeout, tls.connect(addr, stream)).await {
                Ok(stream) => Box::new(stream?),
                Err(_) => {
                    return Err(ClientError::Tls(format!(
                        "no TLS handshake from {addr} within {} s",
                        timeout.as_secs()
                    )));
                }
            },
        };
        Ok(Connection {
            framed: Framed::new(stream, FrameCodec::default()),
            timeout,
            addr: addr.to_string(),
        })
    }

    /// The timeout applied to each send and receive.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Queues a frame and writes out everything queued.
    ///
    /// A big payload (an upload chunk) is not copied into the write buffer: its header is
    /// encoded alone and both go out in vectored writes from their own buffers, as the
    /// server's door sends download chunks. That saves a copy of every byte an upload sends
    /// (over TLS, rustls then copies straight from the chunk into its records).
    pub async fn send(&mut self, frame: Frame) -> Result<(), ClientError> {
        let secs = self.timeout.as_secs();
        let send = async {
            if frame.payload.len() < DIRECT_PAYLOAD {
                return self.framed.send(frame).await;
            }
            // Whatever is queued goes first, so frames keep their order.
            self.framed.flush().await?;
            let mut head = BytesMut::with_capacity(256);
            encode_head(&frame.header, frame.payload.len(), &mut head)?;
            let stream = self.framed.get_mut();
            stream.write_all_buf(&mut head.chain(frame.payload)).await?;
            stream.flush().await?;
            Ok(())
        };
        match tokio::time::timeout(self.timeout, send).await {
            Ok(result) => result.map_err(|e| frame_error(e, &self.addr)),
            Err(_) => Err(ClientError::Timeout(secs)),
        }
    }

    /// Waits for the next frame, for at most `wait`; returns its response header and payload.
    pub async fn recv_within(&mut self, wait: Duration) -> Result<(Response, Bytes), ClientError> {
        let frame = match tokio::time::timeout(wait, self.framed.next()).await {
            Err(_) => return Err(ClientError::Timeout(wait.as_secs())),
            Ok(None) => return Err(ClientError::ConnectionLost(None)),
            Ok(Some(frame)) => frame.map_err(|e| frame_error(e, &self.addr))?,
        };
        let response = Response::from_header(frame.header)
            .map_err(|e| ClientError::protocol(format!("bad response header: {e}")))?;
        Ok((response, frame.payload))
    }

    /// Whether the server has closed this connection, or announced that it will: with no
    /// request pending, anything readable (an end of stream, or an unsolicited `timeout` or
    /// `shutting_down` error) means the connection is done. Never waits.
    pub fn is_closed(&mut self) -> bool {
        self.framed.next().now_or_never().is_some()
    }

    /// Waits for the next frame for at most the connection's timeout.
    pub async fn recv(&mut self) -> Result<(Response, Bytes), ClientError> {
        self.recv_within(self.timeout).await
    }
}

fn frame_error(e: FrameError, addr: &str) -> ClientError {
    match e {
        FrameError::Io(io) => ClientError::ConnectionLost(Some(io)),
        // The peer's first bytes, read as a length: most likely not a Ferry server at all.
        FrameError::HeaderTooLarge { len, .. } => {
            let first = u32::try_from(len).map(u32::to_be_bytes).ok();
            match first.and_then(|b| Some((b, not_ferry::describe(b, addr)?))) {
                // A TLS record: a TLS port spoken to in plain text, `tls_error` as PROTOCOL
                // §1.1 says for both wrong-port cases.
                Some((b, what)) if not_ferry::is_tls(b) => ClientError::Tls(what),
                Some((_, what)) => ClientError::protocol(what),
                None => ClientError::protocol(format!("framing error: {e}")),
            }
        }
        other => ClientError::protocol(format!("framing error: {other}")),
    }
}
