"""Tests of the independent Python client (ferry_client.py) and, through it, of the server.

Tests whose names contain ``server`` start the real binary (``FERRY_BIN``, default
``target/debug/ferry`` under the repository root). The others need nothing but Python and
``docs/PROTOCOL.md``: ``python3 -m pytest tests/py -k "not server"``.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ferry_client as fc  # noqa: E402
from conftest import ADMIN_PASSWORD  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PROTOCOL_MD = REPO / "docs" / "PROTOCOL.md"


# --------------------------------------------------------------------------------------------
# Pure checks: CRC-32C, SCRAM, framing against the document's vectors


def test_crc32c_has_the_castagnoli_check_value():
    assert fc.crc32c(b"123456789") == 0xE3069283


def test_crc32c_of_hello_and_empty_input():
    assert fc.crc32c(b"hello") == 0x9A71BB4C
    assert fc.crc32c(b"") == 0


def test_crc32c_can_continue_over_pieces():
    assert fc.crc32c(b"6789", fc.crc32c(b"12345")) == fc.crc32c(b"123456789")


RFC7677 = {
    "user": "user",
    "password": "pencil",
    "cnonce": "rOprNGfwEbeRWgbNEkqO",
    "server_first": "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "client_final": "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "server_final": "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
}


def test_scram_matches_the_rfc7677_example():
    v = RFC7677
    first, bare = fc.scram_client_first(v["user"], v["cnonce"])
    assert first == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    assert bare == "n=user,r=rOprNGfwEbeRWgbNEkqO"
    final, server_sig = fc.scram_client_final(v["password"], bare, v["server_first"], v["cnonce"])
    assert final == v["client_final"]
    assert fc.scram_server_final_ok(v["server_final"], server_sig)
    assert not fc.scram_server_final_ok("v=" + "A" * 44, server_sig)


def test_scram_refuses_a_nonce_that_does_not_extend_the_clients():
    v = RFC7677
    with pytest.raises(fc.ProtocolError):
        fc.scram_client_final("pencil", "n=user,r=abc", v["server_first"], "abc")


def test_scram_refuses_a_low_iteration_count():
    server_first = RFC7677["server_first"].replace("i=4096", "i=1000")
    with pytest.raises(fc.ProtocolError):
        fc.scram_client_final("pencil", "n=user,r=rOprNGfwEbeRWgbNEkqO", server_first, RFC7677["cnonce"])


def test_scram_escapes_comma_and_equals_in_names():
    assert fc.scram_client_first("a=b,c", "N")[1] == "n=a=3Db=2Cc,r=N"


def doc_vectors():
    """(name, info words, json text or None, payload hex or None, frame bytes) per hex block."""
    out = []
    name, json_text, payload = "", None, None
    lines = iter(PROTOCOL_MD.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if line.startswith("#"):
            name, json_text, payload = line.lstrip("#").strip(), None, None
        elif line.startswith("Payload"):
            payload = bytes.fromhex(line.split("`")[1])
        elif line.startswith("```"):
            info = line[3:].split()
            body = []
            for inner in lines:
                if inner.startswith("```"):
                    break
                body.append(inner)
            text = "\n".join(body)
            if info[:1] == ["json"]:
                json_text = text.strip()
            elif info[:1] == ["hex"]:
                out.append((name, info[1:], json_text, payload, bytes.fromhex(text)))
                json_text, payload = None, None
    return out


def test_document_has_at_least_eight_vectors():
    vectors = doc_vectors()
    assert len(vectors) >= 8
    assert any(info for _, info, _, _, _ in vectors), "no decode-error vectors"


@pytest.mark.parametrize("vector", [v for v in doc_vectors() if not v[1]], ids=lambda v: v[0].split()[0])
def test_normal_vectors_decode_and_reencode_exactly(vector):
    name, _, json_text, payload, data = vector
    assert json_text is not None, f"{name}: no json block"
    decoder = fc.FrameDecoder()
    decoder.feed(data)
    header, got_payload = decoder.next()
    assert decoder.next() is None and decoder.buffered() == 0
    expected = fc.parse_header(json_text.encode("utf-8"))
    expected.pop("len", None)
    assert header == expected
    assert got_payload == (payload or b"")
    assert fc.encode_frame(header, got_payload) == data
    if "crc32c" in header:
        assert header["crc32c"] == fc.crc32c(got_payload)


@pytest.mark.parametrize("vector", [v for v in doc_vectors() if not v[1]], ids=lambda v: v[0].split()[0])
def test_normal_vectors_fed_byte_by_byte_decode_once(vector):
    data = vector[4]
    decoder = fc.FrameDecoder()
    frames = []
    for i in range(len(data)):
        decoder.feed(data[i : i + 1])
        if (frame := decoder.next()) is not None:
            frames.append((i, frame))
    assert [i for i, _ in frames] == [len(data) - 1]


@pytest.mark.parametrize("vector", [v for v in doc_vectors() if v[1]], ids=lambda v: v[0].split()[0])
def test_error_vectors_fail_with_their_named_code(vector):
    name, info, _, _, data = vector
    (attr,) = info
    assert attr.startswith("error="), name
    decoder = fc.FrameDecoder()
    decoder.feed(data)
    with pytest.raises(fc.FrameError) as e:
        decoder.next()
    assert e.value.code == attr.removeprefix("error=")


def test_two_frames_in_one_read_decode_in_order():
    decoder = fc.FrameDecoder()
    decoder.feed(fc.encode_frame({"n": 1}, b"ab") + fc.encode_frame({"n": 2}))
    assert decoder.next() == ({"n": 1}, b"ab")
    assert decoder.next() == ({"n": 2}, b"")
    assert decoder.next() is None


def test_encoder_puts_len_last_after_sorted_keys():
    data = fc.encode_frame({"z": 1, "a": {"y": "é", "b": None}}, b"xyz")
    assert data[4:] == '{"a":{"b":null,"y":"é"},"z":1,"len":3}xyz'.encode("utf-8")


# --------------------------------------------------------------------------------------------
# Against the real server


@pytest.fixture
def server(ferry_server):
    """The TCP door of ``ferry serve`` (started by ``conftest.ferry_server``): (host, port)."""
    return ferry_server.tcp


def login(addr) -> fc.Client:
    client = fc.Client(*addr)
    client.login("admin", ADMIN_PASSWORD)
    return client


def test_server_upload_with_a_dropped_connection_resumes_and_downloads_intact(server, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 12345)
    md5 = hashlib.md5(data).hexdigest()
    local = tmp_path / "big.bin"
    local.write_bytes(data)
    remote = "/inbox/big.bin"

    first = login(server)
    assert first.user == "admin"
    first.mkdir("/inbox", parents=True)
    upload = first.upload_create(remote, len(data), md5=md5)
    assert re.fullmatch(r"[0-9a-f]{32}", upload["id"])
    assert (upload["offset"], upload["size"], upload["path"]) == (0, len(data), remote)
    half = len(data) // 2
    with open(local, "rb") as f:
        first.write_pipelined(upload["id"], f, 0, 1024 * 1024)
        # Writes in flight and half a frame on the wire, then the connection drops.
        first.send_writes(upload["id"], f, 1024 * 1024, half)
        f.seek(half)
        chunk = f.read(100_000)
    frame = fc.encode_frame({"op": "upload_write", "id": upload["id"], "offset": half, "crc32c": fc.crc32c(chunk)}, chunk)
    first.conn.send_raw(frame[: len(frame) // 2])
    first.close()

    with login(server) as second:
        listed = [u for u in second.upload_list() if u["id"] == upload["id"]]
        assert len(listed) == 1 and listed[0]["path"] == remote
        assert 1024 * 1024 <= listed[0]["offset"] <= half
        done = second.resume_upload(upload["id"], local)
        assert done["offset"] == len(data)
        entry = second.upload_finish(upload["id"], md5=md5)
        assert (entry["path"], entry["kind"], entry["size"], entry["md5"]) == (remote, "file", len(data), md5)
        assert upload["id"] not in [u["id"] for u in second.upload_list()]
        names = {e["name"]: e for e in second.ls("/inbox")}
        assert names["big.bin"]["size"] == len(data)
        assert second.stat(remote)["md5"] == md5

        target = tmp_path / "down.bin"
        with pytest.raises(fc.Interrupted):
            second.download(remote, target, stop_after=1)
    part = Path(str(target) + ".part")
    assert 0 < part.stat().st_size < len(data)

    with login(server) as third:
        ok = third.download(remote, target)
        assert (ok["size"], ok["md5"]) == (len(data), md5)
        assert not part.exists()
        assert hashlib.md5(target.read_bytes()).hexdigest() == md5

        offset = 2_000_000
        ok, tail = third.get_bytes(remote, offset)
        assert (ok["offset"], ok["size"], ok["md5"]) == (offset, len(data), md5)
        assert tail == data[offset:]
        third.bye()


def test_server_wrong_password_gets_auth_failed(server):
    with fc.Client(*server) as client:
        with pytest.raises(fc.ServerError) as e:
            client.login("admin", "not the password")
        assert e.value.code == "auth_failed"
    with fc.Client(*server) as client:
        with pytest.raises(fc.ServerError) as e:
            client.login("nobody", "not the password")
        assert e.value.code in ("auth_failed", "auth_throttled")


def test_server_corrupted_chunk_gets_chunk_checksum_mismatch_and_is_not_kept(server):
    body = b"0123456789"
    md5 = hashlib.md5(body).hexdigest()
    with login(server) as client:
        upload = client.upload_create("/crc.txt", len(body), md5=md5)
        uid = upload["id"]
        with pytest.raises(fc.ServerError) as e:
            client.upload_write(uid, 0, body[:5], crc=fc.crc32c(body[:5]) ^ 1)
        assert e.value.code == "chunk_checksum_mismatch"
        assert client.upload_status(uid)["offset"] == 0

        assert client.upload_write(uid, 0, body[:5]) == 5
        with pytest.raises(fc.ServerError) as e:
            client.upload_write(uid, 0, body[:5])
        assert (e.value.code, e.value.fields.get("offset")) == ("offset_mismatch", 5)
        with pytest.raises(fc.ServerError) as e:
            client.upload_finish(uid)
        assert (e.value.code, e.value.fields.get("offset"), e.value.fields.get("size")) == ("upload_incomplete", 5, 10)

        assert client.upload_write(uid, 5, body[5:]) == 10
        entry = client.upload_finish(uid)
        assert (entry["size"], entry["md5"]) == (10, md5)
        assert client.get_bytes("/crc.txt")[1] == body
