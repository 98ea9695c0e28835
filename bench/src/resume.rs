//! An upload interrupted half-way and picked up again over the raw protocol, timed from the
//! reconnect to the first acknowledged write: (a) on the same server, (b) after the server was
//! restarted in between. The server must not re-hash the prefix (its MD5 state is
//! checkpointed), which the server's CPU time until that first write shows.
//!
//! This speaks the frames itself (`hello`, SCRAM, `upload_*`) rather than `Client::put`, to
//! cut the upload at an exact offset and time exactly the resume.

use std::io::SeekFrom;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use ferry_client::Connection;
use ferry_core::auth::scram::ScramClient;
use ferry_proto::frame::{MAX_PAYLOAD_LEN, chunk_crc};
use ferry_proto::message::{MECHANISM, PROTOCOL_VERSION, Request, Response, Status};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::server::{PASSWORD, USER};
use crate::{Ctx, data};

const CHUNK: u64 = MAX_PAYLOAD_LEN as u64;
const WINDOW: usize = 8;
const TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let (source, md5) = ctx.big_source().await?;
    let size = ctx.plan.size;
    let cut = ctx.plan.resume_at;
    let mut file = tokio::fs::File::open(&source).await?;

    let mut conn = session(ctx).await?;
    let id = create_upload(&mut conn, "/resume.bin", size, &md5).await?;
    write_range(&mut conn, &mut file, &id, 0, cut).await?;
    drop(conn);
    // Let the server notice the drop and release the upload (its lease) before reconnecting.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // (a) Same server.
    let started = Instant::now();
    let mut conn = session(ctx).await?;
    let offset = status_offset(&mut conn, &id).await?;
    ensure!(offset == cut, "resumed at {offset}, cut at {cut}");
    let next = write_range(&mut conn, &mut file, &id, offset, CHUNK).await?;
    let same = started.elapsed();
    drop(conn);
    tokio::time::sleep(Duration::from_millis(500)).await;

    // (b) Restarted server: the reconnect starts once it listens again.
    ctx.server.restart()?;
    let cpu_before = ctx.server.stats()?.cpu;
    let started = Instant::now();
    let mut conn = session(ctx).await?;
    let offset = status_offset(&mut conn, &id).await?;
    ensure!(
        offset == next,
        "resumed at {offset} after a restart, left at {next}"
    );
    let next = write_range(&mut conn, &mut file, &id, offset, CHUNK).await?;
    let restarted = started.elapsed();
    let cpu = ctx.server.stats()?.cpu - cpu_before;

    write_range(&mut conn, &mut file, &id, next, size - next).await?;
    let done = request(
        &mut conn,
        Request::UploadFinish {
            id: id.clone(),
            md5: Some(md5.clone()),
        },
    )
    .await?;
    let got = done.fields["entry"]["md5"].as_str().unwrap_or_default();
    ensure!(
        got == md5,
        "WRONG BYTES: resumed upload committed with MD5 {got}, sent {md5}"
    );
    data::verify_file(&ctx.server.home().join("resume.bin"), size, &md5)?;
    request(
        &mut conn,
        Request::Rm {
            path: "/resume.bin".to_string(),
            recursive: false,
        },
    )
    .await?;

    let at = cut as f64 / (1u64 << 20) as f64;
    ctx.report.plain(
        &format!("resume at {at} MiB, same server: reconnect to 1st ack"),
        ms(same),
        "ms",
    );
    ctx.report.absolute(
        &format!("resume at {at} MiB, after restart: reconnect to 1st ack"),
        ms(restarted),
        "ms",
        100.0,
    );
    ctx.report.plain(
        "resume after restart: server CPU until 1st ack",
        cpu * 1000.0,
        "ms",
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Connect, `hello`, SCRAM login.
pub async fn session(ctx: &Ctx) -> Result<Connection> {
    let mut conn = Connection::open(&ctx.server.tcp.to_string(), TIMEOUT).await?;
    request(
        &mut conn,
        Request::Hello {
            version: PROTOCOL_VERSION,
            client: Some("ferry-bench".to_string()),
        },
    )
    .await?;
    let (scram, first) = ScramClient::new(USER, PASSWORD, None)?;
    let start = Request::AuthStart {
        mechanism: MECHANISM.to_string(),
        message: first,
    };
    let server_first = message(&request(&mut conn, start).await?)?;
    let (scram, last) = scram.handle_server_first(&server_first)?;
    let ok = request(&mut conn, Request::AuthFinish { message: last }).await?;
    scram.verify_server_final(&message(&ok)?)?;
    Ok(conn)
}

fn message(response: &Response) -> Result<String> {
    Ok(response.fields["message"]
        .as_str()
        .context("no message field")?
        .to_string())
}

/// `upload_create` with the MD5 given up front (replacing any file at `path`); the upload id.
pub async fn create_upload(
    conn: &mut Connection,
    path: &str,
    size: u64,
    md5: &str,
) -> Result<String> {
    let create = Request::UploadCreate {
        path: path.to_string(),
        size,
        md5: Some(md5.to_string()),
        overwrite: true,
        parents: true,
    };
    let created = request(conn, create).await?;
    Ok(created.fields["upload"]["id"]
        .as_str()
        .context("no upload id")?
        .to_string())
}

pub async fn request(conn: &mut Connection, request: Request) -> Result<Response> {
    conn.send(request.into_frame(Bytes::new())).await?;
    ok(conn.recv().await?.0)
}

fn ok(response: Response) -> Result<Response> {
    match response.status {
        Status::Ok => Ok(response),
        _ => bail!("the server answered {:?}", response.fields),
    }
}

async fn status_offset(conn: &mut Connection, id: &str) -> Result<u64> {
    let status = request(conn, Request::UploadStatus { id: id.to_string() }).await?;
    status.fields["upload"]["offset"]
        .as_u64()
        .context("no offset in upload_status")
}

/// Sends `len` bytes from `from`, up to [`WINDOW`] writes in flight; returns the new offset.
pub async fn write_range(
    conn: &mut Connection,
    file: &mut tokio::fs::File,
    id: &str,
    from: u64,
    len: u64,
) -> Result<u64> {
    file.seek(SeekFrom::Start(from)).await?;
    let end = from + len;
    let (mut next, mut acked, mut in_flight) = (from, from, 0usize);
    while acked < end {
        while in_flight < WINDOW && next < end {
            let n = CHUNK.min(end - next);
            let mut buf = vec![0u8; n as usize];
            file.read_exact(&mut buf).await?;
            let request = Request::UploadWrite {
                id: id.to_string(),
                offset: next,
                crc32c: chunk_crc(&buf),
            };
            conn.send(request.into_frame(Bytes::from(buf))).await?;
            next += n;
            in_flight += 1;
        }
        let ack = ok(conn.recv().await?.0)?;
        acked = ack
            .fields
            .get("offset")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        in_flight -= 1;
    }
    ensure!(acked == end, "writes ended at {acked}, expected {end}");
    Ok(acked)
}
