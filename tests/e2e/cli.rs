//! The `ferry` command line: a piped shell session, `--json` output for scripts, remote file
//! management, error reporting and help.

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;

use crate::support::{Server, bin, fails_with, md5_file, ok, random_file, random_file_in, stderr};

#[test]
fn a_piped_shell_session_runs_each_line_and_prints_only_results() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let sub = work.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("marker.txt"), b"local").unwrap();
    let local = work.join("local.bin");
    random_file(&local, 100_000, 21);
    let script = "\
mkdir -p a/b
cd a
pwd
put local.bin
ls
get local.bin copy.bin
lpwd
lcd sub
lls
get local.bin
rm local.bin
ls
quit
pwd
";
    let mut child = server
        .cli_cmd(&["shell"])
        .current_dir(&work)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = ok(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    let shown = format!("{stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines.len(), 9, "{shown}");
    assert_eq!(lines[0], "/a", "pwd: {shown}");
    assert!(
        lines[1].starts_with("put local.bin -> /a/local.bin: "),
        "{shown}"
    );
    assert!(
        lines[2].starts_with('d') && lines[2].ends_with("  b/"),
        "{shown}"
    );
    assert!(
        lines[3].starts_with('-') && lines[3].ends_with("  local.bin"),
        "{shown}"
    );
    assert!(lines[4].starts_with("get /a/local.bin -> "), "{shown}");
    assert_eq!(
        lines[5],
        work.canonicalize().unwrap().to_str().unwrap(),
        "lpwd: {shown}"
    );
    assert!(
        lines[6].starts_with('-') && lines[6].ends_with("  marker.txt"),
        "lls: {shown}"
    );
    assert!(lines[7].starts_with("get /a/local.bin -> "), "{shown}");
    assert!(lines[8].ends_with("  b/"), "ls after rm: {shown}");

    let home = server.home("admin");
    assert!(home.join("a/b").is_dir());
    assert!(!home.join("a/local.bin").exists(), "removed");
    assert_eq!(md5_file(&work.join("copy.bin")), md5_file(&local));
    assert_eq!(
        md5_file(&sub.join("local.bin")),
        md5_file(&local),
        "get after lcd lands in the new local directory"
    );
}

/// A server whose admin home holds `remote`, a random file of `len` bytes put after
/// `mkdir -p folder`; the temp folder of its local copy, and that copy.
fn server_holding(
    folder: &str,
    remote: &str,
    len: u64,
    seed: u64,
) -> (Server, tempfile::TempDir, PathBuf) {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let local = random_file_in(tmp.path(), "local", len, seed);
    ok(&server.cli(&["mkdir", "-p", folder]));
    ok(&server.cli(&["put", local.to_str().unwrap(), remote]));
    (server, tmp, local)
}

#[test]
fn ls_and_quota_print_the_documented_json() {
    let (server, _tmp, _) = server_holding("/docs/sub", "/docs/x.txt", 12_345, 22);
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    let doc: Value = serde_json::from_str(&ok(&server.cli(&["ls", "--json", "/docs"]))).unwrap();
    assert_eq!(doc["path"], "/docs", "{doc}");
    let entries = doc["entries"].as_array().expect("entries");
    let summary: Vec<(&str, &str, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
                e["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [("sub", "dir", 0), ("x.txt", "file", 12_345)]);
    for e in entries {
        let modified = e["modified"].as_i64().expect("modified in Unix seconds");
        assert!((started - 300..=started + 5).contains(&modified), "{e}");
    }

    let quota: Value = serde_json::from_str(&ok(&server.cli(&["quota", "--json"]))).unwrap();
    assert_eq!(
        quota,
        serde_json::json!({"used": 12_345, "reserved": 0, "limit": null})
    );
}

#[test]
fn ls_says_on_stderr_how_many_names_it_could_not_list() {
    use std::os::unix::ffi::OsStrExt;
    let (server, _tmp, _) = server_holding("/docs", "/docs/x.txt", 10, 23);
    let docs = server.home("admin").join("docs");
    std::fs::write(docs.join(std::ffi::OsStr::from_bytes(b"bad\xff")), b"x").unwrap();
    let out = server.cli(&["ls", "/docs"]);
    assert_eq!(ok(&out).lines().count(), 1, "only x.txt is listed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 name in this folder is not listed"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_str(&ok(&server.cli(&["ls", "--json", "/docs"]))).unwrap();
    assert_eq!(doc["skipped"], 1, "{doc}");
    // A folder without such names prints no notice.
    let out = server.cli(&["ls", "/"]);
    ok(&out);
    assert!(out.stderr.is_empty(), "{out:?}");
}

#[test]
fn mv_renames_and_rm_r_removes_a_whole_folder() {
    let (server, _tmp, local) = server_holding("/top/inner", "/top/inner/f", 5000, 23);
    let home = server.home("admin");

    ok(&server.cli(&["mv", "/top/inner/f", "/top/g"]));
    assert!(!home.join("top/inner/f").exists());
    assert_eq!(md5_file(&home.join("top/g")), md5_file(&local));
    ok(&server.cli(&["mv", "/top/inner", "/top/renamed"]));
    assert!(home.join("top/renamed").is_dir() && !home.join("top/inner").exists());

    fails_with(&server.cli(&["rm", "/top"]), "directory_not_empty");
    assert!(home.join("top/g").exists(), "a refused rm removes nothing");
    ok(&server.cli(&["rm", "-r", "/top"]));
    assert!(!home.join("top").exists());
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 0);
}

#[test]
fn an_unknown_remote_path_exits_1_with_not_found() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let out = server.cli(&["ls", "/nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error[not_found]: "), "{err}");
    assert!(out.stdout.is_empty());

    let dest = tmp.path().join("nope");
    let out = server.cli(&["get", "/nope", dest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error[not_found]: "),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dest.exists() && !tmp.path().join("nope.part").exists());
    assert_eq!(server.cli(&["rm", "/nope"]).status.code(), Some(1));

    // Not a file to send: a folder, or a device (the server's codes for the same causes).
    let out = server.cli(&["put", tmp.path().to_str().unwrap(), "/x"]);
    assert!(
        stderr(&out).starts_with("error[is_a_directory]: "),
        "{}",
        stderr(&out)
    );
    let out = server.cli(&["put", "/dev/null", "/x"]);
    assert!(
        stderr(&out).starts_with("error[special_file]: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_describes_the_commands_and_put_options() {
    let out = std::process::Command::new(bin())
        .arg("--help")
        .output()
        .unwrap();
    let help = ok(&out);
    for command in ["serve", "user", "put", "get", "ls", "shell"] {
        assert!(help.contains(command), "{command} in:\n{help}");
    }
    let out = std::process::Command::new(bin())
        .args(["put", "--help"])
        .output()
        .unwrap();
    let help = ok(&out);
    for option in ["--overwrite", "--retries", "--limit-rate"] {
        assert!(help.contains(option), "{option} in:\n{help}");
    }
}
