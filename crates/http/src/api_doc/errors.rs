//! The error responses of each operation: the statuses it can really answer, read off the
//! handler and the one code-to-status table in [`crate::error`], each with the codes behind it.
//! (~320 lines: one table per operation, each a few lines, read side by side.)
//!
//! Every route can answer `431 header_too_large` (a middleware before any handler), `500`, and
//! `503 store_unavailable` (added to every set here: a database behind `--meta` gone away);
//! every authenticated one `400 bad_header` (an Authorization header that cannot be read),
//! `401` and `429 auth_throttled` (Basic credentials go through the login throttle); a
//! state-changing one also `403 cross_origin_refused`. The sets below add what the handler
//! itself can cause. Schemathesis checks every answer's status against these lists.

use std::collections::BTreeMap;

use utoipa::openapi::{RefOr, Response};

use super::components::problem;

/// One documented error answer: the status and the codes that give it.
type Answer = (&'static str, &'static str);

const AUTH_401: Answer = (
    "401",
    "No or wrong credentials (`not_authenticated`, `auth_failed`, `token_invalid`)",
);
const THROTTLED_429: Answer = (
    "429",
    "Too many failed logins for this name or source (`auth_throttled`, with `Retry-After`)",
);
const HEAD_431: Answer = (
    "431",
    "The request head is larger than the server accepts (`header_too_large`)",
);
const INTERNAL_500: Answer = (
    "500",
    "Internal error (`internal`); details are in the server log",
);
const DISK_507: Answer = (
    "507",
    "The server's disk is full (`disk_full`); nothing partial was committed",
);
const BAD_AUTH_400: Answer = (
    "400",
    "An Authorization header that cannot be read (`bad_header`)",
);
const BAD_PATH_400: Answer = (
    "400",
    "A malformed path or query (`invalid_path`, `bad_request`) or Authorization header (`bad_header`)",
);
const BAD_JSON_400: Answer = (
    "400",
    "A malformed JSON body (`bad_request`), path (`invalid_path`) or Authorization header (`bad_header`)",
);
const JSON_413: Answer = (
    "413",
    "The JSON body is larger than the server accepts (`body_too_large`)",
);
const CROSS_ORIGIN_403: Answer = (
    "403",
    "Basic credentials on a state-changing request from another origin (`cross_origin_refused`)",
);
const PATH_READ_403: Answer = (
    "403",
    "The path leaves the home folder (`path_outside_home`) or names a special file (`special_file`)",
);
const PATH_WRITE_403: Answer = (
    "403",
    "The path leaves the home folder (`path_outside_home`), is the home itself \
     (`home_immutable`) or a special file (`special_file`), or Basic credentials came from \
     another origin (`cross_origin_refused`)",
);
const NOT_FOUND_404: Answer = ("404", "No such file or folder (`not_found`)");
const UPLOAD_404: Answer = ("404", "No such upload of this user (`upload_not_found`)");
const BODY_408: Answer = (
    "408",
    "The request body stalled past the server's body timeout (`body_timeout`)",
);

/// Declares an operation's error set: a type whose [`utoipa::IntoResponses`] gives exactly
/// these answers, so a handler names it in `responses(...)`.
macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident: [$($answer:expr),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                responses(&[$($answer),+])
            }
        }
    };
}

/// Any route that reads the server's state can get this when that state lives in a database
/// (`ferry serve --meta`) that cannot be reached.
const UNAVAILABLE_503: Answer = (
    "503",
    "The server's metadata database cannot be reached right now (`store_unavailable`, with \
     `Retry-After`); nothing was changed",
);

fn responses(answers: &[Answer]) -> BTreeMap<String, RefOr<Response>> {
    answers
        .iter()
        .chain([&UNAVAILABLE_503])
        .map(|(status, description)| (status.to_string(), problem(description)))
        .collect()
}

error_set!(
    /// `POST /api/v1/login`.
    LoginErrors: [
        ("400", "A malformed JSON body (`bad_request`) or user name (`invalid_username`)"),
        ("401", "Unknown user or wrong password (`auth_failed`)"),
        JSON_413, THROTTLED_429, HEAD_431, INTERNAL_500, DISK_507,
    ]
);

error_set!(
    /// `POST /api/v1/logout`.
    LogoutErrors: [BAD_AUTH_400, AUTH_401, CROSS_ORIGIN_403, THROTTLED_429, HEAD_431, INTERNAL_500, DISK_507]
);

error_set!(
    /// Reads that take no path: `GET /api/v1/me`, `/quota`, `/uploads`.
    AccountReadErrors: [BAD_AUTH_400, AUTH_401, THROTTLED_429, HEAD_431, INTERNAL_500]
);

error_set!(
    /// `GET /api/v1/dirs/`: the home folder.
    ListHomeErrors: [
        ("400", "A `limit` outside 1–1000 or a malformed query (`bad_request`), or an Authorization header that cannot be read (`bad_header`)"),
        AUTH_401, THROTTLED_429, HEAD_431, INTERNAL_500,
    ]
);

error_set!(
    /// `GET /api/v1/dirs/{path}` and `GET /api/v1/stat/{path}`.
    PathReadErrors: [
        BAD_PATH_400, AUTH_401, PATH_READ_403, NOT_FOUND_404,
        ("409", "A part of the path is a file, not a folder (`not_a_directory`)"),
        THROTTLED_429, HEAD_431, INTERNAL_500,
    ]
);

error_set!(
    /// `GET /api/v1/search`.
    SearchErrors: [
        ("400", "A malformed query (`bad_request`), folder or cursor (`invalid_path`), pattern (`invalid_search_pattern`), a cursor not below the folder (`invalid_search_cursor`), or Authorization header (`bad_header`)"),
        AUTH_401, PATH_READ_403, NOT_FOUND_404,
        ("409", "The folder is a file, or a part of its path is (`not_a_directory`)"),
        THROTTLED_429, HEAD_431, INTERNAL_500,
    ]
);

error_set!(
    /// `GET` and `HEAD /api/v1/files/{path}` (besides `416`, listed with its header).
    DownloadErrors: [
        BAD_PATH_400, AUTH_401, PATH_READ_403, NOT_FOUND_404,
        ("409", "The path is a folder (`is_a_directory`) or passes through a file (`not_a_directory`)"),
        ("412", "`If-Match` or `If-Unmodified-Since` does not hold, or the file changed while a range was opened (`precondition_failed`)"),
        THROTTLED_429, HEAD_431, INTERNAL_500,
    ]
);

error_set!(
    /// `PUT /api/v1/files/{path}` (besides `411` and `412`, listed with their causes).
    PutFileErrors: [
        ("400", "A malformed path, digest header (`digest_malformed`, `bad_header`) or `Content-Length` (`bad_header`), a digest field naming no algorithm checked here (`checksum_algorithm_unsupported`), or a body whose `sha-256`/`crc32c` does not match (`chunk_checksum_mismatch`; nothing was kept)"),
        AUTH_401, PATH_WRITE_403,
        ("404", "The parent folder does not exist (`not_found`)"),
        BODY_408,
        ("409", "The path is a folder (`is_a_directory`), passes through a file (`not_a_directory`), or is being written (`upload_busy`)"),
        ("413", "Over the quota (`quota_exceeded`) or the server's largest upload (`upload_too_large`), or more bytes than `Content-Length` said (`size_exceeded`)"),
        ("422", "The data does not match the given MD5 (`checksum_mismatch`); nothing was kept"),
        ("429", "Too many failed logins (`auth_throttled`) or too many open uploads (`limit_reached`)"),
        HEAD_431, INTERNAL_500, DISK_507,
    ]
);

error_set!(
    /// `DELETE /api/v1/files/{path}`.
    DeleteErrors: [
        BAD_PATH_400, AUTH_401, PATH_WRITE_403, NOT_FOUND_404,
        ("409", "A folder that is not empty without `recursive=true` (`directory_not_empty`), or a path through a file (`not_a_directory`)"),
        THROTTLED_429, HEAD_431, INTERNAL_500,
    ]
);

error_set!(
    /// `POST /api/v1/dirs/{path}`.
    MkdirErrors: [
        BAD_PATH_400, AUTH_401, PATH_WRITE_403,
        ("404", "The parent folder does not exist and `parents` is not set (`not_found`)"),
        ("409", "Something already exists there (`already_exists`), or the path passes through a file (`not_a_directory`)"),
        THROTTLED_429, HEAD_431, INTERNAL_500, DISK_507,
    ]
);

error_set!(
    /// `POST /api/v1/move`.
    MoveErrors: [
        ("400", "A malformed JSON body or path (`bad_request`, `invalid_path`), a folder moved into itself (`bad_request`), or an Authorization header that cannot be read (`bad_header`)"),
        AUTH_401, PATH_WRITE_403,
        ("404", "The source or the target's parent does not exist (`not_found`)"),
        ("409", "The target exists and `overwrite` is not set (`already_exists`), a folder cannot replace a file or the reverse (`is_a_directory`, `not_a_directory`, `directory_not_empty`), or the source is being written (`upload_busy`)"),
        JSON_413, THROTTLED_429, HEAD_431, INTERNAL_500, DISK_507,
    ]
);

error_set!(
    /// `POST /api/v1/uploads`.
    CreateUploadErrors: [
        BAD_JSON_400, AUTH_401, PATH_WRITE_403,
        ("404", "The target's parent folder does not exist (`not_found`)"),
        ("409", "The target exists and `overwrite` is not set (`already_exists`), is a folder (`is_a_directory`), or passes through a file (`not_a_directory`)"),
        ("413", "Over the quota (`quota_exceeded`) or the server's largest upload (`upload_too_large`), or a JSON body past its cap (`body_too_large`)"),
        ("429", "Too many failed logins (`auth_throttled`) or too many open uploads (`limit_reached`)"),
        HEAD_431, INTERNAL_500, DISK_507,
    ]
);

error_set!(
    /// `GET` and `HEAD /api/v1/uploads/{id}`.
    UploadReadErrors: [BAD_AUTH_400, AUTH_401, UPLOAD_404, THROTTLED_429, HEAD_431, INTERNAL_500]
);

error_set!(
    /// `DELETE /api/v1/uploads/{id}`.
    CancelUploadErrors: [
        BAD_AUTH_400, AUTH_401, CROSS_ORIGIN_403, UPLOAD_404,
        ("409", "Another request is writing this upload (`upload_busy`)"),
        THROTTLED_429, HEAD_431, INTERNAL_500,
    ]
);

error_set!(
    /// `PUT /api/v1/uploads/{id}`.
    ChunkErrors: [
        ("400", "A missing or malformed `Content-Range` (`bad_header`, `range_*`), a total other than the upload's size (`size_mismatch`), fewer bytes than the range (`range_length_mismatch`), a malformed digest (`digest_malformed`) or a chunk that fails its own digest (`chunk_checksum_mismatch`, nothing of it kept)"),
        AUTH_401,
        ("403", "Basic credentials on a state-changing request from another origin (`cross_origin_refused`), or the target became unreachable (`path_outside_home`, `special_file`)"),
        UPLOAD_404, BODY_408,
        ("409", "The range does not start at the server's offset (`offset_mismatch`, with `offset` and `Upload-Offset`), another request is writing (`upload_busy`), or the target was taken meanwhile (`already_exists`)"),
        ("413", "A chunk past the server's cap (`chunk_too_large`), a body longer than its range (`body_exceeds_range`, the in-range bytes kept), or past the declared size (`size_exceeded`)"),
        ("422", "The whole file does not match its MD5 (`checksum_mismatch`); nothing was committed"),
        THROTTLED_429, HEAD_431, INTERNAL_500, DISK_507,
    ]
);

error_set!(
    /// `POST /api/v1/exec`.
    ExecErrors: [
        ("400", "A malformed JSON body (`bad_request`) or Authorization header (`bad_header`)"),
        AUTH_401,
        ("403", "The exec policy refuses the command (`exec_denied`) or an argument (`exec_argument_refused`), a working folder outside the home (`path_outside_home`), or Basic credentials from another origin (`cross_origin_refused`)"),
        ("404", "No such program (`exec_not_found`) or working folder (`not_found`)"),
        ("409", "The working folder is a file (`not_a_directory`)"),
        JSON_413,
        ("429", "Too many failed logins (`auth_throttled`) or commands running (`limit_reached`)"),
        HEAD_431, INTERNAL_500,
    ]
);

error_set!(
    /// `POST /api/v1/password`.
    PasswordErrors: [
        ("400", "A malformed JSON body or a new password that is too short (`bad_request`), or an Authorization header that cannot be read (`bad_header`)"),
        AUTH_401,
        ("403", "The current password is wrong (`wrong_password`), or Basic credentials came from another origin (`cross_origin_refused`)"),
        JSON_413, THROTTLED_429, HEAD_431, INTERNAL_500,
    ]
);

const NOT_ADMIN_403: Answer = (
    "403",
    "The user does not have the admin role (`not_admin`), or Basic credentials on a write came from another origin (`cross_origin_refused`)",
);

error_set!(
    /// The admin routes without a JSON body: list, get, remove.
    AdminErrors: [
        ("400", "A malformed user name (`invalid_username`), query (`bad_request`) or Authorization header (`bad_header`), or an admin removing their own account (`bad_request`)"),
        AUTH_401, NOT_ADMIN_403,
        ("404", "No such account (`user_not_found`)"),
        THROTTLED_429, HEAD_431, INTERNAL_500,
    ]
);

error_set!(
    /// The admin routes with a JSON body: add, change, reset a password.
    AdminJsonErrors: [
        ("400", "A malformed JSON body, exec policy or user name (`bad_request`, `invalid_username`), a password that is too short (`bad_request`), or an Authorization header that cannot be read (`bad_header`)"),
        AUTH_401, NOT_ADMIN_403,
        ("404", "No such account (`user_not_found`)"),
        ("409", "The account exists already (`user_exists`)"),
        JSON_413, THROTTLED_429, HEAD_431, INTERNAL_500, DISK_507,
    ]
);

error_set!(
    /// `POST /api/v1/shares`.
    CreateShareErrors: [
        ("400", "A malformed JSON body, path or lifetime, a drop box on a file, `max_downloads` 0 or an empty password (`bad_request`, `invalid_path`), or an Authorization header that cannot be read (`bad_header`)"),
        AUTH_401, PATH_WRITE_403, NOT_FOUND_404,
        ("409", "The path passes through a file (`not_a_directory`)"),
        JSON_413, THROTTLED_429, HEAD_431, INTERNAL_500, DISK_507,
    ]
);

error_set!(
    /// `DELETE /api/v1/shares/{id}`.
    RevokeShareErrors: [
        BAD_AUTH_400, AUTH_401, CROSS_ORIGIN_403,
        ("404", "No link of yours has that id (`share_not_found`)"),
        THROTTLED_429, HEAD_431, INTERNAL_500,
    ]
);

error_set!(
    /// The public share link routes, `/s/{id}…`: a page for a browser (`Accept: text/html`),
    /// a problem document otherwise.
    ShareLinkErrors: [
        ("400", "A malformed path, query, form, digest header or `Content-Length` (`bad_request`, `invalid_path`, `bad_header`, `digest_malformed`, `checksum_algorithm_unsupported`), a body that broke off (`body_incomplete`) or does not match its `sha-256`/`crc32c` (`chunk_checksum_mismatch`)"),
        ("401", "The link needs a password (`share_password_required`): the form, or HTTP Basic with it as the password"),
        ("403", "A wrong password (`share_password_wrong`), or what the link does not offer (`share_refused`: uploads into a link that takes none, a folder of a file link)"),
        ("404", "No such link (`share_not_found`), or nothing by that name in it (`not_found`)"),
        ("409", "A drop-box upload whose name is taken (`already_exists`), a file where a folder was named or the reverse (`not_a_directory`, `is_a_directory`)"),
        ("410", "The link was revoked (`share_revoked`), has expired (`share_expired`) or was downloaded as often as allowed (`share_exhausted`)"),
        ("413", "A drop-box upload over the owner's quota (`quota_exceeded`) or the server's largest upload (`upload_too_large`)"),
        ("422", "A drop-box upload that does not match its MD5 (`checksum_mismatch`); nothing was kept"),
        ("429", "Too many wrong passwords or unknown links from this address (`auth_throttled`, with `Retry-After`), or a zip of too many files (`limit_reached`)"),
        HEAD_431, INTERNAL_500, DISK_507,
    ]
);

error_set!(
    /// `GET /healthz`: only what the transport itself can answer.
    PublicErrors: [HEAD_431, INTERNAL_500]
);
