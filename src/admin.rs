//! `ferry user …`: account administration on a data folder.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use ferry_core::service::check_password_length;
use ferry_core::{Config, ExecPolicy, Ferry, Username};

/// Where the accounts live, and the password rule.
#[derive(Debug, Args)]
pub struct DataArg {
    /// Data folder (same default as `ferry serve`). It must already be one (made by `ferry
    /// serve` or `--init`): a mistyped path is refused rather than made a new, empty one.
    #[arg(long, env = "FERRY_DATA", default_value = "ferry-data")]
    data: PathBuf,
    /// Make DATA a new data folder if it is not one yet.
    #[arg(long)]
    init: bool,
    /// The PostgreSQL database the servers keep their metadata in (`ferry serve --meta`):
    /// accounts are changed there, and DATA need not be a data folder yet.
    #[arg(long, env = "FERRY_META", value_name = "URL", value_parser = crate::stores::parse_meta)]
    meta: Option<String>,
    /// The homes' S3 store, as `ferry serve` is given it.
    #[command(flatten)]
    files: crate::stores::StoreArgs,
    /// Fewest characters a new password may have.
    #[arg(long, env = "FERRY_MIN_PASSWORD_LENGTH", default_value_t = ferry_core::service::DEFAULT_MIN_PASSWORD_LENGTH)]
    min_password_length: usize,
}

/// Whether `dir` holds a Ferry data folder: its state folder with the server secret, which
/// `ferry serve` makes on first start.
pub fn is_data_folder(dir: &std::path::Path) -> bool {
    dir.join("state").join("secret").is_file()
}

/// Account commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account and its home folder.
    Add {
        /// User name: 1–32 of a-z, 0-9, `_`, `-`.
        name: String,
        /// Byte quota, e.g. `500MiB`, `10GiB` (unlimited when absent).
        #[arg(long)]
        quota: Option<String>,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// What the user may run: `off` (default), `allow:PROG[,PROG…]` (programs on the
        /// server's fixed PATH, argument vectors only) or `shell` (any `sh -c` command string:
        /// only for trusted users).
        #[arg(long, value_name = "POLICY")]
        exec: Option<ExecPolicy>,
        /// Give the account the admin role (the admin HTTP API and page section); the first
        /// account of a data folder always gets it.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        data: DataArg,
    },
    /// Change an account's password.
    Passwd {
        /// User name.
        name: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataArg,
    },
    /// Change an account's settings.
    Set {
        /// User name.
        name: String,
        /// New byte quota (`none` for unlimited).
        #[arg(long)]
        quota: Option<String>,
        /// What the user may run: `off`, `allow:PROG[,PROG…]` or `shell` (trusted users only).
        #[arg(long, value_name = "POLICY")]
        exec: Option<ExecPolicy>,
        /// The user's ceiling on a command's timeout in seconds (`none`: the server's maximum).
        #[arg(long, value_name = "SECS")]
        exec_max_timeout: Option<String>,
        /// Give (`true`) or take (`false`) the admin role.
        #[arg(long, value_name = "BOOL")]
        admin: Option<bool>,
        #[command(flatten)]
        data: DataArg,
    },
    /// Delete an account (its files stay unless `--purge`).
    Remove {
        /// User name.
        name: String,
        /// Also delete the home folder and everything in it.
        #[arg(long)]
        purge: bool,
        #[command(flatten)]
        data: DataArg,
    },
    /// List accounts.
    List {
        /// One JSON document for scripts.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArg,
    },
}

async fn open(data: &DataArg) -> anyhow::Result<Ferry> {
    if !data.init && data.meta.is_none() && !is_data_folder(&data.data) {
        bail!(
            "{} is not a Ferry data folder (it has no state/secret); name the server's with \
             --data or FERRY_DATA, or pass --init to make a new one there",
            data.data.display()
        );
    }
    std::fs::create_dir_all(&data.data)
        .with_context(|| format!("cannot create the data folder {}", data.data.display()))?;
    let s3 = data.files.s3_store();
    crate::stores::open(Config::new(&data.data), data.meta.as_deref(), s3.as_ref()).await
}

fn parse_quota(s: Option<&str>) -> anyhow::Result<Option<u64>> {
    match s {
        None => Ok(None),
        Some("none" | "unlimited") => Ok(None),
        Some(s) => crate::cli::size::parse_size(s)
            .map(Some)
            .map_err(|e| anyhow::anyhow!(e)),
    }
}

pub async fn run(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            name,
            quota,
            password_stdin,
            exec,
            admin,
            data,
        } => {
            let name: Username = name.parse()?;
            let quota = parse_quota(quota.as_deref())?;
            let ferry = open(&data).await?;
            let password = read_password(password_stdin, &format!("password for {name}: "))?;
            check_password_length(&password, data.min_password_length)?;
            ferry.add_user(name.clone(), password, quota).await?;
            if let Some(policy) = exec {
                ferry.set_exec(name.clone(), policy).await?;
            }
            if admin {
                ferry.set_admin(name.clone(), true).await?;
            }
            println!("created user {name}");
        }
        UserCommand::Passwd {
            name,
            password_stdin,
            data,
        } => {
            let name: Username = name.parse()?;
            let ferry = open(&data).await?;
            let password = read_password(password_stdin, &format!("new password for {name}: "))?;
            check_password_length(&password, data.min_password_length)?;
            ferry.set_password(name.clone(), password).await?;
            println!("changed the password of {name}");
        }
        UserCommand::Set {
            name,
            quota,
            exec,
            exec_max_timeout,
            admin,
            data,
        } => {
            let name: Username = name.parse()?;
            let max_timeout = match exec_max_timeout.as_deref() {
                None => None,
                Some("none") => Some(None),
                Some(s) => {
                    Some(Some(s.parse::<u64>().ok().filter(|n| *n > 0).context(
                        "--exec-max-timeout takes whole seconds or `none`",
                    )?))
                }
            };
            let ferry = open(&data).await?;
            if let Some(q) = quota {
                ferry
                    .set_quota(name.clone(), parse_quota(Some(&q))?)
                    .await?;
            }
            if let Some(policy) = exec {
                ferry.set_exec(name.clone(), policy).await?;
            }
            if let Some(secs) = max_timeout {
                ferry.set_exec_max_timeout(name.clone(), secs).await?;
            }
            if let Some(admin) = admin {
                ferry.set_admin(name.clone(), admin).await?;
            }
            println!("updated user {name}");
        }
        UserCommand::Remove { name, purge, data } => {
            let name: Username = name.parse()?;
            open(&data).await?.remove_user(name.clone(), purge).await?;
            println!(
                "removed user {name}{}",
                if purge { " and their files" } else { "" }
            );
        }
        UserCommand::List { json, data } => {
            let users = open(&data).await?.list_users().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                use crate::cli::{size::format_size, table::format_time};
                let rows = users.iter().map(|u| {
                    [
                        u.name.to_string(),
                        u.quota.map_or_else(|| "none".to_string(), format_size),
                        u.exec.to_string(),
                        u.exec_max_timeout_secs
                            .map_or_else(|| "-".to_string(), |s| format!("{s} s")),
                        format_time(u.created),
                        if u.admin { "admin" } else { "-" }.to_string(),
                    ]
                });
                for line in user_table(rows) {
                    println!("{line}");
                }
            }
        }
    }
    Ok(())
}

/// `user list` as aligned columns under a header: one row of cells per account.
fn user_table(rows: impl Iterator<Item = [String; 6]>) -> Vec<String> {
    let header = [
        "NAME",
        "QUOTA",
        "EXEC",
        "EXEC LIMIT",
        "CREATED (UTC)",
        "ROLE",
    ];
    let mut cells = vec![header.map(str::to_string).to_vec()];
    cells.extend(rows.map(|row| row.to_vec()));
    crate::cli::table::align(&cells, &[false, true, false, true, false, false])
}

fn read_password(from_stdin: bool, prompt: &str) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        let first = rpassword::prompt_password(prompt)?;
        let again = rpassword::prompt_password("again: ")?;
        if first != again {
            bail!("the passwords differ");
        }
        first
    };
    if password.is_empty() {
        bail!("the password is empty");
    }
    Ok(password)
}

/// 24 random characters from a 62-letter alphabet (~143 bits).
pub fn random_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(24);
    while out.len() < 24 {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        // Rejection sampling keeps every letter equally likely.
        for x in b.iter().filter(|x| (**x as usize) < 62 * 4) {
            if out.len() < 24 {
                out.push(ALPHABET[*x as usize % 62] as char);
            }
        }
    }
    Ok(out)
}
