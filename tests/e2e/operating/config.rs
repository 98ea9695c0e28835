//! `ferry serve --config`: precedence, refusals, the shipped example; the options each command
//! shows; `ferry user` on a folder that is not a data folder; the password minimum.

use std::os::unix::fs::PermissionsExt;

use super::{config_file, exits, serve_cmd};
use crate::support::{PASSWORD, Server, bin, free_port, ok, user};

/// The value `--print-config` gives `key`, and where it says the value came from.
fn printed<'a>(out: &'a str, key: &str) -> (&'a str, &'a str) {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in:\n{out}"));
    let rest = &line[key.len() + 3..];
    let (value, source) = rest.split_once("  # ").unwrap();
    (value, source)
}

#[test]
fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
    let tmp = tempfile::tempdir().unwrap();
    let file = config_file(
        tmp.path(),
        "max-connections = 7\nlogin-timeout = 4.5\ntrusted-proxy = [\"10.0.0.0/8\"]\n\
         no-exec = true\nmax-upload-size = \"1GiB\"\ncors-origin = \"https://a.example\"\n",
    );
    let out = ok(&serve_cmd()
        .arg("--config")
        .arg(&file)
        .args(["--max-connections", "9", "--print-config"])
        .env("FERRY_TRUSTED_PROXY", "192.168.0.0/16")
        .output()
        .unwrap());
    assert_eq!(printed(&out, "max-connections"), ("9", "command line"));
    assert_eq!(
        printed(&out, "trusted-proxy"),
        ("[\"192.168.0.0/16\"]", "environment FERRY_TRUSTED_PROXY")
    );
    assert_eq!(printed(&out, "login-timeout"), ("4.5", "config file"));
    assert_eq!(printed(&out, "no-exec"), ("true", "config file"));
    assert_eq!(
        printed(&out, "max-upload-size"),
        ("\"1GiB\"", "config file")
    );
    assert_eq!(
        printed(&out, "cors-origin"),
        ("[\"https://a.example\"]", "config file")
    );
    assert_eq!(printed(&out, "max-uploads-per-user"), ("64", "default"));

    // FERRY_CONFIG names the file as --config does; the printed configuration loads back.
    let printed_dir = tmp.path().join("printed");
    std::fs::create_dir(&printed_dir).unwrap();
    let printed_file = config_file(&printed_dir, &out);
    let again = ok(&serve_cmd()
        .arg("--print-config")
        .env("FERRY_CONFIG", &printed_file)
        .output()
        .unwrap());
    assert_eq!(printed(&again, "max-connections"), ("9", "config file"));
    assert_eq!(
        printed(&again, "trusted-proxy"),
        ("[\"192.168.0.0/16\"]", "config file")
    );
}

#[test]
fn the_server_listens_where_its_config_file_says() {
    let tmp = tempfile::tempdir().unwrap();
    let (tcp, http) = (free_port(), free_port());
    let data = tmp.path().join("data");
    let file = config_file(
        tmp.path(),
        &format!(
            "data = {:?}\ntcp = \"{tcp}\"\nhttp = \"{http}\"\n",
            data.to_str().unwrap()
        ),
    );
    let mut cmd = serve_cmd();
    cmd.arg("--config")
        .arg(&file)
        .env("FERRY_ADMIN_PASSWORD", PASSWORD)
        .env("FERRY_LOG", "warn");
    let server = Server::spawn(cmd, &data, tcp, &[]);
    assert_eq!(server.http, http);
    assert!(data.join("state").is_dir(), "the data folder from the file");
    ok(&server.cli(&["ls"]));
}

#[test]
fn a_bad_config_refuses_to_start_and_names_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("max-conections = 3\n", "unknown key `max-conections`"),
        ("max-connections = \"many\"\n", "key `max-connections`"),
        (
            "no-exec = \"yes\"\n",
            "key `no-exec`: expected true or false",
        ),
        (
            "login-timeout = [1, 2]\n",
            "key `login-timeout`: takes one value",
        ),
        ("tcp = 7070\n", "key `tcp`"),
        ("[exec]\ntimeout = 3\n", "unknown key `exec`"),
        ("max-connections = \n", "not valid TOML"),
        ("config = \"other.toml\"\n", "unknown key `config`"),
    ];
    for (text, expected) in cases {
        let file = config_file(tmp.path(), text);
        let out = exits(
            serve_cmd()
                .arg("--config")
                .arg(&file)
                .arg("--data")
                .arg(tmp.path().join("data"))
                .args(["--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"]),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text:?} was accepted");
        assert!(err.contains(expected), "{text:?}: {err}");
    }
    assert!(
        !tmp.path().join("data").exists(),
        "nothing started, nothing made"
    );
}

#[test]
fn a_config_others_can_write_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = config_file(tmp.path(), "max-connections = 7\n");
    for mode in [0o620, 0o602, 0o666] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = exits(serve_cmd().arg("--config").arg(&file).arg("--print-config"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "mode {mode:o} accepted");
        assert!(err.contains("writable by its group or by others"), "{err}");
    }
}

#[test]
fn the_shipped_example_names_every_option_and_loads() {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ferry.toml")).unwrap();
    let defaults = ok(&serve_cmd().arg("--print-config").output().unwrap());
    let keys: Vec<&str> = defaults
        .lines()
        .filter_map(|l| {
            l.split_once(" = ")
                .map(|(k, _)| k)
                .or_else(|| l.strip_prefix("# ")?.strip_suffix(" is not set"))
        })
        .filter(|k| !k.starts_with('#'))
        .collect();
    assert!(keys.len() > 40, "{defaults}");
    // Every key is in the example, set or commented out; uncommenting them all still loads.
    let mut uncommented = String::new();
    for line in example.lines() {
        let line = match line.strip_prefix("# ") {
            Some(rest)
                if rest
                    .split_once(" = ")
                    .is_some_and(|(k, _)| keys.contains(&k)) =>
            {
                rest
            }
            _ => line,
        };
        uncommented.push_str(line);
        uncommented.push('\n');
    }
    for key in &keys {
        assert!(
            uncommented
                .lines()
                .any(|l| l.starts_with(&format!("{key} = "))),
            "docs/ferry.toml lacks `{key}`"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = config_file(tmp.path(), &uncommented);
    ok(&serve_cmd()
        .arg("--config")
        .arg(&file)
        .arg("--print-config")
        .output()
        .unwrap());
}

#[test]
fn server_help_has_no_client_options_and_client_help_no_server_limits() {
    let help = |args: &[&str]| {
        ok(&std::process::Command::new(bin())
            .args(args)
            .output()
            .unwrap())
    };
    let serve = help(&["serve", "--help"]);
    for client_option in ["--server", "--user", "--timeout", "--fingerprint"] {
        assert!(
            !serve.contains(client_option),
            "serve --help shows {client_option}"
        );
    }
    assert!(serve.contains("--max-connections") && serve.contains("--config"));
    let user = help(&["user", "add", "--help"]);
    assert!(!user.contains("--server"), "{user}");
    for client in [
        &["put", "--help"][..],
        &["ls", "--help"],
        &["exec", "--help"],
    ] {
        let text = help(client);
        assert!(
            text.contains("--server") && text.contains("--timeout"),
            "{text}"
        );
        for server_option in ["--max-connections", "--tls-cert", "--data", "--config"] {
            assert!(
                !text.contains(server_option),
                "{client:?} shows {server_option}"
            );
        }
    }
    let out = std::process::Command::new(bin())
        .args(["--server", "127.0.0.1:1", "serve", "--print-config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("for the client commands"));
}

#[test]
fn connection_options_work_before_and_after_the_command() {
    let server = Server::start(&[]);
    let addr = server.addr.to_string();
    for args in [
        vec!["--server", addr.as_str(), "ls"],
        vec!["ls", "--server", addr.as_str()],
        vec!["--server", "127.0.0.1:1", "ls", "--server", addr.as_str()],
    ] {
        let out = server
            .cli_cmd(&args)
            .env("FERRY_SERVER", "127.0.0.1:1")
            .output()
            .unwrap();
        ok(&out);
    }
}

#[test]
fn ferry_user_refuses_a_folder_that_is_not_a_data_folder_unless_init() {
    let tmp = tempfile::tempdir().unwrap();
    let typo = tmp.path().join("ferry-dta");
    let out = user(
        &typo,
        &["add", "bob", "--password-stdin"],
        "bob's password\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("is not a Ferry data folder") && err.contains("--init"),
        "{err}"
    );
    assert!(!typo.exists(), "no new folder made");
    let plain = tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    assert!(!user(&plain, &["list"], "").status.success());

    ok(&user(
        &typo,
        &["add", "bob", "--password-stdin", "--init"],
        "bob's password\n",
    ));
    let listed = ok(&user(&typo, &["list"], ""));
    assert!(listed.contains("bob"), "{listed}");
}

#[test]
fn a_password_shorter_than_the_minimum_is_refused_where_it_is_set() {
    let server = Server::start(&[]);
    let out = user(
        &server.data,
        &["add", "bob", "--password-stdin"],
        "seven77\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("at least 8 characters"), "{err}");
    ok(&user(
        &server.data,
        &["add", "bob", "--password-stdin"],
        "eight888\n",
    ));
    let out = user(
        &server.data,
        &["passwd", "bob", "--password-stdin"],
        "abc\n",
    );
    assert!(!out.status.success());
    ok(&user(
        &server.data,
        &[
            "passwd",
            "bob",
            "--password-stdin",
            "--min-password-length",
            "3",
        ],
        "abc\n",
    ));
    ok(&server.cli_as("bob", "abc", &["ls"]));

    // The first-run admin password from the environment is held to it too.
    let tmp = tempfile::tempdir().unwrap();
    let out = exits(
        serve_cmd()
            .arg("--data")
            .arg(tmp.path())
            .args(["--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
            .env("FERRY_ADMIN_PASSWORD", "short"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("FERRY_ADMIN_PASSWORD"), "{err}");
}
