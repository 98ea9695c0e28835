//! The HTTP door's tests: the router called in-process with `oneshot` over a core in a temp
//! folder (auth, uploads, downloads, the namespace), and the listener on real sockets (slow
//! and oversized clients, shutdown).

mod auth;
mod downloads;
mod exec;
mod files;
mod sockets;
mod support;
mod uploads;
