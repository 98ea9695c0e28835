//! The references every ratio is taken against, measured in the same run: MD5 of the hasher
//! Ferry uses (and, for context, of the `md-5` crate it replaced), loopback TCP through a plain tokio copy, and writing to the page cache; plus,
//! for context, writing a file durably (what a committed upload must also do).
//!
//! Each is the best of [`RUNS`] measurements ([`best_of`]): one sample of the loopback
//! reference swung from 1 364 to 4 567 MB/s between runs on a 2-core machine (whatever else
//! was scheduled then), which made every ratio against it swing too. The best of several is
//! what the machine can do; the load average printed with the table says how busy it was.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use md5::Digest;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::data::XorShift;

const BUF: usize = 1 << 20;

/// How many times each reference is measured.
pub const RUNS: usize = 3;

/// The highest of `runs` measurements by `measure`.
pub async fn best_of<F, Fut>(runs: usize, mut measure: F) -> Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<f64>>,
{
    let mut best = 0f64;
    for _ in 0..runs {
        best = best.max(measure().await?);
    }
    Ok(best)
}

/// The 1, 5 and 15 minute load averages as `/proc/loadavg` gives them (or why not).
pub fn load_average() -> String {
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(text) => text
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("unknown ({e})"),
    }
}

/// MB/s (10^6 bytes per second) of `bytes` in `secs`.
pub fn mb_per_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / secs / 1e6
}

fn random_buf(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    XorShift::new(7).fill(&mut buf);
    buf
}

/// MD5 of `bytes` in one thread with the hasher `H` (Ferry's is `ferry_core::fast_md5::Md5`),
/// from a 64 MiB buffer in memory.
pub async fn md5<H: Digest + Send + 'static>(bytes: u64) -> Result<f64> {
    tokio::task::spawn_blocking(move || {
        let buf = random_buf(64 << 20);
        let mut md5 = H::new();
        let started = Instant::now();
        let mut left = bytes;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            md5.update(&buf[..n]);
            left -= n as u64;
        }
        std::hint::black_box(md5.finalize());
        Ok(mb_per_s(bytes, started.elapsed().as_secs_f64()))
    })
    .await?
}

/// One TCP stream over loopback: the writer sends `bytes` in 1 MiB writes, the reader is
/// `tokio::io::copy` into a sink. Timed until the reader has everything.
pub async fn tcp(bytes: u64) -> Result<f64> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let reader = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await?;
        tokio::io::copy(&mut socket, &mut tokio::io::sink()).await
    });
    let buf = random_buf(BUF);
    let mut out = TcpStream::connect(addr).await?;
    let started = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(BUF as u64) as usize;
        out.write_all(&buf[..n]).await?;
        left -= n as u64;
    }
    out.shutdown().await?;
    let got = reader.await??;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        got == bytes,
        "loopback reference moved {got} of {bytes} bytes"
    );
    Ok(mb_per_s(bytes, secs))
}

/// `bytes` written in 1 MiB `write`s to a new file in `dir`, then `fdatasync`: the disk's
/// share of a durable upload. Removed afterwards.
pub async fn durable(dir: &Path, bytes: u64) -> Result<f64> {
    file_write(dir.join("durable-ref.bin"), bytes, true).await
}

/// `bytes` written in 1 MiB `write`s to a new file in `dir` (no fsync: the page cache, which
/// is where uploads land before their commit), then removed.
pub async fn page_cache(dir: &Path, bytes: u64) -> Result<f64> {
    file_write(dir.join("page-cache-ref.bin"), bytes, false).await
}

/// Times writing `bytes` to a new file at `path` (and its `fdatasync` with `sync`); removes
/// the file.
async fn file_write(path: std::path::PathBuf, bytes: u64, sync: bool) -> Result<f64> {
    tokio::task::spawn_blocking(move || {
        let buf = random_buf(BUF);
        let mut file = std::fs::File::create(&path)?;
        let started = Instant::now();
        let mut left = bytes;
        while left > 0 {
            let n = left.min(BUF as u64) as usize;
            file.write_all(&buf[..n])?;
            left -= n as u64;
        }
        if sync {
            file.sync_data()?;
        }
        let secs = started.elapsed().as_secs_f64();
        drop(file);
        std::fs::remove_file(&path)?;
        Ok(mb_per_s(bytes, secs))
    })
    .await?
}
