"""PDFs drawn in a forked child process (portal/pdf.py, issue 15's memory target): the same document as
in-process, failures and timeouts as PDFRenderError with no child left behind, and a real gevent
gunicorn worker that keeps answering while a child draws and survives a burst of cold flyers."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import ROOT, free_port, wait_until_healthy

from portal import pdf
from portal.pdf import PDFRenderError, render_pdf

PAGE = """<!doctype html><html lang="it"><head><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>{% for n in range(rows) %}<p>Riga numero {{ n }} del documento di prova.</p>{% endfor %}
{{ extra | safe }}</body></html>"""


def text_of(data, tmp_path):
    """The text of PDF bytes (pdftotext)."""
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def page(app, title="Documento di prova", rows=40, extra=""):
    """render_pdf of a small template (a Template object: Flask's render_template takes one)."""
    with app.test_request_context("/"):
        return render_pdf(app.jinja_env.from_string(PAGE), title=title, rows=rows, extra=extra)


@pytest.fixture
def forks(monkeypatch):
    """The pids of the children render_pdf forks in this test."""
    seen = []
    real = os.fork

    def recording():
        pid = real()
        if pid:
            seen.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording)
    return seen


def zombies():
    """This process's children that ended and were never waited for."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state == "Z" and int(ppid) == os.getpid():
            found.append(int(entry.name))
    return found


def assert_reaped(pid):
    """`pid` is no child of ours any more (waited for), and no zombie is left."""
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    assert zombies() == []


def test_child_draws_the_same_document_as_the_worker(app, forks, tmp_path):
    assert app.config["PDF_RENDER_IN_CHILD"] is True  # the default
    in_child = page(app)
    assert in_child.startswith(b"%PDF") and len(forks) == 1
    assert_reaped(forks[0])
    app.config["PDF_RENDER_IN_CHILD"] = False
    in_process = page(app)
    assert len(forks) == 1  # no fork with the setting off
    assert in_process.startswith(b"%PDF")
    text = text_of(in_child, tmp_path)
    assert "Documento di prova" in text and "Riga numero 39 del documento di prova." in text
    assert text == text_of(in_process, tmp_path)


def test_the_stylesheet_is_parsed_once_per_version_and_shared(app, forks, monkeypatch, tmp_path):
    """The print stylesheet is parsed in the worker once (23 ms a parse) and every document, in a child
    or in-process, is drawn with it; a changed file (a new release) is parsed again."""
    weasy = pdf._weasyprint()
    parsed = []

    class CountingCSS(weasy["CSS"]):
        def __init__(self, *args, **kwargs):
            parsed.append(kwargs.get("filename"))
            super().__init__(*args, **kwargs)

    monkeypatch.setitem(pdf._WEASYPRINT, "CSS", CountingCSS)
    monkeypatch.setattr(pdf, "_STYLESHEETS", {})
    first, second = page(app, title="Primo"), page(app, title="Secondo")
    assert len(parsed) == 1 and len(forks) == 2
    assert "Primo" in text_of(first, tmp_path) and "Secondo" in text_of(second, tmp_path)
    app.config["PDF_RENDER_IN_CHILD"] = False
    assert "Terzo" in text_of(page(app, title="Terzo"), tmp_path) and len(parsed) == 1
    # A new release: a copy of the static folder whose stylesheet has another modification time.
    static = tmp_path / "static"
    static.mkdir()
    (static / "pdf.css").write_bytes((pdf.STATIC_DIR / "pdf.css").read_bytes())
    monkeypatch.setattr(pdf, "STATIC_DIR", static)
    assert "Quarto" in text_of(page(app, title="Quarto"), tmp_path) and len(parsed) == 2


def test_setting_off_draws_in_process(app, monkeypatch, tmp_path):
    app.config["PDF_RENDER_IN_CHILD"] = False

    def no_fork():
        raise AssertionError("forked with PDF_RENDER_IN_CHILD off")

    monkeypatch.setattr(os, "fork", no_fork)
    trimmed = []
    monkeypatch.setattr(pdf, "give_memory_back", lambda: trimmed.append(1))
    assert "Documento di prova" in text_of(page(app), tmp_path)
    assert trimmed == [1]  # the in-process path still hands memory back


def test_flyer_from_a_child_and_in_process(app, seed, client, forks, tmp_path):
    from test_events import make_event

    from portal import storage

    event = make_event(title="Tombola")
    first = client.get(f"/events/{event.id}/flyer.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF") and len(forks) == 1
    assert_reaped(forks[0])
    for item in storage.cache().list("events/"):  # cold again
        storage.cache().delete(item.key)
    app.config["PDF_RENDER_IN_CHILD"] = False
    second = client.get(f"/events/{event.id}/flyer.pdf")
    assert second.status_code == 200 and len(forks) == 1
    text = text_of(first.data, tmp_path)
    assert "Tombola" in text
    assert text == text_of(second.data, tmp_path)


def test_a_failing_render_raises_with_the_childs_error(app, forks):
    # WeasyPrint fails on a missing image (fail_on_errors): in the child, reported by the parent.
    with pytest.raises(PDFRenderError) as failed:
        page(app, extra='<img src="file:///nonexistent/manca.png" alt="manca">')
    message = str(failed.value)
    assert "exit status 1" in message and "manca.png" in message and "URLFetchingError" in message
    assert isinstance(failed.value, RuntimeError)
    assert_reaped(forks[0])


@pytest.mark.parametrize(
    "draw, said",
    [
        (lambda *args: os.kill(os.getpid(), signal.SIGKILL), "killed by signal 9"),
        (lambda *args: os._exit(0), "exit status 0): no PDF written"),
        (lambda *args: b"", "no PDF written"),
        (lambda *args: 1 / 0, "ZeroDivisionError"),
    ],
    ids=["killed", "exits-silently", "empty", "exception"],
)
def test_every_kind_of_child_failure_is_a_pdf_render_error(app, forks, monkeypatch, draw, said):
    monkeypatch.setattr(pdf, "_draw", draw)  # the child is a copy of this process: it runs this
    with pytest.raises(PDFRenderError, match=said.replace("(", r"\(").replace(")", r"\)")):
        page(app)
    assert_reaped(forks[0])


def test_a_child_past_the_timeout_is_killed_and_reaped(app, forks, monkeypatch):
    def endless(*args):
        while True:  # a document that never finishes
            time.sleep(1)

    monkeypatch.setattr(pdf, "_draw", endless)
    app.config["PDF_RENDER_TIMEOUT"] = 0.3
    started = time.monotonic()
    with pytest.raises(PDFRenderError, match="took more than 0.3 s"):
        page(app)
    assert time.monotonic() - started < 30  # not the endless document's time
    assert_reaped(forks[0])


def test_renders_from_several_threads_each_get_their_own_document(app, tmp_path):
    """Pipes are made and forked under one lock: no child keeps another render's pipe open."""
    results = {}

    def render(n):
        results[n] = page(app, title=f"Documento {n}", rows=5 + n)

    threads = [threading.Thread(target=render, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == [0, 1, 2, 3]
    for n, data in results.items():
        assert f"Documento {n}" in text_of(data, tmp_path)
    assert zombies() == []


# --- a real gevent gunicorn worker ------------------------------------------------------------
# The drawing child waits for a "go" file before drawing when PDF_GATE_DIR is set: the test then
# knows a render is under way, and checks that the same worker answers another request meanwhile.
GATED_APP = """
import os
import time

import gevent.monkey

import portal.pdf
from wsgi import app

real_draw = portal.pdf._draw
gate = os.environ.get("PDF_GATE_DIR")
native_sleep = gevent.monkey.get_original("time", "sleep")


def gated_draw(weasy, html, sheet):
    if gate and "GATED" in html:
        open(os.path.join(gate, "started"), "w").close()
        while not os.path.exists(os.path.join(gate, "go")):
            native_sleep(0.01)
    return real_draw(weasy, html, sheet)


portal.pdf._draw = gated_draw
"""


@pytest.fixture
def gevent_server(app, tmp_path):
    """gunicorn with one gevent worker (as `make run`'s worker class) on `app`'s database; yields
    (url, gate folder, log path)."""
    port = free_port()
    gate = tmp_path / "gate"
    gate.mkdir()
    (tmp_path / "gated_app.py").write_text(GATED_APP)
    env = dict(
        os.environ,
        BINARI_ENV="testing",
        SECRET_KEY="gevent-test",
        BASE_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=app.config["DATABASE_URL"],
        UPLOAD_DIR=app.config["UPLOAD_DIR"],
        PDF_GATE_DIR=str(gate),
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
    )
    log_path = tmp_path / "gunicorn.log"
    command = [
        *("--worker-class", "gevent", "--worker-connections", "100", "--workers", "1"),
        # Well under the requests' timeouts: a hung worker is killed and shows as failed requests.
        *("--timeout", "20", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "gated_app:app"),
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process, log_path, seconds=60)
    yield url, gate, log_path
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition, seconds, what):
    """Poll `condition` until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting for {what} after {seconds} s")
        time.sleep(0.02)


@pytest.mark.live
def test_a_gevent_worker_answers_while_a_child_draws_a_flyer(app, seed, gevent_server, tmp_path):
    from test_events import make_event

    url, gate, log_path = gevent_server
    event = make_event(title="Coro GATED")
    answers = {}

    def fetch_flyer():
        answers["flyer"] = requests.get(f"{url}/events/{event.id}/flyer.pdf", timeout=60)

    fetching = threading.Thread(target=fetch_flyer)
    fetching.start()
    try:
        wait_for(lambda: (gate / "started").exists(), 60, "the child to start drawing")
        # The one worker is waiting for its child: another request is answered meanwhile.
        assert requests.get(url + "/healthz", timeout=10).status_code == 200
        other = requests.get(f"{url}/events/{event.id}", timeout=10)
        assert other.status_code == 200 and "Coro GATED" in other.text
        assert "flyer" not in answers  # still drawing: the answers above did not wait for it
    finally:
        (gate / "go").touch()
        fetching.join(timeout=60)
    flyer = answers["flyer"]
    assert flyer.status_code == 200, log_path.read_text()[-3000:]
    assert "Coro GATED" in text_of(flyer.content, tmp_path)


@pytest.mark.live
def test_six_cold_flyers_at_once_in_one_gevent_worker(app, seed, gevent_server, tmp_path):
    """Six greenlets of one process want the build lock: they take turns instead of hanging the worker
    (flock alone blocked the whole process while the holder waited for its child)."""
    from conftest import burst
    from test_events import make_event

    url, _gate, log_path = gevent_server
    events = [make_event(title=f"Laboratorio {n}") for n in range(6)]
    started = time.monotonic()
    answers = burst([lambda e=e: requests.get(f"{url}/events/{e.id}/flyer.pdf", timeout=60) for e in events])
    elapsed = time.monotonic() - started
    assert [a.status_code for a in answers] == [200] * 6, log_path.read_text()[-3000:]
    for event, answer in zip(events, answers, strict=True):
        assert event.title in text_of(answer.content, tmp_path)
    assert elapsed < 20, elapsed  # under gunicorn's timeout: no worker was killed on the way
    assert "WORKER TIMEOUT" not in log_path.read_text()


def test_a_failed_flyer_is_a_logged_500(app, seed, client, monkeypatch, caplog):
    from test_events import make_event

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 handler answers
    monkeypatch.setattr(pdf, "_draw", lambda *args: 1 / 0)
    event = make_event(title="Tombola")
    response = client.get(f"/events/{event.id}/flyer.pdf")
    assert response.status_code == 500 and "ZeroDivisionError" not in response.get_data(as_text=True)
    logged = "\n".join(r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records)
    assert "PDF render in child process" in logged and "ZeroDivisionError" in logged
    assert zombies() == []
