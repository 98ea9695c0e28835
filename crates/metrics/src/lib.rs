//! Ferry's metrics: every name in one place, and the switch that says whether anything is
//! recorded.
//!
//! The crates count through the [`metrics`] facade where each event happens, once: the
//! listener counts connections and bytes, each door its requests, the core logins, uploads and
//! refusals, the exec runner its commands. The binary installs a recorder (the Prometheus text
//! exporter) only when `ferry serve --metrics ADDR` is given.
//!
//! Without a recorder every `metrics` macro is a no-op, but one with labels computed at run
//! time still builds its key (a small `Vec`) before finding that out. Per-request call sites
//! therefore ask [`enabled`] first, which is one relaxed atomic load.
//!
//! - [`catalog`]: each metric's name, kind, labels and help text ([`catalog::ALL`]), what
//!   [`describe`] hands the recorder and what the README's table lists.

pub mod catalog;

use std::sync::atomic::{AtomicBool, Ordering};

pub use catalog::{Kind, Metric};
/// The facade, re-exported so every counting crate uses the same version.
pub use metrics;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Says that a recorder is installed: call sites on hot paths count from now on. Called once,
/// by the binary, right after installing its recorder and before any door starts.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Whether a recorder is installed (see [`enable`]).
#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Gives the installed recorder the help text of every metric in [`catalog::ALL`].
pub fn describe() {
    for m in catalog::ALL {
        match m.kind {
            Kind::Counter => metrics::describe_counter!(m.name, m.help),
            Kind::Gauge => metrics::describe_gauge!(m.name, m.help),
            Kind::Histogram => metrics::describe_histogram!(m.name, m.help),
        }
    }
}
