"""Uploaded images: checked by decoding (never by name or declared type),
re-encoded (which drops metadata and anything else the file carried), and
shrunk so a phone on metered data downloads a few tens of KB.

Used by every area that takes pictures: event posters, equipment photos.
"""

import secrets
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from .refusals import Refusal

MAX_PIXELS = 40_000_000  # larger is a decompression bomb, not a photo
DEFAULT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


class ImageUploadError(Refusal):
    """The upload is not an image we accept; the message is for the person."""


def upload_dir(area):
    """The folder for one area's uploads, under UPLOAD_DIR."""
    path = Path(current_app.config["UPLOAD_DIR"]) / area
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_key():
    """A random file key: unguessable, and safe in a path."""
    return secrets.token_hex(12)


def open_upload(storage, max_bytes, formats=DEFAULT_FORMATS):
    """Read an uploaded file and return it as an upright RGB Pillow image.

    Raises ImageUploadError with a message for the person when the file is empty,
    too big, not an image, or in a format we do not take.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError  # lazy: only staff upload

    data = storage.read(max_bytes + 1)
    if not data:
        raise ImageUploadError(_("Il file è vuoto."))
    if len(data) > max_bytes:
        raise ImageUploadError(_("L'immagine è troppo grande: al massimo %(mb)d MB.", mb=max_bytes // (1024 * 1024)))
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in formats:
                raise ImageUploadError(
                    _(
                        "Formato non accettato: usa %(formats)s.",
                        formats=", ".join("JPEG" if f == "JPEG" else f for f in formats),
                    )
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageUploadError(_("L'immagine ha troppi pixel."))
            probe.verify()
        image = Image.open(BytesIO(data))
        image = ImageOps.exif_transpose(image)
        image.load()
    except ImageUploadError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageUploadError(_("Il file non è un'immagine valida.")) from exc
    if image.mode not in ("RGB", "L"):
        # Transparent PNG/WebP/GIF: flatten on white, as it will be printed or shown.
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.split()[-1])
        image = background
    return image.convert("RGB")


def jpeg_within(image, max_bytes, sizes=((720, 72), (640, 65), (560, 58), (480, 52), (400, 45), (320, 40))):
    """The largest (side, quality) step of `sizes` whose JPEG fits in `max_bytes`."""
    data = b""
    for side, quality in sizes:
        candidate = image.copy()
        candidate.thumbnail((side, side))
        buffer = BytesIO()
        candidate.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        data = buffer.getvalue()
        if len(data) <= max_bytes:
            return data
    side = sizes[-1][0]
    while len(data) > max_bytes and side > 64:  # an extreme image: keep shrinking
        side = side * 3 // 4
        candidate = image.copy()
        candidate.thumbnail((side, side))
        buffer = BytesIO()
        candidate.save(buffer, "JPEG", quality=35, optimize=True)
        data = buffer.getvalue()
    return data
