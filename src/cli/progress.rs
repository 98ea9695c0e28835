//! The transfer progress bar, and the summary line printed when a transfer ends.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::size::format_size;
use ferry_client::Progress;

const TEMPLATE: &str =
    "{bytes:>10}/{total_bytes:<10} [{wide_bar}] {binary_bytes_per_sec:>12} eta {eta:>3}";

/// An indicatif bar on stderr, drawn only when stdout is a terminal so that piped and scripted
/// runs print nothing but their summary lines. Notes always go to stderr.
#[derive(Debug)]
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A bar, hidden unless stdout is a terminal.
    pub fn new() -> Self {
        let bar = if std::io::stdout().is_terminal() {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        Bar { bar }
    }

    /// Removes the bar, leaving the terminal for the summary line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Progress for Bar {
    fn start(&mut self, total: u64, done: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        // Bytes that were already there must not count toward the rate.
        self.bar.reset_eta();
    }

    fn advance(&mut self, done: u64) {
        self.bar.set_position(done);
    }

    fn note(&mut self, message: &str) {
        self.bar.suspend(|| eprintln!("{message}"));
    }
}

/// `SIZE in T s (RATE/s)`, where the rate counts only the bytes moved in this run.
pub fn transfer_stats(size: u64, moved: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { moved as f64 / secs } else { 0.0 };
    let resumed = if moved < size {
        format!(" ({} this run)", format_size(moved))
    } else {
        String::new()
    };
    format!(
        "{}{resumed} in {secs:.1} s ({}/s)",
        format_size(size),
        format_size(rate as u64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_show_size_time_and_rate_of_this_run() {
        let s = transfer_stats(64 << 20, 64 << 20, Duration::from_millis(400));
        assert_eq!(s, "64.0 MiB in 0.4 s (160.0 MiB/s)");
        let s = transfer_stats(4 << 20, 1 << 20, Duration::from_secs(1));
        assert_eq!(s, "4.0 MiB (1.0 MiB this run) in 1.0 s (1.0 MiB/s)");
    }
}
