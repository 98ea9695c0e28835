//! The resumable-upload dialects real clients speak, on the `--size` file: tus in 8 MiB
//! `PATCH`es and in one unbounded `PATCH`, the IETF draft's create-then-append flow, each
//! against one core's MD5 (the server hashes every byte it receives); and tus concatenation,
//! four parts sent in parallel then joined, against the single unbounded stream. Every file
//! that lands is MD5-verified.

use std::io::SeekFrom;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use base64::Engine;
use futures::future::try_join_all;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::http::{client, send_ok};
use crate::refs::mb_per_s;
use crate::report::REF_MD5;
use crate::{Ctx, data};

/// The `PATCH` size of the chunked tus row.
const CHUNK: u64 = 8 << 20;
/// Parts of the concatenated upload.
const PARTS: u64 = 4;
const READ_BUF: usize = 1 << 20;
const SINGLE: &str = "tus, one unbounded PATCH";

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let (source, md5) = ctx.big_source().await?;
    let size = ctx.plan.size;
    let http = client()?;
    let up = Uploader {
        base: format!("http://{}", ctx.server.http),
        http: &http,
        source: &source,
    };

    let rows = [
        ("tus, 8 MiB PATCHes", "tus-8mib.bin", Some(CHUNK)),
        (SINGLE, "tus-one.bin", None),
    ];
    for (name, remote, chunk) in rows {
        let probe = ctx.server.probe()?;
        up.tus(remote, size, &md5, chunk).await?;
        let usage = probe.finish(&ctx.server)?;
        data::verify_file(&ctx.server.home().join(remote), size, &md5)?;
        ctx.report.transfer(name, size, &usage, REF_MD5, 0.85);
        if chunk.is_none() {
            ctx.report.also_reference(SINGLE);
        }
    }

    let probe = ctx.server.probe()?;
    up.ietf("ietf.bin", size, &md5).await?;
    let usage = probe.finish(&ctx.server)?;
    data::verify_file(&ctx.server.home().join("ietf.bin"), size, &md5)?;
    let name = "IETF draft, create + one PATCH";
    ctx.report.transfer(name, size, &usage, REF_MD5, 0.85);

    let probe = ctx.server.probe()?;
    up.concatenated("tus-parts.bin", size, &md5).await?;
    let usage = probe.finish(&ctx.server)?;
    data::verify_file(&ctx.server.home().join("tus-parts.bin"), size, &md5)?;
    let name = format!("tus, {PARTS} parallel parts + concatenation");
    let rate = mb_per_s(size, usage.secs);
    ctx.report.ratio(&name, rate, "MB/s", SINGLE, 1.05);
    ctx.report.usage(&name, &usage, size);

    for remote in ["tus-8mib.bin", "tus-one.bin", "ietf.bin", "tus-parts.bin"] {
        let path = format!("/files/{remote}");
        send_ok(
            http.delete(crate::http::url(ctx, &path)),
            &format!("DELETE {path}"),
        )
        .await?;
    }
    Ok(())
}

/// Uploads `source` (or a range of it) in each dialect.
struct Uploader<'a> {
    base: String,
    http: &'a reqwest::Client,
    source: &'a Path,
}

impl Uploader<'_> {
    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url = match path.starts_with("http") {
            true => path.to_string(),
            false => format!("{}{path}", self.base),
        };
        self.http.request(method, url)
    }

    fn tus_req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.req(method, path).header("tus-resumable", "1.0.0")
    }

    /// `len` bytes of the source from `start`, streamed.
    async fn body(&self, start: u64, len: u64) -> Result<reqwest::Body> {
        let mut file = tokio::fs::File::open(self.source).await?;
        file.seek(SeekFrom::Start(start)).await?;
        let stream = ReaderStream::with_capacity(file.take(len), READ_BUF);
        Ok(reqwest::Body::wrap_stream(stream))
    }

    /// A tus creation with `headers`; the upload's URL.
    async fn tus_create(&self, headers: &[(&str, String)]) -> Result<String> {
        let mut req = self.tus_req(reqwest::Method::POST, "/api/v1/tus/");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = send_ok(req, "tus POST").await?;
        ensure!(
            resp.status() == StatusCode::CREATED,
            "tus POST: {}",
            resp.status()
        );
        location(&resp)
    }

    /// `PATCH`es `[start, start + len)` to `url` in pieces of at most `chunk` bytes (one
    /// `PATCH` without a chunk).
    async fn tus_send(&self, url: &str, start: u64, len: u64, chunk: Option<u64>) -> Result<()> {
        let mut offset = 0;
        while offset < len {
            let n = chunk.unwrap_or(len).min(len - offset);
            let req = self
                .tus_req(reqwest::Method::PATCH, url)
                .header(CONTENT_TYPE, "application/offset+octet-stream")
                .header("upload-offset", offset)
                .header(CONTENT_LENGTH, n)
                .body(self.body(start + offset, n).await?);
            let resp = send_ok(req, "tus PATCH").await?;
            offset += n;
            let held = header_u64(&resp, "upload-offset")?;
            ensure!(
                held == offset,
                "tus PATCH: Upload-Offset {held}, sent up to {offset}"
            );
        }
        Ok(())
    }

    /// A tus upload of the whole source to `remote` (its MD5 announced in the metadata).
    async fn tus(&self, remote: &str, size: u64, md5: &str, chunk: Option<u64>) -> Result<()> {
        let meta = format!("filename {},md5 {}", b64(remote), b64(md5));
        let created = [
            ("upload-length", size.to_string()),
            ("upload-metadata", meta),
        ];
        let url = self.tus_create(&created).await?;
        self.tus_send(&url, 0, size, chunk).await
    }

    /// The source in [`PARTS`] partial uploads sent at once, joined by a final upload.
    async fn concatenated(&self, remote: &str, size: u64, md5: &str) -> Result<()> {
        let part = size.div_ceil(PARTS);
        let ranges: Vec<(u64, u64)> = (0..PARTS)
            .map(|i| (i * part, part.min(size - (i * part).min(size))))
            .filter(|(_, len)| *len > 0)
            .collect();
        let sends = ranges.iter().map(|&(start, len)| async move {
            let headers = [
                ("upload-length", len.to_string()),
                ("upload-concat", "partial".to_string()),
            ];
            let url = self.tus_create(&headers).await?;
            self.tus_send(&url, start, len, None).await?;
            Ok::<_, anyhow::Error>(url)
        });
        let urls = try_join_all(sends).await?;
        let meta = format!("filename {},md5 {}", b64(remote), b64(md5));
        let headers = [
            ("upload-concat", format!("final;{}", urls.join(" "))),
            ("upload-metadata", meta),
        ];
        self.tus_create(&headers).await?;
        Ok(())
    }

    /// The IETF draft's careful flow: create with `Upload-Complete: ?0`, then one `PATCH`
    /// with `?1` carrying every byte and the whole file's MD5.
    async fn ietf(&self, remote: &str, size: u64, md5: &str) -> Result<()> {
        let create = self
            .req(
                reqwest::Method::POST,
                &format!("/api/v1/resumable/?path=/{remote}"),
            )
            .header("upload-complete", "?0")
            .header("upload-length", size);
        let resp = send_ok(create, "IETF POST").await?;
        ensure!(
            resp.status() == StatusCode::CREATED,
            "IETF POST: {}",
            resp.status()
        );
        let url = location(&resp)?;
        let digest = base64::engine::general_purpose::STANDARD.encode(hex::decode(md5)?);
        let req = self
            .req(reqwest::Method::PATCH, &url)
            .header(CONTENT_TYPE, "application/partial-upload")
            .header("upload-offset", 0)
            .header("upload-complete", "?1")
            .header("repr-digest", format!("md5=:{digest}:"))
            .header(CONTENT_LENGTH, size)
            .body(self.body(0, size).await?);
        let resp = send_ok(req, "IETF PATCH").await?;
        ensure!(
            resp.status() == StatusCode::CREATED,
            "IETF PATCH: {}",
            resp.status()
        );
        Ok(())
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn location(resp: &reqwest::Response) -> Result<String> {
    Ok(resp
        .headers()
        .get(LOCATION)
        .context("no Location")?
        .to_str()?
        .to_string())
}

fn header_u64(resp: &reqwest::Response, name: &str) -> Result<u64> {
    let v = resp
        .headers()
        .get(name)
        .with_context(|| format!("no {name}"))?;
    Ok(v.to_str()?.parse()?)
}
