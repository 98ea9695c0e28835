//! Which stores a command opens: the embedded ones on the data folder (the default), or, with
//! `--meta postgres://…`, the metadata (accounts, tokens, upload records, leases, quota) in a
//! PostgreSQL database that several nodes share, the bytes still in the data folder; with
//! `--store s3://BUCKET` as well, the homes and unfinished uploads' bytes in an S3 bucket, so
//! that nodes share no folder at all.

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use ferry_core::{Config, Ferry};
use ferry_store_local::LocalBlobStore;
use ferry_store_pg::PgMetaStore;
use ferry_store_s3::{S3Config, S3FileStore, S3UploadStore};

/// Where `--store s3://BUCKET[/PREFIX]` keeps the files, and how to reach it.
#[derive(Debug, Clone)]
pub struct S3Store {
    /// `s3://BUCKET[/PREFIX]` as given.
    pub url: String,
    /// The endpoint (`--s3-endpoint`).
    pub endpoint: String,
    /// The region (`--s3-region`).
    pub region: String,
}

/// `--store` and its S3 settings: given to `ferry serve`, and to the account commands (`ferry
/// user …`), which must reach the same homes (`user add` makes one, `user remove --purge`
/// deletes one).
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Keep the homes and unfinished uploads' bytes in this S3 bucket (`s3://BUCKET` or
    /// `s3://BUCKET/PREFIX`) instead of the data folder, so that nodes share no folder. Needs
    /// `--meta` and `--s3-endpoint`; the key is read from `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`. Commands (exec) are unavailable with it.
    #[arg(long, env = "FERRY_STORE", value_name = "URL", value_parser = parse_store, requires = "s3_endpoint")]
    pub store: Option<String>,
    /// The S3 endpoint of `--store` (`https://s3.example.net`, `http://127.0.0.1:3900`).
    #[arg(
        long,
        env = "FERRY_S3_ENDPOINT",
        value_name = "URL",
        requires = "store"
    )]
    pub s3_endpoint: Option<String>,
    /// The region the S3 endpoint signs for (Garage: its `s3_region`).
    #[arg(long, env = "FERRY_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
}

impl StoreArgs {
    /// `--store`'s bucket with its endpoint and region, when given.
    pub fn s3_store(&self) -> Option<S3Store> {
        Some(S3Store {
            url: self.store.clone()?,
            endpoint: self.s3_endpoint.clone()?,
            region: self.s3_region.clone(),
        })
    }
}

/// Checks that `--store` names an S3 bucket; the value is kept as given.
pub fn parse_store(s: &str) -> Result<String, String> {
    match s.strip_prefix("s3://") {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(s.to_string()),
        _ => Err("expected an S3 bucket: s3://BUCKET or s3://BUCKET/PREFIX".into()),
    }
}

impl S3Store {
    /// The stores' settings; the keys come from `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`, as every S3 tool takes them.
    fn config(&self) -> anyhow::Result<S3Config> {
        let rest = self.url.strip_prefix("s3://").unwrap_or(&self.url);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let key = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .with_context(|| format!("--store s3://… needs the S3 key in {name}"))
        };
        Ok(S3Config {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            bucket: bucket.to_string(),
            key_id: key("AWS_ACCESS_KEY_ID")?,
            secret: key("AWS_SECRET_ACCESS_KEY")?,
            prefix: prefix.trim_end_matches('/').to_string(),
        })
    }
}

/// Checks that `--meta` names a PostgreSQL database; the value is kept as given.
pub fn parse_meta(s: &str) -> Result<String, String> {
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        Ok(s.to_string())
    } else {
        Err("expected a PostgreSQL URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE".into())
    }
}

/// Opens the stores and the service over them. `config.data_dir` must exist.
pub async fn open(
    config: Config,
    meta: Option<&str>,
    s3: Option<&S3Store>,
) -> anyhow::Result<Ferry> {
    let Some(url) = meta else {
        if s3.is_some() {
            anyhow::bail!(
                "--store s3://… needs --meta postgres://…: nodes that share the files must \
                 share the accounts, upload records and leases too"
            );
        }
        return Ok(ferry_store_local::open(config).await?);
    };
    state_dir(&config.data_dir)?;
    let meta = Arc::new(
        PgMetaStore::connect(url)
            .await
            .context("cannot open the metadata database (--meta)")?,
    );
    if let Some(s3) = s3 {
        let s3 = s3.config()?;
        let files = Arc::new(S3FileStore::new(&s3).context("cannot reach the S3 store")?);
        let uploads = Arc::new(S3UploadStore::new(&s3).context("cannot reach the S3 store")?);
        return Ok(Ferry::with_stores(config, meta, files, uploads).await?);
    }
    let blobs = Arc::new(LocalBlobStore::open(&config.data_dir)?);
    Ok(Ferry::with_stores(config, meta, blobs.clone(), blobs).await?)
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
    fn only_s3_buckets_are_file_stores() {
        assert!(parse_store("s3://files").is_ok());
        assert!(parse_store("s3://files/ferry/").is_ok());
        assert!(parse_store("s3://").is_err());
        assert!(parse_store("s3:///x").is_err());
        assert!(parse_store("/srv/files").is_err());
    }

    #[test]
    fn only_postgresql_urls_are_metadata_stores() {
        assert!(parse_meta("postgres://db/ferry").is_ok());
        assert!(parse_meta("postgresql://db/ferry").is_ok());
        assert!(parse_meta("mysql://db/ferry").is_err());
        assert!(parse_meta("host=db").is_err());
    }
}
