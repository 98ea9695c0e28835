//! The HTTP door's tests: the router called in-process with `oneshot` over a core in a temp
//! folder (auth, the download cookie, uploads, downloads, the namespace, who-am-I, the web
//! page, CORS), and the listener on real sockets (slow and oversized clients, shutdown).

mod admin;
mod auth;
mod cookie;
mod cors;
mod downloads;
mod exec;
mod files;
mod inputs;
mod logs;
mod me;
mod oracle;
mod password;
mod record_reads;
mod shares;
mod sockets;
mod stranded;
mod support;
mod tus;
mod upload_size;
mod uploads;
mod web;
