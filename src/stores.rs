//! Which stores a command opens: the embedded ones on the data folder (the default), or, with
//! `--meta postgres://…`, the metadata (accounts, tokens, upload records, leases, quota) in a
//! PostgreSQL database that several nodes share, the bytes still in the data folder.

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use ferry_core::{Config, Ferry};
use ferry_store_local::LocalBlobStore;
use ferry_store_pg::PgMetaStore;

/// Checks that `--meta` names a PostgreSQL database; the value is kept as given.
pub fn parse_meta(s: &str) -> Result<String, String> {
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        Ok(s.to_string())
    } else {
        Err("expected a PostgreSQL URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE".into())
    }
}

/// Opens the stores and the service over them. `config.data_dir` must exist.
pub async fn open(config: Config, meta: Option<&str>) -> anyhow::Result<Ferry> {
    let Some(url) = meta else {
        return Ok(ferry_store_local::open(config).await?);
    };
    state_dir(&config.data_dir)?;
    let meta = PgMetaStore::connect(url)
        .await
        .context("cannot open the metadata database (--meta)")?;
    let blobs = Arc::new(LocalBlobStore::open(&config.data_dir)?);
    Ok(Ferry::with_stores(config, Arc::new(meta), blobs.clone(), blobs).await?)
}

/// `DATA/state`, which the embedded metadata store would have made: the first run's admin
/// password is kept there.
fn state_dir(data: &Path) -> anyhow::Result<()> {
    let state = data.join("state");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&state)
        .with_context(|| format!("cannot create {}", state.display()))
}

/// `--meta`'s value with its password masked, for printing.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:********@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail: Vec<String> = tail
        .split('&')
        .map(|part| match part.split_once("password=") {
            Some((before, _)) if before.is_empty() || before.ends_with('?') => {
                format!("{before}password=********")
            }
            _ => part.to_string(),
        })
        .collect();
    format!("{scheme}://{authority}{}", tail.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_masked_wherever_the_url_gives_it() {
        let cases = [
            (
                "postgres://ferry:s3cret@db:5432/ferry",
                "postgres://ferry:********@db:5432/ferry",
            ),
            (
                "postgres://ferry@db/ferry?password=s3cret&sslmode=disable",
                "postgres://ferry@db/ferry?password=********&sslmode=disable",
            ),
            (
                "postgresql://db/ferry?application_name=x&password=s3cret",
                "postgresql://db/ferry?application_name=x&password=********",
            ),
            ("postgres://ferry@db/ferry", "postgres://ferry@db/ferry"),
        ];
        for (given, shown) in cases {
            assert_eq!(mask_password(given), shown);
        }
    }

    #[test]
    fn only_postgresql_urls_are_metadata_stores() {
        assert!(parse_meta("postgres://db/ferry").is_ok());
        assert!(parse_meta("postgresql://db/ferry").is_ok());
        assert!(parse_meta("mysql://db/ferry").is_err());
        assert!(parse_meta("host=db").is_err());
    }
}
