//! Command-line options, and the [`Plan`] of sizes and counts they add up to.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// `cargo run --release -p ferry-bench -- [--size SIZE] [--json FILE]`
#[derive(Debug, Parser)]
#[command(name = "ferry-bench", version, about)]
pub struct Args {
    /// Size of the big transfers: `1GiB`, `512MiB`, `64KiB` or plain bytes. The resume
    /// point is half of it. Default 1GiB (4MiB with --smoke).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<u64>,
    /// Also write the rows as a JSON array to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Tiny sizes and counts, for CI: every transfer is still verified, no timing is judged.
    #[arg(long)]
    pub smoke: bool,
    /// Run only these groups (comma-separated): raw, http, tus, resume, concurrency, idle, small,
    /// tree,
    /// wrk, rss, peers, durable, s3 (with --store s3). The references always run.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Also upload (raw door) a file of this size to show that server RSS stays flat, e.g.
    /// `8GiB`. Not part of the default run.
    #[arg(long, value_parser = parse_size)]
    pub rss_check: Option<u64>,
    /// Seconds per load-generator run (default 5, 1 with --smoke).
    #[arg(long)]
    pub wrk_secs: Option<f64>,
    /// `s3`: also run the `s3` group, Ferry nodes over a Garage cluster and PostgreSQL (the
    /// tests': `FERRY_TEST_S3_*` and `FERRY_TEST_PG_URL`, or started by the scripts in
    /// `tests/support/`). Not part of the default run.
    #[arg(long, value_enum)]
    pub store: Option<Store>,
}

/// Stores `--store` can add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Store {
    S3,
}

/// The groups `--only` accepts.
pub const GROUPS: &[&str] = &[
    "idle",
    "small",
    "wrk",
    "raw",
    "http",
    "tus",
    "tls",
    "resume",
    "concurrency",
    "rss",
    "peers",
    "durable",
    "tree",
    "s3",
];

/// What one run does: sizes and counts derived from the options.
#[derive(Debug, Clone)]
pub struct Plan {
    pub smoke: bool,
    /// Big transfers (raw, HTTP, resume).
    pub size: u64,
    /// Where the interrupted upload is cut: half of `size`.
    pub resume_at: u64,
    /// Concurrent uploaders, and bytes each.
    pub clients: usize,
    pub client_bytes: u64,
    pub idle: usize,
    /// Small uploads per run, and their size; also the entries of the listed folder.
    pub small_files: usize,
    pub small_bytes: u64,
    /// Small uploads in parallel: connections.
    pub parallel: usize,
    /// The big folder `ferry put -r` sends: files, and bytes each.
    pub tree_files: usize,
    pub tree_bytes: u64,
    pub wrk: Duration,
    pub rss_check: Option<u64>,
    /// `--store s3`: the `s3` group runs.
    pub s3: bool,
    only: Vec<String>,
}

impl Plan {
    pub fn new(args: &Args) -> anyhow::Result<Plan> {
        for group in &args.only {
            anyhow::ensure!(
                GROUPS.contains(&group.as_str()),
                "--only: unknown group {group:?} (known: {})",
                GROUPS.join(", ")
            );
        }
        let size = args
            .size
            .unwrap_or(if args.smoke { 4 << 20 } else { 1 << 30 });
        anyhow::ensure!(size >= 2 << 20, "--size must be at least 2MiB");
        let secs = args.wrk_secs.unwrap_or(if args.smoke { 1.0 } else { 5.0 });
        anyhow::ensure!(secs >= 1.0, "--wrk-secs must be at least 1");
        let mut only = args.only.clone();
        if args.rss_check.is_some() && !only.is_empty() && !only.iter().any(|g| g == "rss") {
            only.push("rss".to_string());
        }
        let s3 = args.store == Some(Store::S3);
        if s3 && !only.is_empty() && !only.iter().any(|g| g == "s3") {
            only.push("s3".to_string());
        }
        anyhow::ensure!(
            s3 || !only.iter().any(|g| g == "s3"),
            "--only s3 needs --store s3"
        );
        Ok(Plan {
            smoke: args.smoke,
            size,
            resume_at: size / 2,
            clients: if args.smoke { 8 } else { 64 },
            client_bytes: if args.smoke { 256 << 10 } else { 16 << 20 },
            idle: if args.smoke { 20 } else { 1000 },
            small_files: if args.smoke { 50 } else { 2000 },
            small_bytes: 4096,
            parallel: 8,
            tree_files: if args.smoke { 4 } else { 20 },
            tree_bytes: if args.smoke { 1 << 20 } else { 50 << 20 },
            wrk: Duration::from_secs_f64(secs),
            rss_check: args.rss_check,
            s3,
            only,
        })
    }

    /// Whether `group` runs.
    pub fn runs(&self, group: &str) -> bool {
        if group == "s3" {
            return self.s3 && (self.only.is_empty() || self.only.iter().any(|g| g == group));
        }
        if group == "rss" {
            return self.rss_check.is_some()
                && (self.only.is_empty() || self.only.iter().any(|g| g == group));
        }
        self.only.is_empty() || self.only.iter().any(|g| g == group)
    }
}

/// `1GiB`, `512MiB`, `64KiB`, `2GB`, `1000` (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 1GiB, 512MiB or 4096"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => return Err(format!("unknown size unit {other:?} in {s:?}")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Args, Plan, parse_size};

    fn plan(args: &[&str]) -> anyhow::Result<Plan> {
        Plan::new(&Args::try_parse_from(args).expect("parses"))
    }

    #[test]
    fn the_s3_group_runs_only_with_store_s3() {
        let all = plan(&["ferry-bench"]).unwrap();
        assert!(all.runs("raw") && !all.runs("s3"));
        let s3 = plan(&["ferry-bench", "--store", "s3"]).unwrap();
        assert!(s3.runs("raw") && s3.runs("s3"));
        let only = plan(&["ferry-bench", "--store", "s3", "--only", "http"]).unwrap();
        assert!(only.runs("http") && only.runs("s3") && !only.runs("raw"));
        let err = plan(&["ferry-bench", "--only", "s3"]).unwrap_err();
        assert!(err.to_string().contains("--store s3"), "{err}");
        assert!(Args::try_parse_from(["ferry-bench", "--store", "gcs"]).is_err());
    }

    #[test]
    fn sizes_accept_binary_units_and_plain_bytes() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert!(parse_size("1.5GiB").is_err());
        assert!(parse_size("GiB").is_err());
    }
}
