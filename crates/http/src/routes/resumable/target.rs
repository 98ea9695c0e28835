//! Where an upload created in this dialect goes, and how it is verified, from the creation
//! request: `?path=` (the whole path inside the home), else tus-style `Upload-Metadata`
//! (`filename`/`folder` or `path`, `md5`, `overwrite`: what tus-js-client sends in its IETF
//! modes too), else the `Content-Disposition` file name the draft recommends, in `?folder=`
//! (default `/`). The core resolves the path and confines it to the home.

use axum::http::HeaderMap;
use serde::Deserialize;
use utoipa::IntoParams;

use super::fields::disposition_filename;
use crate::error::{ApiError, HttpError};
use crate::routes::header_text;
use crate::routes::tus::headers::parse_metadata;
use crate::routes::tus::target::{Target, target as tus_target};

/// The query of a creation request.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CreateQuery {
    /// The target file's path inside the home.
    pub path: Option<String>,
    /// The folder for a file named by `Upload-Metadata: filename` or `Content-Disposition`
    /// (default `/`).
    pub folder: Option<String>,
    /// Replace an existing file at the target when committing (otherwise a taken name is
    /// `409 already_exists`).
    #[serde(default)]
    pub overwrite: bool,
}

/// The target a creation request names.
pub fn target(q: &CreateQuery, headers: &HeaderMap) -> Result<Target, ApiError> {
    let mut t = if let Some(path) = q.path.as_deref().filter(|p| !p.is_empty()) {
        Target {
            path: path.to_string(),
            md5: None,
            overwrite: false,
        }
    } else if let Some(meta) = header_text(headers, "upload-metadata")? {
        let mut meta = parse_metadata(meta)?;
        if let Some(folder) = &q.folder {
            meta.entry("folder".into())
                .or_insert_with(|| folder.clone());
        }
        tus_target(&meta)?
    } else if let Some(name) =
        header_text(headers, "content-disposition")?.and_then(disposition_filename)
    {
        if name.contains('/') || name == "." || name == ".." {
            return Err(HttpError::BadHeader(format!(
                "Content-Disposition filename {name:?} must be a plain name; use ?folder= or ?path="
            ))
            .into());
        }
        let folder = q.folder.as_deref().unwrap_or("/");
        Target {
            path: format!("{}/{name}", folder.trim_end_matches('/')),
            md5: None,
            overwrite: false,
        }
    } else {
        return Err(HttpError::BadBody(
            "name the target: ?path=, Upload-Metadata (filename, folder) or Content-Disposition"
                .into(),
        )
        .into());
    };
    t.overwrite |= q.overwrite;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn the_query_path_comes_before_metadata_and_disposition() {
        let q = CreateQuery {
            path: Some("/a/b.bin".into()),
            ..CreateQuery::default()
        };
        let h = headers(&[("upload-metadata", "filename eC5iaW4=")]);
        assert_eq!(target(&q, &h).unwrap().path, "/a/b.bin");
    }

    #[test]
    fn metadata_names_the_file_as_in_tus_and_the_query_folder_fills_in() {
        let q = CreateQuery {
            folder: Some("/in".into()),
            overwrite: true,
            ..CreateQuery::default()
        };
        let h = headers(&[("upload-metadata", "filename eC5iaW4=")]);
        let t = target(&q, &h).unwrap();
        assert_eq!((t.path.as_str(), t.overwrite), ("/in/x.bin", true));
    }

    #[test]
    fn content_disposition_names_a_file_in_the_folder() {
        let h = headers(&[("content-disposition", "inline; filename=\"r.pdf\"")]);
        assert_eq!(target(&CreateQuery::default(), &h).unwrap().path, "/r.pdf");
        let bad = headers(&[("content-disposition", "inline; filename=\"../r.pdf\"")]);
        assert!(target(&CreateQuery::default(), &bad).is_err());
        assert!(target(&CreateQuery::default(), &HeaderMap::new()).is_err());
    }
}
