//! The key layout (drawn in the crate docs): every key Ferry writes is made here.

use ferry_core::path::HomePath;
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;
use object_store::path::Path;
use percent_encoding::percent_decode_str;

/// A folder marker's name: a backslash, which no Ferry name may contain.
pub(crate) const DIR_MARKER: &str = "\\";

/// Builds keys under one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    root: Path,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        Keys {
            root: Path::from(prefix),
        }
    }

    pub(crate) fn home(&self, user: &Username) -> Path {
        self.root.clone().join("homes").join(user.as_str())
    }

    /// A file's key, or the prefix of a folder's contents.
    pub(crate) fn entry(&self, user: &Username, path: &HomePath) -> Path {
        path.parts()
            .iter()
            .fold(self.home(user), |key, part| key.join(part.as_str()))
    }

    pub(crate) fn marker(&self, user: &Username, path: &HomePath) -> Path {
        self.entry(user, path).join(DIR_MARKER)
    }

    /// An ETag without its quotes, as one key part.
    pub(crate) fn digest(&self, etag: &str) -> Path {
        self.root
            .clone()
            .join("digests")
            .join(etag.trim_matches('"'))
    }

    pub(crate) fn uploads(&self) -> Path {
        self.root.clone().join("uploads")
    }

    pub(crate) fn upload(&self, id: &UploadId) -> Path {
        self.uploads().join(id.to_string())
    }

    pub(crate) fn manifest(&self, id: &UploadId) -> Path {
        self.upload(id).join(MANIFEST)
    }

    pub(crate) fn staged(&self, id: &UploadId) -> Path {
        self.upload(id).join("data")
    }

    pub(crate) fn piece(&self, id: &UploadId, n: u64) -> Path {
        self.upload(id).join(format!("tail-{n}"))
    }
}

/// A manifest's file name.
pub(crate) const MANIFEST: &str = "manifest.json";

/// The decoded last part of a key (`None` when it is no UTF-8 after decoding).
pub(crate) fn name_of(key: &Path) -> Option<String> {
    let raw = key.filename()?;
    percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}
