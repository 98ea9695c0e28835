//! Running one [`ClientCommand`] on a logged-in client; shared by one-shot runs and the shell.

use std::time::{Duration, Instant};

use serde_json::json;

use super::ClientCommand;
use super::args::{GetArgs, PutArgs};
use super::progress::{Bar, transfer_stats};
use super::table::{Row, render_quota, render_rows};
use ferry_client::{Client, ClientError, GetOptions, PutOptions};

/// Runs one transfer at `limit_rate` under a progress bar, cleared before the outcome is
/// printed; returns the outcome and how long the transfer took.
async fn with_bar<T>(
    client: &mut Client,
    limit_rate: Option<u64>,
    transfer: impl AsyncFnOnce(&mut Client, &mut Bar) -> Result<T, ClientError>,
) -> Result<(T, Duration), ClientError> {
    client.set_rate_limit(limit_rate);
    let mut bar = Bar::new();
    let started = Instant::now();
    let result = transfer(client, &mut bar).await;
    bar.finish();
    Ok((result?, started.elapsed()))
}

/// `put`: one summary line, or "already up to date" when nothing had to be sent.
async fn put(client: &mut Client, args: PutArgs) -> Result<(), ClientError> {
    let PutArgs {
        local,
        remote,
        overwrite,
        link,
    } = args;
    let options = PutOptions {
        overwrite,
        retries: link.retries,
        parents: true,
    };
    let (done, took) = with_bar(client, link.limit_rate, async |client, bar| {
        client.put(&local, remote.as_deref(), options, bar).await
    })
    .await?;
    let what = if done.up_to_date {
        format!(
            "already up to date ({})",
            super::size::format_size(done.size)
        )
    } else {
        transfer_stats(done.size, done.sent, took)
    };
    println!(
        "put {} -> {}: {what}, md5 {}",
        local.display(),
        done.entry.path,
        done.md5
    );
    Ok(())
}

/// `get`: one summary line with the transfer's statistics and MD5.
async fn get(client: &mut Client, args: GetArgs) -> Result<(), ClientError> {
    let options = GetOptions {
        overwrite: args.overwrite,
        retries: args.link.retries,
    };
    let (done, took) = with_bar(client, args.link.limit_rate, async |client, bar| {
        client
            .get(&args.remote, args.local.as_deref(), options, bar)
            .await
    })
    .await?;
    println!(
        "get {} -> {}: {}, md5 {}",
        done.remote,
        done.local.display(),
        transfer_stats(done.size, done.received, took),
        done.md5
    );
    Ok(())
}

/// Runs `command`, printing its results on stdout.
pub async fn execute(client: &mut Client, command: ClientCommand) -> Result<(), ClientError> {
    match command {
        ClientCommand::Put(args) => put(client, args).await?,
        ClientCommand::Get(args) => get(client, args).await?,
        ClientCommand::Ls {
            path,
            json,
            bytes,
            long: _,
            human: _,
            help: _,
        } => {
            let listing = client.ls(path.as_deref()).await?;
            if json {
                let doc = json!({ "path": listing.path, "entries": listing.entries });
                println!("{doc}");
            } else {
                let rows: Vec<Row> = listing.entries.iter().map(Row::from_entry).collect();
                for line in render_rows(&rows, !bytes) {
                    println!("{line}");
                }
            }
        }
        ClientCommand::Mkdir { path, parents } => {
            client.mkdir(&path, parents).await?;
        }
        ClientCommand::Rm { path, recursive } => client.rm(&path, recursive).await?,
        ClientCommand::Mv {
            from,
            to,
            overwrite,
        } => {
            client.mv(&from, &to, overwrite).await?;
        }
        ClientCommand::Quota { json } => {
            let quota = client.quota().await?;
            if json {
                println!("{}", json!(quota));
            } else {
                print!("{}", render_quota(&quota));
            }
        }
        ClientCommand::Exec { timeout, sh, argv } => {
            super::exec::run(client, timeout, sh, argv).await?;
        }
        ClientCommand::Shell => {
            return Err(ClientError::Refused {
                code: "bad_request",
                message: "already in a shell".into(),
            });
        }
    }
    Ok(())
}
