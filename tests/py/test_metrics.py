"""``ferry serve --metrics``: a scripted workload over both doors, then one scrape read by
Prometheus' own text parser (``prometheus_client``), and the counters checked to add up
exactly against what the test itself sent and received. One file of ~320 lines: one
workload with its checks, and the byte-counting clients that only it needs.

Every connection here is counted on the client side too: the TCP client's socket through a
counting ``Connection``, the HTTP requests as raw bytes on one connection each. So the
server's byte counters are compared with exact numbers, not bounds.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ferry_client as fc  # noqa: E402
from conftest import ADMIN_PASSWORD, ADMIN_USER, ferry_binary, running_server  # noqa: E402

MAX_UPLOAD = 1 << 20  # --max-upload-size: a 2 MiB upload is refused on both doors
STARTUPS_PER_SOURCE = 3  # --max-startups-per-source: the 4th silent TCP connection is refused
OPS_USER, OPS_PASSWORD = "ops", "ops password 1"  # may run `true`, nothing else

FILES = "/api/v1/files/{*path}"
UPLOADS = "/api/v1/uploads"
UPLOAD = "/api/v1/uploads/{id}"


class Metrics:
    """One scrape: every sample by name and labels."""

    def __init__(self, text: str):
        self.samples: dict[tuple[str, frozenset], float] = {}
        self.types: dict[str, str] = {}
        for family in text_string_to_metric_families(text):
            self.types[family.name] = family.type
            for s in family.samples:
                self.samples[(s.name, frozenset(s.labels.items()))] = s.value

    def get(self, name: str, **labels: str) -> float:
        """The sample with exactly these labels; 0 when absent (a counter never incremented)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def by(self, name: str, keys: tuple[str, ...], **where: str) -> dict[tuple, float]:
        """Samples of ``name`` matching ``where``, keyed by the values of ``keys``; zeros left out."""
        out: dict[tuple, float] = {}
        for (n, labels), v in self.samples.items():
            d = dict(labels)
            if n == name and v and all(d.get(k) == w for k, w in where.items()):
                out[tuple(d.get(k) for k in keys)] = v
        return out


def scrape(url: str) -> Metrics:
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return Metrics(resp.read().decode())


def settled(url: str) -> Metrics:
    """A scrape taken once no connection of either door is open any more, so that every
    request, byte and close has been counted."""
    deadline = time.monotonic() + 10
    while True:
        m = scrape(url)
        if all(m.get("ferry_connections_open", door=d) == 0 for d in ("tcp", "http")):
            return m
        if time.monotonic() > deadline:
            pytest.fail("connections still open on the server")
        time.sleep(0.05)


# ---- the TCP side: the independent client on a socket that counts -------------------------


class Tally:
    def __init__(self):
        self.sent = 0
        self.received = 0
        self.ops: list[str] = []


class CountingConnection(fc.Connection):
    tally: Tally

    def send(self, header, payload=b""):
        self.tally.ops.append(header["op"])
        data = fc.encode_frame(header, payload)
        self.tally.sent += len(data)
        self.sock.sendall(data)

    def recv(self):
        while (frame := self.decoder.next()) is None:
            data = self.sock.recv(1 << 18)
            if not data:
                raise fc.ConnectionClosed("the server closed the connection")
            self.tally.received += len(data)
            self.decoder.feed(data)
        return frame


def drain(conn: fc.Connection, tally: Tally) -> None:
    """Reads to the server's close, counting, then closes."""
    while data := conn.sock.recv(1 << 16):
        tally.received += len(data)
    conn.close()


# ---- the HTTP side: one raw request per connection ----------------------------------------


class Http:
    def __init__(self, base: str):
        host, port = base.removeprefix("http://").rsplit(":", 1)
        self.addr = (host, int(port))
        self.sent = 0
        self.received = 0
        # (method, route template, code) of every request, the code as the answer says it
        self.requests: collections.Counter = collections.Counter()

    def request(self, method: str, path: str, route: str, body: bytes = b"",
                user: str | None = ADMIN_USER, password: str = ADMIN_PASSWORD,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.addr[0]}", "Connection: close",
                 f"Content-Length: {len(body)}"]
        if user is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            lines.append(f"Authorization: Basic {token}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        with socket.create_connection(self.addr, timeout=30) as s:
            s.sendall(raw)
            answer = b""
            while data := s.recv(1 << 16):
                answer += data
        self.sent += len(raw)
        self.received += len(answer)
        head, _, rest = answer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        hdrs = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
        payload = dechunk(rest) if hdrs.get("transfer-encoding") == "chunked" else rest
        code = json.loads(payload)["code"] if status >= 400 else "ok"
        self.requests[(method, route, code)] += 1
        return status, hdrs, payload


def dechunk(data: bytes) -> bytes:
    out = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out, data = out + data[:size], data[size + 2:]


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


# ---- the test ------------------------------------------------------------------------------


def test_server_metrics_add_up_after_a_workload_on_both_doors(tmp_path, monkeypatch):
    extra = ("--metrics", "127.0.0.1:0", "--max-upload-size", str(MAX_UPLOAD),
             "--max-startups-per-source", str(STARTUPS_PER_SOURCE))
    with running_server(tmp_path, *extra) as server:
        add = [str(ferry_binary()), "user", "add", OPS_USER, "--exec", "allow:true",
               "--password-stdin", "--data", str(server.data)]
        subprocess.run(add, input=OPS_PASSWORD + "\n", text=True, check=True,
                       capture_output=True)
        assert scrape(server.metrics).get("ferry_uploads_in_flight") == 0

        # TCP: a logged-in session that uploads, downloads and is refused once; a failed login.
        tcp = Tally()
        CountingConnection.tally = tcp
        monkeypatch.setattr(fc, "Connection", CountingConnection)
        tcp_file = os.urandom(300 * 1024)
        local = tmp_path / "t.bin"
        local.write_bytes(tcp_file)
        c = fc.Client(*server.tcp)
        c.login(ADMIN_USER, ADMIN_PASSWORD)
        c.upload_file(local, "/t.bin")
        assert c.get_bytes("/t.bin")[1] == tcp_file
        with pytest.raises(fc.ServerError) as refused:
            c.upload_create("/huge.bin", 2 * MAX_UPLOAD)
        assert refused.value.fields["code"] == "upload_too_large"
        c.conn.send({"op": "bye"})
        drain(c.conn, tcp)
        c = fc.Client(*server.tcp)
        with pytest.raises(fc.ServerError) as failed:
            c.login(ADMIN_USER, "wrong password")
        assert failed.value.fields["code"] == "auth_failed"
        c.conn.send({"op": "bye"})
        drain(c.conn, tcp)

        # HTTP: whole and resumable uploads, a download, a failed login, refusals, commands.
        http = Http(server.http)
        h1 = os.urandom(100_000)
        assert http.request("PUT", "/api/v1/files/h1.bin", FILES, h1)[0] == 201
        h2 = os.urandom(70_000)
        _, _, created = http.request("POST", "/api/v1/uploads", UPLOADS,
                                     json.dumps({"path": "/h2.bin", "size": len(h2)}).encode(),
                                     headers={"Content-Type": "application/json"})
        url = f"/api/v1/uploads/{json.loads(created)['id']}"
        for first, last, status in ((0, 49_999, 308), (50_000, 69_999, 201)):
            answer = http.request("PUT", url, UPLOAD, h2[first:last + 1], headers={
                "Content-Range": f"bytes {first}-{last}/{len(h2)}"})
            assert answer[0] == status
        status, _, body = http.request("GET", "/api/v1/files/h1.bin", FILES)
        assert (status, body) == (200, h1)
        assert http.request("GET", "/api/v1/quota", "/api/v1/quota", password="wrong")[0] == 401
        assert http.request("POST", "/api/v1/uploads", UPLOADS,
                            json.dumps({"path": "/huge.bin", "size": 2 * MAX_UPLOAD}).encode(),
                            headers={"Content-Type": "application/json"})[0] == 413
        bad = os.urandom(20_000)
        assert http.request("PUT", "/api/v1/files/bad.bin", FILES, bad,
                            headers={"Content-MD5": md5_b64(b"not these bytes")})[0] == 422
        assert http.request("POST", "/api/v1/uploads", UPLOADS,
                            json.dumps({"path": "/pending.bin", "size": 5000}).encode(),
                            headers={"Content-Type": "application/json"})[0] == 201
        status, _, ran = http.request("POST", "/api/v1/exec", "/api/v1/exec",
                                      json.dumps({"argv": ["true"]}).encode(), user=OPS_USER,
                                      password=OPS_PASSWORD,
                                      headers={"Content-Type": "application/json"})
        assert status == 200
        exit_ = json.loads(ran)["exit"]
        ran_as = ("timed_out" if exit_["timed_out"] else "ok" if exit_["code"] == 0
                  else "failed" if exit_["code"] is not None else "killed")
        status, _, denied = http.request("POST", "/api/v1/exec", "/api/v1/exec",
                                         json.dumps({"argv": ["ls"]}).encode(), user=OPS_USER,
                                         password=OPS_PASSWORD,
                                         headers={"Content-Type": "application/json"})
        denied_code = json.loads(denied)["code"]
        assert status == 403 and denied_code.startswith("exec_")
        assert http.request("GET", "/no/such/route", "unmatched", user=None)[0] == 404

        # Connections turned away at accept: silent TCP connections up to the per-source
        # startup limit, then one more.
        settled(server.metrics)
        silent = [socket.create_connection(server.tcp) for _ in range(STARTUPS_PER_SOURCE)]
        with socket.create_connection(server.tcp, timeout=10) as turned_away:
            decoder = fc.FrameDecoder()
            while (frame := decoder.next()) is None:
                decoder.feed(turned_away.recv(4096))
            assert frame[0]["code"] == "limit_reached"
        for s in silent:
            s.close()

        m = settled(server.metrics)

    # Connections and bytes, per door, exactly as the clients counted them.
    assert m.get("ferry_connections_accepted_total", door="tcp") == 2 + STARTUPS_PER_SOURCE
    assert m.get("ferry_connections_refused_total", door="tcp", reason="startups") == 1
    assert m.get("ferry_connections_refused_total", door="tcp", reason="per_source") == 0
    assert m.get("ferry_connections_accepted_total", door="http") == sum(http.requests.values())
    assert m.get("ferry_received_bytes_total", door="tcp") == tcp.sent
    assert m.get("ferry_sent_bytes_total", door="tcp") == tcp.received
    assert m.get("ferry_received_bytes_total", door="http") == http.sent
    assert m.get("ferry_sent_bytes_total", door="http") == http.received

    # Requests by door, operation and code; a duration observed for each.
    assert m.types["ferry_request_duration_seconds"] == "histogram"
    expected_tcp = collections.Counter((op, "ok") for op in tcp.ops)
    for op, code in (("auth_finish", "auth_failed"), ("upload_create", "upload_too_large")):
        expected_tcp[(op, "ok")] -= 1
        expected_tcp[(op, code)] += 1
    assert m.by("ferry_requests_total", ("op", "code"), door="tcp") == +expected_tcp
    assert m.by("ferry_requests_total", ("method", "op", "code"), door="http") == http.requests
    for door, keys in (("tcp", ("op",)), ("http", ("method", "op"))):
        counts = collections.Counter()
        for key, n in m.by("ferry_requests_total", keys + ("code",), door=door).items():
            counts[key[:-1]] += n
        assert m.by("ferry_request_duration_seconds_count", keys, door=door) == counts

    # Logins: SCRAM on TCP, Basic on every authenticated HTTP request.
    basic_ok = sum(n for (_, route, _), n in http.requests.items() if route != "unmatched") - 1
    assert m.by("ferry_logins_total", ("method", "result")) == {
        ("scram", "ok"): 1, ("scram", "auth_failed"): 1,
        ("password", "ok"): basic_ok, ("password", "auth_failed"): 1,
    }

    # Uploads: what came in is what was sent; created = committed + failed + in flight.
    committed = len(tcp_file) + len(h1) + len(h2)
    assert m.get("ferry_upload_received_bytes_total") == committed + len(bad)
    assert m.get("ferry_upload_committed_bytes_total") == committed
    assert m.get("ferry_uploads_created_total") == 5
    assert m.get("ferry_uploads_committed_total") == 3
    assert m.by("ferry_uploads_failed_total", ("code",)) == {("checksum_mismatch",): 1}
    assert m.get("ferry_uploads_in_flight") == 1
    assert m.get("ferry_upload_reserved_bytes") == 5000

    # Commands and limits.
    assert m.by("ferry_exec_runs_total", ("result",)) == {(ran_as,): 1, (denied_code,): 1}
    assert m.get("ferry_exec_duration_seconds_count") == 1
    assert m.by("ferry_limit_refusals_total", ("limit",)) == {("max_upload_size",): 2}


def test_the_metrics_listener_serves_only_get_metrics(tmp_path):
    with running_server(tmp_path, "--metrics", "127.0.0.1:0") as server:
        base = server.metrics.removesuffix("/metrics")
        for method, path, status in (("POST", "/metrics", 405), ("GET", "/", 404)):
            req = urllib.request.Request(base + path, method=method)
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(req, timeout=10)
            assert e.value.code == status


def test_without_the_flag_no_metrics_listener_starts(ferry_server):
    assert ferry_server.metrics is None
