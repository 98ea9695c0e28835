//! The Ferry client: an async library speaking the framed protocol of `docs/PROTOCOL.md`.
//!
//! - [`Client`] (here): one logged-in connection — `hello`, SCRAM login, one request at a time,
//!   error responses turned into [`ClientError::Server`]. It remembers how it logged in so that
//!   transfers can reconnect and resume after a dropped connection.
//! - `ops`: typed wrappers for the file operations (`ls` with paging, `stat`, `mkdir`, …).
//! - `upload`: [`Client::put`], resumable, with `upload_target` deciding where it lands and
//!   whether anything needs sending, `pipeline` keeping several writes in flight and
//!   `upload_md5` hashing the chunks as they go;
//!   `download`: [`Client::get`], resumable into a `.part` file (`part`) and MD5-verified;
//!   `retry`: reconnect-and-resume between attempts; `target`: where a transfer lands.
//! - `exec`: [`Client::exec`], a remote command whose output arrives as it is produced.
//! - `sibling`: [`Client::sibling`], one more connection like this one, for transfers in
//!   parallel; `not_ferry`: what answered when the peer does not speak the protocol.
//! - [`Connection`]: the framed TCP stream with timeouts; [`ClientError`]: codes like the
//!   server's; [`Progress`]: how transfers report what the server acknowledged.

mod connection;
mod download;
mod error;
mod exec;
mod hash;
mod hash_behind;
mod not_ferry;
mod ops;
mod part;
mod pipeline;
mod progress;
mod put_options;
mod put_whole;
mod rate;
mod retry;
mod sibling;
mod target;
#[cfg(test)]
mod tests;
mod tls;
mod upload;
mod upload_md5;
mod upload_target;
mod window;

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use ferry_core::HomePath;
use ferry_core::auth::scram::{SaltedKeys, ScramClient};
use ferry_proto::message::{
    AuthFinishReply, AuthStartReply, ErrorReply, HelloReply, MECHANISM, PROTOCOL_VERSION, Reply,
    Request, Response, Status,
};

pub use connection::Connection;
pub use download::{GetOptions, GetOutcome};
pub use error::ClientError;
pub use hash::file_md5;
pub use progress::{NoProgress, Progress};
pub use put_options::{PutOptions, PutOutcome};
pub use rate::RateLimit;
pub use target::{local_target, remote_target};
pub use tls::{TlsClient, parse_fingerprint};

/// The name this client gives in `hello`.
pub const CLIENT_NAME: &str = concat!("ferry-cli/", env!("CARGO_PKG_VERSION"));

/// A connection to a Ferry server, after `hello` and (once [`Client::login`] succeeds) logged in.
pub struct Client {
    conn: Connection,
    addr: String,
    /// How the connection (and every reconnect) is encrypted; `None` for plain TCP.
    tls: Option<TlsClient>,
    timeout: Duration,
    /// User name and password, kept so that [`Client::reconnect`] can log in again.
    credentials: Option<(String, String)>,
    cwd: HomePath,
    /// `--limit-rate`: paces file data in both directions.
    rate: Option<RateLimit>,
    /// The server answered `put` with `unknown_op`: small files go as resumable uploads.
    no_put: bool,
    /// The keys the last login derived from the password, for the next login as the same
    /// account (a sibling connection, a reconnect) to skip PBKDF2.
    keys: Option<SaltedKeys>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.addr)
            .field("user", &self.user())
            .field("cwd", &self.cwd)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Limits file data to `bytes_per_sec` in either direction (`None`: no limit).
    pub fn set_rate_limit(&mut self, bytes_per_sec: Option<u64>) {
        self.rate = bytes_per_sec.map(RateLimit::new);
    }

    /// Waits as long as the rate limit asks after `n` bytes of file data.
    pub(crate) async fn pace(&mut self, n: u64) {
        if let Some(rate) = self.rate.as_mut() {
            rate.pace(n).await;
        }
    }

    /// Connects to `addr` (`HOST:PORT`) and says `hello`. `timeout` bounds the connect and
    /// every later wait for the server.
    pub async fn connect(addr: &str, timeout: Duration) -> Result<Client, ClientError> {
        Client::connect_with(addr, None, timeout).await
    }

    /// [`Client::connect`], over TLS checked by `tls` when given (`hello` is then the first
    /// frame inside the TLS session).
    pub async fn connect_with(
        addr: &str,
        tls: Option<TlsClient>,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        let conn = Connection::open_with(addr, tls.as_ref(), timeout).await?;
        let mut client = Client {
            conn,
            addr: addr.to_string(),
            tls,
            timeout,
            credentials: None,
            cwd: HomePath::root(),
            rate: None,
            no_put: false,
            keys: None,
        };
        let hello = Request::Hello {
            version: PROTOCOL_VERSION,
            client: Some(CLIENT_NAME.to_string()),
        };
        let version = client.call::<HelloReply>(hello).await?.version;
        if version != PROTOCOL_VERSION {
            return Err(ClientError::protocol(format!(
                "the server answered hello with version {version}, not {PROTOCOL_VERSION}"
            )));
        }
        Ok(client)
    }

    /// Logs in with SCRAM-SHA-256 and checks that the server knows the password too.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), ClientError> {
        let (scram, client_first) = ScramClient::new(user, password, None)?;
        let start = Request::AuthStart {
            mechanism: MECHANISM.to_string(),
            message: client_first,
        };
        let server_first = self.call::<AuthStartReply>(start).await?.message;
        let mut keys = self.keys.take();
        let (scram, client_final) = scram.handle_server_first_cached(&server_first, &mut keys)?;
        self.keys = keys;
        let finish = Request::AuthFinish {
            message: client_final,
        };
        let done: AuthFinishReply = self.call(finish).await?;
        scram.verify_server_final(&done.message)?;
        self.cwd = done.cwd;
        self.credentials = Some((user.to_string(), password.to_string()));
        Ok(())
    }

    /// Opens a fresh connection with the same address and credentials and goes back to the
    /// current folder. Used after the connection dropped.
    pub async fn reconnect(&mut self) -> Result<(), ClientError> {
        let mut fresh = Client::connect_with(&self.addr, self.tls.clone(), self.timeout).await?;
        fresh.keys = self.keys.clone();
        if let Some((user, password)) = &self.credentials {
            fresh.login(user, password).await?;
        }
        let cwd = std::mem::take(&mut self.cwd);
        *self = fresh;
        if !cwd.is_root() {
            // The folder may have gone meanwhile; the home is then the honest place to be.
            if let Err(e) = self.cd(&cwd.to_string()).await {
                tracing::debug!("could not return to {cwd} after reconnecting: {e}");
            }
        }
        Ok(())
    }

    /// Reconnects if the server has closed the connection while it sat idle (the server's
    /// idle timeout, a restart); returns whether it did. Call only with no request pending.
    pub async fn ensure_open(&mut self) -> Result<bool, ClientError> {
        if !self.conn.is_closed() {
            return Ok(false);
        }
        self.reconnect().await?;
        Ok(true)
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        self.credentials.as_ref().map(|(user, _)| user.as_str())
    }

    /// The session's current folder, as last reported by the server.
    pub fn cwd(&self) -> &HomePath {
        &self.cwd
    }

    /// Resolves `input` against the current folder the way the server will.
    pub fn resolve(&self, input: &str) -> Result<HomePath, ClientError> {
        Ok(HomePath::resolve(&self.cwd, input)?)
    }

    /// Sends one request and returns its `ok` response; an `error` response becomes
    /// [`ClientError::Server`].
    pub async fn request(&mut self, request: Request) -> Result<Response, ClientError> {
        let wait = self.timeout;
        self.request_within(request, wait).await
    }

    /// [`Client::request`] with a longer wait, for operations the server may take a while over
    /// (finishing or reading a big file means hashing it).
    pub async fn request_within(
        &mut self,
        request: Request,
        wait: Duration,
    ) -> Result<Response, ClientError> {
        self.conn.send(request.into_frame(Bytes::new())).await?;
        let (response, _) = self.conn.recv_within(wait).await?;
        expect_ok(response)
    }

    /// Sends one request and returns its `ok` reply as the type `R`.
    pub(crate) async fn call<R: Reply>(&mut self, request: Request) -> Result<R, ClientError> {
        let wait = self.timeout;
        self.call_within(request, wait).await
    }

    /// [`Client::call`] with a longer wait (see [`Client::request_within`]).
    pub(crate) async fn call_within<R: Reply>(
        &mut self,
        request: Request,
        wait: Duration,
    ) -> Result<R, ClientError> {
        reply(self.request_within(request, wait).await?)
    }

    /// Says `bye` and closes the connection. Failures do not matter any more at this point.
    pub async fn close(mut self) {
        let _ = self.request(Request::Bye).await;
    }

    /// The framed connection, for exchanges that are not one request, one response.
    pub(crate) fn conn(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// How long to wait for an operation that reads or hashes `bytes` on the server.
    pub(crate) fn wait_for_bytes(&self, bytes: u64) -> Duration {
        // Allow the server 50 MiB/s of hashing on top of the normal timeout.
        self.timeout + Duration::from_secs(bytes / (50 << 20))
    }

    pub(crate) fn set_cwd(&mut self, cwd: HomePath) {
        self.cwd = cwd;
    }
}

/// Turns an `error` response into [`ClientError::Server`] and refuses download frames where a
/// plain answer was due.
pub(crate) fn expect_ok(response: Response) -> Result<Response, ClientError> {
    match response.status {
        Status::Ok => Ok(response),
        Status::Error => Err(server_error(response)),
        other => Err(ClientError::protocol(format!(
            "expected an ok or error response, got {other:?}"
        ))),
    }
}

/// The reply of type `R` a response holds. An `error` response becomes
/// [`ClientError::Server`]; any other kind of frame than `R`'s, or fields that do not fit `R`,
/// is a protocol error.
pub(crate) fn reply<R: Reply>(response: Response) -> Result<R, ClientError> {
    if response.status == Status::Error && R::STATUS != Status::Error {
        return Err(server_error(response));
    }
    response
        .reply()
        .map_err(|e| ClientError::protocol(format!("unexpected response: {e}")))
}

/// The [`ClientError::Server`] an `error` response stands for.
pub(crate) fn server_error(response: Response) -> ClientError {
    match response.error_reply() {
        Ok(ErrorReply {
            code,
            message,
            details,
        }) => ClientError::Server {
            code,
            message,
            fields: details,
        },
        Err(e) => ClientError::protocol(format!("a malformed error response: {e}")),
    }
}
