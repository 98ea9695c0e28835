"""Shared fixtures: the real ``ferry serve`` on free ports in a fresh data folder.

The binary is ``FERRY_BIN`` (default ``target/debug/ferry`` under the repository root).
"""

from __future__ import annotations

import base64
import os
import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ADMIN_USER = "admin"
ADMIN_PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Server:
    """A running server: both doors, its data folder and the admin's credentials."""

    tcp: tuple[str, int]
    http: str  # base URL without a trailing slash, e.g. http://127.0.0.1:41234
    data: Path
    user: str = ADMIN_USER
    password: str = ADMIN_PASSWORD
    metrics: str | None = None  # e.g. http://127.0.0.1:41235/metrics, with --metrics

    @property
    def basic(self) -> str:
        """The ``Authorization`` header value for the admin."""
        raw = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def home(self, user: str = ADMIN_USER) -> Path:
        return self.data / "homes" / user


def ferry_binary() -> Path:
    binary = Path(os.environ.get("FERRY_BIN", "target/debug/ferry"))
    if not binary.is_absolute():
        binary = REPO / binary
    if not binary.exists():
        pytest.fail(f"no server binary at {binary} (build it or set FERRY_BIN)")
    return binary


@pytest.fixture
def ferry_server(tmp_path):
    """Starts ``ferry serve`` (TCP and HTTP on free ports) in a fresh data folder."""
    with running_server(tmp_path) as server:
        yield server


@contextmanager
def running_server(tmp_path: Path, *extra: str) -> Iterator[Server]:
    """``ferry serve`` with ``extra`` arguments, until the block ends; with ``--metrics`` the
    metrics address is read from its start-up lines too."""
    binary = ferry_binary()
    env = dict(os.environ, FERRY_ADMIN_PASSWORD=ADMIN_PASSWORD, NO_COLOR="1")
    data = tmp_path / "data"
    data.mkdir()
    proc = subprocess.Popen(
        [str(binary), "serve", "--data", str(data), "--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0",
         *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
        errors="replace",
    )
    lines: list[str] = []
    found: queue.Queue[tuple[str, str] | None] = queue.Queue()

    def pump():
        for line in proc.stdout:
            lines.append(line)
            if m := re.search(r"tcp listening on ([0-9.]+:\d+)", line):
                found.put(("tcp", m.group(1)))
            elif m := re.search(r"http listening on (http://[0-9.]+:\d+)/", line):
                found.put(("http", m.group(1)))
            elif m := re.search(r"metrics listening on (http://[0-9.]+:\d+/metrics)", line):
                found.put(("metrics", m.group(1)))
        found.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        addrs: dict[str, str] = {}
        expected = 3 if "--metrics" in extra else 2
        while len(addrs) < expected:
            try:
                item = found.get(timeout=30)
            except queue.Empty:
                item = None
            if item is None:
                pytest.fail("the server did not report both addresses:\n" + "".join(lines))
            addrs[item[0]] = item[1]
        host, port = addrs["tcp"].rsplit(":", 1)
        yield Server(tcp=(host, int(port)), http=addrs["http"], data=data,
                     metrics=addrs.get("metrics"))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
