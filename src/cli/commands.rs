//! Running one [`ClientCommand`] on a logged-in client; shared by one-shot runs and the shell.

use std::time::{Duration, Instant};

use serde_json::json;

use super::ClientCommand;
use super::args::{GetArgs, PutArgs, ShareArgs};
use super::progress::{Bar, transfer_stats};
use super::table::{Row, render_quota, render_rows, skipped_notice};
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

/// `put`: one file as it always was, several files and folders as a batch.
async fn put(client: &mut Client, args: PutArgs) -> Result<(), ClientError> {
    // A folder without -r is refused there too, with the code it always had.
    let one_file = args.paths.len() <= 2 && !(args.batch.recursive && args.paths[0].is_dir());
    if !one_file || args.batch.json {
        return super::batch::put(client, args).await;
    }
    let PutArgs {
        paths,
        overwrite,
        no_parents,
        link,
        batch: _,
    } = args;
    let local = paths[0].clone();
    let remote = paths
        .get(1)
        .map(|r| {
            r.to_str()
                .map(str::to_string)
                .ok_or_else(|| ClientError::Refused {
                    code: "invalid_path",
                    message: format!("{} is not UTF-8", r.display()),
                })
        })
        .transpose()?;
    let options = PutOptions {
        overwrite,
        retries: link.retries,
        parents: !no_parents,
        assume_absent: false,
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

/// `get`: one file as it always was, several files and folders as a batch.
async fn get(client: &mut Client, args: GetArgs) -> Result<(), ClientError> {
    if args.paths.len() > 2 || args.batch.recursive || args.batch.json {
        return super::batch::get(client, args).await;
    }
    let options = GetOptions {
        overwrite: args.overwrite,
        retries: args.link.retries,
    };
    let remote = &args.paths[0];
    let local = args.paths.get(1).map(std::path::PathBuf::from);
    let (done, took) = with_bar(client, args.link.limit_rate, async |client, bar| {
        client.get(remote, local.as_deref(), options, bar).await
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

/// `share`: the new link, whole when the HTTP address is known.
async fn share(client: &mut Client, args: ShareArgs) -> Result<(), ClientError> {
    let password = if args.password {
        Some(super::password::read_new_password("Link password").await?)
    } else {
        None
    };
    let info = client
        .share(
            &args.path,
            args.expires,
            password,
            args.max_downloads,
            args.upload,
        )
        .await?;
    let link = match args.base.as_deref() {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), info.url),
        None => info.url.clone(),
    };
    println!("{link}");
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
                let doc = json!({
                    "path": listing.path,
                    "entries": listing.entries,
                    "skipped": listing.skipped,
                });
                println!("{doc}");
            } else {
                let rows: Vec<Row> = listing.entries.iter().map(Row::from_entry).collect();
                for line in render_rows(&rows, !bytes) {
                    println!("{line}");
                }
                if listing.skipped > 0 {
                    eprintln!("{}", skipped_notice(listing.skipped));
                }
            }
        }
        ClientCommand::Find {
            pattern,
            path,
            json,
        } => {
            let mut page = client.find_page(&pattern, path.as_deref(), None).await?;
            // Later pages search below the folder the first page reported, whatever the
            // spelling of `path` (the cursor is only valid there).
            let under = page.under.to_string();
            loop {
                for e in &page.entries {
                    if json {
                        println!("{}", json!(e));
                    } else {
                        let slash = if e.kind == ferry_core::model::EntryKind::Dir {
                            "/"
                        } else {
                            ""
                        };
                        println!("{}{slash}", e.path);
                    }
                }
                let Some(cursor) = page.next.take() else {
                    break;
                };
                page = client
                    .find_page(&pattern, Some(&under), Some(cursor))
                    .await?;
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
        ClientCommand::Passwd => {
            let new = super::password::read_new_password("New password").await?;
            client.passwd(&new).await?;
            println!("password changed; other logins were revoked");
        }
        ClientCommand::Share(args) => share(client, args).await?,
        ClientCommand::Shares { json } => {
            let shares = client.shares().await?;
            if json {
                println!("{}", json!({ "shares": shares }));
            } else {
                for s in &shares {
                    let state = serde_json::to_value(s.state).unwrap_or_default();
                    let limit = s.max_downloads.map_or(String::new(), |m| format!("/{m}"));
                    println!(
                        "{}  {:<9} {:>4}{limit:<5} {}",
                        s.id,
                        state.as_str().unwrap_or("?"),
                        s.downloads,
                        s.path
                    );
                }
            }
        }
        ClientCommand::Unshare { id } => {
            client.unshare(&id).await?;
            println!("revoked /s/{id}");
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
