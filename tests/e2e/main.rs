//! End-to-end tests: the real `ferry` binary over real sockets and files.

mod admin;
mod cli;
mod disk_full;
mod hostile;
mod lifecycle;
mod support;
mod throttle;
mod transfers;
