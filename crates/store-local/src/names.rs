//! From the NFC names Ferry addresses to the bytes on disk.
//!
//! Ferry puts every name in NFC ([`HomePath`]), and the names it creates are NFC on disk. A
//! name made outside Ferry (a macOS tool writes NFD) is listed under its NFC form, so opening
//! it by that form must find it: [`on_disk`] keeps the NFC spelling of each component that
//! exists as such and otherwise takes the parent's entry whose NFC form is that name. The scan
//! of the parent happens only on that miss, and only for a name with non-ASCII characters (an
//! ASCII name has no other spelling), so names Ferry made cost one extra `stat` at most. When
//! both spellings exist the NFC one wins, in lookups and in listings alike. The few characters
//! whose NFC form is ASCII (KELVIN SIGN is `K`) would make an ASCII name with another
//! spelling: [`addressable`] keeps such names out of listings, so every listed name opens.

use std::path::{Component, PathBuf};

use cap_std::fs::{Dir, Metadata};
use ferry_core::path::HomePath;

/// The relative path on disk of `path` beneath `home`; components found in neither spelling
/// are kept as NFC, so the caller's operation fails (or creates) on the name Ferry uses.
pub(crate) fn on_disk(home: &Dir, path: &HomePath) -> PathBuf {
    located(home, path).0
}

/// What the lookup of a path's NFC spelling found (see [`located`]).
#[derive(Debug)]
pub(crate) enum Lookup {
    /// The NFC spelling exists: its metadata (symlinks not followed), the `stat` that found
    /// it, for a caller that needs it anyway (a download's open).
    Found(Metadata),
    /// No spelling exists: the NFC lookup's error stands, so the caller need not look again.
    Missing(std::io::Error),
    /// Found under another spelling (or the home itself): the caller looks the path up.
    Elsewhere,
}

/// [`on_disk`], with what looking up the NFC spelling found.
pub(crate) fn located(home: &Dir, path: &HomePath) -> (PathBuf, Lookup) {
    let nfc = path.to_relative();
    if path.is_root() {
        return (nfc, Lookup::Elsewhere);
    }
    let err = match home.symlink_metadata(&nfc) {
        Ok(meta) => return (nfc, Lookup::Found(meta)),
        Err(e) => e,
    };
    let real = spelled_on_disk(home, nfc.clone());
    match real == nfc {
        true => (real, Lookup::Missing(err)),
        false => (real, Lookup::Elsewhere),
    }
}

/// The path on disk of `nfc` (relative, NFC), found missing as spelled: component by component.
fn spelled_on_disk(home: &Dir, nfc: PathBuf) -> PathBuf {
    let mut real = PathBuf::new();
    let mut addressed = HomePath::root();
    let mut found = true;
    for part in nfc.components() {
        let Component::Normal(name) = part else {
            return nfc;
        };
        let Some(name) = name.to_str() else {
            return nfc;
        };
        let exact = real.join(name);
        if !found || name.is_ascii() || home.symlink_metadata(&exact).is_ok() {
            real = exact;
        } else {
            match spelled_otherwise(home, &real, &addressed, name) {
                Some(raw) => real.push(raw),
                None => {
                    found = false;
                    real = exact;
                }
            }
        }
        match addressed.join(name) {
            Ok(p) => addressed = p,
            Err(_) => return nfc,
        }
    }
    real
}

/// The entry of the folder `dir` (beneath `home`) whose NFC form is `name`.
fn spelled_otherwise(
    home: &Dir,
    dir: &std::path::Path,
    addressed: &HomePath,
    name: &str,
) -> Option<String> {
    let folder = if dir.as_os_str().is_empty() {
        home.try_clone().ok()?
    } else {
        home.open_dir(dir).ok()?
    };
    folder.entries().ok()?.flatten().find_map(|entry| {
        let raw = entry.file_name().into_string().ok()?;
        let p = addressed.join(&raw).ok()?;
        (p.name() == Some(name)).then_some(raw)
    })
}

/// Whether a listed entry spelled `raw` on disk, addressed as `nfc`, can be found by
/// [`on_disk`] under that name.
pub(crate) fn addressable(raw: &str, nfc: &str) -> bool {
    raw == nfc || !nfc.is_ascii()
}
