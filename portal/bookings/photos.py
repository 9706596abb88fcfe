"""Item photos: checked, re-encoded and shrunk with Pillow so a phone downloads a few KB.

The upload is decoded by Pillow (never trusted by its name or type), stripped
of metadata by re-encoding, resized to at most 640 px and saved as JPEG at the
highest quality that stays under 60 KB.
"""
import secrets
from io import BytesIO
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD = 8 * 1024 * 1024
MAX_SIDE = 640
MAX_BYTES = 60 * 1024
FORMATS = {"JPEG", "PNG", "WEBP"}


class PhotoError(ValueError):
    pass


def photo_dir():
    path = Path(current_app.config["UPLOAD_DIR"]) / "bookings"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_photo(storage):
    """Validate and re-encode an uploaded file; return the stored file name."""
    from flask_babel import gettext as _

    data = storage.read(MAX_UPLOAD + 1)
    if not data:
        raise PhotoError(_("Il file è vuoto."))
    if len(data) > MAX_UPLOAD:
        raise PhotoError(_("La foto è troppo grande: al massimo 8 MB."))
    try:
        Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise PhotoError(_("Carica una foto JPEG, PNG o WebP."))
            probe.verify()
        image = Image.open(BytesIO(data))
        image = ImageOps.exif_transpose(image)
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        if image.mode != "RGB":
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.split()[-1])
            image = background
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError):
        raise PhotoError(_("Questo file non è una foto leggibile."))
    out = b""
    for quality in (80, 70, 60, 50, 40, 30):
        buffer = BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
        out = buffer.getvalue()
        if len(out) <= MAX_BYTES:
            break
    while len(out) > MAX_BYTES:  # an extreme image: shrink further
        image.thumbnail((image.width * 3 // 4, image.height * 3 // 4))
        buffer = BytesIO()
        image.save(buffer, "JPEG", quality=40, optimize=True)
        out = buffer.getvalue()
    name = secrets.token_hex(12) + ".jpg"
    (photo_dir() / name).write_bytes(out)
    return name


def delete_photo(name):
    if name:
        try:
            (photo_dir() / Path(name).name).unlink()
        except FileNotFoundError:
            pass
