//! Many clients at once: concurrent verified uploads (aggregate throughput), and many idle
//! logged-in connections (the server's resident set while it holds them).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, ensure};
use ferry_client::{Client, NoProgress};
use ferry_proto::message::Request;
use futures::future::try_join_all;

use crate::raw::put_options;
use crate::refs::mb_per_s;
use crate::report::REF_MD5;
use crate::server::Usage;
use crate::{Ctx, data, resume};

const MIB: f64 = (1u64 << 20) as f64;

/// `plan.clients` clients each upload their own `plan.client_bytes` file at the same moment,
/// twice: with `ferry put` (each client hashes its file too, so both ends' MD5 share this
/// machine's cores and one core's MD5 speed is all the pair can reach), then through the
/// door with each file's MD5 given up front, which leaves the cores to the server: what
/// many verified uploads at once get out of it.
pub async fn uploads(ctx: &mut Ctx) -> Result<()> {
    let (n, bytes) = (ctx.plan.clients, ctx.plan.client_bytes);
    let dir = ctx.scratch.join("concurrent");
    std::fs::create_dir_all(&dir)?;
    let mut files = Vec::with_capacity(n);
    for i in 0..n {
        let path = dir.join(format!("c{i}.bin"));
        let md5 = data::make_file(&path, bytes, 1000 + i as u64)?;
        files.push((path, md5));
    }
    let label = format!("{n} concurrent uploads x {} MiB", bytes as f64 / MIB);
    let result = async {
        client_puts(ctx, &files, &label).await?;
        door_puts(ctx, &files, &format!("{label}, MD5 known up front")).await
    }
    .await;
    std::fs::remove_dir_all(&dir)?;
    result
}

async fn client_puts(ctx: &mut Ctx, files: &[(PathBuf, String)], name: &str) -> Result<()> {
    let mut clients = try_join_all(files.iter().map(|_| ctx.client())).await?;
    clients[0].mkdir("/concurrent", true).await?;

    let probe = ctx.server.probe()?;
    let puts =
        clients
            .iter_mut()
            .zip(files)
            .enumerate()
            .map(|(i, (client, (path, _)))| async move {
                let remote = format!("/concurrent/c{i}.bin");
                client
                    .put(path, Some(&remote), put_options(), &mut NoProgress)
                    .await
            });
    let outcomes = try_join_all(puts).await?;
    let usage = probe.finish(&ctx.server)?;

    for (i, (outcome, (_, md5))) in outcomes.iter().zip(files).enumerate() {
        ensure!(
            &outcome.md5 == md5 && outcome.entry.md5.map(|m| m.to_string()).as_ref() == Some(md5),
            "WRONG BYTES: concurrent upload {i} reports MD5 {}, sent {md5}",
            outcome.md5
        );
    }
    report(ctx, files, name, &usage, 1.0)?;
    clients[0].rm("/concurrent", true).await?;
    for client in clients {
        client.close().await;
    }
    Ok(())
}

/// The same uploads as frames sent by the harness (`upload_create` with the MD5, CRC32C-checked
/// writes, `upload_finish`), all connections logged in before the clock starts.
async fn door_puts(ctx: &mut Ctx, files: &[(PathBuf, String)], name: &str) -> Result<()> {
    let mut conns = try_join_all(files.iter().map(|_| resume::session(ctx))).await?;
    let bytes = ctx.plan.client_bytes;
    let probe = ctx.server.probe()?;
    let puts = conns
        .iter_mut()
        .zip(files)
        .enumerate()
        .map(|(i, (conn, (path, md5)))| async move {
            let remote = format!("/concurrent/c{i}.bin");
            let mut file = tokio::fs::File::open(path).await?;
            let id = resume::create_upload(conn, &remote, bytes, md5).await?;
            resume::write_range(conn, &mut file, &id, 0, bytes).await?;
            let done = resume::request(conn, Request::UploadFinish { id, md5: None }).await?;
            let got = done.fields["entry"]["md5"].as_str().unwrap_or_default();
            ensure!(
                got == md5,
                "WRONG BYTES: concurrent door upload {i} committed with MD5 {got}, sent {md5}"
            );
            anyhow::Ok(())
        });
    try_join_all(puts).await?;
    let usage = probe.finish(&ctx.server)?;
    report(ctx, files, name, &usage, 1.3)?;
    std::fs::remove_dir_all(ctx.server.home().join("concurrent"))?;
    Ok(())
}

/// Checks every landed file's bytes, then reports the aggregate rate against one core's MD5
/// and the server's resources over the run.
fn report(
    ctx: &mut Ctx,
    files: &[(PathBuf, String)],
    name: &str,
    usage: &Usage,
    target: f64,
) -> Result<()> {
    let bytes = ctx.plan.client_bytes;
    for (i, (_, md5)) in files.iter().enumerate() {
        let landed = ctx.server.home().join(format!("concurrent/c{i}.bin"));
        data::verify_file(&landed, bytes, md5)?;
    }
    let total = bytes * files.len() as u64;
    ctx.report
        .ratio(name, mb_per_s(total, usage.secs), "MB/s", REF_MD5, target);
    // The 16 MiB ceiling is for one transfer; many at once each hold their own buffers.
    ctx.report.usage_within(name, usage, total, None);
    Ok(())
}

/// `plan.idle` connections, each logged in, held open while the server's RSS is read.
pub async fn idle(ctx: &mut Ctx) -> Result<()> {
    let n = ctx.plan.idle;
    let before = ctx.server.stats()?.rss;
    let started = Instant::now();
    let mut held: Vec<Client> = Vec::with_capacity(n);
    // In batches, so logins do not all wait on the server's login slots at once.
    while held.len() < n {
        let batch = (n - held.len()).min(50);
        held.extend(try_join_all((0..batch).map(|_| ctx.client())).await?);
    }
    let secs = started.elapsed().as_secs_f64();
    // Every connection must still work.
    for client in &mut held {
        client.pwd().await?;
    }
    let after = ctx.server.stats()?.rss;
    ctx.report.absolute(
        &format!("{n} idle logged-in TCP connections: server RSS"),
        after as f64 / MIB,
        "MiB",
        64.0,
    );
    ctx.report.plain(
        &format!("{n} idle connections: RSS growth per connection"),
        after.saturating_sub(before) as f64 / n as f64 / 1024.0,
        "KiB",
    );
    ctx.report.plain(
        &format!("{n} connects + SCRAM logins"),
        n as f64 / secs,
        "logins/s",
    );
    for client in held {
        client.close().await;
    }
    Ok(())
}
