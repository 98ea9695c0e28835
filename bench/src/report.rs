//! The figures of one run: rows with their reference and target, printed as a table and
//! written as JSON rows `{name, value, unit, reference, ratio, target, met}`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::server::Usage;

/// Reference row names.
pub const REF_MD5: &str = "ref: MD5 in-process, one core";
/// Context only: the `md-5` crate's MD5, which Ferry's own compression replaced.
pub const REF_MD5_CRATE: &str = "ref: MD5 in-process, one core, md-5 crate";
pub const REF_TCP: &str = "ref: loopback TCP, tokio copy";
pub const REF_DISK: &str = "ref: page-cache write";
pub const REF_DURABLE: &str = "ref: file write + fdatasync";

const MIB: f64 = (1u64 << 20) as f64;
const GIB: f64 = (1u64 << 30) as f64;

/// One figure. `target` is in the figure's own terms: a ratio for rows with a reference, an
/// absolute value otherwise; whether it is a floor or a ceiling depends on the unit (see
/// [`lower_is_better`]).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub reference: Option<String>,
    pub ratio: Option<f64>,
    pub target: Option<f64>,
    pub met: Option<bool>,
}

/// Times and sizes are ceilings; rates are floors.
pub fn lower_is_better(unit: &str) -> bool {
    matches!(unit, "µs" | "ms" | "s" | "MiB" | "s/GiB")
}

/// All rows of a run, in order.
#[derive(Debug, Default)]
pub struct Report {
    rows: Vec<Row>,
    refs: HashMap<String, f64>,
    /// Timing is not judged (smoke run): `met` stays null.
    smoke: bool,
}

impl Report {
    /// An empty report; with `smoke`, targets are shown but not judged.
    pub fn new(smoke: bool) -> Report {
        Report {
            smoke,
            ..Report::default()
        }
    }

    /// A reference figure, which later rows divide by.
    pub fn reference(&mut self, name: &str, value: f64, unit: &str) {
        self.refs.insert(name.to_string(), value);
        self.plain(name, value, unit);
    }

    /// Makes the last row named `name` a reference that later rows divide by.
    pub fn also_reference(&mut self, name: &str) {
        if let Some(row) = self.rows.iter().rev().find(|r| r.name == name) {
            self.refs.insert(name.to_string(), row.value);
        }
    }

    /// Whether a row named `name` was measured in this run.
    pub fn has(&self, name: &str) -> bool {
        self.rows.iter().any(|r| r.name == name)
    }

    /// A figure without a target.
    pub fn plain(&mut self, name: &str, value: f64, unit: &str) {
        self.push(name, value, unit, None, None);
    }

    /// A figure with an absolute target.
    pub fn absolute(&mut self, name: &str, value: f64, unit: &str, target: f64) {
        self.push(name, value, unit, None, Some(target));
    }

    /// A figure judged by its ratio to the reference row `reference`.
    pub fn ratio(&mut self, name: &str, value: f64, unit: &str, reference: &str, target: f64) {
        self.push(name, value, unit, Some(reference), Some(target));
    }

    /// A transfer of `bytes` in MB/s against `reference`, with the server's resource use for
    /// the same run: the pair of rows every transfer benchmark reports.
    pub fn transfer(
        &mut self,
        name: &str,
        bytes: u64,
        usage: &Usage,
        reference: &str,
        target: f64,
    ) {
        self.transfer_within(name, bytes, usage, reference, target, Some(16.0));
    }

    /// [`Report::transfer`] with another RSS-growth target (`None`: none).
    pub fn transfer_within(
        &mut self,
        name: &str,
        bytes: u64,
        usage: &Usage,
        reference: &str,
        target: f64,
        growth: Option<f64>,
    ) {
        let rate = crate::refs::mb_per_s(bytes, usage.secs);
        self.ratio(name, rate, "MB/s", reference, target);
        self.usage_within(name, usage, bytes, growth);
    }

    /// The server's resources over one transfer of `bytes`: peak RSS, RSS growth (at most
    /// 16 MiB), CPU-seconds per GiB.
    pub fn usage(&mut self, label: &str, usage: &Usage, bytes: u64) {
        self.usage_within(label, usage, bytes, Some(16.0));
    }

    /// [`Report::usage`] with another RSS-growth target (`None`: none).
    pub fn usage_within(&mut self, label: &str, usage: &Usage, bytes: u64, growth: Option<f64>) {
        self.plain(
            &format!("{label}: server peak RSS"),
            usage.peak_rss as f64 / MIB,
            "MiB",
        );
        self.push(
            &format!("{label}: server RSS growth"),
            usage.rss_growth as f64 / MIB,
            "MiB",
            None,
            growth,
        );
        self.plain(
            &format!("{label}: server CPU per GiB"),
            usage.cpu / (bytes as f64 / GIB),
            "s/GiB",
        );
    }

    fn push(
        &mut self,
        name: &str,
        value: f64,
        unit: &str,
        reference: Option<&str>,
        target: Option<f64>,
    ) {
        let ratio = reference
            .and_then(|r| self.refs.get(r))
            .filter(|r| **r > 0.0)
            .map(|r| value / r);
        let judged = if reference.is_some() {
            ratio
        } else {
            Some(value)
        };
        let met = match (target, judged) {
            (Some(t), Some(v)) if !self.smoke => Some(if lower_is_better(unit) {
                v <= t
            } else {
                v >= t
            }),
            _ => None,
        };
        let row = Row {
            name: name.to_string(),
            value,
            unit: unit.to_string(),
            reference: reference.map(str::to_string),
            ratio,
            target,
            met,
        };
        println!("  {}", line(&row));
        self.rows.push(row);
    }

    /// The whole table.
    pub fn print(&self) {
        println!();
        println!(
            "{:<62} {:>11} {:<8} {:<31} {:>7} {:>8} {:<4}",
            "name", "value", "unit", "reference", "ratio", "target", "met"
        );
        println!("{}", "-".repeat(137));
        for row in &self.rows {
            println!("{}", line(row));
        }
    }

    /// Writes the rows as a JSON array.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(&self.rows)?;
        std::fs::write(path, json + "\n")?;
        Ok(())
    }

    /// Rows with a target that was missed.
    pub fn missed(&self) -> usize {
        self.rows.iter().filter(|r| r.met == Some(false)).count()
    }
}

fn line(row: &Row) -> String {
    let num = |v: Option<f64>, digits: usize| match v {
        Some(v) => format!("{v:.digits$}"),
        None => "-".to_string(),
    };
    let target = row.target.map(|t| {
        let op = if lower_is_better(&row.unit) {
            "<="
        } else {
            ">="
        };
        let x = if row.reference.is_some() { "x" } else { "" };
        format!("{op}{t}{x}")
    });
    format!(
        "{:<62} {:>11} {:<8} {:<31} {:>7} {:>8} {:<4}",
        row.name,
        num(Some(row.value), if row.value >= 100.0 { 0 } else { 2 }),
        row.unit,
        row.reference.as_deref().unwrap_or("-"),
        num(row.ratio, 2),
        target.unwrap_or_else(|| "-".to_string()),
        match row.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        }
    )
}
