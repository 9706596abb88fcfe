"""The cost of an event page served from the page cache's disk tier, in one process: prints figures.

    BENCH_DB=/tmp/bench-load-…/bench.sqlite3 .venv/bin/python bench/load/hitpath.py

No server and no load tool: the WSGI app is called directly, as gunicorn would, with the production
settings `run.py` serves, for 10,000 random upcoming event pages already kept on disk (each rendered
once first), five passes; and the hello baseline the same way. Run it in two clones to compare two
versions of the code on the same machine: the load benchmark's figures move more with the machine
than with a change of 20 µs.
"""

import io
import json
import logging
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

PASSES, REQUESTS = 5, 10_000


def environ(path, cookie):
    """What gunicorn hands the app for a GET from a phone that accepts gzip."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate, br",
        "HTTP_COOKIE": cookie,
    }


def call(app, path, cookie=""):
    """One request; the response's headers."""
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    body = app(environ(path, cookie), start_response)
    b"".join(body)
    getattr(body, "close", lambda: None)()
    assert seen["status"].startswith("200"), (path, seen["status"])
    return seen["headers"]


def per_request(app, paths, cookie):
    started = time.perf_counter()
    for path in paths:
        call(app, path, cookie)
    return (time.perf_counter() - started) / len(paths) * 1e6


def main():
    database = Path(os.environ["BENCH_DB"])
    tmp = database.parent
    os.environ.update(
        BINARI_ENV="production",
        SECRET_KEY="hit-path-" * 5,
        DATABASE_URL=f"sqlite:///{database}",
        INSTANCE_PATH=str(tmp),
        UPLOAD_DIR=str(tmp / "uploads"),
        SESSION_COOKIE_SECURE="0",
        BASE_URL="http://127.0.0.1:8000",
    )
    import hello

    from portal import create_app

    app = create_app()
    logging.getLogger("binari.request").disabled = True  # the line's cost is the log's, not the page's
    upcoming = json.loads((tmp / "bench.json").read_text())["upcoming"]
    first = dict(call(app, f"/events/{upcoming[0]}"))
    cookie = first["Set-Cookie"].split(";")[0]  # a returning visitor, with a session and its CSRF token
    for event_id in upcoming:
        call(app, f"/events/{event_id}", cookie)
    randomly = random.Random(1)
    paths = [f"/events/{randomly.choice(upcoming)}" for _ in range(REQUESTS)]
    event, baseline = [], []
    for _ in range(PASSES):
        baseline.append(per_request(hello.app, ["/"] * (REQUESTS // 2), ""))
        event.append(per_request(app, paths, cookie))
    print(f"{len(upcoming)} event pages on disk, {PASSES} passes of {REQUESTS} requests")
    passes = [round(x) for x in event]
    print(f"event page from the page cache: median {statistics.median(event):.0f} µs a request, passes {passes}")
    print(f"Flask hello: median {statistics.median(baseline):.0f} µs a request")


if __name__ == "__main__":
    main()
