//! The TCP door's protocol: hello, SCRAM login, then one response per request.
//!
//! This module only translates frames to `ferry_core` service calls and results back to frames
//! (through [`crate::reply`]); it decides nothing about storage or policy.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use ferry_core::{Error, Ferry, Session};
use ferry_proto::{Frame, MAX_PAYLOAD_LEN, PROTOCOL_VERSION, Request, chunk_crc};
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use crate::connection::{Connection, ReadError};
use crate::reply;
use crate::server::Limits;

mod exec;

pub use exec::MAX_EXEC_CHUNK;

/// Logins a connection may attempt before it is closed.
const MAX_LOGIN_ATTEMPTS: u32 = 3;

/// How a connection ended, for the log line.
#[derive(Debug)]
#[expect(
    dead_code,
    reason = "the fields are read through Debug in the connection log line"
)]
enum End {
    ClientClosed,
    Bye,
    Idle,
    LoginTimeout,
    Shutdown,
    Refused(&'static str),
    Broken(String),
}

/// Serves one accepted connection to completion.
pub async fn serve_connection(
    conn: Connection,
    peer: SocketAddr,
    ferry: Ferry,
    limits: Arc<Limits>,
    pre_auth: OwnedSemaphorePermit,
    shutdown: CancellationToken,
) {
    let started = Instant::now();
    let mut h = Handler {
        conn,
        prefetched: None,
        peer,
        ferry,
        limits,
        shutdown,
    };
    let (user, end) = h.run(pre_auth).await;
    tracing::info!(
        peer = %peer,
        user = user.as_deref().unwrap_or("-"),
        duration_ms = started.elapsed().as_millis() as u64,
        result = ?end,
        "connection"
    );
}

struct Handler {
    conn: Connection,
    /// A frame (or read outcome) read while the previous chunk was being written.
    prefetched: Option<Result<Option<Frame>, ReadError>>,
    peer: SocketAddr,
    ferry: Ferry,
    limits: Arc<Limits>,
    shutdown: CancellationToken,
}

impl Handler {
    async fn run(&mut self, pre_auth: OwnedSemaphorePermit) -> (Option<String>, End) {
        let deadline = self.limits.login_timeout;
        let session = match tokio::time::timeout(deadline, self.handshake()).await {
            Ok(Ok(session)) => session,
            Ok(Err(end)) => return (None, end),
            Err(_) => {
                let _ = self
                    .conn
                    .send(reply::error_code("timeout", "login deadline exceeded"))
                    .await;
                return (None, End::LoginTimeout);
            }
        };
        drop(pre_auth);
        let user = session.user().to_string();
        let end = self.serve(session).await;
        (Some(user), end)
    }

    /// Reads one frame, mapping deadlines, framing errors and shutdown to an end.
    async fn next(&mut self) -> Result<Frame, End> {
        if let Some(read) = self.prefetched.take() {
            return self.settle(read).await;
        }
        let idle = self.limits.idle_timeout;
        let read = tokio::select! {
            _ = self.shutdown.cancelled() => {
                let _ = self.conn.send(reply::error_code("shutting_down", "the server is shutting down")).await;
                return Err(End::Shutdown);
            }
            r = self.conn.read_frame(idle) => r,
        };
        self.settle(read).await
    }

    /// Turns the outcome of a read into a frame or an end (telling the peer why).
    async fn settle(&mut self, read: Result<Option<Frame>, ReadError>) -> Result<Frame, End> {
        match read {
            Ok(Some(frame)) => Ok(frame),
            Ok(None) => Err(End::ClientClosed),
            Err(ReadError::Idle) => {
                let _ = self
                    .conn
                    .send(reply::error_code("timeout", "idle timeout"))
                    .await;
                Err(End::Idle)
            }
            Err(ReadError::FrameTimeout) => {
                let _ = self
                    .conn
                    .send(reply::error_code("timeout", "frame deadline exceeded"))
                    .await;
                Err(End::Broken("frame deadline".into()))
            }
            Err(ReadError::Frame(e)) => {
                if !matches!(e, ferry_proto::FrameError::Io(_)) {
                    let _ = self
                        .conn
                        .send(reply::error_code(e.code(), &e.to_string()))
                        .await;
                }
                Err(End::Broken(e.code().into()))
            }
        }
    }

    async fn send(&mut self, frame: Frame) -> Result<(), End> {
        self.conn
            .send(frame)
            .await
            .map_err(|e| End::Broken(format!("send: {e}")))
    }

    /// Hello, then SCRAM. Returns the logged-in session.
    async fn handshake(&mut self) -> Result<Session, End> {
        let frame = self.next().await?;
        match Request::from_header(&frame.header) {
            Ok(Request::Hello { version, .. }) if version == PROTOCOL_VERSION => {
                let hello = json!({
                    "version": PROTOCOL_VERSION,
                    "server": concat!("ferry/", env!("CARGO_PKG_VERSION")),
                    "max_header": ferry_proto::MAX_HEADER_LEN,
                    "max_payload": MAX_PAYLOAD_LEN,
                    "mechanisms": [ferry_proto::MECHANISM],
                });
                self.send(reply::ok(&hello)).await?;
            }
            Ok(Request::Hello { version, .. }) => {
                self.send(reply::error(&Error::UnsupportedVersion(version)))
                    .await?;
                return Err(End::Refused("unsupported_version"));
            }
            _ => {
                self.send(reply::error_code("bad_request", "send hello first"))
                    .await?;
                return Err(End::Refused("no hello"));
            }
        }
        let mut attempts = 0;
        loop {
            let frame = self.next().await?;
            let (mechanism, message) = match Request::from_header(&frame.header) {
                Ok(Request::AuthStart { mechanism, message }) => (mechanism, message),
                Ok(Request::Bye) => {
                    let _ = self.send(reply::ok_empty()).await;
                    return Err(End::Bye);
                }
                Ok(_) => {
                    self.send(reply::error(&Error::NotAuthenticated)).await?;
                    continue;
                }
                Err(e) => {
                    self.send(reply::error_code(e.code(), &e.to_string()))
                        .await?;
                    continue;
                }
            };
            let result = self.login(&mechanism, &message).await;
            match result {
                Ok(Some(session)) => return Ok(session),
                Ok(None) => {}
                Err(e) => {
                    self.send(reply::error(&e)).await?;
                }
            }
            attempts += 1;
            if attempts >= MAX_LOGIN_ATTEMPTS {
                return Err(End::Refused("too many login attempts"));
            }
        }
    }

    /// One SCRAM exchange. `Ok(None)`: it failed and the failure was already sent.
    async fn login(&mut self, mechanism: &str, message: &str) -> Result<Option<Session>, Error> {
        let (pending, server_first) = self
            .ferry
            .login_start(self.peer.ip(), mechanism, message)
            .await?;
        self.send(reply::ok(&json!({ "message": server_first })))
            .await
            .map_err(|_| Error::BadRequest("connection lost".into()))?;
        let frame = self
            .next()
            .await
            .map_err(|_| Error::BadRequest("connection lost".into()))?;
        let client_final = match Request::from_header(&frame.header) {
            Ok(Request::AuthFinish { message }) => message,
            _ => return Err(Error::BadRequest("expected auth_finish".into())),
        };
        match self.ferry.login_finish(pending, &client_final).await {
            Ok((session, server_final)) => {
                let body = json!({
                    "message": server_final,
                    "user": session.user().as_str(),
                    "cwd": session.cwd().to_string(),
                });
                self.send(reply::ok(&body))
                    .await
                    .map_err(|_| Error::BadRequest("connection lost".into()))?;
                Ok(Some(session))
            }
            Err(e) => {
                let _ = self.send(reply::error(&e)).await;
                Ok(None)
            }
        }
    }

    async fn serve(&mut self, mut session: Session) -> End {
        loop {
            let frame = match self.next().await {
                Ok(f) => f,
                Err(end) => return end,
            };
            let request = match Request::from_header(&frame.header) {
                Ok(r) => r,
                Err(e) => {
                    if self
                        .send(reply::error_code(e.code(), &e.to_string()))
                        .await
                        .is_err()
                    {
                        return End::Broken("send".into());
                    }
                    continue;
                }
            };
            if let Request::Bye = request {
                let _ = self.send(reply::ok_empty()).await;
                return End::Bye;
            }
            if let Request::Exec {
                id,
                argv,
                command,
                timeout_secs,
            } = request
            {
                let args = exec::ExecArgs {
                    id,
                    argv,
                    command,
                    timeout_secs,
                };
                let result = if frame.payload.is_empty() {
                    self.exec(&session, args).await
                } else {
                    let e = Error::BadRequest("exec takes no payload".into());
                    self.send(reply::error(&e)).await
                };
                if let Err(end) = result {
                    return end;
                }
                continue;
            }
            if let Request::Get { path, offset } = request {
                if let Err(end) = self.download(&session, &path, offset).await {
                    return end;
                }
                continue;
            }
            let response = if matches!(request, Request::UploadWrite { .. }) {
                self.dispatch_reading_ahead(&mut session, request, frame.payload)
                    .await
            } else {
                dispatch(&mut session, request, frame.payload).await
            };
            let frame = match response {
                Ok(frame) => frame,
                Err(e) => reply::error(&e),
            };
            // Flushed at once: a pipelining client refills its window as acks arrive.
            if self.conn.send(frame).await.is_err() {
                return End::Broken("send".into());
            }
        }
    }

    /// Runs a chunk write while the next frame is read from the socket, so receiving chunk
    /// N + 1 overlaps hashing and writing chunk N. Reading is cancel-safe: a frame only partly
    /// read when the write completes stays buffered in the codec.
    async fn dispatch_reading_ahead(
        &mut self,
        session: &mut Session,
        request: Request,
        payload: Bytes,
    ) -> Result<Frame, Error> {
        let idle = self.limits.idle_timeout;
        let work = dispatch(session, request, payload);
        tokio::pin!(work);
        loop {
            tokio::select! {
                biased;
                response = &mut work => return response,
                read = self.conn.read_frame(idle), if self.prefetched.is_none() => {
                    self.prefetched = Some(read);
                }
            }
        }
    }

    async fn download(&mut self, session: &Session, path: &str, offset: u64) -> Result<(), End> {
        let started = Instant::now();
        let mut dl = match session.open_download(path, offset).await {
            Ok(dl) => dl,
            Err(e) => return self.send(reply::error(&e)).await,
        };
        let head = json!({ "size": dl.entry.size, "md5": dl.md5().to_string(), "offset": offset });
        self.send(reply::ok(&head)).await?;
        let mut position = offset;
        let mut next = dl.next_chunk(MAX_PAYLOAD_LEN).await;
        let result = loop {
            if self.shutdown.is_cancelled() {
                break "shutdown";
            }
            match next {
                Ok(Some(chunk)) => {
                    let header = json!({ "status": "data", "offset": position, "crc32c": chunk_crc(&chunk) });
                    position += chunk.len() as u64;
                    let frame = Frame::with_payload(as_map(header), chunk);
                    // The next chunk is read while this one is sent: a chunk then costs
                    // max(read, send) rather than their sum.
                    let (sent, read) =
                        tokio::join!(self.send(frame), dl.next_chunk(MAX_PAYLOAD_LEN));
                    sent?;
                    next = read;
                }
                Ok(None) => break "ok",
                Err(e) => {
                    self.send(reply::error(&e)).await?;
                    break "error";
                }
            }
        };
        if result == "ok" {
            self.send(Frame::new(as_map(
                json!({ "status": "end", "size": dl.entry.size }),
            )))
            .await?;
        }
        tracing::info!(
            user = %session.user(),
            path = %dl.entry.path,
            bytes = position - offset,
            duration_ms = started.elapsed().as_millis() as u64,
            result,
            "download"
        );
        if result == "shutdown" {
            Err(End::Shutdown)
        } else {
            Ok(())
        }
    }
}

fn as_map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// A listing page as one frame. Names of up to 255 bytes can push a page past the header limit,
/// so the page is shortened (and `next` set) until it fits.
fn listing_frame(mut listing: ferry_core::model::Listing) -> Frame {
    loop {
        let frame = reply::ok(&listing);
        let size = serde_json::to_vec(&frame.header).map_or(usize::MAX, |v| v.len());
        if size <= ferry_proto::MAX_HEADER_LEN - 64 || listing.entries.len() <= 1 {
            return frame;
        }
        let keep = listing.entries.len() / 2;
        listing.entries.truncate(keep);
        listing.next = listing.entries.last().map(|e| e.name.clone());
    }
}

/// Runs one request against the session and builds its `ok` frame.
async fn dispatch(session: &mut Session, request: Request, payload: Bytes) -> Result<Frame, Error> {
    if !payload.is_empty() && !matches!(request, Request::UploadWrite { .. }) {
        return Err(Error::BadRequest(format!(
            "{} takes no payload",
            request.op()
        )));
    }
    Ok(match request {
        Request::Pwd => reply::ok(&json!({ "cwd": session.cwd().to_string() })),
        Request::Cd { path } => {
            let cwd = session.cd(&path).await?;
            reply::ok(&json!({ "cwd": cwd.to_string() }))
        }
        Request::Ls { path, after, limit } => {
            listing_frame(session.list(path.as_deref(), after, limit).await?)
        }
        Request::Stat { path, digest } => {
            reply::ok(&json!({ "entry": session.stat(&path, digest).await? }))
        }
        Request::Mkdir { path, parents } => {
            reply::ok(&json!({ "entry": session.mkdir(&path, parents).await? }))
        }
        Request::Rm { path, recursive } => {
            session.remove(&path, recursive).await?;
            reply::ok_empty()
        }
        Request::Mv {
            from,
            to,
            overwrite,
        } => reply::ok(&json!({ "entry": session.rename(&from, &to, overwrite).await? })),
        Request::Quota => reply::ok(&session.quota().await?),
        Request::UploadCreate {
            path,
            size,
            md5,
            overwrite,
        } => {
            let upload = session
                .upload_create(&path, size, md5.as_deref(), overwrite)
                .await?;
            reply::ok(&json!({ "upload": upload }))
        }
        Request::UploadList => reply::ok(&json!({ "uploads": session.upload_list().await? })),
        Request::UploadStatus { id } => {
            reply::ok(&json!({ "upload": session.upload_status(&id).await? }))
        }
        Request::UploadWrite { id, offset, crc32c } => {
            let offset = session
                .upload_write_chunk(&id, offset, payload, Some(crc32c))
                .await?;
            reply::ok(&json!({ "offset": offset }))
        }
        Request::UploadFinish { id, md5 } => {
            reply::ok(&json!({ "entry": session.upload_finish(&id, md5.as_deref()).await? }))
        }
        Request::UploadCancel { id } => {
            session.upload_cancel(&id).await?;
            reply::ok_empty()
        }
        Request::Hello { .. } | Request::AuthStart { .. } | Request::AuthFinish { .. } => {
            return Err(Error::BadRequest("already logged in".into()));
        }
        Request::Get { .. } | Request::Exec { .. } | Request::Bye => {
            return Err(Error::BadRequest("handled by the connection".into()));
        }
    })
}
