"""``ferry find`` over the TCP door against the real server: every match below a folder, in
the server's walk order, across pages; ``--json``; a refused pattern's code."""

from __future__ import annotations

import json
import os
import subprocess

from conftest import ADMIN_PASSWORD, ferry_binary


def find(server, *args: str) -> subprocess.CompletedProcess:
    host, port = server.tcp
    env = dict(os.environ, FERRY_SERVER=f"{host}:{port}", FERRY_USER="admin",
               FERRY_PASSWORD=ADMIN_PASSWORD, NO_COLOR="1")
    return subprocess.run([str(ferry_binary()), "find", *args], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_find_prints_every_match_below_a_folder_in_walk_order(ferry_server):
    home = ferry_server.home()
    (home / "docs" / "old").mkdir(parents=True)
    (home / "REPORTS").mkdir()
    (home / "docs" / "Report-2024.pdf").write_bytes(b"x")
    (home / "docs" / "old" / "report.txt").write_bytes(b"x")
    (home / "notes.md").write_bytes(b"x")
    # More matches than one page holds (100), so the client follows the cursor.
    (home / "many").mkdir()
    for i in range(150):
        (home / "many" / f"item-{i:03}.bin").write_bytes(b"")

    run = find(ferry_server, "report")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["/REPORTS/", "/docs/Report-2024.pdf", "/docs/old/report.txt"]

    run = find(ferry_server, "REPORT", "docs")
    assert run.stdout.splitlines() == ["/docs/Report-2024.pdf", "/docs/old/report.txt"]

    run = find(ferry_server, "item-", "/many", "--json")
    assert run.returncode == 0, run.stderr
    entries = [json.loads(line) for line in run.stdout.splitlines()]
    assert [e["name"] for e in entries] == [f"item-{i:03}.bin" for i in range(150)]
    assert all(e["kind"] == "file" for e in entries)


def test_find_refuses_a_pattern_with_a_slash_with_its_code(ferry_server):
    run = find(ferry_server, "a/b")
    assert run.returncode != 0
    assert "error[invalid_search_pattern]" in run.stderr
    run = find(ferry_server, "x", "/nowhere")
    assert run.returncode != 0
    assert "error[not_found]" in run.stderr
