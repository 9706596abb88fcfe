"""Event posters: uploaded images checked, re-encoded and stored in two sizes (portal.storage)."""

from __future__ import annotations

import base64
import re
from io import BytesIO

from portal import storage
from portal.images import jpeg_within, new_key, open_upload

MAX_UPLOAD = 5 * 1024 * 1024
PHONE_BYTES = 60 * 1024


def save_poster(upload) -> str:
    """Check, re-encode and resize an uploaded image; returns its stored key.

    Two files: `events/<key>.jpg` for phones (≤ 60 KB) and `events/<key>-print.jpg` for flyers.
    """
    image = open_upload(upload, MAX_UPLOAD)
    key = new_key()
    printable = image.copy()
    printable.thumbnail((1400, 1400))
    buffer = BytesIO()
    printable.save(buffer, "JPEG", quality=85, optimize=True)
    store = storage.uploads()
    store.write(f"events/{key}-print.jpg", buffer.getvalue(), "image/jpeg")
    store.write(f"events/{key}.jpg", jpeg_within(image, PHONE_BYTES), "image/jpeg")
    return key


def poster_key(key: str | None, printable: bool = False) -> str | None:
    """The storage key of a poster's file, or None for a key that is not one of ours."""
    if not re.fullmatch(r"[0-9a-f]{24}", key or ""):
        return None
    return f"events/{key}-print.jpg" if printable else f"events/{key}.jpg"


def poster_bytes(key: str | None, printable: bool = False) -> bytes | None:
    stored = poster_key(key, printable)
    return storage.uploads().read(stored) if stored else None


def poster_src(key: str | None) -> str | None:
    """The printable poster as WeasyPrint reads it: the file on disk, or the object's bytes inline."""
    stored = poster_key(key, printable=True)
    if stored is None:
        return None
    path = storage.uploads().local_path(stored)
    if path is not None:
        return path.as_uri()
    data = storage.uploads().read(stored)
    return "data:image/jpeg;base64," + base64.b64encode(data).decode() if data else None
