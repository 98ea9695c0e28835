//! The raw (framed TCP) door with Ferry's own client library: upload and download of the big
//! file, each MD5-verified on both ends; and the optional flat-RSS check at a larger size.

use anyhow::{Result, bail, ensure};
use bytes::Bytes;
use ferry_client::{Client, GetOptions, NoProgress, PutOptions};
use ferry_proto::message::{Request, Status};

use crate::report::{REF_MD5, REF_TCP};
use crate::server::Usage;
use crate::{Ctx, data, resume};

const REMOTE: &str = "/raw-big.bin";

/// Row names the TLS rows are set against.
pub const PUT_ROW: &str = "raw upload (ferry put: client hashes too)";
pub const GET_ROW: &str = "raw download";

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let (source, md5) = ctx.big_source().await?;
    let size = ctx.plan.size;
    let mut client = ctx.client().await?;

    let name = PUT_ROW;
    let usage = timed_put(ctx, &mut client, &source, REMOTE, &md5, name).await?;
    ctx.report.transfer(name, size, &usage, REF_MD5, 0.75);
    door_upload(ctx, &source, &md5).await?;

    // `ferry get` verifies by MD5 as the bytes arrive, so one core's MD5 is its bound and
    // its reference (the door's own speed is the next row's).
    let name = GET_ROW;
    let usage = timed_get(ctx, &mut client, REMOTE, &md5, name).await?;
    ctx.report.transfer(name, size, &usage, REF_MD5, 0.90);
    door_download(ctx, &source).await?;
    client.rm(REMOTE, false).await?;
    client.close().await;
    Ok(())
}

/// Uploads `source` (the big size) to `remote` with `client` (`ferry put`), checks the MD5
/// both sides report and the bytes on disk: the server's usage while the upload ran.
pub async fn timed_put(
    ctx: &Ctx,
    client: &mut Client,
    source: &std::path::Path,
    remote: &str,
    md5: &str,
    what: &str,
) -> Result<Usage> {
    let probe = ctx.server.probe()?;
    let put = client
        .put(source, Some(remote), put_options(), &mut NoProgress)
        .await?;
    let usage = probe.finish(&ctx.server)?;
    ensure!(
        put.md5 == md5 && put.entry.md5.map(|m| m.to_string()).as_deref() == Some(md5),
        "WRONG BYTES: {what} reports MD5 {} / {:?}, sent {md5}",
        put.md5,
        put.entry.md5
    );
    let stored = ctx.server.home().join(remote.trim_start_matches('/'));
    data::verify_file(&stored, ctx.plan.size, md5)?;
    Ok(usage)
}

/// Downloads `remote` of the big size with `client` into the scratch folder, checks the MD5
/// the client computed and the bytes on disk, and removes the copy: the server's usage while
/// the download ran.
pub async fn timed_get(
    ctx: &Ctx,
    client: &mut Client,
    remote: &str,
    md5: &str,
    what: &str,
) -> Result<Usage> {
    let local = ctx.scratch.join("download.bin");
    let options = GetOptions {
        overwrite: true,
        retries: 0,
    };
    let probe = ctx.server.probe()?;
    let got = client
        .get(remote, Some(&local), options, &mut NoProgress)
        .await?;
    let usage = probe.finish(&ctx.server)?;
    ensure!(
        got.md5 == md5,
        "WRONG BYTES: {what} MD5 {}, expected {md5}",
        got.md5
    );
    data::verify_file(&local, ctx.plan.size, md5)?;
    std::fs::remove_file(&local)?;
    Ok(usage)
}

/// The same upload with the MD5 known up front (as `upload_create` allows), frames sent by
/// the harness: the server's share alone, without the client's hashing on the same cores.
async fn door_upload(ctx: &mut Ctx, source: &std::path::Path, md5: &str) -> Result<()> {
    let size = ctx.plan.size;
    let mut file = tokio::fs::File::open(source).await?;
    let probe = ctx.server.probe()?;
    let mut conn = resume::session(ctx).await?;
    let id = resume::create_upload(&mut conn, "/raw-door.bin", size, md5).await?;
    resume::write_range(&mut conn, &mut file, &id, 0, size).await?;
    let done = resume::request(&mut conn, Request::UploadFinish { id, md5: None }).await?;
    let usage = probe.finish(&ctx.server)?;
    let got = done.fields["entry"]["md5"].as_str().unwrap_or_default();
    ensure!(
        got == md5,
        "WRONG BYTES: raw door upload committed with MD5 {got}, sent {md5}"
    );
    data::verify_file(&ctx.server.home().join("raw-door.bin"), size, md5)?;
    std::fs::remove_file(ctx.server.home().join("raw-door.bin"))?;
    let name = "raw upload (MD5 known up front)";
    ctx.report.transfer(name, size, &usage, REF_MD5, 0.90);
    Ok(())
}

/// The same download with the frames read by the harness and checked by CRC32C as they
/// arrive: what the door delivers when the receiver is not held to one core's MD5 speed (a
/// verifying client cannot go faster than MD5, the `raw download` row above).
async fn door_download(ctx: &mut Ctx, source: &std::path::Path) -> Result<()> {
    let size = ctx.plan.size;
    let s = source.to_path_buf();
    let (want, _) = tokio::task::spawn_blocking(move || data::crc32c_file(&s)).await??;
    let mut conn = resume::session(ctx).await?;
    let probe = ctx.server.probe()?;
    let get = Request::Get {
        path: REMOTE.to_string(),
        offset: 0,
    };
    conn.send(get.into_frame(Bytes::new())).await?;
    let (mut crc, mut len) = (0u32, 0u64);
    loop {
        let (response, payload) = conn.recv().await?;
        match response.status {
            Status::Ok => {}
            Status::Data => {
                crc = crc32c::crc32c_append(crc, &payload);
                len += payload.len() as u64;
            }
            Status::End => break,
            _ => bail!("raw door download failed: {:?}", response.fields),
        }
    }
    let usage = probe.finish(&ctx.server)?;
    ensure!(
        len == size && crc == want,
        "WRONG BYTES: raw door download gave {len} bytes with CRC32C {crc:08x}, \
         expected {size} bytes with {want:08x}"
    );
    let name = "raw download, door only (CRC32C on receipt)";
    ctx.report.transfer(name, size, &usage, REF_TCP, 0.8);
    Ok(())
}

/// `--rss-check SIZE`: one upload of SIZE through the raw door; the server's RSS growth must
/// stay as flat as for the default size.
pub async fn rss_check(ctx: &mut Ctx) -> Result<()> {
    let Some(size) = ctx.plan.rss_check else {
        return Ok(());
    };
    let source = ctx.scratch.join("rss-check.bin");
    let s = source.clone();
    let md5 = tokio::task::spawn_blocking(move || data::make_file(&s, size, 3)).await??;
    let mut client = ctx.client().await?;
    let probe = ctx.server.probe()?;
    let put = client
        .put(
            &source,
            Some("/rss-check.bin"),
            put_options(),
            &mut NoProgress,
        )
        .await?;
    let usage = probe.finish(&ctx.server)?;
    std::fs::remove_file(&source)?;
    ensure!(
        put.md5 == md5 && put.entry.md5.map(|m| m.to_string()) == Some(md5.clone()),
        "WRONG BYTES: --rss-check upload reports MD5 {}, sent {md5}",
        put.md5
    );
    data::verify_file(&ctx.server.home().join("rss-check.bin"), size, &md5)?;
    let name = format!("raw upload of {} GiB", size as f64 / (1u64 << 30) as f64);
    ctx.report.transfer(&name, size, &usage, REF_MD5, 0.90);
    client.rm("/rss-check.bin", false).await?;
    client.close().await;
    Ok(())
}

/// Puts that replace what an earlier run left and fail at once rather than retry, so a
/// measurement never includes a reconnect.
pub fn put_options() -> PutOptions {
    PutOptions {
        overwrite: true,
        ..PutOptions::default()
    }
}
