"""Item photos: at most 640 px and 60 KB, so a phone downloads a few KB.

Checking and re-encoding are the shared ones of `portal.images`; the files live in
`portal.storage.uploads()` under `bookings/`.
"""

from pathlib import PurePosixPath

from portal import storage
from portal.images import jpeg_within, new_key, open_upload

MAX_UPLOAD = 8 * 1024 * 1024
MAX_BYTES = 60 * 1024
FORMATS = ("JPEG", "PNG", "WEBP")


def photo_key(name):
    """The storage key of a photo's file name."""
    return f"bookings/{name}"


def save_photo(upload):
    """Validate and re-encode an uploaded file; return the stored file name."""
    image = open_upload(upload, MAX_UPLOAD, FORMATS)
    data = jpeg_within(image, MAX_BYTES, sizes=((640, 80), (640, 70), (640, 60), (640, 50), (480, 45), (400, 40)))
    name = new_key() + ".jpg"
    store = storage.uploads()
    store.write(photo_key(name), data, "image/jpeg")
    # The catalogue shows 96 px thumbnails: a 192 px copy (sharp on 2x screens) of a few KB.
    store.write(
        photo_key(thumb_name(name)),
        jpeg_within(image, 12 * 1024, sizes=((192, 70), (192, 55), (160, 50), (128, 45))),
        "image/jpeg",
    )
    return name


def thumb_name(name):
    """The thumbnail's file name for a photo's file name."""
    return name[: -len(".jpg")] + "-t.jpg"


def delete_photo(name):
    if name:
        for file_name in (PurePosixPath(name).name, thumb_name(PurePosixPath(name).name)):
            storage.uploads().delete(photo_key(file_name))
