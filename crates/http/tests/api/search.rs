//! Search by name: the walk's order, pages by cursor, the visit budget, and every refusal
//! with its code.

use std::time::Duration;

use ferry_http::Limits;
use http::StatusCode;
use serde_json::Value;

use crate::support::{Reply, TestApp, authed, empty};

/// A small tree; `report` (any case) matches three entries.
async fn tree(app: &TestApp) {
    for dir in ["REPORTS", "docs/old", "photos"] {
        let r = app
            .send(empty(authed("POST", &format!("/api/v1/dirs/{dir}"))))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    }
    for file in [
        "docs/Report-2024.pdf",
        "docs/old/report.txt",
        "photos/a.png",
        "notes.md",
    ] {
        app.put(file, b"x").await;
    }
}

async fn search(app: &TestApp, query: &str) -> Reply {
    app.send(empty(authed("GET", &format!("/api/v1/search?{query}"))))
        .await
}

fn paths(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect()
}

/// Every match, following `next` from `query`; also how many pages it took and whether any
/// was cut short by the budget.
async fn all_pages(app: &TestApp, query: &str) -> (Vec<String>, usize, bool) {
    let (mut found, mut pages, mut truncated) = (Vec::new(), 0, false);
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={}", c.replace('/', "%2F")),
            None => query.to_string(),
        };
        let r = search(app, &q).await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        let page = r.json();
        found.extend(paths(&page));
        pages += 1;
        truncated |= page["truncated"].as_bool().unwrap();
        match page["next"].as_str() {
            Some(n) => cursor = Some(n.to_string()),
            None => return (found, pages, truncated),
        }
        assert!(pages < 50, "the cursor keeps moving forward");
    }
}

const ALL: [&str; 3] = ["/REPORTS", "/docs/Report-2024.pdf", "/docs/old/report.txt"];

#[tokio::test]
async fn search_finds_names_in_any_case_below_a_folder_in_walk_order() {
    let app = TestApp::new().await;
    tree(&app).await;
    let r = search(&app, "q=rEpOrT").await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let page = r.json();
    assert_eq!(paths(&page), ALL);
    assert_eq!(page["next"], Value::Null);
    assert_eq!(page["truncated"], false);
    assert_eq!(page["under"], "/");
    assert_eq!(page["entries"][0]["kind"], "dir");

    let r = search(&app, "q=report&under=docs").await;
    assert_eq!(paths(&r.json()), &ALL[1..]);
    assert_eq!(r.json()["under"], "/docs");
    // Spaces are part of a pattern; the folder itself as cursor starts from the beginning.
    let r = search(&app, "q=%20").await;
    assert_eq!(paths(&r.json()), Vec::<String>::new());
    let r = search(&app, "q=report&under=docs&cursor=%2Fdocs").await;
    assert_eq!(paths(&r.json()), &ALL[1..]);
    let r = search(&app, "q=nothing-like-this").await;
    assert_eq!(paths(&r.json()), Vec::<String>::new());
}

#[tokio::test]
async fn pages_of_one_follow_the_cursor_to_every_match_once() {
    let app = TestApp::new().await;
    tree(&app).await;
    let (found, pages, truncated) = all_pages(&app, "q=report&limit=1").await;
    assert_eq!(found, ALL);
    assert!((3..=4).contains(&pages), "{pages} pages");
    assert!(!truncated, "full pages are not truncated");
}

#[tokio::test]
async fn a_search_past_its_visit_budget_says_truncated_and_continues() {
    let app = TestApp::with(Limits::default(), |c| c.search_max_visits = 2).await;
    tree(&app).await;
    let first = search(&app, "q=report").await.json();
    assert_eq!(first["truncated"], true, "{first}");
    assert_eq!(first["visited"], 2);
    assert!(first["next"].is_string());
    let (found, pages, truncated) = all_pages(&app, "q=report").await;
    assert_eq!(found, ALL);
    assert!(pages >= 4 && truncated, "{pages} pages");

    // Out of time at once: each page visits one entry, and the cursor still gets there.
    let app = TestApp::with(Limits::default(), |c| c.search_max_time = Duration::ZERO).await;
    tree(&app).await;
    let first = search(&app, "q=report").await.json();
    assert_eq!(
        (&first["truncated"], &first["visited"]),
        (&Value::Bool(true), &Value::from(1))
    );
    let (found, _, _) = all_pages(&app, "q=report").await;
    assert_eq!(found, ALL);
}

#[tokio::test]
async fn bad_patterns_cursors_and_folders_are_refused_with_their_codes() {
    let app = TestApp::new().await;
    tree(&app).await;
    let cases: &[(&str, u16, &str)] = &[
        ("q=", 400, "invalid_search_pattern"),
        ("q=a%2Fb", 400, "invalid_search_pattern"),
        ("q=a%01", 400, "invalid_search_pattern"),
        (
            &format!("q={}", "a".repeat(256)),
            400,
            "invalid_search_pattern",
        ),
        ("under=docs", 400, "bad_request"),
        ("q=a&limit=0", 400, "bad_request"),
        ("q=a&limit=1001", 400, "bad_request"),
        ("q=a&surprise=1", 400, "bad_request"),
        (
            "q=a&under=docs&cursor=%2Fphotos%2Fa.png",
            400,
            "invalid_search_cursor",
        ),
        ("q=a&cursor=..%2F..%2Fetc", 403, "path_outside_home"),
        ("q=a&under=..%2F..", 403, "path_outside_home"),
        ("q=a&under=missing", 404, "not_found"),
        ("q=a&under=notes.md", 409, "not_a_directory"),
    ];
    for (query, status, code) in cases {
        search(&app, query).await.assert_problem(*status, code);
    }
    let r = app
        .send(empty(crate::support::anon("GET", "/api/v1/search?q=a")))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_decomposed_pattern_finds_the_composed_name_the_home_holds() {
    let app = TestApp::new().await;
    app.put("caf%C3%A9.txt", b"x").await; // "café" composed (NFC)
    // "cafe" + U+0301 COMBINING ACUTE ACCENT: the same text, decomposed (NFD).
    let r = search(&app, "q=cafe%CC%81").await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(paths(&r.json()), ["/café.txt"]);
}
