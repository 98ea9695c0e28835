"""Share links against the real server with the standard library only: a folder's zip read
back with ``zipfile`` (names and bytes), a Range download, a password-protected link (wrong,
then right), and a drop box filling the owner's quota."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from conftest import Server


def call(server: Server, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None, auth: bool = True):
    req = urllib.request.Request(server.http + path, data=body, method=method)
    if auth:
        req.add_header("Authorization", server.basic)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def put(server: Server, path: str, data: bytes) -> None:
    status, _, body = call(server, "PUT", "/api/v1/files/" + urllib.parse.quote(path), data)
    assert status in (200, 201), body


def share(server: Server, **doc) -> str:
    status, _, body = call(server, "POST", "/api/v1/shares", json.dumps(doc).encode(),
                           {"Content-Type": "application/json"})
    assert status == 201, body
    return json.loads(body)["id"]


def test_a_folder_zip_holds_every_file_with_its_bytes(ferry_server):
    files = {
        "album/a.txt": b"first file\n",
        "album/deep/b.bin": os.urandom(3 * 1024 * 1024 + 17),
        "album/deep/empty.txt": b"",
        "album/ü name.txt": "unicode ✓".encode(),
    }
    call(ferry_server, "POST", "/api/v1/dirs/album/deep")
    call(ferry_server, "POST", "/api/v1/dirs/album/nothing")
    for path, data in files.items():
        put(ferry_server, path, data)
    put(ferry_server, "outside.txt", b"not in the zip")
    link = share(ferry_server, path="/album")

    status, headers, body = call(ferry_server, "GET", f"/s/{link}/zip", auth=False)
    assert status == 200, body[:300]
    assert headers["Content-Disposition"].startswith("attachment") and "album.zip" in headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    names = sorted(archive.namelist())
    assert names == sorted(["a.txt", "deep/", "deep/b.bin", "deep/empty.txt", "nothing/", "ü name.txt"])
    for path, data in files.items():
        inside = path.removeprefix("album/")
        assert hashlib.md5(archive.read(inside)).hexdigest() == hashlib.md5(data).hexdigest(), inside
        assert archive.getinfo(inside).compress_type == zipfile.ZIP_STORED


def test_range_download_and_a_password_protected_link(ferry_server):
    data = os.urandom(100_000)
    put(ferry_server, "movie.bin", data)
    link = share(ferry_server, path="/movie.bin", password="let me in", expires="1d")
    url = f"/s/{link}/download"

    status, _, body = call(ferry_server, "GET", url, auth=False)
    assert status == 401 and json.loads(body)["code"] == "share_password_required"
    wrong = {"Authorization": "Basic " + base64.b64encode(b":not it").decode()}
    status, _, body = call(ferry_server, "GET", url, headers=wrong, auth=False)
    assert status == 403 and json.loads(body)["code"] == "share_password_wrong"
    right = {"Authorization": "Basic " + base64.b64encode(b":let me in").decode()}
    status, headers, body = call(ferry_server, "GET", url, headers={**right, "Range": "bytes=1000-1999"}, auth=False)
    assert status == 206, body[:200]
    assert body == data[1000:2000]
    assert headers["Content-Range"] == "bytes 1000-1999/100000"
    assert headers["Content-Disposition"].startswith("attachment")
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_drop_box_upload_counts_against_the_owners_quota(ferry_server):
    call(ferry_server, "POST", "/api/v1/dirs/inbox")
    status, _, body = call(ferry_server, "PATCH", "/api/v1/admin/users/admin", json.dumps({"quota": 5000}).encode(),
                           {"Content-Type": "application/json"})
    assert status == 200, body
    link = share(ferry_server, path="/inbox", upload=True)
    status, _, body = call(ferry_server, "PUT", f"/s/{link}/files/hello.txt", b"x" * 1000, auth=False)
    assert status == 201, body
    status, _, body = call(ferry_server, "GET", "/api/v1/quota")
    assert json.loads(body)["used"] == 1000
    status, _, body = call(ferry_server, "PUT", f"/s/{link}/files/big.bin", b"x" * 4500, auth=False)
    assert status == 413 and json.loads(body)["code"] == "quota_exceeded"
    assert (ferry_server.home() / "inbox" / "hello.txt").read_bytes() == b"x" * 1000
    assert not (ferry_server.home() / "inbox" / "big.bin").exists()
