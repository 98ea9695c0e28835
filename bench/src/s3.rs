//! `--store s3`: Ferry nodes over a real Garage cluster (files) and PostgreSQL (state), next to
//! `object_store` writing and reading the same bytes in the same cluster directly.
//!
//! The cluster and the database are the tests' (`FERRY_TEST_S3_*` and `FERRY_TEST_PG_URL`, or
//! started by `tests/support/garage.sh` and `postgres.sh` when those are unset), each run under
//! a fresh key prefix and database.
//!
//! - The references: the big file as one multipart upload of 8 MiB parts (Ferry's part size),
//!   up to 8 parts in flight as `object_store`'s `WriteMultipart` allows, and one streamed GET.
//! - One node: `ferry put` and `ferry get` of the big file over the raw door, MD5-verified
//!   on both ends, and an HTTP `PUT` and `GET` of it (no MD5 in the client), against those
//!   references. An upload's server RSS grows by the parts it keeps in flight (up to 8 of
//!   8 MiB per upload, 16 server-wide), so its growth has no 16 MiB target here.
//! - Aggregate: 16 files of 1/16 of the big size uploaded at once, first all through one node,
//!   then spread over three; the three-node figure is set against the one-node one.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use bytes::Bytes;
use ferry_client::{Client, GetOptions, NoProgress};
use futures::StreamExt;
use object_store::aws::AmazonS3;
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, WriteMultipart};
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

use crate::raw::put_options;
use crate::refs::{RUNS, best_of, mb_per_s};
use crate::server::{PASSWORD, Server, USER};
use crate::{Ctx, data};

pub const REF_S3_PUT: &str = "ref: object_store multipart PUT to Garage";
pub const REF_S3_GET: &str = "ref: object_store GET from Garage";
const ONE_NODE_16: &str = "s3: 16 uploads at once, one node";

/// Ferry's part size (`ferry_store_s3::DEFAULT_PART_SIZE`), which the reference cuts at too.
const PART: usize = ferry_store_s3::DEFAULT_PART_SIZE as usize;
/// Parts in flight in the reference upload.
const IN_FLIGHT: usize = 8;
/// Files in the aggregate runs.
const FILES: usize = 16;

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let s3 = tokio::task::spawn_blocking(ferry_store_s3::testing::fresh_config).await?;
    let meta = ferry_store_pg::testing::fresh_database().await;
    let (source, md5) = ctx.big_source().await?;
    let size = ctx.plan.size;
    println!(
        "  s3: Garage at {} bucket {} prefix {}",
        s3.endpoint, s3.bucket, s3.prefix
    );

    let direct = s3.client()?;
    let key = Key::from(format!("{}/reference.bin", s3.prefix));
    let put = best_of(RUNS, || direct_put(&direct, &key, &source, size)).await?;
    ctx.report.reference(REF_S3_PUT, put, "MB/s");
    let get = best_of(RUNS, || direct_get(&direct, &key, size)).await?;
    ctx.report.reference(REF_S3_GET, get, "MB/s");
    direct.delete(&key).await?;

    let store = format!("s3://{}/{}", s3.bucket, s3.prefix);
    let args = [
        "--meta",
        &meta,
        "--store",
        &store,
        "--s3-endpoint",
        &s3.endpoint,
        "--s3-region",
        &s3.region,
    ];
    let env = [
        ("AWS_ACCESS_KEY_ID", s3.key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", s3.secret.as_str()),
    ];
    let root = ctx.scratch.join("s3-nodes");
    let mut nodes = Vec::new();
    for n in 0..3 {
        let data = root.join(format!("node-{n}"));
        nodes.push(ctx.server.start_like_env(&data, &args, &env)?);
    }

    let mut client = login(&nodes[0]).await?;
    let name = "s3: raw upload via one node (ferry put)";
    let probe = nodes[0].probe()?;
    let done = client
        .put(&source, Some("/s3-big.bin"), put_options(), &mut NoProgress)
        .await?;
    let usage = probe.finish(&nodes[0])?;
    ensure!(
        done.md5 == md5 && done.entry.md5.map(|m| m.to_string()) == Some(md5.clone()),
        "WRONG BYTES: {name} reports MD5 {} / {:?}, sent {md5}",
        done.md5,
        done.entry.md5
    );
    ctx.report
        .transfer_within(name, size, &usage, REF_S3_PUT, 0.8, None);

    let name = "s3: raw download via one node (ferry get)";
    let local = ctx.scratch.join("s3-download.bin");
    let options = GetOptions {
        overwrite: true,
        retries: 0,
    };
    let probe = nodes[0].probe()?;
    let got = client
        .get("/s3-big.bin", Some(&local), options, &mut NoProgress)
        .await?;
    let usage = probe.finish(&nodes[0])?;
    ensure!(got.md5 == md5, "WRONG BYTES: {name} MD5 {}", got.md5);
    data::verify_file(&local, size, &md5)?;
    std::fs::remove_file(&local)?;
    ctx.report.transfer(name, size, &usage, REF_S3_GET, 0.8);
    client.rm("/s3-big.bin", false).await?;
    client.close().await;
    http_rows(ctx, &nodes[0], &source, &md5).await?;

    let each = (size / FILES as u64).max(1 << 20);
    let small = ctx.scratch.join("s3-each.bin");
    let p = small.clone();
    let each_md5 = tokio::task::spawn_blocking(move || data::make_file(&p, each, 7)).await??;
    let one = at_once(&nodes[..1], &small, &each_md5).await?;
    ctx.report
        .plain(ONE_NODE_16, mb_per_s(each * FILES as u64, one), "MB/s");
    ctx.report.also_reference(ONE_NODE_16);
    let three = at_once(&nodes, &small, &each_md5).await?;
    ctx.report.ratio(
        "s3: 16 uploads at once, three nodes",
        mb_per_s(each * FILES as u64, three),
        "MB/s",
        ONE_NODE_16,
        1.0,
    );
    std::fs::remove_file(&small)?;
    for mut node in nodes {
        node.stop()?;
    }
    Ok(())
}

/// A whole-body HTTP `PUT` of the big file (the server hashes, the client only sends) and a
/// `GET` of it checked by CRC32C as it arrives: the door's own speed over S3, without the
/// client's MD5 on the same two cores.
async fn http_rows(ctx: &mut Ctx, node: &Server, source: &Path, md5: &str) -> Result<()> {
    let size = ctx.plan.size;
    let http = crate::http::client()?;
    let url = format!("http://{}/api/v1/files/s3-http.bin", node.http);
    let name = "s3: HTTP PUT whole body via one node";
    let probe = node.probe()?;
    let file = tokio::fs::File::open(source).await?;
    let resp = http
        .put(&url)
        .basic_auth(USER, Some(PASSWORD))
        .header(reqwest::header::CONTENT_LENGTH, size)
        .header("Content-MD5", crate::http::content_md5(md5)?)
        .body(reqwest::Body::wrap_stream(ReaderStream::with_capacity(
            file,
            1 << 20,
        )))
        .send()
        .await?;
    let status = resp.status();
    let entry: serde_json::Value = resp.json().await?;
    let usage = probe.finish(node)?;
    ensure!(status.is_success(), "{name}: {status}: {entry}");
    crate::http::check_entry(name, &entry, md5)?;
    ctx.report
        .transfer_within(name, size, &usage, REF_S3_PUT, 0.8, None);

    let name = "s3: HTTP GET via one node (CRC32C-checked)";
    let s = source.to_path_buf();
    let (want, _) = tokio::task::spawn_blocking(move || data::crc32c_file(&s)).await??;
    let probe = node.probe()?;
    let resp = http
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await?;
    ensure!(resp.status().is_success(), "{name}: {}", resp.status());
    let (crc, len) = crate::http::crc_of(resp).await?;
    let usage = probe.finish(node)?;
    ensure!(
        len == size && crc == want,
        "WRONG BYTES: {name}: {len} bytes, CRC32C {crc:08x}, expected {want:08x}"
    );
    ctx.report.transfer(name, size, &usage, REF_S3_GET, 0.8);
    http.delete(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await?;
    Ok(())
}

async fn login(node: &Server) -> Result<Client> {
    let mut client = Client::connect(&node.tcp.to_string(), Duration::from_secs(300)).await?;
    client.login(USER, PASSWORD).await?;
    Ok(client)
}

/// `source` as one multipart upload of [`PART`]-byte parts, [`IN_FLIGHT`] at a time, read
/// from the file as it goes: MB/s.
async fn direct_put(s3: &AmazonS3, key: &Key, source: &Path, size: u64) -> Result<f64> {
    let mut file = tokio::fs::File::open(source).await?;
    let started = Instant::now();
    let upload = s3.put_multipart(key).await?;
    let mut write = WriteMultipart::new_with_chunk_size(upload, PART);
    let mut sent = 0u64;
    while sent < size {
        let want = (size - sent).min(PART as u64) as usize;
        let mut buf = vec![0u8; want];
        file.read_exact(&mut buf).await?;
        write.wait_for_capacity(IN_FLIGHT).await?;
        write.put(Bytes::from(buf));
        sent += want as u64;
    }
    write.finish().await?;
    Ok(mb_per_s(size, started.elapsed().as_secs_f64()))
}

/// The object streamed and counted (not kept): MB/s.
async fn direct_get(s3: &AmazonS3, key: &Key, size: u64) -> Result<f64> {
    let started = Instant::now();
    let mut stream = s3.get(key).await?.into_stream();
    let mut got = 0u64;
    while let Some(chunk) = stream.next().await {
        got += chunk?.len() as u64;
    }
    ensure!(
        got == size,
        "the reference GET returned {got} of {size} bytes"
    );
    Ok(mb_per_s(size, started.elapsed().as_secs_f64()))
}

/// [`FILES`] uploads of `source` at once, one connection each, spread over `nodes` in turn,
/// every one MD5-checked: seconds from the first connection to the last commit.
async fn at_once(nodes: &[Server], source: &Path, md5: &str) -> Result<f64> {
    let mut clients = Vec::new();
    for n in 0..FILES {
        clients.push(login(&nodes[n % nodes.len()]).await?);
    }
    let started = Instant::now();
    let uploads = clients
        .into_iter()
        .enumerate()
        .map(|(n, mut client)| async move {
            let remote = format!("/s3-at-once-{n}.bin");
            let done = client
                .put(source, Some(&remote), put_options(), &mut NoProgress)
                .await?;
            ensure!(done.md5 == md5, "WRONG BYTES: {remote} MD5 {}", done.md5);
            Ok::<_, anyhow::Error>((client, remote))
        });
    let done = futures::future::try_join_all(uploads).await?;
    let secs = started.elapsed().as_secs_f64();
    for (mut client, remote) in done {
        client.rm(&remote, false).await?;
        client.close().await;
    }
    Ok(secs)
}
