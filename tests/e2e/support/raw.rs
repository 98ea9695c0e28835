//! A blocking raw-frame client: exactly what a hostile or foreign client can send, and the
//! frames the server answers with, byte for byte.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use bytes::BytesMut;
use ferry_core::auth::scram::ScramClient;
use ferry_proto::{Frame, FrameCodec, Header, Request, encode_frame};
use serde_json::Value;
use tokio_util::codec::Decoder;

use super::PASSWORD;

/// A blocking raw-frame client: exactly what a hostile or foreign client can send.
pub struct Raw {
    pub stream: TcpStream,
    codec: FrameCodec,
    buf: BytesMut,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        Raw::from_stream(TcpStream::connect(addr).unwrap())
    }

    /// Connects from a chosen local address (e.g. `127.0.0.2`, to be another source).
    pub fn connect_from(source: IpAddr, addr: SocketAddr) -> Raw {
        Raw::from_stream(tcp_from(source, addr))
    }

    fn from_stream(stream: TcpStream) -> Raw {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Raw {
            stream,
            codec: FrameCodec::default(),
            buf: BytesMut::new(),
        }
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    pub fn send(&mut self, header: Value, payload: &[u8]) {
        let Value::Object(h) = header else {
            panic!("header must be an object")
        };
        let mut out = BytesMut::new();
        encode_frame(&h, payload, &mut out).unwrap();
        self.send_bytes(&out);
    }

    pub fn request(&mut self, r: Request) -> Header {
        self.send(Value::Object(r.to_header()), &[]);
        self.recv().expect("a response").header
    }

    /// The next frame, or `None` if the server closed the connection.
    pub fn recv(&mut self) -> Option<Frame> {
        loop {
            if let Some(f) = self.codec.decode(&mut self.buf).unwrap() {
                return Some(f);
            }
            if !self.read_more() {
                return None;
            }
        }
    }

    /// The next frame and the exact bytes it arrived as (for byte-for-byte comparisons).
    pub fn recv_with_bytes(&mut self) -> Option<(Frame, Vec<u8>)> {
        loop {
            let before = self.buf.clone();
            if let Some(f) = self.codec.decode(&mut self.buf).unwrap() {
                let used = before.len() - self.buf.len();
                return Some((f, before[..used].to_vec()));
            }
            if !self.read_more() {
                return None;
            }
        }
    }

    /// Reads what the server sent next into the buffer; `false` once it has closed.
    fn read_more(&mut self) -> bool {
        let mut chunk = [0u8; 65536];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => false,
            Err(e) => panic!("read: {e}"),
        }
    }

    /// Whether the server has closed the connection (within the read timeout).
    pub fn is_closed(&mut self) -> bool {
        self.recv().is_none()
    }

    pub fn hello(&mut self) {
        let h = self.request(Request::Hello {
            version: 1,
            client: Some("e2e".into()),
        });
        assert_eq!(h["status"], "ok", "{h:?}");
    }

    pub fn login(&mut self, user: &str, password: &str) -> Header {
        let (client, first) = ScramClient::new(user, password, None).unwrap();
        let h = self.request(Request::AuthStart {
            mechanism: "SCRAM-SHA-256".into(),
            message: first,
        });
        if h["status"] != "ok" {
            return h;
        }
        let (fin, last) = client
            .handle_server_first(h["message"].as_str().unwrap())
            .unwrap();
        let h = self.request(Request::AuthFinish { message: last });
        if h["status"] == "ok" {
            fin.verify_server_final(h["message"].as_str().unwrap())
                .unwrap();
        }
        h
    }

    /// `upload_write`s of `data` to upload `id` from `offset`, `frame` bytes each, every one
    /// answered `ok`: the offset the last answer reports.
    pub fn write_upload(&mut self, id: &str, offset: u64, data: &[u8], frame: usize) -> u64 {
        let mut at = offset;
        for chunk in data.chunks(frame) {
            let header = serde_json::json!({
                "op": "upload_write", "id": id, "offset": at, "crc32c": crc32c::crc32c(chunk),
            });
            self.send(header, chunk);
            let h = self.recv().expect("an answer").header;
            assert_eq!(h["status"], "ok", "{h:?}");
            at = h["offset"].as_u64().expect("an offset");
        }
        at
    }

    /// A connection that said hello and logged in as `admin`.
    pub fn logged_in(addr: SocketAddr) -> Raw {
        Raw::logged_in_as(addr, "admin", PASSWORD)
    }

    /// A connection that said hello and logged in as `user`.
    pub fn logged_in_as(addr: SocketAddr, user: &str, password: &str) -> Raw {
        let mut r = Raw::connect(addr);
        r.hello();
        let h = r.login(user, password);
        assert_eq!(h["status"], "ok", "{h:?}");
        r
    }
}

/// A blocking TCP connection to `addr` from the local address `source` (e.g. `127.0.0.2`,
/// to be another source on loopback).
pub fn tcp_from(source: IpAddr, addr: SocketAddr) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let stream = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(source, 0)).unwrap();
        socket.connect(addr).await.unwrap()
    });
    let stream = stream.into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    stream
}
