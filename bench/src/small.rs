//! Many small uploads: `plan.small_files` files of 4 KiB over one connection and over
//! `plan.parallel` connections, through each door, every one verified (the MD5 the server
//! reports, then the bytes that landed).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, ensure};
use ferry_client::{NoProgress, PutOptions};
use futures::future::try_join_all;
use reqwest::header::CONTENT_LENGTH;
use serde_json::Value;

use crate::http::{check_entry, client, content_md5, send_ok, url};
use crate::server::{PASSWORD, USER};
use crate::{Ctx, data};

/// The folder the one-connection raw run fills; the listing benchmark lists it.
pub const LISTED: &str = "small-raw-1";

/// Local sources: file `i` and its MD5.
type Files = Vec<(PathBuf, String)>;

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let files = make_files(ctx)?;
    let n = files.len();
    let p = ctx.plan.parallel;
    let rate = raw(ctx, &files, LISTED, 1).await?;
    ctx.report.absolute(
        &format!("raw: {n} uploads of 4 KiB, 1 connection"),
        rate,
        "files/s",
        2500.0,
    );
    let rate = raw(ctx, &files, "small-raw-8", p).await?;
    ctx.report.plain(
        &format!("raw: {n} uploads of 4 KiB, {p} connections"),
        rate,
        "files/s",
    );
    let rate = http(ctx, &files, "small-http-1", 1).await?;
    ctx.report.absolute(
        &format!("HTTP: {n} PUTs of 4 KiB, 1 connection"),
        rate,
        "files/s",
        1500.0,
    );
    let rate = http(ctx, &files, "small-http-8", p).await?;
    ctx.report.plain(
        &format!("HTTP: {n} PUTs of 4 KiB, {p} connections"),
        rate,
        "files/s",
    );
    Ok(())
}

/// Makes the local 4 KiB files (once per run).
pub fn make_files(ctx: &Ctx) -> Result<Files> {
    let dir = ctx.scratch.join("small");
    std::fs::create_dir_all(&dir)?;
    (0..ctx.plan.small_files)
        .map(|i| {
            let path = dir.join(format!("f{i:05}"));
            let md5 = data::make_file(&path, ctx.plan.small_bytes, 10_000 + i as u64)?;
            Ok((path, md5))
        })
        .collect()
}

/// Uploads every file into `/folder` with `conns` raw-door clients; returns files per second.
pub async fn raw(ctx: &Ctx, files: &Files, folder: &str, conns: usize) -> Result<f64> {
    let mut clients = try_join_all((0..conns).map(|_| ctx.client())).await?;
    clients[0].mkdir(&format!("/{folder}"), true).await?;
    let options = PutOptions {
        overwrite: false,
        ..PutOptions::default()
    };
    let started = Instant::now();
    let jobs = clients
        .iter_mut()
        .enumerate()
        .map(|(k, client)| async move {
            for (path, md5) in files.iter().skip(k).step_by(conns) {
                let remote = format!("/{folder}/{}", name(path));
                let put = client
                    .put(path, Some(&remote), options, &mut NoProgress)
                    .await?;
                ensure!(
                    &put.md5 == md5 && put.entry.md5.map(|m| m.to_string()).as_ref() == Some(md5),
                    "WRONG BYTES: raw small upload {remote} reports MD5 {}, sent {md5}",
                    put.md5
                );
            }
            anyhow::Ok(())
        });
    try_join_all(jobs).await?;
    let rate = files.len() as f64 / started.elapsed().as_secs_f64();
    for client in clients {
        client.close().await;
    }
    verify_landed(ctx, files, folder)?;
    Ok(rate)
}

/// Uploads every file into `/folder` with `PUT` and `Content-MD5` over `conns` keep-alive
/// connections; returns files per second.
pub async fn http(ctx: &Ctx, files: &Files, folder: &str, conns: usize) -> Result<f64> {
    let http = client()?;
    let mkdir = http.post(url(ctx, &format!("/dirs/{folder}")));
    send_ok(mkdir, &format!("mkdir {folder}")).await?;
    let started = Instant::now();
    let jobs = (0..conns).map(|k| {
        let http = http.clone();
        async move {
            for (path, md5) in files.iter().skip(k).step_by(conns) {
                let body = tokio::fs::read(path).await?;
                let resp = http
                    .put(url(ctx, &format!("/files/{folder}/{}", name(path))))
                    .basic_auth(USER, Some(PASSWORD))
                    .header(CONTENT_LENGTH, body.len())
                    .header("Content-MD5", content_md5(md5)?)
                    .body(body)
                    .send()
                    .await?;
                let status = resp.status();
                let entry: Value = resp.json().await?;
                ensure!(
                    status.is_success(),
                    "PUT {}: {status} {entry}",
                    path.display()
                );
                check_entry("HTTP small PUT", &entry, md5)?;
            }
            anyhow::Ok(())
        }
    });
    try_join_all(jobs).await?;
    let rate = files.len() as f64 / started.elapsed().as_secs_f64();
    verify_landed(ctx, files, folder)?;
    Ok(rate)
}

/// Every file is in the folder on disk with the right bytes, and nothing else is.
fn verify_landed(ctx: &Ctx, files: &Files, folder: &str) -> Result<()> {
    let dir = ctx.server.home().join(folder);
    let count = std::fs::read_dir(&dir)?.count();
    ensure!(
        count == files.len(),
        "{} holds {count} entries, sent {}",
        dir.display(),
        files.len()
    );
    for (path, md5) in files {
        data::verify_file(&dir.join(name(path)), ctx.plan.small_bytes, md5)?;
    }
    Ok(())
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
