"""The README's "HTTP with curl" recipes, each run verbatim with bash against the real server.

A recipe is a fenced ``sh`` block right after an ``<!-- recipe: NAME -->`` marker. Each test
prepares what its recipe expects (input files, folders), runs it with ``set -euo pipefail``
in a temp dir with ``FERRY``, ``FERRY_USER`` and ``FERRY_PASSWORD`` set, and checks the effect
through the API and the data folder. Set-up and checks use the standard library only.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import REPO

README = REPO / "README.md"
MIB = 1024 * 1024


def recipes() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"<!-- recipe: ([\w-]+) -->\n```sh\n(.*?)\n```", text, flags=re.S)
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), f"duplicate recipe names: {names}"
    return dict(found)


def run_recipe(name: str, server, cwd: Path) -> subprocess.CompletedProcess:
    script = "set -euo pipefail\n" + recipes()[name] + "\n"
    env = dict(os.environ, FERRY=server.http, FERRY_USER=server.user, FERRY_PASSWORD=server.password)
    run = subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, f"recipe {name} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"
    return run


def api(server, method: str, path: str, body: bytes | dict | None = None, headers=None):
    """(status, headers, body) of one request as the admin; errors are returned, not raised."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(server.http + path, data=body, method=method)
    req.add_header("Authorization", server.basic)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def stat(server, path: str) -> dict | None:
    status, _, body = api(server, "GET", f"/api/v1/stat/{path}?digest=true")
    return json.loads(body) if status == 200 else None


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def put_file(server, path: str, data: bytes):
    status, _, body = api(server, "PUT", f"/api/v1/files/{path}", data)
    assert status in (200, 201), body


def mkdir(server, path: str):
    status, _, body = api(server, "POST", f"/api/v1/dirs/{path}")
    assert status == 201, body


TESTED = {
    "login", "mkdir", "upload-whole", "upload-whole-md5", "upload-create", "upload-chunks",
    "upload-resume", "download", "list", "move", "delete", "quota", "resumable-draft",
}


def test_readme_has_every_recipe_and_each_is_tested():
    assert set(recipes()) == TESTED


def test_server_recipe_login_gets_a_token_uses_it_and_logs_out(ferry_server, tmp_path):
    run = run_recipe("login", ferry_server, tmp_path)
    quota = json.loads(run.stdout)
    assert {"used", "reserved", "limit"} <= set(quota)


def test_server_recipe_mkdir_creates_the_folder_and_its_parents(ferry_server, tmp_path):
    run_recipe("mkdir", ferry_server, tmp_path)
    assert (ferry_server.home() / "docs" / "2026").is_dir()
    assert stat(ferry_server, "docs/2026")["kind"] == "dir"


@pytest.mark.parametrize("recipe", ["upload-whole", "upload-whole-md5"])
def test_server_recipe_whole_upload_stores_the_file_with_its_md5(recipe, ferry_server, tmp_path):
    data = os.urandom(3 * MIB + 17)
    (tmp_path / "report.pdf").write_bytes(data)
    mkdir(ferry_server, "docs")
    run = run_recipe(recipe, ferry_server, tmp_path)
    assert json.loads(run.stdout)["md5"] == md5(data)
    assert stat(ferry_server, "docs/report.pdf")["md5"] == md5(data)
    assert (ferry_server.home() / "docs" / "report.pdf").read_bytes() == data


def test_server_recipe_whole_upload_with_a_wrong_md5_is_refused_and_keeps_nothing(ferry_server, tmp_path):
    """The recipe's MD5 really is checked: run it with the header computed from report.pdf
    but the body taken from another file."""
    (tmp_path / "report.pdf").write_bytes(b"original")
    mkdir(ferry_server, "docs")
    script = recipes()["upload-whole-md5"].replace("-T report.pdf", "-T other.pdf")
    (tmp_path / "other.pdf").write_bytes(b"tampered")
    env = dict(os.environ, FERRY=ferry_server.http, FERRY_USER=ferry_server.user,
               FERRY_PASSWORD=ferry_server.password)
    run = subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 22, run.stderr  # curl -f on a 4xx
    assert "422" in run.stderr
    assert stat(ferry_server, "docs/report.pdf") is None


def test_server_recipes_create_and_chunks_upload_a_big_file_in_pieces(ferry_server, tmp_path):
    data = os.urandom(20 * MIB + 12345)  # three chunks, the last one short
    (tmp_path / "big.bin").write_bytes(data)
    run_recipe("upload-create", ferry_server, tmp_path)
    upload_id = (tmp_path / "big.bin.upload").read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{32}", upload_id), upload_id
    run_recipe("upload-chunks", ferry_server, tmp_path)
    assert stat(ferry_server, "big.bin")["md5"] == md5(data)
    assert (ferry_server.home() / "big.bin").read_bytes() == data
    assert not list(tmp_path.glob("big.bin.chunk.*"))
    status, _, body = api(ferry_server, "GET", "/api/v1/uploads")
    assert status == 200 and json.loads(body) == []


def send_then_drop(server, upload_id: str, data: bytes, first: int, last: int, send: int):
    """Starts a chunk claiming bytes first..last, sends only ``send`` of them, and drops the
    connection, as a cut network would."""
    url = urlsplit(server.http)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("PUT", f"/api/v1/uploads/{upload_id}")
    conn.putheader("Authorization", server.basic)
    conn.putheader("Content-Range", f"bytes {first}-{last}/{len(data)}")
    conn.putheader("Content-Length", str(last - first + 1))
    conn.endheaders()
    conn.send(data[first : first + send])
    conn.sock.shutdown(2)
    conn.close()


def upload_offset(server, upload_id: str) -> int:
    status, headers, body = api(server, "GET", f"/api/v1/uploads/{upload_id}")
    assert status == 200, body
    return json.loads(body)["offset"]


def test_server_recipe_resume_finishes_an_upload_cut_mid_chunk(ferry_server, tmp_path):
    data = os.urandom(19 * MIB + 777)
    (tmp_path / "big.bin").write_bytes(data)
    run_recipe("upload-create", ferry_server, tmp_path)
    upload_id = (tmp_path / "big.bin.upload").read_text().strip()
    # One chunk of an odd size (so the resume starts off any chunk boundary), then a chunk cut
    # after 3 MiB and a few bytes.
    first = 5 * MIB + 4321
    status, _, body = api(
        ferry_server, "PUT", f"/api/v1/uploads/{upload_id}", data[:first],
        {"Content-Range": f"bytes 0-{first - 1}/{len(data)}"},
    )
    assert status == 308, body
    send_then_drop(ferry_server, upload_id, data, first, first + 8 * MIB - 1, 3 * MIB + 5)
    # The server notices the cut in its own time; wait until the upload is free again.
    for _ in range(100):
        status, _, _ = api(ferry_server, "PUT", f"/api/v1/uploads/{upload_id}", b"",
                           {"Content-Range": f"bytes */{len(data)}"})
        if status == 308:
            break
        time.sleep(0.1)
    held = upload_offset(ferry_server, upload_id)
    assert first <= held <= first + 3 * MIB + 5, held

    run_recipe("upload-resume", ferry_server, tmp_path)
    assert stat(ferry_server, "big.bin")["md5"] == md5(data)
    assert (ferry_server.home() / "big.bin").read_bytes() == data
    assert not list(tmp_path.glob("big.bin.chunk.*"))


def test_server_recipe_download_fetches_then_really_resumes_a_partial_file(ferry_server, tmp_path):
    data = os.urandom(5 * MIB + 99)
    put_file(ferry_server, "big.bin", data)
    target = tmp_path / "big.bin"

    run = run_recipe("download", ferry_server, tmp_path)
    assert target.read_bytes() == data
    assert "MD5 OK" in run.stdout

    # Cut the local copy and resume: the result is whole again.
    target.write_bytes(data[: 2 * MIB + 3])
    run_recipe("download", ferry_server, tmp_path)
    assert target.read_bytes() == data

    # Proof that it resumed rather than fetched it all again: a kept prefix with one byte
    # changed stays changed (and then the recipe's MD5 check rightly fails).
    prefix = bytearray(data[: MIB])
    prefix[0] ^= 0xFF
    target.write_bytes(bytes(prefix))
    script = "set -euo pipefail\n" + recipes()["download"]
    env = dict(os.environ, FERRY=ferry_server.http, FERRY_USER=ferry_server.user,
               FERRY_PASSWORD=ferry_server.password)
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode != 0 and "MD5 OK" not in run.stdout
    assert target.read_bytes() == bytes(prefix) + data[MIB:]

    # Already complete: curl is answered 416 and leaves the file alone.
    target.write_bytes(data)
    run_recipe("download", ferry_server, tmp_path)
    assert target.read_bytes() == data


def test_server_recipe_list_shows_the_folder_as_json(ferry_server, tmp_path):
    mkdir(ferry_server, "docs/2026")
    put_file(ferry_server, "docs/report.pdf", b"pdf")
    run = run_recipe("list", ferry_server, tmp_path)
    listing = json.loads(run.stdout)
    entries = {e["name"]: e for e in listing["entries"]}
    assert entries["2026"]["kind"] == "dir"
    assert entries["report.pdf"]["md5"] == md5(b"pdf")
    assert [e["name"] for e in listing["entries"]] == sorted(entries)


def test_server_recipe_move_renames_into_the_folder(ferry_server, tmp_path):
    mkdir(ferry_server, "docs/2026")
    put_file(ferry_server, "docs/report.pdf", b"pdf")
    run_recipe("move", ferry_server, tmp_path)
    assert stat(ferry_server, "docs/report.pdf") is None
    assert stat(ferry_server, "docs/2026/report.pdf")["md5"] == md5(b"pdf")


def test_server_recipe_delete_removes_a_file_then_a_whole_folder(ferry_server, tmp_path):
    mkdir(ferry_server, "docs/2026/deep")
    put_file(ferry_server, "docs/2026/report.pdf", b"pdf")
    put_file(ferry_server, "docs/2026/deep/x", b"x")
    put_file(ferry_server, "keep.txt", b"keep")
    run_recipe("delete", ferry_server, tmp_path)
    assert stat(ferry_server, "docs") is None
    assert not (ferry_server.home() / "docs").exists()
    assert stat(ferry_server, "keep.txt") is not None


def test_server_recipe_quota_reports_used_bytes(ferry_server, tmp_path):
    put_file(ferry_server, "a.bin", b"x" * 1000)
    run = run_recipe("quota", ferry_server, tmp_path)
    quota = json.loads(run.stdout)
    assert quota["used"] >= 1000
    assert quota["limit"] is None


def test_server_recipe_resumable_draft_sends_the_file_in_one_streamed_patch(ferry_server, tmp_path):
    data = os.urandom(9 * MIB + 321)
    (tmp_path / "big.bin").write_bytes(data)
    run_recipe("resumable-draft", ferry_server, tmp_path)
    assert stat(ferry_server, "big.bin")["md5"] == md5(data)
    status, _, body = api(ferry_server, "GET", "/api/v1/uploads")
    assert status == 200 and json.loads(body) == []
