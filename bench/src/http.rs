//! The HTTP door with reqwest: whole-body `PUT` (with `Content-MD5`), the resumable upload in
//! 8 MiB `Content-Range` chunks, and `GET` hashed as it arrives; each MD5-verified.

use std::io::SeekFrom;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use bytes::Bytes;
use ferry_core::fast_md5::Md5;
use futures::StreamExt;
use md5::Digest;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::mpsc;
use tokio_util::io::ReaderStream;

use crate::report::{REF_MD5, REF_TCP};
use crate::server::{PASSWORD, USER, Usage};
use crate::{Ctx, data};

/// The chunk size of the resumable upload.
const CHUNK: u64 = 8 << 20;
const READ_BUF: usize = 1 << 20;

/// An HTTP client for the bench: no proxies, no redirects (a `308` is an answer here).
pub fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(600))
        .build()?)
}

/// The same client trusting any certificate: for the TLS rows, against the server's own
/// self-signed one (what is measured is the encryption, not the trust check).
pub fn tls_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .danger_accept_invalid_certs(true)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(600))
        .build()?)
}

/// Row names the TLS rows are set against.
pub const PUT_ROW: &str = "HTTP PUT whole body";
pub const GET_ROW: &str = "HTTP GET";

/// `http://ADDR/api/v1/…`, `https://` when the server speaks TLS.
pub fn url(ctx: &Ctx, path: &str) -> String {
    let scheme = if ctx.server.fingerprint.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{}/api/v1{path}", ctx.server.http)
}

/// Sends `request` as the bench user and fails, naming it `what`, unless the answer is a
/// success.
pub async fn send_ok(request: reqwest::RequestBuilder, what: &str) -> Result<reqwest::Response> {
    let resp = request.basic_auth(USER, Some(PASSWORD)).send().await?;
    ensure!(resp.status().is_success(), "{what}: {}", resp.status());
    Ok(resp)
}

/// [`send_ok`] where only the status `want` will do.
async fn send_expect(
    request: reqwest::RequestBuilder,
    what: &str,
    want: StatusCode,
) -> Result<reqwest::Response> {
    let resp = send_ok(request, what).await?;
    ensure!(resp.status() == want, "{what}: {}", resp.status());
    Ok(resp)
}

/// `Content-MD5` of a hex digest.
pub fn content_md5(md5: &str) -> Result<String> {
    Ok(base64::engine::general_purpose::STANDARD.encode(hex::decode(md5)?))
}

/// Fails loudly unless a JSON entry reports `md5`.
pub fn check_entry(what: &str, entry: &Value, md5: &str) -> Result<()> {
    let got = entry.get("md5").and_then(Value::as_str);
    ensure!(
        got == Some(md5),
        "WRONG BYTES: {what}: the server reports MD5 {got:?}, sent {md5}"
    );
    Ok(())
}

/// A whole-body `PUT` of `source` (the big size) to `/files{remote}` with `Content-MD5`,
/// streamed from the file, and the entry the server answers checked: the server's usage while
/// it ran.
pub async fn timed_put(
    ctx: &Ctx,
    http: &reqwest::Client,
    source: &Path,
    remote: &str,
    md5: &str,
) -> Result<Usage> {
    let probe = ctx.server.probe()?;
    let file = tokio::fs::File::open(source).await?;
    let resp = http
        .put(url(ctx, &format!("/files{remote}")))
        .basic_auth(USER, Some(PASSWORD))
        .header(CONTENT_LENGTH, ctx.plan.size)
        .header("Content-MD5", content_md5(md5)?)
        .body(reqwest::Body::wrap_stream(ReaderStream::with_capacity(
            file, READ_BUF,
        )))
        .send()
        .await?;
    let status = resp.status();
    let entry: Value = resp.json().await?;
    let usage = probe.finish(&ctx.server)?;
    ensure!(
        status.is_success(),
        "PUT {remote} answered {status}: {entry}"
    );
    check_entry(&format!("PUT {remote}"), &entry, md5)?;
    Ok(usage)
}

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let (source, md5) = ctx.big_source().await?;
    let size = ctx.plan.size;
    let http = client()?;

    let usage = timed_put(ctx, &http, &source, "/http-put.bin", &md5).await?;
    data::verify_file(&ctx.server.home().join("http-put.bin"), size, &md5)?;
    let name = PUT_ROW;
    ctx.report.transfer(name, size, &usage, REF_MD5, 0.90);

    // Resumable upload in 8 MiB chunks.
    let probe = ctx.server.probe()?;
    chunked(ctx, &http, &source, size, &md5, "/http-chunked.bin").await?;
    let usage = probe.finish(&ctx.server)?;
    data::verify_file(&ctx.server.home().join("http-chunked.bin"), size, &md5)?;
    let name = "HTTP resumable, 8 MiB chunks";
    ctx.report.transfer(name, size, &usage, REF_MD5, 0.90);

    // GET, hashed on another thread as it arrives (not stored: a local file would measure
    // this machine's page cache, which the page-cache reference row shows).
    let probe = ctx.server.probe()?;
    let (got_md5, got_len, etag) = download(ctx, &http, "/files/http-put.bin").await?;
    let usage = probe.finish(&ctx.server)?;
    ensure!(
        got_md5 == md5 && got_len == size && etag.as_deref() == Some(md5.as_str()),
        "WRONG BYTES: HTTP GET gave {got_len} bytes hashing to {got_md5} (ETag {etag:?}), \
         expected {size} bytes with MD5 {md5}"
    );
    let name = GET_ROW;
    ctx.report.transfer(name, size, &usage, REF_TCP, 0.6);

    // The same GET checked by CRC32C as it arrives: the door's own speed, which a client
    // that verifies by MD5 cannot see past one core's MD5 throughput.
    let s = source.clone();
    let (want, _) = tokio::task::spawn_blocking(move || data::crc32c_file(&s)).await??;
    let probe = ctx.server.probe()?;
    let (crc, got_len) = download_crc(ctx, &http, "/files/http-put.bin").await?;
    let usage = probe.finish(&ctx.server)?;
    ensure!(
        crc == want && got_len == size,
        "WRONG BYTES: HTTP GET gave {got_len} bytes with CRC32C {crc:08x}, \
         expected {size} bytes with {want:08x}"
    );
    let name = "HTTP GET, door only (CRC32C on receipt)";
    ctx.report.transfer(name, size, &usage, REF_TCP, 0.6);

    for path in ["/files/http-put.bin", "/files/http-chunked.bin"] {
        send_ok(http.delete(url(ctx, path)), &format!("DELETE {path}")).await?;
    }
    Ok(())
}

/// `POST /uploads`, then every chunk with its `Content-Range`, streamed from the file.
async fn chunked(
    ctx: &Ctx,
    http: &reqwest::Client,
    source: &Path,
    size: u64,
    md5: &str,
    remote: &str,
) -> Result<()> {
    let create = http
        .post(url(ctx, "/uploads"))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"path": remote, "size": size, "md5": md5}).to_string());
    let resp = send_expect(create, "POST /uploads", StatusCode::CREATED).await?;
    let created: Value = resp.json().await?;
    let id = created["id"].as_str().context("no upload id")?.to_string();
    let mut start = 0;
    while start < size {
        let len = CHUNK.min(size - start);
        let mut file = tokio::fs::File::open(source).await?;
        file.seek(SeekFrom::Start(start)).await?;
        let body =
            reqwest::Body::wrap_stream(ReaderStream::with_capacity(file.take(len), READ_BUF));
        let resp = http
            .put(url(ctx, &format!("/uploads/{id}")))
            .basic_auth(USER, Some(PASSWORD))
            .header(CONTENT_LENGTH, len)
            .header(
                CONTENT_RANGE,
                format!("bytes {start}-{}/{size}", start + len - 1),
            )
            .body(body)
            .send()
            .await?;
        let status = resp.status();
        start += len;
        let last = start == size;
        match status {
            StatusCode::PERMANENT_REDIRECT if !last => {
                let _ = resp.bytes().await?;
            }
            StatusCode::CREATED if last => {
                let entry: Value = resp.json().await?;
                check_entry("HTTP resumable upload", &entry, md5)?;
            }
            other => bail!(
                "chunk ending at {start} answered {other}: {}",
                resp.text().await.unwrap_or_default()
            ),
        }
    }
    Ok(())
}

/// `GET path`, which must answer `200`.
async fn get_ok(ctx: &Ctx, http: &reqwest::Client, path: &str) -> Result<reqwest::Response> {
    send_expect(
        http.get(url(ctx, path)),
        &format!("GET {path}"),
        StatusCode::OK,
    )
    .await
}

/// GETs `path`; returns the CRC32C and length of what arrived.
async fn download_crc(ctx: &Ctx, http: &reqwest::Client, path: &str) -> Result<(u32, u64)> {
    crc_of(get_ok(ctx, http, path).await?).await
}

/// The CRC32C and length of a response's body, read as it arrives.
pub(crate) async fn crc_of(resp: reqwest::Response) -> Result<(u32, u64)> {
    let (mut crc, mut len) = (0u32, 0u64);
    let mut body = resp.bytes_stream();
    while let Some(piece) = body.next().await {
        let piece = piece?;
        crc = crc32c::crc32c_append(crc, &piece);
        len += piece.len() as u64;
    }
    Ok((crc, len))
}

/// GETs `path`; returns the MD5 and length of what arrived, and the ETag.
pub(crate) async fn download(
    ctx: &Ctx,
    http: &reqwest::Client,
    path: &str,
) -> Result<(String, u64, Option<String>)> {
    let resp = get_ok(ctx, http, path).await?;
    let etag = resp
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim_matches('"').to_string());
    let (to_hash, mut hash_rx) = mpsc::channel::<Bytes>(256);
    let hasher = tokio::task::spawn_blocking(move || {
        let (mut md5, mut len) = (Md5::new(), 0u64);
        while let Some(b) = hash_rx.blocking_recv() {
            md5.update(&b);
            len += b.len() as u64;
        }
        (hex::encode(md5.finalize()), len)
    });
    let mut body = resp.bytes_stream();
    while let Some(piece) = body.next().await {
        to_hash.send(piece?).await?;
    }
    drop(to_hash);
    let (md5, len) = hasher.await?;
    Ok((md5, len, etag))
}
