"""PDFs drawn by the PDF renderer process (portal/pdfrenderer.py, issue 15's memory target): the same
document as in-process, failures and timeouts as PDFRenderError with no process left behind, a renderer
that is restarted when it has ended, one renderer per gunicorn server whose workers never load
WeasyPrint, and a real gevent worker that keeps answering while a document is drawn."""

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import ROOT, free_port, wait_until_healthy

from portal import pdf, pdfrenderer
from portal.pdf import PDFRenderError, render_pdf

PAGE = """<!doctype html><html lang="it"><head><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>{% for n in range(rows) %}<p>Riga numero {{ n }} del documento di prova.</p>{% endfor %}
{{ extra | safe }}</body></html>"""


def text_of(data, tmp_path):
    """The text of PDF bytes (pdftotext)."""
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def page(app, title="Documento di prova", rows=40, extra="", stylesheet="pdf.css"):
    """render_pdf of a small template (a Template object: Flask's render_template takes one)."""
    with app.test_request_context("/"):
        return render_pdf(app.jinja_env.from_string(PAGE), stylesheet=stylesheet, title=title, rows=rows, extra=extra)


def wait_for(condition, seconds, what):
    """Poll `condition` until it holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting for {what} after {seconds} s")
        time.sleep(0.02)


def gone(pid):
    """No process `pid` any more (or only its zombie, which its parent reaps)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def children_of(pid):
    """The pids of process `pid`'s children."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:  # gone meanwhile
                pass
    return found


def zombies():
    """This process's children that ended and were never waited for."""
    return [pid for pid in children_of(os.getpid()) if gone(pid) and Path(f"/proc/{pid}").exists()]


@pytest.fixture
def own_renderer(monkeypatch, tmp_path):
    """A fresh renderer of this process for the test, started on its first PDF, drawing with
    `use(draw_source)`'s draw when given (Python source defining `draw(html, sheet)`; `real_draw` is the
    renderer's own). Yields a function that returns the current Renderer."""
    monkeypatch.setattr(pdf, "_OWN", {})
    monkeypatch.delenv(pdfrenderer.ADDRESS_VARIABLE, raising=False)

    def use(draw_source):
        script = tmp_path / "renderer.py"
        script.write_text(WRAPPER.format(script=str(pdfrenderer.SCRIPT), draw=draw_source))
        monkeypatch.setattr(pdf, "RENDERER_SCRIPT", script)

    current = lambda: pdf._OWN.get("renderer")  # noqa: E731
    current.use = use
    yield current
    for renderer in pdf._OWN.values():
        renderer.stop()


# A renderer program that draws with another `draw`: the renderer's own module, patched.
WRAPPER = """
import importlib.util, os, signal, sys, time

spec = importlib.util.spec_from_file_location("pdfrenderer", {script!r})
renderer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(renderer)
real_draw = renderer.draw
{draw}
renderer.warm_up()  # with WeasyPrint's own drawing, before the test's replaces it
renderer.warm_up = lambda: None
renderer.draw = draw
renderer.main()
"""


def test_the_renderer_draws_the_same_document_as_in_process(app, own_renderer, tmp_path):
    assert app.config["PDF_RENDER_IN_CHILD"] is True  # the default
    in_renderer = page(app)
    assert in_renderer.startswith(b"%PDF") and own_renderer() is not None
    app.config["PDF_RENDER_IN_CHILD"] = False
    in_process = page(app)
    assert in_process.startswith(b"%PDF")
    text = text_of(in_renderer, tmp_path)
    assert "Documento di prova" in text and "Riga numero 39 del documento di prova." in text
    assert text == text_of(in_process, tmp_path)


def test_one_renderer_serves_every_document_and_each_is_drawn_in_a_child(app, own_renderer, tmp_path):
    first = page(app, title="Primo")
    renderer = own_renderer()
    second = page(app, title="Secondo")
    assert own_renderer() is renderer and renderer.alive()
    assert "Primo" in text_of(first, tmp_path) and "Secondo" in text_of(second, tmp_path)
    # Each document's child has ended and been reaped by the renderer: it has no child left.
    wait_for(lambda: children_of(renderer.pid) == [], 10, "the renderer's children to be reaped")
    assert zombies() == []


def test_a_worker_drawing_through_the_renderer_never_imports_weasyprint(app, tmp_path):
    """In a fresh process (this one may have imported WeasyPrint for another test)."""
    script = tmp_path / "worker.py"
    script.write_text(
        "import sys\n"
        "from portal import create_app\n"
        "from portal.pdf import render_pdf\n"
        "app = create_app()\n"
        "with app.test_request_context('/'):\n"
        "    data = render_pdf(app.jinja_env.from_string('<html lang=\"it\"><h1>Ciao</h1></html>'))\n"
        "print(data[:5].decode(), 'weasyprint' in sys.modules, 'pango' in open('/proc/self/maps').read())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATABASE_URL=app.config["DATABASE_URL"])
    env.pop(pdfrenderer.ADDRESS_VARIABLE, None)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.split() == ["%PDF-", "False", "False"], done.stderr[-2000:]


def test_the_stylesheet_is_parsed_once_per_version(monkeypatch, tmp_path):
    """In the renderer each stylesheet is parsed once (23 ms a parse) and shared by every document; a
    changed file (a new release) is parsed again. Only a stylesheet of the static folder can be named."""
    monkeypatch.setattr(pdfrenderer, "_STYLESHEETS", {})
    first = pdfrenderer.stylesheet("pdf.css")
    assert pdfrenderer.stylesheet("pdf.css") is first
    static = tmp_path / "static"
    static.mkdir()
    (static / "pdf.css").write_bytes((pdfrenderer.STATIC_DIR / "pdf.css").read_bytes())
    monkeypatch.setattr(pdfrenderer, "STATIC_DIR", static)
    assert pdfrenderer.stylesheet("pdf.css") is not first
    for name in ("../static/pdf.css", "/etc/passwd", "pdf.js", "missing.css"):
        with pytest.raises(ValueError, match="no print stylesheet"):
            pdfrenderer.stylesheet(name)


def test_an_unknown_stylesheet_is_a_pdf_render_error(app, own_renderer):
    with pytest.raises(PDFRenderError, match="no print stylesheet called '../pdf.css'"):
        page(app, stylesheet="../pdf.css")


def test_setting_off_draws_in_process(app, own_renderer, monkeypatch, tmp_path):
    app.config["PDF_RENDER_IN_CHILD"] = False

    def no_renderer(*args):
        raise AssertionError("used the renderer with PDF_RENDER_IN_CHILD off")

    monkeypatch.setattr(pdfrenderer, "render", no_renderer)
    trimmed = []
    monkeypatch.setattr(pdf, "give_memory_back", lambda: trimmed.append(1))
    assert "Documento di prova" in text_of(page(app), tmp_path)
    assert trimmed == [1]  # the in-process path still hands memory back
    assert own_renderer() is None


def test_flyer_from_the_renderer_and_in_process(app, seed, client, own_renderer, tmp_path):
    from test_events import make_event

    from portal import storage

    event = make_event(title="Tombola")
    first = client.get(f"/events/{event.id}/flyer.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF") and own_renderer() is not None
    for item in storage.cache().list("events/"):  # cold again
        storage.cache().delete(item.key)
    app.config["PDF_RENDER_IN_CHILD"] = False
    second = client.get(f"/events/{event.id}/flyer.pdf")
    assert second.status_code == 200
    text = text_of(first.data, tmp_path)
    assert "Tombola" in text
    assert text == text_of(second.data, tmp_path)


def test_a_failing_render_raises_with_the_childs_error(app, own_renderer):
    # WeasyPrint fails on a missing image (fail_on_errors): in the child, reported to the worker.
    with pytest.raises(PDFRenderError) as failed:
        page(app, extra='<img src="file:///nonexistent/manca.png" alt="manca">')
    message = str(failed.value)
    assert "PDF render in process" in message and "manca.png" in message and "URLFetchingError" in message
    assert isinstance(failed.value, RuntimeError)
    assert own_renderer().alive()  # one document failed, not the renderer
    assert page(app).startswith(b"%PDF")


@pytest.mark.parametrize(
    "draw, said",
    [
        ("def draw(html, sheet):\n    os.kill(os.getpid(), signal.SIGKILL)", "no PDF written"),
        ("def draw(html, sheet):\n    os._exit(0)", "no PDF written"),
        ("def draw(html, sheet):\n    return b''", "no PDF written"),
        ("def draw(html, sheet):\n    return 1 / 0", "ZeroDivisionError"),
    ],
    ids=["killed", "exits-silently", "empty", "exception"],
)
def test_every_kind_of_child_failure_is_a_pdf_render_error(app, own_renderer, draw, said):
    own_renderer.use(draw)
    with pytest.raises(PDFRenderError, match=said):
        page(app)
    renderer = own_renderer()
    assert renderer.alive()
    wait_for(lambda: children_of(renderer.pid) == [], 10, "the failed child to be reaped")


def test_a_child_draws_without_the_cycle_collector(app, own_renderer, tmp_path):
    # The child ends after one document, so collecting its cycles is wasted time (see _draw_one).
    own_renderer.use(
        "import gc\n"
        "def draw(html, sheet):\n"
        f"    open({str(tmp_path / 'gc')!r}, 'w').write(f'{{gc.isenabled()}} {{os.getpid()}}')\n"
        "    return real_draw(html, sheet)"
    )
    assert page(app).startswith(b"%PDF")
    enabled, child = (tmp_path / "gc").read_text().split()
    assert enabled == "False" and int(child) != own_renderer().pid


def test_a_child_past_the_timeout_is_killed(app, own_renderer, tmp_path):
    own_renderer.use(
        "def draw(html, sheet):\n"
        "    if 'ENDLESS' not in html:\n"
        "        return real_draw(html, sheet)\n"
        f"    open({str(tmp_path / 'child')!r}, 'w').write(str(os.getpid()))\n"
        "    while True:  # a document that never finishes\n"
        "        time.sleep(1)"
    )
    assert page(app).startswith(b"%PDF")  # the renderer has started: its start is not timed below
    app.config["PDF_RENDER_TIMEOUT"] = 0.5
    started = time.monotonic()
    with pytest.raises(PDFRenderError, match=r"took more than 0.5 s \(process \d+, killed\)"):
        page(app, title="ENDLESS")
    assert time.monotonic() - started < 30  # not the endless document's time
    wait_for(lambda: (tmp_path / "child").exists(), 10, "the child's pid")
    child = int((tmp_path / "child").read_text())
    wait_for(lambda: gone(child), 10, "the endless child to be killed")
    assert own_renderer().alive()


def test_renders_from_several_threads_each_get_their_own_document(app, own_renderer, tmp_path):
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
    assert len({id(own_renderer())}) == 1 and zombies() == []


def test_a_renderer_that_ended_is_replaced(app, own_renderer, tmp_path):
    assert "Primo" in text_of(page(app, title="Primo"), tmp_path)
    first = own_renderer()
    os.kill(first.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    assert "Secondo" in text_of(page(app, title="Secondo"), tmp_path)
    assert own_renderer().pid != first.pid and own_renderer().alive()
    assert not Path(first.directory).exists()  # the old socket's folder was removed


def test_the_renderer_holds_only_its_socket_in_a_private_folder(app, own_renderer):
    page(app)
    renderer = own_renderer()
    assert stat.S_IMODE(os.stat(renderer.directory).st_mode) == 0o700
    fds = sorted(int(fd) for fd in os.listdir(f"/proc/{renderer.pid}/fd"))
    # stdin, stdout, stderr, the listening socket: no database connection or socket of this process.
    assert len(fds) == 4 and fds[:3] == [0, 1, 2]
    assert os.readlink(f"/proc/{renderer.pid}/fd/{fds[3]}").startswith("socket:")


def test_the_servers_renderer_is_used_and_a_dead_one_is_replaced_by_an_own(app, own_renderer, monkeypatch, caplog):
    shared = pdfrenderer.start()
    try:
        monkeypatch.setenv(pdfrenderer.ADDRESS_VARIABLE, shared.address)
        assert page(app).startswith(b"%PDF")
        assert own_renderer() is None  # the server's renderer drew it
        shared.stop()
        assert page(app).startswith(b"%PDF")  # an own renderer, started for it
        assert own_renderer() is not None
        assert any("no PDF renderer at" in record.getMessage() for record in caplog.records)
    finally:
        shared.stop()


def test_a_renderer_ends_when_its_parent_does(tmp_path):
    starter = (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('pdfrenderer', {str(pdfrenderer.SCRIPT)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "renderer = module.start()\n"
        "print(renderer.pid, renderer.directory)\n"  # and end without stopping it
    )
    done = subprocess.run([sys.executable, "-c", starter], capture_output=True, text=True, timeout=60, check=True)
    pid, directory = done.stdout.split()
    wait_for(lambda: gone(int(pid)), 30, "the orphaned renderer to end")
    wait_for(lambda: not Path(directory).exists(), 10, "the orphaned renderer's socket folder to be removed")


def test_a_client_that_gives_up_leaves_nothing_behind(own_renderer, app):
    """A request cut short (a worker killed while sending) is dropped by its child, which ends."""
    page(app)
    renderer = own_renderer()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(renderer.address)
        connection.sendall(pdfrenderer._LENGTH.pack(1000) + b"pdf.css\n<p>")
        child = pdfrenderer._PID.unpack(connection.recv(4))[0]
    wait_for(lambda: gone(child), 10, "the child of a cut request to end")
    assert renderer.alive()


# --- a real gevent gunicorn worker ------------------------------------------------------------
# Started without deploy/gunicorn.conf.py, the worker starts a renderer of its own, from the gated
# program below: its child waits for a "go" file before drawing a document that says GATED, so the
# test knows a render is under way, and checks that the same worker answers another request meanwhile.
GATED_DRAW = """
def draw(html, sheet):
    gate = os.environ.get("PDF_GATE_DIR")
    if gate and "GATED" in html:
        open(os.path.join(gate, "started"), "w").close()
        while not os.path.exists(os.path.join(gate, "go")):
            time.sleep(0.01)
    return real_draw(html, sheet)
"""

GATED_APP = """
import os

import portal.pdf
from wsgi import app

portal.pdf.RENDERER_SCRIPT = os.path.join(os.path.dirname(__file__), "gated_renderer.py")
"""


@pytest.fixture
def gevent_server(app, tmp_path):
    """gunicorn with one gevent worker (as `make run`'s worker class) on `app`'s database; yields
    (url, gate folder, log path)."""
    port = free_port()
    gate = tmp_path / "gate"
    gate.mkdir()
    (tmp_path / "gated_app.py").write_text(GATED_APP)
    (tmp_path / "gated_renderer.py").write_text(WRAPPER.format(script=str(pdfrenderer.SCRIPT), draw=GATED_DRAW))
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
    env.pop(pdfrenderer.ADDRESS_VARIABLE, None)  # the worker starts a renderer of its own, the gated one
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


def test_a_failed_flyer_is_a_logged_500(app, seed, client, own_renderer, caplog):
    from test_events import make_event

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 handler answers
    own_renderer.use("def draw(html, sheet):\n    return 1 / 0")
    event = make_event(title="Tombola")
    response = client.get(f"/events/{event.id}/flyer.pdf")
    assert response.status_code == 500 and "ZeroDivisionError" not in response.get_data(as_text=True)
    logged = "\n".join(r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records)
    assert "PDF render in process" in logged and "ZeroDivisionError" in logged
    assert zombies() == []


@pytest.mark.live
def test_a_gunicorn_server_has_one_renderer_and_its_workers_never_load_weasyprint(app, seed, tmp_path):
    """As deploy/gunicorn.conf.py serves: the master starts one renderer, both workers draw through it."""
    from test_events import make_event

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        BINARI_ENV="testing",
        SECRET_KEY="renderer-test",
        BASE_URL=url,
        DATABASE_URL=app.config["DATABASE_URL"],
        UPLOAD_DIR=app.config["UPLOAD_DIR"],
        PYTHONPATH=str(ROOT),
    )
    env.pop(pdfrenderer.ADDRESS_VARIABLE, None)
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--workers", "2", "--threads", "2"]
    command += ["--bind", f"127.0.0.1:{port}", "wsgi:app"]
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(url, server, log_path, seconds=60)
        events = [make_event(title=f"Cineforum {n}") for n in range(6)]
        for event in events:  # one after another: keep-alive off, so both workers take some
            answer = requests.get(f"{url}/events/{event.id}/flyer.pdf", headers={"Connection": "close"}, timeout=60)
            assert answer.status_code == 200, log_path.read_text()[-3000:]
            assert event.title in text_of(answer.content, tmp_path)
        processes = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children_of(server.pid)}
        renderers = [pid for pid, cmdline in processes.items() if b"pdfrenderer.py" in cmdline]
        workers = [pid for pid in processes if pid not in renderers]
        assert len(renderers) == 1 and len(workers) == 2, processes
        for worker in workers:
            maps = Path(f"/proc/{worker}/maps").read_text()
            assert "libpango" not in maps and "libharfbuzz" not in maps  # WeasyPrint's libraries
        assert "libpango" in Path(f"/proc/{renderers[0]}/maps").read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
    wait_for(lambda: gone(renderers[0]), 10, "the renderer to end with the server")
    started = re.search(r"PDF renderer started \(pid (\d+), (\S+)\)", log_path.read_text())
    assert started and int(started[1]) == renderers[0]
    assert not Path(started[2]).parent.exists()  # its socket's folder was removed
