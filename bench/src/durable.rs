//! The durable-write reference for small uploads: what an acknowledged upload must cost at
//! least, done by the harness itself for the same files — create a temp file, write 4 KiB,
//! `fdatasync`, rename it into place, `fsync` the folder — against Ferry's `PUT`s of the
//! same files on 1 and on `plan.parallel` connections.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;

use crate::Ctx;
use crate::small::{http, make_files};

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let files = make_files(ctx)?;
    let n = files.len();
    let dir = ctx.scratch.join("durable-ref");
    let sources: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let d = dir.clone();
    let reference = tokio::task::spawn_blocking(move || durable_loop(&sources, &d)).await??;
    let name =
        format!("ref: durable write of {n} x 4 KiB (create, write, fdatasync, rename, fsync dir)");
    ctx.report.reference(&name, reference, "files/s");
    let p = ctx.plan.parallel;
    for (conns, target) in [(1, 0.8), (p, 2.0)] {
        let label = match conns {
            1 => format!("HTTP: {n} PUTs of 4 KiB vs durable ref, 1 connection"),
            _ => format!("HTTP: {n} PUTs of 4 KiB vs durable ref, {conns} connections"),
        };
        // The rate follows this disk's sync latency, which swings from run to run; the
        // server's CPU per PUT does not, and is what Ferry itself adds.
        let probe = ctx.server.probe()?;
        let rate = http(ctx, &files, &format!("durable-http-{conns}"), conns).await?;
        let usage = probe.finish(&ctx.server)?;
        ctx.report.ratio(&label, rate, "files/s", &name, target);
        let cpu = usage.cpu / n as f64 * 1e6;
        ctx.report
            .plain(&format!("{label}: server CPU per PUT"), cpu, "µs");
    }
    // Removed only now, so Ferry's runs do not follow 2 000 fresh deletions the reference did
    // not: on ext4 without a journal (as on this machine) each new inode is first checked
    // against the inodes freed in the last seconds, which made every create of the next
    // runs cost up to half a millisecond more (`recently_deleted` in a kernel profile).
    fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Writes each source's bytes durably into `dir`, one after another; files per second. The
/// files stay for the caller to remove.
fn durable_loop(sources: &[PathBuf], dir: &Path) -> Result<f64> {
    fs::create_dir_all(dir)?;
    let bodies: Vec<Vec<u8>> = sources.iter().map(fs::read).collect::<Result<_, _>>()?;
    let folder = File::open(dir)?;
    let started = Instant::now();
    for (i, body) in bodies.iter().enumerate() {
        let tmp = dir.join(format!(".tmp-{i}"));
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(body)?;
        f.sync_data()?;
        fs::rename(&tmp, dir.join(format!("f{i:05}")))?;
        folder.sync_all()?;
    }
    Ok(bodies.len() as f64 / started.elapsed().as_secs_f64())
}
