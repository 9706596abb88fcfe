"""Compressed bodies kept for responses whose bytes are fixed by a key (the calendar feed).

Flask-Compress compresses every response again: for the public calendar feed (hundreds of KB,
the same bytes for everyone until an event changes) brotli costs far more than serving the cached
file. A view that knows its body is fully determined by a key (its ETag) sets
`g.compress_cache_key`; Flask-Compress then keeps the compressed bytes per algorithm and key here.
Every other response has no key and is compressed as before, never stored.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import g

NO_KEY = "-"
MAX_ENTRIES = 32


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
