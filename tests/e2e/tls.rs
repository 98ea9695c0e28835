//! TLS on both doors: the real binary with certificates from a test CA made here, the real CLI
//! and the client library over TLS, and the failures a client must see as `tls_error`.
//! (Over 300 lines: every case shares the test CA and the server helpers at the top.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use ferry_client::{Client, TlsClient};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

use crate::support::{PASSWORD, Server, fails_with, md5_file, ok, random_file, wait_for};

/// A CA and the files of certificates it signs, in a temp folder.
struct TestCa {
    dir: tempfile::TempDir,
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl TestCa {
    fn new() -> TestCa {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Ferry test CA");
        let cert = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), cert.pem()).unwrap();
        TestCa { dir, cert, key }
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Issues a certificate for `names` as `STEM.pem` + `STEM.key`; `expired` dates it in
    /// the past. Returns the two paths.
    fn issue(&self, stem: &str, names: &[&str], expired: bool) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        let (c, k) = (
            self.dir.path().join(format!("{stem}.pem")),
            self.dir.path().join(format!("{stem}.key")),
        );
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }

    /// A server on a certificate this CA issued for `names` (see [`TestCa::issue`]).
    fn serve(&self, stem: &str, names: &[&str], expired: bool) -> Server {
        let (cert, key) = self.issue(stem, names, expired);
        tls_server(&cert, &key, &[])
    }

    /// `ferry --ca CA_FILE ls` against `server`: the CLI trusting this CA.
    fn ls(&self, server: &Server) -> Output {
        server.cli(&["--ca", self.ca_file().to_str().unwrap(), "ls"])
    }
}

fn tls_server(cert: &Path, key: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// The fingerprint the server printed for a door.
fn printed_fingerprint(server: &Server, door: &str) -> String {
    let prefix = format!("ferry: {door} tls certificate sha256 ");
    server
        .stdout()
        .iter()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .expect("the server printed its fingerprint")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn cli_puts_and_gets_over_tls_checked_against_a_ca_file() {
    let ca = TestCa::new();
    let server = ca.serve("server", &["localhost", "127.0.0.1"], false);
    let work = tempfile::tempdir().unwrap();
    let (src, back) = (work.path().join("a.bin"), work.path().join("b.bin"));
    random_file(&src, 3 << 20, 7);
    let ca_file = ca.ca_file();
    let ca_arg = ca_file.to_str().unwrap();
    ok(&server.cli(&["--ca", ca_arg, "put", src.to_str().unwrap(), "a.bin"]));
    // The `ferrys://` spelling with FERRY_TLS-free environment, and `localhost` as the name.
    let url = format!("ferrys://localhost:{}", server.addr.port());
    ok(&server
        .cli_cmd(&[
            "--server",
            &url,
            "--ca",
            ca_arg,
            "get",
            "a.bin",
            back.to_str().unwrap(),
        ])
        .output()
        .unwrap());
    assert_eq!(md5_file(&src), md5_file(&back));
}

#[test]
fn ferry_tls_env_turns_tls_on_and_unknown_issuers_are_tls_errors() {
    let ca = TestCa::new();
    let server = ca.serve("server", &["127.0.0.1"], false);
    // Web PKI roots do not know the test CA: refused, not downgraded.
    let out = server
        .cli_cmd(&["ls"])
        .env("FERRY_TLS", "1")
        .output()
        .unwrap();
    fails_with(&out, "tls_error");
}

#[test]
fn a_certificate_for_another_name_is_a_tls_error() {
    let ca = TestCa::new();
    let server = ca.serve("other", &["files.example"], false);
    let err = fails_with(&ca.ls(&server), "tls_error");
    assert!(err.contains("not valid for name"), "{err}");
}

#[test]
fn an_expired_certificate_is_a_tls_error() {
    let ca = TestCa::new();
    let server = ca.serve("old", &["127.0.0.1"], true);
    let err = fails_with(&ca.ls(&server), "tls_error");
    assert!(err.to_lowercase().contains("expired"), "{err}");
}

#[test]
fn a_tls_client_on_a_plain_port_gets_a_tls_error() {
    let ca = TestCa::new();
    let server = Server::start(&[]);
    fails_with(&ca.ls(&server), "tls_error");
}

#[test]
fn a_plain_client_on_a_tls_port_is_closed_and_others_are_still_served() {
    let ca = TestCa::new();
    let server = ca.serve("server", &["127.0.0.1"], false);
    let mut plain = TcpStream::connect(server.addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let hello = br#"{"op":"hello","version":1}"#;
    let mut frame = (hello.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(hello);
    let _ = plain.write_all(&frame);
    let mut buf = Vec::new();
    // The server closes without a frame: end of stream (or a reset), never a `hello` reply.
    let _ = plain.read_to_end(&mut buf);
    assert!(
        !String::from_utf8_lossy(&buf).contains("\"ok\""),
        "a plain client got a reply: {buf:?}"
    );
    // `ferry` without --tls reads the server's TLS alert and says so, as `tls_error`.
    let out = server.cli_cmd(&["ls"]).output().unwrap();
    let err = fails_with(&out, "tls_error");
    assert!(err.contains("speaks TLS"), "{err}");
    ok(&ca.ls(&server));
}

#[test]
fn https_sends_hsts_and_a_secure_download_cookie() {
    let ca = TestCa::new();
    let server = ca.serve("server", &["127.0.0.1"], false);
    let root = reqwest::Certificate::from_pem(&std::fs::read(ca.ca_file()).unwrap()).unwrap();
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(root)
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{}", server.http.port());
    runtime().block_on(async {
        let page = http.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(
            page.headers()["strict-transport-security"],
            "max-age=31536000"
        );
        let login = http
            .post(format!("{base}/api/v1/login"))
            .json(&serde_json::json!({"username": "admin", "password": PASSWORD, "cookie": true}))
            .send()
            .await
            .unwrap();
        assert!(login.status().is_success(), "{}", login.status());
        assert!(login.headers().contains_key("strict-transport-security"));
        let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("ferry_download="), "{cookie}");
        assert!(cookie.ends_with("; Secure"), "{cookie}");
    });
    // Plain HTTP on the HTTPS port is not served: it is told, in plain text it can read, to
    // use https, and the connection is closed.
    let mut plain = TcpStream::connect(server.http).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    plain
        .write_all(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    plain.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("\"code\":\"tls_required\""), "{text}");
    assert!(text.contains("https://"), "{text}");
    // The port still serves HTTPS.
    runtime().block_on(async {
        let page = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert!(page.status().is_success(), "{}", page.status());
    });
}

#[test]
fn the_http_door_can_have_its_own_certificate() {
    let ca = TestCa::new();
    let (cert, key) = ca.issue("tcp", &["127.0.0.1"], false);
    let (hcert, hkey) = ca.issue("http", &["127.0.0.1"], false);
    let server = tls_server(
        &cert,
        &key,
        &[
            "--http-tls-cert",
            hcert.to_str().unwrap(),
            "--http-tls-key",
            hkey.to_str().unwrap(),
        ],
    );
    assert_ne!(
        printed_fingerprint(&server, "tcp"),
        printed_fingerprint(&server, "http")
    );
}

#[test]
fn sighup_serves_the_new_certificate_to_new_connections_and_keeps_old_ones() {
    let ca = TestCa::new();
    let (cert, key) = ca.issue("one", &["127.0.0.1"], false);
    let (cert2, key2) = ca.issue("two", &["127.0.0.1"], false);
    let live = ca.dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    let (live_cert, live_key) = (live.join("cert.pem"), live.join("key.pem"));
    std::fs::copy(&cert, &live_cert).unwrap();
    std::fs::copy(&key, &live_key).unwrap();
    let server = tls_server(&live_cert, &live_key, &[]);
    let first = printed_fingerprint(&server, "tcp");
    let addr = server.addr.to_string();
    let rt = runtime();
    let connect = |pin: &str| {
        let tls = TlsClient::pinned(pin).unwrap();
        rt.block_on(async {
            let mut c = Client::connect_with(&addr, Some(tls), Duration::from_secs(10)).await?;
            c.login("admin", PASSWORD).await?;
            Ok::<_, ferry_client::ClientError>(c)
        })
    };
    let mut old = connect(&first).unwrap();

    std::fs::copy(&cert2, &live_cert).unwrap();
    std::fs::copy(&key2, &live_key).unwrap();
    let status = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_for(20, "the reload line", || {
        server
            .stdout()
            .iter()
            .any(|l| l.starts_with("ferry: tcp tls certificate reloaded"))
    });
    let line = server
        .stdout()
        .into_iter()
        .find(|l| l.starts_with("ferry: tcp tls certificate reloaded"))
        .unwrap();
    let second = line.rsplit(' ').next().unwrap().to_string();
    assert_ne!(first, second);

    assert_eq!(connect(&first).unwrap_err().code(), "tls_error");
    let mut new = connect(&second).unwrap();
    rt.block_on(async {
        new.mkdir("made-after-reload", false).await.unwrap();
        // The connection from before the reload still works on its old session.
        old.mkdir("made-on-the-old-connection", false)
            .await
            .unwrap();
    });
    assert!(
        server
            .home("admin")
            .join("made-on-the-old-connection")
            .is_dir()
    );
}

/// Which suite a handshake with `server` settles on, for a rustls client whose own order is
/// the `ring` default (AES-256-GCM first, as curl and reqwest offer).
fn negotiated_suite(ca: &TestCa, addr: &str) -> rustls::CipherSuite {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from(
            ca.cert.der().to_vec(),
        ))
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    assert_eq!(
        provider.cipher_suites[0].suite(),
        rustls::CipherSuite::TLS13_AES_256_GCM_SHA384,
        "the client prefers AES-256"
    );
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let mut sock = TcpStream::connect(addr).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).unwrap();
    }
    conn.negotiated_cipher_suite().unwrap().suite()
}

#[test]
fn both_doors_choose_aes_128_gcm_over_a_clients_aes_256_preference() {
    let ca = TestCa::new();
    let server = ca.serve("srv", &["127.0.0.1"], false);
    for addr in [server.addr.to_string(), server.http.to_string()] {
        assert_eq!(
            negotiated_suite(&ca, &addr),
            rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
            "on {addr}"
        );
    }
}

#[test]
fn self_signed_certificates_are_kept_and_pinned_by_the_printed_fingerprint() {
    let server = Server::start(&["--tls-self-signed"]);
    let fp = printed_fingerprint(&server, "tcp");
    assert!(server.data.join("tls/cert.pem").is_file());
    ok(&server.cli(&["--fingerprint", &fp, "ls"]));
    let wrong = "00".repeat(32);
    fails_with(&server.cli(&["--fingerprint", &wrong, "ls"]), "tls_error");
}
