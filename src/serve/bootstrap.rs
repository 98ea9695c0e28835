//! First run: the `admin` account, and where its password is kept.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ferry_core::{Ferry, Username};

/// The file a random first-run password is written to, inside the data folder.
pub fn password_file(data: &Path) -> PathBuf {
    data.join("state").join("initial-admin-password")
}

/// On first run (no accounts), creates `admin` (the admin role, as the first account always
/// has) with `FERRY_ADMIN_PASSWORD` or a random password; a data folder from before the role
/// existed gets one admin (`admin`, else the oldest account). A random one is printed once with the banner and also written to
/// `DATA/state/initial-admin-password` (mode 0600, the server's user only), so it is not lost
/// when the banner went to a log nobody kept; delete the file once it has been read.
pub async fn admin(ferry: &Ferry, data: &Path, min_password_length: usize) -> anyhow::Result<()> {
    if ferry.has_users().await? {
        if let Some(name) = ferry.ensure_admin().await? {
            println!("ferry: gave the admin role to {name} (no account had it)");
        }
        return Ok(());
    }
    let admin: Username = "admin".parse()?;
    // The server's environment stays readable in /proc/PID/environ whatever is unset later (and
    // unsetting is `unsafe` in this edition), so the secrets are kept from commands instead:
    // the server process is made non-dumpable at start, which makes its /proc files root-only,
    // and commands run in their own PID namespace and never inherit the environment.
    let (password, shown) = match std::env::var("FERRY_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => {
            ferry_core::service::check_password_length(&p, min_password_length)
                .context("FERRY_ADMIN_PASSWORD")?;
            (p, false)
        }
        _ => (crate::admin::random_password()?, true),
    };
    if shown {
        write_password_file(&password_file(data), &password)?;
    }
    ferry.add_user(admin, password.clone(), None).await?;
    if shown {
        println!("ferry: created user admin with password {password}");
        println!(
            "ferry: (shown once, and kept in {} until you delete it; change it with `ferry user \
             passwd admin`)",
            password_file(data).display()
        );
    } else {
        println!("ferry: created user admin with the password from FERRY_ADMIN_PASSWORD");
    }
    Ok(())
}

/// Writes the password to a new file only the server's user can read.
fn write_password_file(path: &Path, password: &str) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(file, "{password}").with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
