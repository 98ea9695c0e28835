//! End-to-end tests: the real `ferry` binary over real sockets and files.

mod hostile;
mod support;
mod transfers;
