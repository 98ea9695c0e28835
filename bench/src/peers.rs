//! nginx as a peer in the same run: the same 4 KiB file and the same folder of small files
//! served by nginx on loopback and by Ferry, both under `wrk -t2 -c64`, with the ratios.
//!
//! nginx runs unprivileged from a config generated in a temp folder (pid file, logs and every
//! temp path inside it), as one master with two workers on `127.0.0.1`, serving Ferry's data
//! folder read-only: the files are the very ones Ferry serves. nginx and wrk come from
//! Debian's packages, installed by the harness when missing ([`crate::install`]); where that
//! cannot be done (no root, no sudo), a smoke run prints why the rows are skipped and a full
//! run fails and says how to install.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use serde_json::Value;

use crate::Ctx;
use crate::http::{client, send_ok, url};
use crate::server::{PASSWORD, USER};
use crate::small::{LISTED, make_files, raw};

/// Load generator shape for every peer row.
const THREADS: usize = 2;
const CONNECTIONS: usize = 64;

pub async fn run(ctx: &mut Ctx) -> Result<()> {
    let Some(nginx) = find_or_install("nginx") else {
        return missing(ctx, "nginx");
    };
    if find_or_install("wrk").is_none() {
        return missing(ctx, "wrk");
    }
    let files = make_files(ctx)?;
    let listed = ctx.server.home().join(LISTED);
    if !listed.is_dir() {
        raw(ctx, &files, LISTED, 1).await?;
    }
    let name = files[0]
        .0
        .file_name()
        .context("no name")?
        .to_string_lossy()
        .into_owned();
    let peer = Nginx::start(&nginx, &ctx.server.home(), &ctx.scratch.join("nginx"))?;
    let secs = ctx.plan.wrk;

    let ferry_file = url(ctx, &format!("/files/{LISTED}/{name}"));
    let nginx_file = format!("http://{}/{LISTED}/{name}", peer.addr);
    let (same, _) = fetch(&nginx_file, &[]).await?;
    let (ours, _) = fetch(&ferry_file, &[basic()]).await?;
    ensure!(
        same == ours,
        "nginx and Ferry serve different bytes for {name}"
    );

    let token = login(ctx).await?;
    let bearer = format!("Authorization: Bearer {token}");
    let nginx_get = wrk(&nginx_file, &[], None, secs).await?;
    let bearer_rate = wrk(&ferry_file, std::slice::from_ref(&bearer), None, secs).await?;
    let basic_rate = wrk(&ferry_file, &[basic()], None, secs).await?;
    let get = "peer: nginx GET 4 KiB (wrk -t2 -c64)";
    ctx.report.reference(get, nginx_get, "req/s");
    ctx.report
        .ratio("Ferry GET 4 KiB, bearer", bearer_rate, "req/s", get, 0.5);
    ctx.report
        .ratio("Ferry GET 4 KiB, Basic", basic_rate, "req/s", get, 0.5);

    // The whole folder: nginx in one JSON autoindex, Ferry in its pages.
    let nginx_list = format!("http://{}/{LISTED}/", peer.addr);
    let (index, _) = fetch(&nginx_list, &[]).await?;
    let entries = serde_json::from_slice::<Value>(&index)?
        .as_array()
        .map_or(0, Vec::len);
    let pages = ferry_pages(ctx, &token).await?;
    ensure!(
        entries == files.len(),
        "nginx lists {entries} entries, the folder holds {}",
        files.len()
    );
    let script = ctx.scratch.join("pages.lua");
    std::fs::write(&script, lua_rotation(&pages))?;
    let nginx_rate = wrk(&nginx_list, &[], None, secs).await?;
    let page_rate = wrk(&url(ctx, "/"), &[bearer], Some(&script), secs).await?;
    let list = format!("peer: nginx JSON autoindex of {entries} entries");
    ctx.report.reference(&list, nginx_rate, "lists/s");
    ctx.report.ratio(
        &format!(
            "Ferry full listing of {entries} entries ({} pages)",
            pages.len()
        ),
        page_rate / pages.len() as f64,
        "lists/s",
        &list,
        1.0,
    );
    println!(
        "  peers: GET 4 KiB bearer {:.2}x, Basic {:.2}x nginx; full listing {:.2}x nginx",
        bearer_rate / nginx_get,
        basic_rate / nginx_get,
        page_rate / pages.len() as f64 / nginx_rate,
    );
    drop(peer);
    Ok(())
}

/// Skips (smoke) or fails (full run) for want of `tool`.
fn missing(ctx: &Ctx, tool: &str) -> Result<()> {
    let how = format!("install it with `apt-get install -y {tool}`");
    if ctx.plan.smoke {
        println!("  peers: skipped, {tool} is not installed; {how}");
        return Ok(());
    }
    bail!("{tool} is needed for the peer rows: {how}")
}

/// `name` as [`find`] finds it, installed from its Debian package first if missing.
fn find_or_install(name: &str) -> Option<PathBuf> {
    find(name).or_else(|| {
        crate::install::apt_install(name);
        find(name)
    })
}

/// `name` on the PATH or in `/usr/sbin` (where Debian puts nginx).
fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn basic() -> String {
    let pair = format!("{USER}:{PASSWORD}");
    format!(
        "Authorization: Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

async fn login(ctx: &Ctx) -> Result<String> {
    let doc = serde_json::json!({"username": USER, "password": PASSWORD});
    let resp = send_ok(client()?.post(url(ctx, "/login")).json(&doc), "login").await?;
    let v: Value = resp.json().await?;
    Ok(v["token"]
        .as_str()
        .context("no token in the login reply")?
        .to_string())
}

/// The paths of every page of the listed folder, as Ferry pages it.
async fn ferry_pages(ctx: &Ctx, token: &str) -> Result<Vec<String>> {
    let http = client()?;
    let mut pages = vec![format!("/api/v1/dirs/{LISTED}")];
    loop {
        let last = pages.last().cloned().unwrap_or_default();
        let page_url = format!("http://{}{last}", ctx.server.http);
        let v: Value = send_ok(http.get(&page_url).bearer_auth(token), "list")
            .await?
            .json()
            .await?;
        match v["next"].as_str() {
            // File names here are `fNNNNN`: nothing to escape in a query.
            Some(next) => pages.push(format!("/api/v1/dirs/{LISTED}?after={next}")),
            None => break,
        }
    }
    Ok(pages)
}

/// A wrk script that asks for each page in turn, so one "request" rate covers every page.
fn lua_rotation(pages: &[String]) -> String {
    let list: Vec<String> = pages.iter().map(|p| format!("{p:?}")).collect();
    format!(
        "local pages = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i % #pages + 1\n  \
         return wrk.format(\"GET\", pages[i])\nend\n",
        list.join(", ")
    )
}

async fn fetch(target: &str, headers: &[String]) -> Result<(Vec<u8>, u16)> {
    let mut req = client()?.get(target);
    for h in headers {
        if let Some((k, v)) = h.split_once(": ") {
            req = req.header(k, v);
        }
    }
    let resp = send_ok(req, target).await?;
    let status = resp.status().as_u16();
    Ok((resp.bytes().await?.to_vec(), status))
}

/// Requests per second from `wrk -t2 -c64`; any non-2xx answer is an error.
async fn wrk(
    target: &str,
    headers: &[String],
    script: Option<&Path>,
    secs: Duration,
) -> Result<f64> {
    let mut cmd = tokio::process::Command::new("wrk");
    cmd.arg(format!("-t{THREADS}"))
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{}s", secs.as_secs().max(1)));
    for h in headers {
        cmd.args(["-H", h]);
    }
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd.arg(target).output().await.context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "wrk failed on {target}: {text}");
    if let Some(line) = text.lines().find(|l| l.contains("Non-2xx or 3xx")) {
        bail!("wrk saw failed requests on {target}: {}", line.trim());
    }
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .with_context(|| format!("no Requests/sec in wrk's output: {text}"))?
        .trim()
        .parse::<f64>()
        .map_err(Into::into)
}

/// An nginx child on an ephemeral loopback port; stopped on drop.
struct Nginx {
    child: Child,
    addr: std::net::SocketAddr,
}

impl Nginx {
    fn start(bin: &Path, root: &Path, dir: &Path) -> Result<Nginx> {
        std::fs::create_dir_all(dir)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let d = dir.display();
        // As root, workers would switch to `nobody`, who cannot read the 0700 home.
        let user = if is_root() { "user root;\n" } else { "" };
        let conf = format!(
            "{user}daemon off;\nworker_processes 2;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  keepalive_requests 1000000;\n  \
             client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             server {{\n    listen 127.0.0.1:{port};\n    root {};\n    \
             location / {{ autoindex on; autoindex_format json; }}\n  }}\n}}\n",
            root.display()
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let child = Command::new(bin)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            ensure!(
                Instant::now() < deadline,
                "nginx did not listen on {addr}; see {d}/error.log"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Nginx { child, addr })
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT is nginx's graceful stop; the master takes its workers with it.
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}
