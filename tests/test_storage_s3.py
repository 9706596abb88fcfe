"""File storage on an S3 server (portal/storage.py), against moto's S3 server speaking real HTTP.

A MinIO server binary cannot be installed on this machine (not in Debian, PyPI or npm), so the test
set-up starts moto's standalone S3 server (``moto[server]``'s ThreadedMotoServer, fixture ``s3_server``
in conftest.py) on 127.0.0.1 and
the portal talks to it through the same minio client and HTTP it uses against MinIO in production.
Loopback only: these tests need no network (marker ``s3``).
"""

import io
import re

import pytest
from conftest import png_bytes, s3_settings

pytestmark = pytest.mark.s3


@pytest.fixture
def app_settings(s3_server):
    """Every test on its own bucket."""
    return s3_settings(s3_server)


@pytest.fixture
def bucket(app):
    """The test's bucket, made as an admin makes it (`flask --app portal storage init`), and a
    client to look into it directly."""
    from portal.storage import ensure_bucket, s3_client

    assert app.config["S3_ENDPOINT"].startswith("http://127.0.0.1:")  # loopback, never the network
    assert "ready" in ensure_bucket(app)
    client = s3_client(app.config)
    return lambda prefix: sorted(o.object_name for o in client.list_objects(app.config["S3_BUCKET"], prefix, True))


def test_a_poster_uploaded_through_the_form_goes_to_the_bucket_and_comes_back_through_the_page(
    client, seed, auth, bucket, app
):
    from test_events import event_form

    from portal.events.models import Event

    auth.login("faenza@staff.binari.example")
    form = event_form(
        seed["sites"]["faenza"], poster=(io.BytesIO(png_bytes()), "p.png"), poster_alt="Locandina del corso"
    )
    response = client.post("/staff/events/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    event = Event.get()
    key = event.poster
    assert bucket("uploads/events/") == [f"uploads/events/{key}-print.jpg", f"uploads/events/{key}.jpg"]
    uploads = app.config["UPLOAD_DIR"]
    assert not list(__import__("pathlib").Path(uploads).rglob("*.jpg")), "nothing written to the local disk"

    event.status = "published"
    event.save()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    src = re.search(r'src="(/events/poster/[0-9a-f]{24}\.jpg)"', page).group(1)
    image = client.get(src)
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.data[:3] == b"\xff\xd8\xff" and len(image.data) <= 60 * 1024
    assert "max-age=31536000" in image.headers["Cache-Control"] and "public" in image.headers["Cache-Control"]
    again = client.get(src, headers={"If-None-Match": image.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/events/poster/" + "0" * 24 + ".jpg").status_code == 404


def test_the_flyer_is_cached_in_the_bucket_and_built_once(client, seed, auth, bucket, monkeypatch, tmp_path):
    import subprocess

    from test_events import make_event

    from portal.events import feeds
    from portal.events.posters import save_poster

    poster = save_poster(io.BytesIO(png_bytes()))
    event = make_event(title="Tombola di quartiere", poster=poster, poster_alt="Locandina")
    builds = []
    real = feeds.render_pdf

    def counting(*args, **kwargs):
        builds.append(kwargs.get("poster_url", "")[:23])
        return real(*args, **kwargs)

    monkeypatch.setattr(feeds, "render_pdf", counting)
    first = client.get(f"/events/{event.id}/flyer.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    cached = bucket("cache/events/")
    assert len(cached) == 1 and cached[0].endswith(".pdf")
    assert builds == ["data:image/jpeg;base64,"]  # the poster read from the bucket, drawn inline
    second = client.get(f"/events/{event.id}/flyer.pdf")
    assert second.data == first.data and len(builds) == 1  # the second answer came from the bucket
    pdf = tmp_path / "flyer.pdf"
    pdf.write_bytes(first.data)
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "jpeg" in images or "dct" in images  # the poster is in the flyer


def test_item_photos_and_import_previews_live_in_the_bucket(app, bucket, client):
    from werkzeug.datastructures import FileStorage

    from portal import storage
    from portal.bookings.photos import delete_photo, save_photo, thumb_name

    name = save_photo(FileStorage(io.BytesIO(png_bytes()), "photo.png"))
    assert bucket("uploads/bookings/") == sorted([f"uploads/bookings/{name}", f"uploads/bookings/{thumb_name(name)}"])
    thumb = client.get(f"/equipment/photos/{thumb_name(name)}")
    assert thumb.status_code == 200 and thumb.data[:3] == b"\xff\xd8\xff"
    assert client.get("/equipment/photos/" + "1" * 24 + ".jpg").status_code == 404
    delete_photo(name)
    assert bucket("uploads/bookings/") == []
    store = storage.uploads()
    store.write("library-import/1-1-x.csv", b"isbn;title\n", "text/csv")
    assert store.read("library-import/1-1-x.csv") == b"isbn;title\n" and store.exists("library-import/1-1-x.csv")
    assert [item.key for item in store.list("library-import/")] == ["library-import/1-1-x.csv"]
    assert store.read("library-import/nothing.csv") is None and not store.exists("library-import/nothing.csv")
    with pytest.raises(ValueError):
        store.read("../secret")


def test_a_backup_on_s3_holds_the_database_and_names_the_bucket(app, bucket, tmp_path):
    import json
    import tarfile

    from portal.backup import take_backup
    from portal.events.posters import save_poster

    save_poster(io.BytesIO(png_bytes()))
    archive = take_backup(tmp_path)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    from portal.db import is_sqlite

    database_file = "binari.sqlite3" if is_sqlite() else "binari.pgdump"  # `make test-postgres` runs this too
    assert database_file in names and not any(n.startswith("uploads") for n in names)
    assert manifest["uploads"] is None
    assert manifest["uploads_bucket"] == f"{app.config['S3_ENDPOINT']}/{app.config['S3_BUCKET']}"


def test_a_half_configured_s3_refuses_to_start(monkeypatch):
    from portal.config import ConfigError, from_environment

    monkeypatch.setenv("S3_ENDPOINT", "minio:9000")
    with pytest.raises(ConfigError):
        from_environment()
    monkeypatch.setenv("S3_ENDPOINT", "http://minio:9000")
    monkeypatch.delenv("S3_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        from_environment()
