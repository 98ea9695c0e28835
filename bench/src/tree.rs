//! `ferry put -r` of whole folders through the real CLI: a folder of `plan.small_files` files
//! of 4 KiB and one of `plan.tree_files` files of `plan.tree_bytes`, first one file after
//! another on one connection (`--jobs 1`: what `scp -r` does, and the reference), then with
//! `--jobs 8`. Each run goes to a fresh remote folder and every landed file is checked
//! against its source's MD5; the big folder's copies are removed after checking, to keep the
//! disk use at one copy.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Result, ensure};

use crate::server::{PASSWORD, USER};
use crate::{Ctx, data};

/// Parallel jobs in the measured rows.
const JOBS: u16 = 8;

/// The folder's files and their MD5s.
type Files = Vec<(PathBuf, String)>;

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let n = ctx.plan.small_files;
    let small = make_tree(ctx, "tree-small", n, ctx.plan.small_bytes, 30_000)?;
    let reference = format!("ref: ferry put -r --jobs 1, {n} x 4 KiB");
    let rate = put_r(ctx, &small, "tree-small-1", 1, true).await?;
    ctx.report.reference(&reference, rate.files, "files/s");
    let rate = put_r(ctx, &small, "tree-small-8", JOBS, true).await?;
    let name = format!("CLI: put -r --jobs {JOBS}, {n} x 4 KiB");
    ctx.report
        .ratio(&name, rate.files, "files/s", &reference, 3.0);

    let (m, bytes) = (ctx.plan.tree_files, ctx.plan.tree_bytes);
    let size = format!("{} MiB", bytes >> 20);
    let big = make_tree(ctx, "tree-big", m, bytes, 40_000)?;
    let reference = format!("ref: ferry put -r --jobs 1, {m} x {size}");
    let rate = put_r(ctx, &big, "tree-big-1", 1, false).await?;
    ctx.report.reference(&reference, rate.mb, "MB/s");
    let rate = put_r(ctx, &big, "tree-big-8", JOBS, false).await?;
    let name = format!("CLI: put -r --jobs {JOBS}, {m} x {size}");
    ctx.report.ratio(&name, rate.mb, "MB/s", &reference, 0.9);
    std::fs::remove_dir_all(big.0)?;
    Ok(())
}

/// A run's rates.
struct Rate {
    files: f64,
    mb: f64,
}

/// Makes the local folder `name` of `count` files of `size` bytes (once per run).
fn make_tree(
    ctx: &Ctx,
    name: &str,
    count: usize,
    size: u64,
    seed: u64,
) -> Result<(PathBuf, Files)> {
    let dir = ctx.scratch.join(name);
    std::fs::create_dir_all(&dir)?;
    let files = (0..count)
        .map(|i| {
            let path = dir.join(format!("f{i:05}"));
            let md5 = data::make_file(&path, size, seed + i as u64)?;
            Ok((path, md5))
        })
        .collect::<Result<Files>>()?;
    Ok((dir, files))
}

/// Times `ferry put -r --jobs JOBS DIR /REMOTE`, then checks every landed file (and removes
/// them unless `keep`).
async fn put_r(
    ctx: &Ctx,
    (dir, files): &(PathBuf, Files),
    remote: &str,
    jobs: u16,
    keep: bool,
) -> Result<Rate> {
    let started = Instant::now();
    let status = tokio::process::Command::new(ctx.server.bin())
        .args(["put", "-r", "--jobs", &jobs.to_string()])
        .arg(dir)
        .arg(format!("/{remote}"))
        .env("FERRY_SERVER", ctx.server.tcp.to_string())
        .env("FERRY_USER", USER)
        .env("FERRY_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .await?;
    let secs = started.elapsed().as_secs_f64();
    ensure!(
        status.success(),
        "ferry put -r --jobs {jobs} failed: {status}"
    );
    let landed = ctx.server.data.join("homes").join(USER).join(remote);
    let mut bytes = 0;
    for (path, md5) in files {
        let name = path.file_name().unwrap_or_default();
        let (got, len) = data::md5_file(&landed.join(name))?;
        ensure!(
            &got == md5,
            "{} landed with MD5 {got}, not {md5}",
            name.to_string_lossy()
        );
        bytes += len;
    }
    if !keep {
        ctx.client().await?.rm(&format!("/{remote}"), true).await?;
    }
    Ok(Rate {
        files: files.len() as f64 / secs,
        mb: crate::refs::mb_per_s(bytes, secs),
    })
}
