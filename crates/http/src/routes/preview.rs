//! Which files the page may show inline (`GET /api/v1/files/PATH?inline=true`), and as what.
//!
//! Uploaded bytes are anyone's: a file served inline from Ferry's origin could run script
//! with the page's token in reach. So a view is the download with three changes only:
//! - the `Content-Type` comes from an allow-list by file name (images, audio, video, PDF,
//!   plain text); text of any kind is sent as `text/plain`, so it is never parsed as markup;
//! - anything else — and above all HTML, SVG and XML, which browsers run script from — stays
//!   `application/octet-stream` and `Content-Disposition: attachment`, as a download is;
//! - every file response, inline or not, carries `Content-Security-Policy: sandbox` (the
//!   document, if a browser ever renders one, gets an opaque origin and no script), and the
//!   `X-Content-Type-Options: nosniff` every answer has keeps browsers from guessing.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::routes::download::content_disposition;

/// The policy of every file answer: no script, no forms, no plugins, an opaque origin. No
/// fetch directives: a browser's own image and media documents must still load the file.
pub const FILE_CSP: &str = "sandbox";

/// The `Content-Type` a file named `name` is shown inline with, or `None` when it must stay
/// an attachment.
pub fn inline_type(name: &str) -> Option<&'static str> {
    let guess = mime_guess::from_path(name).first_raw()?;
    let (top, sub) = guess.split_once('/')?;
    let markup = sub.contains("html") || sub.contains("xml") || sub.contains("svg");
    if markup {
        return None;
    }
    match top {
        "image" => IMAGES.contains(&sub).then_some(guess),
        "audio" | "video" => Some(guess),
        "application" if sub == "pdf" => Some(guess),
        "application" if sub == "json" => Some(TEXT),
        "text" if !matches!(sub, "css" | "javascript" | "ecmascript") => Some(TEXT),
        _ => None,
    }
}

/// Raster image formats browsers decode without running anything.
const IMAGES: &[&str] = &[
    "png",
    "jpeg",
    "gif",
    "webp",
    "avif",
    "bmp",
    "x-icon",
    "vnd.microsoft.icon",
];

/// Text of every kind is shown as what it is: characters.
const TEXT: &str = "text/plain; charset=utf-8";

/// Fits a download's headers to how it is shown: `inline` with an allowed type, or left an
/// attachment; the sandbox policy in both cases.
pub fn shape(headers: &mut HeaderMap, name: &str, inline: bool) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_CSP),
    );
    let Some(kind) = inline.then(|| inline_type(name)).flatten() else {
        return;
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    let disposition = content_disposition(name).replacen("attachment", "inline", 1);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
}

#[cfg(test)]
mod tests {
    use super::inline_type;

    #[test]
    fn only_media_pdf_and_text_are_shown_and_markup_never_is() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a.png", Some("image/png")),
            ("A.JPG", Some("image/jpeg")),
            ("a.webp", Some("image/webp")),
            ("a.mp4", Some("video/mp4")),
            ("a.webm", Some("video/webm")),
            ("a.mp3", Some("audio/mpeg")),
            ("a.pdf", Some("application/pdf")),
            ("a.txt", Some("text/plain; charset=utf-8")),
            ("a.md", Some("text/plain; charset=utf-8")),
            ("a.csv", Some("text/plain; charset=utf-8")),
            ("a.json", Some("text/plain; charset=utf-8")),
            ("a.html", None),
            ("a.HTM", None),
            ("a.xhtml", None),
            ("a.svg", None),
            ("a.svgz", None),
            ("a.xml", None),
            ("a.xsl", None),
            ("a.js", None),
            ("a.css", None),
            ("a.exe", None),
            ("noextension", None),
            ("a.png.html", None),
        ];
        for (name, want) in cases {
            assert_eq!(inline_type(name), *want, "{name}");
        }
    }
}
