//! Big transfers over TLS on both doors, next to the plain rows of [`crate::raw`] and
//! [`crate::http`]: a second server with `--tls-self-signed`, the same file both ways.

use anyhow::{Context, Result, ensure};
use ferry_client::{Client, TlsClient};
use std::time::Duration;

use crate::refs::mb_per_s;
use crate::report::{REF_MD5, REF_TCP};
use crate::server::{PASSWORD, USER};
use crate::{Ctx, data, http, raw};

/// Row names, so the table and the JSON agree.
pub const RAW_UP: &str = "TLS raw upload (ferry put)";
pub const RAW_DOWN: &str = "TLS raw download";
pub const HTTPS_PUT: &str = "TLS HTTPS PUT whole body";
pub const HTTPS_GET: &str = "TLS HTTPS GET";

/// The plain rows of the same run each TLS row is set against (the goal: TLS costs at
/// most 15% of plain throughput, so each TLS row is at least 0.85x its plain row).
const PLAIN: [(&str, &str); 4] = [
    (RAW_UP, raw::PUT_ROW),
    (RAW_DOWN, raw::GET_ROW),
    (HTTPS_PUT, http::PUT_ROW),
    (HTTPS_GET, http::GET_ROW),
];

/// Adds `tls`'s ratio to its plain row, when that row ran (not with `--only tls` alone).
fn against_plain(ctx: &mut Ctx, tls: &str, rate: f64) {
    let Some((_, plain)) = PLAIN.iter().find(|(t, _)| *t == tls) else {
        return;
    };
    if ctx.report.has(plain) {
        ctx.report.also_reference(plain);
        let name = format!("{tls} vs plain");
        ctx.report.ratio(&name, rate, "MB/s", plain, 0.85);
    }
}

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let (source, md5) = ctx.big_source().await?;
    let data_dir = ctx.scratch.join("tls-data");
    let tls_server = ctx
        .server
        .start_like(&data_dir, &["--tls-self-signed"])
        .context("cannot start the TLS server")?;
    // The TLS server stands in for the plain one while these rows run, so probes, URLs and
    // homes follow it; the plain one is put back whatever happens.
    let plain = std::mem::replace(&mut ctx.server, tls_server);
    let result = rows(ctx, &source, &md5).await;
    let mut tls_server = std::mem::replace(&mut ctx.server, plain);
    let _ = tls_server.stop();
    result
}

async fn rows(ctx: &mut Ctx, source: &std::path::Path, md5: &str) -> Result<()> {
    let size = ctx.plan.size;
    let pin = ctx
        .server
        .fingerprint
        .clone()
        .context("the TLS server printed no fingerprint")?;
    let tls = TlsClient::pinned(&pin)?;
    let addr = ctx.server.tcp.to_string();
    let mut client = Client::connect_with(&addr, Some(tls), Duration::from_secs(300)).await?;
    client.login(USER, PASSWORD).await?;

    let usage = raw::timed_put(ctx, &mut client, source, "/tls-big.bin", md5, RAW_UP).await?;
    ctx.report
        .ratio(RAW_UP, mb_per_s(size, usage.secs), "MB/s", REF_MD5, 0.75);
    ctx.report.usage(RAW_UP, &usage, size);
    against_plain(ctx, RAW_UP, mb_per_s(size, usage.secs));

    let usage = raw::timed_get(ctx, &mut client, "/tls-big.bin", md5, RAW_DOWN).await?;
    ctx.report
        .ratio(RAW_DOWN, mb_per_s(size, usage.secs), "MB/s", REF_MD5, 0.75);
    ctx.report.usage(RAW_DOWN, &usage, size);
    against_plain(ctx, RAW_DOWN, mb_per_s(size, usage.secs));
    client.close().await;

    let https = http::tls_client()?;
    let usage = http::timed_put(ctx, &https, source, "/tls-put.bin", md5).await?;
    // Checked on disk as the plain row is; that read also leaves the file in the page cache
    // as the plain GET finds its file, so the GET rows differ by TLS alone (a cold read is a
    // different row: on a VM whose freed pages go back to the host it costs seconds).
    data::verify_file(&ctx.server.home().join("tls-put.bin"), size, md5)?;
    ctx.report
        .ratio(HTTPS_PUT, mb_per_s(size, usage.secs), "MB/s", REF_MD5, 0.75);
    ctx.report.usage(HTTPS_PUT, &usage, size);
    against_plain(ctx, HTTPS_PUT, mb_per_s(size, usage.secs));

    let probe = ctx.server.probe()?;
    let (got_md5, got_len, _) = http::download(ctx, &https, "/files/tls-put.bin").await?;
    let usage = probe.finish(&ctx.server)?;
    ensure!(
        got_md5 == md5 && got_len == size,
        "WRONG BYTES: HTTPS GET gave {got_len} bytes hashing to {got_md5}"
    );
    ctx.report
        .ratio(HTTPS_GET, mb_per_s(size, usage.secs), "MB/s", REF_TCP, 0.4);
    ctx.report.usage(HTTPS_GET, &usage, size);
    against_plain(ctx, HTTPS_GET, mb_per_s(size, usage.secs));
    Ok(())
}
