//! The session loop of one TCP connection: hello and SCRAM login (`login`), then one request
//! at a time, each handed to its command in [`crate::cmd`] and answered in order.
//!
//! This module decides when frames are read and sent — deadlines, shutdown, how the connection
//! ended — and nothing about storage or policy, which is the core's. Since every frame passes
//! here, so does the request metering (`meter`).
//!
//! Frames are read one request at a time. There is no read-ahead: an `upload_write` is
//! answered once its chunk is checked and written while its MD5 goes on behind it in the core
//! (see the core's running MD5), so receiving the next chunk already overlaps hashing this one;
//! a read-ahead on top gained nothing measurable and held one more chunk per connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use ferry_core::{Ferry, Session};
use ferry_net::Io;
use ferry_proto::{Frame, Request};
use tokio::sync::OwnedSemaphorePermit;
use tracing::Instrument;

/// A connection's places among those not logged in yet: the door's pool and the listener's
/// per-source startup slot. Dropped at login.
pub(crate) type PreAuth = (OwnedSemaphorePermit, Option<ferry_net::StartupSlot>);
use tokio_util::sync::CancellationToken;

use crate::cmd;
use crate::connection::{Connection, Incoming, ReadAs, ReadError};
use crate::limits::Limits;
use crate::reply;

mod access;
mod login;
mod meter;
mod stream;
mod streamed_upload;

pub use cmd::exec::MAX_EXEC_CHUNK;

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
pub async fn serve_connection<S: Io>(
    conn: Connection<S>,
    peer: SocketAddr,
    ferry: Ferry,
    limits: Arc<Limits>,
    pre_auth: PreAuth,
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
        last_code: None,
        meter: meter::Meter::default(),
    };
    // The connection's span: every line logged for it, the core's audit lines included,
    // carries the door, the client's address and, once logged in, the user.
    let span = tracing::info_span!(
        "tcp",
        door = "tcp",
        source = %peer.ip(),
        user = tracing::field::Empty,
    );
    let (user, end) = h.run(pre_auth).instrument(span.clone()).await;
    h.meter.end();
    let _in_span = span.enter();
    tracing::info!(
        peer = %peer,
        user = user.as_deref().unwrap_or("-"),
        duration_ms = started.elapsed().as_millis() as u64,
        result = ?end,
        "connection"
    );
}

/// One connection's state between frames.
struct Handler<S> {
    conn: Connection<S>,
    /// A frame (or read outcome) read while a command was running (see `stream`).
    prefetched: Option<Result<Option<Frame>, ReadError>>,
    peer: SocketAddr,
    ferry: Ferry,
    limits: Arc<Limits>,
    shutdown: CancellationToken,
    /// The error code of the last answer sent, for the operation's access line.
    last_code: Option<String>,
    /// The request being answered, for the door's metrics.
    meter: meter::Meter,
}

impl<S: Io> Handler<S> {
    async fn run(&mut self, pre_auth: PreAuth) -> (Option<String>, End) {
        let deadline = self.limits.login_timeout;
        // Boxed for the same reason as each request in `serve`: the login's state is not
        // kept in every logged-in connection's allocation.
        let login = Box::pin(self.handshake());
        let session = match tokio::time::timeout(deadline, login).await {
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
        tracing::Span::current().record("user", session.user().as_str());
        let user = session.user().to_string();
        let end = self.serve(session).await;
        (Some(user), end)
    }

    /// Reads one frame, mapping deadlines, framing errors and shutdown to an end.
    async fn next(&mut self) -> Result<Frame, End> {
        match self.next_incoming(|_, _| ReadAs::default()).await? {
            Incoming::Frame(frame, _) => Ok(frame),
            Incoming::Streamed { .. } => Err(End::Broken("streamed frame unasked".into())),
        }
    }

    /// Reads one frame, or only the header of one whose payload `stream` says to stream.
    async fn next_incoming(
        &mut self,
        classify: impl Fn(&ferry_proto::Header, usize) -> ReadAs,
    ) -> Result<Incoming, End> {
        // Waiting for the next frame: the request before it is answered.
        self.meter.end();
        let incoming = self.read_incoming(classify).await;
        match &incoming {
            Ok(Incoming::Frame(frame, _)) => self.meter.begin(&frame.header),
            Ok(Incoming::Streamed { header, .. }) => self.meter.begin(header),
            Err(_) => {}
        }
        incoming
    }

    async fn read_incoming(
        &mut self,
        classify: impl Fn(&ferry_proto::Header, usize) -> ReadAs,
    ) -> Result<Incoming, End> {
        if let Some(read) = self.prefetched.take() {
            return self.settle(read).await.map(|f| Incoming::Frame(f, None));
        }
        let idle = self.limits.idle_timeout;
        let read = tokio::select! {
            _ = self.shutdown.cancelled() => {
                let _ = self.conn.send(shutting_down()).await;
                return Err(End::Shutdown);
            }
            r = self.conn.read_incoming(idle, classify) => r,
        };
        match read {
            Ok(Some(incoming)) => Ok(incoming),
            Ok(None) => self
                .settle(Ok(None))
                .await
                .map(|f| Incoming::Frame(f, None)),
            Err(e) => self.settle(Err(e)).await.map(|f| Incoming::Frame(f, None)),
        }
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
        self.note_code(&frame);
        self.meter.sent(&frame);
        self.conn
            .send(frame)
            .await
            .map_err(|e| End::Broken(format!("send: {e}")))
    }

    /// Sends the one answer to a request. It is flushed at once: a pipelining client refills
    /// its window as acks arrive.
    async fn answer(&mut self, frame: Frame) -> Result<(), End> {
        self.note_code(&frame);
        self.meter.sent(&frame);
        self.conn
            .send(frame)
            .await
            .map_err(|_| End::Broken("send".into()))
    }

    /// Remembers an error answer's code for the access line.
    fn note_code(&mut self, frame: &Frame) {
        if let Some(code) = frame.header.get("code").and_then(|c| c.as_str()) {
            self.last_code = Some(code.to_string());
        }
    }

    /// The request loop of a logged-in session.
    ///
    /// Waiting for the next frame happens here, inline; answering it is boxed. A task is
    /// allocated at the size of its future's largest state, so with the commands inline every
    /// idle connection would hold room for the biggest of them (an exec or a download); this
    /// way an idle one holds only the read, and each request allocates what it needs.
    async fn serve(&mut self, mut session: Session) -> End {
        loop {
            // A tag (an upload chunk counted as being written) lives until the answer.
            let from = self.limits.stream_chunks_from;
            let classify =
                move |h: &ferry_proto::Header, len| streamed_upload::classify(h, len, from);
            let incoming = self.next_incoming(classify).await;
            let started = Instant::now();
            self.last_code = None;
            let (step, op, bytes_in) = match incoming {
                Ok(Incoming::Frame(frame, _tag)) => {
                    let (op, len) = (access::op_name(&frame.header), frame.payload.len());
                    (Box::pin(self.step(&mut session, frame)).await, op, len)
                }
                Ok(Incoming::Streamed {
                    header,
                    len,
                    deadline,
                    tag: _tag,
                }) => {
                    let op = access::op_name(&header);
                    let upload = self.streamed_upload(&mut session, header, len, deadline);
                    (Box::pin(upload).await, op, len)
                }
                Err(end) => return end,
            };
            let code = self.last_code.take();
            access::line(&op, code.as_deref(), step.as_ref().err(), bytes_in, started);
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// Answers one request completely.
    async fn step(&mut self, session: &mut Session, frame: Frame) -> Result<(), End> {
        let request = match Request::from_header(&frame.header) {
            Ok(request) => request,
            Err(e) => {
                return self
                    .answer(reply::error_code(e.code(), &e.to_string()))
                    .await;
            }
        };
        match request {
            Request::Bye => {
                let _ = self.send(reply::ok_empty()).await;
                Err(End::Bye)
            }
            Request::Exec {
                id,
                argv,
                command,
                timeout_secs,
            } => {
                if !frame.payload.is_empty() {
                    let e = cmd::no_payload(ferry_proto::Op::Exec);
                    return self.send(reply::error(&e)).await;
                }
                let args = cmd::exec::ExecArgs {
                    id,
                    argv,
                    command,
                    timeout_secs,
                };
                self.exec(session, args).await
            }
            Request::Get { path, offset } => self.download(session, &path, offset).await,
            Request::Passwd {
                current_password,
                new_password,
            } => {
                let source = self.peer.ip();
                let answer =
                    cmd::account::passwd(session, source, &current_password, &new_password).await;
                self.answer(answer).await
            }
            request => {
                let answer = cmd::dispatch(session, request, frame.payload).await;
                self.answer(answer).await
            }
        }
    }
}

/// What a connection is told when the server stops.
fn shutting_down() -> Frame {
    reply::error_code("shutting_down", "the server is shutting down")
}
