//! Remote commands through both doors of the real binary: the TCP `exec` frames, `POST
//! /api/v1/exec` (whole and NDJSON), and `ferry exec` / the shell's `!`.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use ferry_proto::Header;
use serde_json::{Value, json};

use crate::http_client::Http;
use crate::support::{PASSWORD, Raw, Server, ok, user, wait_for};

/// `allow:sh,printf`: argv only, but `sh -c` gives the tests loops, sleeps and signals.
const RUNNER: &str = "runner";
/// `allow:printf`: anything else is refused.
const LIMITED: &str = "limited";
/// `shell`: command strings too.
const SHELLY: &str = "shelly";

fn server() -> Server {
    let s = Server::start(&[]);
    for (name, policy) in [
        (RUNNER, "allow:sh,printf"),
        (LIMITED, "allow:printf"),
        (SHELLY, "shell"),
    ] {
        let args = ["add", name, "--exec", policy, "--password-stdin"];
        ok(&user(&s.data, &args, &format!("{PASSWORD}\n")));
    }
    s
}

/// One output frame or NDJSON output event, with when it arrived.
#[derive(Debug)]
struct Piece {
    at: Duration,
    stream: String,
    bytes: Vec<u8>,
}

/// What one command gave through a door: its output pieces in arrival order, then the final
/// `exit` object (or the error code) and when that arrived.
#[derive(Debug)]
struct Outcome {
    pieces: Vec<Piece>,
    exit: Option<Value>,
    error: Option<String>,
    ended: Duration,
}

impl Outcome {
    fn stream(&self, name: &str) -> Vec<u8> {
        self.pieces
            .iter()
            .filter(|p| p.stream == name)
            .flat_map(|p| p.bytes.clone())
            .collect()
    }
}

fn tcp_login(s: &Server, name: &str) -> Raw {
    let mut raw = Raw::connect(s.addr);
    raw.hello();
    let h = raw.login(name, PASSWORD);
    assert_eq!(h["status"], "ok", "{h:?}");
    raw
}

/// Runs `request` (an `exec` header without `op`/`id`) over TCP to its final frame.
fn tcp_exec(s: &Server, name: &str, request: Value) -> Outcome {
    let mut raw = tcp_login(s, name);
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
fn http_stream(s: &Server, name: &str, request: Value) -> Outcome {
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
fn http_whole(s: &Server, name: &str, request: Value) -> (u16, Value) {
    let r = Http::new(s, name, PASSWORD).json("POST", "/api/v1/exec", request);
    (r.status, r.json())
}

fn decode(data: &Value, encoding: &Value) -> Vec<u8> {
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
fn processes_with(needle: &str) -> Vec<u32> {
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

#[test]
fn exec_refused_by_policy_spawns_nothing_on_either_door() {
    let s = server();
    let home = s.home(LIMITED);
    let refused = [
        json!({"argv": ["touch", "made-by-argv"]}),
        json!({"argv": ["sh", "-c", "touch made-by-sh"]}),
        json!({"command": "touch made-by-command"}),
    ];
    for request in &refused {
        let tcp = tcp_exec(&s, LIMITED, request.clone());
        assert_eq!(
            tcp.error.as_deref(),
            Some("exec_denied"),
            "{request}: {tcp:?}"
        );
        assert!(tcp.pieces.is_empty());
        let (status, body) = http_whole(&s, LIMITED, request.clone());
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("exec_denied")),
            "{body}"
        );
        let streamed = http_stream(&s, LIMITED, request.clone());
        assert_eq!(streamed.error.as_deref(), Some("exec_denied"), "{request}");
    }
    // The admin's policy is the default, `off`: even an allowed-elsewhere program is refused.
    let tcp = tcp_exec(&s, "admin", json!({"argv": ["printf", "x"]}));
    assert_eq!(tcp.error.as_deref(), Some("exec_denied"));
    std::thread::sleep(Duration::from_millis(300));
    let names: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names.is_empty(),
        "refused commands left {names:?} in the home"
    );
    // The same user can run what the policy allows.
    let tcp = tcp_exec(&s, LIMITED, json!({"argv": ["printf", "fine"]}));
    assert_eq!(tcp.stream("stdout"), b"fine", "{tcp:?}");
}

#[test]
fn shell_metacharacters_stay_literal_in_argv_on_both_doors() {
    let s = server();
    let literal = "$(touch p1); touch p2 | `touch p3` && echo x > p4 * ~ 'q' \"d\"";
    let request = json!({"argv": ["printf", "%s", literal]});
    let tcp = tcp_exec(&s, RUNNER, request.clone());
    assert_eq!(tcp.stream("stdout"), literal.as_bytes(), "{tcp:?}");
    assert_eq!(tcp.exit.as_ref().unwrap()["code"], 0);
    let (status, body) = http_whole(&s, RUNNER, request.clone());
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["stdout"].as_str(), body["encoding"].as_str()),
        (Some(literal), Some("utf-8"))
    );
    let streamed = http_stream(&s, RUNNER, request);
    assert_eq!(streamed.stream("stdout"), literal.as_bytes());
    for name in ["p1", "p2", "p3", "p4"] {
        assert!(!s.home(RUNNER).join(name).exists(), "{name} was created");
    }
}

#[test]
fn output_streams_in_order_while_the_command_runs_on_both_doors() {
    let s = server();
    let script = "for i in 1 2 3 4 5; do echo $i; sleep 0.3; done";
    let request = json!({"argv": ["sh", "-c", script]});
    for (door, run) in [
        ("tcp", tcp_exec(&s, RUNNER, request.clone())),
        ("http", http_stream(&s, RUNNER, request.clone())),
    ] {
        assert_eq!(run.stream("stdout"), b"1\n2\n3\n4\n5\n", "{door}: {run:?}");
        let first = run.pieces.first().expect("output");
        // Five lines 0.3 s apart: the first must be here long before the command ends, and
        // they must not all arrive in one piece at the end.
        assert!(
            first.at + Duration::from_millis(800) < run.ended,
            "{door}: first output at {:?}, end at {:?}",
            first.at,
            run.ended
        );
        assert!(run.pieces.len() >= 3, "{door}: {run:?}");
        assert!(run.pieces.windows(2).all(|w| w[0].at <= w[1].at));
    }
}

#[test]
fn exit_codes_signals_and_separate_streams_are_reported_on_both_doors() {
    let s = server();
    let exit3 = json!({"argv": ["sh", "-c", "echo out; echo err >&2; exit 3"]});
    let killed = json!({"argv": ["sh", "-c", "kill -TERM $$"]});
    let tcp = tcp_exec(&s, RUNNER, exit3.clone());
    let exit = tcp.exit.clone().unwrap();
    assert_eq!(
        (exit["code"].clone(), exit["signal"].clone()),
        (json!(3), Value::Null)
    );
    assert_eq!(
        (tcp.stream("stdout"), tcp.stream("stderr")),
        (b"out\n".to_vec(), b"err\n".to_vec())
    );
    assert_eq!(
        (exit["stdout_bytes"].clone(), exit["stderr_bytes"].clone()),
        (json!(4), json!(4))
    );
    let tcp = tcp_exec(&s, RUNNER, killed.clone());
    let exit = tcp.exit.unwrap();
    assert_eq!(
        (exit["code"].clone(), exit["signal"].clone()),
        (Value::Null, json!(15))
    );
    assert_eq!(exit["timed_out"], false);

    let (status, body) = http_whole(&s, RUNNER, exit3.clone());
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["stdout"].as_str(), body["stderr"].as_str()),
        (Some("out\n"), Some("err\n"))
    );
    assert_eq!(body["exit"]["code"], 3);
    let (_, body) = http_whole(&s, RUNNER, killed.clone());
    assert_eq!(
        (body["exit"]["code"].clone(), body["exit"]["signal"].clone()),
        (Value::Null, json!(15))
    );
    let streamed = http_stream(&s, RUNNER, exit3);
    assert_eq!(streamed.stream("stderr"), b"err\n");
    assert_eq!(streamed.exit.unwrap()["code"], 3);
    let streamed = http_stream(&s, RUNNER, killed);
    assert_eq!(streamed.exit.unwrap()["signal"], 15);
}

#[test]
fn output_that_is_not_utf8_round_trips_on_both_doors() {
    let s = server();
    let request = json!({"argv": ["printf", "\\377\\376"]});
    let tcp = tcp_exec(&s, RUNNER, request.clone());
    assert_eq!(tcp.stream("stdout"), [0xff, 0xfe]);
    let (status, body) = http_whole(&s, RUNNER, request.clone());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["encoding"], "base64", "{body}");
    assert_eq!(decode(&body["stdout"], &body["encoding"]), [0xff, 0xfe]);
    let streamed = http_stream(&s, RUNNER, request);
    assert_eq!(streamed.stream("stdout"), [0xff, 0xfe]);
}

#[test]
fn disconnecting_kills_the_command_on_both_doors() {
    let s = server();
    // Each door (and each run of this test) gets its own unusual sleep length, to find its
    // process by.
    for door in ["tcp", "http"] {
        let marker = format!("9{}{}", std::process::id(), door.len());
        let marker = marker.as_str();
        let request = json!({"argv": ["sh", "-c", format!("echo started; exec sleep {marker}")]});
        match door {
            "tcp" => {
                let mut raw = tcp_login(&s, RUNNER);
                let mut header = request;
                header["op"] = "exec".into();
                header["id"] = 1.into();
                raw.send(header, &[]);
                let first = raw.recv().expect("output");
                assert_eq!(first.header["status"], "exec_output", "{:?}", first.header);
                wait_for(5, "the command to run", || {
                    !processes_with(marker).is_empty()
                });
                drop(raw);
            }
            _ => {
                let http = Http::new(&s, RUNNER, PASSWORD);
                let status = http.ndjson("/api/v1/exec", request, |event| {
                    assert_eq!(event["type"], "stdout", "{event}");
                    wait_for(5, "the command to run", || {
                        !processes_with(marker).is_empty()
                    });
                    false
                });
                assert_eq!(status, 200);
            }
        }
        wait_for(15, &format!("{door}: the command to be killed"), || {
            processes_with(marker).is_empty()
        });
    }
}

#[test]
fn cli_exec_passes_streams_and_the_remote_status_through() {
    let s = server();
    let as_user = |name: &str, args: &[&str]| s.cli_as(name, PASSWORD, args);

    let out = as_user(
        RUNNER,
        &["exec", "--", "sh", "-c", "echo out; echo err >&2; exit 3"],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(
        (&out.stdout[..], &out.stderr[..]),
        (&b"out\n"[..], &b"err\n"[..])
    );

    let out = as_user(RUNNER, &["exec", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(128 + 15), "{out:?}");

    let out = as_user(
        RUNNER,
        &["exec", "--timeout", "1", "--", "sh", "-c", "sleep 5"],
    );
    assert_eq!(out.status.code(), Some(124), "{out:?}");

    let out = as_user(RUNNER, &["exec", "printf", "%s", "a;b"]);
    assert_eq!(
        (out.status.code(), &out.stdout[..]),
        (Some(0), &b"a;b"[..]),
        "{out:?}"
    );

    let out = as_user(SHELLY, &["exec", "--sh", "echo a | tr a b"]);
    assert_eq!(
        (out.status.code(), &out.stdout[..]),
        (Some(0), &b"b\n"[..]),
        "{out:?}"
    );

    let out = as_user(LIMITED, &["exec", "--", "touch", "nope"]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[exec_denied]"));
    assert!(!s.home(LIMITED).join("nope").exists());

    let mut shell = s
        .cli_cmd(&["shell"])
        .env("FERRY_USER", RUNNER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    shell
        .stdin
        .take()
        .unwrap()
        .write_all(b"!printf '%s\\n' 'x;y'\nexec sh -c 'echo e >&2; exit 4'\npwd\n")
        .unwrap();
    let out = shell.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "x;y\n/\n", "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("e\n") && err.contains("error[command_failed]"),
        "{err}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed command fails a piped shell"
    );
}
