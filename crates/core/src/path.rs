// Just over 300 lines: resolution, the length limits and the name rules are one rule set;
// splitting them would hide which check runs first.

//! [`HomePath`]: a path that can only name something inside a user's home.
//!
//! Client paths are strings (`/a/b` from the home, `a/b` from the current folder). They become
//! a `HomePath` only through [`HomePath::resolve`], which rebuilds the path from normal
//! components alone: `.` is dropped, `..` pops a component and is refused once nothing is left
//! to pop, and any byte no file name may contain here (NUL, control characters, backslash) is
//! refused outright, and so are the bidirectional embedding, override, isolate and mark
//! characters, which let a name display as a different one. Every name is put in Unicode NFC
//! (as macOS clients send decomposed NFD names, refusing them would break those uploads), so
//! `é` typed precomposed or as `e` + combining accent names the same file and two visually
//! identical names cannot coexist. This is the lexical half of confinement; the other half — symlinks, which
//! only the filesystem can judge — is enforced by opening every path beneath the home's
//! directory handle with `cap-std` (see `store::local_blob`). Nothing downstream takes a raw
//! `&str` path.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use unicode_normalization::UnicodeNormalization;

use crate::{Error, Result};

/// Longest accepted client path, in bytes (Linux `PATH_MAX`).
pub const MAX_PATH_LEN: usize = 4096;
/// Longest accepted file name, in bytes (Linux `NAME_MAX`).
pub const MAX_NAME_LEN: usize = 255;

/// A normalised path inside a home: zero or more validated names. The empty path is the home.
///
/// The names are shared (`Arc<[String]>`), so a clone allocates nothing: a listing hands out
/// one path per entry, and each was three allocations as a `Vec` of `String`s. Comparison,
/// ordering and hashing are the slice's, as they were the `Vec`'s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HomePath {
    parts: Arc<[String]>,
}

impl HomePath {
    /// The home folder itself.
    pub fn root() -> Self {
        HomePath::default()
    }

    /// Resolves a client's `input` against the session's current folder `cwd`.
    pub fn resolve(cwd: &HomePath, input: &str) -> Result<HomePath> {
        if input.len() > MAX_PATH_LEN {
            return Err(Error::InvalidPath(format!(
                "longer than {MAX_PATH_LEN} bytes"
            )));
        }
        if let Some(c) = input.chars().find(|&c| forbidden(c)) {
            return Err(Error::InvalidPath(format!(
                "contains the forbidden character {:?}",
                c
            )));
        }
        let mut parts = if input.starts_with('/') {
            Vec::new()
        } else {
            cwd.parts.to_vec()
        };
        for part in input.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(Error::PathOutsideHome);
                    }
                }
                name => {
                    let name: String = name.nfc().collect();
                    validate_name(&name)?;
                    parts.push(name);
                }
            }
        }
        let path = HomePath {
            parts: parts.into(),
        };
        path.check_len()?;
        Ok(path)
    }

    /// A relative input can be short and still land past `PATH_MAX` once joined to a deep
    /// current folder; the kernel would then answer `ENAMETOOLONG`, which is the client's
    /// doing, so it is caught here as `invalid_path` rather than surfacing as `internal`.
    fn check_len(&self) -> Result<()> {
        let len: usize = self.parts.iter().map(|p| p.len() + 1).sum();
        if len > MAX_PATH_LEN {
            return Err(Error::InvalidPath(format!(
                "longer than {MAX_PATH_LEN} bytes once resolved"
            )));
        }
        Ok(())
    }

    /// Parses a path as stored by Ferry itself (absolute, already normalised).
    pub fn parse_stored(stored: &str) -> Result<HomePath> {
        HomePath::resolve(&HomePath::root(), stored)
    }

    /// Whether this is the home folder itself.
    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// The last name, or `None` for the home.
    pub fn name(&self) -> Option<&str> {
        self.parts.last().map(String::as_str)
    }

    /// The containing folder; the home is its own parent.
    pub fn parent(&self) -> HomePath {
        let mut parts = self.parts.to_vec();
        parts.pop();
        HomePath {
            parts: parts.into(),
        }
    }

    /// A child of this folder; `name` must be a single valid name.
    pub fn join(&self, name: &str) -> Result<HomePath> {
        let name: String = name.nfc().collect();
        validate_name(&name)?;
        let mut parts = self.parts.to_vec();
        parts.push(name);
        let path = HomePath {
            parts: parts.into(),
        };
        path.check_len()?;
        Ok(path)
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &HomePath) -> bool {
        self.parts.starts_with(&other.parts)
    }

    /// The path relative to the home directory handle (`.` for the home itself). Only ever
    /// used beneath a `cap_std::fs::Dir` of the home.
    pub fn to_relative(&self) -> PathBuf {
        if self.parts.is_empty() {
            PathBuf::from(".")
        } else {
            self.parts.iter().collect()
        }
    }

    /// The names, outermost first.
    pub fn parts(&self) -> &[String] {
        &self.parts
    }
}

impl fmt::Display for HomePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.parts.is_empty() {
            return f.write_str("/");
        }
        for p in self.parts.iter() {
            write!(f, "/{p}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for HomePath {
    /// The `Display` text, assembled in one buffer (on the stack when short) and written as
    /// one string: a listing writes a path per entry, and going through `collect_str` and
    /// the formatter per name was a visible part of a 2 000-entry listing's CPU.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        const SHORT: usize = 256;
        let len = self.parts.iter().map(|p| p.len() + 1).sum::<usize>().max(1);
        let fill = |out: &mut [u8]| {
            out[0] = b'/';
            let mut at = 0;
            for p in self.parts.iter() {
                out[at] = b'/';
                out[at + 1..at + 1 + p.len()].copy_from_slice(p.as_bytes());
                at += 1 + p.len();
            }
        };
        if len <= SHORT {
            let mut buf = [0u8; SHORT];
            fill(&mut buf[..len]);
            s.serialize_str(std::str::from_utf8(&buf[..len]).expect("names are UTF-8"))
        } else {
            let mut buf = vec![0u8; len];
            fill(&mut buf);
            s.serialize_str(std::str::from_utf8(&buf).expect("names are UTF-8"))
        }
    }
}

impl<'de> serde::Deserialize<'de> for HomePath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HomePath::parse_stored(&s).map_err(serde::de::Error::custom)
    }
}

fn validate_name(name: &str) -> Result<()> {
    if name.len() > MAX_NAME_LEN {
        return Err(Error::InvalidPath(format!(
            "a name is longer than {MAX_NAME_LEN} bytes"
        )));
    }
    if name == "." || name == ".." || name.is_empty() || name.contains('/') {
        return Err(Error::InvalidPath(format!("{name:?} is not a file name")));
    }
    if let Some(c) = name.chars().find(|&c| forbidden(c)) {
        return Err(Error::InvalidPath(format!(
            "contains the forbidden character {c:?}"
        )));
    }
    Ok(())
}

/// Characters no name may hold: controls, the backslash (a separator elsewhere), and the
/// bidirectional formatting characters (LRE…RLO U+202A–202E, the isolates U+2066–2069, and the
/// marks LRM, RLM and ALM) that reorder how a name displays.
fn forbidden(c: char) -> bool {
    c.is_control()
        || c == '\\'
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cwd: &str, input: &str) -> Result<String> {
        let cwd = HomePath::parse_stored(cwd).unwrap();
        HomePath::resolve(&cwd, input).map(|p| p.to_string())
    }

    #[test]
    fn json_is_the_display_text_short_and_long() {
        let long = format!("/{}/{}", "d".repeat(200), "é".repeat(60));
        for text in [
            "/",
            "/a",
            "/docs/report.pdf",
            "/ünï/cödé \"q\"",
            long.as_str(),
        ] {
            let p = HomePath::parse_stored(text).unwrap();
            assert_eq!(p.to_string(), text);
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
    }

    #[test]
    fn relative_and_absolute_paths_resolve_inside_the_home() {
        assert_eq!(r("/", "a/b").unwrap(), "/a/b");
        assert_eq!(r("/a", "b").unwrap(), "/a/b");
        assert_eq!(r("/a", "/b").unwrap(), "/b");
        assert_eq!(r("/a/b", "..").unwrap(), "/a");
        assert_eq!(r("/a/b", "../../c/./d//").unwrap(), "/c/d");
        assert_eq!(r("/", "").unwrap(), "/");
        assert_eq!(r("/", "/").unwrap(), "/");
    }

    #[test]
    fn dot_dot_past_the_home_is_path_outside_home() {
        for (cwd, input) in [
            ("/", ".."),
            ("/", "../etc/passwd"),
            ("/a", "../.."),
            ("/", "/.."),
        ] {
            assert_eq!(
                r(cwd, input).unwrap_err().code(),
                "path_outside_home",
                "{input}"
            );
        }
        assert_eq!(
            r("/a", "../../a/b").unwrap_err().code(),
            "path_outside_home"
        );
    }

    #[test]
    fn forbidden_bytes_and_lengths_are_invalid_path() {
        let long_name = "x".repeat(256);
        let long_path = "a/".repeat(2049);
        for input in [
            "a\0b",
            "a\\..\\b",
            "..\\x",
            "a\nb",
            "\u{7f}",
            "\u{1b}[2J",
            &long_name,
            &long_path,
        ] {
            assert_eq!(
                r("/", input).unwrap_err().code(),
                "invalid_path",
                "{input:?}"
            );
        }
        assert!(r("/", &"x".repeat(255)).is_ok());
    }

    #[test]
    fn a_short_input_past_path_max_once_resolved_is_invalid_path() {
        let deep = format!("/{}", vec!["d".repeat(255); 16].join("/"));
        assert_eq!(deep.len(), 4096);
        assert!(r("/", &deep).is_ok());
        assert_eq!(r(&deep, "x").unwrap_err().code(), "invalid_path");
        let cwd = HomePath::parse_stored(&deep).unwrap();
        assert_eq!(cwd.join("x").unwrap_err().code(), "invalid_path");
    }

    #[test]
    fn bidi_controls_are_invalid_path() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{85}',
        ] {
            let input = format!("invoice{c}fdp.exe");
            assert_eq!(r("/", &input).unwrap_err().code(), "invalid_path", "{c:?}");
            let home = HomePath::root();
            assert_eq!(home.join(&input).unwrap_err().code(), "invalid_path");
        }
    }

    #[test]
    fn decomposed_and_precomposed_names_are_the_same_name() {
        let nfd = "cafe\u{301}/e\u{301}t\u{e9}";
        assert_eq!(r("/", nfd).unwrap(), "/caf\u{e9}/\u{e9}t\u{e9}");
        assert_eq!(
            HomePath::root().join("e\u{301}").unwrap(),
            HomePath::root().join("\u{e9}").unwrap()
        );
    }

    #[test]
    fn unicode_names_are_kept() {
        assert_eq!(r("/", "données/日本.txt").unwrap(), "/données/日本.txt");
    }

    #[test]
    fn parent_name_and_relative_form() {
        let p = HomePath::parse_stored("/a/b").unwrap();
        assert_eq!(p.name(), Some("b"));
        assert_eq!(p.parent().to_string(), "/a");
        assert_eq!(p.to_relative(), PathBuf::from("a/b"));
        assert_eq!(HomePath::root().to_relative(), PathBuf::from("."));
    }
}
