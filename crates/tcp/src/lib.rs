//! Ferry's framed TCP door: frames in, calls on `ferry_core`'s service, frames out.
//!
//! - [`server`]: the listener — connection limits, deadlines, graceful shutdown.
//! - [`connection`]: one socket as a stream of frames, with idle and per-frame deadlines.
//! - [`handler`]: the per-connection protocol (hello, SCRAM login, requests) translated to
//!   calls on `ferry_core`'s service; [`reply`] is the one place core errors become frames.

pub mod connection;
pub mod handler;
pub mod reply;
pub mod server;

pub use server::{Limits, bind, run};
