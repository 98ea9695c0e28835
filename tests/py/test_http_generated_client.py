"""A client generated from ``openapi.yaml`` by openapi-python-client, used as a program would:
log in for a token, upload resumably with Content-Range across a dropped client, list,
download, compare MD5. Every call goes through the generated code; if the spec cannot
express a step, this test should fail rather than fall back to raw HTTP.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys

import pytest

from conftest import REPO

SPEC = REPO / "openapi.yaml"
PACKAGE = "ferry_api"
CHUNK = 256 * 1024


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The generated package, imported from a temp dir."""
    out = tmp_path_factory.mktemp("generated")
    config = out / "generator.yaml"
    # No formatter hooks: the generated code need not be pretty, and ruff may not be on PATH.
    # tus bodies (`application/offset+octet-stream`) and IETF-draft appends
    # (`application/partial-upload`) are raw bytes like `application/octet-stream`.
    config.write_text(
        "post_hooks: []\n"
        "content_type_overrides:\n"
        "  application/offset+octet-stream: application/octet-stream\n"
        "  application/partial-upload: application/octet-stream\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC),
         "--meta", "none", "--output-path", str(out / PACKAGE), "--config", str(config)],
        capture_output=True, text=True, timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    # The generator still succeeds when it has to leave parts out; it says so.
    assert "Warning" not in output, output
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_server_generated_client_uploads_resumes_after_a_drop_lists_and_downloads_intact(api, ferry_server):
    from ferry_api import AuthenticatedClient, Client
    from ferry_api.api.auth import login
    from ferry_api.api.files import download_file
    from ferry_api.api.folders import list_folder, make_folder
    from ferry_api.api.uploads import create_upload, get_upload, put_upload_chunk
    from ferry_api.models import CreateUpload, Entry, Listing, LoginRequest, LoginResponse, UploadInfo
    from ferry_api.types import File

    data = os.urandom(5 * CHUNK + 12345)
    md5 = hashlib.md5(data).hexdigest()
    total = len(data)

    with Client(base_url=ferry_server.http, raise_on_unexpected_status=True) as anonymous:
        got = login.sync_detailed(
            client=anonymous, body=LoginRequest(username=ferry_server.user, password=ferry_server.password)
        )
    assert got.status_code == 200, got.content
    assert isinstance(got.parsed, LoginResponse)
    token = got.parsed.token

    def authed():
        return AuthenticatedClient(base_url=ferry_server.http, token=token, raise_on_unexpected_status=True)

    def send(client, upload_id, start, end):
        """One chunk, bytes start..end-1."""
        return put_upload_chunk.sync_detailed(
            upload_id,
            client=client,
            body=File(payload=data[start:end]),
            content_range=f"bytes {start}-{end - 1}/{total}",
        )

    # First client: create the upload and send two chunks, then "drop" (close without finishing).
    with authed() as first:
        made = make_folder.sync_detailed("inbox", client=first)
        assert made.status_code == 201, made.content
        created = create_upload.sync_detailed(
            client=first, body=CreateUpload(path="/inbox/blob.bin", size=total, md5=md5)
        )
        assert created.status_code == 201, created.content
        assert isinstance(created.parsed, UploadInfo)
        upload_id = created.parsed.id
        assert created.parsed.offset == 0
        for i in range(2):
            sent = send(first, upload_id, i * CHUNK, (i + 1) * CHUNK)
            assert sent.status_code == 308, sent.content
            assert isinstance(sent.parsed, UploadInfo)
            assert sent.parsed.offset == (i + 1) * CHUNK
            assert sent.headers["range"] == f"bytes=0-{(i + 1) * CHUNK - 1}"

    # A fresh client asks where to resume, both ways the API offers.
    with authed() as second:
        state = get_upload.sync_detailed(upload_id, client=second)
        assert state.status_code == 200, state.content
        assert isinstance(state.parsed, UploadInfo)
        offset = state.parsed.offset
        assert offset == 2 * CHUNK
        assert int(state.headers["upload-offset"]) == offset

        asked = put_upload_chunk.sync_detailed(
            upload_id, client=second, body=File(payload=b""), content_range=f"bytes */{total}"
        )
        assert asked.status_code == 308, asked.content
        assert asked.headers["range"] == f"bytes=0-{offset - 1}"
        assert isinstance(asked.parsed, UploadInfo) and asked.parsed.offset == offset

        # Resume from the server's offset to the end.
        while offset < total:
            end = min(offset + CHUNK, total)
            sent = send(second, upload_id, offset, end)
            if end < total:
                assert sent.status_code == 308, sent.content
            offset = end
        assert sent.status_code == 201, sent.content
        assert isinstance(sent.parsed, Entry)
        assert sent.parsed.md5 == md5
        assert sent.parsed.size == total

        listed = list_folder.sync_detailed("inbox", client=second)
        assert listed.status_code == 200, listed.content
        assert isinstance(listed.parsed, Listing)
        names = {e.name: e for e in listed.parsed.entries}
        assert names["blob.bin"].size == total
        assert names["blob.bin"].md5 == md5

        got = download_file.sync_detailed("inbox/blob.bin", client=second)
        assert got.status_code == 200, got.headers
        assert hashlib.md5(got.parsed.payload.read()).hexdigest() == md5
        assert got.headers["etag"] == f'"{md5}"'
