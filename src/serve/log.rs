//! The server's log: where it goes, its format, and which lines it has.
//!
//! Every log line goes to stderr (the start-up banner alone is on stdout, where scripts read
//! the listen addresses). `text` is for people (colour only on a terminal and without
//! `NO_COLOR`); `json` is one object per line for collectors ([`json`]). `FERRY_LOG` is the
//! filter (`info` by default); access lines (`ferry::access`) can be turned off on their own,
//! audit lines (`ferry::audit`) cannot except through `FERRY_LOG`.

mod json;

use clap::{Args, ValueEnum};

pub use json::set_node;

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people: coloured on a terminal unless `NO_COLOR` is set, plain otherwise.
    Text,
    /// One JSON object per line: time, level, target, node, door, user, source, request_id,
    /// message and the event's own fields.
    Json,
}

/// Log options of `ferry serve`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log line format on stderr.
    #[arg(long, env = "FERRY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// No access line per HTTP request and per TCP operation (audit lines stay).
    #[arg(long)]
    no_access_log: bool,
}

impl LogArgs {
    /// Installs the global subscriber, writing through a background thread (see
    /// [`LogWriter`]); lines still queued are written when the returned guard drops. A second
    /// call (tests) keeps the first subscriber.
    #[must_use = "dropping the guard stops the log writer"]
    pub fn init(&self) -> LogWriter {
        // Lossless: when the queue is full a request waits rather than an audit line being
        // dropped.
        let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(false)
            .finish(std::io::BufWriter::new(std::io::stderr()));
        init(self.log_format, self.no_access_log, "info", writer);
        LogWriter { _worker: guard }
    }
}

/// The server's log writer: lines are formatted by the thread that logs them and written to
/// stderr by a thread of their own, in batches (the buffered stderr is flushed whenever the
/// queue runs empty, so a quiet server's lines still appear at once). With an access line per
/// request and one `write` per line on the request's own thread, 4 KiB GETs (`wrk -t2 -c64`)
/// ran at about 0.8x of their rate without access lines on this 2-core machine; batched here,
/// the two are within the run-to-run noise.
#[derive(Debug)]
pub struct LogWriter {
    _worker: tracing_appender::non_blocking::WorkerGuard,
}

/// Logging for the `ferry user` commands: warnings, and the audit line of each change, written
/// at once (a short-lived command's lines must not trail its output).
pub fn init_for_admin() {
    init(
        LogFormat::Text,
        true,
        "warn,ferry::audit=info",
        std::io::stderr,
    );
}

fn init<W>(format: LogFormat, no_access_log: bool, default: &str, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    if no_access_log && let Ok(off) = format!("{}=off", ferry_http::access::TARGET).parse() {
        filter = filter.add_directive(off);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(colour()).try_init(),
        LogFormat::Json => builder
            .fmt_fields(json::SpanFields)
            .event_format(json::JsonLines)
            .try_init(),
    };
}

/// Colour only for a person at a terminal: a log file or journald would otherwise keep the
/// escape codes. `NO_COLOR` (no-color.org) turns it off on a terminal too.
fn colour() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
