//! The HTTP door's tests: the router called in-process with `oneshot` over a core in a temp
//! folder (auth, the download cookie, uploads, downloads, the namespace, search by name, who-am-I, the web
//! page, CORS), and the listener on real sockets (slow and oversized clients, shutdown, the
//! IETF resumable-upload draft, newer request wins).

mod admin;
mod auth;
mod conditions;
mod cookie;
mod cors;
mod downloads;
mod exec;
mod files;
mod inputs;
mod last_byte;
mod live;
mod logs;
mod me;
mod newer_wins;
mod oracle;
mod password;
mod record_reads;
mod resumable;
mod search;
mod shares;
mod sockets;
mod stranded;
mod support;
mod tus;
mod tus_defer;
mod upload_size;
mod uploads;
mod web;
mod zips;
