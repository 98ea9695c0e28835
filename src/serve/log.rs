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
    /// Installs the global subscriber; a second call (tests) keeps the first.
    pub fn init(&self) {
        init(self.log_format, self.no_access_log, "info");
    }
}

/// Logging for the `ferry user` commands: warnings, and the audit line of each change.
pub fn init_for_admin() {
    init(LogFormat::Text, true, "warn,ferry::audit=info");
}

fn init(format: LogFormat, no_access_log: bool, default: &str) {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    if no_access_log && let Ok(off) = format!("{}=off", ferry_http::access::TARGET).parse() {
        filter = filter.add_directive(off);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
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
