"""Item photos: at most 640 px and 60 KB, so a phone downloads a few KB.

Checking and re-encoding are the shared ones of `portal.images`.
"""

from pathlib import Path

from portal.images import jpeg_within, new_key, open_upload, upload_dir

MAX_UPLOAD = 8 * 1024 * 1024
MAX_BYTES = 60 * 1024
FORMATS = ("JPEG", "PNG", "WEBP")


def photo_dir():
    return upload_dir("bookings")


def save_photo(storage):
    """Validate and re-encode an uploaded file; return the stored file name."""
    image = open_upload(storage, MAX_UPLOAD, FORMATS)
    data = jpeg_within(image, MAX_BYTES, sizes=((640, 80), (640, 70), (640, 60), (640, 50), (480, 45), (400, 40)))
    name = new_key() + ".jpg"
    (photo_dir() / name).write_bytes(data)
    # The catalogue shows 96 px thumbnails: a 192 px copy (sharp on 2x screens) of a few KB.
    (photo_dir() / thumb_name(name)).write_bytes(
        jpeg_within(image, 12 * 1024, sizes=((192, 70), (192, 55), (160, 50), (128, 45)))
    )
    return name


def thumb_name(name):
    """The thumbnail's file name for a photo's file name."""
    return name[: -len(".jpg")] + "-t.jpg"


def delete_photo(name):
    if name:
        for file_name in (Path(name).name, thumb_name(Path(name).name)):
            try:
                (photo_dir() / file_name).unlink()
            except FileNotFoundError:
                pass
