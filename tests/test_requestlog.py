"""One log line per request with a request id (X-Request-Id), and errors logged with that id."""

import logging

import pytest


@pytest.fixture
def records(app):
    found = []

    class Keep(logging.Handler):
        def emit(self, record):
            found.append(record)

    handler = Keep(level=logging.INFO)
    from portal.requestlog import RequestIdFilter

    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield found
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_each_request_gets_an_id_and_one_line(client, records):
    first = client.get("/")
    second = client.get("/?q=secret-words")
    ids = [first.headers["X-Request-Id"], second.headers["X-Request-Id"]]
    assert all(len(i) == 16 for i in ids) and ids[0] != ids[1]
    lines = [r for r in records if r.name == "binari.request"]
    assert [r.request_id for r in lines] == ids
    assert lines[0].getMessage().startswith("GET / 200 ") and lines[0].getMessage().endswith("user=-")
    assert all("secret-words" not in r.getMessage() for r in records)  # no query strings in the logs
    client.get("/password/reset/SeCrEtToKeN123")
    line = [r for r in records if r.name == "binari.request"][-1].getMessage()
    assert line.startswith("GET /password/reset/… ") and "SeCrEtToKeN123" not in line


def test_the_proxy_id_is_kept_and_a_strange_one_replaced(client, records):
    assert client.get("/", headers={"X-Request-Id": "caddy-0123456789ab"}).headers["X-Request-Id"] == (
        "caddy-0123456789ab"
    )
    replaced = client.get("/", headers={"X-Request-Id": "bad id <script>"}).headers["X-Request-Id"]
    assert "<" not in replaced and len(replaced) == 16


def test_a_forked_worker_makes_ids_of_its_own():
    """gunicorn forks its workers from one process: their ids must not repeat each other's."""
    import os

    from portal.requestlog import new_request_id

    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's)
        os.close(reading)
        os.write(writing, " ".join(new_request_id() for _ in range(3)).encode())
        os._exit(0)
    os.close(writing)
    mine = {new_request_id() for _ in range(3)}
    with os.fdopen(reading, "rb") as pipe:
        theirs = set(pipe.read().decode().split())
    os.waitpid(child, 0)
    assert len(theirs) == 3 and all(len(i) == 16 and int(i, 16) >= 0 for i in theirs)
    assert not mine & theirs


def test_an_error_is_logged_with_the_request_id(app, records):
    from flask import Blueprint

    from portal.requestlog import current_id

    bp = Blueprint("boom", __name__)

    @bp.route("/boom-for-the-log")
    def boom():
        raise RuntimeError(f"kaboom {current_id()}")

    app.register_blueprint(bp)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False
    response = app.test_client().get("/boom-for-the-log")
    assert response.status_code == 500
    rid = response.headers["X-Request-Id"]
    errors = [r for r in records if r.levelno >= logging.ERROR]
    assert errors and errors[0].request_id == rid and errors[0].exc_info
    assert f"kaboom {rid}" in str(errors[0].exc_info[1])
    line = next(r for r in records if r.name == "binari.request")
    assert line.request_id == rid and " 500 " in line.getMessage()


def test_the_line_is_written_directly_to_our_own_handler_as_logging_would(client, monkeypatch):
    """With the stream handler requestlog installs as the only one, the line skips the LogRecord
    (portal.requestlog._write_line); it reads exactly as the handler's formatter writes it."""
    import io
    import re

    from portal import requestlog

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(requestlog.RequestIdFilter())
    handler.setFormatter(requestlog.RequestLineFormatter(requestlog.LOG_FORMAT, requestlog.DATE_FORMAT))
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [handler])
    monkeypatch.setattr(root, "level", logging.INFO)

    def no_records(*args, **kwargs):
        raise AssertionError("the request's line went through a LogRecord")

    with monkeypatch.context() as patch:
        patch.setattr(requestlog.log, "makeRecord", no_records)
        answer = client.get("/events")
    request_id = answer.headers["X-Request-Id"]
    line = stream.getvalue()
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d INFO \[{request_id}\] binari\.request: GET /events 200 \d+ ms user=-\n",
        line,
    )
    # The same text as the formatter gives a record of that line.
    record = requestlog.log.makeRecord("binari.request", logging.INFO, "", 0, line.split(": ", 1)[1][:-1], (), None)
    record.request_id = request_id
    formatted = handler.format(record)
    assert formatted[19:] == line[19:-1]  # all but the time
    # Another handler (a test's capture, a second destination): the line goes through logging again.
    kept = []
    other = logging.Handler()
    other.emit = kept.append  # type: ignore[method-assign]
    monkeypatch.setattr(root, "handlers", [handler, other])
    second = client.get("/events")
    assert [r.request_id for r in kept if r.name == "binari.request"] == [second.headers["X-Request-Id"]]
    assert stream.getvalue().count("binari.request") == 2
    logging.disable(logging.INFO)
    try:
        client.get("/events")
    finally:
        logging.disable(logging.NOTSET)
    assert stream.getvalue().count("binari.request") == 2


def test_flask_is_told_once_which_functions_are_plain_and_later_ones_still_run(app, client):
    """Portal.ensure_sync answers from the functions known at the end of create_app, and as Flask does
    for anything added later."""
    for functions in app.after_request_funcs.values():  # (the fixture adds a before_request hook of its own)
        assert all(func in app.plain_functions for func in functions)
    assert all(view in app.plain_functions for view in app.view_functions.values())
    seen = []

    @app.after_request
    def added_later(response):
        seen.append(response.status_code)
        return response

    assert added_later not in app.plain_functions
    assert client.get("/").status_code == 200 and seen == [200]


def test_the_line_s_time_is_the_formatter_s_made_once_a_second():
    import time

    from portal import requestlog

    for converter in (time.localtime, time.gmtime, time.localtime):
        for second in (1_796_000_000, 1_796_000_000, 1_796_000_001, 1_774_659_600):  # and a DST morning
            assert requestlog._asctime(converter, second) == time.strftime(requestlog.DATE_FORMAT, converter(second))
