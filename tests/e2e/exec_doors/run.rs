//! The door runners: one command through TCP `exec` frames, NDJSON streaming or the one JSON
//! result, each turned into the same [`Outcome`] so the tests compare doors directly.

use std::time::{Duration, Instant};

use base64::Engine;
use ferry_proto::Header;
use serde_json::Value;

use crate::http_client::Http;
use crate::support::{PASSWORD, Raw, Server};

/// One output frame or NDJSON output event, with when it arrived.
#[derive(Debug)]
pub(super) struct Piece {
    pub(super) at: Duration,
    pub(super) stream: String,
    pub(super) bytes: Vec<u8>,
}

/// What one command gave through a door: its output pieces in arrival order, then the final
/// `exit` object (or the error code) and when that arrived.
#[derive(Debug)]
pub(super) struct Outcome {
    pub(super) pieces: Vec<Piece>,
    pub(super) exit: Option<Value>,
    pub(super) error: Option<String>,
    pub(super) ended: Duration,
}

impl Outcome {
    pub(super) fn stream(&self, name: &str) -> Vec<u8> {
        self.pieces
            .iter()
            .filter(|p| p.stream == name)
            .flat_map(|p| p.bytes.clone())
            .collect()
    }
}

/// Runs `request` (an `exec` header without `op`/`id`) over TCP to its final frame.
pub(super) fn tcp_exec(s: &Server, name: &str, request: Value) -> Outcome {
    let mut raw = Raw::logged_in_as(s.addr, name, PASSWORD);
    let mut header = request;
    header["op"] = "exec".into();
    header["id"] = 42.into();
    let started = Instant::now();
    raw.send(header, &[]);
    let mut pieces = Vec::new();
    loop {
        let frame = raw.recv().expect("a frame before the final one");
        let h: &Header = &frame.header;
        assert_eq!(h["id"], 42, "{h:?}");
        match h["status"].as_str() {
            Some("exec_output") => {
                assert!(frame.payload.len() <= 64 * 1024);
                pieces.push(Piece {
                    at: started.elapsed(),
                    stream: h["stream"].as_str().unwrap().to_string(),
                    bytes: frame.payload.to_vec(),
                });
            }
            Some("ok") => {
                return Outcome {
                    pieces,
                    exit: Some(h["exit"].clone()),
                    error: None,
                    ended: started.elapsed(),
                };
            }
            Some("error") => {
                return Outcome {
                    pieces,
                    exit: None,
                    error: h["code"].as_str().map(str::to_string),
                    ended: started.elapsed(),
                };
            }
            other => panic!("unexpected frame status {other:?}: {h:?}"),
        }
    }
}

/// Runs `request` through `POST /api/v1/exec` with NDJSON streaming.
pub(super) fn http_stream(s: &Server, name: &str, request: Value) -> Outcome {
    let http = Http::new(s, name, PASSWORD);
    let started = Instant::now();
    let mut pieces = Vec::new();
    let mut exit = None;
    let status = http.ndjson("/api/v1/exec", request.clone(), |event| {
        match event["type"].as_str() {
            Some(stream @ ("stdout" | "stderr")) => pieces.push(Piece {
                at: started.elapsed(),
                stream: stream.to_string(),
                bytes: decode(&event["data"], &event["encoding"]),
            }),
            Some("exit") => exit = Some(event["exit"].clone()),
            other => panic!("unexpected event {other:?}"),
        }
        true
    });
    let ended = started.elapsed();
    if status != 200 {
        let r = http.json("POST", "/api/v1/exec", request);
        return Outcome {
            pieces,
            exit: None,
            error: Some(r.code()),
            ended,
        };
    }
    Outcome {
        pieces,
        exit,
        error: None,
        ended,
    }
}

/// Runs `request` through `POST /api/v1/exec` for the one JSON result.
pub(super) fn http_whole(s: &Server, name: &str, request: Value) -> (u16, Value) {
    let r = Http::new(s, name, PASSWORD).json("POST", "/api/v1/exec", request);
    (r.status, r.json())
}

pub(super) fn decode(data: &Value, encoding: &Value) -> Vec<u8> {
    let data = data.as_str().expect("a data string");
    match encoding.as_str() {
        Some("utf-8") => data.as_bytes().to_vec(),
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64"),
        other => panic!("unknown encoding {other:?}"),
    }
}

/// Pids whose command line contains `needle` as one argument.
pub(super) fn processes_with(needle: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == needle.as_bytes())
        {
            found.push(pid);
        }
    }
    found
}
