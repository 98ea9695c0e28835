"""A Ferry client in standard-library Python 3.11, written from docs/PROTOCOL.md alone.

It is the independent second implementation the protocol document is tested with, so it
follows the document, not the Rust code:

- framing: ``encode_frame`` and the incremental ``FrameDecoder`` (PROTOCOL.md §2);
- CRC-32C (Castagnoli) with a 256-entry table, since ``zlib.crc32`` is a different CRC (§9.3);
- SCRAM-SHA-256 login (§5) as pure functions, checked against RFC 7677 in the tests;
- ``Client``: hello, login, the file operations, pipelined and resumable uploads (§9) and
  resumable, verified downloads into ``.part`` files (§10).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
import os
import socket
import time
from typing import Any, BinaryIO

PROTOCOL_VERSION = 1
MAX_HEADER = 65536
MAX_PAYLOAD = 1048576
MECHANISM = "SCRAM-SHA-256"
MIN_ITERATIONS = 4096


# --------------------------------------------------------------------------------------------
# Errors


class FrameError(Exception):
    """Bytes that cannot be decoded into frames; ``code`` is the protocol's framing code."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code


class ServerError(Exception):
    """An ``error`` response: ``code``, ``message`` and the detail fields."""

    def __init__(self, fields: dict[str, Any]):
        self.code = fields.get("code", "")
        self.message = fields.get("message", "")
        self.fields = fields
        super().__init__(f"{self.code}: {self.message}")


class ProtocolError(Exception):
    """The server broke the protocol (wrong SCRAM signature, out-of-order data, bad CRC...)."""


class ConnectionClosed(ConnectionError):
    """The server closed the connection."""


class Interrupted(Exception):
    """A transfer was stopped on purpose (tests simulate dropped connections with it)."""


# --------------------------------------------------------------------------------------------
# CRC-32C


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C of ``data``; pass a previous result as ``crc`` to continue over more data."""
    table = _CRC32C_TABLE
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# --------------------------------------------------------------------------------------------
# Framing


def encode_header(header: dict[str, Any], payload_len: int) -> bytes:
    """Compact JSON, keys sorted at every level, raw UTF-8, then ``"len"`` last (§2.4)."""
    body = {k: v for k, v in header.items() if k != "len"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if payload_len:
        text = text[:-1] + ("," if body else "") + f'"len":{payload_len}}}'
    return text.encode("utf-8")


def encode_frame(header: dict[str, Any], payload: bytes = b"") -> bytes:
    """One frame: u32 big-endian header length, header, payload."""
    if len(payload) > MAX_PAYLOAD:
        raise FrameError("payload_too_large", f"{len(payload)} bytes")
    head = encode_header(header, len(payload))
    if len(head) > MAX_HEADER:
        raise FrameError("frame_too_large", f"header of {len(head)} bytes")
    return len(head).to_bytes(4, "big") + head + payload


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_header(raw: bytes) -> dict[str, Any]:
    """Header bytes to a dict; ``FrameError("malformed_frame")`` unless a UTF-8 JSON object."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise FrameError("malformed_frame", f"header: {e}") from None
    if not isinstance(value, dict):
        raise FrameError("malformed_frame", "header is not a JSON object")
    return value


class FrameDecoder:
    """Incremental decoder: ``feed`` bytes as they arrive, call ``next`` until it returns None.

    Lengths are checked against the limits before their bytes are waited for (§2.5).
    """

    def __init__(self, max_header: int = MAX_HEADER, max_payload: int = MAX_PAYLOAD):
        self.max_header = max_header
        self.max_payload = max_payload
        self._buf = bytearray()
        self._head: tuple[dict[str, Any], int] | None = None

    def feed(self, data: bytes) -> None:
        self._buf += data

    def buffered(self) -> int:
        return len(self._buf)

    def next(self) -> tuple[dict[str, Any], bytes] | None:
        buf = self._buf
        if self._head is None:
            if len(buf) < 4:
                return None
            size = int.from_bytes(buf[:4], "big")
            if size == 0:
                raise FrameError("malformed_frame", "header length is zero")
            if size > self.max_header:
                raise FrameError("frame_too_large", f"header length {size}")
            if len(buf) < 4 + size:
                return None
            header = parse_header(bytes(buf[4 : 4 + size]))
            del buf[: 4 + size]
            n = header.pop("len", 0)
            if type(n) is not int or n < 0 or n >= 2**64:
                raise FrameError("malformed_frame", f'"len" is {n!r}')
            if n > self.max_payload:
                raise FrameError("payload_too_large", f'"len" is {n}')
            self._head = (header, n)
        header, n = self._head
        if len(buf) < n:
            return None
        payload = bytes(buf[:n])
        del buf[:n]
        self._head = None
        return header, payload


# --------------------------------------------------------------------------------------------
# SCRAM-SHA-256 (RFC 5802 / RFC 7677, gs2 header "n,,", no SASLprep)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _hmac(key: bytes, text: bytes) -> bytes:
    return hmac.new(key, text, hashlib.sha256).digest()


def scram_nonce() -> str:
    return _b64(os.urandom(18))


def scram_client_first(user: str, cnonce: str) -> tuple[str, str]:
    """Returns (client-first-message, client-first-message-bare)."""
    name = user.replace("=", "=3D").replace(",", "=2C")
    bare = f"n={name},r={cnonce}"
    return "n,," + bare, bare


def _scram_attrs(message: str) -> dict[str, str]:
    attrs = {}
    for part in message.split(","):
        key, sep, value = part.partition("=")
        if not sep or len(key) != 1:
            raise ProtocolError(f"malformed SCRAM attribute {part!r}")
        attrs.setdefault(key, value)
    return attrs


def scram_client_final(
    password: str,
    client_first_bare: str,
    server_first: str,
    cnonce: str,
    min_iterations: int = MIN_ITERATIONS,
) -> tuple[str, bytes]:
    """Returns (client-final-message, expected ServerSignature)."""
    attrs = _scram_attrs(server_first)
    if "m" in attrs:
        raise ProtocolError("unsupported mandatory SCRAM extension")
    nonce, salt_b64, iterations = attrs.get("r", ""), attrs.get("s"), attrs.get("i", "")
    if not nonce.startswith(cnonce) or len(nonce) <= len(cnonce):
        raise ProtocolError("the server nonce does not extend the client nonce")
    if salt_b64 is None or not iterations.isdigit():
        raise ProtocolError(f"malformed server-first message {server_first!r}")
    if int(iterations) < min_iterations:
        raise ProtocolError(f"iteration count {iterations} is below {min_iterations}")
    salt = base64.b64decode(salt_b64, validate=True)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, int(iterations))
    client_key = _hmac(salted, b"Client Key")
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = f"c={_b64(b'n,,')},r={nonce}"
    auth_message = f"{client_first_bare},{server_first},{without_proof}".encode("utf-8")
    signature = _hmac(stored_key, auth_message)
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    server_signature = _hmac(_hmac(salted, b"Server Key"), auth_message)
    return f"{without_proof},p={_b64(proof)}", server_signature


def scram_server_final_ok(server_final: str, server_signature: bytes) -> bool:
    return hmac.compare_digest(server_final.encode("utf-8"), b"v=" + _b64(server_signature).encode())


# --------------------------------------------------------------------------------------------
# Connection and client


def md5_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


class Connection:
    """A socket plus a frame decoder."""

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.decoder = FrameDecoder()

    def send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        self.sock.sendall(encode_frame(header, payload))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv(self) -> tuple[dict[str, Any], bytes]:
        while (frame := self.decoder.next()) is None:
            data = self.sock.recv(1 << 18)
            if not data:
                raise ConnectionClosed("the server closed the connection")
            self.decoder.feed(data)
        return frame

    def close(self) -> None:
        self.sock.close()


def _ok(header: dict[str, Any]) -> dict[str, Any]:
    status = header.get("status")
    if status == "error":
        raise ServerError(header)
    if status != "ok":
        raise ProtocolError(f"expected an ok or error response, got {header!r}")
    return header


class Client:
    """One logged-in (after ``login``) session. Use as a context manager to close it."""

    def __init__(self, host: str, port: int, timeout: float = 30.0, name: str = "ferry-py/0.1"):
        self.conn = Connection(host, port, timeout)
        hello = self.request("hello", version=PROTOCOL_VERSION, client=name)
        self.server = hello.get("server")
        self.max_payload = min(int(hello.get("max_payload", MAX_PAYLOAD)), MAX_PAYLOAD)
        self.conn.decoder.max_header = min(int(hello.get("max_header", MAX_HEADER)), MAX_HEADER)
        self.user: str | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def request(self, op: str, payload: bytes = b"", **fields: Any) -> dict[str, Any]:
        """Sends one request, returns its ok fields or raises ``ServerError``."""
        self.conn.send({"op": op, **fields}, payload)
        header, _ = self.conn.recv()
        return _ok(header)

    # -- session ------------------------------------------------------------------------------

    def login(self, user: str, password: str) -> dict[str, Any]:
        cnonce = scram_nonce()
        first, bare = scram_client_first(user, cnonce)
        server_first = self.request("auth_start", mechanism=MECHANISM, message=first)["message"]
        try:
            final, server_sig = scram_client_final(password, bare, server_first, cnonce)
        except ProtocolError:
            self.close()
            raise
        done = self.request("auth_finish", message=final)
        if not scram_server_final_ok(done.get("message", ""), server_sig):
            self.close()
            raise ProtocolError("the server's SCRAM signature is wrong")
        self.user = done.get("user")
        return done

    def bye(self) -> None:
        self.request("bye")
        self.close()

    def pwd(self) -> str:
        return self.request("pwd")["cwd"]

    def cd(self, path: str) -> str:
        return self.request("cd", path=path)["cwd"]

    def ls(self, path: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Every entry of a folder, following ``next`` across pages."""
        entries: list[dict[str, Any]] = []
        after = None
        while True:
            args = {k: v for k, v in (("path", path), ("after", after), ("limit", limit)) if v is not None}
            page = self.request("ls", **args)
            entries += page["entries"]
            after = page.get("next")
            if after is None:
                return entries

    def stat(self, path: str, digest: bool = False) -> dict[str, Any]:
        """The entry at ``path``; ``digest`` asks the server to compute a missing ``md5``."""
        args: dict[str, Any] = {"path": path}
        if digest:
            args["digest"] = True
        return self.request("stat", **args)["entry"]

    def mkdir(self, path: str, parents: bool = False) -> dict[str, Any]:
        return self.request("mkdir", path=path, parents=parents)["entry"]

    def rm(self, path: str, recursive: bool = False) -> None:
        self.request("rm", path=path, recursive=recursive)

    def mv(self, src: str, dst: str, overwrite: bool = False) -> dict[str, Any]:
        return self.request("mv", **{"from": src, "to": dst, "overwrite": overwrite})["entry"]

    def quota(self) -> dict[str, Any]:
        return self.request("quota")

    # -- uploads ------------------------------------------------------------------------------

    def upload_create(
        self, path: str, size: int, md5: str | None = None, overwrite: bool = False
    ) -> dict[str, Any]:
        args: dict[str, Any] = {"path": path, "size": size, "overwrite": overwrite}
        if md5 is not None:
            args["md5"] = md5
        return self.request("upload_create", **args)["upload"]

    def upload_status(self, upload_id: str) -> dict[str, Any]:
        return self.request("upload_status", id=upload_id)["upload"]

    def upload_list(self) -> list[dict[str, Any]]:
        return self.request("upload_list")["uploads"]

    def upload_write(self, upload_id: str, offset: int, data: bytes, crc: int | None = None) -> int:
        """One unpipelined write; ``crc`` overrides the checksum (tests corrupt it)."""
        crc = crc32c(data) if crc is None else crc
        return self.request("upload_write", data, id=upload_id, offset=offset, crc32c=crc)["offset"]

    def upload_finish(self, upload_id: str, md5: str | None = None) -> dict[str, Any]:
        args: dict[str, Any] = {"id": upload_id}
        if md5 is not None:
            args["md5"] = md5
        return self.request("upload_finish", **args)["entry"]

    def upload_cancel(self, upload_id: str) -> None:
        self.request("upload_cancel", id=upload_id)

    def send_writes(
        self, upload_id: str, f: BinaryIO, start: int, end: int, chunk_size: int = 256 * 1024
    ) -> int:
        """Sends ``f[start:end]`` as upload_write frames without reading any acks.

        Returns how many requests are now unanswered. Tests use it to leave a connection with
        writes in flight before dropping it; ``write_pipelined`` is the normal path.
        """
        sent = 0
        pos = start
        while pos < end:
            f.seek(pos)
            chunk = f.read(min(chunk_size, self.max_payload, end - pos))
            self.conn.send({"op": "upload_write", "id": upload_id, "offset": pos, "crc32c": crc32c(chunk)}, chunk)
            pos += len(chunk)
            sent += 1
        return sent

    def write_pipelined(
        self,
        upload_id: str,
        f: BinaryIO,
        offset: int,
        size: int,
        chunk_size: int = 256 * 1024,
        window: int = 4,
    ) -> int:
        """Writes ``f[offset:size]`` with up to ``window`` unacknowledged writes (§9.3).

        Returns the server's offset after the last ack. On an error response, drains the
        remaining acks (they fail with offset_mismatch) and raises the first error.
        """
        chunk_size = min(chunk_size, self.max_payload)
        pending: collections.deque[int] = collections.deque()
        pos = server_offset = offset
        first_error: ServerError | None = None
        while True:
            while first_error is None and pos < size and len(pending) < window:
                f.seek(pos)
                chunk = f.read(min(chunk_size, size - pos))
                if not chunk:
                    raise ValueError(f"local file ends at {pos}, before {size}")
                header = {"op": "upload_write", "id": upload_id, "offset": pos, "crc32c": crc32c(chunk)}
                self.conn.send(header, chunk)
                pos += len(chunk)
                pending.append(pos)
            if not pending:
                break
            header, _ = self.conn.recv()
            expected = pending.popleft()
            if header.get("status") == "ok":
                if first_error is None and header.get("offset") != expected:
                    raise ProtocolError(f"ack offset {header.get('offset')}, expected {expected}")
                server_offset = header["offset"]
            elif header.get("status") == "error":
                err = ServerError(header)
                first_error = first_error or err
                if err.code == "offset_mismatch" and isinstance(header.get("offset"), int):
                    server_offset = header["offset"]
            else:
                raise ProtocolError(f"unexpected response to upload_write: {header!r}")
        if first_error is not None:
            raise first_error
        return server_offset

    def resume_upload(
        self,
        upload_id: str,
        local: str | os.PathLike[str],
        chunk_size: int = 256 * 1024,
        window: int = 4,
        attempts: int = 8,
    ) -> dict[str, Any]:
        """Continues an upload from the server's offset until every byte is there (§9.7).

        Returns the final upload object. Retries ``upload_busy`` (the server may still hold the
        upload for a dropped connection) with a growing delay, and recovers from
        ``offset_mismatch`` and ``chunk_checksum_mismatch`` by asking for the offset again.
        """
        delay = 0.05
        with open(local, "rb") as f:
            for _ in range(attempts):
                upload = self.upload_status(upload_id)
                if upload["offset"] == upload["size"]:
                    return upload
                try:
                    self.write_pipelined(upload_id, f, upload["offset"], upload["size"], chunk_size, window)
                except ServerError as e:
                    if e.code == "upload_busy":
                        time.sleep(delay)
                        delay = min(delay * 2, 2.0)
                    elif e.code not in ("offset_mismatch", "chunk_checksum_mismatch"):
                        raise
        raise ProtocolError(f"upload {upload_id} did not complete after {attempts} attempts")

    def upload_file(
        self,
        local: str | os.PathLike[str],
        remote: str,
        overwrite: bool = False,
        chunk_size: int = 256 * 1024,
        window: int = 4,
    ) -> dict[str, Any]:
        """create → pipelined writes → finish with the MD5; returns the new entry."""
        size = os.path.getsize(local)
        md5 = md5_file(local)
        upload = self.upload_create(remote, size, md5=md5, overwrite=overwrite)
        self.resume_upload(upload["id"], local, chunk_size, window)
        return self.upload_finish(upload["id"], md5=md5)

    # -- downloads ----------------------------------------------------------------------------

    def _get_frames(self, path: str, offset: int):
        """Yields (ok fields) first, then each verified data payload, checking order and CRCs."""
        self.conn.send({"op": "get", "path": path, "offset": offset})
        header, _ = self.conn.recv()
        ok = _ok(header)
        yield ok
        pos = offset
        while True:
            header, payload = self.conn.recv()
            status = header.get("status")
            if status == "data":
                if header.get("offset") != pos:
                    raise ProtocolError(f"data at {header.get('offset')}, expected {pos}")
                if header.get("crc32c") != crc32c(payload):
                    raise ProtocolError(f"bad CRC-32C on the chunk at {pos}")
                pos += len(payload)
                yield payload
            elif status == "end":
                if header.get("size") != ok["size"] or pos != ok["size"]:
                    raise ProtocolError(f"end after {pos} bytes of {ok['size']}")
                return
            elif status == "error":
                raise ServerError(header)
            else:
                raise ProtocolError(f"unexpected frame in a download: {header!r}")

    def get_bytes(self, path: str, offset: int = 0) -> tuple[dict[str, Any], bytes]:
        """Downloads ``path[offset:]`` into memory; returns (ok fields, bytes)."""
        frames = self._get_frames(path, offset)
        ok = next(frames)
        return ok, b"".join(frames)

    def download(
        self, remote: str, local: str | os.PathLike[str], stop_after: int | None = None
    ) -> dict[str, Any]:
        """Downloads into ``local + ".part"``, resuming from its length, then verifies the MD5
        of the whole file and renames it to ``local`` (§10.2). Returns the ok fields.

        ``stop_after``: once the ``.part`` file holds at least that many bytes, close the
        connection and raise ``Interrupted`` (a simulated drop).
        """
        part = os.fspath(local) + ".part"
        offset = os.path.getsize(part) if os.path.exists(part) else 0
        if offset and offset > self.stat(remote)["size"]:
            os.remove(part)
            offset = 0
        frames = self._get_frames(remote, offset)
        ok = next(frames)
        with open(part, "ab") as f:
            for payload in frames:
                f.write(payload)
                if stop_after is not None and f.tell() >= stop_after:
                    self.close()
                    raise Interrupted(f"stopped after {f.tell()} bytes")
        if os.path.getsize(part) != ok["size"] or md5_file(part) != ok["md5"]:
            os.remove(part)
            raise ProtocolError(f"{remote}: the downloaded data does not match the server's MD5")
        os.replace(part, local)
        return ok
