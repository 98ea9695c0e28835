//! Remote commands through both doors of the real binary: the TCP `exec` frames, `POST
//! /api/v1/exec` (whole and NDJSON), and `ferry exec` / the shell's `!`.

mod both_doors;
mod cli;
mod run;

use crate::support::{PASSWORD, Server, ok, user};

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
