"""`flask --app portal backup PATH`: a consistent online backup, taken while the site is in use.

One ``.tar.gz`` archive holds the database and the uploaded files:

- SQLite: ``binari.sqlite3``, copied with SQLite's online backup API (one read transaction, so
  the copy is a consistent snapshot even while other processes write; WAL mode lets them go on
  writing during the copy), then checked with ``PRAGMA integrity_check``;
- PostgreSQL: ``binari.pgdump``, written by ``pg_dump --format=custom`` (a consistent snapshot
  too), restored with ``pg_restore`` (see docs/deploy.md);
- ``uploads/``: the upload directory as it is (images are written once, never changed), when
  files are on local disk. With S3 storage (``S3_ENDPOINT``) the uploads live in the bucket and
  are backed up there (``mc mirror``, the provider's versioning: see docs/deploy.md); the
  manifest then names the bucket instead;
- ``manifest.json``: when, which database, the migrations applied.

Restoring is described in docs/deploy.md ("Backups") and followed by tests/test_backup.py.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import click
from flask import current_app

ARCHIVE_SUFFIX = ".tar.gz"


class BackupError(click.ClickException):
    """The backup could not be taken (nothing half-written is left at the target)."""


def target_path(path: str | Path, now: datetime | None = None) -> Path:
    """The archive to write: PATH itself, or a dated file inside PATH when it is a directory."""
    target = Path(path)
    if target.is_dir():
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
        return target / f"binari-backup-{stamp}{ARCHIVE_SUFFIX}"
    if not target.name.endswith(ARCHIVE_SUFFIX):
        raise BackupError(f"the archive's name must end with {ARCHIVE_SUFFIX} (or give a directory): {target}")
    if not target.parent.is_dir():
        raise BackupError(f"no such directory: {target.parent}")
    return target


def sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///…`` URL (None for any other database)."""
    if not url.startswith("sqlite"):
        return None
    parsed = urlparse(url)
    return Path(unquote(parsed.path[1:] if parsed.path.startswith("//") else parsed.path))


def copy_sqlite(source: Path, destination: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API), integrity-checked."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(destination)
    try:
        with dst:
            src.backup(dst)  # all pages in one step: one snapshot, writers are not blocked (WAL)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file in the archive
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if result != "ok":
        raise BackupError(f"the copy fails SQLite's integrity check: {result}")


def dump_postgres(url: str, destination: Path) -> None:
    """``pg_dump --format=custom`` of the database (the password travels in the environment)."""
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (apt install postgresql-client)")
    parsed = urlparse(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = unquote(parsed.password)
    netloc = parsed.hostname or ""
    if parsed.port:
        netloc += f":{parsed.port}"
    user = f"{unquote(parsed.username)}@" if parsed.username else ""
    dsn = f"postgresql://{user}{netloc}{parsed.path}" + (f"?{parsed.query}" if parsed.query else "")
    done = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={destination}", dsn],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def _applied_migrations() -> list[str]:
    try:
        from .cli import migration_runner
        from .db import database

        with database().connection_context():
            return [m.name for m in migration_runner().status() if m.applied]
    except Exception:  # the manifest is informative: never fail a backup over it
        return []


def take_backup(path: str | Path) -> Path:
    """Write the archive (database and uploads) and return its path."""
    target = target_path(path)
    url = current_app.config["DATABASE_URL"]
    uploads = Path(current_app.config["UPLOAD_DIR"])
    database_file = sqlite_file(url)
    on_s3 = bool(current_app.config.get("S3_ENDPOINT"))
    with tempfile.TemporaryDirectory(prefix="binari-backup-", dir=target.parent) as work:
        folder = Path(work)
        if database_file is not None:
            name = "binari.sqlite3"
            copy_sqlite(database_file, folder / name)
        else:
            name = "binari.pgdump"
            dump_postgres(url, folder / name)
        manifest = {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": "sqlite" if database_file is not None else "postgresql",
            "database_file": name,
            "uploads": None if on_s3 else "uploads",
            "uploads_bucket": f"{current_app.config['S3_ENDPOINT']}/{current_app.config['S3_BUCKET']}"
            if on_s3
            else None,
            "migrations": _applied_migrations(),
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        partial = folder / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(folder / "manifest.json", arcname="manifest.json")
            archive.add(folder / name, arcname=name)
            if not on_s3 and uploads.is_dir():
                archive.add(uploads, arcname="uploads")
        os.replace(partial, target)  # the archive appears whole or not at all
    return target


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup_command(path: Path) -> None:
    """Back up the database and the uploads into PATH (a .tar.gz file, or a directory)."""
    target = take_backup(path)
    click.echo(f"backup written: {target} ({target.stat().st_size // 1024} KB)")
