//! Every metric Ferry records: its name, kind, labels and help text.
//!
//! Names carry the `ferry_` prefix and their unit (`_total`, `_bytes`, `_seconds`). Every
//! label value comes from a bounded set the server itself defines (a door, an operation name,
//! a route template, a stable error code), never from what a client sent.

/// What kind of value a metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up.
    Counter,
    /// Goes up and down.
    Gauge,
    /// Observations in buckets (Prometheus `_bucket`, `_sum`, `_count`).
    Histogram,
}

/// One metric's entry in the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// The exported name.
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: Kind,
    /// Its labels, as a reader sees them (`door, op, code`).
    pub labels: &'static str,
    /// The help text exported with it.
    pub help: &'static str,
}

/// Connections the listener handed to a door.
pub const CONNECTIONS_ACCEPTED: &str = "ferry_connections_accepted_total";
/// Connections closed at accept, by reason.
pub const CONNECTIONS_REFUSED: &str = "ferry_connections_refused_total";
/// Connections open now.
pub const CONNECTIONS_OPEN: &str = "ferry_connections_open";
/// Bytes read from accepted connections.
pub const RECEIVED_BYTES: &str = "ferry_received_bytes_total";
/// Bytes written to accepted connections.
pub const SENT_BYTES: &str = "ferry_sent_bytes_total";
/// Requests answered, by door, operation and code.
pub const REQUESTS: &str = "ferry_requests_total";
/// Time to answer a request.
pub const REQUEST_DURATION: &str = "ferry_request_duration_seconds";
/// Credential checks, by method and result.
pub const LOGINS: &str = "ferry_logins_total";
/// Uploads created.
pub const UPLOADS_CREATED: &str = "ferry_uploads_created_total";
/// Uploads committed into files.
pub const UPLOADS_COMMITTED: &str = "ferry_uploads_committed_total";
/// Uploads that ended without a file, by code.
pub const UPLOADS_FAILED: &str = "ferry_uploads_failed_total";
/// Uploads created and not ended yet.
pub const UPLOADS_IN_FLIGHT: &str = "ferry_uploads_in_flight";
/// Quota reserved by the uploads in flight.
pub const UPLOAD_RESERVED_BYTES: &str = "ferry_upload_reserved_bytes";
/// Bytes accepted into uploads.
pub const UPLOAD_RECEIVED_BYTES: &str = "ferry_upload_received_bytes_total";
/// Sizes of the files uploads committed.
pub const UPLOAD_COMMITTED_BYTES: &str = "ferry_upload_committed_bytes_total";
/// Commands, by result.
pub const EXEC_RUNS: &str = "ferry_exec_runs_total";
/// Commands' run time.
pub const EXEC_DURATION: &str = "ferry_exec_duration_seconds";
/// Requests refused by a limit, by limit.
pub const LIMIT_REFUSALS: &str = "ferry_limit_refusals_total";

/// Every metric, in the order the README lists them.
pub const ALL: &[Metric] = &[
    Metric {
        name: CONNECTIONS_ACCEPTED,
        kind: Kind::Counter,
        labels: "door",
        help: "Connections the listener accepted and handed to the door.",
    },
    Metric {
        name: CONNECTIONS_REFUSED,
        kind: Kind::Counter,
        labels: "door, reason",
        help: "Connections closed at accept: per_source (--max-connections-per-source), \
               startups (--max-startups-per-source, --max-startups), unauthenticated \
               (the TCP door's --max-unauthenticated, counted in accepted too).",
    },
    Metric {
        name: CONNECTIONS_OPEN,
        kind: Kind::Gauge,
        labels: "door",
        help: "Connections open now.",
    },
    Metric {
        name: RECEIVED_BYTES,
        kind: Kind::Counter,
        labels: "door",
        help: "Bytes read from accepted connections (TLS records included when TLS is on).",
    },
    Metric {
        name: SENT_BYTES,
        kind: Kind::Counter,
        labels: "door",
        help: "Bytes written to accepted connections (TLS records included when TLS is on).",
    },
    Metric {
        name: REQUESTS,
        kind: Kind::Counter,
        labels: "door, op, code (http also method)",
        help: "Requests answered. op: the TCP operation, or the HTTP route template; code: ok \
               or the stable error code of the answer.",
    },
    Metric {
        name: REQUEST_DURATION,
        kind: Kind::Histogram,
        labels: "door, op (http also method)",
        help: "Seconds from a request to its answer: to the last frame on TCP, to the \
               response head on HTTP.",
    },
    Metric {
        name: LOGINS,
        kind: Kind::Counter,
        labels: "method, result",
        help: "Credential checks: scram (TCP login), password (HTTP Basic, POST /api/v1/login), \
               token (a bearer token); result ok or the error code.",
    },
    Metric {
        name: UPLOADS_CREATED,
        kind: Kind::Counter,
        labels: "",
        help: "Uploads created (resumable, tus, or a whole-file PUT).",
    },
    Metric {
        name: UPLOADS_COMMITTED,
        kind: Kind::Counter,
        labels: "",
        help: "Uploads committed into files.",
    },
    Metric {
        name: UPLOADS_FAILED,
        kind: Kind::Counter,
        labels: "code",
        help: "Uploads that ended without a file: checksum_mismatch, cancelled, expired, \
               abandoned (a whole-file PUT whose client went away), or a failed PUT's code.",
    },
    Metric {
        name: UPLOADS_IN_FLIGHT,
        kind: Kind::Gauge,
        labels: "",
        help: "Uploads created and not ended yet (those of earlier runs included).",
    },
    Metric {
        name: UPLOAD_RESERVED_BYTES,
        kind: Kind::Gauge,
        labels: "",
        help: "Quota reserved by the uploads in flight: the sum of their declared sizes.",
    },
    Metric {
        name: UPLOAD_RECEIVED_BYTES,
        kind: Kind::Counter,
        labels: "",
        help: "Bytes accepted into uploads, by every door (a chunk rolled back is not counted).",
    },
    Metric {
        name: UPLOAD_COMMITTED_BYTES,
        kind: Kind::Counter,
        labels: "",
        help: "Sizes of the files uploads committed.",
    },
    Metric {
        name: EXEC_RUNS,
        kind: Kind::Counter,
        labels: "result",
        help: "Commands: ok (exit 0), failed (other exit status), killed (signal), timed_out; \
               or refused before starting with its code (exec_denied, exec_not_found, …).",
    },
    Metric {
        name: EXEC_DURATION,
        kind: Kind::Histogram,
        labels: "",
        help: "Seconds commands ran, from start to exit.",
    },
    Metric {
        name: LIMIT_REFUSALS,
        kind: Kind::Counter,
        labels: "limit",
        help: "Requests refused by a limit: login_throttle, quota, max_upload_size, \
               max_uploads_per_user, exec_max_per_user.",
    },
];

/// Bucket bounds, in seconds, of [`REQUEST_DURATION`]: from a cached 4 KiB read to a long
/// transfer.
pub const REQUEST_SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];

/// Bucket bounds, in seconds, of [`EXEC_DURATION`]: up to the longest `--exec-max-timeout`
/// default.
pub const EXEC_SECONDS_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_prefixed_unique_and_say_their_unit() {
        let mut seen = std::collections::HashSet::new();
        for m in ALL {
            assert!(m.name.starts_with("ferry_"), "{}", m.name);
            assert!(seen.insert(m.name), "{} twice", m.name);
            match m.kind {
                Kind::Counter => assert!(m.name.ends_with("_total"), "{}", m.name),
                Kind::Histogram => assert!(m.name.ends_with("_seconds"), "{}", m.name),
                Kind::Gauge => assert!(!m.name.ends_with("_total"), "{}", m.name),
            }
        }
    }

    #[test]
    fn the_readme_lists_every_metric() {
        let readme = include_str!("../../../README.md");
        for m in ALL {
            assert!(
                readme.contains(&format!("`{}`", m.name)),
                "README.md does not list {}",
                m.name
            );
        }
    }
}
