//! What a batch tells its user: one line per file as it ends (the same line a single `put` or
//! `get` prints), warnings for what it skips, `error[CODE]` lines for what fails, and a summary;
//! or, with `--json`, one JSON object per line for each of those.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressDrawTarget};
use serde_json::{Value, json};

use super::super::progress::transfer_stats;
use super::super::render_error;
use super::super::size::format_size;
use ferry_client::ClientError;

/// One file moved (or found already there).
#[derive(Debug)]
pub struct Done {
    /// Where from and where to, as shown.
    pub from: String,
    pub to: String,
    pub size: u64,
    /// Bytes this run moved (less than `size` after resuming; 0 when up to date).
    pub moved: u64,
    pub md5: String,
    pub up_to_date: bool,
    pub took: Duration,
}

/// Counts and output of one batch.
#[derive(Debug)]
pub struct Report {
    op: &'static str,
    json: bool,
    /// The bars' home: lines are printed around them, never through them.
    multi: MultiProgress,
    files: u64,
    bytes: u64,
    moved: u64,
    up_to_date: u64,
    skipped: u64,
    failed: u64,
}

impl Report {
    /// A report for `op` (`put` or `get`), in JSON lines when `json`.
    pub fn new(op: &'static str, json: bool) -> Report {
        Report {
            op,
            json,
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            files: 0,
            bytes: 0,
            moved: 0,
            up_to_date: 0,
            skipped: 0,
            failed: 0,
        }
    }

    /// Whether output is JSON lines (bars stay hidden then).
    pub fn json(&self) -> bool {
        self.json
    }

    /// The bars' container.
    pub fn multi(&self) -> &MultiProgress {
        &self.multi
    }

    /// Counts a file that arrived, and prints its line.
    pub fn done(&mut self, d: &Done) {
        self.files += 1;
        self.bytes += d.size;
        self.moved += d.moved;
        self.up_to_date += u64::from(d.up_to_date);
        let line = if self.json {
            json!({
                "op": self.op, "status": if d.up_to_date { "up_to_date" } else { "ok" },
                "from": d.from, "to": d.to, "size": d.size, "moved": d.moved, "md5": d.md5,
            })
            .to_string()
        } else {
            let what = if d.up_to_date {
                format!("already up to date ({})", format_size(d.size))
            } else {
                transfer_stats(d.size, d.moved, d.took)
            };
            format!("{} {} -> {}: {what}, md5 {}", self.op, d.from, d.to, d.md5)
        };
        self.multi.suspend(|| println!("{line}"));
    }

    /// Counts a source left alone on purpose (a special file, a link out of the tree).
    pub fn skipped(&mut self, what: &str, why: &str) {
        self.skipped += 1;
        if self.json {
            let line = json!({"op": self.op, "status": "skipped", "from": what, "reason": why});
            self.multi.suspend(|| println!("{line}"));
        } else {
            self.multi
                .suspend(|| eprintln!("warning: skipped {what}: {why}"));
        }
    }

    /// Counts a file that could not be moved.
    pub fn failed(&mut self, what: &str, e: &ClientError) {
        self.failed += 1;
        if self.json {
            let line = json!({
                "op": self.op, "status": "failed", "from": what,
                "code": e.code(), "message": render_error(e),
            });
            self.multi.suspend(|| println!("{line}"));
        } else {
            let text = render_error(e).replacen("]: ", &format!("]: {what}: "), 1);
            self.multi.suspend(|| eprintln!("{text}"));
        }
    }

    /// How many sources were skipped so far.
    #[cfg(test)]
    pub fn skipped_count(&self) -> u64 {
        self.skipped
    }

    /// Prints the summary; a batch in which anything failed is an error (exit status 1).
    pub fn finish(self, took: Duration) -> Result<(), ClientError> {
        let secs = took.as_secs_f64();
        if self.json {
            let summary: Value = json!({"summary": {
                "op": self.op, "files": self.files, "bytes": self.bytes, "moved": self.moved,
                "up_to_date": self.up_to_date, "skipped": self.skipped, "failed": self.failed,
                "seconds": (secs * 1000.0).round() / 1000.0,
            }});
            println!("{summary}");
        } else {
            println!(
                "{}: {} files, {} in {secs:.1} s ({}/s); {} up to date, {} skipped, {} failed",
                self.op,
                self.files,
                format_size(self.bytes),
                format_size(if secs > 0.0 {
                    (self.moved as f64 / secs) as u64
                } else {
                    0
                }),
                self.up_to_date,
                self.skipped,
                self.failed,
            );
        }
        if self.failed == 0 {
            return Ok(());
        }
        Err(ClientError::Refused {
            code: "transfer_failed",
            message: format!(
                "{} of {} files failed",
                self.failed,
                self.failed + self.files
            ),
        })
    }
}
