//! Response and schema components that many handlers share.

use std::collections::BTreeMap;

use utoipa::ToSchema;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

/// A body of raw bytes.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// The body of a `201` that created a resumable upload: the upload's state (`Upload-Complete:
/// ?0`), or the committed file when the request carried all of it (`?1`) or was a plain upload.
#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum Created {
    /// The file, committed.
    File(ferry_core::model::Entry),
    /// The upload, to be continued at `Location`.
    Upload(ferry_core::model::UploadInfo),
}

/// Every error response an authenticated route can give (each operation documents its own
/// set from [`super::errors`]; this is the union, for routes that have none yet), each an RFC 9457 problem with a
/// stable `code`.
#[derive(Debug)]
pub struct Errors;

impl utoipa::IntoResponses for Errors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        [
            ("400", "Malformed request: bad path, header, range or JSON, or a body that broke off (`body_incomplete`); `code` says which"),
            ("401", "No or wrong credentials (`not_authenticated`, `auth_failed`, `token_invalid`)"),
            ("403", "Path leaves the home folder, the home itself, a special file, a command the exec policy refuses (`exec_denied`, `exec_argument_refused`), or Basic credentials on a cross-origin write (`cross_origin_refused`)"),
            ("404", "No such file, folder, upload or program (`exec_not_found`)"),
            ("408", "The request body stalled past the server's body timeout (`body_timeout`)"),
            ("409", "Conflicts with the current state (`already_exists`, `offset_mismatch`, `upload_busy`, …)"),
            ("413", "Too large: quota, declared size, chunk limit, or a JSON body past its cap (`body_too_large`)"),
            ("422", "The received data does not match its MD5 (`checksum_mismatch`); nothing was kept"),
            ("431", "The request head is larger than the server accepts (`header_too_large`)"),
            ("429", "Too many failed logins (`auth_throttled`, with `Retry-After`) or a server limit"),
            ("500", "Internal error; details are in the server log"),
            ("503", "The server's metadata database cannot be reached right now (`store_unavailable`, with `Retry-After`); nothing was changed"),
            ("507", "The server's disk is full; nothing partial was committed"),
        ]
        .into_iter()
        .map(|(status, description)| (status.to_string(), problem(description)))
        .collect()
    }
}

/// [`Errors`] and the `412` that every tus request but discovery can get from its
/// `Tus-Resumable` check, so a tus handler names its error answers once: `responses(TusErrors)`.
#[derive(Debug)]
pub struct TusErrors;

impl utoipa::IntoResponses for TusErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let mut all = Errors::responses();
        all.insert(
            "412".into(),
            problem("`Tus-Resumable` is not 1.0.0 (`tus_version_unsupported`)"),
        );
        all
    }
}

/// [`Errors`] with the IETF draft's reading of three of them: `400` also for a length that
/// differs from the upload's (`size_mismatch`, problem type `…#inconsistent-upload-length`),
/// for writing to an upload completed lately (`upload_completed`, `…#completed-upload`) and
/// for an interop version not spoken (`interop_version_unsupported`); `409` for a wrong
/// offset (`offset_mismatch`, `…#mismatching-upload-offset`).
#[derive(Debug)]
pub struct ResumableErrors;

impl utoipa::IntoResponses for ResumableErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let mut all = Errors::responses();
        all.insert(
            "400".into(),
            problem(
                "Malformed request (`bad_header`, `bad_request`, `digest_malformed`,                  `checksum_algorithm_unsupported`, `interop_version_unsupported`), a length                  that differs from the upload's (`size_mismatch`, type                  `https://iana.org/assignments/http-problem-types#inconsistent-upload-length`),                  an upload completed lately (`upload_completed`, type `…#completed-upload`), a                  body that broke off (`body_incomplete`) or failed its `Content-Digest`                  (`chunk_checksum_mismatch`)",
            ),
        );
        all.insert(
            "409".into(),
            problem(
                "`Upload-Offset` is not the bytes held (`offset_mismatch`, type                  `https://iana.org/assignments/http-problem-types#mismatching-upload-offset`,                  with `expected-offset` and `Upload-Offset`), a newer request took the upload                  over (`upload_superseded`), or the target was taken (`already_exists`)",
            ),
        );
        all
    }
}

/// One problem response, whose body is the `Problem` schema that [`crate::openapi`] registers.
pub fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}
