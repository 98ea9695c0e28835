//! Request rates under a load generator: `GET` of a 4 KiB file and a listing of the folder of
//! small files, with `wrk` (installed with apt-get if missing; a built-in generator otherwise).

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use ferry_core::fast_md5::Md5;
use md5::Digest;
use serde_json::Value;

use crate::Ctx;
use crate::http::{client, send_ok, url};
use crate::server::{PASSWORD, USER};
use crate::small::{LISTED, make_files, raw};

/// Connections and threads the generator uses.
const CONNECTIONS: usize = 16;
const THREADS: usize = 2;

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let n = ctx.plan.small_files;
    let listed = ctx.server.home().join(LISTED);
    let files = make_files(ctx)?;
    if !listed.is_dir() {
        raw(ctx, &files, LISTED, 1).await?;
    }
    let (first, md5) = &files[0];
    let name = first.file_name().context("no name")?.to_string_lossy();
    let file_url = url(ctx, &format!("/files/{LISTED}/{name}"));
    let list_url = url(ctx, &format!("/dirs/{LISTED}"));

    // What the generator will ask for must be right before its rate means anything.
    let http = client()?;
    let body = send_ok(http.get(&file_url), &format!("GET {file_url}"))
        .await?
        .bytes()
        .await?;
    let got = hex::encode(Md5::digest(&body));
    ensure!(
        &got == md5,
        "WRONG BYTES: GET {file_url} hashed to {got}, expected {md5}"
    );
    let listing: Value = send_ok(http.get(&list_url), &format!("GET {list_url}"))
        .await?
        .json()
        .await?;
    let page = listing["entries"].as_array().map_or(0, Vec::len);
    ensure!(
        page == n.min(1000) && listing["next"].is_null() == (n <= 1000),
        "the listing of {LISTED} shows {page} entries (next {}), the folder holds {n}",
        listing["next"]
    );

    let tool = Tool::find();
    let secs = ctx.plan.wrk;
    let targets = [
        (&file_url, "HTTP GET 4 KiB file".to_string(), 10_000.0),
        (
            &list_url,
            format!("HTTP list {n}-entry folder, {page}/page"),
            200.0,
        ),
    ];
    for (target_url, name, floor) in targets {
        let rate = tool.rate(target_url, secs).await?;
        let name = format!("{name} ({})", tool.name());
        ctx.report.absolute(&name, rate, "req/s", floor);
    }
    Ok(())
}

/// The load generator.
enum Tool {
    Wrk,
    /// `wrk` is missing and could not be installed: reqwest from this process (which shares
    /// the CPU with the server and is slower than wrk, so its figures are lower bounds).
    Builtin,
}

impl Tool {
    fn find() -> Tool {
        if has_wrk() {
            return Tool::Wrk;
        }
        let installed = crate::install::apt_install("wrk");
        if installed && has_wrk() {
            Tool::Wrk
        } else {
            println!("  could not install wrk: using the built-in generator (lower bounds)");
            Tool::Builtin
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Tool::Wrk => "wrk",
            Tool::Builtin => "built-in generator",
        }
    }

    /// Successful requests per second for `url` over `secs`; any failed request is an error.
    async fn rate(&self, url: &str, secs: Duration) -> Result<f64> {
        match self {
            Tool::Wrk => wrk(url, secs).await,
            Tool::Builtin => builtin(url, secs).await,
        }
    }
}

fn has_wrk() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
}

fn basic() -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    format!("Authorization: Basic {token}")
}

async fn wrk(url: &str, secs: Duration) -> Result<f64> {
    let out = tokio::process::Command::new("wrk")
        .arg(format!("-t{THREADS}"))
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{}s", secs.as_secs().max(1)))
        .args(["-H", &basic()])
        .arg(url)
        .output()
        .await
        .context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(line) = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses"))
    {
        bail!("wrk saw failed requests on {url}: {}", line.trim());
    }
    let rate = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .with_context(|| format!("no Requests/sec in wrk's output: {text}"))?
        .trim()
        .parse::<f64>()?;
    Ok(rate)
}

async fn builtin(url: &str, secs: Duration) -> Result<f64> {
    let http = client()?;
    let deadline = Instant::now() + secs;
    let started = Instant::now();
    let workers = (0..CONNECTIONS).map(|_| {
        let http = http.clone();
        async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                http.get(url)
                    .basic_auth(USER, Some(PASSWORD))
                    .send()
                    .await?
                    .error_for_status()?
                    .bytes()
                    .await?;
                done += 1;
            }
            anyhow::Ok(done)
        }
    });
    let total: u64 = futures::future::try_join_all(workers).await?.iter().sum();
    Ok(total as f64 / started.elapsed().as_secs_f64())
}
