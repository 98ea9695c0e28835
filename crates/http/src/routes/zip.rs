//! A zip streamed as it is made — of a share link's folder, or of a user's folder or
//! selection: no temporary file, memory bounded by one read chunk and the pipe between the
//! writer task and the response body. What goes in is the core's ([`ferry_core::ZipPlan`],
//! [`ferry_core::ShareAccess::walk`]); this module only writes it.
//!
//! Entries use the *store* method (no compression): the bytes leave as fast as they are read,
//! the size is known to the byte (`sum(files) + headers`), and most files (media, archives,
//! documents) are compressed already. Each entry is written with a data descriptor and ZIP64
//! fields, so files and archives past 4 GiB work (async_zip's stream writer). No `Range`: a
//! zip made on the fly has no stable bytes to resume into.

use std::future::Future;

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipDateTime, ZipDateTimeBuilder, ZipEntryBuilder};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use ferry_core::model::EntryKind;
use ferry_core::{Download, Session, ShareAccess, ZipItem};
use futures::AsyncWriteExt as _;
use tokio::io::DuplexStream;
use tokio_util::io::ReaderStream;

use crate::routes::download::content_disposition;

/// Bytes in flight between the zip writer and the response body.
const PIPE: usize = 256 * 1024;

/// Bytes read from a file per write into the zip.
const CHUNK: usize = 256 * 1024;

/// Whoever may read the files of a zip: a share link, or the user's own session.
pub trait ZipSource: Send + Sync + 'static {
    /// Opens one item for reading.
    fn open(&self, item: &ZipItem) -> impl Future<Output = ferry_core::Result<Download>> + Send;
}

impl ZipSource for ShareAccess {
    fn open(&self, item: &ZipItem) -> impl Future<Output = ferry_core::Result<Download>> + Send {
        self.open_walked(item)
    }
}

impl ZipSource for Session {
    fn open(&self, item: &ZipItem) -> impl Future<Output = ferry_core::Result<Download>> + Send {
        self.open_zip_item(item)
    }
}

/// `NAME.zip` of `items`, read through `source`, as a streamed `200` attachment. Whatever
/// could be refused was refused before (the items are walked already).
pub fn respond(source: impl ZipSource, items: Vec<ZipItem>, name: &str) -> Response {
    let (writer, reader) = tokio::io::duplex(PIPE);
    tokio::spawn(async move {
        if let Err(e) = write_zip(&source, &items, writer).await {
            // The client sees a cut-off body: the zip has no central directory and no
            // unzip tool takes it for whole.
            tracing::warn!(error = %e, "zip stopped");
        }
    });
    let mut resp = head(name);
    *resp.body_mut() = Body::from_stream(ReaderStream::new(reader));
    resp
}

/// The headers of [`respond`]'s answer without a body (a `HEAD`; nothing is read).
pub fn head(name: &str) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    // `application/octet-stream` rather than `application/zip`: the file name says zip, and
    // generated clients (openapi-python-client) take only this type as binary.
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&format!("{name}.zip"))) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn write_zip(
    source: &impl ZipSource,
    files: &[ZipItem],
    pipe: DuplexStream,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut zip = ZipFileWriter::with_tokio(pipe);
    for file in files {
        let modified = zip_time(file.entry.modified);
        if file.entry.kind == EntryKind::Dir {
            let entry =
                ZipEntryBuilder::new(format!("{}/", file.relative).into(), Compression::Stored)
                    .last_modification_date(modified);
            zip.write_entry_whole(entry, &[]).await?;
            continue;
        }
        let entry = ZipEntryBuilder::new(file.relative.clone().into(), Compression::Stored)
            .last_modification_date(modified);
        let mut out = zip.write_entry_stream(entry).await?;
        let mut download = source.open(file).await?;
        while let Some(bytes) = download.next_chunk(CHUNK).await? {
            out.write_all(&bytes).await?;
        }
        out.close().await?;
    }
    zip.close().await?;
    Ok(())
}

/// Unix seconds as the zip's MS-DOS date and time (UTC; the format has no zone and starts
/// in 1980).
fn zip_time(unix: i64) -> ZipDateTime {
    let unix = unix.max(315_532_800);
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    ZipDateTimeBuilder::new()
        .year(year as i32)
        .month(month as u32)
        .day(day as u32)
        .hour((secs / 3600) as u32)
        .minute((secs % 3600 / 60) as u32)
        .second((secs % 60) as u32)
        .build()
}

#[cfg(test)]
mod tests {
    use super::zip_time;

    #[test]
    fn unix_times_become_civil_dates() {
        let t = zip_time(1_700_000_000); // 2023-11-14 22:13:20 UTC
        assert_eq!((t.year(), t.month(), t.day()), (2023, 11, 14));
        assert_eq!((t.hour(), t.minute()), (22, 13));
        let t = zip_time(0); // before 1980: the format's first day
        assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1));
    }
}
