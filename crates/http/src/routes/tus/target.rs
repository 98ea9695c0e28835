//! Where a tus upload goes, read from its `Upload-Metadata`, and the metadata a `HEAD` gives
//! back. Pure functions: the core resolves the path and confines it to the home.
//!
//! Keys Ferry reads (all others are accepted and ignored, as tus clients send their own,
//! e.g. `filetype`):
//!
//! | key | meaning |
//! |---|---|
//! | `filename` (or `name`) | the file's name, no `/` |
//! | `folder` (or `dir`) | the folder inside the home it goes in (default `/`) |
//! | `path` | the whole path inside the home, instead of the two above |
//! | `md5` | the whole file's MD5 (hex), verified at commit |
//! | `overwrite` | `true`/`1`/`yes` (or no value): replace an existing file |

use super::error::TusError;
use super::headers::{Metadata, format_metadata};

/// Where a finished upload is committed, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The path inside the home, as the client gave it (the core resolves and confines it).
    pub path: String,
    /// The expected MD5 (hex), if given.
    pub md5: Option<String>,
    /// Replace an existing file.
    pub overwrite: bool,
}

fn first<'a>(meta: &'a Metadata, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| meta.get(*k))
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// The target named by `meta`.
pub fn target(meta: &Metadata) -> Result<Target, TusError> {
    let path = match (first(meta, &["path"]), first(meta, &["filename", "name"])) {
        (Some(path), name) => {
            // Both spellings may come (a client that sends its own `filename` too), but they
            // must name one file: which one the client meant cannot be guessed.
            let (folder, last) = path
                .trim_end_matches('/')
                .rsplit_once('/')
                .unwrap_or(("", path));
            let folder_differs = first(meta, &["folder", "dir"])
                .is_some_and(|f| f.trim_end_matches('/') != folder.trim_end_matches('/'));
            if name.is_some_and(|n| n != last) || folder_differs {
                return Err(TusError::Metadata(format!(
                    "path {path:?} and filename/folder name different files; send one or the other"
                )));
            }
            path.to_string()
        }
        (None, Some(name)) => {
            if name.contains('/') || name == "." || name == ".." {
                return Err(TusError::Metadata(format!(
                    "filename {name:?} must be a plain name; use `folder` or `path` for folders"
                )));
            }
            let folder = first(meta, &["folder", "dir"]).unwrap_or("/");
            format!("{}/{name}", folder.trim_end_matches('/'))
        }
        (None, None) => {
            return Err(TusError::Metadata(
                "name the target with `filename` (and `folder`) or `path`".into(),
            ));
        }
    };
    let overwrite = match meta.get("overwrite").map(|v| v.to_ascii_lowercase()) {
        None => false,
        Some(v) if matches!(v.as_str(), "" | "1" | "true" | "yes") => true,
        Some(v) if matches!(v.as_str(), "0" | "false" | "no") => false,
        Some(v) => {
            return Err(TusError::Metadata(format!(
                "overwrite {v:?} is not true or false"
            )));
        }
    };
    let md5 = match first(meta, &["md5"]) {
        Some(h) if h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()) => Some(h.into()),
        Some(h) => {
            return Err(TusError::Metadata(format!(
                "md5 {h:?} is not 32 hex digits"
            )));
        }
        None => None,
    };
    Ok(Target {
        path,
        md5,
        overwrite,
    })
}

/// The `Upload-Metadata` a `HEAD` answers for an upload to `path`: what Ferry kept of it
/// (the target and the MD5), not the client's own keys.
pub fn echo(path: &str, md5: Option<&str>) -> String {
    let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
    let folder = if folder.is_empty() { "/" } else { folder };
    let mut pairs = vec![("filename", name), ("folder", folder)];
    if let Some(m) = md5 {
        pairs.push(("md5", m));
    }
    format_metadata(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::tus::headers::parse_metadata;

    fn meta(pairs: &[(&str, &str)]) -> Metadata {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn filename_and_folder_make_the_path() {
        let t = target(&meta(&[("filename", "a.bin"), ("folder", "/in/")])).unwrap();
        assert_eq!(t.path, "/in/a.bin");
        assert!(!t.overwrite);
        assert_eq!(target(&meta(&[("name", "b")])).unwrap().path, "/b");
        assert_eq!(
            target(&meta(&[
                ("path", "/x/y"),
                ("filename", "y"),
                ("folder", "/x/")
            ]))
            .unwrap()
            .path,
            "/x/y"
        );
        // Two spellings that name different files: which was meant cannot be guessed.
        for m in [
            meta(&[("path", "/x/y"), ("filename", "z")]),
            meta(&[("path", "/x/y"), ("folder", "/w")]),
        ] {
            assert_eq!(target(&m).unwrap_err().code(), "bad_metadata");
        }
    }

    #[test]
    fn a_filename_with_a_slash_or_no_name_is_bad_metadata() {
        for m in [
            meta(&[("filename", "../a")]),
            meta(&[("filename", "..")]),
            meta(&[]),
        ] {
            assert_eq!(target(&m).unwrap_err().code(), "bad_metadata");
        }
    }

    #[test]
    fn overwrite_and_md5_are_read_strictly() {
        let t = target(&meta(&[
            ("filename", "a"),
            ("overwrite", ""),
            ("md5", &"a".repeat(32)),
        ]))
        .unwrap();
        assert!(t.overwrite);
        assert_eq!(t.md5.as_deref(), Some("a".repeat(32).as_str()));
        assert!(target(&meta(&[("filename", "a"), ("overwrite", "maybe")])).is_err());
        assert!(target(&meta(&[("filename", "a"), ("md5", "abc")])).is_err());
    }

    #[test]
    fn the_echo_parses_back_to_the_same_target() {
        let text = echo("/docs/r.pdf", None);
        assert_eq!(
            target(&parse_metadata(&text).unwrap()).unwrap().path,
            "/docs/r.pdf"
        );
        let root = parse_metadata(&echo("/r.pdf", Some("00"))).unwrap();
        assert_eq!(root["folder"], "/");
        assert_eq!(root["md5"], "00");
    }
}
