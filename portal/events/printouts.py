"""The cache of printed matter (flyers, monthly programmes) and feeds, keyed by ETag."""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from flask import current_app

from portal import storage
from portal.pdf import process_lock

_LAYOUT: list[str] = []


def layout_version() -> str:
    """A digest of the print stylesheet and the printed templates: a new release with a new layout
    makes new ETags, so cached PDFs of the old layout are never served again."""
    if not _LAYOUT:
        root = Path(__file__).resolve().parent.parent
        digest = hashlib.sha256()
        files = [root / "static" / "pdf.css", root / "templates" / "pdf_base.html"]
        files += sorted((root / "templates" / "events").glob("*.html"))
        for path in files:
            digest.update(path.read_bytes())
        _LAYOUT.append(digest.hexdigest()[:12])
    return _LAYOUT[0]


def events_etag(kind: str, rows: Iterable[tuple[int, datetime | None]], extra: str = "") -> str:
    """An ETag from the events' ids and last-modified stamps (changes when any changes), the configured
    BASE_URL the documents' links come from (a new address builds new documents) and the layout."""
    digest = hashlib.sha256(f"{kind}|{extra}|{current_app.config['BASE_URL']}|{layout_version()}".encode())
    for event_id, updated in rows:
        digest.update(f"{event_id}:{updated.isoformat() if updated else ''};".encode())
    return digest.hexdigest()[:32]


CONTENT_TYPES = {"pdf": "application/pdf", "ics": "text/calendar", "png": "image/png"}
KEEP = 200  # documents kept in the cache: small on a small VPS


def _build_lock() -> Path:
    # A file on this server's own disk, beside the local cache (instance/cache), whichever the storage:
    # with several app servers each builds a cold document at most once, and they share the result.
    path = Path(current_app.config["UPLOAD_DIR"]).parent / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path / ".build.lock"


def cached_file(etag: str, build: Callable[[], bytes], ext: str = "pdf") -> bytes:
    """The document for `etag` from the cache (``portal.storage.cache()``), or built and stored
    (old ones pruned).

    Not in memory: every gunicorn worker (and, on S3, every app server) shares it, and it survives
    restarts.
    """
    store = storage.cache()
    key = f"events/{etag}.{ext}"
    data = store.read(key)
    if data is not None:
        return data
    # One build at a time on a server: when many ask for a cold flyer or feed at once,
    # the first builds it and the others wait and read it, instead of all building it (seconds
    # of CPU each); and a worker never renders several PDFs at once (WeasyPrint takes tens of
    # MB a render: this keeps a worker's peak memory down). Building is CPU-bound: little is lost.
    # First this process's own lock, then flock between processes (released if a worker dies).
    # flock alone is a blocking system call: under gevent, a second greenlet asking for it while the
    # holder waits for its PDF child would stop the whole worker, the holder included, for good.
    # The process lock is cooperative under gevent (the others wait as greenlets) and is the only
    # wait threads of one process have, so a blocking flock only ever waits for another process.
    with process_lock("printout-build"), open(_build_lock(), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = store.read(key)
        if data is not None:
            return data
        data = build()
        store.write(key, data, CONTENT_TYPES.get(ext, "application/octet-stream"))
    stored = sorted(store.list("events/"), key=lambda item: item.modified)
    for old in [item for item in stored if item.key.endswith(f".{ext}")][:-KEEP]:
        store.delete(old.key)
    return data


def cached_pdf(etag: str, build: Callable[[], bytes]) -> bytes:
    return cached_file(etag, build, "pdf")
