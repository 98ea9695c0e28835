//! End-to-end tests: the real `ferry` binary over real sockets and files.

mod accounts;
mod admin;
mod batch;
mod caches;
mod cli;
mod disconnects;
mod disk_full;
mod exec_doors;
mod exec_sandbox;
mod hostile;
mod http_client;
mod http_parity;
mod lifecycle;
mod not_ferry;
mod operating;
mod parents;
mod s3_store;
mod several_nodes;
mod shares;
mod startups;
mod streamed_chunks;
mod support;
mod throttle;
mod tls;
mod transfers;
mod whole_put;
