//! Running one [`ClientCommand`] on a logged-in client; shared by one-shot runs and the shell.

use std::time::Instant;

use serde_json::json;

use super::ClientCommand;
use super::progress::{Bar, transfer_stats};
use super::table::{Row, render_quota};
use ferry_client::{Client, ClientError, GetOptions, PutOptions};

/// Runs `command`, printing its results on stdout.
pub async fn execute(client: &mut Client, command: ClientCommand) -> Result<(), ClientError> {
    match command {
        ClientCommand::Put {
            local,
            remote,
            overwrite,
            retries,
            limit_rate,
        } => {
            client.set_rate_limit(limit_rate);
            let mut bar = Bar::new();
            let started = Instant::now();
            let options = PutOptions { overwrite, retries };
            let result = client
                .put(&local, remote.as_deref(), options, &mut bar)
                .await;
            bar.finish();
            let done = result?;
            let what = if done.up_to_date {
                format!(
                    "already up to date ({})",
                    super::size::format_size(done.size)
                )
            } else {
                transfer_stats(done.size, done.sent, started.elapsed())
            };
            println!(
                "put {} -> {}: {what}, md5 {}",
                local.display(),
                done.entry.path,
                done.md5
            );
        }
        ClientCommand::Get {
            remote,
            local,
            overwrite,
            retries,
            limit_rate,
        } => {
            client.set_rate_limit(limit_rate);
            let mut bar = Bar::new();
            let started = Instant::now();
            let options = GetOptions { overwrite, retries };
            let result = client
                .get(&remote, local.as_deref(), options, &mut bar)
                .await;
            bar.finish();
            let done = result?;
            println!(
                "get {} -> {}: {}, md5 {}",
                done.remote,
                done.local.display(),
                transfer_stats(done.size, done.received, started.elapsed()),
                done.md5
            );
        }
        ClientCommand::Ls { path, json } => {
            let listing = client.ls(path.as_deref()).await?;
            if json {
                let doc = json!({ "path": listing.path, "entries": listing.entries });
                println!("{doc}");
            } else {
                for entry in &listing.entries {
                    println!("{}", Row::from_entry(entry).render());
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
