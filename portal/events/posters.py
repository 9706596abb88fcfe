"""Event posters: uploaded images checked, re-encoded and stored in two sizes."""

from __future__ import annotations

import re
from pathlib import Path

from portal.images import jpeg_within, new_key, open_upload, upload_dir

MAX_UPLOAD = 5 * 1024 * 1024
PHONE_BYTES = 60 * 1024


def poster_dir() -> Path:
    return upload_dir("events")


def save_poster(storage) -> str:
    """Check, re-encode and resize an uploaded image; returns its stored key.

    Two files: `<key>.jpg` for phones (≤ 60 KB) and `<key>-print.jpg` for flyers.
    """
    image = open_upload(storage, MAX_UPLOAD)
    key = new_key()
    folder = poster_dir()
    printable = image.copy()
    printable.thumbnail((1400, 1400))
    printable.save(folder / f"{key}-print.jpg", "JPEG", quality=85, optimize=True)
    (folder / f"{key}.jpg").write_bytes(jpeg_within(image, PHONE_BYTES))
    return key


def poster_path(key: str | None, printable: bool = False) -> Path | None:
    if not re.fullmatch(r"[0-9a-f]{24}", key or ""):
        return None
    path = poster_dir() / (f"{key}-print.jpg" if printable else f"{key}.jpg")
    return path if path.exists() else None
