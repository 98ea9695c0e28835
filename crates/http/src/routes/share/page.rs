//! The public page of a share link, rendered on the server as plain HTML (no script needed to
//! browse or download; `/js/dropbox.js` only adds drop-box uploads). Every name is escaped; the
//! page is served under [`SHARE_CSP`], which allows this origin's stylesheet and script only.

use std::fmt::Write as _;

use ferry_core::PublicShare;
use ferry_core::model::{EntryKind, Listing};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The share page's policy: this origin's stylesheet and script, forms posting here only.
pub const SHARE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
    connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// Everything but RFC 3986 `unreserved` is escaped in a URL path segment or query value.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Text made safe for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A `/`-separated path with each segment percent-encoded.
fn url_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// Bytes as people read them (`1.5 MiB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn document(title: &str, body: &str, script: bool) -> String {
    let script = if script {
        "<script type=\"module\" src=\"/js/dropbox.js\"></script>"
    } else {
        ""
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{} · Ferry</title><link rel=\"stylesheet\" href=\"/share.css\">{script}</head>\
         <body><main class=\"share\">{body}</main></body></html>\n",
        escape(title)
    )
}

/// What the link offers, under its name.
fn terms(share: &PublicShare) -> String {
    let mut parts = Vec::new();
    if !share.folder {
        parts.push(human_size(share.size));
    }
    if let Some(left) = share.downloads_left {
        parts.push(format!(
            "{left} download{} left",
            if left == 1 { "" } else { "s" }
        ));
    }
    if let Some(expires) = share.expires {
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(expires.max(0) as u64);
        parts.push(format!("expires {}", httpdate::fmt_http_date(when)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("<p class=\"terms\">{}</p>", escape(&parts.join(" · ")))
    }
}

/// The page of a file link: name, size, download.
pub fn file_page(id: &str, share: &PublicShare) -> String {
    // Ids reach here only after the core found their link, so they are base64url; escaped
    // all the same, as everything put into the page is.
    let id = escape(id);
    let body = format!(
        "<h1 class=\"name\">{}</h1>{}<p><a class=\"button\" id=\"download\" \
         href=\"/s/{id}/download\">Download</a></p>",
        escape(&share.name),
        terms(share)
    );
    document(&share.name, &body, false)
}

/// The page of a folder link: where in it, its entries with downloads, the zip, and the
/// drop-box form.
pub fn folder_page(id: &str, share: &PublicShare, listing: &Listing) -> String {
    let id = escape(id);
    let here = listing.path.to_string();
    let mut body = format!(
        "<h1 class=\"name\">{}</h1>{}",
        escape(&share.name),
        terms(share)
    );
    let _ = write!(
        body,
        "<nav class=\"crumbs\"><a href=\"/s/{id}\">{}</a>",
        escape(&share.name)
    );
    let mut at = String::new();
    for part in listing.path.parts() {
        at.push('/');
        at.push_str(part);
        let _ = write!(
            body,
            " / <a href=\"/s/{id}?path={}\">{}</a>",
            utf8_percent_encode(&at, SEGMENT),
            escape(part)
        );
    }
    body.push_str("</nav><table class=\"listing\"><tbody>");
    if listing.entries.is_empty() {
        body.push_str("<tr><td class=\"empty\">This folder is empty.</td></tr>");
    }
    for e in &listing.entries {
        let path = e.path.to_string();
        let (link, size) = match e.kind {
            EntryKind::Dir => (
                format!("/s/{id}?path={}", utf8_percent_encode(&path, SEGMENT)),
                String::from("folder"),
            ),
            _ => (
                format!("/s/{id}/files/{}", url_path(&path)),
                human_size(e.size),
            ),
        };
        let _ = write!(
            body,
            "<tr><td><a class=\"entry {}\" href=\"{}\">{}</a></td><td class=\"size\">{}</td></tr>",
            if e.kind == EntryKind::Dir {
                "dir"
            } else {
                "file"
            },
            escape(&link),
            escape(&e.name),
            escape(&size)
        );
    }
    body.push_str("</tbody></table>");
    if let Some(next) = &listing.next {
        let _ = write!(
            body,
            "<p><a href=\"/s/{id}?path={}&amp;after={}\">More…</a></p>",
            utf8_percent_encode(&here, SEGMENT),
            utf8_percent_encode(next, SEGMENT)
        );
    }
    let _ = write!(
        body,
        "<p><a class=\"button\" id=\"zip\" href=\"/s/{id}/zip\">Download all as zip</a></p>"
    );
    if share.upload {
        let _ = write!(
            body,
            "<form id=\"dropbox\" class=\"dropbox\" data-target=\"/s/{id}/files/\">\
             <h2>Upload into this folder</h2><input type=\"file\" id=\"dropbox-files\" multiple>\
             <button type=\"submit\">Upload</button><p id=\"dropbox-status\" role=\"status\"></p></form>"
        );
    }
    document(&share.name, &body, share.upload)
}

/// The password form, with what went wrong before (if anything).
pub fn password_page(id: &str, problem: Option<&str>) -> String {
    let id = escape(id);
    let problem = problem
        .map(|p| format!("<p class=\"problem\" role=\"alert\">{}</p>", escape(p)))
        .unwrap_or_default();
    let body = format!(
        "<h1>This link needs a password</h1>{problem}\
         <form method=\"post\" action=\"/s/{id}\" class=\"password\">\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"off\" \
         autofocus required></label> <button type=\"submit\">Open</button></form>"
    );
    document("Password needed", &body, false)
}

/// An error page: a heading and a sentence.
pub fn error_page(heading: &str, detail: &str) -> String {
    let body = format!(
        "<h1>{}</h1><p class=\"problem\">{}</p>",
        escape(heading),
        escape(detail)
    );
    document(heading, &body, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_for_text_and_attributes() {
        assert_eq!(
            escape(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(url_path("/a b/ü?#.txt"), "a%20b/%C3%BC%3F%23.txt");
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 << 30), "5.0 GiB");
    }
}
