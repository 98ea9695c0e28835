//! The test vectors of `docs/PROTOCOL.md`, read out of the document for the tests that check
//! them against the codec (`protocol_vectors.rs`) and the message types (`message_vectors.rs`).

#![allow(
    dead_code,
    reason = "each test binary uses its own part of these helpers"
)]

use bytes::BytesMut;
use ferry_proto::{Frame, FrameCodec, FrameError, encode_frame};
use tokio_util::codec::Decoder;

#[derive(Debug)]
pub struct Vector {
    pub name: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

#[derive(Debug)]
pub enum Expect {
    Frame {
        header_text: Option<String>,
        payload: Option<Vec<u8>>,
    },
    Error(String),
}

pub fn protocol_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/PROTOCOL.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn parse_hex(name: &str, text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    hex::decode(&digits).unwrap_or_else(|e| panic!("{name}: bad hex: {e}"))
}

/// Walks the markdown: a `####` heading starts a vector, a `json` block gives its header, a line
/// starting `Payload` its payload (first backtick span, hex) and a `hex` block its bytes.
pub fn vectors(md: &str) -> Vec<Vector> {
    let mut out = Vec::new();
    let mut name = String::from("(before any heading)");
    let mut header_text = None;
    let mut payload = None;
    let mut lines = md.lines();
    while let Some(line) = lines.next() {
        if let Some(heading) = line.strip_prefix("#") {
            name = heading.trim_start_matches('#').trim().to_string();
            header_text = None;
            payload = None;
        } else if line.starts_with("Payload") {
            let span = line
                .split('`')
                .nth(1)
                .unwrap_or_else(|| panic!("{name}: no `hex` span"));
            payload = Some(parse_hex(&name, span));
        } else if let Some(info) = line.strip_prefix("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            let body = body.join("\n");
            let mut words = info.split_whitespace();
            match words.next() {
                Some("json") => header_text = Some(body.trim().to_string()),
                Some("hex") => {
                    let expect = match words.next() {
                        None => Expect::Frame {
                            header_text: header_text.take(),
                            payload: payload.take(),
                        },
                        Some(attr) => {
                            let code = attr.strip_prefix("error=").unwrap_or_else(|| {
                                panic!("{name}: unknown hex block attribute {attr:?}")
                            });
                            Expect::Error(code.to_string())
                        }
                    };
                    assert!(
                        words.next().is_none(),
                        "{name}: trailing words after {info:?}"
                    );
                    out.push(Vector {
                        name: name.clone(),
                        bytes: parse_hex(&name, &body),
                        expect,
                    });
                }
                _ => {}
            }
        }
    }
    out
}

pub fn decode_all(bytes: &[u8]) -> (Result<Option<Frame>, FrameError>, BytesMut) {
    let mut src = BytesMut::from(bytes);
    let result = FrameCodec::default().decode(&mut src);
    (result, src)
}

pub fn normal(vs: &[Vector]) -> impl Iterator<Item = (&Vector, &Option<String>, &Option<Vec<u8>>)> {
    vs.iter().filter_map(|v| match &v.expect {
        Expect::Frame {
            header_text,
            payload,
        } => Some((v, header_text, payload)),
        Expect::Error(_) => None,
    })
}

/// The vector whose heading starts with `id` (`"V2"`).
pub fn vector<'a>(vs: &'a [Vector], id: &str) -> &'a Vector {
    let prefix = format!("{id} ");
    vs.iter()
        .find(|v| v.name.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no vector {id}"))
}

pub fn encode(frame: &Frame) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_frame(&frame.header, &frame.payload, &mut out).unwrap();
    out.to_vec()
}
