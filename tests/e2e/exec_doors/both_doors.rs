//! The same commands over TCP and HTTP: policy refusals, literal argv, streaming while the
//! command runs, exit codes and signals, binary output, and a disconnect killing the command.

use std::time::Duration;

use serde_json::{Value, json};

use super::run::{decode, http_stream, http_whole, processes_with, tcp_exec};
use super::{LIMITED, RUNNER, server};
use crate::http_client::Http;
use crate::support::{PASSWORD, Raw, wait_for};

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
                let mut raw = Raw::logged_in_as(s.addr, RUNNER, PASSWORD);
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
