"""A Python program using only the client that openapi-python-client generated from the
committed openapi.yaml (package ``ferry_api`` on PYTHONPATH): log in, make and list a folder,
upload real bytes, download a Range and compare. Run by run.sh against the real server
(FERRY_URL, FERRY_USER, FERRY_PASSWORD); exits non-zero on the first mismatch. Before that,
two raw preflights check the server's FERRY_CORS_ORIGIN (FERRY_TEST_ORIGIN is listed).

It also reads the spec with PyYAML, a YAML 1.1 reader, and checks that it says exactly what
the server serves as JSON: a string YAML 1.1 takes for a boolean (``off``) must be quoted.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
from base64 import b64encode
from pathlib import Path

import httpx
import yaml

from ferry_api import AuthenticatedClient, Client
from ferry_api.api.auth import get_me, login
from ferry_api.api.files import download_file, put_file
from ferry_api.api.folders import list_folder, make_folder, stat_entry
from ferry_api.models import Entry, Listing, LoginRequest, LoginResponse, Problem
from ferry_api.types import File

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"


def check(ok: bool, what: str, detail: object = "") -> None:
    if not ok:
        print(f"FAIL: {what} {detail}", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    url, user, password = (os.environ[k] for k in ("FERRY_URL", "FERRY_USER", "FERRY_PASSWORD"))

    served = httpx.get(f"{url}/openapi.json", timeout=30).json()
    check(yaml.safe_load(SPEC.read_text(encoding="utf-8")) == served,
          "openapi.yaml read as YAML 1.1 equals the served /openapi.json")

    # The server was started with FERRY_CORS_ORIGIN listing this origin (run.sh).
    origin = os.environ["FERRY_TEST_ORIGIN"]
    pre = httpx.options(f"{url}/api/v1/uploads", timeout=30, headers={
        "Origin": origin, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization,upload-offset,tus-resumable"})
    check(pre.headers.get("access-control-allow-origin") == origin
          and pre.headers.get("access-control-allow-credentials") == "true",
          "a preflight from a FERRY_CORS_ORIGIN origin is allowed", pre.headers)
    other = httpx.options(f"{url}/api/v1/uploads", timeout=30, headers={
        "Origin": "https://other.test", "Access-Control-Request-Method": "PATCH"})
    check("access-control-allow-origin" not in other.headers, "an unlisted origin gets no CORS", other.headers)

    with Client(base_url=url) as anonymous:
        got = login.sync_detailed(client=anonymous, body=LoginRequest(username=user, password=password))
    check(got.status_code == 200 and isinstance(got.parsed, LoginResponse), "login", got.content)
    token = got.parsed.token

    with AuthenticatedClient(base_url=url, token=token) as api:
        me = get_me.sync_detailed(client=api)
        check(me.status_code == 200 and me.parsed.user == user, "get_me names the user", me.content)

        made = make_folder.sync_detailed("py-client", client=api)
        check(made.status_code == 201 and isinstance(made.parsed, Entry), "make_folder", made.content)

        # Real bytes: every value 0..255 and random ones, sent as the raw body.
        data = bytes(range(256)) + os.urandom(300_000)
        md5 = hashlib.md5(data)
        put = put_file.sync_detailed(
            "py-client/blob.bin",
            client=api,
            body=File(payload=io.BytesIO(data), mime_type="application/octet-stream"),
            content_md5=b64encode(md5.digest()).decode(),
        )
        check(put.status_code == 201 and isinstance(put.parsed, Entry), "put_file created the file", put.content)
        check(put.parsed.size == len(data) and put.parsed.md5 == md5.hexdigest(), "the entry", put.parsed)

        listed = list_folder.sync_detailed("py-client", client=api)
        check(listed.status_code == 200 and isinstance(listed.parsed, Listing), "list_folder", listed.content)
        sizes = {e.name: e.size for e in listed.parsed.entries}
        check(sizes.get("blob.bin") == len(data), "the listing shows the file and its size", sizes)

        first, last = 1000, 200_999
        got = download_file.sync_detailed("py-client/blob.bin", client=api, range_=f"bytes={first}-{last}")
        check(got.status_code == 206, "a Range download is 206", got.status_code)
        check(got.headers["content-range"] == f"bytes {first}-{last}/{len(data)}", "Content-Range",
              got.headers.get("content-range"))
        part = got.parsed.payload.read()
        check(part == data[first:last + 1], "the downloaded range is the uploaded bytes", len(part))

        missing = stat_entry.sync_detailed("py-client/none", client=api)
        check(missing.status_code == 404 and isinstance(missing.parsed, Problem)
              and missing.parsed.code == "not_found", "a typed problem", missing.content)

    print(f"python client: {len(data)} bytes up, range of {len(part)} down, intact")


if __name__ == "__main__":
    main()
