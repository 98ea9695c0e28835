//! `lls`: a local directory as the same rows `ls` prints for a remote one.

use std::path::Path;
use std::time::UNIX_EPOCH;

use ferry_client::ClientError;

use crate::cli::table::Row;

/// Rows for a local directory, sorted by name.
pub(super) fn local_rows(dir: &Path) -> Result<Vec<Row>, ClientError> {
    let reading = |e| ClientError::io(format!("cannot list {}", dir.display()), e);
    let mut rows = Vec::new();
    for item in std::fs::read_dir(dir).map_err(reading)? {
        let item = item.map_err(reading)?;
        let Ok(meta) = item.path().symlink_metadata() else {
            continue;
        };
        let name = item.file_name().to_string_lossy().into_owned();
        let kind = meta.file_type();
        let (kind, size, name) = if kind.is_dir() {
            ('d', None, format!("{name}/"))
        } else if kind.is_file() {
            ('-', Some(meta.len()), name)
        } else if kind.is_symlink() {
            ('l', None, name)
        } else {
            ('?', None, name)
        };
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        rows.push(Row {
            kind,
            size,
            modified,
            name,
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}
