//! Names made outside Ferry in another Unicode form (NFD, as macOS tools write them): every
//! name a listing shows opens, stats, moves and deletes under that name.

use std::fs;

use ferry_core::Session;

mod support;

use support::alice_on_fresh_data;

const NFD_FILE: &str = "cafe\u{301}.txt";
const NFC_FILE: &str = "caf\u{e9}.txt";
const NFD_DIR: &str = "re\u{301}sume\u{301}";
const NFC_DIR: &str = "r\u{e9}sum\u{e9}";

/// Alice's session and her home on disk.
async fn alice() -> (tempfile::TempDir, std::path::PathBuf, Session) {
    let (dir, data, session) = alice_on_fresh_data().await;
    (dir, data.join("homes/alice"), session)
}

async fn read(s: &Session, path: &str) -> Vec<u8> {
    let mut d = s.open_download(path, 0).await.unwrap();
    let mut out = Vec::new();
    while let Some(b) = d.next_chunk(1 << 16).await.unwrap() {
        out.extend_from_slice(&b);
    }
    out
}

async fn names(s: &Session, dir: &str) -> Vec<String> {
    let l = s.list(Some(dir), None, None).await.unwrap();
    l.entries.into_iter().map(|e| e.name).collect()
}

#[tokio::test]
async fn an_nfd_name_made_outside_ferry_lists_as_nfc_and_opens_under_it() {
    let (_tmp, home, s) = alice().await;
    fs::create_dir(home.join(NFD_DIR)).unwrap();
    fs::write(home.join(NFD_DIR).join(NFD_FILE), b"made on a Mac").unwrap();
    fs::write(home.join(NFD_FILE), b"top").unwrap();

    assert_eq!(names(&s, "/").await, [NFC_FILE, NFC_DIR]);
    let inner = format!("/{NFC_DIR}");
    assert_eq!(names(&s, &inner).await, [NFC_FILE]);
    let file = format!("/{NFC_DIR}/{NFC_FILE}");
    assert_eq!(read(&s, &file).await, b"made on a Mac");
    assert_eq!(s.stat(&file, false).await.unwrap().size, 13);
    // The client's own spelling does not matter: NFD input is normalised to the same name.
    assert_eq!(
        read(&s, &format!("/{NFD_DIR}/{NFD_FILE}")).await,
        b"made on a Mac"
    );

    s.rename(&file, "/moved.txt", false).await.unwrap();
    assert_eq!(read(&s, "/moved.txt").await, b"made on a Mac");
    s.remove(NFC_FILE, false).await.unwrap();
    assert!(!home.join(NFD_FILE).exists());
    s.remove(&inner, false).await.unwrap();
    assert!(!home.join(NFD_DIR).exists());
    assert_eq!(names(&s, "/").await, ["moved.txt"]);
}

#[tokio::test]
async fn both_spellings_of_a_name_list_once_as_the_nfc_file() {
    let (_tmp, home, s) = alice().await;
    fs::write(home.join(NFD_FILE), b"nfd").unwrap();
    fs::write(home.join(NFC_FILE), b"nfc").unwrap();
    assert_eq!(names(&s, "/").await, [NFC_FILE]);
    assert_eq!(read(&s, NFC_FILE).await, b"nfc");
}

#[tokio::test]
async fn a_name_whose_nfc_form_is_plain_ascii_is_not_listed_since_it_would_not_open() {
    let (_tmp, home, s) = alice().await;
    // KELVIN SIGN normalises to the letter K.
    fs::write(home.join("\u{212a}.txt"), b"x").unwrap();
    fs::write(home.join("a.txt"), b"a").unwrap();
    assert_eq!(names(&s, "/").await, ["a.txt"]);
    assert_eq!(
        s.stat("K.txt", false).await.unwrap_err().code(),
        "not_found"
    );
    assert_eq!(s.list(Some("/"), None, None).await.unwrap().skipped, 1);
}

#[tokio::test]
async fn names_no_path_can_address_are_counted_on_every_page() {
    use std::os::unix::ffi::OsStrExt;
    let (_tmp, home, s) = alice().await;
    fs::write(home.join(std::ffi::OsStr::from_bytes(b"bad\xff")), b"x").unwrap();
    fs::write(home.join("tab\there"), b"x").unwrap();
    fs::write(home.join("a.txt"), b"a").unwrap();
    fs::write(home.join("b.txt"), b"b").unwrap();
    let first = s.list(Some("/"), None, Some(1)).await.unwrap();
    assert_eq!((first.entries.len(), first.skipped), (1, 2));
    let second = s.list(Some("/"), first.next, Some(1)).await.unwrap();
    assert_eq!(second.entries[0].name, "b.txt");
    assert_eq!((second.skipped, second.next), (2, None));
    // Renamed from a shell, the name is listed and the count drops.
    fs::rename(
        home.join(std::ffi::OsStr::from_bytes(b"bad\xff")),
        home.join("bad.txt"),
    )
    .unwrap();
    let after = s.list(Some("/"), None, None).await.unwrap();
    assert_eq!(after.skipped, 1);
    assert_eq!(after.entries.len(), 3);
    // A folder without such names says 0.
    s.mkdir("/clean", false).await.unwrap();
    assert_eq!(s.list(Some("/clean"), None, None).await.unwrap().skipped, 0);
}
