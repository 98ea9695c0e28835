"""Schemathesis hooks: tus request bodies (``application/offset+octet-stream``) and IETF-draft
append bodies (``application/partial-upload``) are raw bytes, sent as schemathesis sends
``application/octet-stream``."""

import schemathesis


@schemathesis.serializer("application/offset+octet-stream", "application/partial-upload")
def offset_octet_stream(ctx, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return str(value).encode("utf-8")
