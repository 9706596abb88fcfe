"""Uploaded images: checked by decoding (never by name or declared type),
re-encoded (which drops metadata and anything else the file carried), and
shrunk so a phone on metered data downloads a few tens of KB.

Used by every area that takes pictures: event posters, equipment photos (stored through
`portal.storage`).
"""

import secrets
from io import BytesIO

from flask_babel import gettext as _

from .refusals import Refusal

MAX_PIXELS = 16_000_000  # a 12 Mpx phone photo fits; larger is a decompression bomb, not a photo
MAX_SIDE = 2000  # the largest copy any area keeps is 1400 px (the flyer's poster)
DEFAULT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


class ImageUploadError(Refusal):
    """The upload is not an image we accept; the message is for the person."""


def new_key():
    """A random file key: unguessable, and safe in a path."""
    return secrets.token_hex(12)


def open_upload(storage, max_bytes, formats=DEFAULT_FORMATS, max_side=MAX_SIDE):
    """Read an uploaded file and return it as an upright RGB Pillow image, at most `max_side` px.

    Raises ImageUploadError with a message for the person when the file is empty,
    too big, not an image, in a format we do not take, has too many pixels, or is
    cut short. The pixel count is read from the header and checked before any
    pixel is decoded; a JPEG is decoded straight at the reduced size (draft).
    The returned image carries no metadata at all (EXIF, GPS, XMP, ICC, comments).
    """
    from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError  # lazy: only staff upload

    # WeasyPrint switches this on for the whole process when it is imported (portal.pdf
    # switches it off again); an upload must never be accepted half-decoded.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
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
        if image.width * image.height > MAX_PIXELS:  # the same file, read again: checked again before decoding
            raise ImageUploadError(_("L'immagine ha troppi pixel."))
        if image.format == "JPEG":
            image.draft("RGB", (max_side, max_side))  # decode at 1/2, 1/4 or 1/8 scale when that is enough
        image.load()  # a truncated file raises here
        image = ImageOps.exif_transpose(image)
        image.thumbnail((max_side, max_side))
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
    image = image.convert("RGB")
    image.info.clear()  # Pillow would write a JPEG comment (COM) or an ICC profile back on save
    return image


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
