//! `ferry put`/`get` of several files and whole folders: scp's rules for DEST, `-r` with the
//! tree kept and links and special files handled, `--jobs`, `--json` lines, the summary, and
//! exit status 1 when any file failed while the others still arrive.

use std::path::Path;

use serde_json::Value;

use crate::support::{Server, fails_with, md5_file, ok, random_file_in};

/// A tree: files at two depths, an empty folder, a link inside (sent as a file), a link out
/// of the tree and a FIFO (both skipped).
fn make_tree(root: &Path) {
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::create_dir_all(root.join("empty")).unwrap();
    for (i, name) in ["a.bin", "b.bin", "sub/c.bin", "sub/deeper/d.bin"]
        .iter()
        .enumerate()
    {
        crate::support::random_file(&root.join(name), 10_000 + i as u64 * 777, i as u64);
    }
    std::os::unix::fs::symlink("../a.bin", root.join("sub/link-to-a")).unwrap();
    let outside = root.parent().unwrap().join("secret.txt");
    std::fs::write(&outside, b"not to be sent").unwrap();
    std::os::unix::fs::symlink(&outside, root.join("out-link")).unwrap();
    let fifo = root.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn summary(lines: &[Value]) -> &Value {
    &lines.last().unwrap()["summary"]
}

#[test]
fn a_folder_goes_up_and_comes_back_whole_with_several_jobs() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    make_tree(&tree);
    let tree_arg = tree.to_str().unwrap();

    let out = ok(&server.cli(&["put", "-r", "--jobs", "3", "--json", tree_arg, "/backup/"]));
    let lines = json_lines(&out);
    let s = summary(&lines);
    assert_eq!(
        (s["files"].as_u64(), s["skipped"].as_u64()),
        (Some(5), Some(2)),
        "{out}"
    );
    assert_eq!(s["failed"], 0, "{out}");
    let skipped: Vec<&str> = lines
        .iter()
        .filter(|l| l["status"] == "skipped")
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert!(skipped.contains(&"special file"), "{out}");
    assert!(
        skipped.contains(&"symbolic link out of the folder"),
        "{out}"
    );
    let home = server.home("admin").join("backup/tree");
    for name in ["a.bin", "b.bin", "sub/c.bin", "sub/deeper/d.bin"] {
        assert_eq!(
            md5_file(&home.join(name)),
            md5_file(&tree.join(name)),
            "{name}"
        );
    }
    assert_eq!(
        md5_file(&home.join("sub/link-to-a")),
        md5_file(&tree.join("a.bin"))
    );
    assert!(home.join("empty").is_dir());
    assert!(!home.join("out-link").exists() && !home.join("fifo").exists());

    // Again: everything is there already.
    let out = ok(&server.cli(&["put", "-r", "--json", tree_arg, "/backup/"]));
    assert_eq!(summary(&json_lines(&out))["up_to_date"], 5, "{out}");

    // Back, into a new folder that becomes the copy.
    let restored = tmp.path().join("restored");
    let out = ok(&server.cli(&[
        "get",
        "-r",
        "--jobs",
        "4",
        "/backup/tree",
        restored.to_str().unwrap(),
    ]));
    assert!(
        out.lines().last().unwrap().starts_with("get: 5 files, "),
        "{out}"
    );
    for name in [
        "a.bin",
        "b.bin",
        "sub/c.bin",
        "sub/deeper/d.bin",
        "sub/link-to-a",
    ] {
        assert_eq!(
            md5_file(&restored.join(name)),
            md5_file(&home.join(name)),
            "{name}"
        );
    }
    assert!(restored.join("empty").is_dir());
    // Into an existing folder that holds the same files already: nothing moves.
    let out = ok(&server.cli(&[
        "get",
        "-r",
        "--json",
        "/backup/tree",
        tmp.path().to_str().unwrap(),
    ]));
    assert_eq!(summary(&json_lines(&out))["up_to_date"], 5, "{out}");
}

#[test]
fn several_sources_need_a_folder_and_one_file_may_be_renamed() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let files: Vec<String> = (0..3)
        .map(|i| {
            let p = random_file_in(tmp.path(), &format!("f{i}.bin"), 5_000, i);
            p.to_str().unwrap().to_string()
        })
        .collect();
    let args = |rest: &[&str]| {
        let mut a = vec!["put"];
        a.extend(files.iter().map(String::as_str));
        a.extend(rest);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| server.cli(&a.iter().map(String::as_str).collect::<Vec<_>>());

    let err = fails_with(&run(args(&["/missing"])), "not_found");
    assert!(err.contains("several sources need a folder"), "{err}");
    assert!(!server.home("admin").join("missing").exists());
    let out = ok(&run(args(&["/in/"])));
    assert!(out.contains("put: 3 files, "), "{out}");
    for i in 0..3 {
        assert!(server.home("admin").join(format!("in/f{i}.bin")).is_file());
    }
    // An existing folder without the slash is a folder too; a file there is not.
    ok(&run(args(&["--overwrite", "/in"])));
    fails_with(&run(args(&["/in/f0.bin"])), "not_a_directory");
    // One file and a new name: as ever.
    let out = ok(&server.cli(&["put", &files[0], "/renamed.bin"]));
    assert!(out.contains("-> /renamed.bin: "), "{out}");

    let dest = tmp.path().join("down/");
    let out = ok(&server.cli(&[
        "get",
        "/in/f0.bin",
        "/in/f1.bin",
        &format!("{}/", dest.display()),
    ]));
    assert!(out.contains("get: 2 files, "), "{out}");
    assert_eq!(
        md5_file(&dest.join("f1.bin")),
        md5_file(Path::new(&files[1]))
    );
}

#[test]
fn a_batch_goes_on_past_a_failed_file_and_exits_1() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let good = random_file_in(tmp.path(), "good.bin", 3_000, 9);
    let missing = tmp.path().join("missing.bin");
    let folder = tmp.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    let out = server.cli(&[
        "put",
        missing.to_str().unwrap(),
        folder.to_str().unwrap(),
        good.to_str().unwrap(),
        "/dest/",
    ]);
    let err = fails_with(&out, "transfer_failed");
    assert!(err.contains("is a folder (use -r to send it)"), "{err}");
    assert!(err.contains("error[io_error]: "), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 files, ") && stdout.contains("2 failed"),
        "{stdout}"
    );
    assert!(server.home("admin").join("dest/good.bin").is_file());
    // One folder without -r: refused as it always was, with a hint.
    let err = fails_with(
        &server.cli(&["put", folder.to_str().unwrap()]),
        "is_a_directory",
    );
    assert!(err.contains("put -r"), "{err}");
}

#[test]
fn ls_and_user_list_print_aligned_columns_with_human_sizes() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let big = random_file_in(tmp.path(), "big.bin", 3 << 20, 1);
    let small = random_file_in(tmp.path(), "s.bin", 10, 2);
    ok(&server.cli(&["put", big.to_str().unwrap(), small.to_str().unwrap(), "/d/"]));
    let out = ok(&server.cli(&["ls", "-lh", "/d"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("- 3.0 MiB  ") && lines[0].ends_with("  big.bin"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("-    10 B  ") && lines[1].ends_with("  s.bin"),
        "{out}"
    );
    let out = ok(&server.cli(&["ls", "--bytes", "/d"]));
    assert!(
        out.lines().next().unwrap().starts_with("- 3145728  "),
        "{out}"
    );

    let listed = ok(&crate::support::user(&server.data, &["list"], ""));
    let mut lines = listed.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("NAME   QUOTA  EXEC"), "{listed}");
    let admin = lines.next().unwrap();
    let end = |line: &str, word: &str| line.find(word).map(|i| i + word.len());
    assert_eq!(
        end(admin, "none"),
        end(header, "QUOTA"),
        "right-aligned: {listed}"
    );
}

#[test]
fn a_put_told_its_target_is_free_asks_after_all_when_it_is_not() {
    use ferry_client::{Client, NoProgress, PutOptions};
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let f = random_file_in(tmp.path(), "f.bin", 5_000, 1);
    std::fs::create_dir(tmp.path().join("other")).unwrap();
    let other = random_file_in(&tmp.path().join("other"), "f.bin", 5_000, 2);
    ok(&server.cli(&["put", f.to_str().unwrap(), "/d/"]));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let timeout = std::time::Duration::from_secs(10);
        let mut c = Client::connect(&server.addr.to_string(), timeout)
            .await
            .unwrap();
        c.login("admin", crate::support::PASSWORD).await.unwrap();
        let told = PutOptions {
            assume_absent: true,
            ..PutOptions::default()
        };
        let done = c.put(&f, Some("/d/"), told, &mut NoProgress).await.unwrap();
        assert!(done.up_to_date, "{done:?}");
        let e = c
            .put(&other, Some("/d/"), told, &mut NoProgress)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "already_exists");
    });
    assert_eq!(
        server.md5_of("admin", "d/f.bin"),
        md5_file(&f),
        "the first file stays"
    );
}
