"""tuspy (pinned in requirements.txt), unmodified, against the real server: a plain upload
with its per-chunk SHA-1 checksums, and an upload stopped part-way and resumed by a new
uploader from the server's offset. Each file is read back with GET and compared by MD5."""

from __future__ import annotations

import hashlib
import io
import os
import urllib.request

from tusclient import client as tus_client

MiB = 1 << 20


def tus(server):
    return tus_client.TusClient(server.http + "/api/v1/tus/", headers={"Authorization": server.basic})


def md5_of(server, path: str) -> str:
    req = urllib.request.Request(server.http + "/api/v1/files" + path, headers={"Authorization": server.basic})
    with urllib.request.urlopen(req) as resp:
        return hashlib.md5(resp.read()).hexdigest()


def test_tuspy_uploads_with_sha1_checksums_byte_exact(ferry_server):
    data = os.urandom(3 * MiB + 11)
    uploader = tus(ferry_server).uploader(
        file_stream=io.BytesIO(data),
        chunk_size=MiB,
        metadata={"filename": "tuspy.bin"},
        upload_checksum=True,
    )
    uploader.upload()
    assert "/api/v1/tus/" in uploader.url
    assert md5_of(ferry_server, "/tuspy.bin") == hashlib.md5(data).hexdigest()


def test_tuspy_resumes_from_the_server_offset_with_a_new_uploader(ferry_server):
    data = os.urandom(5 * MiB)
    c = tus(ferry_server)
    first = c.uploader(file_stream=io.BytesIO(data), chunk_size=MiB, metadata={"filename": "resumed.bin"})
    first.upload(stop_at=2 * MiB)
    assert first.offset == 2 * MiB

    second = c.uploader(file_stream=io.BytesIO(data), chunk_size=MiB, url=first.url)
    assert second.offset == 2 * MiB, "the new uploader asked the server where to resume"
    second.upload()
    assert md5_of(ferry_server, "/resumed.bin") == hashlib.md5(data).hexdigest()
