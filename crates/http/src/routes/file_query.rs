//! The query of `GET /api/v1/files/PATH`: `inline` (show in the browser), `zip` (the folder,
//! or the entries of it named by repeated `name`, as one zip). Read with `form_urlencoded`
//! because serde_urlencoded takes no repeated keys. Unknown parameters are ignored, as they
//! were before these existed (links with a cache-busting parameter keep working).

use utoipa::IntoParams;

use crate::error::{ApiError, HttpError};

/// How a `GET` of a path is answered.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// `true`: show the file in the browser when its kind allows (images, audio, video, PDF,
    /// plain text); any other file, HTML and SVG included, is still an attachment.
    pub inline: Option<bool>,
    /// `true`: the path is a folder, answered as one zip (streamed, stored, no `Range`) of
    /// everything in it, or of the entries named by `name`.
    pub zip: Option<bool>,
    /// With `zip=true`: an entry of the folder to put in the zip (a name, not a path);
    /// repeat for several. Folders go in with everything in them. Ignored without `zip`.
    #[param(style = Form, explode, pattern = r"^[^/\u0000-\u001f\u007f-\u009f\\]+$")]
    pub name: Option<Vec<String>>,
}

/// The query, checked.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FileRequest {
    /// Show inline.
    pub inline: bool,
    /// Answer with a zip.
    pub zip: bool,
    /// The entries to zip (empty: the whole folder).
    pub names: Vec<String>,
}

impl FileRequest {
    /// Reads the raw query string; `bad_request` for a flag other than `true` or `false`.
    /// `zip` wins over `inline` (a zip is never shown inline); `name` without `zip` is
    /// ignored, as unknown parameters are.
    pub fn parse(raw: Option<&str>) -> Result<FileRequest, ApiError> {
        crate::extract::utf8_query(raw)?;
        let mut q = FileRequest::default();
        for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            match &*key {
                "inline" => q.inline = flag("inline", &value)?,
                "zip" => q.zip = flag("zip", &value)?,
                "name" => q.names.push(value.into_owned()),
                _ => {}
            }
        }
        if !q.zip {
            q.names.clear();
        }
        q.inline &= !q.zip;
        Ok(q)
    }
}

fn flag(key: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(
            HttpError::BadBody(format!("invalid query string: {key} must be true or false")).into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::FileRequest;

    #[test]
    fn flags_and_repeated_names_are_read_and_misuse_is_refused() {
        let q = FileRequest::parse(Some("zip=true&name=a%20b&name=c&t=1")).unwrap();
        assert_eq!(q.names, ["a b", "c"]);
        assert!(q.zip && !q.inline);
        assert!(FileRequest::parse(Some("inline=true")).unwrap().inline);
        assert_eq!(FileRequest::parse(None).unwrap(), FileRequest::default());
        assert_eq!(
            FileRequest::parse(Some("name=a")).unwrap(),
            FileRequest::default()
        );
        let both = FileRequest::parse(Some("inline=true&zip=true")).unwrap();
        assert!(both.zip && !both.inline, "a zip is never inline");
        for bad in ["inline=maybe", "zip=1", "zip="] {
            assert!(FileRequest::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
