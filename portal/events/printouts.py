"""The disk cache of printed matter (flyers, monthly programmes) and feeds, keyed by ETag."""

from __future__ import annotations

import fcntl
import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from flask import current_app

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


def cache_dir() -> Path:
    # Beside the uploads (instance/cache/events in production): per installation,
    # and per test database in the tests.
    path = Path(current_app.config["UPLOAD_DIR"]).parent / "cache" / "events"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_file(etag: str, build: Callable[[], bytes], ext: str = "pdf") -> bytes:
    """The document for `etag` from the disk cache, or built and stored (old ones pruned).

    On disk, not in memory: every gunicorn worker shares it, and it survives restarts.
    """
    path = cache_dir() / f"{etag}.{ext}"
    if path.exists():
        return path.read_bytes()
    # One build at a time in the installation: when many ask for a cold flyer or feed at once,
    # the first builds it and the others wait and read it, instead of all building it (seconds
    # of CPU each); and a worker never renders several PDFs at once (WeasyPrint takes tens of
    # MB a render: this keeps a worker's peak memory down). flock serialises threads as well
    # as processes, and is released if a worker dies. Building is CPU-bound: little is lost.
    with open(cache_dir() / ".build.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path.read_bytes()
        data = build()
        tmp = path.with_name(f"{etag}.{secrets.token_hex(4)}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    files = sorted(cache_dir().glob(f"*.{ext}"), key=lambda p: p.stat().st_mtime)
    for old in files[:-200]:  # keep the cache small on a small VPS
        old.unlink(missing_ok=True)
    return data


def cached_pdf(etag: str, build: Callable[[], bytes]) -> bytes:
    return cached_file(etag, build, "pdf")
