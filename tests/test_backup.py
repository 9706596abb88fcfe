"""`flask --app portal backup PATH` (issue 15): an online backup under write load, restored as
docs/deploy.md says, passes SQLite's integrity check and holds every write acknowledged before
the backup started; the uploads travel in the same archive. PostgreSQL: pg_dump, pg_restore."""

import json
import shutil
import sqlite3
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

from portal.backup import sqlite_file


def writer(db_file, stop, acknowledged, errors):
    """Commits one row at a time (as the app's requests do), noting when each was acknowledged."""
    con = sqlite3.connect(db_file, timeout=30, isolation_level=None)
    con.execute("PRAGMA busy_timeout=30000")
    n = 0
    try:
        while not stop.is_set():
            n += 1
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO probe (n, note) VALUES (?, ?)", (n, "x" * 200))
            con.execute("COMMIT")
            acknowledged.append((time.monotonic(), n))
    except Exception as error:  # pragma: no cover - reported by the test
        errors.append(error)
    finally:
        con.close()


def restore_as_documented(archive, restore_dir, db_target, uploads_target):
    """The restore steps of docs/deploy.md ("Restoring a backup", SQLite), with these paths."""
    restore_dir.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(restore_dir)], check=True)
    shutil.copyfile(restore_dir / "binari.sqlite3", db_target)
    for leftover in (Path(f"{db_target}-wal"), Path(f"{db_target}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copytree(restore_dir / "uploads", uploads_target, dirs_exist_ok=True)


@pytest.mark.sqlite_only("writes through sqlite3 to the database file and restores that file")
def test_backup_under_write_load_then_restore(app, tmp_path):
    db_file = sqlite_file(app.config["DATABASE_URL"])
    with sqlite3.connect(db_file) as con:
        con.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, note TEXT)")
        # Some bulk, so that the copy takes a while and the writer runs during it.
        con.executemany("INSERT INTO probe (n, note) VALUES (0, ?)", [("y" * 500,)] * 20000)
    upload = Path(app.config["UPLOAD_DIR"]) / "events" / "poster.jpg"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(b"\xff\xd8 not really a jpeg")

    stop, acknowledged, errors = threading.Event(), [], []
    thread = threading.Thread(target=writer, args=(db_file, stop, acknowledged, errors))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(acknowledged) < 50 and time.monotonic() < deadline:  # the load is on
            time.sleep(0.01)
        assert len(acknowledged) >= 50, errors
        started = time.monotonic()
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path)])
        finished = time.monotonic()
        deadline = time.monotonic() + 10
        while len([1 for at, _n in acknowledged if at > finished]) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)  # and it goes on after the backup
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert result.exit_code == 0, result.output
    archive = next(tmp_path.glob("binari-backup-*.tar.gz"))
    assert str(archive) in result.output
    before = {n for at, n in acknowledged if at < started}
    after = [n for at, n in acknowledged if at > finished]
    assert before and after

    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    assert {"manifest.json", "binari.sqlite3", "uploads/events/poster.jpg"} <= names
    assert manifest["database"] == "sqlite" and any("0030" in name for name in manifest["migrations"])

    restored_db, restored_uploads = tmp_path / "restored.sqlite3", tmp_path / "restored-uploads"
    restore_as_documented(archive, tmp_path / "restore", restored_db, restored_uploads)
    with sqlite3.connect(restored_db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        present = {n for (n,) in con.execute("SELECT n FROM probe WHERE n > 0")}
        assert con.execute("SELECT COUNT(*) FROM probe WHERE n = 0").fetchone()[0] == 20000
    assert before <= present  # every write acknowledged before the backup started
    assert not (set(after) & present)  # a snapshot: nothing from after it finished
    assert (restored_uploads / "events" / "poster.jpg").read_bytes() == upload.read_bytes()

    # The restored database serves the portal.
    from portal import create_app

    settings = dict(app.config)
    settings.update(DATABASE_URL=f"sqlite:///{restored_db}", UPLOAD_DIR=str(restored_uploads))
    restored = create_app({k: settings[k] for k in ("TESTING", "DATABASE_URL", "UPLOAD_DIR", "SECRET_KEY")})
    assert restored.test_client().get("/").status_code == 200


def test_backup_refuses_a_bad_target(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(tmp_path / "backup.zip")])
    assert result.exit_code != 0 and ".tar.gz" in result.output
    result = runner.invoke(args=["backup", str(tmp_path / "missing" / "b.tar.gz")])
    assert result.exit_code != 0 and "no such directory" in result.output
    assert not list(tmp_path.rglob("*.tar.gz"))


@pytest.mark.xdist_group("postgres")
def test_backup_on_postgres_restores_with_pg_restore(pg_app, postgres_server, tmp_path):
    import uuid

    import psycopg2

    from portal.models import Partner

    Partner.create(name="Associazione Prova")
    result = pg_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "pg.tar.gz")])
    assert result.exit_code == 0, result.output
    restore = tmp_path / "restore"
    restore.mkdir()
    subprocess.run(["tar", "-xzf", str(tmp_path / "pg.tar.gz"), "-C", str(restore)], check=True)
    assert json.loads((restore / "manifest.json").read_text())["database"] == "postgresql"
    name = "restored_" + uuid.uuid4().hex[:8]
    admin = psycopg2.connect(host="127.0.0.1", port=postgres_server["port"], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        url = f"postgresql://postgres@127.0.0.1:{postgres_server['port']}/{name}"
        subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", f"--dbname={url}", str(restore / "binari.pgdump")],
            check=True,
            capture_output=True,
        )
        con = psycopg2.connect(url)
        with con.cursor() as cur:
            cur.execute("SELECT name FROM partner WHERE name = 'Associazione Prova'")
            assert cur.fetchone() == ("Associazione Prova",)
        con.close()
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
