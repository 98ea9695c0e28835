//! The core service against a real temp dir: confinement, quota, upload lifecycle, one writer,
//! crash recovery, expiry.

#[path = "../support/mod.rs"]
mod support;

mod confinement;
mod files;
mod recovery;
mod takeover;
mod uploads;
