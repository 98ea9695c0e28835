//! `ferry-bench`: Ferry's benchmark harness.
//!
//! Starts the real `ferry` binary on loopback with a temp data folder, measures its
//! references and then each door against them in the same run, verifies every byte it moves,
//! and prints one table (also written as JSON rows with `--json`). See `bench/README.md`.
//!
//! - [`args`]: options and the [`args::Plan`] of sizes; [`server`]: the child process and its
//!   `/proc` figures; [`data`]: test files and their MD5; [`report`]: rows, table, JSON.
//! - [`refs`]: the references; [`raw`], [`http`]: big transfers per door; [`resume`]: an
//!   interrupted upload picked up again; [`tus`]: tus and the IETF draft, and tus
//!   concatenation; [`concurrency`]: many uploads at once and many idle
//!   connections; [`small`]: many 4 KiB uploads; [`tree`]: `ferry put -r` of whole folders,
//!   one file at a time against `--jobs 8`; [`wrk`]: request rates under a load generator;
//!   [`peers`]: nginx serving the same file and folder; [`durable`]: the durable-write
//!   reference loop against small uploads; [`s3`] (`--store s3`): nodes over Garage and
//!   PostgreSQL against `object_store` on the same cluster.

/// The allocator the `ferry` binary ships with (see its `main.rs`), so the rows that run
/// Ferry's client in this process (`ferry put`, `ferry get`, the concurrent uploads) measure
/// the client users run. rustls copies every received record into a fresh 16 KiB `Vec`, and
/// under glibc's allocator that copy costs three times as much: the TLS download row measured 376-394 MB/s against 446-454 under mimalloc (alternated runs
/// of `ferry-bench --only raw,tls`; `perf record`: memmove 12% of the samples against 4%).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod concurrency;
mod data;
mod durable;
mod http;
mod install;
mod peers;
mod raw;
mod refs;
mod report;
mod resume;
mod s3;
mod server;
mod small;
mod tls;
mod tree;
mod tus;
mod wrk;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use ferry_client::Client;

use args::{Args, Plan};
use report::{REF_DISK, REF_DURABLE, REF_MD5, REF_MD5_CRATE, REF_TCP, Report};
use server::{PASSWORD, Server, USER};

/// Everything the scenarios share.
#[derive(Debug)]
pub struct Ctx {
    pub plan: Plan,
    pub report: Report,
    pub server: Server,
    /// Scratch space for local files (sources and downloads), outside the data folder.
    pub scratch: PathBuf,
    /// The big source file and its MD5, made once.
    big: Option<(PathBuf, String)>,
}

impl Ctx {
    /// A fresh logged-in raw-door client.
    pub async fn client(&self) -> Result<Client> {
        let mut client =
            Client::connect(&self.server.tcp.to_string(), Duration::from_secs(300)).await?;
        client.login(USER, PASSWORD).await?;
        Ok(client)
    }

    /// The `--size` source file and its MD5.
    pub async fn big_source(&mut self) -> Result<(PathBuf, String)> {
        if let Some(big) = &self.big {
            return Ok(big.clone());
        }
        let path = self.scratch.join("big.bin");
        let size = self.plan.size;
        let p = path.clone();
        let md5 = tokio::task::spawn_blocking(move || data::make_file(&p, size, 1)).await??;
        self.big = Some((path, md5));
        Ok(self.big.clone().unwrap_or_default())
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ferry-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferry-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<ExitCode> {
    let plan = Plan::new(&args)?;
    let started = Instant::now();
    let bin = server::ferry_binary()?;
    let tmp = tempfile::Builder::new().prefix("ferry-bench-").tempdir()?;
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch)?;
    let server = Server::start(&bin, &tmp.path().join("data"))?;
    println!(
        "ferry-bench: {} ({} build), size {} bytes{}; server pid {} on tcp {} / http {}",
        bin.display(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        plan.size,
        if plan.smoke {
            ", SMOKE (timings not judged)"
        } else {
            ""
        },
        server.pid(),
        server.tcp,
        server.http,
    );
    println!("  limits raised: {}", server::RAISED_LIMITS.join(" "));
    let report = Report::new(plan.smoke);
    let mut ctx = Ctx {
        plan,
        report,
        server,
        scratch,
        big: None,
    };

    let size = ctx.plan.size;
    let load_before = refs::load_average();
    let runs = refs::RUNS;
    let md5 = refs::best_of(runs, || refs::md5::<ferry_core::fast_md5::Md5>(size)).await?;
    ctx.report.reference(REF_MD5, md5, "MB/s");
    let crate_md5 = refs::best_of(runs, || refs::md5::<md5::Md5>(size)).await?;
    ctx.report.reference(REF_MD5_CRATE, crate_md5, "MB/s");
    let tcp = refs::best_of(runs, || refs::tcp(size)).await?;
    ctx.report.reference(REF_TCP, tcp, "MB/s");
    let scratch = ctx.scratch.clone();
    let disk = refs::best_of(runs, || refs::page_cache(&scratch, size)).await?;
    ctx.report.reference(REF_DISK, disk, "MB/s");
    let durable = refs::best_of(runs, || refs::durable(&scratch, size)).await?;
    ctx.report.reference(REF_DURABLE, durable, "MB/s");

    let mut failures = Vec::new();
    for group in args::GROUPS {
        if !ctx.plan.runs(group) {
            continue;
        }
        let result = match *group {
            "idle" => concurrency::idle(&mut ctx).await,
            "small" => small::run(&mut ctx).await,
            "wrk" => wrk::run(&mut ctx).await,
            "raw" => raw::run(&mut ctx).await,
            "http" => http::run(&mut ctx).await,
            "tus" => tus::run(&mut ctx).await,
            "tls" => tls::run(&mut ctx).await,
            "resume" => resume::run(&mut ctx).await,
            "concurrency" => concurrency::uploads(&mut ctx).await,
            "rss" => raw::rss_check(&mut ctx).await,
            "peers" => peers::run(&mut ctx).await,
            "durable" => durable::run(&mut ctx).await,
            "tree" => tree::run(&mut ctx).await,
            "s3" => s3::run(&mut ctx).await,
            other => unreachable!("group {other} has no runner"),
        };
        if let Err(e) = result.with_context(|| format!("group {group}")) {
            eprintln!("ferry-bench: FAILED: {e:#}");
            failures.push(*group);
        }
    }

    ctx.report.print();
    println!(
        "load average (1, 5, 15 min): {load_before} at the start, {} at the end; references \
         are the best of {runs} runs",
        refs::load_average()
    );
    if let Some(path) = &args.json {
        ctx.report
            .write_json(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("rows written to {}", path.display());
    }
    println!(
        "ran in {:.1} s; targets missed: {}{}",
        started.elapsed().as_secs_f64(),
        ctx.report.missed(),
        if ctx.plan.smoke {
            " (smoke: not judged)"
        } else {
            ""
        }
    );
    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("ferry-bench: failed groups: {}", failures.join(", "));
        Ok(ExitCode::FAILURE)
    }
}
