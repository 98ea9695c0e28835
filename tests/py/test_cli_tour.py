"""The README's "A short tour of the CLI", run verbatim with bash against the real server.

The tour is the first fenced ``sh`` block under that heading. Its first line exports the
password as the README spells it (``…``), so the test gives the admin that very password; it
prepares the local files the tour names (``movie.mkv``, ``photos/``, ``big.iso``), puts a
``ferry`` on ``PATH`` and runs the block with ``set -euo pipefail``, then checks what each
command should have left, through the data folder and the local directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

from conftest import REPO, ferry_binary

README = REPO / "README.md"


def tour() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## A short tour of the CLI", 1)[1]
    block = re.search(r"```sh\n(.*?)\n```", section, flags=re.S)
    assert block, "no sh block in the tour"
    return block.group(1)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_the_readme_tour_runs_verbatim(ferry_server, tmp_path):
    script = tour()
    password = re.search(r"^export FERRY_PASSWORD=(\S+)", script, flags=re.M)
    assert password, "the tour no longer starts by exporting the password"
    binary = ferry_binary()
    subprocess.run(
        # The tour's password is the placeholder `…` itself: one character, so the operator's
        # minimum is lowered for this one account change.
        [str(binary), "user", "passwd", "admin", "--password-stdin", "--min-password-length", "1",
         "--data", str(ferry_server.data)],
        input=password.group(1) + "\n", text=True, check=True, capture_output=True,
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ferry").symlink_to(binary)
    work = tmp_path / "work"
    (work / "photos" / "2026").mkdir(parents=True)
    (work / "movie.mkv").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    for i in range(5):
        (work / "photos" / f"p{i}.jpg").write_bytes(os.urandom(4096 + i))
    (work / "photos" / "2026" / "new.jpg").write_bytes(os.urandom(100))
    (work / "photos" / "empty").mkdir()
    (work / "big.iso").write_bytes(os.urandom(256 * 1024))
    host, port = ferry_server.tcp
    env = dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        FERRY_SERVER=f"{host}:{port}",
        FERRY_USER="admin",
    )
    env.pop("FERRY_PASSWORD", None)
    run = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script + "\n"],
        cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, f"the tour failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"

    home = ferry_server.home()
    assert md5(home / "movie.mkv") == md5(work / "movie.mkv")
    assert md5(home / "videos" / "movie.mkv") == md5(work / "movie.mkv")
    assert md5(work / "copy.mkv") == md5(work / "movie.mkv")
    for name in ["p0.jpg", "p4.jpg", "2026/new.jpg"]:
        assert md5(home / "backup" / "photos" / name) == md5(work / "photos" / name)
        assert md5(work / "restored" / name) == md5(work / "photos" / name)
    assert (home / "backup" / "photos" / "empty").is_dir()
    assert (work / "restored" / "empty").is_dir()
    assert not (home / "a").exists(), "rm -r a"
    assert md5(home / "big.iso") == md5(work / "big.iso")
    assert re.search(r"^-\s+3\.0 MiB\s+\S+ \S+\s+movie\.mkv$", run.stdout, flags=re.M), run.stdout
    assert "put: 6 files" in run.stdout and "get: 6 files" in run.stdout, run.stdout
