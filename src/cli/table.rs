//! Human-readable output: listing tables, dates, quota.

use ferry_core::model::{Entry, EntryKind, QuotaInfo};

use super::size::format_size;

/// One line of a listing, remote or local.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `d` folder, `-` file, `l` symbolic link, `?` anything else.
    pub kind: char,
    /// Bytes, for files.
    pub size: Option<u64>,
    /// Last modification, Unix seconds.
    pub modified: i64,
    /// Name as shown (folders end in `/`).
    pub name: String,
}

impl Row {
    /// The row for a remote entry.
    pub fn from_entry(entry: &Entry) -> Row {
        let (kind, size, suffix) = match entry.kind {
            EntryKind::Dir => ('d', None, "/"),
            EntryKind::File => ('-', Some(entry.size), ""),
            EntryKind::Symlink => ('l', None, ""),
            EntryKind::Other => ('?', None, ""),
        };
        Row {
            kind,
            size,
            modified: entry.modified,
            name: format!("{}{suffix}", entry.name),
        }
    }
}

/// Rows as aligned lines: `d  -  2024-05-01 12:00  name/`, the size column as wide as its
/// widest value, in human units (`1.5 KiB`) or, without `human`, exact bytes.
pub fn render_rows(rows: &[Row], human: bool) -> Vec<String> {
    let sizes: Vec<String> = rows
        .iter()
        .map(|r| match r.size {
            None => "-".to_string(),
            Some(n) if human => format_size(n),
            Some(n) => n.to_string(),
        })
        .collect();
    let width = sizes.iter().map(|s| s.chars().count()).max().unwrap_or(1);
    rows.iter()
        .zip(sizes)
        .map(|(r, size)| {
            format!(
                "{} {size:>width$}  {}  {}",
                r.kind,
                format_time(r.modified),
                r.name
            )
        })
        .collect()
}

/// Cells as lines of columns, each as wide as its widest cell (`right`: right-aligned, for
/// numbers), two spaces apart, with no trailing blanks.
pub fn align(cells: &[Vec<String>], right: &[bool]) -> Vec<String> {
    let columns = cells.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            cells
                .iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    cells
        .iter()
        .map(|row| {
            let line: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, cell)| {
                    let w = widths[c];
                    if right.get(c).copied().unwrap_or(false) {
                        format!("{cell:>w$}")
                    } else {
                        format!("{cell:<w$}")
                    }
                })
                .collect();
            line.join("  ").trim_end().to_string()
        })
        .collect()
}

/// Unix seconds as `YYYY-MM-DD HH:MM` in UTC.
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
///
/// A dozen lines of a published algorithm rather than a date crate (`time`, `jiff`) that the
/// binary would carry for this one format; `httpdate`, already a dependency, writes only the
/// RFC 9110 form.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The quota as aligned lines: used, reserved, limit and (with a limit) free.
pub fn render_quota(q: &QuotaInfo) -> String {
    let mut out = format!(
        "used      {}\nreserved  {}\n",
        format_size(q.used),
        format_size(q.reserved)
    );
    match q.limit {
        Some(limit) => {
            let free = limit.saturating_sub(q.used.saturating_add(q.reserved));
            out.push_str(&format!(
                "limit     {}\nfree      {}\n",
                format_size(limit),
                format_size(free)
            ));
        }
        None => out.push_str("limit     none\n"),
    }
    out
}

/// What `ls` says, on stderr, about names of the folder it could not list.
pub fn skipped_notice(skipped: u64) -> String {
    let (count, verb) = match skipped {
        1 => ("1 name".to_string(), "is"),
        n => (format!("{n} names"), "are"),
    };
    format!(
        "ferry: {count} in this folder {verb} not listed: Ferry cannot address them (not UTF-8, \
         a control character, or a spelling that opens another file); rename them from a shell"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skipped_notice_counts_in_words() {
        assert!(skipped_notice(1).starts_with("ferry: 1 name in this folder is not listed"));
        assert!(skipped_notice(3).starts_with("ferry: 3 names in this folder are not listed"));
    }

    #[test]
    fn times_are_utc_calendar_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00");
        assert_eq!(format_time(1_700_000_000), "2023-11-14 22:13");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00");
        assert_eq!(format_time(-60), "1969-12-31 23:59");
    }

    #[test]
    fn listing_columns_are_as_wide_as_their_widest_size() {
        let row = |kind, size, name: &str| Row {
            kind,
            size,
            modified: 0,
            name: name.into(),
        };
        let rows = [
            row('d', None, "sub/"),
            row('-', Some(5), "a"),
            row('-', Some(123_456_789), "b"),
        ];
        assert_eq!(
            render_rows(&rows, false),
            [
                "d         -  1970-01-01 00:00  sub/",
                "-         5  1970-01-01 00:00  a",
                "- 123456789  1970-01-01 00:00  b",
            ]
        );
        assert_eq!(
            render_rows(&rows, true)[2],
            "- 117.7 MiB  1970-01-01 00:00  b"
        );
        assert_eq!(
            render_rows(&rows[1..2], true),
            ["- 5 B  1970-01-01 00:00  a"]
        );
    }

    #[test]
    fn aligned_cells_pad_to_the_widest_and_right_align_numbers() {
        let cells = vec![
            vec!["NAME".to_string(), "QUOTA".to_string(), "EXEC".to_string()],
            vec![
                "alice".to_string(),
                "10.0 GiB".to_string(),
                "off".to_string(),
            ],
            vec!["bo".to_string(), "none".to_string(), "".to_string()],
        ];
        assert_eq!(
            align(&cells, &[false, true, false]),
            [
                "NAME      QUOTA  EXEC",
                "alice  10.0 GiB  off",
                "bo         none"
            ]
        );
    }

    #[test]
    fn quota_shows_free_space_only_with_a_limit() {
        let q = QuotaInfo {
            used: 1024,
            reserved: 0,
            limit: Some(4096),
        };
        assert!(render_quota(&q).contains("free      3.0 KiB"));
        let q = QuotaInfo { limit: None, ..q };
        assert!(render_quota(&q).ends_with("limit     none\n"));
    }
}
