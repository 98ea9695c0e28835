//! A batch's bars: one for the whole batch (bytes, rate, ETA, files done) and one per file
//! in flight, drawn on stderr only when stdout is a terminal and the output is not JSON.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use ferry_client::Progress;

const OVERALL: &str =
    "{bytes:>10}/{total_bytes:<10} [{wide_bar}] {binary_bytes_per_sec:>12} eta {eta:>3}  {msg}";
const FILE: &str = "  {bytes:>10}/{total_bytes:<10} {percent:>3}%  {wide_msg}";

/// The overall bar, and the container the per-file bars join.
#[derive(Debug)]
pub struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    files: u64,
}

impl Bars {
    /// Bars for `files` files of `bytes` in all, in `multi` (made visible here on a TTY).
    pub fn new(multi: &MultiProgress, json: bool, files: u64, bytes: u64) -> Bars {
        if std::io::stdout().is_terminal() && !json {
            multi.set_draw_target(ProgressDrawTarget::stderr());
        }
        let overall = multi.add(ProgressBar::new(bytes));
        if let Ok(style) = ProgressStyle::with_template(OVERALL) {
            overall.set_style(style.progress_chars("=> "));
        }
        let bars = Bars {
            multi: multi.clone(),
            overall,
            files,
        };
        bars.files_done(0);
        bars
    }

    /// A bar for one worker's current file.
    pub fn worker(&self) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new(0));
        if let Ok(style) = ProgressStyle::with_template(FILE) {
            bar.set_style(style);
        }
        bar
    }

    /// Shows how many files are finished.
    pub fn files_done(&self, done: u64) {
        self.overall
            .set_message(format!("{done}/{} files", self.files));
    }

    /// Takes a failed file's bytes out of the total.
    pub fn drop_file(&self, size: u64, counted: u64) {
        self.overall
            .set_length(self.overall.length().unwrap_or(0).saturating_sub(size));
        self.overall
            .set_position(self.overall.position().saturating_sub(counted));
    }

    /// Removes every bar.
    pub fn finish(&self) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }

    /// The [`Progress`] of one file on `bar`, feeding the overall bar as it goes.
    pub fn file<'a>(&'a self, bar: &'a ProgressBar, name: String) -> FileProgress<'a> {
        bar.set_message(name);
        bar.set_length(0);
        bar.set_position(0);
        FileProgress {
            bar,
            overall: &self.overall,
            counted: 0,
        }
    }
}

/// One file's progress: its own bar, and its share of the overall one.
#[derive(Debug)]
pub struct FileProgress<'a> {
    bar: &'a ProgressBar,
    overall: &'a ProgressBar,
    /// What this file has added to the overall bar so far.
    pub counted: u64,
}

impl FileProgress<'_> {
    /// Moves this file's share of the overall bar to `done` (down too: a transfer that starts
    /// over gives its bytes back).
    pub fn count(&mut self, done: u64) {
        if done >= self.counted {
            self.overall.inc(done - self.counted);
        } else {
            let back = self.counted - done;
            self.overall
                .set_position(self.overall.position().saturating_sub(back));
        }
        self.counted = done;
    }
}

impl Progress for FileProgress<'_> {
    fn start(&mut self, total: u64, done: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        self.count(done);
    }

    fn advance(&mut self, done: u64) {
        self.bar.set_position(done);
        self.count(done);
    }

    fn note(&mut self, message: &str) {
        let name = self.bar.message();
        self.bar.suspend(|| eprintln!("{name}: {message}"));
    }
}
