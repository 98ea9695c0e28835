//! Every operation round-trips through its header under its own name; bad headers get their codes.

use super::*;

/// A request naming `op`; the exhaustive match makes a new [`Op`] need a sample here.
fn sample(op: Op) -> Request {
    let id = || "0123456789abcdef0123456789abcdef".to_string();
    let path = || "/a".to_string();
    match op {
        Op::Hello => Request::Hello {
            version: 1,
            client: None,
        },
        Op::AuthStart => Request::AuthStart {
            mechanism: "SCRAM-SHA-256".into(),
            message: "n,,n=u,r=x".into(),
        },
        Op::AuthFinish => Request::AuthFinish {
            message: "c=biws".into(),
        },
        Op::Pwd => Request::Pwd,
        Op::Cd => Request::Cd { path: path() },
        Op::Ls => Request::Ls {
            path: None,
            after: None,
            limit: None,
        },
        Op::Stat => Request::Stat {
            path: path(),
            digest: false,
        },
        Op::Mkdir => Request::Mkdir {
            path: path(),
            parents: false,
        },
        Op::Rm => Request::Rm {
            path: path(),
            recursive: false,
        },
        Op::Mv => Request::Mv {
            from: path(),
            to: "/b".into(),
            overwrite: false,
        },
        Op::Quota => Request::Quota,
        Op::Find => Request::Find {
            pattern: "report".into(),
            path: Some("/docs".into()),
            cursor: Some("/docs/a".into()),
            limit: Some(10),
        },
        Op::UploadCreate => Request::UploadCreate {
            path: path(),
            size: 1,
            md5: None,
            overwrite: false,
            parents: true,
        },
        Op::UploadList => Request::UploadList,
        Op::UploadStatus => Request::UploadStatus { id: id() },
        Op::UploadWrite => Request::UploadWrite {
            id: id(),
            offset: 0,
            crc32c: 0,
        },
        Op::UploadFinish => Request::UploadFinish {
            id: id(),
            md5: None,
        },
        Op::UploadCancel => Request::UploadCancel { id: id() },
        Op::Put => Request::Put {
            path: path(),
            md5: Some("0123456789abcdef0123456789abcdef".into()),
            crc32c: 7,
            overwrite: false,
            parents: false,
        },
        Op::Get => Request::Get {
            path: path(),
            offset: 0,
        },
        Op::Exec => Request::Exec {
            id: 1,
            argv: Some(vec!["true".into()]),
            command: None,
            timeout_secs: None,
        },
        Op::Passwd => Request::Passwd {
            current_password: "old password".into(),
            new_password: "new password".into(),
        },
        Op::ShareCreate => Request::ShareCreate {
            path: path(),
            expires: Some("7d".into()),
            password: None,
            max_downloads: None,
            upload: false,
        },
        Op::ShareList => Request::ShareList,
        Op::ShareRevoke => Request::ShareRevoke {
            id: "AAAAAAAAAAAAAAAAAAAAAA".into(),
        },
        Op::Bye => Request::Bye,
    }
}

#[test]
fn every_op_is_named_on_the_wire_as_its_table_says_and_parses_back() {
    for &op in Op::ALL {
        let request = sample(op);
        assert_eq!(request.op(), op);
        let header = request.to_header();
        assert_eq!(header["op"], op.as_str(), "{op:?}");
        assert_eq!(Op::from_name(op.as_str()), Some(op));
        assert_eq!(Request::from_header(&header), Ok(request));
    }
}

#[test]
fn unknown_and_missing_ops_get_their_codes() {
    let header = |v: serde_json::Value| v.as_object().cloned().unwrap();
    let unknown = Request::from_header(&header(serde_json::json!({"op": "lss"})));
    assert_eq!(unknown.unwrap_err().code(), "unknown_op");
    let missing = Request::from_header(&header(serde_json::json!({"path": "/"})));
    assert_eq!(missing, Err(RequestError::MissingOp));
    let typo = Request::from_header(&header(
        serde_json::json!({"op": "cd", "path": "/", "x": 1}),
    ));
    assert_eq!(typo.unwrap_err().code(), "bad_request");
}

#[test]
fn an_unknown_field_is_bad_request_on_every_operation() {
    for &op in Op::ALL {
        let mut header = sample(op).to_header();
        header.insert("typo".into(), serde_json::json!(1));
        let got = Request::from_header(&header);
        assert!(
            matches!(&got, Err(RequestError::BadFields(m)) if m.contains("typo")),
            "{op:?}: {got:?}"
        );
        assert_eq!(got.unwrap_err().code(), "bad_request", "{op:?}");
    }
}
