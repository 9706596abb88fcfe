"""Compressed bodies kept for responses whose bytes are fixed by a key (the calendar feed, static files).

Flask-Compress compresses every response again: for the public calendar feed (hundreds of KB,
the same bytes for everyone until an event changes) brotli costs far more than serving the cached
file. A view that knows its body is fully determined by a key (its ETag) sets
`g.compress_cache_key`; Flask-Compress then keeps the compressed bytes per algorithm and key here.
Every other response has no key and is compressed as before, never stored.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict

from flask import current_app, g, request

NO_KEY = "-"
MAX_ENTRIES = 64  # a few feeds and about ten static files, in two encodings each


class CompressedBodies:
    """A small LRU of compressed bodies, per worker process (Flask-Compress's cache backend)."""

    def __init__(self) -> None:
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        if key.endswith(";" + NO_KEY):
            return None
        with self.lock:
            body = self.entries.get(key)
            if body is not None:
                self.entries.move_to_end(key)
            return body

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + NO_KEY):
            return
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)


def cache_key(request) -> str:
    """The key the view set for this response's bytes, or NO_KEY (compress, keep nothing)."""
    return g.get("compress_cache_key") or NO_KEY


def static_files_compressed_once(response):
    """Static files (CSS, JS, SVG) compressed for every client, once per worker.

    Flask sends a static file as a stream, and Flask-Compress compresses streams only with the
    algorithms that stream (Brotli, zstd): a client that accepts only gzip got htmx's 52 KB whole
    (interop review, item 15). A static file is small and fixed by its content: read it, and key its
    compressed bytes by that content, so each encoding is computed once.
    """
    if request.endpoint != "static" or response.status_code != 200 or not response.direct_passthrough:
        return response
    if response.mimetype not in current_app.config.get("COMPRESS_MIMETYPES", ()):
        return response
    response.direct_passthrough = False
    data = response.get_data()
    g.compress_cache_key = f"static:{request.path}:{len(data)}:{zlib.crc32(data)}"
    return response
