"""Schemathesis against the real ``ferry serve``, driven by the committed ``openapi.yaml``.

Every check runs (``--checks all``: status codes, content types, headers and bodies against the
spec, server errors, negative/positive data, missing and ignored auth, stateful links), with
HTTP Basic as the admin, a fixed seed and a bounded number of examples.

Why the run is split by path, each part on a fresh server: the server throttles failed logins
per source address and per account name, the same for names that do not exist (see
``crates/core/src/auth/throttle.rs``: five free failures, then a lock of 1 s doubling to 60 s).

- Schemathesis's ``ignored_auth`` check sends one wrong Basic password per operation, always for
  the same name (``SCHEMATHESIS-INVALID-VALUE``), so in one run the seventh probe would be
  answered ``429 auth_throttled`` — right for the server, but the check accepts only 401/403.
  Each part has at most six authenticated operations, so every check runs on every operation;
  ``test_every_operation_is_in_one_shard_under_the_throttle`` keeps that true as the spec grows.
- Fuzzing ``POST /api/v1/login`` is a stream of wrong passwords from one address, which locks
  the address (429 for everyone) for up to a minute; it gets a part of its own, with the user
  of the spec's login example created so that example really logs in.

Runs that were rate limited fail (``warnings.fail-on``), so a throttle can never quietly turn
the run into a string of 429s.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, ferry_binary

SPEC = REPO / "openapi.yaml"
SEED = 20260611
MAX_EXAMPLES = int(os.environ.get("FERRY_SCHEMATHESIS_EXAMPLES", "40"))
# Wrong Basic passwords one name may send before the throttle locks it (free_failures + 1).
THROTTLE_FREE = 6

# Shards by path (schemathesis's --include-path-regex). Login has a shard of its own: fuzzing
# it means many wrong passwords from one address, which locks the address out (429 for every
# login) for up to a minute and would leave the operations after it untested.
SHARDS = {
    "login": r"^/(api/v1/login|healthz)$",
    "files": r"^/api/v1/(files/|logout$)",
    "folders": r"^/api/v1/(dirs|stat/|move$|quota$)",
    "search": r"^/api/v1/search$",
    "uploads": r"^/api/v1/uploads",
    "account": r"^/api/v1/(exec|me)$",
    "password": r"^/api/v1/password$",
    "admin": r"^/api/v1/admin/",
    "shares": r"^/api/v1/shares",
    "links": r"^/s/",
    "tus": r"^/api/v1/tus/(\{id\})?$",
    "tus-final": r"^/api/v1/tus/final/",
    "resumable": r"^/api/v1/resumable/(\{id\})?$",
}
# Warnings that mean the run tested less than it claims.
FAIL_ON_WARNINGS = ["rate_limited", "unsupported_regex", "unmatched_filter", "unresolvable_reference"]
# Shards that are rate limited by design: every generated `POST /api/v1/password` carries a
# wrong current password, which the server counts as a failed login (a stolen token must not
# be a way to guess the password), so after five the admin is answered `429` from that address.
# The same holds for the public share links: every generated id is unknown, and unknown links
# count as failed logins of the address (so links are no easier to guess than passwords).
RATE_LIMITED_BY_DESIGN = {"password", "links"}

# Rejections of schema-valid data that a schema cannot express, allowed per operation (as
# `st explain ST202` suggests for cross-field rules), each for a stated reason:
# - a digest header (`Content-MD5`, `Repr-Digest`, `Content-Digest`) that is well formed but
#   does not match the body: 422 `checksum_mismatch` (the point of sending one);
# - a chunk's Content-Range must lie inside the declared size and match the body (400
#   `range_*`, `chunk_checksum_mismatch`): relations between numbers, not a pattern;
# - a Range past the end of the file (416), `If-None-Match: *` on an existing file and an
#   `If-Match` / `If-Unmodified-Since` that the current file does not meet (412): relations
#   between a header and the file's current state;
# - a move of a folder into itself (400 `bad_request`): a relation between `from` and `to`;
# - PUT /api/v1/files: schemathesis 4.32.5's coverage phase sends `Content-MD5: 0` as a
#   "valid" value although the spec's pattern is `^[A-Za-z0-9+/]{22}==$`; the server's 400
#   `digest_malformed` is right (the Rust suite asserts it), so 400 is allowed there too.
DIGEST_CHECKED = {
    "PUT /api/v1/files/{path}": ["400", "412", "422"],
    "GET /api/v1/files/{path}": ["412", "416"],
    "HEAD /api/v1/files/{path}": ["412", "416"],
    "DELETE /api/v1/files/{path}": ["412"],
    "PUT /api/v1/uploads/{id}": ["400", "422"],
    "POST /api/v1/move": ["400"],
    # tus: a well-formed `Upload-Checksum` that does not match the body (460), a malformed
    # `Upload-Metadata`/`Upload-Checksum` value (400), a size over --max-upload-size (413).
    "POST /api/v1/tus/": ["400", "413", "460"],
    "PATCH /api/v1/tus/{id}": ["400", "413", "460"],
    "HEAD /api/v1/tus/final/{path}": ["400"],
    # IETF draft: a digest that does not match (422, 400 `chunk_checksum_mismatch`), lengths
    # that do not add up (400 `size_mismatch`: `Upload-Length` against `Content-Length` with
    # `?1`, or a `?1` append whose body is not the rest), a target named by none of its three
    # ways or malformed `Upload-Metadata` (400), a size over --max-upload-size (413).
    "POST /api/v1/resumable/": ["400", "413", "422"],
    "PATCH /api/v1/resumable/{id}": ["400", "413", "422"],
    # An admin may not remove their own account, take their own admin role or reset their own
    # password without the current one (400 `bad_request`): a relation between the path and
    # the caller.
    # The exec policy's grammar (`allow:tar[-t,-f],cat!`, entries refused by name) is more
    # than a pattern can say, so a string the server cannot parse is a 400 there too.
    "POST /api/v1/admin/users": ["400"],
    # A share's lifetime between 1 s and ten years, `upload` only for a folder, a path that
    # resolves inside the home: relations a pattern cannot state (400 `bad_request`).
    "POST /api/v1/shares": ["400"],
    "DELETE /api/v1/admin/users/{name}": ["400"],
    "PATCH /api/v1/admin/users/{name}": ["400"],
    "PUT /api/v1/admin/users/{name}/password": ["400"],
}
DEFAULT_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# Refusals of schema-violating data with a status other than 400/422, each for a stated reason:
# - an upload `size` above the spec's `maximum` (the server's default `--max-upload-size`) is
#   refused `413 upload_too_large`, the status the field's description promises.
# - tus answers a request without `Tus-Resumable: 1.0.0` with `412` and `Tus-Version`, as
#   the tus specification requires.
NEGATIVE_REFUSED = {
    "POST /api/v1/uploads": ["413"],
    "POST /api/v1/tus/": ["412", "413"],
    "HEAD /api/v1/tus/{id}": ["412"],
    "PATCH /api/v1/tus/{id}": ["412", "413"],
    "DELETE /api/v1/tus/{id}": ["412"],
    "HEAD /api/v1/tus/final/{path}": ["412"],
    "PATCH /api/v1/tus/final/{path}": ["412"],
    "DELETE /api/v1/tus/final/{path}": ["412"],
}
DEFAULT_REJECTED = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]

METHODS = {"get", "put", "post", "delete", "head", "patch", "options", "trace"}


def schemathesis_config(shard: str = "") -> str:
    """schemathesis.toml: fail on warnings that mean less was tested; allow digest refusals."""
    fail_on = [w for w in FAIL_ON_WARNINGS if not (w == "rate_limited" and shard in RATE_LIMITED_BY_DESIGN)]
    lines = [f"[warnings]\nfail-on = {fail_on!r}\n".replace("'", '"')]
    for name, extra in DIGEST_CHECKED.items():
        statuses = ", ".join(f'"{s}"' for s in DEFAULT_ACCEPTED + extra)
        lines.append(
            f'[[operations]]\ninclude-name = "{name}"\n'
            f"checks.positive_data_acceptance.expected-statuses = [{statuses}]\n"
        )
    for name, extra in NEGATIVE_REFUSED.items():
        statuses = ", ".join(f'"{s}"' for s in DEFAULT_REJECTED + extra)
        missing = ""
        if name.split(" ")[1].startswith("/api/v1/tus/"):
            # A missing `Tus-Resumable` is 412 by the tus specification, not 400.
            missing = 'checks.missing_required_header.expected-statuses = ["400", "401", "412"]\n'
        lines.append(
            f'[[operations]]\ninclude-name = "{name}"\n'
            f"checks.negative_data_rejection.expected-statuses = [{statuses}]\n" + missing
        )
    return "\n".join(lines)


def operations():
    """(method, path, tags, needs auth) for every operation in the spec."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    default_security = spec.get("security", [])
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            security = op.get("security", default_security)
            needs_auth = any(req for req in security)
            out.append((method.upper(), path, op.get("tags", []), needs_auth))
    return out


def test_every_operation_is_in_one_shard_under_the_throttle():
    per_shard = {name: 0 for name in SHARDS}
    for method, path, tags, needs_auth in operations():
        shards = [name for name, regex in SHARDS.items() if re.search(regex, path)]
        assert len(shards) == 1, f"{method} {path} is in shards {shards}"
        per_shard[shards[0]] += needs_auth
    for name, count in per_shard.items():
        assert count <= THROTTLE_FREE, (
            f"shard {name} has {count} authenticated operations; split it so the wrong-password "
            f"probes of ignored_auth stay under the login throttle ({THROTTLE_FREE})"
        )


def schemathesis_command(url: str, path_regex: str, config: Path, user: str, password: str) -> list[str]:
    return [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(SPEC),
        "--url", url,
        "--checks", "all",
        "--auth", f"{user}:{password}",
        "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES),
        "--workers", "1",
        "--request-timeout", "10",
        "--generation-database", "none",
        "--no-color",
        "--include-path-regex", path_regex,
    ]


def add_example_user(server):
    """The user of the spec's login example, so the example logs in and its answer is checked."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    example = spec["components"]["schemas"]["LoginRequest"]["properties"]
    subprocess.run(
        [str(ferry_binary()), "user", "add", example["username"]["example"], "--password-stdin",
         "--data", str(server.data)],
        input=example["password"]["example"] + "\n",
        check=True, capture_output=True, text=True, timeout=30,
    )


def failures_section(output: str) -> str:
    """The part of the output worth reading when the run failed."""
    starts = [i for i in (output.find("= ERRORS ="), output.find("= FAILURES =")) if i >= 0]
    start = min(starts, default=-1)
    return output[max(start - 60, 0):] if start >= 0 else output


@pytest.mark.parametrize("shard", list(SHARDS))
def test_server_conforms_to_openapi_yaml_under_schemathesis(shard, ferry_server, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(shard), encoding="utf-8")
    if shard == "login":
        add_example_user(ferry_server)
    cmd = schemathesis_command(ferry_server.http, SHARDS[shard], config, ferry_server.user, ferry_server.password)
    hooks = Path(__file__).resolve().parent / "schemathesis_hooks.py"
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120", SCHEMATHESIS_HOOKS=str(hooks))
    try:
        run = subprocess.run(
            cmd, cwd=tmp_path, env=env, capture_output=True, text=True, errors="replace", timeout=110
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"schemathesis ran over its time budget:\n{e.stdout or ''}")
    output = run.stdout + run.stderr
    shown = " ".join(cmd).replace(ferry_server.password, "PASSWORD")
    assert run.returncode == 0, f"{shown}\nexit {run.returncode}\n{failures_section(output)}"
    # A run that tested nothing would also exit 0.
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested and int(tested.group(1)) > 0, output
