//! Ferry's framed TCP door: frames in, calls on `ferry_core`'s service, frames out.
//!
//! - [`server`]: the TCP listener on top of `ferry_net`: the not-yet-logged-in pool.
//! - [`limits`]: every bound on the door.
//! - [`connection`]: one socket as a stream of frames, with idle and per-frame deadlines.
//! - [`payload`]: a frame's payload read straight from the socket (upload chunks, streamed).
//! - [`handler`]: the session loop of one connection — hello, SCRAM login, then requests in
//!   order, and the connection's log line.
//! - [`cmd`]: one small file per operation family, each turning a typed request into one call
//!   on `ferry_core::Session` and its result into a typed reply.
//! - [`reply`]: the one place core results and errors become frames.

pub mod cmd;
pub mod connection;
pub mod handler;
pub mod limits;
pub mod payload;
pub mod reply;
pub mod server;

pub use ferry_net::Tls;
pub use server::{Limits, bind, run, run_with_tls};
