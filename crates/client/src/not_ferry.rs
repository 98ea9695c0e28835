//! What a peer that does not speak Ferry's framed protocol is, told from its first bytes.
//!
//! A client pointed at the HTTP door (or at any other service) reads the peer's answer as a
//! frame's length prefix: `HTTP` is 1 213 486 160 bytes, far past the header limit. Rather
//! than report that number, the client recognises the usual suspects and says in words what
//! answered and where to go instead.

/// The port of the TCP door when `ferry serve` is not told otherwise.
const DEFAULT_TCP_PORT: u16 = 7070;

/// Says what answered at `addr` when its first four bytes, read as a length prefix, were
/// refused; `None` when they look like nothing in particular.
pub(crate) fn describe(first: [u8; 4], addr: &str) -> Option<String> {
    let door = format!(
        "Ferry's TCP door is another port ({DEFAULT_TCP_PORT} unless `ferry serve --tcp` says \
         otherwise); point --server or FERRY_SERVER at it"
    );
    match first {
        [b'H', b'T', b'T', b'P'] => Some(format!(
            "{addr} speaks HTTP, not Ferry's protocol (is it Ferry's HTTP door?); {door}"
        )),
        b if is_tls(b) => Some(format!(
            "{addr} speaks TLS: connect with --tls (or a ferrys:// server address)"
        )),
        [b'S', b'S', b'H', b'-'] => {
            Some(format!("{addr} speaks SSH, not Ferry's protocol; {door}"))
        }
        bytes if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') => Some(format!(
            "{addr} answered {:?}…, which is not Ferry's protocol; {door}",
            String::from_utf8_lossy(&bytes)
        )),
        _ => None,
    }
}

/// Whether the first four bytes begin a TLS record (an alert or a handshake).
pub(crate) fn is_tls(first: [u8; 4]) -> bool {
    matches!(first, [0x15 | 0x16, 0x03, _, _])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_answer_is_named_and_points_at_the_tcp_door() {
        let text = describe(*b"HTTP", "127.0.0.1:8080").unwrap();
        assert!(text.starts_with("127.0.0.1:8080 speaks HTTP"), "{text}");
        assert!(text.contains("TCP door"), "{text}");
    }

    #[test]
    fn tls_ssh_and_other_text_are_told_apart_from_binary_noise() {
        assert!(
            describe([0x15, 0x03, 0x03, 0x00], "h:1")
                .unwrap()
                .contains("--tls")
        );
        assert!(describe(*b"SSH-", "h:1").unwrap().contains("SSH"));
        assert!(describe(*b"+OK ", "h:1").unwrap().contains("\"+OK \""));
        assert_eq!(describe([0x7f, 0, 1, 2], "h:1"), None);
    }
}
