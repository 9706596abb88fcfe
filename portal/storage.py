"""Where files live: uploads (posters, item photos, import previews) and the printout cache.

One small interface, two backends:

- **local disk** (the default): uploads under ``UPLOAD_DIR``, the cache beside it
  (``instance/cache``), as on one VPS;
- **S3-compatible object storage** (MinIO, or any provider) when ``S3_ENDPOINT`` is set: one
  bucket (``S3_BUCKET``), uploads under ``uploads/`` and the cache under ``cache/``, so every app
  server sees the same files. The client is the ``minio`` library (pinned in requirements.txt).

Keys are relative paths with ``/`` (``events/<key>.jpg``); callers build them from checked names
only (random hex keys, ETags). Serving: from disk with ``send_file``, as before; from S3 the app
reads the object and answers it itself with the same long cache lifetime (see ``send``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from flask import Response, current_app, request, send_file

YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Stored:
    """One stored file as a listing sees it."""

    key: str
    modified: datetime


class Storage(Protocol):
    def read(self, key: str) -> bytes | None:
        """The file's bytes, or None when there is no such file."""

    def write(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store the file whole (a reader sees the old file, or the new one, never a part)."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the file; a missing file is not an error."""

    def list(self, prefix: str) -> list[Stored]:
        """The files whose key starts with `prefix`."""

    def local_path(self, key: str) -> Path | None:
        """The file on this server's disk (local backend only), else None."""


def _checked(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"bad storage key: {key!r}")
    return key


class LocalStorage:
    """Files in a folder of this server's disk."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: concurrent readers never see half a file

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[Stored]:
        folder, _, start = prefix.rpartition("/")
        base = self.root / folder if folder else self.root
        if not base.is_dir():
            return []
        found = []
        for path in base.iterdir():
            if path.is_file() and path.name.startswith(start) and not path.name.startswith("."):
                key = f"{folder}/{path.name}" if folder else path.name
                found.append(Stored(key, datetime.fromtimestamp(path.stat().st_mtime)))
        return found

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None


class S3Storage:
    """Objects under `prefix` in one bucket of an S3-compatible server (minio client)."""

    def __init__(self, client, bucket: str, prefix: str):
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def read(self, key: str) -> bytes | None:
        from minio.error import S3Error

        try:
            response = self.client.get_object(self.bucket, self.prefix + _checked(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                return None
            raise
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def write(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        from io import BytesIO

        self.client.put_object(
            self.bucket, self.prefix + _checked(key), BytesIO(data), len(data), content_type=content_type
        )

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        try:
            self.client.stat_object(self.bucket, self.prefix + _checked(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, self.prefix + _checked(key))  # S3 deletes are idempotent

    def list(self, prefix: str) -> list[Stored]:
        found = []
        for item in self.client.list_objects(self.bucket, prefix=self.prefix + prefix, recursive=True):
            found.append(Stored(item.object_name[len(self.prefix) :], item.last_modified))
        return found

    def local_path(self, key: str) -> Path | None:
        return None


def s3_client(config):
    """A minio client for the configured endpoint (``http://`` or ``https://`` host and port).

    Short timeouts and a few retries: a stalled object store must not hold a request thread for
    minutes (urllib3's default), and one dropped connection is retried rather than shown as a 500.
    """
    import urllib3
    from minio import Minio

    endpoint = urlsplit(config["S3_ENDPOINT"])
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=5, read=30),
        maxsize=16,
        retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )
    return Minio(
        endpoint.netloc,
        access_key=config["S3_ACCESS_KEY"],
        secret_key=config["S3_SECRET_KEY"],
        secure=endpoint.scheme == "https",
        region=config["S3_REGION"],  # given, so the client never asks the server for the bucket's location
        http_client=http,
    )


def _stores(app) -> dict[str, Storage]:
    stores = app.extensions.get("binari_storage")
    if stores is None:
        # Made on first use, in the worker process (after gunicorn forks): no connection pool is shared.
        if app.config.get("S3_ENDPOINT"):
            client = s3_client(app.config)
            bucket = app.config["S3_BUCKET"]
            stores = {"uploads": S3Storage(client, bucket, "uploads/"), "cache": S3Storage(client, bucket, "cache/")}
        else:
            upload_dir = Path(app.config["UPLOAD_DIR"])
            stores = {"uploads": LocalStorage(upload_dir), "cache": LocalStorage(upload_dir.parent / "cache")}
        app.extensions["binari_storage"] = stores
    return stores


def uploads() -> Storage:
    """Uploaded files: posters, item photos, import previews (kept by backups)."""
    return _stores(current_app)["uploads"]


def cache() -> Storage:
    """Files that can be built again: printouts, feeds, preview cards (not in backups)."""
    return _stores(current_app)["cache"]


def uses_s3() -> bool:
    return bool(current_app.config.get("S3_ENDPOINT"))


def send(store: Storage, key: str, mimetype: str, max_age: int = YEAR) -> Response | None:
    """Answer a stored file, or None when there is none.

    From disk: ``send_file`` as before. From S3: the app reads the object and answers it with the
    same headers, rather than redirecting to a presigned URL. Our files are small (≤ 60 KB) and
    named once for ever, so browsers and Caddy keep them a year and the app reads each rarely; the
    bucket stays private and unreachable from the Internet; pages keep one stable address per image
    (a presigned URL changes on every page view, which defeats the browsers' cache and the pages'
    ETags) and the Content-Security-Policy stays ``img-src 'self'``.
    """
    path = store.local_path(key)
    if path is not None:
        return send_file(path, mimetype=mimetype, max_age=max_age)
    if not uses_s3():
        return None
    data = store.read(key)
    if data is None:
        return None
    response = Response(data, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.set_etag(key.replace("/", "-"))  # a key is never reused for other content
    response.make_conditional(request)  # 304 for a browser that has it (in place)
    return response


def ensure_bucket(app) -> str:
    """Create the bucket when missing and check a write and a read; a line for the admin."""
    if not app.config.get("S3_ENDPOINT"):
        return f"local disk: uploads in {app.config['UPLOAD_DIR']}"
    client = s3_client(app.config)
    bucket = app.config["S3_BUCKET"]
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
    with app.app_context():
        probe = uploads()
        probe.write(".probe", b"ok", "text/plain")
        if probe.read(".probe") != b"ok":
            raise RuntimeError("the object store did not give back what was written")
        probe.delete(".probe")
    return f"S3: bucket {bucket} at {app.config['S3_ENDPOINT']} is ready"
