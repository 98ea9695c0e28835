"""Schemathesis hooks: tus request bodies (``application/offset+octet-stream``) are raw bytes,
sent as schemathesis sends ``application/octet-stream``."""

import schemathesis


@schemathesis.serializer("application/offset+octet-stream")
def offset_octet_stream(ctx, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return str(value).encode("utf-8")
