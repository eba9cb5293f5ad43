"""Content-Encoding decoders whose output is bounded, so a compression bomb cannot fill memory."""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli  # type: ignore[import-untyped]

from monitor.errors import FetchError

# Only what is decoded here; httpx's own decoders expand a whole network chunk at once.
ACCEPT_ENCODING = "gzip, deflate, br"
CorruptBody = (zlib.error, brotli.error)


class Decoder(Protocol):
    def decode(self, data: bytes, room: int) -> bytes:
        """Decode `data`; returns more than `room` bytes only to say the cap is crossed."""


class Identity:
    def decode(self, data: bytes, room: int) -> bytes:
        return data


class ZlibDecoder:
    """gzip or deflate (zlib-wrapped, falling back to raw deflate as browsers do)."""

    def __init__(self, wbits: int, fallback_wbits: int | None = None) -> None:
        self._obj = zlib.decompressobj(wbits)
        self._fallback = fallback_wbits

    def decode(self, data: bytes, room: int) -> bytes:
        try:
            out = self._obj.decompress(data, room + 1)
        except zlib.error:
            if self._fallback is None:
                raise
            self._obj, self._fallback = zlib.decompressobj(self._fallback), None
            out = self._obj.decompress(data, room + 1)
        self._fallback = None
        return out


class BrotliDecoder:
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def decode(self, data: bytes, room: int) -> bytes:
        parts = [self._obj.process(data, output_buffer_limit=room + 1)]
        total = len(parts[0])
        while total <= room and not self._obj.can_accept_more_data():
            more = self._obj.process(b"", output_buffer_limit=room + 1 - total)
            if not more:
                break
            parts.append(more)
            total += len(more)
        return b"".join(parts)


def decoder_for(content_encoding: str, url: str) -> Decoder:
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return Identity()
    if codings == ["gzip"] or codings == ["x-gzip"]:
        return ZlibDecoder(zlib.MAX_WBITS | 16)
    if codings == ["deflate"]:
        return ZlibDecoder(zlib.MAX_WBITS, -zlib.MAX_WBITS)
    if codings == ["br"]:
        return BrotliDecoder()
    raise FetchError(
        f"{url}: unsupported Content-Encoding {content_encoding!r}",
        hint="the server ignored our Accept-Encoding; report it to the site",
    )
